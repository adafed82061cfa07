"""Open-set boundary of FingerprintLibrary against an independent reference.

Queries are built at 0.97x and 1.03x of a label's acceptance radius (in the
reference metric of ``library_reference.py``): inside is identified,
outside is "unknown". A changed radius rule, distance or confidence cut
moves the boundary and fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from library_reference import ReferenceMetric

T = 2 * np.pi * np.arange(128) / 128
V = 325 * np.sin(T)
SHAPES = {  # (phase shift, 3rd harmonic, its phase, 5th harmonic)
    "heater": (0.0, 0.01, 0.0, 0.0),
    "motor": (0.6, 0.05, 1.0, 0.02),
    "charger": (0.1, 0.6, 3.0, 0.35),
}


WAVES: dict[int, np.ndarray] = {}


def _fp(label, rng, level=1.0):
    ph, h3, p3, h5 = SHAPES[label]
    j = lambda: 1 + 0.03 * rng.standard_normal()  # noqa: E731
    i = 5.0 * level * j() * (np.sin(T - ph * j()) + h3 * j() * np.sin(3 * T + p3) + h5 * j() * np.sin(5 * T))
    fp = _from_waves(i)
    WAVES[id(fp)] = i          # the cycle it was made from (queries scale it)
    return fp


def _from_waves(i):
    from currentprint.fingerprints.fingerprint import fingerprint_from_waves
    return fingerprint_from_waves(i, V)


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(7)
    fps, labels = [], []
    for lab in SHAPES:
        for _ in range(6):
            fps.append(_fp(lab, rng))
            labels.append(lab)
    lib = cp.FingerprintLibrary()
    for lab, fp in zip(labels, fps):
        lib.enroll(lab, fp)
    return lib, fps, labels, ReferenceMetric(fps, labels, lib.get_params())


def test_radius_equals_the_reference(small):
    lib, _, _, ref = small
    for lab in SHAPES:
        assert lib.radius(lab) == pytest.approx(ref.radius[lab], rel=1e-9)


def test_distances_equal_the_reference(small):
    lib, _, _, ref = small
    rng = np.random.default_rng(99)
    for lab in SHAPES:
        for level in (0.5, 1.0, 1.7):
            q = _fp(lab, rng, level)
            want_lab, want_d = ref.nearest(q)
            got = lib.match(q, k=1)[0]
            assert got.label == want_lab
            assert got.distance == pytest.approx(want_d, rel=1e-7, abs=1e-9)


def _query_at(base, ref, label, target):
    """A query (the base fingerprint's current scaled by s > 1) at reference distance ``target``."""
    lo, hi = 1.0, 1.0
    while ref.nearest(_from_waves(base * hi))[1] < target:
        hi *= 1.5
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ref.nearest(_from_waves(base * mid))[1] < target:
            lo = mid
        else:
            hi = mid
    q = _from_waves(base * 0.5 * (lo + hi))
    lab, d = ref.nearest(q)
    assert lab == label and d == pytest.approx(target, rel=1e-6)
    return q


@pytest.mark.parametrize("label", list(SHAPES))
def test_open_set_boundary(small, label):
    lib, fps, labels, ref = small
    k = labels.index(label)
    base = WAVES[id(fps[k])]
    r = ref.radius[label]
    inside = lib.identify(_query_at(base, ref, label, 0.97 * r))
    outside = lib.identify(_query_at(base, ref, label, 1.03 * r))
    assert inside.label == label and 0.5 < inside.confidence < 0.55
    assert outside.label == "unknown" and outside.nearest == label and 0.45 < outside.confidence < 0.5
    assert outside.distance == pytest.approx(1.03 * r, rel=1e-6)


def test_radius_follows_its_parameters(small):
    _, fps, labels, _ = small
    for params in ({"unknown_factor": 1.5}, {"min_radius": 50.0}, {"spread_floor": 0.3}):
        lib = cp.FingerprintLibrary(**params)
        for lab, fp in zip(labels, fps):
            lib.enroll(lab, fp)
        ref = ReferenceMetric(fps, labels, lib.get_params())
        for lab in SHAPES:
            assert lib.radius(lab) == pytest.approx(ref.radius[lab], rel=1e-9), params


def test_single_entry_label_uses_the_library_wide_radius(small):
    lib0, fps, labels, _ = small
    rng = np.random.default_rng(3)
    lone = _fp("charger", rng, 3.0)
    lib = cp.FingerprintLibrary()
    for lab, fp in zip(labels, fps):
        if lab != "charger":
            lib.enroll(lab, fp)
    lib.enroll("lone", lone)
    ref = ReferenceMetric([f for f, l in zip(fps, labels) if l != "charger"] + [lone],
                          [l for l in labels if l != "charger"] + ["lone"], lib.get_params())
    assert lib.radius("lone") == pytest.approx(ref.radius["lone"], rel=1e-9)
