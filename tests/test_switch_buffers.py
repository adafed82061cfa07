"""The switch judges' recent-waveform buffer: the same rows as concatenating, never writing into others' arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st

from currentprint.detectors._switch_on import _append_rows, _keep_rows_of


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 400)), min_size=1, max_size=40))
def test_append_and_keep_equal_concatenate(steps):
    # steps: (rows pushed, rows kept afterwards), as _EventJudge._events does once per push
    rng = np.random.default_rng(len(steps))
    ref = np.empty((0, 8))
    kept = np.empty((0, 8))
    pushed = []
    for n_new, keep in steps:
        new = rng.standard_normal((n_new, 8))
        pushed.append(new)
        before = [p.copy() for p in pushed]
        ref = np.concatenate([ref, new])
        both = _append_rows(kept, new)
        np.testing.assert_array_equal(both, ref)
        ref = ref[max(ref.shape[0] - keep, 0):]
        kept = _keep_rows_of(both, keep)
        np.testing.assert_array_equal(kept, ref)
        # the chunks handed in (a CycleTable's arrays) are never written into
        for p, b in zip(pushed, before):
            np.testing.assert_array_equal(p, b)


def test_foreign_buffer_is_not_extended_in_place():
    big = np.zeros((100, 4))
    view = big[:10]                       # a view with spare rows after it, in an array it does not own
    out = _append_rows(view, np.ones((5, 4)))
    assert not big[10:].any()             # untouched: a new buffer was made
    np.testing.assert_array_equal(out, np.r_[np.zeros((10, 4)), np.ones((5, 4))])
    kept = _keep_rows_of(view, 3)
    assert kept.base is not big and not np.shares_memory(kept, big)


def test_one_huge_chunk_is_not_kept_alive():
    huge = _append_rows(np.empty((0, 4)), np.ones((200_000, 4)))
    kept = _keep_rows_of(huge, 100)
    assert kept.base is not huge.base and kept.base.shape[0] < 10_000
