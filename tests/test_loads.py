"""ResistiveLoadDetector, PhaseChopperDetector and OverloadDetector on synthetic signals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arc_models as am
import currentprint as cp
from currentprint import _core
from currentprint.detectors._arc_reference import thermal_scan_reference
from currentprint.core.analyzer import CycleAnalyzer, analyze
from currentprint.detectors.arc import ArcFaultDetector
from currentprint.errors import InputError
from currentprint.detectors._switch_on import delta_features
from currentprint.detectors.chopper import PhaseChopperDetector
from currentprint.detectors.overload import OverloadDetector
from currentprint.detectors.resistive import ResistiveLoadDetector, resistive_pf_floor

FS = 6400.0


def _switch_on(i_after: np.ndarray, v: np.ndarray, fs: float, t_on: float = 1.0, noise: float = 0.01,
               seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    i = i_after.copy()
    i[: int(t_on * fs)] = 0.0
    return i + rng.normal(0.0, noise, len(i))


def _supply(seed=0, fs=FS, duration=3.0, v_rms=220.0, h3=0.03):
    return am.supply(duration, fs, v_rms=v_rms, h3=h3, rng=np.random.default_rng(seed))


# -- conformance ---------------------------------------------------------------------
@pytest.mark.parametrize("det", [ResistiveLoadDetector(), ResistiveLoadDetector(whitelist=(2000.0,)),
                                 PhaseChopperDetector(), OverloadDetector(rated_current_a=5.0, tau_s=2.0),
                                 OverloadDetector()])
def test_check_detector(det):
    testing = pytest.importorskip("currentprint.detectors.testing")
    # silent by design: the signal stays far below 1.3 x 16 A; the signal's 2 kW heater is whitelisted
    silent = ((isinstance(det, OverloadDetector) and det.rated_current_a == 16.0)
              or (isinstance(det, ResistiveLoadDetector) and len(det.whitelist)))
    out = testing.check_detector(det, min_alerts=0 if silent else 1)
    if silent:
        assert out["alerts"] == 0
    elif isinstance(det, OverloadDetector):
        assert out["alerts"] >= 1      # 2 kW heater + more on a 5 A circuit


def test_registered_names():
    for name, cls in [("resistive_load", ResistiveLoadDetector), ("phase_chopper", PhaseChopperDetector),
                      ("overload", OverloadDetector)]:
        assert type(cp.get_detector(name)) is cls and cls.name == name


@pytest.mark.parametrize("cls, bad", [(ResistiveLoadDetector, {"min_power_w": -1}),
                                      (ResistiveLoadDetector, {"whitelist": ["kettle"]}),
                                      (ResistiveLoadDetector, {"max_inrush": 0.5}),
                                      (PhaseChopperDetector, {"creep_steps": 1}),
                                      (OverloadDetector, {"rated_current_a": 0}),
                                      (OverloadDetector, {"trip_ratio": 1.0}),
                                      (OverloadDetector, {"rearm_ratio": 2.0})])
def test_bad_parameters(cls, bad):
    with pytest.raises(InputError):
        cls(**bad)


def test_needs_voltage_and_waveforms():
    v, ph = _supply()
    i = v / 50.0
    with pytest.raises(InputError, match="waveforms=True"):
        ResistiveLoadDetector().update(analyze(i, v, fs=FS))
    with pytest.raises(InputError, match="voltage"):
        ResistiveLoadDetector().update(analyze(i, fs=FS, waveforms=True))


# -- heaters ----------------------------------------------------------------------------
@pytest.mark.parametrize("power", [300.0, 800.0, 1500.0, 2500.0])
def test_heater_switch_on_alarms_with_power(power):
    v, ph = _supply(int(power))
    i = _switch_on(v * power / 220.0 ** 2, v, FS, seed=int(power))
    alerts = ResistiveLoadDetector().update(analyze(i, v, fs=FS, waveforms=True))
    assert len(alerts) == 1
    a = alerts[0]
    assert a.kind == "resistive_load" and a.detector == "resistive_load"
    assert a.detail["power_w"] == pytest.approx(power, rel=0.03)
    assert abs(a.sample - FS) <= 64
    assert all(r["passed"] for r in a.detail["rules"].values())
    assert "resistive heating load" in a.explanation
    json.dumps(a.to_dict(), allow_nan=False)


def test_power_is_normalised_to_nominal_voltage():
    v, ph = _supply(3, v_rms=200.0)
    r = 220.0 ** 2 / 1500.0                  # a 1500 W (at 220 V) element on a 200 V supply
    i = _switch_on(v / r, v, FS)
    a = ResistiveLoadDetector().update(analyze(i, v, fs=FS, waveforms=True))[0]
    assert a.detail["power_w"] == pytest.approx(1500.0, rel=0.03)


def test_whitelist_exempts_matching_power_only():
    v, ph = _supply(4)
    i = _switch_on(v * 600.0 / 220.0 ** 2, v, FS)
    table = analyze(i, v, fs=FS, waveforms=True)
    assert ResistiveLoadDetector(whitelist=(650.0,)).update(table) == []       # 600 within 10 % of 650
    assert len(ResistiveLoadDetector(whitelist=(500.0, 2000.0)).update(table)) == 1


def test_small_heater_below_floor_is_ignored():
    v, ph = _supply(5)
    i = _switch_on(v * 120.0 / 220.0 ** 2, v, FS)
    assert ResistiveLoadDetector().update(analyze(i, v, fs=FS, waveforms=True)) == []


@pytest.mark.parametrize("name", ["pfc", "smps", "motor", "lamp", "dimmer"])
def test_non_heating_loads_do_not_alarm(name):
    rng = np.random.default_rng(9)
    v, ph = _supply(9, h3=0.04)
    if name == "pfc":        # active-PFC supply: sinusoidal current in phase, ignores the voltage distortion
        i = math.sqrt(2) * 1200.0 / 220.0 * np.sin(ph)
    elif name == "smps":
        i = am.smps(v, FS, power_w=800.0, rng=rng)
    elif name == "motor":
        i = math.sqrt(2) * 6.0 * np.sin(ph - 0.6)
    elif name == "lamp":     # tungsten: 8x cold inrush decaying in 60 ms
        t = np.arange(len(v)) / FS
        i = v * 500.0 / 220.0 ** 2 * (1.0 + 7.0 * np.exp(-np.clip(t - 1.0, 0, None) / 0.06))
    else:
        i = am.dimmer(v, ph, FS, power_w=1500.0, firing_deg=45.0, v_rms=220.0, rng=rng)
    i = _switch_on(i, v, FS)
    assert ResistiveLoadDetector().update(analyze(i, v, fs=FS, waveforms=True)) == []


def test_pf_floor():
    assert resistive_pf_floor(2000.0) == pytest.approx(0.975)
    assert resistive_pf_floor(200.0) == pytest.approx(0.95)
    assert resistive_pf_floor(200.0) < resistive_pf_floor(600.0) < resistive_pf_floor(1000.0)


def test_features_of_a_pure_resistor():
    class S:
        def __init__(self, g, p):
            th = 2 * np.pi * np.arange(128) / 128
            self.v_wave = 311.0 * (np.sin(th) + 0.03 * np.sin(3 * th))
            self.i_wave = g * self.v_wave
            self.p, self.q, self.v_rms, self.i_peak = p, 0.0, float(np.sqrt(np.mean(self.v_wave ** 2))), float(np.max(self.i_wave))
    pre, post = S(0.0, 0.0), S(0.01, 0.01 * (311.0 ** 2) * (1 + 0.03 ** 2) / 2)
    f = delta_features(pre, post)
    assert f["pf"] == pytest.approx(1.0, abs=1e-9)
    assert f["mismatch"] < 1e-9 and f["shoulder"] == 0.0


# -- phase choppers ---------------------------------------------------------------------
@pytest.mark.parametrize("fs", [6400.0, 10000.0])
def test_chopped_heater_caught_by_chopper_only(fs):
    caught = total = 0
    for alpha in range(30, 151, 15):
        rng = np.random.default_rng(alpha)
        v, ph = am.supply(3.0, fs, v_rms=220.0, rng=rng)
        i = _switch_on(am.dimmer(v, ph, fs, power_w=1000.0, firing_deg=alpha, v_rms=220.0, rng=rng), v, fs,
                       seed=alpha)
        table = analyze(i, v, fs=fs, waveforms=True)
        chop = PhaseChopperDetector().update(table)
        res = ResistiveLoadDetector().update(table)
        arc = ArcFaultDetector().update(table)
        total += 1
        if chop and not res and not arc:
            caught += 1
            d = chop[0].detail
            assert d["pattern"] == "chopped"
            assert d["full_power_w"] == pytest.approx(1000.0, rel=0.35)
            assert abs(d["firing_angle_deg"] - alpha) < 25
    assert caught / total >= 0.8


def test_creeping_pattern():
    fs = FS
    rng = np.random.default_rng(21)
    v, ph = am.supply(9.0, fs, v_rms=220.0, rng=rng)
    # the knob turned up in small steps: 165 -> 150 -> 135 -> 120 deg every 2 s
    t = np.arange(len(v)) / fs
    alpha = np.select([t < 1.0, t < 3.0, t < 5.0, t < 7.0], [180.0, 165.0, 150.0, 135.0], 120.0)
    i = np.where(np.mod(ph, math.pi) >= np.radians(alpha), v / (220.0 ** 2 / 2000.0), 0.0)
    i += rng.normal(0, 0.01, len(v))
    table = analyze(i, v, fs=fs, waveforms=True)
    # each step is itself a slice of chopped current: caught at the first step
    alerts = PhaseChopperDetector().update(table)
    assert alerts and alerts[0].detail["pattern"] == "chopped" and abs(alerts[0].sample / fs - 1.0) < 0.05
    # with the shape rule disabled, the rising P and Q steps alone give the creeping pattern
    alerts = PhaseChopperDetector(min_power_w=50.0, min_shoulder=1.0).update(table)
    creep = [a for a in alerts if a.detail["pattern"] == "creeping"]
    assert creep and len(creep[0].detail["steps"]) >= 3
    assert all(a.kind == "phase_chopper" and a.explanation for a in alerts)


def test_heater_is_not_a_chopper():
    v, ph = _supply(22)
    i = _switch_on(v * 1500.0 / 220.0 ** 2, v, FS)
    assert PhaseChopperDetector().update(analyze(i, v, fs=FS, waveforms=True)) == []


# -- overload ------------------------------------------------------------------------------
@given(n=st.integers(0, 200), seed=st.integers(0, 2**31 - 1), cut=st.integers(0, 200))
def test_thermal_scan_matches_reference(n, seed, cut):
    rng = np.random.default_rng(seed)
    i = rng.uniform(0, 40, n)
    i[rng.random(n) < 0.05] = np.nan
    dt = rng.uniform(0.018, 0.022, n)
    ref_state = np.array([0.0, 1.0])
    ref_f, ref_t = thermal_scan_reference(i, dt, ref_state, 16.0, 0.5, 1.69, 1.0)
    state = np.array([0.0, 1.0])
    c = min(cut, n)
    f = np.zeros(n, np.int8)
    th = np.zeros(n)
    assert _core.thermal_scan(i[:c].copy(), dt[:c].copy(), state, 16.0, 0.5, 1.69, 1.0, f[:c], th[:c]) == 0
    assert _core.thermal_scan(i[c:].copy(), dt[c:].copy(), state, 16.0, 0.5, 1.69, 1.0, f[c:], th[c:]) == 0
    np.testing.assert_array_equal(f, ref_f)
    np.testing.assert_allclose(th, ref_t, rtol=1e-12)
    np.testing.assert_allclose(state, ref_state, rtol=1e-12)


def test_overload_curve_points():
    det = OverloadDetector(16.0)
    assert det.trip_time(1.13 * 16) == math.inf                 # IEC 60898-1 non-tripping current
    assert det.trip_time(1.45 * 16) < 3600                      # conventional tripping current
    assert 1.0 <= det.trip_time(2.55 * 16) <= 60.0              # 2.55 In: 1 s .. 60 s
    assert det.trip_time(5 * 16) < det.trip_time(2.55 * 16)


@pytest.mark.parametrize("ratio", [1.6, 2.55, 4.0])
def test_overload_trips_when_the_curve_says(ratio):
    fs = 6400.0
    det = OverloadDetector(10.0, tau_s=5.0)
    expected = det.trip_time(10.0 * ratio)
    n = int((expected + 3.0) * fs)
    t = np.arange(n) / fs
    v = 311.0 * np.sin(2 * np.pi * 50 * t)
    i = math.sqrt(2) * 10.0 * ratio * np.sin(2 * np.pi * 50 * t)
    an = CycleAnalyzer(fs)
    alerts = []
    for k in range(0, n, 3200):
        alerts += det.update(an.push(i[k:k + 3200], v[k:k + 3200]))
    assert len(alerts) == 1
    a = alerts[0]
    assert a.kind == "overload" and "rated" in a.explanation
    assert a.sample / fs == pytest.approx(expected, abs=0.05)
    assert a.detail["ratio"] == pytest.approx(ratio, rel=1e-3)


def test_no_overload_at_rating():
    fs = 6400.0
    t = np.arange(int(60 * fs)) / fs
    v = 311.0 * np.sin(2 * np.pi * 50 * t)
    i = math.sqrt(2) * 11.0 * np.sin(2 * np.pi * 50 * t)
    assert OverloadDetector(10.0, tau_s=5.0).update(analyze(i, v, fs=fs)) == []


def test_overload_ignores_uncalibrated_counts():
    # 85 "A" of raw counts is not 85 A: without a calibration nothing is judged
    fs = 6400.0
    t = np.arange(int(20 * fs)) / fs
    v = np.round(8000 * np.sin(2 * np.pi * 50 * t)).astype(np.int16)
    i = np.round(120 * np.sin(2 * np.pi * 50 * t)).astype(np.int16)
    det = cp.OverloadDetector(rated_current_a=16.0)
    table = cp.analyze(i, v, fs=fs)
    assert not table.calibrated
    assert det.update(table) == []
    cal = cp.Calibration(current_scale=1.0, voltage_scale=1.0)
    assert cp.OverloadDetector(rated_current_a=16.0).update(cp.analyze(i, v, fs=fs, calibration=cal))
