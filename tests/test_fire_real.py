"""Fire detectors on the real recordings (HFHAD-C and Tabanelli, ../shared/data).

* no false arc alarms on any normal load, calibrated (HFHAD-C) or raw ADC
  counts with switching events and saturated inrush (Tabanelli);
* illegal heaters: every HFHAD-C recording switched on after a second of
  zero current (the file's own first second of voltage prepended);
  kettle, water heater, rice cooker and water dispenser must alarm, the
  others (inverter air conditioner, induction cooker, PCs, ...) must not;
* real heater currents behind a (software) phase chopper.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import currentprint as cp
from conftest import hfhadc_files, load_hfhadc, tabanelli_files
from currentprint.detectors.arc import ArcFaultDetector
from currentprint.detectors.chopper import PhaseChopperDetector
from currentprint.detectors.resistive import ResistiveLoadDetector

HEATERS = {"kettle", "water_heater", "rice_cooker", "water_dispenser"}

pytestmark = pytest.mark.slow


def _files(kind):
    files = hfhadc_files() if kind == "hfhadc" else tabanelli_files()
    if not files:
        pytest.skip(f"{kind} recordings not available")
    return files


def _switched_on(path):
    """Current and voltage of a recording with 1 s of zero current (voltage continued) before it."""
    i, v, fs, cal, label = load_hfhadc(path)
    n = int(round(fs))          # HFHAD-C: 128 samples per cycle, so 1 s is 50 whole cycles
    return np.concatenate([np.zeros(n, i.dtype), i]), np.concatenate([v[:n], v]), fs, cal, label


@pytest.mark.parametrize("mode", ["gb14287", "iec62606"])
def test_no_arc_alarm_on_hfhadc(mode):
    alarms = []
    for path in _files("hfhadc"):
        i, v, fs, cal, label = load_hfhadc(path)
        mon = cp.Monitor(fs, calibration=cal, detectors=[ArcFaultDetector(mode=mode)])
        got = mon.run(i, v, chunk=640)
        if got:
            alarms.append((path.name, got[0].explanation))
    assert alarms == []


@pytest.mark.parametrize("mode", ["gb14287", "iec62606"])
def test_no_arc_alarm_on_tabanelli(mode):
    alarms = []
    for path in _files("tabanelli"):
        d = np.load(path)
        mon = cp.Monitor(float(d["fs"]), detectors=[ArcFaultDetector(mode=mode)])
        got = mon.run(d["current"], d["voltage"], chunk=1000)
        if got:
            alarms.append((path.name, got[0].explanation))
    assert alarms == []


def test_no_arc_alarm_when_switched_on():
    alarms = []
    for path in _files("hfhadc")[::3]:
        i, v, fs, cal, label = _switched_on(path)
        got = cp.Monitor(fs, calibration=cal, detectors=[ArcFaultDetector()]).run(i, v, chunk=640)
        if got:
            alarms.append(path.name)
    assert alarms == []


@pytest.fixture(scope="module")
def switch_on_results():
    """Per recording: (label, resistive alerts, chopper alerts) with both detectors in one Monitor."""
    out = []
    for path in _files("hfhadc"):
        i, v, fs, cal, label = _switched_on(path)
        mon = cp.Monitor(fs, calibration=cal, detectors=[ResistiveLoadDetector(), PhaseChopperDetector()])
        got = mon.run(i, v, chunk=640)
        out.append((label, [a for a in got if a.kind == "resistive_load"],
                    [a for a in got if a.kind == "phase_chopper"], path))
    return out


def test_illegal_heaters_alarm_and_others_do_not(switch_on_results):
    rate = collections.defaultdict(list)
    for label, res, _, _ in switch_on_results:
        rate[label].append(bool(res))
        for a in res:
            assert a.explanation and "power_w" in a.detail
            assert abs(a.sample - 6400) <= 128             # at the switch-on
    for label, hits in rate.items():
        frac = float(np.mean(hits))
        if label in HEATERS:
            assert frac >= 0.95, f"{label}: {frac:.0%} alarmed"
        else:
            assert frac <= 0.02, f"{label}: {frac:.0%} alarmed"


def test_no_chopper_alarm_on_real_loads(switch_on_results):
    hits = [label for label, _, chop, _ in switch_on_results if chop]
    assert len(hits) <= 0.02 * len(switch_on_results), hits


def test_whitelisted_dispenser_is_exempt_kettle_is_not(switch_on_results):
    powers = [res[0].detail["power_w"] for label, res, _, _ in switch_on_results
              if label == "water_dispenser" and res]
    reported = float(np.median(powers))
    det_paths = [(label, path) for label, _, _, path in switch_on_results if label in ("water_dispenser", "kettle")]
    fired = collections.defaultdict(list)
    for label, path in det_paths[::2]:
        i, v, fs, cal, _ = _switched_on(path)
        got = cp.Monitor(fs, calibration=cal, detectors=[ResistiveLoadDetector(whitelist=(reported,))]).run(i, v)
        fired[label].append(bool(got))
    assert np.mean(fired["water_dispenser"]) <= 0.05
    assert np.mean(fired["kettle"]) >= 0.95


def _chop(i, v, alpha_deg):
    """Cut a real current like a leading-edge TRIAC: nothing from each voltage zero until alpha."""
    vf = v.astype(float)
    s = np.signbit(vf)
    zeros = np.flatnonzero(s[1:] != s[:-1]) + 1           # voltage zero crossings (both directions)
    half = np.median(np.diff(zeros))
    since = np.full(len(v), np.inf)
    since[zeros] = 0.0
    idx = np.arange(len(v))
    last = np.maximum.accumulate(np.where(np.isfinite(since), idx, -1))
    phase = np.where(last >= 0, (idx - last) / half * 180.0, 0.0)
    return np.where(phase >= alpha_deg, i, 0).astype(i.dtype)


def test_real_heaters_behind_a_chopper():
    files = [p for p in _files("hfhadc") if p.name.startswith(("kettle", "water_heater"))][::8]
    total = caught = 0
    for k, path in enumerate(files):
        for alpha in (30, 60, 90, 120, 150):
            i, v, fs, cal, label = _switched_on(path)
            i = _chop(i, v, alpha + (k % 3) * 5)
            mon = cp.Monitor(fs, calibration=cal,
                             detectors=[PhaseChopperDetector(), ResistiveLoadDetector(), ArcFaultDetector()])
            kinds = {a.kind for a in mon.run(i, v, chunk=640)}
            total += 1
            caught += kinds == {"phase_chopper"}
    assert caught / total >= 0.8, f"{caught}/{total}"
