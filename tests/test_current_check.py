"""The current's NaN/inf and range test made from the cycles' own raw-sample sums (one thread, with a
voltage: ``stream_push`` skips the separate pass over the current when the voltage's scan found its
channel clear, and ``_cycles_clear`` judges the current from each cycle's half-cycle sums of squares
and peak, plus the plain pass over the samples outside every cycle) refuses exactly the chunks the
separate pass refused, with the same code and position, and leaves the stream unchanged.

The reference is the NumPy statement of ``stream_push``'s rules in ``test_scan_check._expected``.
Positions cover the chunk's first samples (before the first cycle), the middle of a cycle, the
samples after the last whole cycle, a gap without cycles (a voltage dropout), a second chunk whose
first cycle straddles the two, float64 and float32. Calibrated offsets at the range limit are in
``test_scan_check.test_range_limit_with_an_offset`` (both channels).
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.core import analyzer

from _signals import three_loads
from test_scan_check import _expected, _position, _push, simd  # noqa: F401  (simd: the fixture of both paths)

FS = 6400.0


@pytest.mark.parametrize("n", [40000, 5003])
@pytest.mark.parametrize("where", ["first", "early", "middle", "late", "last", "tail2"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e200, -1e160])
def test_current_refusal_as_the_separate_pass(n, where, bad, simd):
    sig = three_loads(FS, 50.0, 8.0, np.float64, seed=3)
    i, v = sig.current[:n].copy(), sig.voltage[:n].copy()
    i[_position(n, where)] = bad
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == _expected(i, v, an)


def test_current_refusal_in_a_gap_and_both_channels(simd):
    """A voltage dropout (no crossings: the samples lie outside every cycle) and a bad current beside
    a bad voltage (the current's code comes first, as before)."""
    sig = three_loads(FS, 50.0, 6.0, np.float64, seed=5)
    i, v = sig.current.copy(), sig.voltage.copy()
    v[12000:14000] = 0.0                       # 0.3 s without crossings: a gap between cycles
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == (0, 0)
    for pos in (12500, 13999, 11990):
        w = i.copy()
        w[pos] = np.nan
        an = cp.CycleAnalyzer(fs=FS)
        assert _push(an, w, v) == _expected(w, v, an) == (4, pos)
    w, u = i.copy(), v.copy()
    w[20000] = np.inf
    u[3000] = np.nan
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, w, u) == _expected(w, u, an) == (4, 20000)


def test_large_finite_current_is_judged_exactly(simd):
    """A sample whose square overflows the cycle's sum (1e155) but stays below MAX_VALUE, and one
    beyond it: the exact pass decides (accepted, then refused with the current's channel)."""
    sig = three_loads(FS, 50.0, 4.0, np.float64, seed=3)
    i, v = sig.current.copy(), sig.voltage.copy()
    i[9000] = 1e155 if analyzer.MAX_VALUE > 1e155 else analyzer.MAX_VALUE * 0.5
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == _expected(i, v, an)
    i[9000] = analyzer.MAX_VALUE * 2.0
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == _expected(i, v, an) == (6, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_second_chunk_refusal_leaves_the_stream_unchanged(dtype, simd):
    """Bad samples in the first cycle of a second chunk (which straddles the two chunks), in its
    middle and at its end: the same refusal as the separate pass, then the good chunk continues the
    stream as if the bad one had not come."""
    sig = three_loads(FS, 50.0, 6.0, dtype, seed=7)
    i, v = sig.current, sig.voltage
    cut = 17001
    whole = cp.analyze(i, v, fs=FS)
    for off in (0, 3, 40, 9000, len(i) - cut - 1):
        an = cp.CycleAnalyzer(fs=FS)
        first = an.push(i[:cut], v[:cut])
        ii, vv = i[cut:].copy(), v[cut:].copy()
        ii[off] = np.nan
        with pytest.raises(cp.errors.NonFiniteError) as e:
            an.push(ii, vv)
        assert f"sample {cut + off} " in str(e.value) and "current" in str(e.value)
        rest = an.push(i[cut:], v[cut:])
        for col in ("start", "i_rms", "i_peak", "v_rms"):
            np.testing.assert_array_equal(np.concatenate([getattr(first, col), getattr(rest, col)]),
                                          getattr(whole, col), err_msg=col)
