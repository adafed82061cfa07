"""Tests of currentprint.synth (synthetic mains signals with ground truth)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest


def _load_synth():
    """Import currentprint.synth; fall back to the file if the package is broken."""
    try:
        from currentprint import synth as mod  # type: ignore[import-not-found]

        return mod
    except Exception:  # package __init__ may not import while other modules are in progress
        path = Path(__file__).resolve().parents[1] / "src" / "currentprint" / "synth.py"
        name = "_currentprint_synth_under_test"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod


synth = _load_synth()

FS = 6400.0
F0 = 50.0
SPC = int(FS / F0)  # 128 samples per cycle


# ---------------------------------------------------------------------------
# helpers (plain numpy, independent of the module under test)
# ---------------------------------------------------------------------------
def whole_cycles(x: np.ndarray, spc: int, start: int = 0, cycles: int | None = None) -> np.ndarray:
    m = (len(x) - start) // spc if cycles is None else cycles
    return x[start:start + m * spc]


def power_metrics(v: np.ndarray, i: np.ndarray, spc: int) -> dict[str, float]:
    """P (W), PF, fundamental Q (var, >0 lagging) and current THD over whole cycles."""
    m = len(v) // spc
    n = m * spc
    v, i = v[:n], i[:n]
    p = float(np.mean(v * i))
    pf = p / (np.sqrt(np.mean(v * v)) * np.sqrt(np.mean(i * i)))
    vf = np.fft.rfft(v)
    cf = np.fft.rfft(i)
    s1 = vf[m] * np.conj(cf[m]) * 2.0 / n**2
    harm = np.abs(cf[m::m])
    thd = float(np.sqrt(np.sum(harm[1:] ** 2)) / harm[0])
    return {"p": p, "pf": float(pf), "q1": float(s1.imag), "thd": thd}


def steady(load, *, fs: float = FS, cycles: int = 20, **kw) -> synth.SynthSignal:
    return synth.synth_signal(cycles / F0, fs, loads={"x": load}, noise_a=0.0, seed=1, **kw)


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------
def _scenario(seed):
    return synth.synth_signal(
        3.0, FS, seed=seed, noise_v=0.5, drift_hz=0.05,
        loads={"k": synth.Resistive(1500), "m": synth.Motor(300), "r": synth.Rectifier(90)},
        n_events=2, arc=synth.ArcModel(0.5, 2.5, load="k"),
    )


def test_same_seed_is_identical():
    a, b = _scenario(7), _scenario(7)
    assert np.array_equal(a.current, b.current)
    assert np.array_equal(a.voltage, b.voltage)
    assert a.events == b.events
    assert a.arc_segments == b.arc_segments
    assert np.array_equal(a.frequency, b.frequency)


def test_different_seed_differs():
    a, b = _scenario(7), _scenario(8)
    assert not np.array_equal(a.current, b.current)


def test_noise_stream_independent_of_loads():
    base = synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(1000)}, schedule=[],
                              initial_on=[], seed=3)
    sw = synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(1000)},
                            schedule=[(0.3037, "k", "on")], seed=3)
    s = sw.events[0].sample
    diff = sw.current - base.current
    assert np.all(diff[:s] == 0.0)
    assert abs(diff[s]) > 0.1


# ---------------------------------------------------------------------------
# supply
# ---------------------------------------------------------------------------
def test_mains_voltage_rms_and_flat_top():
    n = 50 * SPC
    v, th = synth.mains_voltage(n, FS, v_rms=230.0)
    assert np.sqrt(np.mean(v**2)) == pytest.approx(230.0, rel=1e-6)
    assert np.allclose(np.diff(th), 2 * np.pi * F0 / FS)
    vf, _ = synth.mains_voltage(n, FS, v_rms=230.0, harmonics=None, flat_top=0.1)
    assert np.sqrt(np.mean(vf**2)) == pytest.approx(230.0, rel=1e-3)
    peak = np.max(vf)
    assert peak < 230.0 * np.sqrt(2) * 0.99
    assert np.count_nonzero(np.isclose(vf, peak)) > 10  # flat, clipped top


def test_mains_voltage_drift_and_noise():
    sig = synth.synth_signal(20.0, FS, drift_hz=0.2, drift_period_s=10.0, noise_a=0.0)
    f = sig.frequency
    assert f is not None and f.shape == sig.current.shape
    assert f.max() == pytest.approx(50.2, abs=1e-3) and f.min() == pytest.approx(49.8, abs=1e-3)
    # phase slope matches the frequency track
    slope = np.diff(sig.phase) * FS / (2 * np.pi)
    assert np.allclose(slope, 0.5 * (f[1:] + f[:-1]), atol=1e-4)
    assert synth.synth_signal(1.0, FS).frequency is None
    v1, _ = synth.mains_voltage(1000, FS, noise_rms=1.0, seed=5)
    v2, _ = synth.mains_voltage(1000, FS, noise_rms=1.0, seed=5)
    v0, _ = synth.mains_voltage(1000, FS)
    assert np.array_equal(v1, v2)
    assert np.std(v1 - v0) == pytest.approx(1.0, rel=0.15)


def test_sine_and_harmonic_signal():
    x = synth.sine(SPC, FS, freq=50.0, amplitude=2.0)
    assert x[0] == 0.0 and x[SPC // 4] == pytest.approx(2.0)
    h = synth.harmonic_signal(10 * SPC, FS, mains_hz=50.0, amplitudes={1: 1.0, 3: 0.5},
                              phases={3: -np.pi / 2})
    spec = np.fft.rfft(h) / (10 * SPC) * 2 / np.sqrt(2)
    assert abs(spec[10]) == pytest.approx(1.0) and abs(spec[30]) == pytest.approx(0.5)
    assert np.angle(spec[10]) == pytest.approx(0.0, abs=1e-9)
    assert np.angle(spec[30]) == pytest.approx(-np.pi / 2, abs=1e-9)
    with pytest.raises(ValueError):
        synth.harmonic_signal(10, FS, amplitudes={100: 1.0})


# ---------------------------------------------------------------------------
# load models
# ---------------------------------------------------------------------------
def test_resistive_pf_is_one():
    sig = synth.synth_signal(1.0, FS, loads={"h": synth.Heater(2000.0)}, noise_a=0.0)
    m = power_metrics(sig.voltage, sig.current, SPC)
    assert m["pf"] == pytest.approx(1.0, abs=1e-9)
    assert m["p"] == pytest.approx(2000.0, rel=1e-6)
    assert sig.meta["expected_power_w"]["h"] == pytest.approx(2000.0, rel=1e-9)


def test_motor_lags():
    m = power_metrics(*(lambda s: (s.voltage, s.current))(steady(synth.Motor(400, pf=0.8))), SPC)
    assert m["pf"] < 0.9
    assert m["q1"] > 0.0  # current fundamental lags the voltage
    assert m["p"] == pytest.approx(400, rel=0.01)


def test_motor_inrush_decays():
    sig = synth.synth_signal(2.0, FS, loads={"m": synth.Motor(400, inrush=5.0, inrush_decay_s=0.15)},
                             schedule=[(0.2, "m", "on")], noise_a=0.0)
    s = sig.events[0].sample
    first = np.max(np.abs(sig.current[s:s + SPC]))
    late = np.max(np.abs(sig.current[-SPC:]))
    assert first > 3.5 * late


def test_rectifier_harmonics_and_inrush():
    sig = steady(synth.Rectifier(150.0))
    m = power_metrics(sig.voltage[5 * SPC:], sig.current[5 * SPC:], SPC)
    assert m["thd"] > 0.5
    assert 0.45 < m["pf"] < 0.75
    assert m["p"] == pytest.approx(150.0, rel=0.01)
    # current flows only near the voltage peaks
    frac_on = np.mean(np.abs(sig.current) > 1e-9)
    assert frac_on < 0.5
    # switched on near a voltage peak with an empty capacitor: inrush spike
    sw = synth.synth_signal(1.0, FS, loads={"r": synth.Rectifier(150.0)},
                            schedule=[(0.105, "r", "on")], noise_a=0.0)
    s = sw.events[0].sample
    assert np.max(np.abs(sw.current[s:s + SPC])) > 5 * np.max(np.abs(sw.current[-SPC:]))


def test_led_driver_leads():
    m = power_metrics(*(lambda s: (s.voltage, s.current))(steady(synth.LEDDriver(9.0))), SPC)
    assert m["q1"] < 0.0
    assert m["pf"] < 0.9


def test_phase_cut_90_first_quarter_is_zero():
    sig = steady(synth.PhaseCut(100.0, firing_angle_deg=90.0))
    v, i = sig.voltage, sig.current
    zc = np.flatnonzero(np.signbit(v[1:]) != np.signbit(v[:-1])) + 1  # first sample after a zero
    quarter = SPC // 4
    zc = zc[zc + quarter + 2 < len(v)]
    assert len(zc) >= 30
    for z in zc:
        assert np.all(i[z:z + quarter - 1] == 0.0)
        assert abs(i[z + quarter + 1]) > 0.1  # conducts after the firing angle
    assert synth.PhaseCut(100.0, 90.0).expected_power(FS, synth.Supply()) == pytest.approx(50.0, rel=0.03)


def test_load_validation():
    with pytest.raises(ValueError):
        synth.Resistive(-5.0)
    with pytest.raises(ValueError):
        synth.Motor(100.0, pf=1.5)
    with pytest.raises(ValueError):
        synth.PhaseCut(100.0, firing_angle_deg=200.0)


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------
def test_events_at_exact_samples():
    t_on, t_off = 0.50234, 1.2671  # arbitrary phases within the cycle
    sig = synth.synth_signal(2.0, FS, loads={"k": synth.Resistive(2000.0)},
                             schedule=[(t_off, "k", "off"), (t_on, "k", "on")], noise_a=0.0)
    on, off = sig.events
    assert (on.kind, off.kind) == ("on", "off")
    assert on.sample == round(t_on * FS) and off.sample == round(t_off * FS)
    assert on.time == on.sample / FS
    assert on.delta_p == pytest.approx(2000.0) and off.delta_p == pytest.approx(-2000.0)
    i = sig.current
    assert np.all(i[:on.sample] == 0.0) and i[on.sample] != 0.0
    assert np.all(i[off.sample:] == 0.0) and i[off.sample - 1] != 0.0
    # a sliding one-cycle RMS starts rising exactly at the onset sample
    rms = np.sqrt(np.convolve(i**2, np.ones(SPC) / SPC)[: len(i)])
    assert np.flatnonzero(rms > 0)[0] == on.sample


def test_delta_p_matches_measured_power_step():
    sig = synth.example()
    p_inst = sig.voltage * sig.current
    for ev in sig.events:
        before = np.mean(p_inst[ev.sample - 25 * SPC:ev.sample])
        # motors have a decaying inrush; wait long enough after the event
        wait = 50 if ev.load != "fridge" else 100
        after = np.mean(p_inst[ev.sample + wait * SPC - 25 * SPC:ev.sample + wait * SPC])
        assert after - before == pytest.approx(ev.delta_p, rel=0.03, abs=1.0), ev
    expected = sig.expected_power()
    assert expected[0] == 0.0 and expected[-1] == pytest.approx(120 + 150, rel=0.01)


def test_background_loads_and_initial_state():
    sig = synth.synth_signal(1.0, FS, loads={"a": synth.Resistive(100), "b": synth.Resistive(200)},
                             schedule=[(0.5, "b", "off")], noise_a=0.0)
    assert sig.meta["initial_on"] == ["a", "b"]
    assert sig.meta["initial_power_w"] == pytest.approx(300.0)
    assert sig.events[0].delta_p == pytest.approx(-200.0)


def test_change_event():
    sig = synth.synth_signal(
        1.0, FS, loads={"d": synth.PhaseCut(200.0, 30.0)},
        schedule=[(0.5, "d", "change", synth.PhaseCut(200.0, 120.0))], noise_a=0.0,
    )
    (ev,) = sig.events
    assert ev.kind == "change" and ev.delta_p < -50.0
    m0 = power_metrics(sig.voltage[:ev.sample], sig.current[:ev.sample], SPC)
    m1 = power_metrics(sig.voltage[ev.sample + 6 * SPC:], sig.current[ev.sample + 6 * SPC:], SPC)
    assert m1["p"] - m0["p"] == pytest.approx(ev.delta_p, rel=0.02)


def test_random_schedule():
    loads = {"a": synth.Resistive(500), "b": synth.Motor(200), "c": synth.Rectifier(60)}
    sig = synth.synth_signal(10.0, FS, loads=loads, n_events=6, seed=11)
    samples = [e.sample for e in sig.events]
    assert len(samples) == 6
    assert np.all(np.diff(samples) >= FS * 1.0)
    state = {k: False for k in loads}
    for e in sig.events:
        assert e.kind == ("off" if state[e.load] else "on")
        state[e.load] = not state[e.load]
    with pytest.raises(ValueError):
        synth.synth_signal(3.0, FS, loads=loads, n_events=5)


@pytest.mark.parametrize(
    "schedule",
    [
        [(-0.1, "k", "on")],
        [(0.2, "nope", "on")],
        [(0.2, "k", "toggle")],
        [(5.0, "k", "on")],  # past the end
        [(0.2, "k", "on"), (0.4, "k", "on")],  # already on
        [(0.2, "k", "off")] + [(0.3, "k", "off")],  # already off
        [(0.2, "k", "on"), (0.2, "k", "off")],  # twice at one sample
        [(float("nan"), "k", "on")],
        [(0.2, "k")],
        [(0.2, "k", "change")],
    ],
)
def test_schedule_validation(schedule):
    with pytest.raises(ValueError):
        synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(100)}, schedule=schedule)


def test_other_validation():
    with pytest.raises(ValueError):
        synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(100)}, schedule=[], n_events=2)
    with pytest.raises(ValueError):
        synth.synth_signal(1.0, FS, loads={"k": "not a load"})
    with pytest.raises(ValueError):
        synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(100)}, arc=synth.ArcModel(0.1, 0.5, load="z"))
    with pytest.raises(ValueError):
        synth.ArcModel(0.5, 0.1, load="k")
    with pytest.raises(ValueError):
        synth.mains_voltage(100, FS, flat_top=1.0)


# ---------------------------------------------------------------------------
# arcs
# ---------------------------------------------------------------------------
def test_arc_flat_shoulders_around_zeros():
    fs = 50_000.0
    spc = int(fs / F0)
    arc = synth.ArcModel(0.2, 0.8, load="k", shoulder_ms=(0.3, 2.5), skip_prob=0.0, jitter=0.2)
    sig = synth.synth_signal(1.0, fs, loads={"k": synth.Resistive(1000)}, arc=arc, noise_a=0.0)
    assert sig.arc_segments == [(int(0.2 * fs), int(0.8 * fs))]
    i, v = sig.current, sig.voltage
    zero = i == 0.0
    zc = np.flatnonzero(np.signbit(v[1:]) != np.signbit(v[:-1])) + 1
    a, b = sig.arc_segments[0]
    lens = []
    for z in zc:
        # length of the run of exact zeros containing the voltage zero crossing
        lo = z
        while lo > 0 and zero[lo - 1]:
            lo -= 1
        hi = z
        while hi < len(i) and zero[hi]:
            hi += 1
        if a + spc < z < b - spc:
            lens.append(hi - lo)
            assert abs(i[hi]) > 0.2  # abrupt re-ignition step
        elif z < a - 2 or z > b + spc:
            assert hi - lo <= 1  # no shoulders without the arc
    lens = np.array(lens)
    assert len(lens) > 50
    assert lens.min() >= 0.3e-3 * fs - 2
    assert lens.max() <= 2.5e-3 * fs + 2
    assert lens.std() > 5  # random per half-cycle


def test_arc_skips_and_limits_to_on_time():
    arc = synth.ArcModel(0.1, 0.9, load="k", skip_prob=1.0)
    sig = synth.synth_signal(1.0, FS, loads={"k": synth.Resistive(1000)},
                             schedule=[(0.5, "k", "on")], arc=arc, noise_a=0.0)
    assert sig.arc_segments == [(int(0.5 * FS), int(0.9 * FS))]
    a, b = sig.arc_segments[0]
    assert np.all(sig.current[a:b] == 0.0)
    assert np.any(sig.current[b:] != 0.0)


# ---------------------------------------------------------------------------
# output format
# ---------------------------------------------------------------------------
def test_int16_quantisation():
    kw = dict(loads={"k": synth.Resistive(1000)}, seed=4)
    ref = synth.synth_signal(1.0, FS, **kw)
    q = synth.synth_signal(1.0, FS, dtype=np.int16, **kw)
    assert q.current.dtype == np.int16 and q.voltage.dtype == np.int16
    si, sv = q.meta["current_scale"], q.meta["voltage_scale"]
    assert np.max(np.abs(q.current * si - ref.current)) <= si / 2 + 1e-12
    assert np.max(np.abs(q.voltage * sv - ref.voltage)) <= sv / 2 + 1e-9
    q12 = synth.synth_signal(1.0, FS, dtype=np.int16, adc_bits=12, adc_full_scale=(10.0, 400.0), **kw)
    assert q12.meta["current_scale"] == pytest.approx(10.0 / 2048)
    assert np.max(np.abs(q12.current)) <= 2047
    f = synth.synth_signal(1.0, FS, adc_bits=10, **kw)
    assert f.current.dtype == np.float64
    assert len(np.unique(f.current)) <= 1024


def test_example():
    sig = synth.example()
    assert sig.fs == 6400.0 and sig.mains_hz == 50.0 and sig.duration == pytest.approx(10.0)
    assert sig.time[-1] == pytest.approx(10.0 - 1 / 6400.0)
    got = [(e.sample, e.load, e.kind) for e in sig.events]
    assert got == [(6400, "pc", "on"), (12800, "kettle", "on"), (25600, "fridge", "on"),
                   (38400, "kettle", "off")]
    assert sig.arc_segments == [] and sig.frequency is None
    assert math.isclose(np.sqrt(np.mean(sig.voltage**2)), 230.0, rel_tol=1e-3)
