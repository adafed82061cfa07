"""The Monitor: the terminal's main loop.

Samples arrive in chunks of any size; one :class:`~currentprint.CycleAnalyzer`
pass (framing + compiled kernel) turns them into per-cycle rows, and every
detector reads the same rows. Alerts come back from :meth:`Monitor.push`.
The whole running state (analyser buffers, framing filter, every detector)
can be written to disk with :meth:`Monitor.save` and restored in another
process with :meth:`Monitor.load`, so a power cut or a restart loses nothing:
the restored monitor, fed the rest of the stream, raises exactly the alerts
an uninterrupted one would, wherever the stream was cut (mid-cycle included).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from os import PathLike
from typing import Any, Sequence

import numpy as np

from . import _state
from ._state import check_keys
from .detectors.alerts import Alert
from .core.analyzer import CycleAnalyzer, default_harmonics
from .core.cycles import CycleTable
from .detectors.base import BaseDetector, _resolve, _wave_need, get_detector
from .detectors._background import GUARD, MAX_PRE
from .errors import CorruptFileError, InputError, RegistryError
from .core.signal import Calibration, check_fs

__all__ = ["Monitor"]

log = logging.getLogger(__name__)

#: schema tag and version of the files written by :meth:`Monitor.save`
STATE_SCHEMA = "currentprint.monitor"
STATE_VERSION = 2

# Identification of a switch-on event uses the mean of the _FP_CYCLES cycles
# before the event's cycle and of the _FP_CYCLES cycles starting _FP_SKIP
# cycles after it (skipping the inrush). Windows are counted in cycles from
# the event, so the result does not depend on how the stream was chunked.
_FP_CYCLES = 8
_FP_SKIP = 3
# cycles of resampled waveforms kept from earlier pushes: an event detector
# may report up to _WAVE_HISTORY - _FP_CYCLES cycles (about 4.8 s at 50 Hz)
# after the onset and still be identified
_WAVE_HISTORY = 250
# rows of the history buffers at least (history plus several pushes' cycles)
_HIST_MIN_ROWS = 4 * _WAVE_HISTORY


class Monitor:
    """Streaming analysis of one channel with any number of detectors.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz (None: any 45–65 Hz grid).
    calibration : Calibration or None
        Scales for ADC counts; ``None`` treats input as A and V.
    detectors : sequence of BaseDetector or str
        Detector instances, or registered names (``"events"``,
        ``"arc_fault"``, ``"resistive_load"``, ``"phase_chopper"``,
        ``"overload"`` or a plugin's name) built with their defaults.
    library : FingerprintLibrary or None
        When given, switch-on events (alerts of kind ``"event"`` whose
        ``detail["kind"] == "on"``) carry the identification of the load
        that switched on in ``detail["match"]`` (``label``, ``distance``,
        ``confidence``).
    harmonics : int or None
        Highest harmonic order analysed; default 25, or as many as ``fs``
        resolves (:func:`currentprint.analyzer.default_harmonics`, as
        :func:`currentprint.analyze`).
    start_time : datetime or None
        Wall-clock time of the first sample pushed. Every alert then carries
        ``timestamp`` (UTC: ``start_time + sample / fs``), and detectors that
        keep a timeline (:class:`~currentprint.ApplianceTracker`) stamp their
        rows. A naive datetime is taken as UTC.

    With a library, switch-on *and* switch-off event alerts carry the
    identification, over whatever else runs on the circuit (period-aware
    windows; acceptance radius widened by the measured background noise,
    ``detail["match"]["noise_spread"]``); detectors that use a library
    (``uses_library = True``, e.g. :class:`~currentprint.ApplianceTracker`)
    and were given none get the Monitor's.

    Examples
    --------
    >>> import currentprint as cp
    >>> sig = cp.synth.example()
    >>> mon = cp.Monitor(fs=sig.fs, detectors=[])
    >>> alerts = []
    >>> for k in range(0, 12800, 640):       # 2 s in chunks of 0.1 s
    ...     alerts += mon.push(sig.current[k:k + 640], sig.voltage[k:k + 640])
    >>> mon.cycles_seen
    98
    """

    def __init__(self, fs: float, *, mains_hz: float | None = None, calibration: Calibration | None = None,
                 detectors: Sequence[BaseDetector | str] = (), library: Any = None, harmonics: int | None = None,
                 start_time: datetime | None = None) -> None:
        self.fs = check_fs(fs)
        if start_time is not None and not isinstance(start_time, datetime):
            raise InputError(f"start_time must be a datetime, got {type(start_time).__name__}")
        self.start_time = None if start_time is None else (
            start_time.replace(tzinfo=timezone.utc) if start_time.tzinfo is None
            else start_time.astimezone(timezone.utc))
        self.mains_hz = mains_hz
        self.calibration = calibration
        # resolved here (not left None): saved states record the order analysed
        self.harmonics = default_harmonics(self.fs, mains_hz) if harmonics is None else harmonics
        self.library = library
        if detectors is None:
            detectors = []
        elif isinstance(detectors, (str, BaseDetector)):
            detectors = [detectors]
        dets: list[BaseDetector] = []
        for d in detectors:
            if isinstance(d, str):
                d = get_detector(d)
            elif not isinstance(d, BaseDetector):
                raise InputError(f"detectors must be BaseDetector instances or registered names, got {d!r}")
            dets.append(d)
        names = [d.name for d in dets]
        if len(set(map(id, dets))) != len(dets):
            raise InputError("the same detector instance was given twice; give separate instances")
        self.detectors: list[BaseDetector] = dets
        self.waveforms = _wave_need(library, dets)
        self._analyzer = CycleAnalyzer(self.fs, mains_hz, harmonics, calibration, waveforms=self.waveforms)
        self._names = names
        self.reset()

    # -- configuration ------------------------------------------------------
    def get_params(self) -> dict:
        """Constructor parameters (detectors as given instances)."""
        return {"fs": self.fs, "mains_hz": self.mains_hz, "calibration": self.calibration,
                "detectors": list(self.detectors), "library": self.library, "harmonics": self.harmonics,
                "start_time": self.start_time}

    def __repr__(self) -> str:
        return (f"Monitor(fs={self.fs:g}, mains_hz={self.mains_hz!r}, detectors={self._names!r}, "
                f"library={'yes' if self.library is not None else 'no'}, cycles_seen={self.cycles_seen})")

    def reset(self) -> "Monitor":
        """Forget the stream and every detector's state; parameters stay."""
        self._analyzer.reset()
        for d in self.detectors:
            d.reset()
        self._share_event_sources()
        self._hand_over()
        self._cycles = 0
        self._hist_first = 0          # absolute index of the first cycle kept
        self._set_history(np.empty(0), np.empty((0, self._analyzer._npts)), np.empty((0, self._analyzer._npts)))
        self._pending: list[Alert] = []   # switch-on alerts waiting for their post window
        return self

    def _hand_over(self) -> None:
        """Give the library and the start time to detectors that use them."""
        for d in self.detectors:
            if getattr(d, "uses_library", False) and getattr(d, "library", None) is None and self.library is not None:
                setattr(d, "library", self.library)
            if self.start_time is not None and hasattr(d, "set_start_time"):
                d.set_start_time(self.start_time)

    def _share_event_sources(self) -> None:
        """Let fresh detectors with identical ``event_source`` detectors use one.

        A detector may hold the switching-event detector it judges events
        from in its attribute ``event_source`` (the load detectors do). When
        several hold event detectors of the same class and parameters, one
        instance serves them all: it is pushed the same table by each and
        scans it once. Only called on fresh detectors (after a reset), so the
        shared state is the state each would have had; a restored monitor
        keeps separate (equal) copies.
        """
        shared: dict[tuple, BaseDetector] = {}
        for d in self.detectors:
            src = getattr(d, "event_source", None)
            if src is None or not hasattr(src, "get_params"):
                continue
            key = (type(src), repr(sorted(src.get_params().items())))
            setattr(d, "event_source", shared.setdefault(key, src))   # one detector feeds all that share it

    @property
    def cycles_seen(self) -> int:
        """Complete cycles analysed since the start (or the last reset)."""
        return self._cycles

    @property
    def samples_seen(self) -> int:
        """Samples pushed since the start (or the last reset)."""
        return self._analyzer.samples_seen

    # -- streaming ----------------------------------------------------------
    def push(self, current, voltage=None) -> list[Alert]:
        """Add the next chunk of samples; return the alerts it raised.

        Parameters
        ----------
        current : array_like, 1-D
            Current samples (A, or ADC counts with a calibration), any length.
        voltage : array_like, 1-D, optional
            Voltage samples of the same length; give it on every push or on
            none.

        Returns
        -------
        list of Alert
            In detector order, each detector's alerts in its own order.
            ``sample`` counts from the first sample ever pushed; ``time`` is
            ``sample / fs`` unless the detector set it.
        """
        return self.process(current, voltage)[1]

    def process(self, current, voltage=None) -> tuple[CycleTable, list[Alert]]:
        """Like :meth:`push`, also returning the cycles the chunk completed.

        For applications that log or plot the per-cycle quantities (RMS, P,
        THD, ...) besides the alerts, without a second analysis pass.

        Returns
        -------
        cycles : CycleTable
            The cycles completed by this chunk (possibly none).
        alerts : list of Alert
        """
        table = self._analyzer.push(current, voltage)
        return table, self.update(table)

    def update(self, table: CycleTable) -> list[Alert]:
        """Feed an already computed cycle table (advanced: bypasses the analyser)."""
        if self.library is not None:
            self._remember(table)
        self._cycles += len(table)
        return self._collect(lambda det: det.update(table), "update")

    def _collect(self, call, verb: str) -> list[Alert]:
        """Alerts of ``call(det)`` for every detector, completed and checked."""
        alerts: list[Alert] = []
        identify = self.library is not None
        for det in self.detectors:
            got = call(det)
            if got is None:
                raise TypeError(f"{type(det).__name__}.{verb} returned None; it must return a list of Alert")
            for a in got:
                if not isinstance(a, Alert):
                    raise TypeError(f"{type(det).__name__}.{verb} returned {type(a).__name__}, not Alert")
                if a.time is None:
                    a.time = a.sample / self.fs
                if self.start_time is not None and a.timestamp is None:
                    a.timestamp = self.start_time + timedelta(seconds=a.sample / self.fs)
                if a.detector is None:
                    a.detector = det.name
                if identify and a.kind == "event" and a.detail.get("kind") in ("on", "off"):
                    self._pending.append(a)      # emitted once its post window is complete
                else:
                    alerts.append(a)
        if self._pending:
            alerts.extend(self._identify_ready())
        return alerts

    def flush(self) -> list[Alert]:
        """End of a recording: what the detectors still hold, and pending identifications.

        Each detector's :meth:`~currentprint.BaseDetector.finish` (the event
        detector judges a change still settling), then switch-on alerts still
        waiting for post-event cycles, identified with what is there. A live
        stream never needs it (the identification wait is
        ``_FP_SKIP + _FP_CYCLES`` = 11 cycles).
        """
        alerts = self._collect(lambda det: getattr(det, "finish", lambda: [])(), "finish")
        return alerts + self._identify_ready(final=True)

    def run(self, current, voltage=None, *, chunk: int | None = None) -> list[Alert]:
        """Push a whole recording in chunks (default 0.2 s); return all alerts."""
        i = np.asarray(current)
        v = None if voltage is None else np.asarray(voltage)
        step = int(chunk or max(1, round(0.2 * self.fs)))
        out: list[Alert] = []
        for k in range(0, i.shape[0], step):
            out += self.push(i[k:k + step], None if v is None else v[k:k + step])
        return out

    # -- identification of switch-on events -------------------------------
    def _set_history(self, start: np.ndarray, i_wave: np.ndarray, v_wave: np.ndarray, cap: int = 0) -> None:
        """Put the history rows into fresh buffers of ``cap`` rows (at least the rows given)."""
        n = start.shape[0]
        cap = max(cap, n)
        npts = self._analyzer._npts
        self._hist_buf = (np.empty(cap), np.empty((cap, npts)), np.empty((cap, npts)))
        for buf, rows in zip(self._hist_buf, (start, i_wave, v_wave)):
            buf[:n] = rows
        self._hist_lo, self._hist_hi = 0, n
        self._hist_views()

    def _hist_views(self) -> None:
        # the kept rows, as views of the buffers (readers use them within one call; state_dict copies)
        lo, hi = self._hist_lo, self._hist_hi
        self._hist_start, self._hist_i, self._hist_v = (b[lo:hi] for b in self._hist_buf)

    def _remember(self, table: CycleTable) -> None:
        # keep a fixed number of cycles from earlier pushes plus the whole new
        # table, so what is available to an alert does not depend on chunking.
        # Rows are appended into buffers with spare rows, moved to the front
        # only when the end is reached: copying the whole history on every
        # push made two fresh ~300 kB arrays per 1-s push (300 cycles x 128 points).
        m = len(table)
        n = self._hist_hi - self._hist_lo
        drop = max(0, n - _WAVE_HISTORY)
        self._hist_first += drop
        self._hist_lo += drop
        n -= drop
        cap = self._hist_buf[0].shape[0]
        if self._hist_hi + m > cap:
            lo, hi = self._hist_lo, self._hist_hi
            kept = (self._hist_buf[0][lo:hi], self._hist_buf[1][lo:hi], self._hist_buf[2][lo:hi])
            if 2 * (n + m) <= cap <= max(_HIST_MIN_ROWS, 4 * (n + m)):
                for buf, rows in zip(self._hist_buf, kept):
                    buf[:n] = rows           # NumPy handles the overlapping ranges
                self._hist_lo, self._hist_hi = 0, n
                self._hist_views()
            else:                            # too small, or far too large after a long push
                self._set_history(*kept, cap=max(_HIST_MIN_ROWS, 2 * (n + m)))
        hi = self._hist_hi
        for buf, rows in zip(self._hist_buf, (table.start, table.i_wave, table.v_wave)):
            buf[hi:hi + m] = rows
        self._hist_hi = hi + m
        self._hist_views()

    def _windows(self, alert: Alert) -> tuple[int, int, int, int, int]:
        """History rows ``[pre0, pre1)``, ``[post0, post1)`` and the onset row of a switching event.

        The event detector's own steady states are used when its alert says
        which cycles they span (``detail["pre"]["cycles"]`` and
        ``detail["post"]["cycles"]``, absolute first and last cycle, as the
        built-in ``EventDetector`` reports): at most ``MAX_PRE`` cycles
        ending ``GUARD`` cycles before the cycle holding the onset, and the settled cycles after it
        without that cycle (windows that avoid the switching and any
        transition before it). Otherwise fixed windows around the onset.
        """
        first = self._hist_first
        # the event's cycle: the last one starting at or before the onset
        e = int(np.searchsorted(self._hist_start, alert.sample, side="right")) - 1
        try:
            ec = int(alert.detail["cycle"]) - first if "cycle" in alert.detail else e
            pre_c = [int(x) for x in alert.detail["pre"]["cycles"]]
            post_c = [int(x) for x in alert.detail["post"]["cycles"]]
            if pre_c[0] <= pre_c[1] < post_c[0] <= post_c[1]:
                pre0 = max(pre_c[0] - first, ec - GUARD - MAX_PRE)
                pre1 = min(pre_c[1] + 1 - first, ec - GUARD)
                post0 = max(post_c[0] - first, ec + 1)
                return pre0, pre1, post0, post_c[1] + 1 - first, ec
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
            pass
        e = max(e, 0)
        return e - _FP_CYCLES, e, e + _FP_SKIP, e + _FP_SKIP + _FP_CYCLES, e

    def _identify_ready(self, final: bool = False) -> list[Alert]:
        out, waiting = [], []
        n = self._hist_start.shape[0]
        for a in self._pending:
            pre0, pre1, post0, post1, onset = self._windows(a)
            if post1 > n and not final:
                waiting.append(a)       # its post-event cycles have not all arrived
                continue
            self._identify(a, pre0, pre1, post0, min(post1, n), onset)
            out.append(a)
        self._pending = waiting
        return out

    def _identify(self, alert: Alert, pre0: int, pre1: int, post0: int, post1: int, onset: int) -> None:
        """Attach the library's identification of the load that switched on or off."""
        match, why = None, ""
        if pre0 < 0 and self._hist_first > 0:
            why = "the event was reported too late after its onset to recover the cycles before it"
        elif post1 <= post0:
            why = "no complete cycle after the event"
        elif pre1 <= max(pre0, 0):
            why = "no steady cycle before the event"
        else:
            try:
                match, spread, info = self._identify_delta(max(pre0, 0), pre1, post0, post1, onset, alert)
            except ImportError:
                why = "currentprint.fingerprints is not available"
        if match is None:
            log.debug("event at sample %d not identified: %s", alert.sample, why)
            alert.detail["match"] = None
            alert.detail["match_error"] = why
            return
        alert.detail["match"] = {"label": str(match.label), "distance": _float(getattr(match, "distance", None)),
                                 "confidence": _float(getattr(match, "confidence", None)),
                                 "noise_spread": _float(spread)}
        alert.detail["background"] = info
        alert.explanation = f"{alert.explanation} (identified as {match.label})"

    def _identify_delta(self, pre0: int, pre1: int, post0: int, post1: int, onset: int, alert: Alert):
        """The library's answer for the after-minus-before cycle over the running background."""
        from .detectors._background import background_delta, identify_delta
        a = pre0
        wi, wv = self._hist_i[a:post1], self._hist_v[a:post1]
        p = np.mean(wi * wv, axis=1)            # per-cycle power of the aligned cycles, W
        zeros = np.zeros_like(p)
        bd = background_delta(wi, wv, p, zeros, zeros, (0, pre1 - a), (post0 - a, post1 - a),
                              first=self._hist_first + a)
        if bd is None:                          # _identify checked that both windows hold cycles
            raise RuntimeError("internal error: an empty background window")
        starts = self._hist_start[post0:post1]
        period = float(starts[-1] - starts[0]) / (starts.shape[0] - 1) if starts.shape[0] > 1 else self.fs / 50.0
        mains = self.fs / period
        kind = "off" if alert.detail.get("kind") == "off" else "on"
        tr = None
        transient = alert.detail.get("transient")
        if isinstance(transient, dict) and kind == "on":
            # the EventDetector's transient (ratio, settling_cycles) under the fingerprint's names
            tr = {"inrush_ratio": transient.get("inrush_ratio", transient.get("ratio")),
                  "settling_s": transient.get("settling_s", _div(transient.get("settling_cycles"), mains))}
        match, _fp, spread = identify_delta(self.library, bd, kind=kind, fs=self.fs, mains_hz=mains, transient=tr,
                                            seed=int(alert.sample) & 0x7FFFFFFF)
        return match, spread, bd.info()

    # -- persistence --------------------------------------------------------
    def state_dict(self) -> dict:
        """The running state as JSON-safe data (configuration included).

        Data only: detectors are named by their registered name and their
        parameters, never by a class; see ``SECURITY.md``.
        """
        dets = []
        for name, d in zip(self._names, self.detectors):
            # a library is data of its own (saved with FingerprintLibrary.save), not a parameter to store
            params = {k: v for k, v in d.get_params().items()
                      if not (k == "library" and getattr(d, "uses_library", False))}
            # whether it identified with a library, so a restart without one is refused, not silently "unknown"
            used = bool(getattr(d, "uses_library", False) and getattr(d, "library", None) is not None)
            dets.append({"name": name, "params": _state.encode(params), "state": d.state_dict(), "library": used})
        return {
            "fs": self.fs, "mains_hz": self.mains_hz, "harmonics": self.harmonics,
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "waveforms": self.waveforms,
            "detectors": dets,
            "analyzer": _state.encode(self._analyzer.state_dict()),
            "cycles": self._cycles,
            "history": _state.encode({"first": self._hist_first, "start": self._hist_start, "i": self._hist_i,
                                      "v": self._hist_v}),
            "pending": [a.to_dict() for a in self._pending],
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
        }

    def load_state(self, state: dict) -> "Monitor":
        """Restore :meth:`state_dict` output into a monitor with the same configuration.

        Every part is checked (by the analyser, each detector's
        ``load_state``/``check_state``, and here) before it is used; on any
        error the monitor is reset.

        Raises
        ------
        CorruptFileError
            The state does not fit this monitor (other sample rate, other
            detectors) or is damaged.
        InputError
            A detector identified loads with a fingerprint library, and none
            is given now (libraries are not stored in the state).
        """
        try:
            self._load_state(state)
        except (CorruptFileError, _LibraryNeeded):
            self.reset()
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            self.reset()
            raise CorruptFileError(f"not a valid monitor state ({type(exc).__name__}: {exc})") from None
        return self

    def _load_state(self, state: dict) -> None:
        state = _unpool(state)
        check_keys(state, _STATE_KEYS, "monitor state")
        if _state.check_float(state["fs"], "fs", 0.0) != self.fs or state["harmonics"] != self.harmonics:
            raise CorruptFileError(
                f"state is for fs={state['fs']} Hz, harmonics={state['harmonics']}; this monitor has "
                f"fs={self.fs:g} Hz, harmonics={self.harmonics}")
        dets = state["detectors"]
        if not isinstance(dets, list) or not all(isinstance(d, dict) for d in dets):
            raise CorruptFileError("damaged state data: detectors must be a list of entries")
        names = [d.get("name") for d in dets]
        if names != self._names:
            raise CorruptFileError(f"state holds detectors {str(names)[:200]}; this monitor has {self._names}")
        self.reset()
        self._analyzer.load_state(_state.decode(state["analyzer"]))
        for det, ds in zip(self.detectors, dets):
            check_keys(ds, ("name", "params", "state", "library"), f"detector {det.name!r} entry")
            if not isinstance(ds["library"], bool):
                raise CorruptFileError(f"damaged state data: detector {det.name!r} library flag")
            if ds["library"] and getattr(det, "library", None) is None:
                raise _LibraryNeeded(f"detector {det.name!r} identified loads with a fingerprint library, which the state "
                                 "does not store: pass library=FingerprintLibrary.load(...) to Monitor.load "
                                 "(or a detector built with its library in detectors=[...])")
            det.load_state(ds["state"])
        cycles = _state.check_int(state["cycles"], "cycles seen", 0, 2 ** 53)
        hist = _state.check_keys(_state.decode(state["history"]), ("first", "start", "i", "v"), "monitor history")
        first = _state.check_int(hist["first"], "history start", 0, cycles)
        start = _state.check_array(hist["start"], "history cycle starts", ndim=1, finite=True)
        npts = self._analyzer._npts
        n = start.shape[0]
        if n > 10 ** 6 or first + n > cycles:
            raise CorruptFileError("damaged state data: the monitor history is longer than the cycles seen")
        if n or self.library is not None:
            waves = [_state.check_array(hist[k], "history waveforms", shape=(n, npts)) for k in ("i", "v")]
        pending = state["pending"]
        if not isinstance(pending, list) or len(pending) > 10_000:
            raise CorruptFileError("damaged state data: pending identifications must be a list of alerts")
        alerts = [Alert.from_dict(a) for a in pending]
        self._cycles = cycles
        if self.library is not None:
            self._set_history(start, waves[0], waves[1])
            self._hist_first = first
        self._pending = alerts

    @classmethod
    def from_state(cls, state: dict, *, detectors: Sequence[BaseDetector] | None = None,
                   library: Any = None) -> "Monitor":
        """Rebuild a monitor from :meth:`state_dict` output.

        Detectors are rebuilt from the registry by their registered name,
        with the saved parameters validated by their own constructor, unless
        fresh ``detectors`` (same names, same order) are given. Nothing else
        is built from the state.

        Raises
        ------
        CorruptFileError
            Damaged state, unknown detector name, invalid parameters.
        """
        try:
            state = _unpool(state)
            check_keys(state, _STATE_KEYS, "monitor state")
            cal = _calibration(state["calibration"])
            fs = _state.check_float(state["fs"], "fs", 0.0)
            mains = state["mains_hz"]
            if mains is not None:
                mains = _state.check_float(mains, "mains_hz", 0.0)
            harmonics = _state.check_int(state["harmonics"], "harmonics", 1, 4096)
            if not (isinstance(state["waveforms"], bool) or state["waveforms"] == "current") \
                    or not isinstance(state["detectors"], list) \
                    or len(state["detectors"]) > 256:
                raise CorruptFileError("damaged state data: waveforms flag or detector list")
            if detectors is None:
                detectors = [_rebuild_detector(d) for d in state["detectors"]]
            start = state["start_time"]
            if start is not None and (not isinstance(start, str) or len(start) > 64):
                raise CorruptFileError("damaged state data: start_time must be an ISO 8601 text or null")
            mon = cls(fs, mains_hz=mains, calibration=cal, detectors=detectors, library=library,
                      harmonics=harmonics, start_time=None if start is None else datetime.fromisoformat(start))
        except CorruptFileError:
            raise
        except (InputError, KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(f"not a valid monitor state ({type(exc).__name__}: {exc})") from None
        saved = state["waveforms"]
        if saved and (not mon.waveforms or (saved is True and mon.waveforms == "current")):
            # keep the columns the saved monitor produced; a library or a
            # waveform-reading detector given now turns them on by itself
            mon._analyzer = CycleAnalyzer(mon.fs, mon.mains_hz, mon.harmonics, cal, waveforms=saved)
            mon.waveforms = saved
        return mon.load_state(state)

    def save(self, path: str | PathLike) -> None:
        """Write the state to ``path`` atomically (a crash leaves the old file intact).

        Arrays that several detectors hold alike (the cycles they were fed)
        are stored once; arrays are compressed; the file carries a SHA-256
        checksum and gets the permissions the umask gives a new file.
        """
        state, pool = _state.dedupe_arrays(self.state_dict())
        state["pool"] = pool
        payload = {"schema": STATE_SCHEMA, "version": STATE_VERSION, "state": state}
        _state.atomic_write_json(path, payload, body="state")

    @classmethod
    def load(cls, path: str | PathLike, *, detectors: Sequence[BaseDetector] | None = None,
             library: Any = None) -> "Monitor":
        """Restore a monitor written by :meth:`save`.

        Loading a file never runs code from it and never builds an object it
        names (see ``SECURITY.md``): the detectors are rebuilt from the
        registry by name, and every value is checked before use.

        Parameters
        ----------
        path : path-like
            File written by :meth:`save`.
        detectors : sequence of BaseDetector, optional
            Fresh detector instances to restore into (needed only for
            detector classes that are neither built in nor registered).
        library : FingerprintLibrary, optional
            The library to identify switch-on events with (not stored in
            the state file; save it separately).

        Raises
        ------
        CorruptFileError
            The file is damaged, truncated, edited (checksum), not a monitor
            state, of an unknown version, or holds values a monitor could not
            have produced.
        FileNotFoundError
            No file at ``path``.
        """
        payload = _state.read_json(path, kind="monitor state", schema=STATE_SCHEMA, versions=(STATE_VERSION,),
                                   body="state")
        state = payload.get("state")
        if not isinstance(state, dict):
            raise CorruptFileError(f"{path} holds no monitor state.")
        return cls.from_state(state, detectors=detectors, library=library)


_STATE_KEYS = ("fs", "mains_hz", "harmonics", "calibration", "waveforms", "detectors", "analyzer", "cycles",
               "history", "pending", "start_time")


def _unpool(state: Any) -> dict:
    """The state with the arrays :meth:`Monitor.save` stored once put back in place."""
    if not isinstance(state, dict):
        raise CorruptFileError("damaged state data: a monitor state must be a dict")
    if "pool" not in state:
        return state
    state = dict(state)
    return _state.resolve_arrays(state, state.pop("pool"))


def _calibration(data: Any) -> Calibration | None:
    if data is None:
        return None
    import dataclasses
    fields = [f.name for f in dataclasses.fields(Calibration)]
    if not isinstance(data, dict) or not set(data) <= set(fields):
        raise CorruptFileError(f"damaged state data: calibration fields must be among {fields}")
    return Calibration(**data)      # its constructor checks every value's type and range


class _LibraryNeeded(InputError):
    """A restored detector identified with a library the state does not hold."""


def _rebuild_detector(entry: Any) -> BaseDetector:
    """A detector from the registry by its saved name, built with the saved parameters."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "params" not in entry:
        raise CorruptFileError("damaged state data: a detector entry needs a name and parameters")
    name = entry["name"]
    try:
        cls = _resolve(name)
    except RegistryError as exc:
        raise CorruptFileError(f"the state uses detector {name[:80]!r}, which is not available here ({exc}); "
                               "install its package or pass detectors=[...] to Monitor.load") from None
    params = _state.decode(entry["params"])
    if not isinstance(params, dict) or not set(params) <= set(getattr(cls, "_param_names")()):
        raise CorruptFileError(f"damaged state data: parameters of detector {name!r} are not "
                               f"{cls.__name__}'s parameters")
    try:
        return cls(**params)
    except Exception as exc:       # the constructor validates; any failure means a bad file
        raise CorruptFileError(f"the saved parameters of detector {name!r} are invalid "
                               f"({type(exc).__name__}: {str(exc)[:300]})") from None


def _float(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _div(a, b) -> float | None:
    try:
        return float(a) / float(b)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
