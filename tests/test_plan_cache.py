"""Shared immutable plans of the core (FFT tables, phase rotations) and the short-push paths."""

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.detectors.events import EventDetector


def test_fft_plan_is_shared_and_matches_numpy():
    assert _core.fft_plan(128) is _core.fft_plan(128)
    assert _core.fft_plan(256) is not _core.fft_plan(128)
    x = np.random.default_rng(1).normal(size=(3, 256))
    np.testing.assert_allclose(_core.rfft_batch(x, _core.fft_plan(256)), np.fft.rfft(x, axis=1),
                               rtol=0, atol=1e-12)
    # the vectorised bit reversal builds the same plan as a fresh one
    assert np.array_equal(_core.rfft_batch(x, _core.FFTPlan(256)), _core.rfft_batch(x, _core.fft_plan(256)))


def test_shared_phase_tables_are_read_only_and_exact():
    r, i = _core._shared_phase_tables(128, 0.02)
    r0, i0 = _core._phase_tables(128, 0.02)
    assert np.array_equal(r, r0) and np.array_equal(i, i0)
    assert not r.flags.writeable and not i.flags.writeable
    with pytest.raises(ValueError):
        r[0] = 2.0


def _signal(fs=6400.0, seconds=1.0):
    t = np.arange(int(fs * seconds)) / fs
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    i = 10.0 * np.sin(2 * np.pi * 50.0 * t - 0.4) + 2.0 * np.sin(2 * np.pi * 150.0 * t)
    return i, v


def test_cached_tables_do_not_leak_between_calibrations():
    """Interleaved phase corrections give the tables each gives alone (the caches key on phase)."""
    i, v = _signal()
    cals = [cp.Calibration(phase_deg=d) for d in (0.0, 2.0, -3.0)]
    first = [cp.analyze(i, v, fs=6400.0, calibration=c) for c in cals]
    again = [cp.analyze(i, v, fs=6400.0, calibration=c) for c in reversed(cals)][::-1]
    for a, b in zip(first, again):
        assert np.array_equal(a._data, b._data, equal_nan=True) and np.array_equal(a.harmonics, b.harmonics)
    assert not np.array_equal(first[0].harmonics, first[1].harmonics)


@pytest.mark.parametrize("waveforms", [False, True])
def test_one_cycle_pushes_equal_batch(waveforms):
    """Pushes of one cycle (the stream's small scratch, shared empty waves) give the batch table."""
    i, v = _signal(seconds=2.0)
    batch = cp.analyze(i, v, fs=6400.0, waveforms=waveforms)
    an = cp.CycleAnalyzer(6400.0, waveforms=waveforms)
    parts = [an.push(i[k:k + 128], v[k:k + 128]) for k in range(0, i.shape[0], 128)]
    got = cp.CycleTable.concatenate([p for p in parts if len(p)])
    assert np.array_equal(got._data, batch._data, equal_nan=True)
    assert np.array_equal(got.harmonics, batch.harmonics)
    if waveforms:
        assert np.array_equal(got.raw_waves[0], batch.raw_waves[0])


def test_event_history_length_follows_the_counters():
    """The event detector's history count (from its counters) equals its tables' cycles."""
    i, v = _signal(seconds=4.0)
    i[12800:] *= 2.0                       # a switching step half way
    an = cp.CycleAnalyzer(6400.0, waveforms=True)
    det = EventDetector()
    for k in range(0, i.shape[0], 128):
        det.push(an.push(i[k:k + 128], v[k:k + 128]))
        assert det._seen - det._hist_first == sum(len(t) for t in det._history)
    assert det._seen > det._keep()         # the history was trimmed along the way
