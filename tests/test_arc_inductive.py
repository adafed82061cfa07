"""Series arcs in an inductive (R-L) branch: ``ArcFaultDetector(inductive=True)``.

* ``_core.arcind_scan`` equals its NumPy reference in any chunking, on rows
  built to reach its branches (R-L deficits of delayed re-strikes at random
  places, half-waves missed, relaxations to a changed level, jumps, noise,
  fractional offsets, non-finite values, other points per cycle);
* exact answers on rows whose truth is known;
* the detector with ``inductive=True`` finds a circuit-driven (Ayrton) arc in an
  R-L branch that the default detector misses, explains which evidence counted,
  streams like a batch and survives a state round trip; bad input is refused.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arc_models as am
import currentprint as cp
from currentprint import _core
from currentprint.core.analyzer import analyze
from currentprint.detectors import _arcind_reference as R
from currentprint.detectors.arc import ArcFaultDetector
from currentprint.errors import CorruptFileError, InputError

FS = 6400.0
B = _core.ARCIND_BITS


def _rl_rows(rng, n, npts, amp=10.0):
    """Cycles of an R-L branch (lag 15-35 deg) whose re-strike after each zero is delayed at random.

    A delayed re-strike leaves the branch dark for ``t_d`` and then short of the
    healthy current by the missed ramp, decaying with L/R (the circuit's own
    answer); sometimes the level after the zero changes instead (a relaxation),
    or a jump / spike / noise is added.
    """
    k = np.arange(npts, dtype=float)
    phi = rng.uniform(0.26, 0.61)
    tau = math.tan(phi) * npts / (2 * math.pi)
    z = phi * npts / (2 * math.pi)
    rows = np.empty((n, npts))
    for j in range(n):
        x = amp * np.sin(2 * math.pi * k / npts - phi)
        for h in (0, 1):
            s = 1.0 if h == 0 else -1.0
            z0 = z + h * npts / 2
            mode = rng.integers(0, 5)
            if mode in (0, 1):      # delayed re-strike: dark for t_d points, then the deficit decays
                td = rng.uniform(0.3, 4.0)
                slope = amp * 2 * math.pi / npts
                after = k >= z0 + td
                dark = (k >= z0) & ~after
                x[dark] = 0.0
                x[after] -= s * slope * td * np.exp(-(k[after] - z0 - td) / tau)
            elif mode == 2:         # relaxation to a changed level from the zero
                lev = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 1.5)
                m = k >= z0
                x[m] += lev * (1 - np.exp(-(k[m] - z0) / tau))
            elif mode == 3 and rng.random() < 0.5:   # a jump that stays (a switch-on)
                x[int(rng.integers(1, npts - 1)):] += rng.choice([-3.0, 3.0])
        if rng.random() < 0.1:
            x[int(rng.integers(0, npts))] += 5.0
        x += rng.choice([0.0, 0.005, 0.05]) * rng.normal(size=npts)
        rows[j] = x
    if n and rng.random() < 0.1:
        rows[int(rng.integers(0, n)), int(rng.integers(0, npts))] = rng.choice([np.nan, np.inf])
    return rows


def _scan(X, off, par, tab, npts, bounds):
    state = _core.new_arcind_state(npts)
    got = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        code = np.zeros(2 * (b - a), np.int32)
        assert _core.arcind_scan(np.ascontiguousarray(X[a:b]), off[a:b].copy(), state, par, tab, code) == 0
        got.append(code)
    return (np.concatenate(got) if got else np.zeros(0, np.int32)), state


@given(n=st.integers(0, 12), seed=st.integers(0, 2**31 - 1), cuts=st.lists(st.integers(0, 12), max_size=3),
       npts=st.sampled_from([32, 64, 128]), pset=st.integers(0, 2))
def test_arcind_scan_matches_reference_in_any_chunking(n, seed, cuts, npts, pset):
    rng = np.random.default_rng(seed)
    X = _rl_rows(rng, n, npts)
    off = rng.choice([0.0, 0.3, 0.7, 0.99, -0.4, 5.5, 1e9, np.nan], size=n)
    par = R.arcind_params(npts, *[(0.1, 0.6), (0.05, 0.3), (0.5, 1.0)][pset])
    tab = R.arcind_tables(npts, par)
    ref_state = R.new_arcind_state(npts)
    ref = R.arcind_scan_reference(X, off, ref_state, par, tab)
    got, state = _scan(X, off, par, tab, npts, sorted({0, n, *[min(c, n) for c in cuts]}))
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(state, ref_state)


def test_arcind_scan_reaches_its_evidence_and_matches_on_long_runs():
    """The row generator reaches every bit (so the equality test above compares real decisions)."""
    seen = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        X = _rl_rows(rng, 40, 128)
        off = rng.uniform(0, 1, 40)
        par = R.arcind_params(128)
        tab = R.arcind_tables(128, par)
        ref = R.arcind_scan_reference(X, off, R.new_arcind_state(128), par, tab)
        got, _ = _scan(X, off, par, tab, 128, [0, 17, 40])
        np.testing.assert_array_equal(got, ref)
        for b in B.values():
            seen |= b if (got & b).any() else 0
    assert seen == sum(B.values())


def test_exact_deficit_on_known_rows():
    """A delayed re-strike in an R-L branch gives the deficit bit; the same rows repeated give nothing."""
    npts = 128
    k = np.arange(npts, dtype=float)
    phi = math.radians(25)
    tau = math.tan(phi) * npts / (2 * math.pi)
    z = phi * npts / (2 * math.pi)
    base = 10 * np.sin(2 * math.pi * k / npts - phi)
    late = base.copy()
    td = 2.0
    after = k >= z + td
    late[(k >= z) & ~after] = 0.0
    late[after] -= 10 * 2 * math.pi / npts * td * np.exp(-(k[after] - z - td) / tau)
    X = np.array([base, base, base, late, base, base])
    par = R.arcind_params(npts)
    tab = R.arcind_tables(npts, par)
    code, _ = _scan(X, np.zeros(6), par, tab, npts, [0, 6])
    assert code[6] & B["dr1"] and code[6] & B["dr2"] and code[6] & B["counted"]
    assert not code[:6].any() and not code[7] & B["counted"]
    # a TRIAC-like edge moved by 0.2 point: the deficit is below k_slope points of the peak slope
    small = base.copy()
    small[after] -= 10 * 2 * math.pi / npts * 0.2 * np.exp(-(k[after] - z - td) / tau)
    code, _ = _scan(np.array([base, base, small]), np.zeros(3), par, tab, npts, [0, 3])
    assert not code.any()


def test_exact_dark_half_on_known_rows():
    """A half-wave missed once is credited when it comes back; a whole cycle missed (burst mode) or a
    branch that stays off (a thermostat) is not."""
    npts = 128
    k = np.arange(npts, dtype=float)
    phi = math.radians(35)
    base = 10 * np.sin(2 * math.pi * k / npts - phi)
    dark = base.copy()
    z = int(round(phi * npts / (2 * math.pi)))
    dark[z:z + npts // 2] = 0.0          # no re-strike after the zero: dark until the next zero
    par = R.arcind_params(npts)
    tab = R.arcind_tables(npts, par)
    code, _ = _scan(np.array([base, base, base, dark, base, base]), np.zeros(6), par, tab, npts, [0, 6])
    assert code[8] & B["dark"] and code[8] & B["counted"]
    assert not np.any(code & B["dark"] & ~(np.arange(12) == 8) * B["dark"])
    off = np.zeros(npts)
    for rows in ([base, base, base, off, base, base], [base, base, base, dark, dark, dark, dark]):
        code, _ = _scan(np.array(rows), np.zeros(len(rows)), par, tab, npts, [0, len(rows)])
        assert not np.any(code & B["dark"])


def test_arcind_scan_rejects_bad_shapes():
    npts = 64
    par = R.arcind_params(npts)
    tab = R.arcind_tables(npts, par)
    X = np.zeros((3, npts))
    st_ = _core.new_arcind_state(npts)
    code = np.zeros(6, np.int32)
    assert _core.arcind_scan(X, np.zeros(2), st_, par, tab, code) == 1
    assert _core.arcind_scan(X, np.zeros(3), st_, par, tab[:-1], code) == 1
    assert _core.arcind_scan(X, np.zeros(3), _core.new_arcind_state(32), par, tab, code) == 1
    assert _core.arcind_scan(X, np.zeros(3), st_, par[:-1], tab, code) == 1
    assert _core.arcind_scan(X, np.zeros(3), st_, par, tab, code) == 0


def _supply(seed, duration_s=3.0, fs=FS):
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * fs)) / fs
    return 325.0 * np.sin(2 * np.pi * (50.0 + rng.uniform(-0.1, 0.1)) * t + rng.uniform(0, 6.28))


def _rl_arc(seed=3, amps=10.0, lag=24.0, start=1.0, duration_s=3.0, fs=FS):
    v = _supply(seed, duration_s, fs)
    i = am.ayrton_arc_branch(v, fs, i_rms=amps, lag_deg=lag, start_s=start, rng=np.random.default_rng(seed))
    return i, v


@pytest.mark.parametrize("fs", [FS, 10000.0])
def test_rl_arc_found_only_with_inductive_evidence(fs):
    i, v = _rl_arc(fs=fs)
    chunk = int(fs / 50)
    assert cp.Monitor(fs, detectors=[ArcFaultDetector()]).run(i, v, chunk=chunk) == []
    got = cp.Monitor(fs, detectors=[ArcFaultDetector(inductive=True)]).run(i, v, chunk=chunk)
    assert got and 1.0 < got[0].time <= 2.0
    d = got[0].detail
    assert d["criteria"]["inductive"] > 0
    assert d["criteria"]["inductive"] == sum(1 for e in d["evidence"]
                                             if any(x.startswith("rl_") for x in e["evidence"]))
    assert "inductive branch" in got[0].explanation


def test_healthy_rl_branch_and_no_arc_stay_silent():
    v = _supply(4)
    i = am.ayrton_arc_branch(v, FS, i_rms=10.0, lag_deg=30.0, start_s=100.0, rng=np.random.default_rng(4))
    det = ArcFaultDetector(inductive=True)
    ev = det.evidence(analyze(i, v, fs=FS, waveforms="current"))
    assert not np.any(ev["code"] >> 16)


@given(cuts=st.lists(st.integers(1, 149), max_size=3))
def test_streaming_equals_batch_with_inductive_evidence(cuts):
    i, v = _rl_arc(seed=5, duration_s=2.0)
    table = analyze(i, v, fs=FS, waveforms="current")
    ref = ArcFaultDetector(inductive=True).evidence(table)
    assert np.any(ref["code"] >> 16)
    det = ArcFaultDetector(inductive=True)
    bounds = sorted({0, len(table), *[min(c, len(table)) for c in cuts]})
    parts = [det.evidence(table[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    np.testing.assert_array_equal(np.concatenate([p["code"] for p in parts]), ref["code"])


def test_state_round_trip_mid_arc_with_inductive_evidence():
    i, v = _rl_arc(seed=3)
    full = cp.Monitor(FS, detectors=[ArcFaultDetector(inductive=True)]).run(i, v, chunk=128)
    mon2 = cp.Monitor(FS, detectors=[ArcFaultDetector(inductive=True)])
    cut = int(1.3 * FS)
    first = mon2.run(i[:cut], v[:cut], chunk=128)
    mon3 = cp.Monitor(FS, detectors=[ArcFaultDetector(inductive=True)])
    mon3.load_state(mon2.state_dict())
    rest = mon3.run(i[cut:], v[cut:], chunk=128)
    assert full and [a.sample for a in first + rest] == [a.sample for a in full]


def test_bad_inductive_input_is_refused():
    with pytest.raises(InputError):
        ArcFaultDetector(inductive="yes")
    i, v = _rl_arc(seed=3, duration_s=1.0)
    det = ArcFaultDetector(inductive=True)
    det.update(analyze(i, v, fs=FS, waveforms="current"))
    state = dict(vars(det))
    state["_istate"] = state["_istate"][:-1]
    with pytest.raises(CorruptFileError):
        det.check_state(state)
    state["_istate"] = np.r_[5000.0, 0.0, np.zeros(2 + 2 * 5000)]
    with pytest.raises(CorruptFileError):
        det.check_state(state)


def test_check_detector_with_inductive_evidence():
    from currentprint.detectors import testing
    i, v = _rl_arc(seed=3, duration_s=2.5)
    assert testing.check_detector(ArcFaultDetector(inductive=True), signal=(i, v, FS))["alerts"] >= 1
