"""The masking-proof arc kernel's C loops (``_arcmask.h``): every compiled copy, the floor's edge.

``arcmask_scan`` runs its second-difference pass in a portable copy, an AVX2 copy and an AVX-512 copy
(chosen like the per-cycle kernel's, see test_simd.py); each must give the NumPy reference's answer
exactly. The candidate test ``|J| >= floor`` is done as ``|J| <= the double below the floor``: rows
whose second differences equal the floor exactly check that edge. Speed is measured by
``benchmarks/arc_instructions.py``, never asserted here.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import given, strategies as st

from currentprint import _core
from currentprint.detectors._arc_reference import arcmask_scan_reference


def _par(*vals):
    """A parameter vector: these first values, any later parameters 0 (their checks off)."""
    par = np.zeros(_core.ARCMASK_PARAM_LEN)
    par[:len(vals)] = vals
    return par


def _scan(X, off, rms, par):
    n, npts = X.shape
    state = _core.new_arcmask_state(npts)
    code, w, s = np.zeros(2 * n, np.int32), np.empty(4 * n), np.empty(2 * n)
    assert _core.arcmask_scan(np.ascontiguousarray(X), off, rms, state, par, code, w, s) == 0
    return code, w, s, state


def _check(X, off, rms, par):
    ref_state = _core.new_arcmask_state(X.shape[1])
    ref = arcmask_scan_reference(X, off, rms, ref_state, par)
    outs = []
    before, env = _core.simd_path(), os.environ.get("CURRENTPRINT_SIMD")
    try:
        # the portable copy, the best the CPU has (AVX-512 where it has it), and the plain AVX2 copy
        for path, var in (("baseline", None), ("auto", None), ("auto", "avx2")):
            if var is None:
                os.environ.pop("CURRENTPRINT_SIMD", None)
            else:
                os.environ["CURRENTPRINT_SIMD"] = var
            _core.set_simd(path)
            outs.append(_scan(X, off, rms, par))
    finally:
        if env is None:
            os.environ.pop("CURRENTPRINT_SIMD", None)
        else:
            os.environ["CURRENTPRINT_SIMD"] = env
        _core.set_simd("auto" if before == "avx2" else "baseline")
    for got in outs:
        for g, r in zip(got, (*ref, ref_state)):
            np.testing.assert_array_equal(g, r)


def _edges(rng, n, npts, step):
    """A sine with an edge of ``step`` that moves from cycle to cycle (|J| = step at the edge)."""
    k = np.arange(npts)
    X = np.empty((n, npts))
    for j in range(n):
        x = np.where(k >= int(rng.integers(3, npts // 2 - 3)), step, 0.0)
        x[npts // 2:] = 0.0
        X[j] = x + rng.choice([0.0, 1e-3]) * rng.normal(size=npts)
    return X


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 8), npts=st.sampled_from([16, 24, 32, 64, 128]),
       step=st.sampled_from([0.25, 0.5, 2.0]), noisy_floor=st.booleans())
def test_both_copies_match_the_reference_at_the_floor(seed, n, npts, step, noisy_floor):
    rng = np.random.default_rng(seed)
    X = _edges(rng, n, npts, step)
    # the absolute floor equal to the step (kept), one ulp above it (dropped), or 0 (every nonzero |J|)
    floor = rng.choice([step, np.nextafter(step, np.inf), 0.0]) if noisy_floor else step
    par = _par(floor, 0.0, 0.0, 1.0, 1.0, 60.0, 0.0, float(npts))
    _check(X, np.zeros(n), np.ones(n), par)


def test_floor_exactly_at_the_step_keeps_it():
    npts = 64
    X = np.zeros((3, npts))
    for j, e in enumerate((10, 14, 11)):
        X[j, e:npts // 2] = 0.5
    for floor in (0.5, np.nextafter(0.5, np.inf)):
        par = _par(floor, 0.0, 0.0, 1.0, 1.0, 60.0, 0.0, 64.0)
        _check(X, np.zeros(3), np.ones(3), par)
    # the floor at the step: the moved edges pair up; just above it: no step at all
    code = _scan(X, np.zeros(3), np.ones(3), _par(0.5, 0.0, 0.0, 1.0, 1.0, 60.0, 0.0, 64.0))[0]
    assert code[2] & _core.ARCMASK_BITS["pair1"]
    above = _par(np.nextafter(0.5, np.inf), 0.0, 0.0, 1.0, 1.0, 60.0, 0.0, 64.0)
    assert not _scan(X, np.zeros(3), np.ones(3), above)[0].any()


def _reignitions(rng, n, npts):
    """Cycles whose branch re-ignites at a random point of each half, from dark into noisy conduction,
    beside a masking edge that repeats (one point of jitter)."""
    X = np.zeros((n, npts))
    h = npts // 2
    edge = int(rng.integers(2, h - 2))
    lvl, noise = rng.choice([1.0, 3.0]), rng.choice([0.1, 0.5])
    for j in range(n):
        for q in (0, 1):
            e = int(rng.integers(1, h - 2))
            X[j, q * h + e + 1:(q + 1) * h] = (1 - 2 * q) * (lvl + noise * rng.normal(size=h - e - 1))
        X[j, edge + int(rng.integers(0, 2)):h] += 2.0
    return X


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 8), npts=st.sampled_from([32, 64, 128]),
       local=st.sampled_from([2.0, 2.8]))
def test_both_copies_match_the_reference_with_the_side_noise_tests(seed, n, npts, local):
    """``MP_LONE_LOCAL`` / ``MP_PAIR_LOCAL``: steps judged on the noise on each side of them."""
    rng = np.random.default_rng(seed)
    X = _reignitions(rng, n, npts)
    par = _par(0.2, 0.0, 2.8, 0.5, 2.0, 25.0, 1.0, float(npts // 2), 0.5, 0.5, 0.5, 0.0, local, local)
    _check(X, rng.choice([0.0, 0.4, 0.9], size=n), np.ones(n), par)


def _repeating(rng, n, npts):
    """A masking load's cycles: the same edges every cycle, some moved by a point, whole-number
    steps so that |J| of a row ties with the other rows' exactly (half, equal, double), and a
    re-ignition now and then. (No NaN: on a NaN block noise the kernel's fmax and the reference's
    Python max disagree about ``pair_local``, on main as well; a NaN point of a row was checked
    against the kernel before the screens instead, see benchmarks/README "Cost of the arc detector".)"""
    h = npts // 2
    edges = [(int(rng.integers(1, npts - 3)), float(rng.choice([-4.0, -2.0, 2.0, 4.0, 8.0])))
             for _ in range(int(rng.integers(1, 5)))]
    X = np.zeros((n, npts))
    for j in range(n):
        for e, size in edges:
            e = min(npts - 3, max(1, e + int(rng.choice([0, 0, 0, 1, -1]))))
            X[j, e:] += size * rng.choice([1.0, 1.0, 0.5, 2.0])
        if rng.random() < 0.3:    # a re-ignition of the half's sign
            q = int(rng.integers(0, 2))
            e = q * h + int(rng.integers(1, h - 2))
            X[j, e:(q + 1) * h] += (1 - 2 * q) * float(rng.choice([2.0, 4.0]))
    return X


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 10), npts=st.sampled_from([16, 32, 64, 128]),
       pset=st.integers(0, 1))
def test_both_copies_match_the_reference_on_repeating_edges(seed, n, npts, pset):
    """The screens of arcmask_scan against the rows before (the one-branch screen for the usual
    match distances 1 and 2, the tests one by one otherwise): ties, every shift up to the clamp."""
    rng = np.random.default_rng(seed)
    X = _repeating(rng, n, npts)
    par = [_par(0.2, 0.01, 2.8, 0.5, 2.0, 25.0, 1.0, 38.0, 1.0, 0.5, 0.5, 1.0, 2.8, 2.8),
           _par(0.2, 0.01, 2.8, 0.5, 3.0, 25.0, 1.0, 38.0, 1.0, 0.5, 0.5, 2.0, 2.8, 2.8)][pset]
    off = rng.choice([0.0, 0.0, 0.4, 0.9, -1.2, 1.6, 7.9, -7.9, 30.0, np.nan], size=n)
    with np.errstate(invalid="ignore"):
        _check(X, off, np.full(n, 5.0), par)
