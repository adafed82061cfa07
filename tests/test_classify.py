"""classify_load on synthetic loads of known type, at several sample rates and mains frequencies."""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import synth
from currentprint.fingerprints.classify import KINDS, THRESHOLDS, LoadClass, classify_load
from currentprint.errors import InputError
from currentprint.fingerprints.fingerprint import fingerprint, fingerprint_from_waves

RATES = [(6400, 50), (10000, 50), (2000, 50), (30000, 60)]


def _fp(load, fs, hz, seed=0, **kw):
    s = synth.synth_signal(0.3, fs, mains_hz=hz, loads={"x": load}, seed=seed, **kw)
    return fingerprint(s.current, s.voltage, fs=fs)


@pytest.mark.parametrize("fs,hz", RATES)
@pytest.mark.parametrize("load,kind", [
    (synth.Resistive(2000), "resistive"),
    (synth.Resistive(40), "resistive"),
    (synth.Motor(300), "inductive"),
    (synth.Motor(1500, pf=0.7), "inductive"),
    (synth.Rectifier(60), "rectifier"),
    (synth.Rectifier(300), "rectifier"),
    (synth.LEDDriver(10), "rectifier"),
    (synth.PhaseCut(800, firing_angle_deg=45), "phase_cut"),
    (synth.PhaseCut(800, firing_angle_deg=90), "phase_cut"),
    (synth.PhaseCut(800, firing_angle_deg=135), "phase_cut"),
])
def test_synthetic_loads(load, kind, fs, hz):
    got = classify_load(_fp(load, fs, hz))
    assert got.kind == kind, got
    assert isinstance(got, LoadClass) and got.rule and got.kind in KINDS
    assert str(got).startswith(kind)


def test_resistive_with_distorted_voltage_and_sensor_phase_error():
    """A resistor copies a distorted voltage (THD_i = THD_v), and 1 deg of CT phase error is tolerated."""
    t = 2 * np.pi * np.arange(128) / 128
    v = np.sin(t) + 0.06 * np.sin(5 * t) + 0.04 * np.sin(3 * t + 0.3)
    assert classify_load(fingerprint_from_waves(v / 20, v)).kind == "resistive"
    i = np.sin(t - np.radians(1.0))
    assert classify_load(fingerprint_from_waves(i, np.sin(t))).kind == "resistive"
    # but 10 deg lag is not a resistor
    assert classify_load(fingerprint_from_waves(np.sin(t - np.radians(10)), np.sin(t))).kind != "resistive"


def test_half_wave_diode_load():
    t = 2 * np.pi * np.arange(256) / 256
    v = 325 * np.sin(t)
    got = classify_load(fingerprint_from_waves(np.where(v > 0, v / 50, 0.0), v))
    assert got.kind == "half_wave", got
    assert got.evidence["dc_ratio"] == pytest.approx(2 / np.pi, rel=0.02)
    # negative half only: same
    assert classify_load(fingerprint_from_waves(np.where(v < 0, v / 50, 0.0), v)).kind == "half_wave"


def test_trailing_edge_dimmer():
    t = 2 * np.pi * np.arange(256) / 256
    v = 325 * np.sin(t)
    ang = np.mod(t, np.pi)
    i = np.where(ang < np.radians(100), v / 50, 0.0)  # conducts from the zero, cut at 100 deg
    got = classify_load(fingerprint_from_waves(i, v))
    assert got.kind == "phase_cut" and "trailing" in got.rule


def test_capacitive_is_unknown_and_explained():
    t = 2 * np.pi * np.arange(128) / 128
    got = classify_load(fingerprint_from_waves(np.sin(t + 1.0), np.sin(t)))
    assert got.kind == "unknown" and "leading" in got.rule


def test_no_voltage_or_no_current_is_unknown():
    s = synth.synth_signal(0.2, 6400, loads={"x": synth.Resistive(500)}, seed=1)
    got = classify_load(fingerprint(s.current, None, fs=6400))
    assert got.kind == "unknown" and "voltage" in got.rule
    t = 2 * np.pi * np.arange(64) / 64
    assert classify_load(fingerprint_from_waves(np.zeros(64), np.sin(t))).kind == "unknown"
    with pytest.raises(InputError):
        classify_load("kettle")


def test_public_name_and_thresholds_documented():
    assert cp.classify_load is classify_load and cp.LoadClass is LoadClass
    import currentprint.fingerprints.classify as mod
    for key in THRESHOLDS:
        assert key.split("_")[0] in mod.__doc__.lower()
