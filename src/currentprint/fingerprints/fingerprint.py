"""Appliance fingerprints: one well-defined, versioned description of a load.

A :class:`Fingerprint` describes one load from a single mean mains cycle of
its current, aligned on the rising zero crossing of the voltage:

* after a switching event, the *after-minus-before* cycle (the load that
  switched on, with the background removed: superposition of currents);
* without an event, a steady window against a zero background.

Both paths go through :func:`fingerprint_from_waves`, so the definitions are
the same. Every feature, its unit and its source are listed in
:data:`FEATURE_DOCS` and in ``docs/fingerprints.md``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from .._state import decode as _decode, encode as _encode
from ..core.cycles import CycleTable
from ..errors import CorruptFileError, InputError
from .vi import VI_NAMES, normalise, vi_descriptors, vi_image as _vi_image

__all__ = ["Fingerprint", "fingerprint", "fingerprint_from_waves", "FEATURE_DOCS", "N_HARMONICS",
           "WAVE_POINTS", "VI_POINTS"]

#: highest harmonic order in a fingerprint
N_HARMONICS = 15
#: points of the normalised waveform in :meth:`Fingerprint.vector`
WAVE_POINTS = 32
#: points per cycle the V–I trajectory is resampled to before its descriptors
VI_POINTS = 64
_VERSION = 1

_SCALARS: tuple[str, ...] = ("p", "q", "s", "pf", "dpf", "i_rms", "i1_rms", "v_rms", "thd", "crest", "form",
                             "dc_ratio")
_HMAG = tuple(f"h{k}_mag" for k in range(2, N_HARMONICS + 1))
_HPH = tuple(f"h{k}_phase" for k in range(1, N_HARMONICS + 1))
_CONDUCTION = ("flat_fraction", "max_step", "conduction_start_deg", "conduction_end_deg", "polarity_asymmetry")
_TRANSIENT = ("inrush_ratio", "settling_s")
#: |i| at or below this fraction of the peak counts as "not conducting"
FLAT_LEVEL = 0.05
_WAVE = tuple(f"wave_{k:02d}" for k in range(WAVE_POINTS))

#: definition and unit of every feature of :meth:`Fingerprint.vector`
FEATURE_DOCS: dict[str, str] = {
    "p": "active power mean(v*i) of the (incremental) current, W (ΔP for an event)",
    "q": "fundamental reactive power Im(V1 conj(I1)), var, inductive positive (ΔQ for an event)",
    "s": "apparent power v_rms * i_rms, VA (ΔS for an event: RMS of the difference current)",
    "pf": "power factor p / s (incremental PF for an event)",
    "dpf": "displacement power factor cos(phase of I1 relative to V1)",
    "i_rms": "RMS of the (incremental) current, A",
    "i1_rms": "RMS of its fundamental, A",
    "v_rms": "RMS voltage, V",
    "thd": "total harmonic distortion sqrt(sum_{k=2..15} |I_k|^2) / |I_1| (IEC 61000-4-7 THD, truncated at order 15 "
           "so that every sample rate from 2 kHz gives the same value)",
    "crest": "crest factor max|i| / i_rms",
    "form": "form factor i_rms / mean|i|",
    "dc_ratio": "mean current / i_rms (half-wave asymmetry, e.g. a diode in series)",
    **{f"h{k}_mag": f"|I_{k}| / |I_1|, harmonic {k} relative to the fundamental" for k in range(2, N_HARMONICS + 1)},
    **{f"h{k}_phase": f"arg(I_{k}) - {k}·arg(V_1), rad in (-π, π], harmonic {k} relative to the voltage fundamental"
       for k in range(1, N_HARMONICS + 1)},
    "vi_area": "V–I trajectory enclosed area (shoelace), normalised units (Lam 2007, Hassan 2014)",
    "vi_direction": "looping direction: +1 counter-clockwise (current lags), -1 clockwise (leads), 0 none (Lam 2007)",
    "vi_asymmetry": "RMS of p(t) + p(t + T/2) on the normalised trajectory, 0 if half-wave symmetric "
                    "(after Hassan 2014)",
    "vi_curvature": "1 - |r|, r the correlation coefficient of the mean line (Lam 2007)",
    "vi_intersections": "number of self-intersections of the trajectory (Lam 2007)",
    "vi_mid_slope": "slope di/dv of the mean line where |v| <= 0.25 (middle segment, Lam 2007)",
    "vi_mid_peak": "largest |i| of the trajectory where |v| <= 0.25 (peak of the middle segment)",
    "vi_max_distance": "largest distance of a trajectory point from the origin (Wang et al. 2018)",
    "flat_fraction": "fraction of the cycle where |i| <= 5 % of its peak (non-conduction), from the 64-point cycle",
    "max_step": "largest change between consecutive points of the 64-point cycle / peak |i| (abrupt jumps: "
                "phase-cut dimmers; a sine gives 2π/64 ≈ 0.098)",
    "conduction_start_deg": "first angle after each voltage zero where |i| > 5 % of peak, degrees "
                            "(mean of both halves)",
    "conduction_end_deg": "last angle before the next voltage zero where |i| > 5 % of peak, degrees "
                          "(mean of both halves)",
    "polarity_asymmetry": "(sum of i^2 where i > 0 - sum where i < 0) / sum of i^2: +1/-1 when only one polarity "
                          "conducts (half-wave), 0 for a symmetric load",
    "inrush_ratio": "the event's inrush ratio (peak of the first cycles after the switch / steady peak, from "
                    "Event.transient); NaN without an event",
    "settling_s": "the event's settling time, s (from Event.transient); NaN without an event",
    **{f"wave_{k:02d}": f"normalised one-cycle current i / (sqrt(2) i_rms) at phase {k}/{WAVE_POINTS} of the "
       "cycle, from the rising voltage zero" for k in range(WAVE_POINTS)},
}


def _resample(spec: np.ndarray, n_in: int, m: int) -> np.ndarray:
    """Periods resampled to m points from their real spectra (last axis; band-limited)."""
    out = np.zeros(spec.shape[:-1] + (m // 2 + 1,), dtype=complex)
    k = min(spec.shape[-1], m // 2 + 1)
    out[..., :k] = spec[..., :k]
    if k == m // 2 + 1 and m < n_in:
        out[..., -1] = out[..., -1].real  # Nyquist bin of the shorter grid must be real
    return np.fft.irfft(out, n=m, axis=-1) * (m / n_in)


class Fingerprint:
    """The description of one load (or one load change); see :data:`FEATURE_DOCS`.

    Scalar features are attributes (``fp.p``, ``fp.thd``, ``fp.h3_mag``,
    ``fp.vi_area``...). Arrays: :attr:`waveform` (normalised current cycle,
    ``n_points`` values), :attr:`v_waveform` (normalised voltage cycle),
    :attr:`harmonic_mags` / :attr:`harmonic_phases` (orders 1..15).

    Attributes
    ----------
    features : dict[str, float]
        Every scalar feature (SI units).
    waveform : numpy.ndarray
        Current cycle divided by ``sqrt(2) * i_rms`` (a sine has amplitude 1),
        starting at the rising voltage zero.
    v_waveform : numpy.ndarray
        Voltage cycle divided by its peak absolute value.
    transient : dict
        The event's transient description (empty without an event).
    meta : dict
        ``source`` ("steady" or "event"), ``n_cycles``, ``fs``, ``mains_hz``.
    """

    #: fixed order of :meth:`vector`
    feature_names: tuple[str, ...] = (*_SCALARS, *_HMAG, *_HPH, *VI_NAMES, *_CONDUCTION, *_TRANSIENT, *_WAVE)
    version: int = _VERSION

    __slots__ = ("features", "waveform", "v_waveform", "transient", "meta")

    def __init__(self, features: Mapping[str, float], waveform: np.ndarray, v_waveform: np.ndarray, *,
                 transient: Mapping[str, Any] | None = None, meta: Mapping[str, Any] | None = None) -> None:
        missing = [n for n in self.feature_names[:-WAVE_POINTS] if n not in features]
        if missing:
            raise InputError(f"Fingerprint is missing features {missing[:5]}...; build it with cp.fingerprint().")
        self.features = {n: float(features[n]) for n in self.feature_names[:-WAVE_POINTS]}
        self.waveform = np.asarray(waveform, dtype=float)
        self.v_waveform = np.asarray(v_waveform, dtype=float)
        self.transient = dict(transient or {})
        self.meta = dict(meta or {})

    def __getattr__(self, name: str) -> float:
        # only called when normal lookup fails: expose the scalar features
        try:
            return object.__getattribute__(self, "features")[name]
        except KeyError:
            raise AttributeError(f"Fingerprint has no attribute or feature {name!r}") from None

    def __dir__(self) -> list[str]:
        # the scalar features are attributes too: list them for completion and help()
        return sorted(set(super().__dir__()) | set(self.features))

    def __repr__(self) -> str:
        f = self.features
        # meta["calibrated"] is False for fingerprints of raw ADC counts: no A or W then
        w, var, a = ("W", "var", "A") if self.meta.get("calibrated", True) else ("counts²", "counts²", "counts")
        return (f"Fingerprint({self.meta.get('source', '?')}, p={f['p']:.4g} {w}, q={f['q']:.4g} {var}, "
                f"i_rms={f['i_rms']:.4g} {a}, pf={f['pf']:.3f}, thd={f['thd']:.3f})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fingerprint):
            return NotImplemented
        return (np.array_equal(self.vector(), other.vector(), equal_nan=True)
                and np.array_equal(self.waveform, other.waveform, equal_nan=True)
                and np.array_equal(self.v_waveform, other.v_waveform, equal_nan=True)
                and self.meta == other.meta)

    __hash__ = None  # type: ignore[assignment]

    # -- arrays ---------------------------------------------------------------
    @property
    def harmonic_mags(self) -> np.ndarray:
        """``|I_k| / |I_1|`` for k = 1..15 (first value 1)."""
        return np.array([1.0] + [self.features[n] for n in _HMAG])

    @property
    def harmonic_phases(self) -> np.ndarray:
        """arg(I_k) - k arg(V_1), rad, k = 1..15."""
        return np.array([self.features[n] for n in _HPH])

    def vector(self) -> np.ndarray:
        """Every feature as a float64 array in the order of :attr:`feature_names`.

        The waveform part is the normalised cycle at :data:`WAVE_POINTS`
        points (resampled band-limited if ``n_points`` differs). NaN marks a
        feature that does not exist for this fingerprint (phases without a
        voltage, transient without an event).
        """
        w = self.waveform
        if w.shape[0] != WAVE_POINTS:
            w = _resample(np.fft.rfft(w), w.shape[0], WAVE_POINTS)
        head = np.fromiter(self.features.values(), dtype=float, count=len(self.features))
        return np.concatenate([head, w])

    def vi_image(self, n: int = 32) -> np.ndarray:
        """Binary ``n``×``n`` V–I image (bool) of the normalised trajectory; see :func:`currentprint.vi.vi_image`."""
        v, i = normalise(self.v_waveform, self.waveform)
        return _vi_image(v, i, n)

    # -- serialisation -----------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-safe dict (``"version": 1``); NaN and ±inf are written as strings."""
        def num(x: float):
            return x if math.isfinite(x) else repr(x)

        return {"schema": "currentprint.fingerprint", "version": _VERSION,
                "features": {k: num(v) for k, v in self.features.items()},
                "waveform": [num(float(x)) for x in self.waveform],
                "v_waveform": [num(float(x)) for x in self.v_waveform],
                "transient": _encode(self.transient), "meta": _encode(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Fingerprint":
        """Inverse of :meth:`to_dict`; raises :class:`~currentprint.errors.CorruptFileError` for foreign data."""
        def num(x) -> float:
            if isinstance(x, str):
                if x not in ("nan", "inf", "-inf"):
                    raise CorruptFileError(f"fingerprint value {x!r} is not a number")
                return float(x)
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise CorruptFileError(f"fingerprint value {x!r} is not a number")
            return float(x)

        if not isinstance(data, Mapping) or data.get("schema") != "currentprint.fingerprint":
            raise CorruptFileError("not a currentprint fingerprint (schema 'currentprint.fingerprint' expected)")
        if data.get("version") != _VERSION:
            raise CorruptFileError(f"fingerprint version {data.get('version')!r}; this currentprint reads {_VERSION}")
        try:
            if len(data["waveform"]) > 2 ** 16 or len(data["features"]) > 4096:
                raise ValueError("fingerprint holds more values than a fingerprint has")
            feats = {str(k): num(v) for k, v in data["features"].items()}
            wave = np.array([num(x) for x in data["waveform"]])
            vwave = np.array([num(x) for x in data["v_waveform"]])
            if wave.ndim != 1 or not 8 <= wave.shape[0] <= 2 ** 16 or wave.shape[0] % 2 or vwave.shape != wave.shape:
                raise ValueError(f"waveforms must be two arrays of the same even length from 8 to 65536, "
                                 f"got {wave.shape} and {vwave.shape}")
            # values a measurement can give (A, V, W ...): beyond 1e100 the distances overflow
            big = [abs(x) > 1e100 for x in (*feats.values(), *wave, *vwave) if math.isfinite(x)]
            if any(big):
                raise ValueError("fingerprint values are beyond any measurement (|x| > 1e100)")
            trans = _decode(data.get("transient", {}))
            meta = _decode(data.get("meta", {}))
            if not isinstance(trans, dict) or not isinstance(meta, dict):
                raise TypeError("transient and meta must be objects")
            return cls(feats, wave, vwave, transient=trans, meta=meta)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if isinstance(exc, CorruptFileError):
                raise
            raise CorruptFileError(f"damaged fingerprint data: {exc}") from None


_HEAD: tuple[str, ...] = Fingerprint.feature_names[:-WAVE_POINTS]
_H = {name: k for k, name in enumerate(_HEAD)}
_K = np.arange(1, N_HARMONICS + 1)


def _transient_dict(tr, event, fs: float | None, mains_hz: float | None) -> dict:
    """The event's transient as a plain dict with ``inrush_ratio`` and ``settling_s`` filled in when possible.

    Accepts a mapping or an object (``currentprint.events.Transient``: ``ratio``,
    ``settling_cycles``...). Settling in cycles is converted with the mains
    frequency: ``mains_hz`` if given, else ``fs * event.cycle / event.sample``.
    """
    if tr is None:
        return {}
    if isinstance(tr, Mapping):
        out = dict(tr)
    elif hasattr(tr, "to_dict"):
        out = dict(tr.to_dict())
    else:
        out = {k: v for k, v in vars(tr).items() if not k.startswith("_")}
    if "inrush_ratio" not in out and "ratio" in out:
        out["inrush_ratio"] = out["ratio"]
    if "settling_s" not in out and out.get("settling_cycles") is not None:
        f = mains_hz
        ev_f = getattr(event, "mains_hz", None)
        if f is None and ev_f is not None and math.isfinite(ev_f) and ev_f > 0:
            f = float(ev_f)       # measured on the event's own cycles
        cyc, smp = getattr(event, "cycle", None), getattr(event, "sample", None)
        if f is None and fs and cyc and smp:
            f = float(fs) * float(cyc) / float(smp)
        out["settling_s"] = float(out["settling_cycles"]) / f if f else math.nan
    return out


def _transient_value(transient: Mapping[str, Any], *names: str) -> float:
    for n in names:
        if n in transient and transient[n] is not None:
            try:
                return float(transient[n])
            except (TypeError, ValueError):
                return math.nan
    return math.nan


def fingerprint_from_waves(i_wave, v_wave=None, *, fs: float | None = None, mains_hz: float | None = None,
                           transient: Mapping[str, Any] | None = None, n_points: int = WAVE_POINTS,
                           source: str = "steady", n_cycles: int = 1) -> Fingerprint:
    """Fingerprint of one mean mains cycle.

    Parameters
    ----------
    i_wave : array_like, shape (n,)
        One cycle of current, A, uniformly sampled over exactly one period,
        starting at the rising voltage zero crossing (e.g. a row or mean of
        :attr:`CycleTable.i_wave`, or an event's after-minus-before cycle).
        ``n`` even, at least 8; harmonics above ``n/2 - 1`` are NaN.
    v_wave : array_like, shape (n,), optional
        The matching voltage cycle, V. Without it (or if it is all zero),
        every phase-referenced feature (p, q, s, pf, dpf, phases, V–I
        descriptors) is NaN.
    fs : float, optional
        Sample rate of the original recording, Hz (metadata only).
    mains_hz : float, optional
        Mains frequency, Hz (metadata only: a cycle is a cycle).
    transient : mapping, optional
        An event's transient: ``inrush_ratio`` and ``settling_s`` (or
        ``settling_time``/``settling``) are taken over.
    n_points : int
        Points of the stored normalised waveform (default 32).
    """
    i = np.asarray(i_wave, dtype=float)
    n = i.shape[0] if i.ndim == 1 else 0
    if i.ndim != 1 or n < 8 or n % 2:
        raise InputError(f"i_wave must be one cycle as a 1-D array of an even number (>= 8) of points, "
                         f"got shape {np.shape(i_wave)}.")
    if not np.all(np.isfinite(i)):
        raise InputError("i_wave contains NaN or inf; clean the cycle first.")
    has_v = v_wave is not None
    if has_v:
        v = np.asarray(v_wave, dtype=float)
        if v.shape != i.shape:
            raise InputError(f"v_wave must have the shape of i_wave {i.shape}, got {v.shape}.")
        if not np.all(np.isfinite(v)):
            raise InputError("v_wave contains NaN or inf; clean the cycle first.")
        if not np.any(v):
            has_v = False  # an all-zero voltage gives no phase reference: treat as absent
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or not 4 <= n_points <= 2 ** 16 \
            or n_points % 2:
        raise InputError(f"n_points must be an even integer from 4 to 65536, got {n_points!r}.")
    n_points = int(n_points)
    # squares (RMS, energies) of values outside this range underflow to 0 or overflow to inf
    for name, x in (("current", i), ("voltage", v if has_v else None)):
        if x is not None:
            peak = float(np.max(np.abs(x)))
            if peak > 1e100 or 0 < peak < 1e-100:
                raise InputError(f"the {name} cycle peaks at {peak:.3g}: outside 1e-100..1e100 its powers "
                                 "underflow or overflow; check the calibration scale and units.")
    nan = math.nan
    spec2 = np.fft.rfft(np.stack((i, v)) if has_v else i[None, :], axis=1)
    spec = spec2[0]
    # RMS phasors: |X_k| / n * sqrt(2) for k >= 1
    scale = math.sqrt(2.0) / n
    hmax = min(N_HARMONICS, n // 2 - 1)
    ih = spec[1:hmax + 1] * scale
    i_rms = math.sqrt(float(np.dot(i, i)) / n)
    i1 = abs(complex(ih[0]))
    abs_i = np.abs(i)
    mean_abs = float(abs_i.sum()) / n
    out = np.full(len(_HEAD), nan)
    mags = np.full(N_HARMONICS, nan)
    phases = np.full(N_HARMONICS, nan)
    if i1 > 0:
        rel = np.abs(ih) / i1
        mags[:hmax] = rel
        out[_H["thd"]] = math.sqrt(float(np.dot(rel[1:], rel[1:])))
    out[_H["i_rms"]] = i_rms
    out[_H["i1_rms"]] = i1
    if i_rms > 0:
        out[_H["crest"]] = float(abs_i.max()) / i_rms
        out[_H["dc_ratio"]] = float(spec[0].real) / n / i_rms
    if mean_abs > 0:
        out[_H["form"]] = i_rms / mean_abs
    if has_v:
        vspec1 = complex(spec2[1, 1])
        theta_v = math.atan2(vspec1.imag, vspec1.real)
        ph = np.angle(ih) - _K[:hmax] * theta_v
        phases[:hmax] = np.angle(np.exp(1j * ph))  # wrap to (-pi, pi]
        v1 = abs(vspec1) * scale
        v_rms = math.sqrt(float(np.dot(v, v)) / n)
        p = float(np.dot(v, i)) / n
        s = v_rms * i_rms
        out[_H["p"]] = p
        out[_H["q"]] = v1 * i1 * math.sin(-phases[0]) if i1 > 0 else 0.0
        out[_H["s"]] = s
        out[_H["v_rms"]] = v_rms
        if s > 0:
            out[_H["pf"]] = p / s
        if i1 > 0:
            out[_H["dpf"]] = math.cos(phases[0])
    out[_H["h2_mag"]:_H["h2_mag"] + N_HARMONICS - 1] = mags[1:]
    out[_H["h1_phase"]:_H["h1_phase"] + N_HARMONICS] = phases
    vi = _resample(spec2, n, VI_POINTS)
    vi_i = vi[0]
    if has_v and i_rms > 0:
        vn, inn = normalise(vi[1], vi_i)
        out[_H[VI_NAMES[0]]:_H[VI_NAMES[0]] + len(VI_NAMES)] = vi_descriptors(vn, inn)
    out[_H[_CONDUCTION[0]]:_H[_CONDUCTION[0]] + len(_CONDUCTION)] = _conduction(vi_i)
    tr = dict(transient or {})
    out[_H["inrush_ratio"]] = _transient_value(tr, "inrush_ratio", "inrush")
    out[_H["settling_s"]] = _transient_value(tr, "settling_s", "settling_time", "settling")
    waves = _resample(spec2, n, n_points) if n_points != VI_POINTS else vi
    norm = math.sqrt(2.0) * i_rms
    wave = waves[0] / norm if norm > 0 else np.zeros(n_points)
    if has_v:
        vpk = float(np.abs(v).max())
        vw = waves[1] / vpk if vpk > 0 else waves[1]
    else:
        vw = np.full(n_points, nan)
    meta = {"source": source, "n_cycles": int(n_cycles), "fs": None if fs is None else float(fs),
            "mains_hz": None if mains_hz is None else float(mains_hz)}
    fp = Fingerprint.__new__(Fingerprint)
    fp.features = dict(zip(_HEAD, out.tolist()))
    fp.waveform = wave
    fp.v_waveform = vw
    fp.transient = tr
    fp.meta = meta
    return fp


def _conduction(w: np.ndarray) -> tuple[float, ...]:
    """flat_fraction, max_step, conduction start and end angle (deg), polarity asymmetry of a cycle."""
    m = w.shape[0]
    peak = float(np.max(np.abs(w)))
    if peak <= 0:
        return (math.nan,) * 5
    e = w * w
    etot = float(e.sum())
    if not etot > 0 or not math.isfinite(etot):
        return (math.nan,) * 5
    pol = float(e[w > 0].sum() - e[w < 0].sum()) / etot
    a = np.abs(w) > FLAT_LEVEL * peak
    flat = 1.0 - float(np.count_nonzero(a)) / m
    step = float(np.max(np.abs(np.diff(np.append(w, w[0]))))) / peak
    h = m // 2
    starts, ends = [], []
    for half in (a[:h], a[h:]):
        idx = np.flatnonzero(half)
        if idx.size:
            starts.append(idx[0])
            ends.append(idx[-1] + 1)
    if not starts:
        return flat, step, math.nan, math.nan, pol
    deg = 360.0 / m
    return flat, step, float(np.mean(starts)) * deg, float(np.mean(ends)) * deg, pol


def _robust_mean(w: np.ndarray) -> np.ndarray:
    """Per-point mean of cycles after dropping the outer 10 % at each point (plain mean below 5 cycles)."""
    c = w.shape[0]
    cut = int(0.1 * c) if c >= 5 else 0
    if cut == 0:
        return w.mean(axis=0)
    s = np.sort(w, axis=0)
    return s[cut:c - cut].mean(axis=0)


def fingerprint(current=None, voltage=None, *, fs: float | None = None, event=None, calibration=None,
                mains_hz: float | None = None, n_points: int = WAVE_POINTS, table=None,
                **options) -> Fingerprint:
    """Fingerprint of a load, from a steady window or from a switching event.

    Parameters
    ----------
    current, voltage : array_like, 1-D
        Samples (A and V, or ADC counts with ``calibration``). Not needed
        when ``event`` or ``table`` carries the cycles.
    fs : float
        Sample rate, Hz.
    event : Event, optional
        A switching event (:func:`currentprint.detect_events`). The
        fingerprint is then that of the after-minus-before mean cycle
        (``event.post.i_wave - event.pre.i_wave``, voltage ``event.post.v_wave``),
        with the event's transient. Any object with ``.pre``/``.post``
        having ``i_wave``/``v_wave`` works.
    calibration : Calibration, optional
        Channel scales for ADC counts.
    mains_hz : float, optional
        Nominal mains frequency, Hz (default: detected).
    n_points : int
        Points of the stored normalised waveform.
    table : CycleTable, optional
        Already analysed cycles (``waveforms=True``) to use instead of
        ``current``/``voltage``.
    **options
        Passed to :func:`currentprint.analyze` (e.g. ``hysteresis``); the
        analysis keeps its default points per cycle and asks only for the
        harmonics the sample rate resolves (at most 15).

    Returns
    -------
    Fingerprint

    Notes
    -----
    Without an event every complete cycle of the window is used (at least
    one; two or more recommended), combined by a per-point trimmed mean
    (10 % each side from 5 cycles up) so that a glitch in one cycle does not
    move the fingerprint. The background is taken as zero.

    Examples
    --------
    >>> import numpy as np, currentprint as cp
    >>> t = np.arange(640) / 6400
    >>> v = 325 * np.sin(2 * np.pi * 50 * t)
    >>> fp = cp.fingerprint(v / 50, v, fs=6400)
    >>> round(fp.pf, 4), round(fp.thd, 4)
    (1.0, 0.0)
    """
    if event is not None:
        try:
            pre, post = event.pre, event.post
            i_post = np.asarray(post.i_wave, dtype=float)
            v_post = getattr(post, "v_wave", None)
            i_pre = np.asarray(pre.i_wave, dtype=float) if pre is not None else np.zeros_like(i_post)
        except AttributeError as exc:
            raise InputError(f"event must have .pre and .post steady states with i_wave/v_wave ({exc}).") from None
        if i_pre.shape != i_post.shape:
            raise InputError(f"event pre/post waveforms differ in shape {i_pre.shape} vs {i_post.shape}.")
        v_post = None if v_post is None else np.asarray(v_post, dtype=float)
        if v_post is not None and not np.all(np.isfinite(v_post)):
            v_post = None
        fs_ev = fs if fs is not None else getattr(event, "fs", None)
        if fs_ev is None and getattr(event, "time", None):
            fs_ev = float(event.sample) / float(event.time)
        transient = _transient_dict(getattr(event, "transient", None), event, fs_ev, mains_hz)
        # a switch-off removes a load: describe the load that went (before
        # minus after), so that it classifies and matches like its switch-on
        off = getattr(event, "kind", None) == "off"
        delta = i_pre - i_post if off else i_post - i_pre
        fp = fingerprint_from_waves(delta, v_post, fs=fs_ev, mains_hz=mains_hz, transient=transient,
                                    n_points=n_points, source="event",
                                    n_cycles=int(getattr(post, "n_cycles", 1) or 1))
        if isinstance(fp.meta, dict):
            fp.meta["direction"] = "off" if off else "on"
            if getattr(event, "calibrated", True) is False:
                fp.meta["calibrated"] = False
        return fp
    if table is None:
        if current is None:
            raise InputError("fingerprint needs current samples (or event=..., or table=...).")
        if fs is None:
            raise InputError("fingerprint needs the sample rate fs in Hz.")
        from ..core.analyzer import analyze
        from ..core.framing import frequency_limits
        from ..core.signal import check_fs
        from ..core.analyzer import _ANALYZE_OPTIONS
        unknown = sorted(set(options) - {"harmonics", *_ANALYZE_OPTIONS})
        if unknown:
            raise TypeError(f"currentprint.fingerprint() got an unexpected keyword argument {unknown[0]!r}; "
                            f"its options are passed to analyze(): harmonics, {', '.join(_ANALYZE_OPTIONS)}.")
        if "harmonics" not in options:
            # the table's own harmonics are not used here: ask only what fs can resolve
            fmax = frequency_limits(mains_hz)[1]
            options["harmonics"] = max(1, min(N_HARMONICS, int(math.floor(check_fs(fs) / (2.0 * fmax) - 1e-9))))
        table = analyze(current, voltage, fs=fs, mains_hz=mains_hz, calibration=calibration, waveforms=True,
                        **options)
    if not isinstance(table, CycleTable):
        raise InputError(f"table must be a CycleTable (cp.analyze(..., waveforms=True)), got {type(table).__name__}.")
    if len(table) == 0:
        raise InputError("no complete mains cycle in the window; give at least one full cycle (two recommended).")
    if not table.has_waveforms:
        raise InputError("the table has no cycle waveforms; analyse with cp.analyze(..., waveforms=True).")
    if table.has_voltage and not table.has_voltage_waveforms:
        raise InputError("the table kept the current's cycle waveforms alone (waveforms=\"current\"); "
                         "analyse with cp.analyze(..., waveforms=True).")
    iw = table.i_wave
    vw = table.v_wave if table.has_voltage else None
    i_mean = _robust_mean(iw)
    v_mean = _robust_mean(vw) if vw is not None else None
    f = float(np.nanmedian(table.frequency))
    fp = fingerprint_from_waves(i_mean, v_mean, fs=table.fs, mains_hz=mains_hz if mains_hz is not None else f,
                                n_points=n_points, source="steady", n_cycles=len(table))
    if not table.calibrated:
        fp.meta["calibrated"] = False
    return fp
