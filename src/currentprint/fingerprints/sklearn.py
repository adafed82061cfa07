"""scikit-learn bridge: recordings in, fingerprint vectors out.

Needs the optional ``scikit-learn`` extra (``pip install 'currentprint[sklearn]'``);
``import currentprint`` never imports it, only ``import currentprint.sklearn`` does.

Examples
--------
>>> from currentprint.sklearn import FingerprintTransformer        # doctest: +SKIP
>>> from sklearn.pipeline import make_pipeline                       # doctest: +SKIP
>>> from sklearn.neighbors import KNeighborsClassifier               # doctest: +SKIP
>>> clf = make_pipeline(FingerprintTransformer(fs=6400), KNeighborsClassifier(1))  # doctest: +SKIP
>>> clf.fit(recordings, labels)      # recordings: list of (current, voltage) pairs  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, TransformerMixin
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("currentprint.sklearn needs scikit-learn: pip install 'currentprint[sklearn]' "
                      "(or pip install scikit-learn)") from exc

from ..errors import InputError
from .fingerprint import Fingerprint, fingerprint

__all__ = ["FingerprintTransformer"]


class FingerprintTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]  # sklearn has no stubs
    """Turn recordings into :meth:`Fingerprint.vector` rows (stateless transformer).

    Parameters
    ----------
    fs : float
        Sample rate of the recordings, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz (None: detected).
    calibration : Calibration or None
        Scales for ADC counts.
    features : sequence of str or None
        Subset of :attr:`Fingerprint.feature_names` to output (default all).
    nan_value : float or None
        Replace NaN features (phases without voltage, transient without
        event) by this value; ``None`` keeps NaN.

    Notes
    -----
    Each element of ``X`` is one recording: a ``(current, voltage)`` pair,
    a dict with ``"current"`` and optional ``"voltage"``, a 2×n array (rows
    current, voltage), a 1-D current array, or an already computed
    :class:`Fingerprint`.
    """

    def __init__(self, fs: float = 6400.0, mains_hz: float | None = None, calibration=None,
                 features=None, nan_value: float | None = 0.0) -> None:
        self.fs = fs
        self.mains_hz = mains_hz
        self.calibration = calibration
        self.features = features
        self.nan_value = nan_value

    def fit(self, X, y=None) -> "FingerprintTransformer":
        """Nothing to learn; checks the parameters and returns ``self``."""
        self._columns()
        self.n_features_out_ = len(self._columns())
        return self

    def _columns(self) -> np.ndarray:
        names = Fingerprint.feature_names
        if self.features is None:
            return np.arange(len(names))
        idx = {n: k for k, n in enumerate(names)}
        bad = [f for f in self.features if f not in idx]
        if bad:
            raise InputError(f"unknown fingerprint features {bad}; see Fingerprint.feature_names.")
        return np.array([idx[f] for f in self.features])

    def _one(self, rec: Any) -> Fingerprint:
        if isinstance(rec, Fingerprint):
            return rec
        if isinstance(rec, dict):
            cur, vol = rec.get("current"), rec.get("voltage")
        elif isinstance(rec, (tuple, list)) and len(rec) == 2:
            cur, vol = rec
        else:
            arr = np.asarray(rec)
            if arr.ndim == 2 and arr.shape[0] == 2:
                cur, vol = arr[0], arr[1]
            elif arr.ndim == 1:
                cur, vol = arr, None
            else:
                raise InputError("each recording must be (current, voltage), a dict, a 2×n array, a 1-D current "
                                 f"or a Fingerprint; got an array of shape {arr.shape}.")
        return fingerprint(cur, vol, fs=self.fs, mains_hz=self.mains_hz, calibration=self.calibration)

    def transform(self, X) -> np.ndarray:
        """Fingerprint vectors, shape (len(X), n_features)."""
        cols = self._columns()
        out = np.stack([self._one(rec).vector()[cols] for rec in X]) if len(X) else np.empty((0, cols.size))
        if self.nan_value is not None:
            out = np.where(np.isnan(out), float(self.nan_value), out)
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns."""
        names = np.array(Fingerprint.feature_names, dtype=object)
        return names[self._columns()]
