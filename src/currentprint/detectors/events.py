"""Switching events: where a load switches on, off or changes state.

The per-cycle table (:class:`~currentprint.CycleTable`) is reduced to a
small feature vector per cycle -- the admittance phasors of the first odd
current harmonics, ``I_k / |V_1|`` with phases relative to the voltage
fundamental (real and imaginary parts, so active and reactive current and
the shape of the added current all count; without a voltage channel the
harmonic magnitudes). A compiled sequential scan (``_core.event_scan``)
keeps a steady reference (the mean of the last ``window`` steady cycles),
measures the noise of every feature in the steady state, and triggers when
the stream departs from the reference (method ``"steady"``, ``"cusum"`` or
``"glr"``). It then waits until ``settle`` consecutive cycles are steady
again (or ``max_transient`` cycles passed) and reports an event when their
mean differs significantly from the reference; a departure that returns to
the reference (a spike) is no event.

All thresholds are chi-square values of standardised differences, i.e.
relative to the measured noise floor (plus ``rel_floor`` times the present
level), so the defaults work on calibrated values and on raw ADC counts
alike. Voltage normalisation (admittance, not current) keeps a supply
voltage change from looking like a load change: a resistive load's
admittance does not change when the voltage does (Hart, "Nonintrusive
appliance load monitoring", Proc. IEEE 80(12), 1992, uses normalised power
for the same reason).

The onset is then located inside its cycle on the resampled cycles
(``CycleTable.i_wave``, aligned on the voltage zero): the first point at
which the current departs from the previous cycle's waveform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from .. import _core
from .._state import check_array, check_float, check_int, check_keys, decode, encode
from .alerts import Alert, _plain
from ..core.cycles import CycleTable
from .base import BaseDetector
from ..errors import CorruptFileError, InputError
from . import _events_reference as _R
from .._core import COLUMNS

__all__ = ["Event", "EventDetector", "SteadyState", "Transient", "detect_events", "METHODS"]

#: scan methods and their code in the compiled scan
METHODS: dict[str, int] = {"steady": 0, "cusum": 1, "glr": 2}

#: how many of the latest events :attr:`EventDetector.events` keeps
EVENTS_KEPT = 100

#: default trigger threshold per method (chi-square units; CUSUM: norm of the
#: standardised cumulative sum beyond its drift)
DEFAULT_THRESHOLD: dict[str, float] = {"steady": 200.0, "cusum": 20.0, "glr": 200.0}

# record fields of the compiled scan (see _events.pxi)
(_ONSET, _CONFIRM, _REF_FIRST, _REF_LAST, _REF_N, _POST_FIRST, _POST_LAST, _TRIG_STAT,
 _STEP_STAT) = range(9)

# a background that alternates cycle by cycle (an induction cooker in burst
# mode conducts about one mains cycle in two) makes every cycle look like a
# jump. When most of the last _RHYTHM_WINDOW cycles differ from the cycle two
# back by less than _RHYTHM_SHARE (in squared norm) of their difference from
# the previous one, the scan reads each cycle's features averaged with the
# previous cycle's: the alternation cancels and a load switching on over it
# stands out. A majority vote ignores a single switching step, and streams
# without such a rhythm never enter this mode (their features are unchanged:
# for independent noise in 8 features the vote is true with probability
# ~0.001).
_RHYTHM_WINDOW = 25
_RHYTHM_MIN = 6
_RHYTHM_SHARE = 0.1

# onset refinement: a point departs when |i - i_previous_cycle| exceeds this
# many noise RMS of the same difference one cycle earlier
_ONSET_SIGMA = 5.0
_ONSET_BACK_SIGMA = 1.5


@dataclass(eq=False)
class SteadyState:
    """Mean of a run of steady cycles before or after an event.

    Attributes
    ----------
    cycles : tuple of int
        First and last cycle (absolute index since the stream start), inclusive.
    n_cycles : int
        Cycles averaged.
    i_rms, v_rms : float
        Mean RMS current (A) and voltage (V) (counts when uncalibrated).
    p, q : float
        Mean active power (W) and fundamental reactive power (var); NaN
        without voltage.
    i_peak : float
        Mean cycle peak of the current, A.
    harmonics : numpy.ndarray of complex
        Mean current harmonic phasors 1..H, A RMS, phase relative to the
        voltage fundamental (NaN without voltage).
    i_wave, v_wave : numpy.ndarray
        Mean current (A) and voltage (V) cycle, ``n_points`` values starting
        at the voltage's rising zero crossing (computed on first access).
    """

    cycles: tuple[int, int]
    n_cycles: int
    i_rms: float
    v_rms: float
    p: float
    q: float
    i_peak: float
    harmonics: np.ndarray
    _rows: Any = field(default=None, repr=False)
    _waves: Any = field(default=None, repr=False)

    def _mean_waves(self) -> tuple[np.ndarray, np.ndarray]:
        if self._waves is None:
            self._waves = (np.mean(self._rows.i_wave, axis=0), np.mean(self._rows.v_wave, axis=0))
            self._rows = None
        return self._waves

    @property
    def i_wave(self) -> np.ndarray:
        return self._mean_waves()[0]

    @property
    def v_wave(self) -> np.ndarray:
        return self._mean_waves()[1]

    def to_dict(self, *, waveforms: bool = True) -> dict:
        """JSON-safe dict (complex harmonics as ``[re, im]`` pairs)."""
        out = {"cycles": list(self.cycles), "n_cycles": self.n_cycles, "i_rms": self.i_rms,
               "v_rms": self.v_rms, "p": self.p, "q": self.q, "i_peak": self.i_peak,
               "harmonics": [[float(h.real), float(h.imag)] for h in self.harmonics]}
        if waveforms:
            out["i_wave"] = self.i_wave.tolist()
            out["v_wave"] = self.v_wave.tolist()
        return _plain(out)


@dataclass
class Transient:
    """What happened between the two steady states.

    Attributes
    ----------
    peak : float
        Largest cycle peak of the current from the onset to the new steady
        state (inrush), A.
    ratio : float
        Inrush ratio of the switched load: ``(peak - pre.i_peak) /
        |post.i_peak - pre.i_peak|`` (about 1 without inrush, 5-10 for a
        motor or a lamp, tens for a capacitor-input power supply; near 0 or
        negative for a switch-off).
    settling_cycles : int
        Cycles from the onset to the first cycle of the new steady state.
    clipped_samples : int
        Current samples at ADC full scale seen in the transient.
    """

    peak: float
    ratio: float
    settling_cycles: int
    clipped_samples: int

    def to_dict(self) -> dict:
        return _plain({"peak": self.peak, "ratio": self.ratio, "settling_cycles": self.settling_cycles,
                       "clipped_samples": self.clipped_samples})


@dataclass(eq=False)
class Event:
    """A load switching on, off or changing state.

    Attributes
    ----------
    sample : int
        Onset, in the caller's samples from the start of the stream, located
        inside its cycle on the resampled waveforms.
    time : float
        ``sample / fs``, s.
    cycle : int
        Index of the cycle holding the onset (absolute since the stream start).
    kind : str
        ``"on"`` (active power rose, at least :data:`MIN_SWITCH_PF` of the
        changed apparent power), ``"off"`` (fell), or ``"change"`` (mostly
        reactive).
    delta_p : float
        Change of mean active power, W (NaN without voltage).
    delta_q : float
        Change of mean fundamental reactive power, var (NaN without voltage).
    delta_i_rms : float
        Change of mean RMS current, A.
    delta_i1 : float
        Magnitude of the change of the fundamental current phasor, A RMS
        (the added or removed load's fundamental current; without voltage the
        change of its magnitude).
    pre, post : SteadyState
        Steady states before and after.
    transient : Transient
        Inrush peak and ratio, settling cycles.
    clipped : bool
        ADC-saturated current samples were seen in the transient.
    score : float
        Chi-square of the step between the two steady states (noise units).
    detected_cycle : int
        Cycle at which the event was confirmed (latency = detected_cycle - cycle).
    method : str
        Scan that found it.
    mains_hz : float
        Median mains frequency over the post window, Hz (converts the
        transient's cycles to seconds).
    calibrated : bool
        False when the cycles were raw ADC counts without scales: the
        quantities above are then in counts (currents) and counts² (powers),
        not A and W.
    """

    sample: int
    time: float
    cycle: int
    kind: str
    delta_p: float
    delta_q: float
    delta_i_rms: float
    delta_i1: float
    pre: SteadyState
    post: SteadyState
    transient: Transient
    clipped: bool
    score: float
    detected_cycle: int
    method: str
    mains_hz: float = float("nan")
    calibrated: bool = True

    def to_dict(self, *, waveforms: bool = True) -> dict:
        """JSON-safe dict of every field (NaN as None)."""
        return _plain({
            "sample": self.sample, "time": self.time, "cycle": self.cycle, "kind": self.kind,
            "delta_p": self.delta_p, "delta_q": self.delta_q, "delta_i_rms": self.delta_i_rms,
            "delta_i1": self.delta_i1, "pre": self.pre.to_dict(waveforms=waveforms),
            "post": self.post.to_dict(waveforms=waveforms), "transient": self.transient.to_dict(),
            "clipped": self.clipped, "score": self.score, "detected_cycle": self.detected_cycle,
            "method": self.method, "mains_hz": self.mains_hz, "calibrated": self.calibrated,
        })

    def __str__(self) -> str:
        w, var, a = ("W", "var", "A") if self.calibrated else ("counts²", "counts²", "counts")
        return (f"{self.kind} at {self.time:.4f} s (sample {self.sample}): dP={self.delta_p:.4g} {w}, "
                f"dQ={self.delta_q:.4g} {var}, dI={self.delta_i_rms:.4g} {a}" + (" [clipped]" if self.clipped else ""))


# upper bounds of the window parameters (cycles): the scan state and the
# history grow with them; 100 000 cycles is over half an hour at 50 Hz
_MAX_CYCLES = 100_000


def _check_positive_int(name: str, value, minimum: int, maximum: int = _MAX_CYCLES) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= maximum:
        raise InputError(f"{name} must be an integer from {minimum} to {maximum} (cycles), got {value!r}.")
    return int(value)


def _check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    if isinstance(value, (str, bytes, bool)):
        raise InputError(f"{name} must be a number, got {value!r}.")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise InputError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}.")
    return x


class EventDetector(BaseDetector):
    """Streaming switching-event detector over per-cycle tables.

    Feed consecutive :class:`~currentprint.CycleTable` chunks (analysed with
    ``waveforms=True``) to :meth:`push` (returns :class:`Event` objects) or
    :meth:`update` (returns :class:`~currentprint.Alert` objects of kind
    ``"event"``); the latest events (up to :data:`EVENTS_KEPT`, so memory
    stays bounded on an endless stream) are also in :attr:`events`. Any
    chunking gives the same events as one table. Events are reported
    ``settle`` cycles or more after their onset (the new steady state must
    be seen first).

    Parameters
    ----------
    method : {"steady", "cusum", "glr"}
        What starts a change. ``"steady"`` (default): an abrupt single-cycle
        jump (chi-square above ``onset_threshold``) or a shift of the mean of
        the last ``settle`` cycles from the reference (chi-square above
        ``threshold``). ``"cusum"``: Crosier's multivariate CUSUM of the
        standardised deviations (drift ``cusum_drift``, alarm ``threshold``).
        ``"glr"``: the generalised likelihood ratio of a mean shift at any of
        the last ``settle`` cycles (alarm ``threshold``). All three then wait
        for the new steady state and report it the same way.
    harmonics : sequence of int
        Current harmonics whose phasors (real and imaginary part of
        ``I_k / |V_1|``) form the features (default the first odd ones, 1,
        3, 5, 7; without voltage their magnitudes).
    window : int
        Cycles in the steady reference (default 25: 0.5 s at 50 Hz).
    settle : int
        Whole steady cycles needed after the onset cycle before a change is
        judged; also the averaging of the ``"steady"`` and ``"glr"``
        statistics (default 8: 0.16 s at 50 Hz). Sets the reporting latency.
    max_transient : int
        Cycles after the onset at which a change is judged even if the new
        state is still moving (default 100: 2 s at 50 Hz).
    threshold : float or None
        Trigger threshold of the method; None uses :data:`DEFAULT_THRESHOLD`
        (``"steady"``/``"glr"``: 200, chi-square with ``d`` degrees of freedom
        of a ``settle``-cycle mean; ``"cusum"``: 20, norm of the standardised
        cumulative sum beyond its drift).
    onset_threshold : float
        Chi-square of an abrupt jump between two consecutive cycles, in units
        of the cycle-to-cycle noise (default 1000, about 22 sigma in one
        feature): an inrush or a switching edge. It triggers at once
        (``"steady"``), moves the onset to the switching inside a transient,
        and lowers the step needed to ``step_threshold``.
    step_threshold : float
        Chi-square of the step between the reference and the new steady
        mean needed to report a change that began abruptly (default 25).
    gradual_threshold : float
        The same for a change without an abrupt jump (default 200): gradual
        drifts of real loads are common, switchings are abrupt.
    steadiness : float
        Largest mean squared standardised spread of the ``settle`` cycles,
        and half the largest first-half/second-half trend chi-square of any
        feature, for them to count as steady (default 4).
    rel_floor : float
        Noise floor relative to the level of the features (default 0.002):
        steps smaller than a fraction of a percent of a large load are not
        events.
    cusum_drift : float
        Crosier reference value k, standardised units (default 4.0, above
        the mean norm sqrt(d) of d standardised features in steady state).
    noise_memory : int
        Cycles over which the steady-state noise estimate is averaged
        (exponential forgetting; default 50).
    min_power_w : float or None
        Report only events with ``|delta_p| >= min_power_w`` W (or passing
        ``min_current_a``). Use with calibrated input.
    min_current_a : float or None
        Report only events with ``delta_i1 >= min_current_a`` A (or passing
        ``min_power_w``).
    """

    name: ClassVar[str] = "events"
    needs_waveforms: ClassVar[bool] = True

    def __init__(self, method: str = "steady", harmonics: Sequence[int] = (1, 3, 5, 7), window: int = 25,
                 settle: int = 8, max_transient: int = 100, threshold: float | None = None,
                 onset_threshold: float = 1000.0, step_threshold: float = 25.0,
                 gradual_threshold: float = 200.0, steadiness: float = 4.0,
                 rel_floor: float = 0.002, cusum_drift: float = 4.0, noise_memory: int = 50,
                 min_power_w: float | None = None, min_current_a: float | None = None) -> None:
        self.method = method
        self.harmonics = harmonics
        self.window = window
        self.settle = settle
        self.max_transient = max_transient
        self.threshold = threshold
        self.onset_threshold = onset_threshold
        self.step_threshold = step_threshold
        self.gradual_threshold = gradual_threshold
        self.steadiness = steadiness
        self.rel_floor = rel_floor
        self.cusum_drift = cusum_drift
        self.noise_memory = noise_memory
        self.min_power_w = min_power_w
        self.min_current_a = min_current_a
        if method not in METHODS:
            raise InputError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
        try:
            hs = tuple(int(k) for k in harmonics)
        except (TypeError, ValueError):
            raise InputError(f"harmonics must be a sequence of harmonic orders (1, 3, ...), got {harmonics!r}.") from None
        if not hs or any(k < 1 or k > 1000 for k in hs) or len(set(hs)) != len(hs):
            raise InputError(f"harmonics must be distinct orders >= 1, got {harmonics!r}.")
        self._orders = hs
        w = _check_positive_int("window", window, 2)
        m = _check_positive_int("settle", settle, 2)
        mt = _check_positive_int("max_transient", max_transient, 1)
        nm = _check_positive_int("noise_memory", noise_memory, 1)
        thr = DEFAULT_THRESHOLD[method] if threshold is None else _check_positive("threshold", threshold)
        for nm_, val in (("onset_threshold", onset_threshold), ("step_threshold", step_threshold),
                         ("gradual_threshold", gradual_threshold),
                         ("steadiness", steadiness), ("cusum_drift", cusum_drift)):
            _check_positive(nm_, val)
        _check_positive("rel_floor", rel_floor, allow_zero=True)
        for nm_, opt in (("min_power_w", min_power_w), ("min_current_a", min_current_a)):
            if opt is not None:
                _check_positive(nm_, opt, allow_zero=True)
        self._params = np.array([METHODS[method], 0.0, w, m, mt, thr, float(onset_threshold),
                                 float(step_threshold), float(steadiness), float(rel_floor),
                                 float(cusum_drift), 1.0 / nm, float(gradual_threshold)], dtype=np.float64)
        # running state
        self._state: np.ndarray | None = None
        self._has_voltage: bool | None = None
        self._history: list[CycleTable] = []
        self._hist_first = 0          # absolute index of the first history cycle
        self._seen = 0                # cycles pushed so far
        self.events: list[Event] = []
        # the last table pushed and its result: detectors that share one
        # EventDetector (a Monitor links identical ones) each push the same
        # table, and only the first push does the work
        self._memo_table: CycleTable | None = None
        self._memo_events: list[Event] = []
        self._memo_flush: tuple[int, list[Event]] = (-1, [])
        # raw features of the last cycles (the rhythm test and pair averaging)
        self._ftail = np.empty((0, 0))

    # -- features ---------------------------------------------------------------
    def _rhythm(self, x: np.ndarray) -> np.ndarray:
        """Features with a cycle-by-cycle alternating background averaged out (see ``_RHYTHM_*``)."""
        tail = self._ftail if self._ftail.shape[1:] == x.shape[1:] else np.empty((0, x.shape[1]))
        z = np.concatenate([tail, x])
        n0, nz, w = tail.shape[0], z.shape[0], _RHYTHM_WINDOW
        # cycle k votes "alternating" when its squared difference to the cycle two back is below
        # _RHYTHM_SHARE of the one to the previous cycle; cycle k is averaged when most of the
        # last w cycles (k-w .. k-1) voted so (a single switching step moves one or two votes)
        vote = np.zeros(nz + 1)
        valid = np.zeros(nz + 1)
        if nz > 2:
            d1 = np.sum((z[2:] - z[1:-1]) ** 2, axis=1)
            d2 = np.sum((z[2:] - z[:-2]) ** 2, axis=1)
            vote[3:] = (d2 < _RHYTHM_SHARE * d1) & (d1 > 0)
            valid[3:] = 1.0
        cv, cn = np.cumsum(vote), np.cumsum(valid)
        k = np.arange(n0, nz)                      # cycles of this chunk, in z
        lo = np.maximum(k - w, 0)
        votes, count = cv[k] - cv[lo], cn[k] - cn[lo]
        mode = (count >= _RHYTHM_MIN) & (votes > 0.5 * count)
        self._ftail = z[-(w + 2):].copy()
        if not mode.any():
            return x
        prev = np.concatenate([z[n0 - 1:n0] if n0 else x[:1], x[:-1]])
        return np.ascontiguousarray(np.where(mode[:, None], 0.5 * (x + prev), x))

    def _features(self, cycles: CycleTable) -> np.ndarray:
        """Per-cycle feature matrix (n, d), float64, C-contiguous."""
        idx = [k - 1 for k in self._orders]
        if max(idx) >= cycles.n_harmonics:
            raise InputError(f"the cycle table stores harmonics up to {cycles.n_harmonics}; "
                             f"EventDetector(harmonics={self.harmonics!r}) needs {max(self._orders)}.")
        if cycles.has_voltage:
            h = cycles.harmonics[:, idx]
            v1 = np.abs(cycles.v_harmonics[:, 0])
            with np.errstate(divide="ignore", invalid="ignore"):
                y = h / v1[:, None]
            return np.ascontiguousarray(np.concatenate([y.real, y.imag], axis=1))
        return np.ascontiguousarray(cycles.harmonic_magnitudes[:, idx])

    # -- history of recent cycles (for steady states and onsets) ------------------
    def _keep(self) -> int:
        return self.window + self.settle + self.max_transient + 8

    def _forget(self) -> None:
        # keep at least _keep() cycles before the next chunk: a change confirmed
        # in it looks back at most max_transient + window + a few cycles
        keep = self._keep()
        # the history always ends at the cycles seen (load_state checks it): no walk over a
        # list that holds ~140 one-cycle tables on a terminal pushing a cycle at a time
        total = self._seen - self._hist_first
        st = self._state
        if st is not None and st[_core.EVENT_STATE_MODE] == 1:
            # a change is pending: its confirmation may come later than the
            # fixed keep (the onset moves to the largest jump of a long
            # transient); keep its reference window and the onset's cycles
            need = min(st[_core.EVENT_STATE_REF_FIRST], st[_core.EVENT_STATE_ONSET] - 3)
            keep = max(keep, int(self._hist_first + total - need))
        while self._history and total - len(self._history[0]) >= keep:
            total -= len(self._history[0])
            self._hist_first += len(self._history[0])
            self._history.pop(0)
        if total > 2 * keep:
            # one large chunk: keep a copy of its tail so the rest is freed
            cut = total - keep
            self._history[0] = CycleTable.concatenate([self._history[0][cut:]])
            self._hist_first += cut

    def _rows(self, first: int, last: int) -> CycleTable | None:
        """History cycles first..last (absolute, inclusive, clamped), or None."""
        end = self._seen           # the history ends at the cycles seen
        first, last = max(first, self._hist_first), min(last, end - 1)
        if last < first:
            return None
        parts = []
        pos = self._hist_first
        for t in self._history:
            a, b = max(first - pos, 0), min(last + 1 - pos, len(t))
            if a < b:
                parts.append(t[a:b])
            pos += len(t)
        return parts[0] if len(parts) == 1 else CycleTable.concatenate(parts)

    # -- the work -------------------------------------------------------------------
    def push(self, cycles: CycleTable) -> list[Event]:
        """Read the next cycles; return the events they confirmed.

        Parameters
        ----------
        cycles : CycleTable
            Consecutive complete cycles, analysed with ``waveforms=True``.

        Returns
        -------
        list of Event
        """
        if not isinstance(cycles, CycleTable):
            raise InputError(f"EventDetector.push needs a CycleTable, got {type(cycles).__name__}.")
        if cycles is self._memo_table:
            return list(self._memo_events)
        if len(cycles) == 0:
            return []
        if not cycles.has_waveforms:
            raise InputError("EventDetector needs the resampled cycles: analyse with waveforms=True "
                             "(cp.analyze(..., waveforms=True) or CycleAnalyzer(..., waveforms=True)).")
        if cycles.has_voltage and not cycles.has_voltage_waveforms:
            raise InputError("EventDetector needs the voltage's resampled cycles too: analyse with waveforms=True, "
                             "not waveforms=\"current\".")
        if self._has_voltage is None:
            self._has_voltage = cycles.has_voltage
            d = (2 if cycles.has_voltage else 1) * len(self._orders)
            self._params[1] = d
            self._state = np.zeros(_core.event_state_size(d, int(self._params[2]), int(self._params[3])))
        elif cycles.has_voltage != self._has_voltage:
            raise InputError("this stream started " + ("with" if self._has_voltage else "without")
                             + " a voltage channel; every table must be analysed the same way.")
        x = self._rhythm(self._features(cycles))
        out = np.empty((len(cycles), _core.EVENT_FIELDS))
        state = self._state
        if state is None:                 # allocated with the first table above
            raise RuntimeError("internal error: event scan state missing")
        n = _core.event_scan(x, self._params, state, out)
        if n < 0:
            raise RuntimeError(f"internal error in the event scan: {_core.ERRORS.get(-n, -n)}")
        self._history.append(cycles)
        self._seen += len(cycles)
        found = []
        for rec in out[:n]:
            ev = self._build(rec)
            if ev is not None:
                found.append(ev)
        self._forget()
        self._keep_events(found)
        self._memo_table, self._memo_events = cycles, found
        return list(found)

    def _keep_events(self, found: list[Event]) -> None:
        self.events.extend(found)
        del self.events[:-EVENTS_KEPT]

    def flush(self) -> list[Event]:
        """End of the stream: judge a change still settling with the cycles seen.

        A change that began less than ``settle`` + 1 cycles before the end
        cannot be judged and is dropped. The detector can continue
        afterwards (the change is then closed).

        Returns
        -------
        list of Event
            Zero or one event.
        """
        if self._state is None:
            return []
        out = np.empty((1, _core.EVENT_FIELDS))
        n = _core.event_scan(np.empty((0, int(self._params[1]))), self._params, self._state, out, True)
        if n < 0:
            raise RuntimeError(f"internal error in the event scan: {_core.ERRORS.get(-n, -n)}")
        found = [ev for ev in (self._build(rec) for rec in out[:n]) if ev is not None]
        self._keep_events(found)
        # detectors sharing this one (a Monitor links identical ones) each flush at the end: the
        # ones after the first read what the first took (same cycle count), see ApplianceTracker.finish
        if found or self._memo_flush[0] != self._seen:
            self._memo_flush = (self._seen, list(found))
        return found

    def update(self, cycles: CycleTable) -> list[Alert]:
        """Read the next cycles; return an ``"event"`` alert per confirmed event."""
        return [self._alert(ev) for ev in self.push(cycles)]

    def finish(self) -> list[Alert]:
        """End of the stream: the alert of a change still settling (see :meth:`flush`)."""
        return [self._alert(ev) for ev in self.flush()]

    def _alert(self, ev: Event) -> Alert:
        return Alert(kind="event", sample=ev.sample, time=ev.time, detail=ev.to_dict(waveforms=False),
                     explanation=f"load switching ({ev.kind}): {ev}", detector=self.name)

    def reset(self) -> "EventDetector":
        """Forget the stream; parameters stay."""
        return super().reset()

    # -- events from scan records ---------------------------------------------------
    @staticmethod
    def _steady(t: CycleTable | None, first: int) -> SteadyState | None:
        """Mean of the cycles of ``t`` (the first being absolute cycle ``first``)."""
        if t is None:
            return None
        i_rms, v_rms, p, q, i_peak = np.stack([t.i_rms, t.v_rms, t.p, t.q, t.i_peak]).mean(axis=1).tolist()
        # copy what the mean waveforms need (a view would keep the whole
        # pushed chunk alive as long as the event lives)
        waves = getattr(t, "_waves", None)
        if waves is not None:
            none = np.zeros((len(t), 1), complex)
            rows = CycleTable(t._data.copy(), none, none, fs=t.fs, has_voltage=t.has_voltage,
                              n_points=t.n_points, waves=(waves[0].copy(), waves[1].copy()))
        else:  # pragma: no cover - a CycleTable without its private arrays
            rows = CycleTable.concatenate([t])
        return SteadyState(cycles=(int(first), int(first + len(t) - 1)), n_cycles=len(t), i_rms=i_rms,
                           v_rms=v_rms, p=p, q=q, i_peak=i_peak, harmonics=t.harmonics.mean(axis=0), _rows=rows)

    def _build(self, rec: np.ndarray) -> Event | None:
        onset, confirm = int(rec[_ONSET]), int(rec[_CONFIRM])
        ref0, ref1, post0, post1 = (int(rec[k]) for k in (_REF_FIRST, _REF_LAST, _POST_FIRST, _POST_LAST))
        # one window of the history holds everything the event needs
        lo = min(ref0, onset - 3)
        win = self._rows(lo, post1)
        if win is None:   # pragma: no cover - the history always covers these
            return None
        base = max(lo, self._hist_first)

        def sub(a: int, b: int):
            a, b = max(a, base), min(b, base + len(win) - 1)
            return (win[a - base:b - base + 1], a) if a <= b else (None, a)

        pre = self._steady(*sub(ref0, ref1))
        post = self._steady(*sub(post0, post1))
        if pre is None or post is None:   # pragma: no cover - history always covers these
            return None
        dp, dq = post.p - pre.p, post.q - pre.q
        di = post.i_rms - pre.i_rms
        if self._has_voltage:
            di1 = float(abs(post.harmonics[0] - pre.harmonics[0]))
        else:
            m0 = float(np.mean(sub(ref0, ref1)[0].harmonic_magnitudes[:, 0]))
            m1 = float(np.mean(sub(post0, post1)[0].harmonic_magnitudes[:, 0]))
            di1 = abs(m1 - m0)
        if self.min_power_w is not None or self.min_current_a is not None:
            ok = (self.min_power_w is not None and abs(dp) >= self.min_power_w) or \
                 (self.min_current_a is not None and di1 >= self.min_current_a)
            if not ok:
                return None
        span, first = sub(onset - 1, post1)
        clipped = int(np.sum(span.i_clipped)) if span is not None else 0
        pk = span.i_peak[max(onset - first, 0):] if span is not None else np.zeros(0)
        peak = float(np.max(pk)) if pk.size else float("nan")
        # inrush of the switched load: excess of the transient peak over the
        # old state, relative to the steady change of the cycle peak
        step_pk = abs(post.i_peak - pre.i_peak)
        ratio = (peak - pre.i_peak) / step_pk if step_pk > 0 else float("nan")
        transient = Transient(peak=peak, ratio=float(ratio), settling_cycles=int(post.cycles[0] - onset),
                              clipped_samples=clipped)
        sample = self._onset_sample(onset, sub)
        fs = self._history[-1].fs
        return Event(sample=sample, time=sample / fs, cycle=onset, kind=_kind(dp, dq, di1, pre, post,
                                                                                bool(self._has_voltage)),
                     delta_p=float(dp), delta_q=float(dq), delta_i_rms=float(di), delta_i1=di1, pre=pre,
                     post=post, transient=transient, clipped=clipped > 0, score=float(rec[_STEP_STAT]),
                     detected_cycle=confirm, method=self.method,
                     mains_hz=float(np.median(sub(post0, post1)[0].frequency)),
                     calibrated=bool(getattr(self._history[-1], "calibrated", True)))

    @staticmethod
    def _onset_sample(onset: int, sub) -> int:
        """Locate the onset inside cycles onset-1..onset+1 (see ``_core.onset_refine``).

        Each cycle's resampled current (grid starting at the first whole
        sample after its voltage zero) is compared with the previous cycle
        at the same phase of the voltage; the first lasting departure above
        the noise of the same difference between two steady cycles before
        the onset is the onset.
        """
        t_on, _ = sub(onset, onset)
        fallback = int(math.floor(t_on.start[0] + 0.5)) if t_on is not None else 0
        t, first = sub(onset - 3, onset + 1)
        if t is None or first != onset - 3 or len(t) < 4:
            return fallback
        u = getattr(t, "_waves", None)
        u = np.ascontiguousarray(u[0] if u is not None else t.i_wave)
        pos = _core.onset_refine(u, np.ascontiguousarray(t.start), np.ascontiguousarray(t.period),
                                 _ONSET_SIGMA, _ONSET_BACK_SIGMA)
        if not math.isfinite(pos):
            return fallback
        return int(math.floor(pos + 0.5))

    # -- persistence ----------------------------------------------------------------
    def _needed_from(self) -> int:
        """First absolute cycle of the history that a future event can still read.

        An event reads its reference window (from ``ES_REF_FIRST``, which only
        moves forward), and the cycles from three before its onset. A pending
        change has its onset in the state; a future one starts at a probe
        cycle (at most ``settle`` back) or, for the CUSUM scan, at the cycle
        after the last CUSUM reset. Two cycles of margin.
        """
        st = self._state
        if st is None:
            return self._seen
        seen = int(st[_R.ES_NSEEN])
        need = min(st[_R.ES_REF_FIRST], seen - int(self._params[3]) - 1)
        if self._params[0] == METHODS["cusum"]:
            need = min(need, st[_R.ES_CUSUM_ZERO] + 1)
        if st[_R.ES_MODE] == 1:
            need = min(need, st[_R.ES_ONSET])
        return int(need) - 5

    def state_dict(self) -> dict:
        """Running state as JSON-safe data (parameters excluded).

        Only the history cycles a future event can read are stored (a few
        dozen at the default window), so that a state stays small.
        """
        need = self._needed_from()
        hist, pos = [], self._hist_first
        first = None
        for t in self._history:
            a = max(0, need - pos)
            pos += len(t)
            if a >= len(t):
                continue
            if first is None:
                first = pos - len(t) + a
            if a:
                t = t[a:]
            hist.append({"data": t._data, "harm_i": t._harm_i, "harm_v": t._harm_v, "fs": t.fs,
                         "has_voltage": t.has_voltage, "n_points": t.n_points, "calibrated": t.calibrated,
                         "waves": None if t._waves is None else list(t._waves)})
        return {"state": encode({"scan": self._state, "has_voltage": self._has_voltage, "history": hist,
                                 "hist_first": pos if first is None else first, "seen": self._seen,
                                 "ftail": self._ftail})}

    def load_state(self, state: dict) -> "EventDetector":
        """Restore :meth:`state_dict` output (events found before are not restored).

        Every index of the scan state is checked against the window sizes
        and the cycles seen, and the history against the scan, before the
        kernel sees them (see :meth:`BaseDetector.check_state`).

        Raises
        ------
        CorruptFileError
            Damaged state, or one of another configuration.
        """
        if not isinstance(state, dict) or set(state) != {"state"}:
            raise CorruptFileError("not an EventDetector state")
        s = check_keys(decode(state["state"]), ("scan", "has_voltage", "history", "hist_first", "seen", "ftail"),
                       "EventDetector state")
        seen = check_int(s["seen"], "EventDetector seen cycles", 0, 2 ** 53)
        hv = s["has_voltage"]
        hist = s["history"]
        if not isinstance(hist, list) or len(hist) > 100_000:
            raise CorruptFileError("damaged state data: EventDetector history must be a list of tables")
        ftail = check_array(s["ftail"], "EventDetector recent features", ndim=2)
        if hv is None:
            if s["scan"] is not None or hist or seen or ftail.size:
                raise CorruptFileError("damaged state data: an EventDetector that saw no cycles holds a scan")
            self.reset()
            return self
        if not isinstance(hv, bool):
            raise CorruptFileError("damaged state data: EventDetector has_voltage must be true, false or null")
        d = (2 if hv else 1) * len(self._orders)
        w, m = int(self._params[2]), int(self._params[3])
        scan = check_array(s["scan"], "EventDetector scan state", shape=(_core.event_state_size(d, w, m),))
        _check_scan(scan, d, w, m, seen)
        first = check_int(s["hist_first"], "EventDetector history start", 0, seen)
        tables = [_table_from_state(h, hv, max(self._orders)) for h in hist]
        if first + sum(len(t) for t in tables) != seen:
            raise CorruptFileError("damaged state data: EventDetector history does not end at the cycles seen")
        if len({(t.fs, t.n_points, t.n_harmonics) for t in tables}) > 1:
            raise CorruptFileError("damaged state data: EventDetector history tables of different streams")
        if ftail.shape[0] > min(seen, _RHYTHM_WINDOW + 2) or (ftail.size and ftail.shape[1] != d):
            raise CorruptFileError("damaged state data: EventDetector recent features do not fit the scan")
        self.reset()
        self._state = scan.copy()
        self._has_voltage = hv
        self._params[1] = d
        self._history = tables
        self._hist_first = first
        self._seen = seen
        self._ftail = ftail.copy()
        return self


def _check_scan(st: np.ndarray, d: int, w: int, m: int, seen: int) -> None:
    """Refuse an event-scan state the scan could not have produced (indices first)."""
    name = "EventDetector scan state"
    check_int(st[_R.ES_NSEEN], f"{name} cycle count", seen, seen)
    for k, what in ((_R.ES_MODE, "mode"), (_R.ES_READY, "ready flag"),
                    (_R.ES_TRIG_ABRUPT, "abrupt flag")):
        check_int(st[k], f"{name} {what}", 0, 1)
    check_int(st[_R.ES_REF_N], f"{name} reference count", 0, w)
    check_int(st[_R.ES_REF_POS], f"{name} reference position", 0, w - 1)
    check_int(st[_R.ES_PRB_N], f"{name} probe count", 0, m)
    check_int(st[_R.ES_PRB_POS], f"{name} probe position", 0, m - 1)
    for k, what in ((_R.ES_REF_FIRST, "reference start"), (_R.ES_REF_LAST, "reference end"),
                    (_R.ES_ONSET, "onset"), (_R.ES_TRIG, "trigger"),
                    (_R.ES_CUSUM_ZERO, "CUSUM reset")):
        check_int(st[k], f"{name} {what}", 0, seen)
    for k, what in ((_R.ES_TRIG_STAT, "trigger statistic"), (_R.ES_BEST_JUMP, "jump")):
        check_float(st[k], f"{name} {what}", nan=True)
    # ring buffers of cycle indices (reference, probe): integral, in the stream
    o_ref = _R.ES_NSCALAR + 3 * d
    o_refi = o_ref + w * d
    o_prbi = o_refi + w + m * d
    for lo, n, what in ((o_refi, w, "reference cycles"), (o_prbi, m, "probe cycles")):
        idx = st[lo:lo + n]
        if not (np.isfinite(idx).all() and (idx == np.floor(idx)).all() and (idx >= 0).all() and (idx <= seen).all()):
            raise CorruptFileError(f"damaged state data: {name} {what} are not cycle indices of the stream")


def _table_from_state(h: Any, has_voltage: bool, max_order: int) -> CycleTable:
    """One history table, its arrays checked against each other."""
    h = check_keys(h, ("data", "harm_i", "harm_v", "fs", "has_voltage", "n_points", "calibrated", "waves"),
                   "EventDetector history table")
    data = check_array(h["data"], "history cycles", shape=(len(COLUMNS), None))
    n = data.shape[1]
    hi = check_array(h["harm_i"], "history harmonics", dtype=np.complex128, shape=(n, None))
    check_array(h["harm_v"], "history voltage harmonics", dtype=np.complex128, shape=hi.shape)
    if not max_order <= hi.shape[1] <= 4096:
        raise CorruptFileError(f"damaged state data: history holds {hi.shape[1]} harmonics; {max_order} are needed")
    fs = check_float(h["fs"], "history sample rate", 1.0, 1e9)
    npts = check_int(h["n_points"], "history points per cycle", 4, 2 ** 16)
    if npts & (npts - 1) or h["has_voltage"] is not has_voltage or not isinstance(h["calibrated"], bool):
        raise CorruptFileError("damaged state data: history table flags or points per cycle are invalid")
    waves = h["waves"]
    if waves is not None:
        if not isinstance(waves, list) or len(waves) != 2:
            raise CorruptFileError("damaged state data: history waveforms must be two arrays")
        waves = tuple(check_array(x, "history waveforms", shape=(n, npts)) for x in waves)
    return CycleTable(data, hi, h["harm_v"], fs=fs, has_voltage=has_voltage, n_points=npts, waves=waves,
                      calibrated=h["calibrated"])


#: smallest power factor of the changed power (|dP| / |dP + j dQ|) for an "on" or "off": below it
#: the change is mostly reactive ("change": a motor's load changing, a capacitor). Appliances
#: switching draw more: a motor at no load ~0.3-0.4 (IEC 60034 induction motors), a small
#: capacitor-input supply on standby with its EMI filter capacitor ~0.5 (a desktop PC in the
#: HFHAD-C recordings: 6.5 W, -11 var, PF 0.51, which the former limit of 0.5 split between
#: "on" and "change" by noise)
MIN_SWITCH_PF = 0.3


def _kind(dp: float, dq: float, di1: float, pre: SteadyState, post: SteadyState, has_voltage: bool) -> str:
    """on/off when the active part is a large enough share of the change (:data:`MIN_SWITCH_PF`), else change."""
    if has_voltage and math.isfinite(dp) and math.isfinite(dq):
        s = math.hypot(dp, dq)
        if s > 0 and abs(dp) >= MIN_SWITCH_PF * s:
            return "on" if dp > 0 else "off"
        return "change"
    d = post.i_rms - pre.i_rms
    if di1 > 0 and abs(d) >= 0.5 * di1:
        return "on" if d > 0 else "off"
    return "change"


def detect_events(current, voltage=None, *, fs: float, method: str = "steady", calibration=None,
                  mains_hz: float | None = None, harmonics: int | None = None, **params: Any) -> list[Event]:
    """Find the switching events of a recording.

    Runs :func:`currentprint.analyze` (with ``waveforms=True``) and an
    :class:`EventDetector` over the whole table, then
    :meth:`EventDetector.flush` (a change whose new state is still moving at
    the end of the recording is judged on the cycles there are).

    Parameters
    ----------
    current : array_like, 1-D
        Current samples: A, or ADC counts (int16) with or without ``calibration``
        (defaults are relative to the measured noise, so counts work).
    voltage : array_like, 1-D, optional
        Voltage samples, same length. Strongly recommended: without it the
        features are harmonic magnitudes only and small loads are harder to see.
    fs : float
        Sample rate, Hz.
    method : {"steady", "cusum", "glr"}
        Scan, see :class:`EventDetector`.
    calibration : Calibration, optional
        Scales for ADC counts; set ``adc_full_scale`` to have clipping flagged
        for converters narrower than the integer type (e.g. 8191 for 14 bits
        in int16).
    mains_hz : float, optional
        Nominal mains frequency, Hz (None: detected).
    harmonics : int or None
        Harmonics computed by the analysis (default 25, or as many as ``fs``
        resolves, as :func:`currentprint.analyze`).
    **params
        :class:`EventDetector` parameters (``window``, ``settle``,
        ``threshold``, ``min_power_w``, ...).

    Returns
    -------
    list of Event
        In onset order.

    Raises
    ------
    InputError
        Bad samples or an unknown parameter (the message lists the valid ones).

    Examples
    --------
    >>> import currentprint as cp
    >>> sig = cp.synth.example()
    >>> events = cp.detect_events(sig.current, sig.voltage, fs=sig.fs)
    >>> [e.kind for e in events]
    ['on', 'on', 'on', 'off']
    """
    from ..core.analyzer import analyze
    valid = set(EventDetector._param_names()) - {"method"}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise InputError(f"detect_events got unknown parameter(s) {unknown}; valid: {sorted(valid)}")
    det = EventDetector(method=method, **params)
    table = analyze(current, voltage, fs=fs, mains_hz=mains_hz, harmonics=harmonics, calibration=calibration,
                    waveforms=True)
    events = det.push(table) + det.flush()
    return sorted(events, key=lambda e: e.sample)
