"""Shared switch-on judging of the load detectors (private).

The heater and phase-chopper detectors judge switching events. They find
them on their own with an internal :class:`~currentprint.detectors.events.EventDetector`,
so a Monitor holding only one of them works; the judging itself
(:func:`delta_features` here, ``judge_resistive`` and ``judge_chopper`` beside
their detectors) only needs the steady states before and after, whatever
found them.
"""

from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..core.cycles import align_waves
from .._state import check_array, check_int, check_keys
from ..errors import CorruptFileError, InputError
from ._background import GUARD, MAX_PRE, background_delta
from .base import BaseDetector

if TYPE_CHECKING:
    from .events import EventDetector, SteadyState

__all__ = ["delta_features"]

def _num(name: str, value, *, lo: float = 0.0, allow_equal: bool = True, hi: float = 1e9) -> float:
    # hi: no physical parameter (A, V, W, s, ratios) comes near it; squares stay finite
    if isinstance(value, (str, bytes, bool)):
        raise InputError(f"{name} must be a number, got {value!r}.")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(x) or x < lo or (x == lo and not allow_equal) or x > hi:
        raise InputError(f"{name} must be a finite number {'>=' if allow_equal else '>'} {lo} and <= {hi:g}, "
                         f"got {value!r}.")
    return x


# ---------------------------------------------------------------------------
# features of a switching event's delta
# ---------------------------------------------------------------------------
def _flat_run(x: np.ndarray, frac: float) -> float:
    """Longest circular run of samples with |x| <= frac * max|x| (samples)."""
    pk = float(np.max(np.abs(x)))
    if not pk > 0:
        return float(len(x))
    flat = np.abs(x) <= frac * pk
    if flat.all():
        return float(len(x))
    # rotate so that the array starts on a non-flat sample, then measure runs
    k = int(np.argmin(flat))
    f = np.roll(flat, -k).astype(np.int8)
    d = np.diff(np.concatenate([[0], f, [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return float(np.max(ends - starts)) if len(starts) else 0.0


def delta_features(pre, post, transient=None, *, nominal_voltage: float = 220.0, calibrated: bool = True,
                   harmonics: int = 15) -> dict[str, float]:
    """Describe the load added between two steady states.

    Parameters
    ----------
    pre, post : SteadyState-like
        Objects with ``p`` (W), ``q`` (var), ``v_rms`` (V), ``i_peak`` (A),
        ``i_wave`` and ``v_wave`` (one resampled cycle from the voltage's
        rising zero, A and V).
    transient : Transient-like or None
        With ``peak`` (A): the largest cycle peak during the switching.
    nominal_voltage : float
        Voltage (V) the power is normalised to: ``P (U_nom / U)^2``.
    calibrated : bool
        False when the table is in ADC counts: no voltage normalisation.
    harmonics : int
        Highest harmonic compared between the delta current and the voltage.

    Returns
    -------
    dict
        ``power_w`` (normalised delta P), ``dp`` (W), ``dq`` (var), ``pf``
        (incremental power factor), ``mismatch`` (RMS over harmonics 2..H of
        ``|I_k/I_1 - V_k/V_1|``: 0 when the current copies the voltage),
        ``odd_thd`` (odd harmonics 3..H of the delta current over its
        fundamental), ``v_thd``, ``inrush`` (transient peak over the new
        peak, both minus the old), ``shoulder`` (flat time of the delta
        current beyond a sine's, fraction of a cycle), ``jump`` (largest
        sample step of the delta current over its peak), ``i_delta`` (RMS of
        the delta current, A).
    """
    di = np.asarray(post.i_wave, float) - np.asarray(pre.i_wave, float)
    v = np.asarray(post.v_wave, float)
    n = di.shape[0]
    dp = float(post.p - pre.p)
    dq = float(post.q - pre.q)
    u = float(post.v_rms)
    scale = (nominal_voltage / u) ** 2 if calibrated and u > 0 else 1.0
    di_rms = float(np.sqrt(np.mean(di * di)))
    pf = dp / (u * di_rms) if u > 0 and di_rms > 0 else math.nan
    fi = np.fft.rfft(di)
    fv = np.fft.rfft(v)
    h = max(2, min(harmonics, n // 2 - 1))
    k = np.arange(2, h + 1)
    with np.errstate(all="ignore"):
        ri = fi[k] / fi[1]
        rv = fv[k] / fv[1]
        mismatch = float(np.sqrt(np.sum(np.abs(ri - rv) ** 2)))
        odd = k[k % 2 == 1]
        odd_thd = float(np.sqrt(np.sum(np.abs(fi[odd]) ** 2)) / np.abs(fi[1]))
        v_thd = float(np.sqrt(np.sum(np.abs(fv[k]) ** 2)) / np.abs(fv[1]))
    pk = float(np.max(np.abs(di)))
    inrush = math.nan
    if transient is not None and pk > 0:
        inrush = float((transient.peak - pre.i_peak) / max(post.i_peak - pre.i_peak, 1e-12))
    natural = 2.0 * math.asin(0.05) / (2.0 * math.pi)          # a sine's own share below 5 % of peak
    # two zeros per cycle: the longer flat run around one of them, beyond a sine's
    shoulder = max(0.0, _flat_run(di, 0.05) / n - natural)
    jump = float(np.max(np.abs(np.diff(np.concatenate([di, di[:1]]))))) / pk if pk > 0 else math.nan
    # while it conducts, a (chopped) resistive load draws i = G v: the
    # conductance over the conducting samples gives its full-conduction power
    # and the conducting share of the cycle its firing angle
    on = np.abs(di) > 0.1 * pk if pk > 0 else np.zeros(n, bool)
    vv = float(np.sum(v[on] * v[on]))
    g = float(np.sum(di[on] * v[on])) / vv if vv > 0 else math.nan
    full_power = g * u * u * scale
    alpha = 180.0 * (1.0 - float(np.mean(on)))
    return {"full_power_w": full_power, "firing_angle_deg": alpha,"power_w": dp * scale, "dp": dp, "dq": dq, "pf": pf, "mismatch": mismatch, "odd_thd": odd_thd,
            "v_thd": v_thd, "inrush": inrush, "shoulder": shoulder, "jump": jump, "i_delta": di_rms,
            "n_points": n}



def _event_source(min_power_w: float):
    from .events import EventDetector
    # a 2 % relative noise floor: loads whose own RMS wanders by ~1 % cycle
    # to cycle (a chopper's firing jitter, thermostats) still settle into a
    # steady state, and the fire rules only care about steps of >= ~100 W
    return EventDetector(rel_floor=0.02)


class _Steady:
    """Mean of some cycles: the fields :func:`delta_features` reads."""

    def __init__(self, rows: dict[str, np.ndarray]) -> None:
        self.p = float(np.mean(rows["p"]))
        self.q = float(np.mean(rows["q"]))
        self.v_rms = float(np.mean(rows["v_rms"]))
        self.i_peak = float(np.mean(rows["i_peak"]))
        self.i_wave = np.mean(rows["i_wave"], axis=0)
        self.v_wave = np.mean(rows["v_wave"], axis=0)


# cycles kept from earlier chunks: an event's post window, the transient and
# MAX_PRE cycles before it (longer transients fall back to the event
# detector's own steady states)
_KEEP = MAX_PRE + 48

# Buffers of recent raw waveforms made by _append_rows (by id; ndarrays are not hashable). Only
# these are written into: a view of anyone else's array is never extended in place.
_ROW_BUFFERS: "weakref.WeakValueDictionary[int, np.ndarray]" = weakref.WeakValueDictionary()


def _owned_buffer(x: np.ndarray) -> np.ndarray | None:
    buf = x.base
    if isinstance(buf, np.ndarray) and _ROW_BUFFERS.get(id(buf)) is buf:
        return buf
    return None


def _append_rows(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``np.concatenate([old, new])``, written into spare rows after ``old`` when its buffer has them.

    The recent raw waveforms (a few hundred kB) grow by one chunk per push and
    are cut back to the rows kept. A fresh array per push is, wherever
    glibc's adaptive mmap threshold is off (a Dask worker's nanny sets
    ``MALLOC_TRIM_THRESHOLD_``), a fresh ``mmap`` whose pages fault in
    zeroed, and unmapped again on the next push: that doubled the CPU of a
    fleet replay on Dask. Here the rows live in a buffer with spare rows for
    a few more pushes, moved to its front when it is full: the same values,
    no allocation on most pushes.
    """
    n0, n1 = old.shape[0], new.shape[0]
    n = n0 + n1
    buf = _owned_buffer(old)
    if (buf is not None and buf.dtype == old.dtype == new.dtype and buf.shape[1:] == new.shape[1:]
            and old.flags.c_contiguous):
        off, rem = divmod(old.ctypes.data - buf.ctypes.data, buf.strides[0])
        if rem == 0 and off >= 0:
            if off + n <= buf.shape[0]:
                buf[off + n0:off + n] = new
                return buf[off:off + n]
            if n <= buf.shape[0] and off >= n0:       # move to the front: the rows do not overlap
                buf[:n0] = old
                buf[n0:n] = new
                return buf[:n]
    # spare rows for a few pushes of this size, bounded for one huge chunk
    buf = np.empty((n + 3 * min(max(n, 64), 1024), *new.shape[1:]), dtype=np.result_type(old, new))
    _ROW_BUFFERS[id(buf)] = buf
    buf[:n0] = old
    buf[n0:n] = new
    return buf[:n]


def _keep_rows_of(x: np.ndarray, keep: int) -> np.ndarray:
    """The last ``keep`` rows of ``x``, in a buffer :func:`_append_rows` can extend in place.

    A view when ``x`` is in such a buffer already and the buffer is not much
    larger than what is kept (one huge chunk's buffer is not kept alive);
    a copy into a new buffer otherwise.
    """
    tail = x[max(x.shape[0] - keep, 0):]
    buf = _owned_buffer(tail)
    if buf is not None and buf.shape[0] <= 4 * (tail.shape[0] + 1024):
        return tail
    return _append_rows(np.empty((0, *tail.shape[1:]), dtype=tail.dtype), tail)


class _EventJudge(BaseDetector):
    """Shared plumbing: an internal event detector, recent cycles, the calibrated flag."""

    needs_waveforms = True
    #: judged on P, Q and PF of the switched load: the command line skips it without a voltage channel
    needs_voltage = True

    def check_state(self, state: dict) -> None:
        """The recent cycles kept: consistent columns, at most :meth:`_keep_rows` rows.

        See :meth:`BaseDetector.check_state`.
        """
        seen = check_int(state["_seen"], f"{self.name} cycles seen", 0, 2 ** 53)
        hist = state["_hist"]
        if hist:
            cols = ("p", "q", "v_rms", "i_peak", "start", "period")
            check_keys(hist, cols + ("raw_i", "raw_v"), f"{self.name} recent cycles")
            n = len(check_array(hist["p"], f"{self.name} recent cycles", ndim=1))
            for k in cols:
                check_array(hist[k], f"{self.name} recent {k}", shape=(n,))
            raw = check_array(hist["raw_i"], f"{self.name} recent waveforms", shape=(n, None))
            check_array(hist["raw_v"], f"{self.name} recent waveforms", shape=raw.shape)
            npts = raw.shape[1]
            if n > self._keep_rows() or n > seen or npts < 4 or npts > 2 ** 16 or npts & (npts - 1):
                raise CorruptFileError(f"damaged state data: {self.name} keeps {n} recent cycles of {npts} points")
        if "_whitelist" in state and not np.array_equal(state["_whitelist"], cast(Any, getattr(self, "_whitelist", None))):
            raise CorruptFileError(f"damaged state data: {self.name} whitelist differs from its parameters")
        steps = state.get("_steps")
        if steps is not None:
            if len(steps) > 10_000 or not all(isinstance(s, list) and len(s) == 3 and
                                              all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                  for x in s) for s in steps):
                raise CorruptFileError(f"damaged state data: {self.name} steps must be [sample, dp, dq] numbers")

    def _keep_rows(self) -> int:
        """Recent cycles kept between chunks.

        An event is confirmed up to the event detector's look-back after its onset cycle (a long
        transient): keep that much too, or a chunked stream loses windows a whole batch keeps.
        """
        return max(_KEEP, MAX_PRE + GUARD + int(getattr(self.event_source, "_keep", lambda: 0)()))

    def _calibrated(self, cycles) -> bool:
        if self.calibrated is not None:
            return bool(self.calibrated)
        return bool(getattr(cycles, "calibrated", True))

    # set by each subclass's __init__ (declared for type checkers)
    calibrated: bool | None
    event_source: EventDetector
    _hist: dict[str, np.ndarray]
    _seen: int

    def _events(self, cycles) -> list:
        """Events confirmed by these cycles, as (event, pre, post, background).

        ``pre`` and ``post`` are means over whole periods of the running
        background (:func:`~currentprint.detectors._background.background_delta`):
        at most ``MAX_PRE`` cycles ending ``GUARD`` cycles before the switching cycle, and the event's
        post window without the cycle holding the onset (a partly switched
        cycle would make a heater's delta look distorted). ``background`` is
        the :class:`~currentprint.detectors._background.BackgroundDelta` with
        the noise estimate, or None when the cycles are no longer kept (then
        the event detector's own states are used).
        """
        if len(cycles) == 0:
            return []
        if not cycles.has_waveforms:
            raise InputError(f"{type(self).__name__} needs the resampled cycles: analyse with waveforms=True "
                             "(a Monitor does this by itself).")
        if not cycles.has_voltage:
            raise InputError(f"{type(self).__name__} needs the voltage channel (power and PF of the load).")
        if not cycles.has_voltage_waveforms:
            raise InputError(f"{type(self).__name__} needs the voltage's resampled cycles too: analyse with "
                             "waveforms=True, not waveforms=\"current\".")
        cols = ("p", "q", "v_rms", "i_peak", "start", "period")
        n_tail = len(self._hist["p"]) if self._hist else 0
        hist = {k: np.concatenate([self._hist[k], getattr(cycles, k)]) if n_tail else getattr(cycles, k)
                for k in cols}
        raw_i, raw_v = cycles.raw_waves
        if n_tail:
            raw_i = _append_rows(self._hist["raw_i"], raw_i)
            raw_v = _append_rows(self._hist["raw_v"], raw_v)
        first = self._seen - n_tail                                   # absolute index of hist row 0
        found = self.event_source.push(cycles)
        self.event_source.events.clear()     # the judges keep what they need; no growth
        self._seen += len(cycles)

        out = self._judged(found, hist, raw_i, raw_v, first)
        keep = self._keep_rows()
        self._hist = {**{k: x[-keep:].copy() for k, x in hist.items()},
                      "raw_i": _keep_rows_of(raw_i, keep), "raw_v": _keep_rows_of(raw_v, keep)}
        return out

    def _flush_events(self) -> list:
        """End of the stream: the event still settling (``EventDetector.flush``), judged on the kept cycles."""
        if not self._hist:
            return []
        found = self.event_source.flush()
        self.event_source.events.clear()
        n = len(self._hist["p"])
        return self._judged(found, self._hist, self._hist["raw_i"], self._hist["raw_v"], self._seen - n)

    def _judged(self, found, hist, raw_i, raw_v, first: int) -> list:
        """(event, pre, post, background) of each event, from the rows of ``hist`` (row 0 = cycle ``first``)."""
        n_hist = len(hist["p"])
        out: list[tuple[Any, Any, Any, Any]] = []
        for ev in found:
            # rows (of hist) of the windows: before the switching cycle, after it
            a = max(ev.pre.cycles[0], ev.cycle - GUARD - MAX_PRE) - first
            b = min(ev.pre.cycles[1] + 1, ev.cycle - GUARD) - first
            c, d = max(ev.post.cycles[0], ev.cycle + 1) - first, ev.post.cycles[1] + 1 - first
            bd = None
            if 0 <= a < b <= ev.cycle - first < c < d <= n_hist:
                # aligning costs an FFT per cycle, so only the rows the event needs
                st, per = hist["start"][a:d], hist["period"][a:d]
                wi, wv = align_waves(raw_i[a:d], st, per), align_waves(raw_v[a:d], st, per)
                bd = background_delta(wi, wv, hist["p"][a:d], hist["q"][a:d], hist["v_rms"][a:d],
                                      (0, b - a), (c - a, d - a), transient=(b - a, d - a),
                                      first=first + a)
            if bd is not None:
                out.append((ev, bd.pre, bd.post, bd))
            else:
                out.append((ev, ev.pre, ev.post, None))
        return out


# ---------------------------------------------------------------------------
# illegal heating loads
