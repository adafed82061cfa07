"""Input layer: calibration, dtypes without copies, framing without voltage, bad input."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest

import currentprint as cp
from currentprint.core.cycles import COLUMNS
from currentprint.errors import (ClippingWarning, CurrentprintError, InputError, LengthMismatchError,
                                 MainsFrequencyError, NonFiniteError, NoZeroCrossingError, SampleRateError)

FS = 6400.0


def _pair(n=6400, fs=FS, f=50.0, phi=0.4, amp=10.0):
    th = 2 * np.pi * f * np.arange(n) / fs + 0.3
    v = 325 * np.sin(th) + 8 * np.sin(3 * th)
    i = amp * np.sin(th - phi) + 0.2 * amp * np.sin(3 * th + 1) + 0.1 * amp * np.sin(7 * th)
    return i, v


# ---------------------------------------------------------------------------
# calibration and dtypes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("phase_deg", [0.0, 2.5])
def test_int16_counts_with_calibration_equal_prescaled_floats(sign, phase_deg):
    rng = np.random.default_rng(0)
    i, v = _pair(12800)
    i = i + rng.normal(0, 0.05, i.shape)
    i_lsb, v_lsb, i_off, v_off = 1 / 41.4738, 1 / 21.3872, 7.0, -4.0
    ci = (np.round(sign * i / i_lsb) + i_off).astype(np.int16)
    cv = (np.round(v / v_lsb) + v_off).astype(np.int16)
    cal = cp.Calibration(current_scale=i_lsb, voltage_scale=v_lsb, current_sign=sign, phase_deg=phase_deg,
                         current_offset=i_off, voltage_offset=v_off)
    t_counts = cp.analyze(ci, cv, fs=FS, calibration=cal)
    fi = sign * (ci.astype(float) - i_off) * i_lsb
    fv = (cv.astype(float) - v_off) * v_lsb
    t_float = cp.analyze(fi, fv, fs=FS, calibration=cp.Calibration(phase_deg=phase_deg))
    assert len(t_counts) == len(t_float) >= 98
    i_sc, v_sc = t_float.i_rms.max(), t_float.v_rms.max()
    for name in COLUMNS:
        scale = {"i": i_sc, "v": v_sc, "p": i_sc * v_sc, "q": i_sc * v_sc, "s": i_sc * v_sc}.get(name.split("_")[0],
                                                                                               1.0)
        if name.startswith("hc_"):
            scale = i_sc
        np.testing.assert_allclose(t_counts.column(name), t_float.column(name), rtol=1e-9,
                                   atol=1e-12 * scale, err_msg=name)
    np.testing.assert_allclose(t_counts.harmonics, t_float.harmonics, rtol=1e-9, atol=1e-12 * 10)
    # the sign makes a resistive-ish load draw positive power either way
    assert np.all(t_counts.p > 0)


def test_current_sign_flips_power():
    i, v = _pair()
    a = cp.analyze(i, v, fs=FS)
    b = cp.analyze(-i, v, fs=FS, calibration=cp.Calibration(current_sign=-1))
    np.testing.assert_allclose(b.p, a.p, rtol=1e-12)
    c = cp.analyze(-i, v, fs=FS)
    np.testing.assert_allclose(c.p, -a.p, rtol=1e-12)


def test_phase_correction_rotates_the_current():
    """A sensor delay of d degrees at 50 Hz is undone by phase_deg=d."""
    fs, f, d = FS, 50.0, 3.0
    th = 2 * np.pi * f * np.arange(12800) / fs
    v = 325 * np.sin(th)
    i_true = 10 * np.sin(th - 0.5) + 2 * np.sin(3 * th + 0.2)
    dr = math.radians(d)
    i_meas = 10 * np.sin(th - 0.5 - dr) + 2 * np.sin(3 * th + 0.2 - 3 * dr)   # a pure delay
    a = cp.analyze(i_true, v, fs=fs)
    b = cp.analyze(i_meas, v, fs=fs, calibration=cp.Calibration(phase_deg=d))
    np.testing.assert_allclose(b.harmonics, a.harmonics, atol=1e-9)
    np.testing.assert_allclose(b.p, a.p, rtol=1e-9)
    np.testing.assert_allclose(b.q, a.q, rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_compact_dtypes_are_not_copied_to_float64(dtype):
    """Analysing float32/int16 allocates far less than a float64 copy of the signal."""
    fs, n = 30000.0, 30000 * 60            # one minute at 30 kHz
    th = 2 * np.pi * 50 * np.arange(n) / fs
    v = (300 * np.sin(th)).astype(dtype)
    i = (100 * np.sin(th - 0.3)).astype(dtype)
    cp.analyze(i[:3000], v[:3000], fs=fs, harmonics=5)        # warm up (imports, plans)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        table = cp.analyze(i, v, fs=fs, harmonics=5)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    out_bytes = table._data.nbytes + table._harm_i.nbytes + table._harm_v.nbytes
    assert len(table) >= 2990
    # a float64 copy of one channel would be n * 8 bytes
    assert peak - out_bytes < 0.1 * n * 8, (peak, out_bytes)


@pytest.mark.parametrize("dtype", ["uint16", "int32", "int64", "float16", "int8", ">f8", ">i2", ">f4"])
def test_other_numeric_dtypes_are_converted(dtype):
    i, v = _pair()
    ci = np.round(i * 10 + (1000 if dtype.startswith("u") else 0)).astype(dtype)
    cv = np.round(v / (4 if dtype == "int8" else 1) + (1000 if dtype.startswith("u") else 0)).astype(dtype)
    if dtype.startswith(">"):             # big-endian: same values as native
        ref_t = cp.analyze(ci.astype(dtype[1:]), cv.astype(dtype[1:]), fs=FS)
    off = 1000.0 if dtype.startswith("u") else 0.0
    t = cp.analyze(ci, cv, fs=FS, calibration=cp.Calibration(current_offset=off, voltage_offset=off))
    assert len(t) >= 48
    assert np.all(np.isfinite(t.p))
    if dtype.startswith(">"):
        np.testing.assert_allclose(t.p, ref_t.p, rtol=1e-12)


def test_lists_and_noncontiguous_arrays_work():
    i, v = _pair()
    a = cp.analyze(i, v, fs=FS)
    b = cp.analyze(list(i), list(v), fs=FS)
    np.testing.assert_array_equal(a.i_rms, b.i_rms)
    both = np.stack([i, v], axis=1)          # columns are strided views
    c = cp.analyze(both[:, 0], both[:, 1], fs=FS)
    np.testing.assert_array_equal(a.i_rms, c.i_rms)


# ---------------------------------------------------------------------------
# without a voltage
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("f", [47.0, 50.0, 60.0, 63.0])
def test_framing_on_the_current(f):
    i, v = _pair(n=int(2 * FS), f=f)
    t = cp.analyze(i, fs=FS)
    assert abs(len(t) - 2 * f) <= 3
    # the band-pass that isolates the fundamental settles within a few cycles
    # (its 0.2 f high-pass); the first ~4 cycles are up to 1.5 % off
    settled = t.time > 0.1
    np.testing.assert_allclose(t.frequency[settled], f, rtol=1e-3)
    np.testing.assert_allclose(t.frequency, f, rtol=0.03)
    for name in ("p", "q", "s", "pf", "dpf", "v_rms", "v_peak", "v_dc", "v_thd", "v_clipped"):
        assert np.isnan(t.column(name)).all(), name
    assert np.isnan(t.harmonics).all() and np.isnan(t.harmonic_phases).all()
    assert np.isnan(t.v_harmonics).all()
    assert not t.has_voltage
    # magnitudes do not need a phase reference: same as with the voltage
    tv = cp.analyze(i, v, fs=FS)
    np.testing.assert_allclose(np.median(t.harmonic_magnitudes, axis=0),
                               np.median(tv.harmonic_magnitudes, axis=0), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(np.median(t.i_rms), np.median(tv.i_rms), rtol=1e-4)
    np.testing.assert_allclose(np.median(t.thd), np.median(tv.thd), rtol=1e-3)


def test_stream_voltage_on_every_push_or_none():
    i, v = _pair()
    an = cp.CycleAnalyzer(FS)
    an.push(i[:1000], v[:1000])
    with pytest.raises(InputError, match="voltage"):
        an.push(i[1000:2000])
    an = cp.CycleAnalyzer(FS)
    an.push(i[:1000])
    with pytest.raises(InputError, match="voltage"):
        an.push(i[1000:2000], v[1000:2000])


# ---------------------------------------------------------------------------
# bad input: a currentprint error that is a ValueError and says what to do
# ---------------------------------------------------------------------------
def _raises(exc, fn, *args, match=None, **kw):
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kw)
    assert isinstance(info.value, CurrentprintError) and isinstance(info.value, ValueError)
    assert len(str(info.value)) > 30          # a sentence, not a code
    return info.value


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["current", "voltage"])
def test_non_finite(bad, where):
    i, v = _pair()
    (i if where == "current" else v)[1234] = bad
    e = _raises(NonFiniteError, cp.analyze, i, v, fs=FS, match=where)
    assert "1234" in str(e)
    an = cp.CycleAnalyzer(FS)
    an.push(i[:1000], v[:1000])
    _raises(NonFiniteError, an.push, i[1000:2000], v[1000:2000], match="NaN")
    # the stream is unchanged: fixing the chunk continues as if nothing happened
    (i if where == "current" else v)[1234] = 0.0
    rest = an.push(i[1000:], v[1000:])
    first = cp.analyze(i, v, fs=FS)
    np.testing.assert_array_equal(rest.start, first.start[len(first) - len(rest):])


def test_non_finite_float32():
    i, v = _pair()
    i = i.astype(np.float32)
    i[5] = np.nan
    _raises(NonFiniteError, cp.analyze, i, v.astype(np.float32), fs=FS)


def test_empty_and_shapes():
    i, v = _pair()
    _raises(InputError, cp.analyze, np.array([]), fs=FS, match="empty")
    _raises(InputError, cp.analyze, np.array([]), np.array([]), fs=FS, match="empty")
    _raises(LengthMismatchError, cp.analyze, i, v[:-1], fs=FS, match="same length")
    _raises(InputError, cp.analyze, np.stack([i, i]), fs=FS, match="1-D")
    _raises(InputError, cp.analyze, i, np.stack([v, v]), fs=FS, match="1-D")
    _raises(InputError, cp.analyze, np.float64(3.0), fs=FS, match="1-D")
    _raises(InputError, cp.analyze, i[:, None], fs=FS, match="1-D")


@pytest.mark.parametrize("bad", [
    np.array(["1", "2", "3"]), np.array([1.0, 2.0, 3.0], dtype=object), np.ones(100, complex),
    np.ones(100, bool), np.array([b"ab", b"cd"]), np.array(["2020-01-01"] * 3, dtype="datetime64[D]"),
])
def test_non_numeric_dtypes(bad):
    _raises(InputError, cp.analyze, bad, fs=FS, match="dtype")
    ok = np.ones(len(bad))
    _raises(InputError, cp.analyze, ok, bad, fs=FS, match="dtype")


@pytest.mark.parametrize("fs", [0, -6400, np.nan, np.inf, "fast", None])
def test_bad_sample_rate(fs):
    i, v = _pair()
    _raises(SampleRateError, cp.analyze, i, v, fs=fs, match="fs")
    _raises(SampleRateError, cp.CycleAnalyzer, fs)


def test_sample_rate_too_low_for_harmonics():
    t = np.arange(2000) / 2000.0
    v = 325 * np.sin(2 * np.pi * 50 * t)
    e = _raises(SampleRateError, cp.analyze, v / 10, v, fs=2000.0, harmonics=25, match="harmonic")
    assert "harmonics<=" in str(e)
    # the suggested number works
    h = int(str(e).split("harmonics<=")[1].split()[0])
    assert len(cp.analyze(v / 10, v, fs=2000.0, harmonics=h)) >= 48
    _raises(SampleRateError, cp.analyze, v[:100], v[:100], fs=300.0, harmonics=1)
    for h in (0, -3, 2.5, "25"):
        _raises(InputError, cp.analyze, v / 10, v, fs=2000.0, harmonics=h)


@pytest.mark.parametrize("volt", ["zero", "dc", "negative_dc", "tiny_noise_positive"])
def test_voltage_without_zero_crossings(volt):
    i, _ = _pair(12800)
    v = {"zero": np.zeros_like(i), "dc": np.full_like(i, 230.0), "negative_dc": np.full_like(i, -5.0),
         "tiny_noise_positive": 1.0 + 1e-3 * np.random.default_rng(0).random(len(i))}[volt]
    e = _raises(NoZeroCrossingError, cp.analyze, i, v, fs=FS)
    assert "voltage" in str(e)


def test_bad_options_and_calibration():
    i, v = _pair()
    _raises(InputError, cp.analyze, i, v, fs=FS, mains_hz=100.0)
    _raises(InputError, cp.analyze, i, v, fs=FS, mains_hz=float("nan"))
    _raises(InputError, cp.analyze, i, v, fs=FS, calibration="x")
    _raises(InputError, cp.analyze, i, v, fs=FS, n_points=100)
    _raises(InputError, cp.analyze, i, v, fs=FS, shoulder_fraction=0.0)
    _raises(InputError, cp.analyze, i, v, fs=FS, hysteresis=1.5)
    for kw in ({"current_scale": 0.0}, {"voltage_scale": -1.0}, {"current_scale": np.nan}, {"current_sign": 2},
               {"phase_deg": 90.0}, {"current_offset": np.inf}, {"adc_full_scale": 0.0}):
        _raises(InputError, cp.Calibration, **kw)


# ---------------------------------------------------------------------------
# nothing crashes
# ---------------------------------------------------------------------------
def _weird_inputs():
    i, v = _pair(3200)
    n = len(i)
    yield "huge", i * 1e300, v * 1e300
    yield "tiny", i * 1e-300, v * 1e-300
    yield "denormal_current", i * 5e-320, v
    yield "denormal_both", np.full(n, 5e-324), np.where(np.arange(n) % 128 < 64, 5e-324, -5e-324)
    yield "single_sample", np.array([1.0]), np.array([-1.0])
    yield "two_samples", np.array([1.0, -1.0]), np.array([-1.0, 1.0])
    yield "int16_extremes", np.where(np.arange(n) % 128 < 64, 32767, -32768).astype(np.int16), \
        np.where(np.arange(n) % 128 < 64, -32768, 32767).astype(np.int16)
    yield "nyquist", np.where(np.arange(n) % 2 == 0, 1.0, -1.0), np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    yield "zero_current", np.zeros(n), v
    yield "float32_max", (i / np.abs(i).max() * np.finfo(np.float32).max).astype(np.float32), v.astype(np.float32)
    yield "square_voltage", i, np.sign(v) * 325
    yield "one_cycle", i[:130], v[:130]
    yield "mixed_dtypes", i.astype(np.float32), (v * 10).astype(np.int16)


# cycles expected (with voltage, without), or the error expected (1e300 A is refused: it
# would overflow the sums of squares). Too short inputs give no
# cycle; without voltage, current that never crosses zero cleanly (all-zero, denormal) gives
# none either, and current toggling at Nyquist is refused as no mains frequency. (With a
# voltage toggling at Nyquist too, its "cycles" have no fundamental and are dropped: the batch call
# says so; a stream just yields none.)
_CYCLES = {"huge": (InputError, InputError), "tiny": (24, 23), "denormal_current": (24, 23), "denormal_both": (23, 0),
           "single_sample": (0, 0), "two_samples": (0, 0), "int16_extremes": (24, 23), "nyquist": (MainsFrequencyError, MainsFrequencyError),
           "zero_current": (24, 0), "float32_max": (24, 23), "square_voltage": (24, 23), "one_cycle": (0, 0),
           "mixed_dtypes": (24, 23)}


@pytest.mark.parametrize("name,i,v", list(_weird_inputs()), ids=[w[0] for w in _weird_inputs()])
def test_nothing_crashes(name, i, v):
    for volt, n_expected in zip((v, None), _CYCLES[name]):
        for h in (1, 25):
            if isinstance(n_expected, type):
                with pytest.raises(n_expected):
                    cp.analyze(i, volt, fs=FS, harmonics=h)
                continue
            with warnings.catch_warnings():
                # int16 extremes are full-scale samples: the warning is expected here
                warnings.simplefilter("ignore", ClippingWarning)
                t = cp.analyze(i, volt, fs=FS, harmonics=h)      # no CurrentprintError either
            assert len(t) == n_expected, (name, volt is None, h)
            assert all(t.column(c).shape == (len(t),) for c in COLUMNS)
            if len(t):
                assert np.all(np.isfinite(t.i_rms)) and np.all(t.i_rms >= 0)
            # (1e-300 A squares underflow to 0: i_rms = 0 and pf NaN, acceptable)
            if volt is not None and name in ("float32_max", "square_voltage", "mixed_dtypes", "int16_extremes",
                                             "nyquist"):
                assert np.all(np.isfinite(t.pf)) and np.all(np.abs(t.pf) <= 1 + 1e-9)
    # streaming in odd chunks gives the same cycles (or the same refusal)
    an = cp.CycleAnalyzer(FS, harmonics=5)
    if name == "nyquist":
        assert sum(len(an.push(i[a:a + 77], v[a:a + 77])) for a in range(0, len(i), 77)) == 0
        return
    if isinstance(_CYCLES[name][0], type):
        with pytest.raises(_CYCLES[name][0]):
            for a in range(0, len(i), 77):
                an.push(i[a:a + 77], v[a:a + 77])
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClippingWarning)
        parts = [an.push(i[a:a + 77], v[a:a + 77]) for a in range(0, len(i), 77)]
    assert sum(len(p) for p in parts) == _CYCLES[name][0]


def test_clipped_samples_are_counted():
    th = 2 * np.pi * 50 * np.arange(12800) / FS + 0.3
    v = np.round(300 * np.sin(th)).astype(np.int16)
    i = np.clip(np.round(40000 * np.sin(th - 0.2)), -32768, 32767).astype(np.int16)
    with pytest.warns(ClippingWarning, match="full scale"):
        t = cp.analyze(i, v, fs=FS)
    assert np.all(t.i_clipped > 0) and np.all(t.v_clipped == 0)
    # a 14-bit converter saturates at 8191 counts
    i14 = np.clip(i // 4, -8191, 8191).astype(np.int16)
    with pytest.warns(ClippingWarning):
        t14 = cp.analyze(i14, v, fs=FS, calibration=cp.Calibration(adc_full_scale=8191))
    assert np.all(t14.i_clipped > 0)
    assert np.all(cp.analyze(i14, v, fs=FS).i_clipped == 0)
    # float input is never counted as clipped without adc_full_scale
    assert np.all(cp.analyze(i.astype(float), v.astype(float), fs=FS).i_clipped == 0)
