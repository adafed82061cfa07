"""Arc kernel == reference on structured half-cycle sequences and varied parameters.

The sequences are built from segments that reach every branch of the scan:
ordinary sine-like half-cycles (feeding the typical-step ring), burning
arcs (shoulder + step + same load, irregular or regular shoulders), runs
longer than ``run_max`` (the long-run discount), dark half-cycles that
re-ignite (skips) or stay dark (a load switched off), residual bursts (hf),
loads switching and NaN gaps. Every parameter of the scan is drawn, so a
changed comparison or constant in either implementation shows up as a
difference. ``test_every_evidence_bit_is_reached`` checks that the
deterministic examples actually set every bit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from currentprint import _core
from conftest import arc_scan_in_chunks

B = _core.ARC_BITS
KINDS = ("sine", "arc", "arc_regular", "dark", "off", "hf", "switch", "nan")


def _segments(rng, plan, level):
    sh, stp, pk, hf = [], [], [], []
    for kind, n in plan:
        n = 2 * n                                   # whole cycles
        if kind == "sine":
            sh += list(rng.uniform(-0.5, 0.5, n)); stp += list(rng.uniform(0.02, 0.06, n))
            pk += list(level * rng.uniform(0.95, 1.05, n)); hf += list(rng.uniform(0.005, 0.015, n))
        elif kind in ("arc", "arc_regular"):
            s = rng.uniform(2.0, 8.0, n) if kind == "arc" else np.full(n, rng.uniform(2.0, 8.0))
            sh += list(s); stp += list(rng.uniform(0.1, 0.6, n))
            pk += list(level * rng.uniform(0.8, 1.2, n)); hf += list(rng.uniform(0.01, 0.2, n))
        elif kind == "dark":                        # a dark half-cycle or two, then re-ignition
            k = int(rng.integers(1, 3))
            for j in range(n):
                dark = j % 4 < k
                sh.append(0.0); stp.append(0.03)
                pk.append(level * (rng.uniform(0.0, 0.1) if dark else 1.0)); hf.append(0.01)
        elif kind == "off":                         # switched off: everything dark from here
            sh += [0.0] * n; stp += [0.0] * n; pk += list(rng.uniform(0.0, 0.01, n)); hf += [0.0] * n
            level = level                            # (the next segment switches on again)
        elif kind == "hf":
            sh += list(rng.uniform(-0.5, 0.5, n)); stp += list(rng.uniform(0.02, 0.06, n))
            pk += [level] * n; hf += list(rng.uniform(0.05, 0.5, n))
        elif kind == "switch":                      # a different load level from here
            level = level * float(rng.choice([0.3, 3.0]))
            sh += list(rng.uniform(-0.5, 0.5, n)); stp += list(rng.uniform(0.02, 0.06, n))
            pk += [level] * n; hf += [0.01] * n
        else:                                       # NaN gap (a cycle without a value)
            sh += [np.nan] * n; stp += [np.nan] * n; pk += list(rng.choice([np.nan, level], n)); hf += [np.nan] * n
    return (np.array(sh, float), np.array(stp, float), np.array(pk, float), np.array(hf, float))


def _params(draw_or_rng):
    r = draw_or_rng
    par = np.zeros(_core.ARC_PARAM_LEN)
    par[:9] = [r.uniform(1.0, 4.0),            # shoulder samples
               r.uniform(0.3, 2.0),            # regularity tolerance
               r.uniform(0.05, 0.3),           # step floor (relative)
               r.uniform(1.5, 4.0),            # step ratio to the typical step
               r.choice([0.0, 0.5, 2.0]),      # half peak floor (A)
               r.uniform(0.05, 0.3),           # dark share
               r.uniform(1.5, 4.0),            # hf ratio
               float(r.integers(2, 40)),       # longest run counted (half-cycles)
               r.choice([0.0, 0.1, 1.0])]      # absolute step floor (A)
    if len(par) > 9:                           # parameters added later: neutral-ish values
        par[9:] = r.uniform(0.0, 2.0, len(par) - 9)
    return par


def _compare(sh, stp, pk, hf, par, cuts):
    return arc_scan_in_chunks(sh, stp, pk, hf, par, cuts)


segment = st.tuples(st.sampled_from(KINDS), st.integers(1, 30))


@settings(max_examples=60)
@given(plan=st.lists(segment, min_size=1, max_size=8), seed=st.integers(0, 2**32 - 1),
       level=st.sampled_from([0.3, 3.0, 20.0]), cuts=st.lists(st.integers(0, 500), max_size=3))
def test_arc_kernel_equals_reference_structured(plan, seed, level, cuts):
    rng = np.random.default_rng(seed)
    sh, stp, pk, hf = _segments(rng, [("sine", 10)] + plan, level)
    _compare(sh, stp, pk, hf, _params(rng), cuts)


def test_every_evidence_bit_is_reached():
    """The structured sequences set every bit, in kernel and reference alike."""
    seen = 0
    rng = np.random.default_rng(2024)
    for k in range(40):
        plan = [("sine", 10)] + [(KINDS[int(j)], int(rng.integers(3, 30))) for j in rng.integers(0, len(KINDS), 6)]
        sh, stp, pk, hf = _segments(rng, plan, float(rng.choice([3.0, 20.0])))
        for code in _compare(sh, stp, pk, hf, _params(rng), [int(x) for x in rng.integers(0, len(sh), 2)]):
            seen |= int(code)
    missing = [name for name, bit in B.items() if not seen & bit]
    assert not missing, f"bits never set: {missing}"


def test_run_discount_boundary():
    """A burning arc with irregular shoulders counts until the run passes run_max, then is discounted."""
    rng = np.random.default_rng(5)
    sh, stp, pk, hf = _segments(rng, [("sine", 10), ("arc", 20)], 10.0)
    for run_max in (3.0, 8.0, 15.0):
        par = _params(np.random.default_rng(1))
        par[:9] = [1.5, 0.5, 0.1, 2.0, 0.0, 0.15, 2.0, run_max, 0.0]
        code = _compare(sh, stp, pk, hf, par, [])
        arc = code[20:]
        full = (arc & B["shoulder"]) & 0 | ((arc & (B["shoulder"] | B["step"] | B["loaded"]))
                                            == (B["shoulder"] | B["step"] | B["loaded"]))
        # every half-cycle of the arc has shoulder, step and load: the run grows by one each
        assert full.all()
        run = (arc & B["run"]) != 0
        assert not run[:int(run_max)].any() and run[int(run_max):].all()
        assert not ((arc & B["counted"]) != 0)[int(run_max):].any()


# -- thermal scan: trips and re-arms ------------------------------------------------------
@settings(max_examples=40)
@given(plan=st.lists(st.tuples(st.floats(0.0, 3.0), st.integers(1, 80)), min_size=1, max_size=8),
       seed=st.integers(0, 2**32 - 1), tau=st.floats(0.05, 2.0), trip=st.floats(1.05, 1.6),
       rearm_frac=st.floats(0.3, 0.95), cut=st.integers(0, 400))
def test_thermal_kernel_equals_reference_with_rearming(plan, seed, tau, trip, rearm_frac, cut):
    """Overloads and quiet spells alternate, so the model trips, cools below the re-arm level and trips again."""
    from currentprint.detectors._arc_reference import thermal_scan_reference
    rng = np.random.default_rng(seed)
    rated = 10.0
    i = np.concatenate([np.full(n, ratio * rated) * rng.uniform(0.97, 1.03, n) for ratio, n in plan])
    i[rng.random(len(i)) < 0.02] = np.nan
    dt = rng.uniform(0.018, 0.022, len(i))
    k2, r2 = trip ** 2, (rearm_frac * trip) ** 2
    ref_state = np.array([0.0, 1.0])
    ref_f, ref_t = thermal_scan_reference(i, dt, ref_state, rated, tau, k2, r2)
    state = np.array([0.0, 1.0])
    n, c = len(i), min(cut, len(i))
    f = np.zeros(n, np.int8)
    th = np.zeros(n)
    assert _core.thermal_scan(i[:c].copy(), dt[:c].copy(), state, rated, tau, k2, r2, f[:c], th[:c]) == 0
    assert _core.thermal_scan(i[c:].copy(), dt[c:].copy(), state, rated, tau, k2, r2, f[c:], th[c:]) == 0
    np.testing.assert_array_equal(f, ref_f)
    np.testing.assert_array_equal(th, ref_t)
    np.testing.assert_array_equal(state, ref_state)


def test_thermal_rearms_after_cooling():
    rated, tau, k2, r2 = 10.0, 0.2, 1.3 ** 2, 1.0
    i = np.concatenate([np.full(100, 25.0), np.full(100, 0.0), np.full(100, 25.0)])
    f = np.zeros(300, np.int8)
    th = np.zeros(300)
    assert _core.thermal_scan(i, np.full(300, 0.02), np.array([0.0, 1.0]), rated, tau, k2, r2, f, th) == 0
    assert int(f.sum()) == 2 and f[:100].sum() == 1 and f[200:].sum() == 1


def test_scans_report_bad_lengths():
    n = 4
    z = np.zeros(n)
    code = np.zeros(n, np.int32)
    # arc: state or parameter vector of the wrong length
    assert _core.arc_scan(z, z, z, z, np.zeros(_core.ARC_STATE_LEN + 1), np.zeros(_core.ARC_PARAM_LEN), code) == 1
    assert _core.arc_scan(z, z, z, z, _core.new_arc_state(), np.zeros(_core.ARC_PARAM_LEN - 1), code) == 1
    # thermal: arrays of different lengths
    assert _core.thermal_scan(z, np.zeros(3), np.array([0.0, 1.0]), 1.0, 1.0, 1.69, 1.0, np.zeros(n, np.int8),
                              np.zeros(n)) != 0
    # onset refinement: too few rows or points gives NaN, not a read past the end
    assert np.isnan(_core.onset_refine(np.zeros((2, 8)), np.zeros(2), np.full(2, 128.0), 5.0, 1.5))
