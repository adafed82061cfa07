"""Reused output buffers of the cycle kernel (``_core._out_buffer``).

Large tables are carved from a few kept buffers; a buffer may be handed out again only when no
table, column or view still refers to it. These tests check that a live result is never
overwritten, that views keep their memory, that tables are the same with the pool off, and that
the pool stays bounded. They run on whichever kernel copy is selected (CI runs them with
``CURRENTPRINT_SIMD=baseline`` too).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core

FS = 6400.0          # 100 s give > 1 MB of harmonics, in a few ms


@functools.lru_cache(maxsize=None)
def _signal(seconds: float, seed: int):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    f = 50.0 + 0.2 * np.sin(2 * np.pi * t / 37.0)
    ph = 2 * np.pi * np.cumsum(f) / FS
    v = 325.0 * np.sin(ph)
    amp = 5.0 + 3.0 * (np.sin(2 * np.pi * t / 11.0) > 0)
    i = amp * np.sin(ph - 0.4) + 0.8 * np.sin(3 * ph) + 0.01 * rng.standard_normal(t.size)
    return i, v


def _copy(t: cp.CycleTable):
    return t._data.copy(), t.harmonics.copy(), t.v_harmonics.copy()


def _same(t: cp.CycleTable, ref) -> None:
    np.testing.assert_array_equal(t._data, ref[0])
    np.testing.assert_array_equal(t.harmonics, ref[1])
    np.testing.assert_array_equal(t.v_harmonics, ref[2])


@pytest.fixture
def pool_on():
    _core.set_buffer_pool(True)
    yield
    _core.set_buffer_pool(True)


def test_large_outputs_come_from_the_pool_and_are_reused(pool_on):
    _core.set_buffer_pool(False)            # start empty: no buffers from earlier tests
    _core.set_buffer_pool(True)
    i, v = _signal(100.0, 1)
    t = cp.analyze(i, v, fs=FS, harmonics=25)
    assert t.harmonics.nbytes >= _core.POOL_MIN_BYTES
    assert any(np.shares_memory(t._data, b) for b in _core._pool_list())
    where = t._data.ctypes.data      # (holding the pool's buffers here would keep them busy)
    size = _core.pool_bytes()
    del t
    t2 = cp.analyze(i, v, fs=FS, harmonics=25)
    # the dead table's buffers serve the next one: nothing new is kept
    assert _core.pool_bytes() == size
    assert t2._data.ctypes.data == where


def test_a_live_table_is_never_overwritten(pool_on):
    i1, v1 = _signal(100.0, 1)
    i2, v2 = _signal(100.0, 2)
    a = cp.analyze(i1, v1, fs=FS, harmonics=25)
    ref = _copy(a)
    for _ in range(3):          # more pushes than the pool has slots for idle buffers
        b = cp.analyze(i2, v2, fs=FS, harmonics=25)
        assert not np.shares_memory(a._data, b._data)
        assert not np.shares_memory(a.harmonics, b.harmonics)
        assert not np.shares_memory(a.v_harmonics, b.v_harmonics)
        del b
    _same(a, ref)


def test_a_kept_column_or_view_keeps_its_memory(pool_on):
    i1, v1 = _signal(100.0, 1)
    i2, v2 = _signal(100.0, 2)
    a = cp.analyze(i1, v1, fs=FS, harmonics=25)
    p = a.p                     # a view into the table's block
    h3 = a.harmonics[:, 2]
    p_ref, h3_ref = p.copy(), h3.copy()
    del a
    for _ in range(4):
        b = cp.analyze(i2, v2, fs=FS, harmonics=25)
        assert not np.shares_memory(b._data, p) and not np.shares_memory(b.harmonics, h3)
        del b
    np.testing.assert_array_equal(p, p_ref)
    np.testing.assert_array_equal(h3, h3_ref)


def test_tables_identical_with_the_pool_off(pool_on):
    i, v = _signal(100.0, 3)
    on = _copy(cp.analyze(i, v, fs=FS, harmonics=25))
    _core.set_buffer_pool(False)
    assert _core.pool_bytes() == 0
    off = cp.analyze(i, v, fs=FS, harmonics=25)
    _same(off, on)
    assert _core.pool_bytes() == 0


def test_pool_is_bounded_and_small_outputs_are_not_pooled(pool_on):
    _core.set_buffer_pool(False)
    _core.set_buffer_pool(True)
    i, v = _signal(4.0, 1)                  # 200 cycles: well under POOL_MIN_BYTES
    cp.analyze(i, v, fs=FS, harmonics=25)
    assert _core.pool_bytes() == 0
    i, v = _signal(100.0, 1)
    keep = [cp.analyze(i, v, fs=FS, harmonics=h) for h in (20, 25, 30, 35, 40)]
    assert len(_core._pool_list()) <= _core.POOL_SLOTS
    assert _core.pool_bytes() <= _core.POOL_TOTAL_BYTES
    assert all(len(t) == len(keep[0]) for t in keep)


def test_threads_sharing_the_pool_get_their_own_tables(pool_on):
    sigs = [_signal(100.0, s) for s in (1, 2, 3, 4)]
    ref = [_copy(cp.analyze(i, v, fs=FS, harmonics=25)) for i, v in sigs]
    with ThreadPoolExecutor(max_workers=4) as ex:
        for _ in range(2):
            tables = list(ex.map(lambda s: cp.analyze(s[0], s[1], fs=FS, harmonics=25), sigs))
            for t, r in zip(tables, ref):
                _same(t, r)
            for a in range(len(tables)):
                for b in range(a + 1, len(tables)):
                    assert not np.shares_memory(tables[a]._data, tables[b]._data)


def test_arc_evidence_scratch_comes_from_the_pool_and_live_evidence_is_kept(pool_on):
    from currentprint.detectors.arc import ArcFaultDetector
    i, v = _signal(100.0, 1)
    t = cp.analyze(i, v, fs=FS, waveforms=True)
    ev = ArcFaultDetector().evidence(t)          # 5000 cycles: ~1.2 MB of per-call scratch
    assert ev["code"].nbytes * 30 >= _core.POOL_SCRATCH_MIN_BYTES
    assert any(np.shares_memory(ev["code"], b) for b in _core._pool_list())
    ref = {k: x.copy() for k, x in ev.items()}
    ev2 = ArcFaultDetector().evidence(t)         # ev is alive: another block
    assert not any(np.shares_memory(ev[k], ev2[k]) for k in ev)
    for k, x in ref.items():
        np.testing.assert_array_equal(ev[k], x)
    del ev, ev2
    size = _core.pool_bytes()
    ev3 = ArcFaultDetector().evidence(t)         # a dead evidence's block serves the next call
    assert _core.pool_bytes() == size
    assert any(np.shares_memory(ev3["code"], b) for b in _core._pool_list())
    for k, x in ref.items():
        np.testing.assert_array_equal(ev3[k], x)
    # one cycle per call (a Monitor push): small scratch is plain memory, not kept
    n_kept = len(_core._pool_list())
    ArcFaultDetector().evidence(t[:1])
    assert len(_core._pool_list()) == n_kept
