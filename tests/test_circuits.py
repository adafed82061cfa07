"""circuits: loads recorded one at a time, added onto one mains by voltage-cycle phase."""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint.circuits import Circuit, voltage_cycles
from currentprint.errors import InputError, NonFiniteError

from conftest import data_path

FS = 6400.0


def _mains(f_hz, phase, seconds=3.0, amp=325.0):
    t = np.arange(int(seconds * FS)) / FS
    return amp * np.sin(2 * np.pi * f_hz * t + phase), t


def test_load_keeps_its_phase_to_its_own_voltage():
    base, _ = _mains(49.8, 0.3)
    v_rec, t = _mains(50.3, 2.0)
    i_rec = 5 * np.sqrt(2) * np.sin(2 * np.pi * 50.3 * t + 2.0 - np.radians(30))   # lags by 30 degrees
    c = Circuit(base, FS).add_current(i_rec, v_rec, FS, label="motor")
    tab = cp.analyze(c.current, c.voltage, fs=FS)
    assert np.allclose(tab.pf[2:-2], np.cos(np.radians(30)), atol=2e-4)
    assert np.allclose(tab.i_rms[2:-2], 5.0, rtol=2e-4)
    assert np.allclose(tab.frequency[2:-2], 49.8, atol=1e-3)


def test_resistive_load_follows_the_base_voltage_exactly():
    base, _ = _mains(50.1, 0.0)
    base = base + 15 * np.sin(2 * np.pi * 3 * 50.1 * np.arange(base.size) / FS)     # a distorted mains
    v_rec, _ = _mains(49.9, 1.0)
    c = Circuit(base, FS).add_current(v_rec / 20.0, v_rec, FS, label="heater", on_s=1.0, resistive=True)
    a = int(FS)
    assert np.max(np.abs(c.current[a:] - base[a:] / 20.0)) < 1e-9
    assert np.all(c.current[:a] == 0)


def test_inside_the_base_recording_every_sample_is_its_own():
    v, t = _mains(50.05, 0.7, seconds=2.0)
    i = 3 * np.sin(2 * np.pi * 50.05 * t + 0.2) + 0.5 * np.sin(2 * np.pi * 150.15 * t)
    rec = cp.io.Recording(current=i, voltage=v, fs=FS)
    c = Circuit.from_recording(rec, duration_s=6.0)
    cr = voltage_cycles(v, FS)
    a, b = int(np.ceil(cr[0])), int(cr[-1])
    assert len(c) == int(6 * FS)
    assert np.max(np.abs(c.current[a:b] - i[a:b])) < 1e-12
    # played on in reflected cycle order: no jump anywhere (a jump would look like an event or an arc)
    step = np.max(np.abs(np.diff(i)))
    assert np.max(np.abs(np.diff(c.current))) < 1.05 * step
    tab = cp.analyze(c.current, c.voltage, fs=FS)
    assert np.ptp(tab.i_rms[1:-1]) < 1e-3


def test_truth_energy_is_the_components_energy():
    base, _ = _mains(50.0, 0.0, seconds=4.0)
    v_rec, _ = _mains(50.0, 0.4)
    c = Circuit(base, FS)
    c.add_current(v_rec / 23.0, v_rec, FS, label="kettle", on_s=0.5, off_s=2.5, resistive=True)
    c.add_branch(np.full(int(FS), 0.0), label="nothing", on_s=3.0)
    kettle = c.truth()[0]
    # 230 V RMS on 23 ohm for 2 s
    assert kettle["mean_power_w"] == pytest.approx((325 / np.sqrt(2)) ** 2 / 23.0, rel=1e-3)
    assert kettle["energy_wh"] == pytest.approx(kettle["mean_power_w"] * 2.0 / 3600.0, rel=1e-9)
    assert (kettle["on_sample"], kettle["off_sample"]) == (3200, 16000)


def test_bad_mixtures_are_refused():
    base, _ = _mains(50.0, 0.0)
    c = Circuit(base, FS)
    with pytest.raises(InputError, match="recorded at"):
        c.add_current(base, base, 10000.0, label="x")
    with pytest.raises(InputError, match="outside"):
        c.add_current(base, base, FS, label="x", on_s=5.0)
    with pytest.raises(InputError, match="zero crossings"):
        Circuit(np.ones(6400), FS)
    with pytest.raises(InputError, match="samples"):
        c.add_branch(np.ones(10), label="b")


def test_voltage_that_is_not_one_channel_is_refused():
    # a (voltage, phase) tuple from synth.mains_voltage passed whole, or a NaN dropout:
    # a clear error, not a kernel signature TypeError or a silently wrong framing
    v, phase = _mains(50.0, 0.0)
    with pytest.raises(InputError, match="1-D"):
        voltage_cycles((v, phase), FS)
    with pytest.raises(InputError, match="1-D"):
        cp.circuits.arcing_branch((v, phase), FS, i_rms=5.0)
    bad = v.copy()
    bad[100] = np.nan
    with pytest.raises(NonFiniteError, match="sample 100"):
        voltage_cycles(bad, FS)
    with pytest.raises(InputError, match="real number"):
        cp.core.framing.ZeroCrossingScanner(FS).push(np.array(["a"] * 10))
    with pytest.raises(InputError, match="sample rate"):
        cp.circuits.masking_load("smps", v, 0.0)
    crossings = voltage_cycles(v, FS)
    for bad_crossings in (crossings[::-1], np.array([1.0]), np.array([0.0, np.nan, 3.0]), "abc", None):
        with pytest.raises(InputError, match="zero-crossing positions"):
            cp.circuits.phase_align(bad_crossings, len(v), crossings)
    with pytest.raises(InputError, match="start"):
        cp.circuits.phase_align(crossings, 100, crossings, start=200)


def test_real_recordings_mix():
    ac = cp.io.load_recording(data_path("hfhadc", "air_conditioner_01.npz"))
    kettle = cp.io.load_recording(data_path("hfhadc", "kettle_01.npz"))
    c = Circuit.from_recording(ac, duration_s=6.0).add_recording(kettle, on_s=3.0, resistive=True)
    alone = cp.analyze(kettle.current, kettle.voltage, fs=kettle.fs, calibration=kettle.calibration)
    tab = cp.analyze(c.current, c.voltage, fs=c.fs)
    before, after = tab.p[(tab.time > 0.5) & (tab.time < 2.5)], tab.p[tab.time > 3.5]
    # the kettle's power scales with the base voltage squared (a resistance on another mains)
    v_ratio = np.median(tab.v_rms) / np.median(alone.v_rms)
    assert np.median(after) - np.median(before) == pytest.approx(np.median(alone.p) * v_ratio ** 2, rel=0.02)
