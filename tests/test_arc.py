"""ArcFaultDetector: kernel == reference, conformance, synthetic arcs and masking loads.

The arcs and masking loads come from ``tests/arc_models.py``, written
independently of ``currentprint.synth``; a few ``synth.ArcModel`` cases are
checked too.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arc_models as am
from conftest import arc_scan_in_chunks
import currentprint as cp
from currentprint import _core
from currentprint._state import decode, encode
from currentprint.core.analyzer import CycleAnalyzer, analyze
from currentprint.detectors.arc import ArcFaultDetector, iec62606_break_time
from currentprint.errors import InputError

COUNTED = _core.ARC_BITS["counted"]


# -- kernel vs reference --------------------------------------------------------
def _halves(draw_n, rng):
    n = draw_n
    sh = rng.choice([-0.5, 0.0, 0.3, 1.0, 2.0, 3.5, 6.0, 12.0, np.nan], size=n)
    stp = rng.choice([0.03, 0.05, 0.06, 0.1, 0.2, 0.5, np.nan], size=n)
    pk = rng.choice([0.0, 0.05, 1.0, 3.0, 3.3, 10.0, -2.0, np.nan], size=n)
    hf = rng.choice([0.0, 0.01, 0.02, 0.1, np.nan], size=n)
    return sh, stp, pk, hf


@given(n=st.integers(0, 120), seed=st.integers(0, 2**31 - 1), cuts=st.lists(st.integers(0, 120), max_size=4))
def test_arc_scan_matches_reference_in_any_chunking(n, seed, cuts):
    rng = np.random.default_rng(seed)
    sh, stp, pk, hf = _halves(n, rng)
    par = np.array([1.5, 1.0, 0.1, 2.5, 1.0, 0.15, 2.0, 100.0, 0.25])
    n -= n % 2
    sh, stp, pk, hf = sh[:n], stp[:n], pk[:n], hf[:n]
    arc_scan_in_chunks(sh, stp, pk, hf, par, cuts)


def test_arc_scan_rejects_length_mismatch():
    st_ = _core.new_arc_state()
    par = np.zeros(_core.ARC_PARAM_LEN)
    assert _core.arc_scan(np.zeros(4), np.zeros(3), np.zeros(4), np.zeros(4), st_, par,
                          np.zeros(4, np.int32)) == 1


# -- conformance ----------------------------------------------------------------------
@pytest.mark.parametrize("params", [{}, {"mode": "iec62606"}, {"sensitivity": "high", "learn_s": 0.5},
                                    {"sensitivity": "low", "whitelist": [(1.0, 0.3)]}])
def test_check_detector(params):
    testing = pytest.importorskip("currentprint.detectors.testing")
    # the conformance signal holds a series-arc segment: it must be found there too
    assert testing.check_detector(ArcFaultDetector(**params))["alerts"] >= 1
    # and on a recording where it does raise alerts (a series arc on one load, starting
    # after the 0.5 s learning period of params2)
    i, v, _ = am.arc_case(1, fs=6400.0, i_rms=8.0, inductive=True, duration_s=4.0)
    assert testing.check_detector(ArcFaultDetector(**params), signal=(i, v, 6400.0))["alerts"] >= 1


def test_registered_and_exported():
    assert cp.get_detector("arc_fault").name == "arc_fault"
    assert cp.ArcFaultDetector is ArcFaultDetector


@pytest.mark.parametrize("bad", [{"sensitivity": "max"}, {"mode": "ul1699"}, {"count_threshold": 0},
                                 {"window_s": 0.0}, {"whitelist": [1, 2]}, {"step_min": -1.0},
                                 {"shoulder_fraction": 1.5}])
def test_bad_parameters_raise_input_error(bad):
    with pytest.raises(InputError):
        ArcFaultDetector(**bad)


def test_break_time_table():
    # IEC 62606 Table 1 at 230 V
    np.testing.assert_allclose(iec62606_break_time([2.5, 5, 10, 16, 32, 63]), [1, 0.5, 0.25, 0.15, 0.12, 0.12])
    assert iec62606_break_time(1.0) == pytest.approx(1.0)
    assert 0.25 < iec62606_break_time(7.0) < 0.5
    assert iec62606_break_time(100.0) == pytest.approx(0.12)


# -- synthetic series arcs ------------------------------------------------------------
def _push_cycles(i, v, fs, det, calibration=None):
    """Push one mains cycle at a time; return (alert, sample count when it was raised)."""
    an = CycleAnalyzer(fs, calibration=calibration)
    step = int(round(fs / 50))
    out = []
    for k in range(0, len(i), step):
        for a in det.update(an.push(i[k:k + step], v[k:k + step])):
            out.append((a, min(k + step, len(i))))
    return out


CASES = [(fs, i_rms, ind, seed) for fs in (6400.0, 10000.0) for i_rms in (2.5, 5.0, 10.0, 16.0, 32.0)
         for ind in (False, True) for seed in range(3)]


@pytest.mark.parametrize("mode", ["gb14287", "iec62606"])
def test_series_arcs_alarm_within_limit(mode):
    ok = 0
    for fs, i_rms, ind, seed in CASES:
        i, v, t0 = am.arc_case(1000 * seed + int(10 * i_rms) + int(fs) + ind, fs=fs, i_rms=i_rms, inductive=ind,
                               duration_s=2.6, start_s=1.2)
        got = _push_cycles(i, v, fs, ArcFaultDetector(mode=mode))
        limit = float(iec62606_break_time(i_rms)) if mode == "iec62606" else 1.0
        early = [a for a, _ in got if a.sample < t0 * fs - fs / 50]
        late = [(a, when) for a, when in got if a.sample >= t0 * fs - fs / 50]
        if not early and late and (late[0][1] - t0 * fs) / fs <= limit:
            ok += 1
    assert ok / len(CASES) >= 0.95, f"{ok}/{len(CASES)} arcs alarmed in time ({mode})"


def test_synth_arcmodel_alarms_by_default():
    hits = 0
    for seed in range(4):
        sig = cp.synth.synth_signal(duration_s=3.0, fs=6400.0, loads={"h": cp.synth.Resistive(2300.0)},
                                    arc=cp.synth.ArcModel(1.5, 3.0, "h"), seed=seed)
        alerts = ArcFaultDetector().update(analyze(sig.current, sig.voltage, fs=sig.fs))
        hits += bool(alerts) and alerts[0].sample >= 1.5 * sig.fs
    assert hits == 4


def test_alert_explains_itself():
    i, v, t0 = am.arc_case(3, fs=6400.0, i_rms=10.0, inductive=False)
    alerts = ArcFaultDetector().update(analyze(i, v, fs=6400.0))
    assert len(alerts) == 1
    a = alerts[0]
    assert a.kind == "arc_fault" and a.detector == "arc_fault"
    assert "arcing half-cycles" in a.explanation and "\n" not in a.explanation
    d = a.detail
    json.dumps(a.to_dict(), allow_nan=False)
    assert d["counted"] == d["required"] == 14 and d["rule"] == "gb14287"   # the alarm comes at the 14th
    assert len(d["half_cycles"]) == d["counted"]
    assert all(t0 * 6400 - 128 <= s <= a.sample for s in d["half_cycles"])
    assert d["current"] == pytest.approx(10.0, rel=0.15)
    assert 20 <= len(d["rms_history"]["i_rms"]) <= 26           # 500 ms of cycles
    assert set(d["criteria"]) >= {"shoulder", "step", "irregular", "skip", "hf", "counted"}
    assert len(d["snapshot"]["start"]) == 5


def test_iec_mode_uncalibrated_falls_back_and_says_so():
    i, v, _ = am.arc_case(4, fs=6400.0, i_rms=16.0, inductive=False)
    alerts = ArcFaultDetector(mode="iec62606", calibrated=False).update(analyze(i, v, fs=6400.0))
    assert alerts and alerts[0].detail["rule"] == "gb14287"
    assert "not calibrated" in alerts[0].explanation
    fast = ArcFaultDetector(mode="iec62606").update(analyze(i, v, fs=6400.0))
    assert fast[0].detail["rule"] == "iec62606" and fast[0].sample < alerts[0].sample


def test_learning_and_whitelist_discount_evidence():
    i, v, _ = am.arc_case(5, fs=6400.0, i_rms=10.0, inductive=False, start_s=0.5)
    table = analyze(i, v, fs=6400.0)
    assert ArcFaultDetector().update(table)
    assert not ArcFaultDetector(learn_s=3.0).update(table)
    wide = [(sh, stp) for sh in np.arange(0.0, 4.0, 0.3) for stp in (0.1, 0.15, 0.2, 0.27, 0.36, 0.5, 0.7, 0.95, 1.3)]
    assert not ArcFaultDetector(whitelist=wide).update(table)


def test_state_round_trip_mid_arc():
    i, v, _ = am.arc_case(6, fs=6400.0, i_rms=5.0, inductive=True)
    table = analyze(i, v, fs=6400.0)
    whole = ArcFaultDetector().update(table)
    det = ArcFaultDetector()
    k = 80                                   # cycle 80 = 1.6 s: inside the arc, before the alarm
    det.update(table[:k])
    state = json.loads(json.dumps(det.state_dict()))
    fresh = ArcFaultDetector().load_state(state)
    assert [a.sample for a in fresh.update(table[k:])] == [a.sample for a in whole]
    assert decode(encode(det.state_dict())) is not None


@settings(max_examples=15)
@given(cuts=st.lists(st.integers(0, 150), max_size=6))
def test_streaming_equals_batch(cuts):
    i, v, _ = am.arc_case(7, fs=6400.0, i_rms=16.0, inductive=True)
    table = _TABLE_CACHE.setdefault("t", analyze(i, v, fs=6400.0))
    ref = [(a.sample, a.detail["counted"]) for a in ArcFaultDetector(mode="iec62606").update(table)]
    det = ArcFaultDetector(mode="iec62606")
    bounds = sorted({0, len(table), *[min(c, len(table)) for c in cuts]})
    got = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        got += [(x.sample, x.detail["counted"]) for x in det.update(table[a:b])]
    assert got == ref and len(ref) == 1


_TABLE_CACHE: dict = {}


# -- masking loads without arcs -------------------------------------------------------
def _masking_loads(fs, rng):
    v, ph = am.supply(3.0, fs, rng=rng)
    loads = {}
    for a in (30, 45, 60, 75, 90, 105, 120, 135, 150):
        for p in (500.0, 2500.0):
            loads[f"dimmer {a} deg {p:g} W"] = am.dimmer(v, ph, fs, power_w=p, firing_deg=a, rng=rng)
    loads["smps 600 W"] = am.smps(v, fs, power_w=600.0, rng=rng)
    loads["smps 2 kW"] = am.smps(v, fs, power_w=2000.0, rng=rng)
    loads["brush motor 5 A"] = am.brush_motor(ph, fs, i_rms=5.0, rng=rng)
    loads["brush motor 10 A, heavy sparking"] = am.brush_motor(ph, fs, i_rms=10.0, spike_rel=0.6, rng=rng)
    loads["led driver"] = am.led_driver(v, fs, power_w=300.0, rng=rng)
    # switched on after 1 s of no current, as in use
    for k in loads:
        loads[k] = loads[k].copy()
        loads[k][: int(fs)] = 0.0
        loads[k] += rng.normal(0.0, 0.01, len(v))
    return v, loads


@pytest.mark.parametrize("fs", [6400.0, 10000.0])
@pytest.mark.parametrize("mode", ["gb14287", "iec62606"])
def test_masking_loads_stay_silent(fs, mode):
    rng = np.random.default_rng(int(fs) + len(mode))
    v, loads = _masking_loads(fs, rng)
    alarms = {}
    for name, i in loads.items():
        got = ArcFaultDetector(mode=mode).update(analyze(i, v, fs=fs))
        if got:
            alarms[name] = got[0].explanation
    assert alarms == {}


def test_dimmer_knob_turning_stays_silent():
    fs = 6400.0
    rng = np.random.default_rng(11)
    v, ph = am.supply(4.0, fs, rng=rng)
    # firing angle swept 150 -> 30 deg over 3 s (the knob turned up)
    alpha = np.radians(np.clip(150.0 - 40.0 * np.arange(len(v)) / fs, 30.0, 150.0))
    i = np.where(np.mod(ph, math.pi) >= alpha, v / (230.0 ** 2 / 2000.0), 0.0) + rng.normal(0, 0.01, len(v))
    assert ArcFaultDetector(mode="iec62606").update(analyze(i, v, fs=fs)) == []


def test_thermostat_cycling_heater_stays_silent():
    fs = 6400.0
    rng = np.random.default_rng(12)
    v, ph = am.supply(6.0, fs, rng=rng)
    on = (np.arange(len(v)) // int(0.37 * fs)) % 2 == 0        # on/off every 0.37 s, at any phase
    i = np.where(on, v / 20.0, 0.0) + rng.normal(0, 0.01, len(v))
    assert ArcFaultDetector(mode="iec62606").update(analyze(i, v, fs=fs)) == []
