"""The two compiled copies of the per-cycle kernel (portable baseline, AVX2) and the threaded batch.

The AVX2 copy uses fused multiply-adds where the baseline rounds twice, so the two tables agree
within 1e-9 relative, not bit for bit: each value within 1e-9 of (its own size + the cycle's scale of
that quantity: RMS current for current columns and harmonics, RMS voltage for voltage ones, their
product for powers), so that columns that are zero in truth (``i_residual`` of a pure sine, made of
rounding noise) are judged against the signal, not against themselves. ``i_residual`` is the square
root of an energy difference, so it is compared as that energy (i_residual**2 within 1e-9 of
i_rms**2): a rounding of 1e-16 in the energies moves the root by 1e-8 of the RMS. The framing scan does
no multiply-adds: cycle bounds and the sample counts are identical. Same-path comparisons (threads,
chunking) stay exact. On a CPU or build without AVX2 both names select the baseline and the
comparisons are trivially true.
Speed is measured by ``currentprint bench`` and ``../shared/bench/ratio.py``, never asserted here.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import currentprint as cp
from currentprint import _core

from _signals import faded_amplitude, three_loads
from currentprint.errors import InputError


@pytest.fixture
def restore_simd():
    before = _core.simd_path()
    yield
    _core.set_simd("auto" if before == "avx2" else "baseline")


def _tables(fn):
    out = {}
    for path in ("baseline", "auto"):
        _core.set_simd(path)
        out[path] = fn()
    return out["baseline"], out["auto"]


def _identical(a: cp.CycleTable, b: cp.CycleTable) -> None:
    assert len(a) == len(b) and len(a) > 0
    for name in cp.COLUMNS:
        np.testing.assert_array_equal(a.column(name), b.column(name), err_msg=name)
    np.testing.assert_array_equal(a.harmonics, b.harmonics)
    if a.has_voltage:
        np.testing.assert_array_equal(a.v_harmonics, b.v_harmonics)


_EXACT = ("start", "period", "frequency", "i_clipped", "v_clipped")
_VOLT = ("v_rms", "v_peak", "v_dc")
_POWER = ("p", "q", "s")
_RATIO = ("pf", "dpf", "thd", "v_thd", "crest")


def _close(a: cp.CycleTable, b: cp.CycleTable, tol: float = 1e-9) -> None:
    """The two copies' tables: equal within ``tol`` of each value's size plus its cycle's scale."""
    assert len(a) == len(b) and len(a) > 0
    i_rms = a.column("i_rms")
    v_rms = a.column("v_rms") if a.has_voltage else np.ones_like(i_rms)

    def check(x, y, scale, what):
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_array_equal(np.isfinite(x), np.isfinite(y), err_msg=what)
        ok = np.isfinite(x)
        scale = np.broadcast_to(scale, x.shape)[ok]
        err = np.abs(x[ok] - y[ok])
        bound = tol * (np.abs(x[ok]) + scale)
        assert np.all(err <= bound), (what, float(np.max(err / np.maximum(bound, 1e-300))))

    for name in cp.COLUMNS:
        x, y = a.column(name), b.column(name)
        if name in _EXACT:
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif name == "i_residual":
            check(x * x, y * y, i_rms * i_rms, name)
        elif name in _VOLT:
            check(x, y, v_rms, name)
        elif name in _POWER:
            check(x, y, i_rms * v_rms, name)
        elif name in _RATIO:
            check(x, y, 1.0, name)
        else:
            check(x, y, i_rms, name)
    check(a.harmonics, b.harmonics, i_rms[:, None], "harmonics")
    if a.has_voltage:
        check(a.v_harmonics, b.v_harmonics, v_rms[:, None], "v_harmonics")


@functools.lru_cache(maxsize=None)
def _signal(fs: float, mains_hz: float, seconds: float, dtype=np.float64):
    return three_loads(fs, mains_hz, seconds, dtype, seed=7)


@pytest.mark.parametrize("fs, mains_hz", [(6400.0, 50.0), (6400.0, 60.0), (10000.0, 50.0), (30000.0, 50.0)])
def test_baseline_and_avx2_identical(fs, mains_hz, restore_simd):
    sig = _signal(fs, mains_hz, 1.5)
    _close(*_tables(lambda: cp.analyze(sig.current, sig.voltage, fs=fs)))
    _close(*_tables(lambda: cp.analyze(sig.current, fs=fs)))                      # framed on the current


def test_baseline_and_avx2_identical_int16_float32_phase_waveforms(restore_simd):
    sig = _signal(6400.0, 50.0, 1.5, np.int16)
    cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"],
                         phase_deg=2.0, current_offset=1.5, voltage_offset=-3.0)
    a, b = _tables(lambda: cp.analyze(sig.current, sig.voltage, fs=6400.0, calibration=cal, waveforms=True))
    _close(a, b)
    i_scale, v_scale = a.column("i_rms")[:, None], a.column("v_rms")[:, None]
    assert np.all(np.abs(a.i_wave - b.i_wave) <= 1e-9 * (np.abs(a.i_wave) + i_scale))
    assert np.all(np.abs(a.v_wave - b.v_wave) <= 1e-9 * (np.abs(a.v_wave) + v_scale))
    f = _signal(6400.0, 50.0, 1.5)
    i32, v32 = f.current.astype(np.float32), f.voltage.astype(np.float32)
    _close(*_tables(lambda: cp.analyze(i32, v32, fs=6400.0, harmonics=40, n_points=256)))


@settings(max_examples=25, deadline=None)
@given(f=st.floats(45.0, 65.0), fs=st.sampled_from([4000.0, 6400.0, 8000.0, 12800.0]),
       seed=st.integers(0, 2**16), chunk=st.integers(50, 5000))
def test_baseline_and_avx2_identical_streaming(f, fs, seed, chunk):
    rng = np.random.default_rng(seed)
    n = int(fs * 0.5)
    t = np.arange(n) / fs
    v = 325.0 * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3)) + rng.normal(0, 2.0, n)
    i = 5.0 * np.sin(2 * np.pi * f * t - 0.4) + 1.5 * np.sin(6 * np.pi * f * t) + rng.normal(0, 0.05, n)
    before = _core.simd_path()
    try:
        out = []
        for path in ("baseline", "auto"):
            _core.set_simd(path)
            an = cp.CycleAnalyzer(fs=fs)
            parts = [an.push(i[k:k + chunk], v[k:k + chunk]) for k in range(0, n, chunk)]
            out.append(np.concatenate([p.column("p") for p in parts] + [np.array([len(parts)])]))
            out.append(np.concatenate([p.column("hc_rms_pos") for p in parts]))
            out.append(np.concatenate([p.column("shoulder_neg") for p in parts]))
    finally:
        _core.set_simd("auto" if before == "avx2" else "baseline")
    np.testing.assert_array_equal(out[0][-1], out[3][-1])         # as many parts
    for k in range(3):      # P (W, ~800), half-cycle RMS and shoulder (A, ~1-5): within 1e-9 of the signal
        assert out[k].shape == out[k + 3].shape
        np.testing.assert_allclose(out[k], out[k + 3], rtol=1e-9, atol=1e-9 * np.max(np.abs(out[k])))


def test_environment_variable_forces_baseline():
    code = "from currentprint import _core; print(_core.simd_path())"
    env = dict(os.environ, CURRENTPRINT_SIMD="baseline")
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "baseline"
    env["CURRENTPRINT_SIMD"] = "auto"
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() in ("avx2", "baseline")


def test_set_simd_rejects_unknown_names(restore_simd):
    with pytest.raises(ValueError):
        _core.set_simd("avx512")
    assert _core.set_simd("baseline") == "baseline" == _core.simd_path()


# -- cp.analyze(..., workers=N) ---------------------------------------------------------------
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_same_table(workers):
    sig = _signal(6400.0, 50.0, 16.0)          # 800 cycles: split into ranges of >= 256
    one = cp.analyze(sig.current, sig.voltage, fs=6400.0, waveforms=True)
    many = cp.analyze(sig.current, sig.voltage, fs=6400.0, waveforms=True, workers=workers)
    _identical(one, many)
    np.testing.assert_array_equal(one.i_wave, many.i_wave)
    _identical(cp.analyze(sig.current, fs=6400.0), cp.analyze(sig.current, fs=6400.0, workers=workers))


def test_workers_int16_and_short_signals():
    sig = _signal(6400.0, 50.0, 12.0, np.int16)
    cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"])
    _identical(cp.analyze(sig.current, sig.voltage, fs=6400.0, calibration=cal),
               cp.analyze(sig.current, sig.voltage, fs=6400.0, calibration=cal, workers=2))
    short = _signal(6400.0, 50.0, 1.5)          # too short to split: same path as one worker
    _identical(cp.analyze(short.current, short.voltage, fs=6400.0),
               cp.analyze(short.current, short.voltage, fs=6400.0, workers=4))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_workers_must_be_a_positive_integer(bad):
    sig = _signal(6400.0, 50.0, 1.5)
    with pytest.raises(InputError, match="workers"):
        cp.analyze(sig.current, sig.voltage, fs=6400.0, workers=bad)


# -- overflow (issue 10): a finite input whose cycle overflows float64 is an error, not garbage ---
def test_overflowing_cycle_is_an_input_error_and_leaves_the_stream_unchanged():
    fs = 6400.0
    t = np.arange(int(2 * fs)) / fs
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    huge = 1.7e308 * np.sin(2 * np.pi * 50.0 * t)        # finite samples, infinite spectrum
    with pytest.raises(InputError, match="overflow"):
        cp.analyze(huge, v, fs=fs)
    an = cp.CycleAnalyzer(fs=fs)
    first = an.push(v[:6400] / 50.0, v[:6400])
    before = an.state_dict()["stream"]
    with pytest.raises(InputError, match="overflow"):
        an.push(huge[6400:], v[6400:])
    after = an.state_dict()["stream"]
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    rest = an.push(v[6400:] / 50.0, v[6400:])
    whole = cp.analyze(v / 50.0, v, fs=fs)
    np.testing.assert_array_equal(np.concatenate([first.column("p"), rest.column("p")]), whole.column("p"))


# -- workers > 1: the current's NaN/range pass runs on a worker while the framing scan runs -------
def _refusal(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001 - the same exception, whatever it is
        return type(e), str(e)
    return None


@pytest.mark.parametrize("where", ["i_nan", "v_nan", "i_inf_late", "v_big", "i_big", "both"])
@pytest.mark.parametrize("has_v", [True, False])
def test_workers_refuse_bad_chunks_like_one_worker(where, has_v):
    sig = _signal(6400.0, 50.0, 16.0)
    i, v = sig.current.copy(), sig.voltage.copy()
    if where == "i_nan":
        i[5000] = np.nan
    elif where == "v_nan":
        v[70000] = np.nan
    elif where == "i_inf_late":
        i[-3] = -np.inf
    elif where == "v_big":
        v[100] = 1e200
    elif where == "i_big":
        i[90000] = -1e200
    else:
        i[80000] = np.nan
        v[10] = np.nan
    vv = v if has_v else None
    one = _refusal(lambda: cp.analyze(i, vv, fs=6400.0))
    two = _refusal(lambda: cp.analyze(i, vv, fs=6400.0, workers=2))
    assert one == two
    # only a bad voltage that is not given passes
    assert (one is None) == (not has_v and where.startswith("v_"))


@pytest.mark.parametrize("has_v", [True, False])
def test_workers_refused_push_leaves_the_stream_unchanged(has_v):
    from concurrent.futures import ThreadPoolExecutor
    sig = _signal(6400.0, 50.0, 16.0)
    i, v = sig.current, sig.voltage if has_v else None
    cut = 40000
    bad_i = i[cut:].copy()
    bad_i[len(bad_i) // 2] = np.nan
    ref = cp.CycleAnalyzer(fs=6400.0)
    a = ref.push(i[:cut], None if v is None else v[:cut])
    b = ref.push(i[cut:], None if v is None else v[cut:])
    an = cp.CycleAnalyzer(fs=6400.0)
    with ThreadPoolExecutor(max_workers=2) as ex:
        ii, vi = an._prepare(i[:cut], None if v is None else v[:cut])
        a2 = an._push(ii, vi, has_v, ex, 2)
        ii, vi = an._prepare(bad_i, None if v is None else v[cut:])
        with pytest.raises(cp.errors.NonFiniteError):
            an._push(ii, vi, has_v, ex, 2)
        ii, vi = an._prepare(i[cut:], None if v is None else v[cut:])
        b2 = an._push(ii, vi, has_v, ex, 2)
    _identical(a, a2)
    _identical(b, b2)


# -- the framing scan split over two threads (long chunks, workers > 1) --------------------------
def _long_pair(seconds=26.0, dtype=np.float64, fade=None):
    """A voltage/current pair long enough for the split scan; ``fade``: (start s, end s) over which
    the voltage amplitude falls 6 % per cycle (faster than the scan's peak decay), then recovers."""
    fs = 6400.0
    t = np.arange(int(seconds * fs)) / fs
    ph = 2 * np.pi * np.cumsum(50.0 + 0.15 * np.sin(2 * np.pi * t / 7.0)) / fs
    amp = faded_amplitude(t, fade)
    v = amp * (np.sin(ph) + 0.006 * np.sin(3 * ph))
    i = 8.0 * np.sin(ph - 0.5) + 1.5 * np.sin(5 * ph + 0.3)
    return i.astype(dtype), v.astype(dtype), fs


class _InlineExecutor:
    """Runs each task when it is submitted: the worker has always started (and finished) by the time
    the calling thread reaches the split or the cycles, whatever the machine's load."""

    def submit(self, fn, *args):
        from concurrent.futures import Future
        f = Future()
        f.set_running_or_notify_cancel()
        f.set_result(fn(*args))
        return f


class _NeverExecutor:
    """Never starts a task: the calling thread must do everything (a pool with no idle thread)."""

    def __init__(self):
        self.futures = []

    def submit(self, fn, *args):
        from concurrent.futures import Future
        self.futures.append(Future())
        return self.futures[-1]


class _LateExecutor:
    """Starts the cycle tasks only after the push returned (a thread descheduled for that long):
    they must find every chunk taken and write nothing; other tasks run at once."""

    def __init__(self):
        self.late = []

    def submit(self, fn, *args):
        from concurrent.futures import Future
        f = Future()
        f.set_running_or_notify_cancel()
        if fn.__name__ == "_features_range":
            self.late.append((f, fn, args))
        else:
            f.set_result(fn(*args))
        return f


@pytest.fixture
def pool_of(monkeypatch):
    """Make cp.analyze(workers=N) hand its tasks to the given executor."""
    from currentprint.core import analyzer

    def use(executor):
        monkeypatch.setattr(analyzer, "_helper_pool", lambda n: executor)
        return executor
    return use


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_scan_joins_and_equals_one_thread(dtype, pool_of):
    i, v, fs = _long_pair(dtype=dtype)
    assert len(v) >= _core.SPLIT_SCAN_MIN_SAMPLES
    one = cp.analyze(i, v, fs=fs)
    j0, u0, s0 = _core.split_scan_counts()
    assert _identical(one, cp.analyze(i, v, fs=fs, workers=2)) is None     # the real pool
    pool_of(_InlineExecutor())
    j1, u1, s1 = _core.split_scan_counts()
    assert (j1 + u1 + s1) == (j0 + u0 + s0) + 1
    two = cp.analyze(i, v, fs=fs, workers=2)
    assert _core.split_scan_counts() == (j1 + 1, u1, s1)        # the states met: the worker's half was used
    _identical(one, two)


def test_split_scan_that_never_meets_is_finished_by_one_thread(pool_of):
    # the voltage fades across the split: the worker's empty peak never meets the carried one
    i, v, fs = _long_pair(fade=(12.0, 16.5))
    pool_of(_InlineExecutor())
    j0, u0, s0 = _core.split_scan_counts()
    one = cp.analyze(i, v, fs=fs)
    two = cp.analyze(i, v, fs=fs, workers=2)
    assert _core.split_scan_counts() == (j0, u0 + 1, s0)
    _identical(one, two)


@pytest.mark.parametrize("has_v", [True, False])
def test_workers_that_never_start_leave_everything_to_the_caller(has_v, pool_of):
    i, v, fs = _long_pair()
    v = v if has_v else None
    one = cp.analyze(i, v, fs=fs, waveforms=True)
    ex = pool_of(_NeverExecutor())
    j0, u0, s0 = _core.split_scan_counts()
    two = cp.analyze(i, v, fs=fs, waveforms=True, workers=3)
    assert _core.split_scan_counts() == (j0, u0, s0 + has_v)
    assert len(ex.futures) == 3 and all(f.cancelled() for f in ex.futures)     # the scan's, then two for cycles
    _identical(one, two)
    np.testing.assert_array_equal(one.i_wave, two.i_wave)
    # a NaN is still found when the current's pass was the worker's
    bad = i.copy()
    bad[len(bad) - 5] = np.nan
    assert _refusal(lambda: cp.analyze(bad, v, fs=fs)) == _refusal(lambda: cp.analyze(bad, v, fs=fs, workers=2))


def test_an_executor_that_was_shut_down_leaves_everything_to_the_caller():
    from concurrent.futures import ThreadPoolExecutor
    i, v, fs = _long_pair()
    ref = cp.CycleAnalyzer(fs=fs)
    one = ref.push(i, v)
    ex = ThreadPoolExecutor(max_workers=1)
    ex.shutdown()
    an = cp.CycleAnalyzer(fs=fs)
    ii, vv = an._prepare(i, v)
    _identical(one, an._push(ii, vv, True, ex, 2))


def test_cycle_tasks_that_start_after_the_push_change_nothing(pool_of):
    i, v, fs = _long_pair()
    one = cp.analyze(i, v, fs=fs)
    ex = pool_of(_LateExecutor())
    two = cp.analyze(i, v, fs=fs, workers=2)
    _identical(one, two)
    before = {name: two.column(name).copy() for name in cp.COLUMNS}
    assert len(ex.late) == 1
    for f, fn, args in ex.late:
        assert fn(*args) == 0
    for name in cp.COLUMNS:
        np.testing.assert_array_equal(before[name], two.column(name), err_msg=name)


def test_workers_refuse_overflowing_cycles_like_one_worker():
    # finite samples whose spectra overflow float64 in two separate stretches of a long recording
    # (chunks taken by different threads): the same error as one worker, the stream unchanged
    i, v, fs = _long_pair(seconds=40.0)
    i = i.copy()
    n = len(i)
    for a in (n // 3, (4 * n) // 5):
        i[a:a + 4000] *= 1.7e308 / 10.0
    one = _refusal(lambda: cp.analyze(i, v, fs=fs))
    assert one is not None and one[0] is InputError and "overflow" in one[1]
    assert _refusal(lambda: cp.analyze(i, v, fs=fs, workers=2)) == one
    assert _refusal(lambda: cp.analyze(i, v, fs=fs, workers=3)) == one
    from concurrent.futures import ThreadPoolExecutor
    an = cp.CycleAnalyzer(fs=fs)
    an.push(i[:6400], v[:6400])
    before = an.state_dict()["stream"]
    with ThreadPoolExecutor(max_workers=1) as ex:
        ii, vv = an._prepare(i[6400:], v[6400:])
        with pytest.raises(InputError, match="overflow"):
            an._push(ii, vv, True, ex, 2)
    after = an.state_dict()["stream"]
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)


def test_split_scan_int16_and_streaming_chunks():
    from concurrent.futures import ThreadPoolExecutor
    i, v, fs = _long_pair(seconds=60.0)
    ci, cv = 20.0 / 32767, 400.0 / 32767
    i16 = np.round(i / ci).astype(np.int16)
    v16 = np.round(v / cv).astype(np.int16)
    cal = cp.Calibration(current_scale=ci, voltage_scale=cv)
    _identical(cp.analyze(i16, v16, fs=fs, calibration=cal), cp.analyze(i16, v16, fs=fs, calibration=cal, workers=2))
    # a stream whose long chunks start mid-cycle, with state carried from earlier chunks
    cuts = [0, 1001, 150_000, 151_234, 300_000, len(i)]
    ref = cp.CycleAnalyzer(fs=fs)
    an = cp.CycleAnalyzer(fs=fs)
    before = sum(_core.split_scan_counts())
    with ThreadPoolExecutor(max_workers=2) as ex:
        for a, b in zip(cuts[:-1], cuts[1:]):
            t1 = ref.push(i[a:b], v[a:b])
            ii, vv = an._prepare(i[a:b], v[a:b])
            t2 = an._push(ii, vv, True, ex, 2)
            assert len(t1) == len(t2)
            if len(t1):
                _identical(t1, t2)
    assert sum(_core.split_scan_counts()) == before + 2        # the two chunks of >= 131072 samples
    sa, sb = ref._stream.state_arrays(), an._stream.state_arrays()
    for key in ("scan_state", "pending", "buf_i", "buf_v"):
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
