"""Series arcs of a circuit-driven model and masking loads of other constructions (tests/arc_models.py).

The arc here is not drawn but follows from the circuit: an Ayrton arc
characteristic goes out where the supply can no longer drive the load current
through it and re-strikes at a random voltage (see ``arc_models.ayrton_arc_branch``).
These models share nothing with ``currentprint.circuits``; the detector was
not tuned on them (``benchmarks/eval_arc.py --only physical`` prints the
table). Known limit, documented in docs/arc-fault.md and not asserted here:
in an inductive branch this model re-ignites with a current *ramp* (the
inductance), which the re-ignition-step evidence does not see. A second
circuit-driven arc (``arc_models.recovery_arc_branch``: column voltage per
half-cycle, dielectric recovery) is checked here for its physics only; the
detector's results on it are in docs/arc-fault.md.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import currentprint as cp
from currentprint.detectors.arc import iec62606_break_time

import arc_models as am

FS = 6400.0
START = 1.5


def _supply(seed: int, seconds: float = 3.0):
    v, _ = am.supply(seconds, FS, rng=np.random.default_rng(100 + seed))
    return v


def _half_cycles(v):
    """Index ranges of the supply's half-cycles (between sign changes)."""
    z = np.flatnonzero(np.diff(np.signbit(v)))
    return list(zip(z[:-1] + 1, z[1:] + 1))


def test_ayrton_arc_physics_resistive():
    v = _supply(0)
    i = am.ayrton_arc_branch(v, FS, i_rms=10.0, start_s=START, rng=np.random.default_rng(3))
    k0 = int(START * FS)
    vr = math.sqrt(np.mean(v * v))
    # before the arc: the resistor's current, exactly
    np.testing.assert_allclose(i[:k0], v[:k0] * 10.0 / vr, rtol=1e-12)
    dark_ms, dark_before_zero = [], 0
    halves = [(a, b) for a, b in _half_cycles(v) if a > k0 + 5 and b < len(v) - 5]
    for a, b in halves:
        seg = np.abs(i[a:b]) < 1e-9
        dark_ms.append(seg.sum() / FS * 1e3)
        # the arc goes out before the supply's zero (the arc voltage outlasts the falling supply)
        dark_before_zero += bool(np.abs(i[a - 2:a]).max() < 1e-9)
    dark_ms = np.array(dark_ms)
    assert (dark_ms > 0).all()                        # every half-cycle has a dead time
    assert dark_ms.std() > 0.1                        # of random length
    assert (dark_ms > 8.0).sum() >= 1                 # and some never re-strike
    assert dark_before_zero >= 0.8 * len(halves)
    # the arc voltage lowers the current; re-strike is a step of a good share of the peak
    assert math.sqrt(np.mean(i[k0:] ** 2)) < 0.97 * 10.0
    assert np.abs(np.diff(i[k0:])).max() > 0.2 * 10.0 * math.sqrt(2)


def test_ayrton_arc_inductive_branch_ramps():
    v = _supply(1)
    i = am.ayrton_arc_branch(v, FS, i_rms=16.0, lag_deg=30.0, start_s=START, rng=np.random.default_rng(4))
    k0 = int(START * FS)
    # before the arc: a 16 A sine lagging by 30 deg (steady state from the first sample)
    assert math.sqrt(np.mean(i[:k0] ** 2)) == pytest.approx(16.0, rel=0.02)
    # after: interrupted near its zeros, but the inductance lets it change only by a ramp
    assert (np.abs(i[k0:]) < 1e-9).sum() > 0.02 * (len(i) - k0)
    assert np.abs(np.diff(i[k0:])).max() < 0.15 * 16.0 * math.sqrt(2)


def _masks(v, seed):
    rng = np.random.default_rng(9000 + seed)
    return {"valley-fill LED": am.valley_fill_led(v, FS, power_w=40, rng=rng),
            "HF electronic transformer": am.electronic_transformer_hf(v, FS, power_w=150, rng=rng),
            "vacuum 60 deg": am.speed_controlled_vacuum(v, FS, power_w=1200, firing_deg=60, rng=rng)}


def test_masking_models_are_what_they_claim():
    v = _supply(2)
    m = _masks(v, 2)
    p = {k: float(np.mean(x * v)) for k, x in m.items()}
    assert p["valley-fill LED"] == pytest.approx(40.0, rel=0.25)
    assert p["HF electronic transformer"] == pytest.approx(150.0, rel=0.1)
    # valley-fill: no line current in the valleys, current near the crest
    vf = m["valley-fill LED"]
    assert np.abs(vf[np.abs(v) < 0.3 * 325]).max() < 0.05
    # the electronic transformer stops near each zero and its HF ripple does not repeat by cycle
    et = m["HF electronic transformer"]
    assert np.abs(et[np.abs(v) < 10.0]).max() < 0.05
    n = int(round(FS / 50))
    assert np.std(et[2 * n:3 * n] - et[3 * n:4 * n]) > 0.05 * np.std(et)
    # the speed control conducts from its firing angle: dark after each voltage zero
    vac = m["vacuum 60 deg"]
    assert (np.abs(vac) < 1e-9).mean() > 0.1 and np.abs(vac).max() > 3.0


def test_resistive_ayrton_arc_found_under_other_masks():
    """Targets of issue 11 on these models: alarmed within 1 s (gb14287) every time; within the IEC 62606
    break time (iec62606) in at least 5 of the 6 cases (the target is 90 %; measured over supplies 2-5
    by eval_arc.py --only physical: the speed-controlled vacuum is the weak mask, 75-83 %)."""
    v = _supply(3)
    on_time, cases = 0, 0
    for name, m in _masks(v, 3).items():
        for amps in (5.0, 16.0):
            b = am.ayrton_arc_branch(v, FS, i_rms=amps, start_s=START, rng=np.random.default_rng(int(amps)))
            table = cp.analyze(m + b, v, fs=FS, waveforms=True)
            a = cp.ArcFaultDetector().update(table)
            assert a and START <= a[0].time <= START + 1.0, (name, amps)
            a = cp.ArcFaultDetector(mode="iec62606").update(table)
            assert a and a[0].time >= START, (name, amps)
            cases += 1
            on_time += a[0].time - START <= float(iec62606_break_time(amps))
            # the same branch without its arc, beside the same load: silent in both modes
            healthy = am.ayrton_arc_branch(v, FS, i_rms=amps, start_s=100.0, rng=np.random.default_rng(int(amps)))
            table = cp.analyze(m + healthy, v, fs=FS, waveforms=True)
            for mode in ("gb14287", "iec62606"):
                assert cp.ArcFaultDetector(mode=mode).update(table) == [], (name, amps, mode)
    assert on_time >= cases - 1, (on_time, cases)


def _restrike_ms(i, v, k0):
    """Per supply half-cycle after ``k0``: ms from the supply's zero to the branch's first current (nan: dark)."""
    out = []
    for a, b in _half_cycles(v):
        if a <= k0 + 5 or b >= len(v) - 5:
            continue
        on = np.flatnonzero(np.abs(i[a:b]) > 1e-9)
        out.append(on[0] / FS * 1e3 if len(on) else np.nan)
    return np.array(out)


def test_recovery_arc_resistive_branch_restrikes_at_random():
    """The second circuit-driven arc (``recovery_arc_branch``): a resistive branch goes dark around
    each zero and re-strikes when the supply exceeds the recovering gap's strength, which moves
    with the column's length from one half-cycle to the next; some half-cycles stay dark."""
    v = _supply(4)
    i = am.recovery_arc_branch(v, FS, i_rms=10.0, start_s=START, rng=np.random.default_rng(5))
    k0 = int(START * FS)
    vr = math.sqrt(np.mean(v * v))
    np.testing.assert_allclose(i[:k0], v[:k0] * 10.0 / vr, rtol=1e-12)
    late = _restrike_ms(i, v, k0)
    seen = late[np.isfinite(late)]
    assert (seen > 0.2).all()                    # a dead time after every zero
    assert seen.std() > 0.2                      # of random length (ms)
    assert np.isnan(late).sum() >= 1             # and a whole half-cycle without re-strike
    assert math.sqrt(np.mean(i[k0:] ** 2)) < 0.95 * 10.0


def test_recovery_arc_inductive_branch_never_jumps():
    """In an R-L branch the current of the second model goes to zero and starts again from zero: no
    sample-to-sample change beyond the supply's own drive through the inductance, and the arc
    voltage, drawn per half-cycle, changes the current from one cycle to the next."""
    v = _supply(5)
    lag = 45.0
    i = am.recovery_arc_branch(v, FS, i_rms=10.0, lag_deg=lag, start_s=START, rng=np.random.default_rng(6))
    k0 = int(START * FS)
    assert math.sqrt(np.mean(i[:k0] ** 2)) == pytest.approx(10.0, rel=0.02)
    l_h = 230.0 / 10.0 * math.sin(math.radians(lag)) / (2 * math.pi * 50.0)
    assert np.abs(np.diff(i[k0:])).max() < 1.1 * 340.0 / (l_h * FS)
    n = int(round(FS / 50))
    # one cycle against the next (the supply is not exactly 50 Hz: compare with the healthy branch's)
    healthy = np.abs(i[k0 - 2 * n:k0 - n] - i[k0 - n:k0]).max()
    moved = [np.abs(i[k0 + c * n:k0 + (c + 1) * n] - i[k0 + (c + 1) * n:k0 + (c + 2) * n]).max()
             for c in range(2, 40)]
    assert np.median(moved) > healthy + 0.1      # A: the column's voltage moved between cycles
