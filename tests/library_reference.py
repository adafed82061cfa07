"""An independent reference of the FingerprintLibrary metric and open-set radius.

Written from the description in the library's module docstring, not from
its code: per-column pooled within-label spread around each label's
median, floored at ``spread_floor`` x the overall spread; group weights
split over their columns; RMS-normalised weighted Euclidean distance;
leave-one-out nearest same-label distances, their 90th percentile times
``unknown_factor`` (at least ``min_radius``; single-entry labels get the
median of the others). Only the embedding (the feature definition,
``embed``) is shared. Fingerprints with missing features are not handled.
"""

from __future__ import annotations

import math

import numpy as np


def _embed(vecs):
    from currentprint.fingerprints.library import EMBED_GROUPS, embed
    return embed(np.asarray(vecs, dtype=float)), EMBED_GROUPS


class ReferenceMetric:
    def __init__(self, fps, labels, params: dict, *, radius: bool = True) -> None:
        from scipy.spatial.distance import cdist

        e, groups = _embed(np.stack([fp.vector() for fp in fps]))
        if not np.all(np.isfinite(e)):
            raise ValueError("the reference does not impute missing features")
        self.labels = list(labels)
        lab_arr = np.array(self.labels)
        names = sorted(set(self.labels))
        total = np.sqrt(np.mean((e - e.mean(axis=0)) ** 2, axis=0))
        num = np.zeros(e.shape[1])
        den = 0
        for lab in names:
            sub = e[lab_arr == lab]
            if len(sub) < 2:
                continue
            num += np.sum((sub - np.median(sub, axis=0)) ** 2, axis=0)
            den += len(sub) - 1
        scale = np.sqrt(num / den) if den > 0 else total.copy()
        scale = np.maximum(scale, params["spread_floor"] * total)
        scale = np.where(scale > 1e-9, scale, 1.0)
        gw = params["group_weights"]
        size = {g: int(np.sum(groups == g)) for g in gw}
        raw = np.array([gw[g] / size[g] for g in groups])
        self.w = np.sqrt(raw / raw.sum()) / scale
        self.x = e * self.w
        self._cdist = cdist
        self.radius = {}
        if not radius:
            return
        # leave-one-out nearest same-label distance -> radius per label
        q = {}
        for lab in names:
            sub = self.x[lab_arr == lab]
            if len(sub) < 2:
                continue
            d = cdist(sub, sub)
            np.fill_diagonal(d, np.inf)
            q[lab] = float(np.quantile(d.min(axis=1), 0.9))
        glob = float(np.median(list(q.values()))) if q else params["min_radius"]
        self.radius = {lab: max(params["unknown_factor"] * q.get(lab, glob), params["min_radius"])
                       for lab in names}

    def nearest(self, fp) -> tuple[str, float]:
        """(label, distance) of the nearest enrolled fingerprint."""
        e, _ = _embed(fp.vector()[None, :])
        d = self._cdist(self.x, e * self.w)[:, 0]
        k = int(np.argmin(d))
        return self.labels[k], float(d[k])
