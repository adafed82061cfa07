"""The arc detector's compiled half-cycle pass equals its NumPy reference.

``ArcFaultDetector.evidence`` runs ``_core.arc_evidence`` (half-cycle arrays,
``arc_scan``, shoulder checks) and ``_core.arc_mask_merge`` (masking-proof
bits and pair widths); ``_arc_reference.arc_evidence_reference`` is the same
work in NumPy array operations. Both must give identical arrays and leave the
detector in identical states, in any chunking, with and without waveforms,
calibrated or not, and for tables that are not CycleTables (columns stacked).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import currentprint as cp
from currentprint import _core
from currentprint import circuits as C
from currentprint.detectors._arc_reference import arc_evidence_reference
from currentprint.detectors.arc import ArcFaultDetector

FS = 6400.0
_KEYS = ("sample", "code", "shoulder_ms", "step", "mask_width_ms", "mask_step")
_STATE = ("_state", "_sh_hist", "_mstate", "_hc_per_s")


def _tables():
    """Short signals that reach the evidence: arcs under masking loads, dark stretches, raw counts."""
    rng = np.random.default_rng(5)
    t = np.arange(int(1.6 * FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50.02 * t + 0.3) + rng.normal(0, 0.3, len(t))
    dim = C.masking_load("dimmer", v, FS, power_w=500, seed=1, firing_deg=100)
    arc = C.arcing_branch(v, FS, i_rms=8.0, start_s=0.4, seed=3)
    i1 = dim + arc
    i2 = C.masking_load("smps", v, FS, power_w=300, seed=2) + C.arcing_branch(v, FS, i_rms=5.0, kind="motor",
                                                                             start_s=0.2, seed=4)
    # a load that stops and restarts (dark half-cycles, NaN zero crossings)
    i3 = arc.copy()
    i3[int(0.7 * FS):int(0.9 * FS)] = 0.0
    counts = np.round(i1 * 200.0).astype(np.int16)
    vcounts = np.round(v * 50.0).astype(np.int16)
    return [cp.analyze(i1, v, fs=FS, waveforms=True), cp.analyze(i2, v, fs=FS, waveforms=True),
            cp.analyze(i3, v, fs=FS, waveforms=True), cp.analyze(i1, v, fs=FS),
            cp.analyze(counts, vcounts, fs=FS, waveforms=True)]


TABLES = _tables()


class _Columns:
    """A table-like object without a CycleTable's data block (the detector stacks its columns)."""

    def __init__(self, table):
        self._t = table

    def __len__(self):
        return len(self._t)

    def __getattr__(self, name):
        if name == "_data":
            raise AttributeError(name)
        return getattr(self._t, name)


def _same(a, b):
    for k in _KEYS:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert np.asarray(a[k]).dtype == np.asarray(b[k]).dtype, k


def _same_state(d1, d2):
    for k in _STATE:
        x, y = getattr(d1, k), getattr(d2, k)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=k)
        else:
            assert x == y, k


@given(which=st.integers(0, len(TABLES) - 1), cuts=st.lists(st.integers(0, 80), max_size=4),
       masking=st.booleans(), sens=st.sampled_from(["low", "medium", "high"]),
       regular_ms=st.sampled_from([0.0, 0.1, 0.5]), shoulder_fraction=st.sampled_from([0.02, 0.05, 0.2]),
       calibrated=st.sampled_from([None, False]), stacked=st.booleans())
def test_evidence_matches_reference_in_any_chunking(which, cuts, masking, sens, regular_ms, shoulder_fraction,
                                                    calibrated, stacked):
    table = TABLES[which]
    kw = dict(sensitivity=sens, masking=masking, regular_ms=regular_ms, shoulder_fraction=shoulder_fraction,
              calibrated=calibrated)
    det, ref = ArcFaultDetector(**kw), ArcFaultDetector(**kw)
    bounds = sorted({0, len(table), *[min(c, len(table)) for c in cuts]})
    for a, b in zip(bounds[:-1], bounds[1:]):
        part = table[a:b]
        got = det.evidence(_Columns(part) if stacked else part)
        want = arc_evidence_reference(ref, part)
        _same(got, want)
        _same_state(det, ref)


def test_evidence_of_an_empty_table():
    det, ref = ArcFaultDetector(), ArcFaultDetector()
    _same(det.evidence(TABLES[0][:0]), arc_evidence_reference(ref, TABLES[0][:0]))
    _same_state(det, ref)


def test_update_results_do_not_depend_on_the_table_type():
    # the detector reads a CycleTable's data block directly; any object with the columns gives the same alerts
    table = TABLES[0]
    a = ArcFaultDetector().update(table)
    b = ArcFaultDetector().update(_Columns(table))
    assert [(x.sample, x.explanation, repr(x.detail)) for x in a] == [(x.sample, x.explanation, repr(x.detail))
                                                                       for x in b]


def test_kernels_refuse_bad_shapes():
    n = 4
    data = np.zeros((len(_core.ARCEV_COLUMNS), n))
    rows = np.arange(len(_core.ARCEV_COLUMNS), dtype=np.intp)
    out = np.empty((_core.ARCEV_OUT_ROWS, 2 * n))
    code = np.empty(2 * n, dtype=np.int32)
    par = np.zeros(_core.ARC_PARAM_LEN)
    fpar = np.zeros(_core.ARCEV_FPAR_LEN)

    def ev(**kw):
        args = dict(data=data, rows=rows, state=_core.new_arc_state(), par=par, sh_hist=np.zeros(5), fpar=fpar,
                    out=out, code=code)
        args.update(kw)
        return _core.arc_evidence(*args.values())

    assert ev() == 0
    assert ev(rows=rows[:-1]) == 1
    assert ev(rows=np.full_like(rows, 99)) == 1
    assert ev(out=np.empty((_core.ARCEV_OUT_ROWS, 2 * n + 1))) == 1
    assert ev(code=np.empty(2 * n + 1, dtype=np.int32)) == 1
    assert ev(sh_hist=np.array([5.0, 0, 0, 0, 0])) == 1
    assert ev(data=np.zeros((len(_core.ARCEV_COLUMNS), 2 * n))[:, ::2]) == 1     # rows not contiguous
    m = np.zeros(2 * n, dtype=np.int32)
    assert _core.arc_mask_merge(m, np.ones(n), np.ones(n), 1.0, True, FS, 128.0, np.zeros(4 * n),
                                np.zeros(4 * n), np.zeros(2 * n, dtype=np.int32)) == 0
    assert _core.arc_mask_merge(m, np.ones(n), np.ones(n + 1), 1.0, True, FS, 128.0, np.zeros(4 * n),
                                np.zeros(4 * n), np.zeros(2 * n, dtype=np.int32)) == 1


@pytest.mark.parametrize("path", ["baseline", "auto"])
def test_simd_paths_agree_on_the_evidence(path):
    before = _core.simd_path()
    try:
        _core.set_simd(path)
        got = ArcFaultDetector().evidence(TABLES[1])
    finally:
        _core.set_simd("auto" if before == "avx2" else "baseline")
    want = arc_evidence_reference(ArcFaultDetector(), TABLES[1])
    _same(got, want)


def test_kept_evidence_is_not_overwritten_by_later_calls():
    # evidence() returns views of a scratch block that is reused only when nothing refers to it
    table = TABLES[0]
    ev = ArcFaultDetector().evidence(table)
    kept = {k: np.array(v, copy=True) for k, v in ev.items()}
    for _ in range(3):
        ArcFaultDetector().update(table)
        ArcFaultDetector().evidence(table[:40])
    _same(ev, kept)
