"""Scoring detectors against ground truth."""

from __future__ import annotations

import math

import numpy as np

from .errors import InputError

__all__ = ["event_scores", "match_events"]


def _positions(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).ravel() if np.size(x) else np.zeros(0)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be finite sample positions.")
    return np.sort(arr)


def match_events(predicted_samples, true_samples, *, tolerance: float) -> list[tuple[int, int]]:
    """Pairs (predicted index, true index) matched one-to-one within ``tolerance``.

    True events are visited in time order and each takes the earliest
    still-unmatched prediction within ``tolerance`` of it. Because every
    true event's window has the same width, this greedy sweep yields a
    matching of maximum size (the interval-scheduling exchange argument), so
    precision and recall are never understated; it is O(n log n). Indices
    refer to the inputs sorted by position.

    Parameters
    ----------
    predicted_samples, true_samples : array_like of numbers
        Event positions, samples (any unit works if both and ``tolerance`` use it).
    tolerance : float
        Largest distance of a match, samples.

    Returns
    -------
    list of (int, int)
    """
    tol = float(tolerance)
    if not math.isfinite(tol) or tol < 0:
        raise InputError(f"tolerance must be a finite number of samples >= 0, got {tolerance!r}.")
    p = _positions(predicted_samples, "predicted_samples")
    t = _positions(true_samples, "true_samples")
    pairs = []
    j = 0
    for i, ti in enumerate(t):
        while j < p.size and p[j] < ti - tol:
            j += 1            # too early for this and for every later true event
        if j < p.size and p[j] <= ti + tol:
            pairs.append((j, i))
            j += 1
    return pairs


def event_scores(predicted_samples, true_samples, *, tolerance: float) -> dict:
    """Precision, recall and F1 of predicted event positions.

    Each true event is matched to at most one prediction and each prediction
    to at most one true event, when they are within ``tolerance`` samples
    (see :func:`match_events`: the matching is one-to-one and of maximum
    size; when several predictions fall in one true event's window the
    earliest free one is taken, not necessarily the closest, so onset errors
    computed from its pairs are upper bounds). Unmatched predictions
    are false positives, unmatched true events false negatives.

    Parameters
    ----------
    predicted_samples : array_like
        Detected event positions, samples.
    true_samples : array_like
        Ground-truth event positions, samples.
    tolerance : float
        Largest ``|predicted - true|`` of a match, samples (e.g. ``0.1 * fs``).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (floats; 1.0 when there is nothing
        to find and nothing was found), ``tp``, ``fp``, ``fn`` (ints).

    Examples
    --------
    >>> from currentprint.evaluate import event_scores
    >>> event_scores([100, 5000, 9000], [110, 5200], tolerance=50)
    {'precision': 0.3333333333333333, 'recall': 0.5, 'f1': 0.4, 'tp': 1, 'fp': 2, 'fn': 1}
    """
    pairs = match_events(predicted_samples, true_samples, tolerance=tolerance)
    n_p = int(np.size(predicted_samples))
    n_t = int(np.size(true_samples))
    tp = len(pairs)
    fp, fn = n_p - tp, n_t - tp
    precision = tp / n_p if n_p else (1.0 if n_t == 0 else 0.0)
    recall = tp / n_t if n_t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
