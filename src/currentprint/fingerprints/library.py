"""FingerprintLibrary: enrol known appliances, match and identify, say "unknown".

Matching works on an *embedding* of :meth:`Fingerprint.vector` designed for
distances (see ``docs/fingerprints.md``):

* level: log10 of the current RMS (A);
* shape scalars: power factor, THD, crest and form factor, DC ratio;
* harmonic magnitudes 2..15 relative to the fundamental, on a log scale
  ``log10(m + 0.003)`` so that a resistive load's 0.5 % and 3 % differ as
  much as a rectifier's 30 % and 60 %;
* harmonic *phasors* ``(m_k cos φ_k, m_k sin φ_k)`` k = 1..15 (m_1 = 1):
  phases enter weighted by their harmonic's size, so the random phase of a
  negligible harmonic cannot dominate, and the circular wrap at ±π is
  harmless;
* the V–I trajectory descriptors;
* the normalised one-cycle waveform.

Every embedded column is divided by its *pooled within-label spread*
learned from what is enrolled (a diagonal Fisher/LDA scaling: a feature
whose value is stable for each appliance but differs between appliances
gets a large weight), floored at a fraction of its overall spread. Each
group is then weighted by ``GROUP_WEIGHTS[g] / size(g)``, so that the 64
waveform columns cannot outvote the single level column. The distance is
the weighted Euclidean distance divided by the square root of the total
weight (an RMS z-score).

Open set: for every enrolled fingerprint, the leave-one-out distance to the
nearest other fingerprint of the same label is computed; a label's
acceptance radius is ``unknown_factor`` × the 90th percentile of those
distances (never below ``min_radius``; labels with one fingerprint use the
library-wide value). A query farther than the radius of its nearest label
is "unknown".
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np

from .._state import atomic_write_json, decode as _decode, read_json
from ..errors import CorruptFileError, InputError
from .fingerprint import N_HARMONICS, WAVE_POINTS, Fingerprint

__all__ = ["FingerprintLibrary", "Match", "GROUP_WEIGHTS", "UNKNOWN", "embed", "EMBED_GROUPS"]

UNKNOWN = "unknown"
_SCHEMA = "currentprint.fingerprint_library"
_VERSION = 1

#: weight of each feature group in the distance (each group's weight is shared by its columns)
GROUP_WEIGHTS: dict[str, float] = {"level": 2.0, "shape": 1.0, "hmag": 2.0, "phasor": 1.0, "vi": 0.5,
                                   "wave": 1.0}


class Match(NamedTuple):
    """One answer of :meth:`FingerprintLibrary.match` / :meth:`~FingerprintLibrary.identify`.

    Attributes
    ----------
    label : str
        Appliance label, or ``"unknown"`` (identify only).
    distance : float
        Scaled distance to the nearest enrolled fingerprint of the label
        (RMS z-score over the matching features; dimensionless).
    confidence : float
        ``exp(-ln 2 · (distance / radius)²)`` in (0, 1]: 1 for an exact
        match, 0.5 at the label's acceptance radius.
    nearest : str or None
        Property: for an ``"unknown"`` answer of
        :meth:`FingerprintLibrary.identify`, the nearest label, rejected
        (``None`` otherwise). Not part of the tuple, so
        ``label, distance, confidence = match`` always works.
    """

    label: str
    distance: float
    confidence: float

    @property
    def nearest(self) -> str | None:
        """The rejected nearest label of an ``"unknown"`` answer, else None."""
        return getattr(self, "_nearest", None)


class _UnknownMatch(Match):
    """``Match("unknown", distance, confidence)`` that remembers the rejected nearest label."""

    _nearest: str

    def __new__(cls, distance: float, confidence: float, nearest: str) -> "_UnknownMatch":
        self = super().__new__(cls, UNKNOWN, distance, confidence)
        self._nearest = nearest
        return self

    def __getnewargs__(self):
        return (self.distance, self.confidence, self._nearest)

    def __repr__(self) -> str:
        return (f"Match(label={self.label!r}, distance={self.distance!r}, confidence={self.confidence!r}, "
                f"nearest={self._nearest!r})")


_NAMES = Fingerprint.feature_names
_IDX = {n: k for k, n in enumerate(_NAMES)}
_MAG_FLOOR = 0.003


def _col(v: np.ndarray, name: str) -> np.ndarray:
    return v[:, _IDX[name]]


_SHAPE = ("pf", "thd", "crest", "form", "dc_ratio")
_VI = ("vi_area", "vi_asymmetry", "vi_curvature", "vi_mid_slope", "vi_mid_peak", "vi_max_distance")
_I_RMS = _IDX["i_rms"]
_I_SHAPE = np.array([_IDX[n] for n in _SHAPE])
_I_MAG = np.array([_IDX[f"h{k}_mag"] for k in range(2, N_HARMONICS + 1)])
_I_PH = np.array([_IDX[f"h{k}_phase"] for k in range(1, N_HARMONICS + 1)])
_I_VI = np.array([_IDX[n] for n in _VI])
_I_WAVE = np.arange(_IDX["wave_00"], _IDX["wave_00"] + WAVE_POINTS)
#: group of each embedded column, in the order :func:`embed` returns them
EMBED_GROUPS = np.array(["level"] + ["shape"] * len(_SHAPE) + ["hmag"] * (N_HARMONICS - 1)
                        + ["phasor"] * (2 * N_HARMONICS) + ["vi"] * len(_VI) + ["wave"] * WAVE_POINTS)


def embed(v: np.ndarray) -> np.ndarray:
    """Matching embedding of fingerprint vectors.

    Parameters
    ----------
    v : numpy.ndarray, shape (n, len(Fingerprint.feature_names)) or (len(...),)

    Returns
    -------
    numpy.ndarray, shape (n, D)
        Embedded columns (NaN where a feature is missing); the group of
        each column is :data:`EMBED_GROUPS`.
    """
    v = np.atleast_2d(np.asarray(v, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        irms = v[:, _I_RMS:_I_RMS + 1]
        level = np.log10(np.where(irms > 0, irms, np.nan))
        mags = v[:, _I_MAG]
        ph = v[:, _I_PH]
        m = np.concatenate([np.ones((v.shape[0], 1)), mags], axis=1)
        return np.concatenate([level, v[:, _I_SHAPE], np.log10(mags + _MAG_FLOOR), m * np.cos(ph), m * np.sin(ph),
                               v[:, _I_VI], v[:, _I_WAVE]], axis=1)


def _pooled_spread(e: np.ndarray, codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Pooled within-label RMS deviation from the label median, per column (NaN ignored)."""
    num = np.zeros(e.shape[1])
    den = np.zeros(e.shape[1])
    for c in range(n_labels):
        sub = e[codes == c]
        if sub.shape[0] < 2:
            continue
        ok = np.isfinite(sub)
        cnt = ok.sum(axis=0)
        if not np.any(cnt >= 2):
            continue
        with np.errstate(invalid="ignore"), _quiet():
            med = np.nanmedian(np.where(ok, sub, np.nan), axis=0)
        dev = np.where(ok, sub - med, 0.0)
        num += np.where(cnt >= 2, (dev * dev).sum(axis=0), 0.0)
        den += np.where(cnt >= 2, cnt - 1, 0)
    out = np.full(e.shape[1], np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return np.sqrt(out)


class _quiet:
    """Silence numpy's all-NaN slice warnings (filterwarnings=error in tests)."""

    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


class FingerprintLibrary:
    """Enrolled fingerprints of known appliances; fast matching with an open-set answer.

    Parameters
    ----------
    unknown_factor : float
        A label's acceptance radius is this many times the 90th percentile
        of its leave-one-out nearest-neighbour distances (default 3.5).
    min_radius : float
        Smallest acceptance radius (scaled distance units, default 1.0):
        guards labels whose enrolled fingerprints are near-identical.
    spread_floor : float
        Each column's within-label spread is floored at this fraction of its
        overall (between-label) spread (default 0.02), so that no column
        can be trusted more than 1/spread_floor times its overall variation.
    group_weights : mapping, optional
        Override :data:`GROUP_WEIGHTS` (a weight of 0 drops a group).

    Examples
    --------
    >>> lib = FingerprintLibrary()
    >>> lib.enroll("kettle", fp_kettle)            # doctest: +SKIP
    >>> lib.identify(fp_new)                        # doctest: +SKIP
    Match(label='kettle', distance=0.8, confidence=0.97)
    """

    def __init__(self, *, unknown_factor: float = 3.5, min_radius: float = 1.0, spread_floor: float = 0.02,
                 group_weights: Mapping[str, float] | None = None) -> None:
        for key, val in (("unknown_factor", unknown_factor), ("min_radius", min_radius),
                         ("spread_floor", spread_floor)):
            if isinstance(val, (str, bytes, bool)) or not isinstance(val, (int, float, np.integer, np.floating)):
                raise InputError(f"{key} must be a number, got {val!r}.")
        if group_weights is not None and not isinstance(group_weights, Mapping):
            raise InputError(f"group_weights must be a mapping of group name to weight, got {group_weights!r}.")
        if group_weights is not None and not all(
                isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                and math.isfinite(v) and v <= 1e6 for v in group_weights.values()):
            raise InputError("group weights must be finite numbers of at most 1e6.")
        if not (unknown_factor <= 1e6 and min_radius <= 1e12):
            # a radius factor of a million already accepts anything; larger ones overflow the radii
            raise InputError(f"unknown_factor must be at most 1e6 and min_radius at most 1e12, got "
                             f"{unknown_factor!r} and {min_radius!r}.")
        if not (unknown_factor > 0 and math.isfinite(unknown_factor)):
            raise InputError(f"unknown_factor must be a positive number, got {unknown_factor!r}.")
        if not (min_radius >= 0 and math.isfinite(min_radius)):
            raise InputError(f"min_radius must be >= 0, got {min_radius!r}.")
        if not (0 < spread_floor < 1):
            raise InputError(f"spread_floor must be in (0, 1), got {spread_floor!r}.")
        gw = dict(GROUP_WEIGHTS)
        if group_weights is not None:
            bad = set(group_weights) - set(GROUP_WEIGHTS)
            if bad:
                raise InputError(f"unknown feature groups {sorted(bad)}; groups are {sorted(GROUP_WEIGHTS)}.")
            gw.update({k: float(v) for k, v in group_weights.items()})
        if any(not (w >= 0) for w in gw.values()) or sum(gw.values()) <= 0:
            raise InputError("group weights must be >= 0 and not all zero.")
        self.unknown_factor = float(unknown_factor)
        self.min_radius = float(min_radius)
        self.spread_floor = float(spread_floor)
        self.group_weights = gw
        self._labels: list[str] = []
        self._fps: list[Fingerprint] = []
        self._meta: list[dict] = []
        self._vecs: list[np.ndarray] = []
        self._cache: dict[str, Any] | None = None

    def get_params(self) -> dict:
        """Constructor parameters."""
        return {"unknown_factor": self.unknown_factor, "min_radius": self.min_radius,
                "spread_floor": self.spread_floor, "group_weights": dict(self.group_weights)}

    # -- contents --------------------------------------------------------------
    def enroll(self, label: str, fp: Fingerprint, *, meta: Mapping[str, Any] | None = None) -> "FingerprintLibrary":
        """Add one fingerprint of appliance ``label``; returns ``self``."""
        if not isinstance(label, str) or not label:
            raise InputError(f"label must be a non-empty string, got {label!r}.")
        if label == UNKNOWN:
            raise InputError(f"{UNKNOWN!r} is reserved for rejected queries; choose another label.")
        if not isinstance(fp, Fingerprint):
            raise InputError(f"enroll needs a Fingerprint (cp.fingerprint(...)), got {type(fp).__name__}.")
        self._labels.append(label)
        self._fps.append(fp)
        self._meta.append(dict(meta or {}))
        self._vecs.append(fp.vector())
        self._cache = None
        return self

    def remove(self, label: str) -> int:
        """Remove every fingerprint of ``label``; returns how many were removed."""
        keep = [k for k, lab in enumerate(self._labels) if lab != label]
        removed = len(self._labels) - len(keep)
        if removed == 0:
            raise KeyError(f"label {label!r} is not enrolled; labels are {self.labels}")
        self._labels = [self._labels[k] for k in keep]
        self._fps = [self._fps[k] for k in keep]
        self._meta = [self._meta[k] for k in keep]
        self._vecs = [self._vecs[k] for k in keep]
        self._cache = None
        return removed

    @property
    def labels(self) -> list[str]:
        """Enrolled labels, sorted."""
        return sorted(set(self._labels))

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        return f"FingerprintLibrary({len(self)} fingerprints, {len(self.labels)} labels)"

    def entries(self) -> Iterable[tuple[str, Fingerprint, dict]]:
        """(label, fingerprint, meta) of every enrolled fingerprint, in enrolment order."""
        return zip(self._labels, self._fps, self._meta)

    # -- fitting ---------------------------------------------------------------
    def _fit(self) -> dict[str, Any]:
        if self._cache is not None:
            return self._cache
        if not self._labels:
            raise InputError("the library is empty; enroll fingerprints first.")
        names = sorted(set(self._labels))
        code_of = {lab: c for c, lab in enumerate(names)}
        codes = np.array([code_of[lab] for lab in self._labels])
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        e = embed(np.stack(self._vecs)[order])
        groups = EMBED_GROUPS
        n_labels = len(names)
        with _quiet():
            total = np.nanstd(e, axis=0)
            within = _pooled_spread(e, codes, n_labels)
        # floors: a fraction of the overall spread, and an absolute floor so a
        # constant column (same value everywhere) does not divide by zero
        scale = np.where(np.isfinite(within), within, total)
        scale = np.fmax(scale, self.spread_floor * np.nan_to_num(total))
        scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, 1.0)
        gsize = {g: int(np.sum(groups == g)) for g in self.group_weights}
        gw = np.array([self.group_weights[g] / gsize[g] for g in groups])
        w = np.sqrt(gw / gw.sum()) / scale
        x = e * w
        # impute a missing enrolled value by its label's median (else the library median)
        bad = ~np.isfinite(x)
        if bad.any():
            with _quiet():
                gmed = np.nan_to_num(np.nanmedian(np.where(bad, np.nan, x), axis=0))
                for c in range(n_labels):
                    rows = codes == c
                    sub = np.where(bad[rows], np.nan, x[rows])
                    med = np.nanmedian(sub, axis=0)
                    med = np.where(np.isfinite(med), med, gmed)
                    x[rows] = np.where(bad[rows], med, x[rows])
        x = np.ascontiguousarray(x)
        sq = np.einsum("ij,ij->i", x, x)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        # leave-one-out nearest same-label distances -> acceptance radius per label
        loo = np.full(len(codes), np.nan)
        for c, s0 in enumerate(starts):
            s1 = starts[c + 1] if c + 1 < len(starts) else len(codes)
            if s1 - s0 < 2:
                continue
            blk = x[s0:s1]
            d2 = sq[s0:s1, None] + sq[None, s0:s1] - 2.0 * blk @ blk.T
            np.fill_diagonal(d2, np.inf)
            loo[s0:s1] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
        q_label = np.full(n_labels, np.nan)
        for c, s0 in enumerate(starts):
            s1 = starts[c + 1] if c + 1 < len(starts) else len(codes)
            vals = loo[s0:s1]
            if np.any(np.isfinite(vals)):
                q_label[c] = float(np.quantile(vals[np.isfinite(vals)], 0.9))
        glob = float(np.nanmedian(q_label)) if np.any(np.isfinite(q_label)) else self.min_radius
        q_label = np.where(np.isfinite(q_label), q_label, glob)
        radius = np.maximum(self.unknown_factor * q_label, self.min_radius)
        self._cache = {"names": names, "codes": codes, "order": order, "w": w, "x": x, "sq": sq,
                       "starts": starts, "radius": radius, "scale": scale, "groups": groups}
        return self._cache

    def _query(self, fp: Fingerprint) -> tuple[np.ndarray, tuple[Any, ...]]:
        """Per-label nearest scaled distance of one fingerprint."""
        if not isinstance(fp, Fingerprint):
            raise InputError(f"match needs a Fingerprint, got {type(fp).__name__}.")
        c = self._fit()
        e = embed(fp.vector())
        q = e[0] * c["w"]
        ok = np.isfinite(q)
        x = c["x"]
        if ok.all():
            d2 = c["sq"] - 2.0 * (x @ q) + float(q @ q)
            frac = 1.0
        else:
            if not ok.any():
                raise InputError("the fingerprint has no usable feature (all NaN).")
            q0 = np.where(ok, q, 0.0)
            xm = x[:, ~ok]
            d2 = c["sq"] - np.einsum("ij,ij->i", xm, xm) - 2.0 * (x @ q0) + float(q0 @ q0)
            # rescale to the full weight so distances stay comparable
            wfull = float(np.sum(c["w"] ** 2 * c["scale"] ** 2))
            wok = float(np.sum((c["w"] ** 2 * c["scale"] ** 2)[ok]))
            frac = wfull / wok if wok > 0 else 1.0
        per_label = np.minimum.reduceat(d2, c["starts"])
        return per_label, (d2, q, ok, frac, c)

    @staticmethod
    def _exact(j: int, extra: tuple) -> float:
        """Distance to label j's nearest entry, recomputed directly (the fast expansion loses digits near 0)."""
        d2, q, ok, frac, c = extra
        s0 = c["starts"][j]
        s1 = c["starts"][j + 1] if j + 1 < len(c["starts"]) else d2.shape[0]
        row = s0 + int(np.argmin(d2[s0:s1]))
        diff = (c["x"][row] - q)[ok]
        return math.sqrt(float(diff @ diff) * frac)

    # -- answers ---------------------------------------------------------------
    def match(self, fp: Fingerprint, k: int = 3) -> list[Match]:
        """The ``k`` nearest labels, best first.

        Parameters
        ----------
        fp : Fingerprint
        k : int
            How many labels to return (at most the number enrolled).

        Returns
        -------
        list of Match
            Each label appears once, with its nearest enrolled fingerprint's
            distance and the confidence relative to that label's radius.
        """
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}.")
        d2, extra = self._query(fp)
        c = extra[-1]
        n = d2.shape[0]
        # a few more candidates than asked, re-ranked on exact distances
        kk = min(n, int(k) + 2)
        top = np.argpartition(d2, kk - 1)[:kk] if kk < n else np.arange(n)
        exact = sorted((self._exact(int(j), extra), c["names"][j], int(j)) for j in top)[:int(k)]
        rad = c["radius"]
        return [Match(name, dist, float(math.exp(-math.log(2) * (dist / rad[j]) ** 2))) for dist, name, j in exact]

    def identify(self, fp: Fingerprint, *, spread: float = 0.0) -> Match:
        """The best label, or ``Match("unknown", ...)`` when it is outside that label's radius.

        Parameters
        ----------
        fp : Fingerprint
        spread : float
            How far (scaled distance units) measurement noise alone may have
            moved ``fp`` (e.g. a difference fingerprint taken over a noisy
            running background). The acceptance radius becomes
            ``sqrt(radius² + spread²)``, and the confidence is computed
            against it. 0 (default): the library's own radius.

        An ``"unknown"`` answer keeps the distance and confidence of the
        rejected nearest label, which is named in ``nearest``.
        """
        spread = float(spread)
        if not (spread >= 0 and math.isfinite(spread)):
            raise InputError(f"spread must be a finite number >= 0, got {spread!r}.")
        best = self.match(fp, k=1)[0]
        if spread > 0:
            r = self.radius(best.label)
            reff = math.hypot(r, spread)
            best = Match(best.label, best.distance, float(math.exp(-math.log(2) * (best.distance / reff) ** 2)))
        if best.confidence < 0.5:
            return _UnknownMatch(best.distance, best.confidence, best.label)
        return best

    def distance(self, a: Fingerprint, b: Fingerprint) -> float:
        """Scaled distance between two fingerprints, in the units of :meth:`match` (NaN features skipped)."""
        c = self._fit()
        ea = embed(a.vector())[0] * c["w"]
        eb = embed(b.vector())[0] * c["w"]
        d = ea - eb
        ok = np.isfinite(d)
        if not ok.any():
            return math.nan
        wfull = float(np.sum(c["w"] ** 2 * c["scale"] ** 2))
        wok = float(np.sum((c["w"] ** 2 * c["scale"] ** 2)[ok]))
        frac = wfull / wok if wok > 0 else 1.0
        return math.sqrt(float(d[ok] @ d[ok]) * frac)

    def radius(self, label: str) -> float:
        """Acceptance radius of ``label`` (scaled distance units)."""
        c = self._fit()
        try:
            return float(c["radius"][c["names"].index(label)])
        except ValueError:
            raise KeyError(f"label {label!r} is not enrolled") from None

    # -- persistence -----------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-safe description (schema, version, parameters, entries)."""
        return {"schema": _SCHEMA, "version": _VERSION, "params": self.get_params(),
                "entries": [{"label": lab, "fingerprint": fp.to_dict(), "meta": _json_meta(m)}
                            for lab, fp, m in self.entries()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FingerprintLibrary":
        """Inverse of :meth:`to_dict`; :class:`CorruptFileError` for damaged data."""
        if not isinstance(data, Mapping) or data.get("schema") != _SCHEMA:
            raise CorruptFileError("not a currentprint fingerprint library")
        if data.get("version") != _VERSION:
            raise CorruptFileError(f"fingerprint library version {data.get('version')!r}; "
                                   f"this currentprint reads {_VERSION}")
        try:
            params = data["params"]
            if not isinstance(params, Mapping) or not set(params) <= {"unknown_factor", "min_radius",
                                                                      "spread_floor", "group_weights"}:
                raise CorruptFileError("damaged fingerprint library: unknown parameters")
            lib = cls(**dict(params))
            if not isinstance(data["entries"], list):
                raise TypeError("entries must be a list")
            for ent in data["entries"]:
                meta = ent.get("meta") or {}
                if not isinstance(meta, Mapping):
                    raise TypeError("an entry's meta must be an object")
                lib.enroll(ent["label"], Fingerprint.from_dict(ent["fingerprint"]), meta=_decode(meta))
        except CorruptFileError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, OverflowError, RecursionError) as exc:
            # InputError is a ValueError: a label or parameter the constructor refuses
            raise CorruptFileError(f"damaged fingerprint library: {str(exc)[:300]}") from None
        return lib

    def save(self, path) -> None:
        """Write the library to ``path`` as JSON, atomically (a crash never leaves half a file)."""
        atomic_write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls, path) -> "FingerprintLibrary":
        """Read a library written by :meth:`save`.

        Raises
        ------
        CorruptFileError
            The file is damaged, truncated, of another kind or version.
        """
        payload = read_json(path, kind="fingerprint library", schema=_SCHEMA, versions=(_VERSION,))
        return cls.from_dict(payload)


def _json_meta(meta: Mapping[str, Any]) -> dict:
    import json
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError):
        raise InputError("enroll meta must be JSON-safe (str, finite numbers, lists, dicts) to be saved.") from None
    return dict(meta)
