"""Boundary tests of the switching-event thresholds.

A 10 A resistive load with 1 % cycle-to-cycle amplitude noise takes a step
of ``a`` noise units at cycle 70; the statistic of the step grows with
``a`` (about ``6.6 a^2`` chi-square for the steady scan). For each decision
threshold, the step size at which the detector starts to report the event
is found by bisection with the threshold set explicitly to its documented
default; the detector built with its defaults must then report the event
5 % above that size and stay silent 5 % below, and halving/doubling the
threshold must move the boundary. A changed default (doubled or halved)
moves the flip by ~40 % and fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp

FS = 6400.0
N = int(FS / 50)

# documented defaults (EventDetector docstring and DEFAULT_THRESHOLD): change them with the docs
DOCUMENTED = {"threshold": {"steady": 200.0, "cusum": 20.0, "glr": 200.0},
              "gradual_threshold": 200.0, "step_threshold": 25.0, "onset_threshold": 1000.0}


def _table(a: float, seed: int = 1, n_cyc: int = 140, at: int = 70, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    amp = 1 + noise * rng.standard_normal(n_cyc)
    amp[at:] += a * noise
    t = np.arange(N * n_cyc) / FS
    v = 325 * np.sin(2 * np.pi * 50 * t)
    i = 10 * np.sqrt(2) * np.repeat(amp, N) * np.sin(2 * np.pi * 50 * t)
    return cp.analyze(i, v, fs=FS, waveforms=True)


_TABLES: dict = {}


def _events(a: float, **kw) -> list:
    key = round(a, 9)
    if key not in _TABLES:
        _TABLES[key] = _table(a)
    det = cp.EventDetector(**kw)
    return det.push(_TABLES[key]) + det.flush()


def _flip(lo: float, hi: float, **kw) -> tuple[float, float]:
    """Step sizes (lo, hi) within 0.5 % around which the detector starts reporting."""
    assert _events(lo, **kw) == [] and len(_events(hi, **kw)) == 1, kw
    while hi / lo > 1.005:
        mid = (lo * hi) ** 0.5
        if _events(mid, **kw):
            hi = mid
        else:
            lo = mid
    return lo, hi


# (parameter, context that makes it the deciding rule, bracket of step sizes)
CASES = [
    ("threshold", {"method": "steady", "gradual_threshold": 1.0}, (1.0, 30.0)),
    ("threshold", {"method": "cusum", "gradual_threshold": 1.0}, (1.0, 30.0)),
    ("threshold", {"method": "glr", "gradual_threshold": 1.0}, (1.0, 30.0)),
    ("gradual_threshold", {"threshold": 20.0}, (1.0, 30.0)),
    ("step_threshold", {"threshold": 1e6, "onset_threshold": 5.0}, (0.3, 30.0)),
    ("onset_threshold", {"threshold": 1e6}, (5.0, 200.0)),
]


@pytest.mark.parametrize("name,ctx,bracket", CASES, ids=[f"{c[0]}-{c[1].get('method', '')}" for c in CASES])
def test_default_threshold_sits_at_its_documented_boundary(name, ctx, bracket):
    doc = DOCUMENTED[name][ctx["method"]] if name == "threshold" else DOCUMENTED[name]
    lo, hi = _flip(*bracket, **ctx, **{name: doc})
    # the defaults decide exactly like the documented value
    assert _events(0.95 * lo, **ctx) == []
    got = _events(1.05 * hi, **ctx)
    assert len(got) == 1
    assert got[0].cycle in (69, 70)
    # and the parameter is what decides: half of it reports the smaller step, twice it misses the larger
    assert len(_events(0.95 * lo, **ctx, **{name: doc / 2})) == 1
    assert _events(1.05 * hi, **ctx, **{name: doc * 2}) == []


def test_step_statistic_is_in_noise_units():
    """Just above the steady default, the reported step chi-square is just above it too."""
    ctx = {"method": "steady"}
    lo, hi = _flip(1.0, 30.0, **ctx, threshold=DOCUMENTED["threshold"]["steady"])
    ev = _events(1.05 * hi, **ctx)
    assert len(ev) == 1
    # trigger (split of the settle mean) and confirmation (full post mean) differ by the noise of a few cycles
    assert 0.7 * DOCUMENTED["threshold"]["steady"] < ev[0].score < 1.5 * DOCUMENTED["threshold"]["steady"]
    # the chi-square is quadratic in the step: twice the step, four times the statistic
    ev2 = _events(2.1 * hi, **ctx)
    assert ev2[0].score / ev[0].score == pytest.approx((2.1 / 1.05) ** 2, rel=0.25)


def test_documented_defaults():
    p = cp.EventDetector().get_params()
    for name in ("gradual_threshold", "step_threshold", "onset_threshold"):
        assert p[name] == DOCUMENTED[name]
    assert p["threshold"] is None
