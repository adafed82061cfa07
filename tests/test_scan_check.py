"""The voltage's NaN/inf and range test made by its framing scan (``cp_scan`` with ``chk``, one pass
over the samples) refuses exactly the chunks the separate pass refused, with the same code and
position, and leaves the stream unchanged.

The reference is a plain NumPy statement of ``stream_push``'s rules: the current's first non-finite
sample, else the current's range, else the voltage's range (finite channels only), else the
voltage's first non-finite sample. Chunks of 32,768 samples or more take the two-lane scan on AVX2
(each lane checks its half), shorter ones the one-lane scan; positions cover both halves, the block
remainder (the last 1-3 samples) and the first sample, for float64, float32 and int16.
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.core import analyzer

from _signals import three_loads

FS = 6400.0


def _expected(i: np.ndarray, v: np.ndarray, an: cp.CycleAnalyzer) -> tuple[int, int]:
    """(code, info) of stream_push's refusal rules, in NumPy (0, 0: accepted; no calibration: offsets
    0, scales 1)."""
    def first_bad(x):
        bad = np.flatnonzero(~np.isfinite(x.astype(np.float64)))
        return int(bad[0]) if bad.size else -1
    def big(x):
        return float(np.max(np.abs(x.astype(np.float64)))) > analyzer.MAX_VALUE
    bi, bv = first_bad(i), first_bad(v)
    if bi < 0 and big(i):
        return 6, 0
    if bv < 0 and big(v):
        return 6, 1
    if bi >= 0:
        return 4, bi
    if bv >= 0:
        return 4, bv
    return 0, 0


def _push(an, i, v):
    ii, vv = an._prepare(i, v)
    code, info, *_ = _core.stream_push(an._stream, ii, vv, None, 1, analyzer.MAX_VALUE)
    return code, info


@pytest.fixture(params=["baseline", "auto"])
def simd(request):
    before = _core.simd_path()
    _core.set_simd(request.param)
    yield request.param
    _core.set_simd("auto" if before == "avx2" else "baseline")


def _position(n: int, where: str) -> int:
    """The sample a refusal test spoils in an n-sample chunk: its ends, the cycles' middle, the tail."""
    return {"first": 0, "early": n // 5, "middle": n // 2 + 1, "late": (4 * n) // 5, "last": n - 1,
            "tail2": n - 2}[where]


@pytest.mark.parametrize("n", [40000, 70001, 5003, 4])
@pytest.mark.parametrize("where", ["first", "early", "middle", "late", "last", "tail2"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e200])
def test_voltage_refusal_as_the_separate_pass(n, where, bad, simd):
    sig = three_loads(FS, 50.0, 12.0, np.float64, seed=3)
    i, v = sig.current[:n].copy(), sig.voltage[:n].copy()
    v[_position(n, where)] = bad
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == _expected(i, v, an)


@pytest.mark.parametrize("dtype", [np.float32, np.int16])
@pytest.mark.parametrize("n", [40001, 3001])
def test_voltage_refusal_other_sample_types(dtype, n, simd):
    sig = three_loads(FS, 50.0, 12.0, dtype, seed=5)
    i, v = sig.current[:n].copy(), sig.voltage[:n].copy()
    an = cp.CycleAnalyzer(fs=FS)
    assert _push(an, i, v) == (0, 0)
    if dtype == np.float32:
        for pos, bad in ((n - 1, np.nan), (n // 3, np.inf), (3 * n // 4, np.nan)):
            w = v.copy()
            w[pos] = bad
            an = cp.CycleAnalyzer(fs=FS)
            assert _push(an, i, w) == _expected(i, w, an) == (4, pos)


def test_current_refusal_comes_first_and_the_stream_is_unchanged(simd):
    sig = three_loads(FS, 50.0, 12.0, np.float64, seed=7)
    i, v = sig.current, sig.voltage
    cut = 20000
    whole = cp.analyze(i, v, fs=FS)
    for bad_i, bad_v in ((None, 45000), (30000, 45000), (30000, None), (None, len(i) - 1)):
        an = cp.CycleAnalyzer(fs=FS)
        first = an.push(i[:cut], v[:cut])
        ii, vv = i[cut:].copy(), v[cut:].copy()
        if bad_i is not None:
            ii[bad_i - cut] = np.nan
        if bad_v is not None:
            vv[bad_v - cut] = np.inf
        with pytest.raises(cp.errors.NonFiniteError) as e:
            an.push(ii, vv)
        where = bad_i if bad_i is not None else bad_v
        assert f"sample {where} " in str(e.value)
        assert ("current" if bad_i is not None else "voltage") in str(e.value)
        # nothing moved: the good chunk continues the stream as if the bad one had not come
        rest = an.push(i[cut:], v[cut:])
        np.testing.assert_array_equal(np.concatenate([first.start, rest.start]), whole.start)
        np.testing.assert_array_equal(np.concatenate([first.v_rms, rest.v_rms]), whole.v_rms)


def test_big_voltage_is_refused_with_its_channel(simd):
    sig = three_loads(FS, 50.0, 12.0, np.float64, seed=3)
    i, v = sig.current.copy(), sig.voltage.copy()
    v[50000] = -3e150
    with pytest.raises(cp.errors.InputError, match="voltage"):
        cp.analyze(i, v, fs=FS)


@pytest.mark.parametrize("channel", ["current", "voltage"])
@pytest.mark.parametrize("offset", [0.0, 250.0, -1e3])
@pytest.mark.parametrize("rel", [1 - 1e-6, 1 - 1e-13, 1 + 1e-13, 1 + 1e-6])
def test_range_limit_with_an_offset(channel, offset, rel, simd):
    """Near the range limit neither the scan's bound (voltage) nor the cycles' (current, see
    ``_cycles_clear``) is decisive: the exact pass decides, as before, with the channel's code."""
    sig = three_loads(FS, 50.0, 8.0, np.float64, seed=3)
    i, v = sig.current, sig.voltage
    top = float(np.max(np.abs(i if channel == "current" else v)))
    # (max|x| + |offset|) * scale = rel * MAX_VALUE
    scale = rel * analyzer.MAX_VALUE / (top + abs(offset))
    if channel == "current":
        cal = cp.Calibration(current_scale=scale, current_offset=offset)
    else:
        cal = cp.Calibration(voltage_scale=scale, voltage_offset=offset)
    an = cp.CycleAnalyzer(fs=FS, calibration=cal)
    ii, vv = an._prepare(i, v)
    code, info, *_ = _core.stream_push(an._stream, ii, vv, None, 1, analyzer.MAX_VALUE)
    want = (top + abs(offset)) * scale > analyzer.MAX_VALUE       # stream_push's own expression
    refused = (6, 0) if channel == "current" else (6, 1)
    assert (code, info) == (refused if want else (0, 0))


def _push_workers(i, v, executor):
    an = cp.CycleAnalyzer(fs=FS)
    ii, vv = an._prepare(i, v)
    code, info, data, *_ = _core.stream_push(an._stream, ii, vv, executor, 2, analyzer.MAX_VALUE)
    return code, info, (None if data is None else data.copy()), an._stream.state_arrays()


@pytest.mark.parametrize("where", ["clean", "i_first", "i_second", "v_first", "v_second", "v_big_second",
                                   "v_inf_last", "i_second_v_first", "i_big_first"])
def test_split_push_refusals_with_two_workers(where, simd):
    """A push long enough for the split scan (the caller checks the first halves, the worker the second
    ones, the voltage's by its scan): the same codes, positions and stream state as one thread, also
    when the worker's task never starts (its part then done by the caller)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    sig = three_loads(FS, 50.0, 24.0, np.float64, seed=11)
    i, v = sig.current.copy(), sig.voltage.copy()
    n = len(i)
    assert n >= _core.SPLIT_SCAN_MIN_SAMPLES
    h = n // 2
    if where == "i_first":
        i[h // 3] = np.nan
    elif where == "i_second":
        i[h + 1000] = -np.inf
    elif where == "v_first":
        v[h - 1] = np.nan
    elif where == "v_second":
        v[h + 7] = np.nan
    elif where == "v_big_second":
        v[n - 5000] = 2e150
    elif where == "v_inf_last":
        v[n - 1] = np.inf
    elif where == "i_second_v_first":
        i[h + 10] = np.nan
        v[100] = np.nan
    elif where == "i_big_first":
        i[5] = 1e160
    one = _push_workers(i, v, None)
    with ThreadPoolExecutor(max_workers=1) as ex:
        two = _push_workers(i, v, ex)
        gate = threading.Event()
        ex.submit(gate.wait)                 # the pool's only thread busy: the worker task cannot start
        try:
            cancelled = _push_workers(i, v, ex)
        finally:
            gate.set()
    for other in (two, cancelled):
        assert other[:2] == one[:2]
        if one[2] is None:
            assert other[2] is None
        else:
            np.testing.assert_array_equal(other[2], one[2])
        for key in one[3]:
            np.testing.assert_array_equal(np.asarray(other[3][key]), np.asarray(one[3][key]), err_msg=key)
    assert (one[0] == 0) == (where == "clean")


@pytest.mark.parametrize("where", ["clean", "i_first", "i_second", "i_last"])
def test_split_push_float32_current_with_two_workers(where, simd):
    """float32 input through the split push: the cycles judge the current there too (the worker skips
    its pass), with the same codes, positions and tables as one thread."""
    from concurrent.futures import ThreadPoolExecutor
    sig = three_loads(FS, 50.0, 24.0, np.float32, seed=5)
    i, v = sig.current.copy(), sig.voltage.copy()
    n = len(i)
    if where == "i_first":
        i[n // 5] = np.nan
    elif where == "i_second":
        i[n // 2 + 333] = np.inf
    elif where == "i_last":
        i[n - 1] = np.nan            # after the last whole cycle: the plain pass over the tail
    one = _push_workers(i, v, None)
    with ThreadPoolExecutor(max_workers=1) as ex:
        two = _push_workers(i, v, ex)
    assert two[:2] == one[:2]
    assert (one[0] == 0) == (where == "clean")
    if one[2] is not None:
        np.testing.assert_array_equal(two[2], one[2])
