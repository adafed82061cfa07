"""The per-cycle screens applied in the kernel (THD floor, voltage fundamental) decide as NumPy did.

``_core._screen`` decides each cycle clear of a threshold by 1e-9 relative and leaves the rest to
the NumPy tests in ``CycleAnalyzer._push`` (which ran on every table before); these tests compare
whole tables against the NumPy tests applied to the kernel's unscreened output, including cycles
exactly at a threshold, with one thread and with several.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.core import analyzer


def _numpy_screened(current, voltage, fs, **options) -> cp.CycleTable:
    """The table as analyzer.py made it before the kernel screened: unscreened push, NumPy tests."""
    an = cp.CycleAnalyzer(fs=fs, **options)
    i, v = an._prepare(current, voltage)
    has_v = v is not None
    code, info, data, harm_i, harm_v, wave_i, wave_v = _core.stream_push(
        an._stream, i, v if has_v else i, None, 1, analyzer.MAX_VALUE)
    assert code == 0 and info == 0
    if an._thd_floor > 0:
        h = an.harmonics
        noise = data[analyzer._RESIDUAL] * math.sqrt((h - 1) / max(1.0, an._npts / 2 - h - 1))
        data[analyzer._THD, np.abs(harm_i[:, 0]) < np.maximum(an._thd_floor, noise)] = np.nan
    table = cp.CycleTable(data, harm_i, harm_v, fs=an.fs, has_voltage=has_v, n_points=an._npts,
                          calibrated=an._calibrated)
    if has_v:
        ok = np.abs(harm_v[:, 0]) >= analyzer._MIN_FUNDAMENTAL * table.v_rms
        table = table[ok]
    return table


def _same(a: cp.CycleTable, b: cp.CycleTable) -> None:
    assert len(a) == len(b)
    for name in cp.COLUMNS:
        np.testing.assert_array_equal(a.column(name), b.column(name), err_msg=name)
    np.testing.assert_array_equal(a.harmonics, b.harmonics)


def _fading_pair(seconds: float = 24.0, fs: float = 6400.0):
    """A current fading from 2 A through the 10 mA THD floor to noise and back, and a voltage that
    drops to noise (a disconnected channel) for two stretches: both screens act on many cycles."""
    rng = np.random.default_rng(5)
    t = np.arange(int(seconds * fs)) / fs
    ph = 2 * np.pi * 50.0 * t
    amp = 2.0 * np.exp(-np.abs(t - seconds / 2) * 1.2)              # 2 A .. ~1e-6 A .. 2 A
    i = amp * (np.sin(ph - 0.3) + 0.2 * np.sin(3 * ph)) + rng.normal(0, 2e-3, t.size)
    v = 325.0 * np.sin(ph) + rng.normal(0, 0.5, t.size)
    for a, b in ((4.0, 6.5), (15.0, 15.9)):
        m = (t >= a) & (t < b)
        v[m] = rng.normal(0, 30.0, m.sum()) + 200.0 * np.sin(ph[m] * 7.3)  # noise crossing zero
    return i, v, fs


@pytest.mark.parametrize("has_v", [True, False])
@pytest.mark.parametrize("workers", [None, 2])
def test_kernel_screens_equal_the_numpy_tests(has_v, workers):
    i, v, fs = _fading_pair()
    v = v if has_v else None
    ref = _numpy_screened(i, v, fs)
    got = cp.analyze(i, v, fs=fs, workers=workers)
    assert np.isnan(ref.thd).sum() > 50 and np.isfinite(ref.thd).sum() > 50      # the floor acts
    _same(ref, got)


def _flags(i, v, fs, **options) -> int:
    """The screen flags the kernel returns for one push of the whole signal."""
    an = cp.CycleAnalyzer(fs=fs, **options)
    ii, vv = an._prepare(i, v)
    h = an.harmonics
    code, info, *_ = _core.stream_push(an._stream, ii, vv if vv is not None else ii, None, 1, analyzer.MAX_VALUE,
                                       an._thd_floor, math.sqrt((h - 1) / max(1.0, an._npts / 2 - h - 1)),
                                       analyzer._MIN_FUNDAMENTAL)
    assert code == 0
    return info


def test_voltage_screen_drops_the_noise_cycles():
    i, v, fs = _fading_pair()
    an = cp.CycleAnalyzer(fs=fs)
    ii, vv = an._prepare(i, v)
    raw = _core.stream_push(an._stream, ii, vv, None, 1, analyzer.MAX_VALUE)
    got = cp.analyze(i, v, fs=fs)
    assert raw[0] == 0 and len(got) < raw[2].shape[1]          # some "cycles" of noise were dropped
    assert _flags(i, v, fs) & _core.SCREEN_VOLTAGE
    _same(_numpy_screened(i, v, fs), got)


def test_a_clean_signal_needs_no_numpy_pass():
    # every cycle decided in the kernel: analyzer.py skips its table-wide tests (the point of it)
    i, v, fs = _fading_pair()
    clean_v = 325.0 * np.sin(2 * np.pi * 50.0 * np.arange(len(v)) / fs)
    assert _flags(i, clean_v, fs) == 0
    assert _flags(i, None, fs) == 0


def test_streaming_equals_batch_with_screens():
    i, v, fs = _fading_pair()
    batch = cp.analyze(i, v, fs=fs)
    an = cp.CycleAnalyzer(fs=fs)
    parts = [an.push(i[a:a + 9001], v[a:a + 9001]) for a in range(0, len(i), 9001)]
    _same(batch, cp.CycleTable.concatenate([p for p in parts if len(p)]))


@pytest.mark.parametrize("nudge", [0, 1])
def test_a_fundamental_exactly_at_the_floor_is_decided_by_numpy(nudge):
    # thd_floor set to a cycle's own |I1| (as NumPy computes it), and one ulp above: the kernel
    # cannot tell which side hypot() puts it and leaves it to NumPy (a < a is False; a < a+ is True)
    i, v, fs = _fading_pair(seconds=4.0)
    base = cp.analyze(i, v, fs=fs, thd_floor=0.0)
    k = len(base) // 2
    level = float(np.abs(base.harmonics[k, 0]))
    if nudge:
        level = float(np.nextafter(level, np.inf))
    got = cp.analyze(i, v, fs=fs, thd_floor=level)
    _same(_numpy_screened(i, v, fs, thd_floor=level), got)
    assert np.isnan(got.thd[k]) == bool(nudge)
    assert _flags(i, v, fs, thd_floor=level) & _core.SCREEN_THD          # left to NumPy


def test_int16_counts_floor():
    i, v, fs = _fading_pair(seconds=6.0)
    ci, cv = 4.0 / 32767, 400.0 / 32767
    i16 = np.round(i / ci).astype(np.int16)
    v16 = np.round(v / cv).astype(np.int16)
    _same(_numpy_screened(i16, v16, fs), cp.analyze(i16, v16, fs=fs))      # raw counts: 2-count floor
    cal = cp.Calibration(current_scale=ci, voltage_scale=cv)
    _same(_numpy_screened(i16, v16, fs, calibration=cal), cp.analyze(i16, v16, fs=fs, calibration=cal))
