"""Boundary tests of the heating-load rules and of the overload curve.

Heater rules: the after-minus-before steady states of a switch-on are built
exactly (a resistor copying the voltage's distortion, plus a controlled
quadrature current, un-copied distortion, inrush peak or power), and each
rule is put 1-3 % either side of its limit -- the limit taken from the
detector's parameters and documented formulas -- through
:meth:`ResistiveLoadDetector.judge`, the decision every alert goes through.

Overload: the thermal model at the IEC 60898-1 points (1.13 I_n: no trip
within 1 h; 1.45 I_n: trip within 1 h; 2.55 I_n: 1-60 s for I_n <= 32 A)
with the default detector, fed real cycle tables, and at its own trip
ratio from its parameters.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import currentprint as cp
from currentprint.detectors.resistive import resistive_pf_floor

N = 128
TH = 2 * np.pi * np.arange(N) / N
U = 220.0
H3 = 0.03


def _voltage():
    v = np.sin(TH) + H3 * np.sin(3 * TH)
    return v * U / np.sqrt(np.mean(v * v))          # exactly U V RMS: power needs no normalising


def _states(power_w: float, *, pf: float = 1.0, copy: float = 1.0, inrush: float = 1.0):
    """pre/post/transient of a load of ``power_w`` W with incremental PF ``pf``,
    copying ``copy`` of the voltage's 3rd harmonic, switch-on peak ``inrush`` x the new peak."""
    v = _voltage()
    v1 = U / np.sqrt(1 + H3 ** 2) * np.sqrt(2) * np.sin(TH)      # the voltage's fundamental
    v3 = v - v1
    q1 = U / np.sqrt(1 + H3 ** 2) * np.sqrt(2) * np.cos(TH)      # quadrature of the fundamental
    g = 1.0
    i = g * (v1 + copy * v3)
    # quadrature share b (per unit of g) for the requested incremental PF
    lo, hi = 0.0, 5.0
    for _ in range(100):
        b = 0.5 * (lo + hi)
        d = i + b * q1
        got = np.mean(d * v) / (U * np.sqrt(np.mean(d * d)))
        lo, hi = (b, hi) if got > pf else (lo, b)
    d = i + (0.5 * (lo + hi) if pf < 1.0 else 0.0) * q1
    d *= power_w / np.mean(d * v)                                  # exact power
    pre = SimpleNamespace(p=0.0, q=0.0, v_rms=U, i_peak=0.0, i_wave=np.zeros(N), v_wave=v)
    post = SimpleNamespace(p=float(np.mean(d * v)), q=0.0, v_rms=U, i_peak=float(np.max(np.abs(d))), i_wave=d,
                           v_wave=v)
    tr = SimpleNamespace(peak=inrush * post.i_peak)
    return pre, post, tr


def _judge(det, *args, **kw):
    ok, f, rules = det.judge(*_states(*args, **kw))
    return ok, f, rules


def test_a_clean_heater_passes_every_rule():
    ok, f, rules = _judge(cp.ResistiveLoadDetector(), 1500.0)
    assert ok and all(r["passed"] for r in rules.values())
    assert f["power_w"] == pytest.approx(1500.0, rel=1e-9) and f["pf"] == pytest.approx(1.0, abs=1e-9)


def test_documented_defaults():
    p = cp.ResistiveLoadDetector().get_params()
    assert p["min_power_w"] == 200.0 and p["whitelist_tolerance"] == 0.10 and p["pf_min"] is None
    # PF floor: 0.975 from 1 kW, relaxed linearly to 0.95 at 200 W (documented)
    for w, floor in ((5000.0, 0.975), (1000.0, 0.975), (600.0, 0.9625), (200.0, 0.95), (50.0, 0.95)):
        assert resistive_pf_floor(w) == pytest.approx(floor, abs=1e-12)


@pytest.mark.parametrize("power", [300.0, 600.0, 1000.0, 2500.0])
def test_pf_floor_boundary(power):
    det = cp.ResistiveLoadDetector()
    floor = resistive_pf_floor(power)
    ok_hi, f_hi, r_hi = _judge(det, power, pf=floor + 0.002)
    ok_lo, f_lo, r_lo = _judge(det, power, pf=floor - 0.002)
    assert f_hi["pf"] == pytest.approx(floor + 0.002, abs=1e-6) and r_hi["pf"]["limit"] == pytest.approx(floor)
    assert ok_hi and r_hi["pf"]["passed"]
    assert not ok_lo and not r_lo["pf"]["passed"]
    # an explicit pf_min is the rule
    assert not _judge(cp.ResistiveLoadDetector(pf_min=floor + 0.004), power, pf=floor + 0.002)[0]


@pytest.mark.parametrize("power_frac", [0.98, 1.02])
def test_power_floor_boundary(power_frac):
    for min_p in (cp.ResistiveLoadDetector().min_power_w, 750.0):
        det = cp.ResistiveLoadDetector(min_power_w=min_p)
        ok, f, rules = _judge(det, min_p * power_frac)
        assert rules["power"]["limit"] == min_p
        assert ok == (power_frac > 1) == rules["power"]["passed"]


def test_voltage_copy_boundary():
    det = cp.ResistiveLoadDetector()
    _, f, rules = _judge(det, 1500.0)
    limit = rules["proportional"]["limit"]
    # documented: min(mismatch_tol, max(0.01, v_thd / 2))
    assert limit == pytest.approx(min(det.mismatch_tol, max(0.01, 0.5 * f["v_thd"])))
    # a delta that copies the fraction c of the voltage's distortion mismatches by (1 - c) * H3
    for frac, want in ((0.97, True), (1.03, False)):
        c = 1 - frac * limit / H3
        ok, f2, r2 = _judge(det, 1500.0, copy=c)
        assert f2["mismatch"] == pytest.approx(frac * limit, rel=1e-6)
        assert r2["proportional"]["passed"] == want and ok == want


def test_inrush_boundary():
    det = cp.ResistiveLoadDetector()
    limit = det.get_params().get("max_inrush")
    if limit is None:
        pytest.skip("the inrush rule no longer has a max_inrush parameter")
    for frac, want in ((0.99, True), (1.01, False)):
        ok, f, rules = _judge(det, 1500.0, inrush=frac * limit)
        assert f["inrush"] == pytest.approx(frac * limit, rel=1e-9)
        assert rules["inrush"]["passed"] == want and ok == want


@pytest.mark.parametrize("white", [600.0, 2000.0])
def test_whitelist_band(white):
    tol = cp.ResistiveLoadDetector().whitelist_tolerance
    det = cp.ResistiveLoadDetector(whitelist=(white,))
    for frac, listed in ((1 - 0.97 * tol, True), (1 + 0.97 * tol, True), (1 - 1.03 * tol, False),
                         (1 + 1.03 * tol, False)):
        ok, f, rules = _judge(det, white * frac)
        assert ok == (not listed), frac
        assert ("whitelist" in rules) == listed


# -- overload ------------------------------------------------------------------------------
FS = 6400.0


def _second(i_rms: float):
    """One second of cycles at ``i_rms`` A (fed repeatedly: the model reads i_rms and the period)."""
    t = np.arange(int(FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50 * t)
    return cp.analyze(i_rms * np.sqrt(2) * np.sin(2 * np.pi * 50 * t), v, fs=FS)


def _trip_after(det, i_rms: float, max_s: int) -> float:
    """Seconds of constant current until the first alert (inf if none within ``max_s``)."""
    table = _second(i_rms)
    per_table = float(np.sum(table.period)) / FS        # whole cycles only: a little under 1 s
    t0 = float(table.start[0])
    for s in range(int(max_s / per_table) + 1):
        alerts = det.update(table)
        if alerts:
            # time of the cycle that tripped, counted in cycles of the model
            return s * per_table + (alerts[0].sample - t0) / FS
    return math.inf


@pytest.mark.parametrize("rated", [6.0, 16.0, 32.0])
def test_overload_iec60898_points(rated):
    # conventional non-tripping current: no trip within 1 h
    assert _trip_after(cp.OverloadDetector(rated), 1.13 * rated, 3600) == math.inf
    # conventional tripping current: within 1 h
    t145 = _trip_after(cp.OverloadDetector(rated), 1.45 * rated, 3600)
    assert t145 < 3600
    # 2.55 I_n: between 1 s and 60 s (I_n <= 32 A)
    t255 = _trip_after(cp.OverloadDetector(rated), 2.55 * rated, 120)
    assert 1.0 < t255 <= 60.0
    # and the simulated times are the model's
    det = cp.OverloadDetector(rated)
    assert t145 == pytest.approx(det.trip_time(1.45 * rated), abs=0.03)
    assert t255 == pytest.approx(det.trip_time(2.55 * rated), abs=0.03)


def test_overload_trip_ratio_is_the_boundary():
    det0 = cp.OverloadDetector(10.0, tau_s=2.0)
    k = det0.get_params()["trip_ratio"]
    # just above the trip ratio: trips, at the time of the documented model
    expect = 2.0 * math.log(1.02 ** 2 / (1.02 ** 2 - 1))
    got = _trip_after(cp.OverloadDetector(10.0, tau_s=2.0), 10.0 * 1.02 * k, 60)
    assert got == pytest.approx(expect, abs=0.03)
    # just below: never, however long
    assert _trip_after(cp.OverloadDetector(10.0, tau_s=2.0), 10.0 * 0.98 * k, 60) == math.inf


def test_overload_documented_curve():
    """The class docstring's numbers: 98 s at 1.45 I_r, 18 s at 2.55 I_r, 4.2 s at 5 I_r (defaults)."""
    p = cp.OverloadDetector().get_params()
    assert p["tau_s"] == 60.0 and p["trip_ratio"] == 1.3 and p["rated_current_a"] == 16.0
    for ratio, doc_s in ((1.45, 98.0), (2.55, 18.0), (5.0, 4.2)):
        got = _trip_after(cp.OverloadDetector(), 16.0 * ratio, 200)
        x2, k2 = ratio ** 2, p["trip_ratio"] ** 2
        assert got == pytest.approx(p["tau_s"] * math.log(x2 / (x2 - k2)), abs=0.03)   # first-order model
        assert got == pytest.approx(doc_s, rel=0.03)
