"""The appliance ledger: which appliances ran, when, and what energy each used.

:class:`ApplianceTracker` finds switching events on the aggregate current
(its own :class:`~currentprint.detectors.events.EventDetector`), names the
load of each switch-on *and* switch-off with a
:class:`~currentprint.FingerprintLibrary` over the running background
(:func:`~currentprint.detectors._background.identify_delta`: period-aware
windows, acceptance radius widened by the measured noise), pairs every
switch-off with the running appliance of the same label, and keeps a
timeline of runs with each run's on-time and energy.

Energy of a run: its power is the step of active power at its switch-on
(W, after minus before) and at its switch-off (before minus after); the run
is charged their mean times its on-time (a trapezoid: exact for a constant
load, and for one whose power drifts linearly). A run still going is charged
its switch-on step up to the last cycle seen.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from .._state import decode, encode
from ..errors import InputError
from ._switch_on import _EventJudge, _num
from .alerts import Alert

__all__ = ["ApplianceTracker", "UNKNOWN"]

UNKNOWN = "unknown"


def _utc(t: datetime | None) -> datetime | None:
    """``t`` as an aware UTC datetime (a naive one is taken as UTC)."""
    if t is None:
        return None
    if not isinstance(t, datetime):
        raise InputError(f"start_time must be a datetime, got {type(t).__name__}.")
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


class ApplianceTracker(_EventJudge):
    """Per-appliance ledger of on/off times, on-time and energy.

    Use it alone or beside other detectors in a :class:`~currentprint.Monitor`
    that has a library (the Monitor hands its library and ``start_time`` to
    the tracker), or give it a library yourself and feed it cycle tables.

    Parameters
    ----------
    library : FingerprintLibrary or None
        Enrolled appliances. None: the Monitor's library; without any, every
        load is ``"unknown"`` (and paired by power only).
    pair_tolerance : float
        A switch-off closes the running appliance of its label (the one
        whose switch-on step is closest). Without one, it closes the running
        ``"unknown"`` appliance (any running one if the switch-off itself is
        ``"unknown"``) whose switch-on step is within this relative
        difference of its own (default 0.25); an ``"unknown"`` run closed by
        a named switch-off takes that name. An ``"unknown"`` switch-off
        whose step matches two running appliances together (both switched
        off within one switching) much better than any single one closes
        both.
    min_power_w : float
        Switchings with a smaller active-power step (W, absolute) are not
        tracked (default 0: every event).
    calibrated : bool or None
        As for :class:`~currentprint.ResistiveLoadDetector` (powers in W or
        ADC count² units).

    Examples
    --------
    >>> import currentprint as cp
    >>> sig = cp.synth.example()
    >>> tracker = cp.ApplianceTracker()
    >>> mon = cp.Monitor(fs=sig.fs, detectors=[tracker])
    >>> _ = mon.run(sig.current, sig.voltage) + mon.flush()
    >>> [row["label"] for row in tracker.timeline()][:1]
    ['unknown']
    """

    name = "appliances"
    needs_waveforms = True
    #: the Monitor gives its library to detectors with this flag (when theirs is None)
    uses_library = True

    def __init__(self, library: Any = None, *, pair_tolerance: float = 0.25, min_power_w: float = 0.0,
                 calibrated: bool | None = None) -> None:
        self.library = library
        self.pair_tolerance = pair_tolerance
        self.min_power_w = min_power_w
        self.calibrated = calibrated
        _num("pair_tolerance", pair_tolerance)
        _num("min_power_w", min_power_w)
        from .events import EventDetector
        # default sensitivity: small appliances (a TV, a router) count in a ledger
        self.event_source = EventDetector()
        self._hist: dict[str, np.ndarray] = {}
        self._seen = 0
        self._runs: list[dict] = []          # closed and running runs, in switch-on order
        self._orphans: list[dict] = []       # switch-offs with nothing to close
        self._now = 0                        # sample after the last cycle seen
        self._fs = math.nan
        self.start_time: datetime | None = None

    # -- wall clock ------------------------------------------------------------
    def set_start_time(self, start_time: datetime | None) -> "ApplianceTracker":
        """Wall-clock time (UTC) of sample 0; the Monitor sets it from its own."""
        self.start_time = _utc(start_time)
        return self

    def _stamp(self, sample: int | None) -> datetime | None:
        if sample is None or self.start_time is None or not self._fs > 0:
            return None
        return self.start_time + timedelta(seconds=sample / self._fs)

    # -- the work --------------------------------------------------------------
    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return ``"appliance"`` alerts (one per tracked switch-on or switch-off)."""
        if len(cycles) == 0:
            return []
        self._fs = float(cycles.fs)
        calibrated = self._calibrated(cycles)
        alerts = []
        for ev, _pre, _post, bd in self._events(cycles):
            if ev.kind not in ("on", "off") or not (abs(ev.delta_p) >= self.min_power_w):
                continue
            label, match = UNKNOWN, None
            if self.library is not None and bd is not None and len(self.library):
                from ._background import identify_delta
                match, _fp, spread = identify_delta(self.library, bd, kind=ev.kind, fs=self._fs,
                                                    mains_hz=ev.mains_hz if ev.mains_hz == ev.mains_hz else None,
                                                    seed=int(ev.sample) & 0x7FFFFFFF)
                label = str(match.label)
            # the step of active power over whole background periods (the event's own is a plain mean)
            step = abs(bd.post.p - bd.pre.p) if bd is not None else abs(float(ev.delta_p))
            alerts.append(self._book(ev, label, match, calibrated, step))
        last = cycles.start[-1] + cycles.period[-1]
        self._now = int(math.floor(last + 0.5))
        return alerts

    def _book(self, ev, label: str, match, calibrated: bool, power: float) -> Alert:
        unit = "W" if calibrated else "units"
        m = None if match is None else {"label": str(match.label), "distance": _fin(match.distance),
                                        "confidence": _fin(match.confidence)}
        if ev.kind == "on":
            run = {"label": label, "on_sample": int(ev.sample), "off_sample": None, "on_power_w": power,
                   "off_power_w": None, "on_match": m, "off_match": None}
            self._runs.append(run)
            detail = {"label": label, "state": "on", "power_w": power, "match": m}
            expl = f"{label} switched on ({power:.0f} {unit})"
        else:
            closed = self._close(label, power)
            if not closed:
                self._orphans.append({"label": label, "off_sample": int(ev.sample), "off_power_w": power,
                                      "off_match": m})
                detail = {"label": label, "state": "off", "power_w": power, "match": m, "paired": False}
                expl = f"{label} switched off ({power:.0f} {unit}); it was not seen switching on"
            else:
                total_on = sum(r["on_power_w"] for r in closed)
                for run in closed:
                    # two loads off in one switching: the step is shared in proportion
                    share = run["on_power_w"] / total_on if total_on > 0 else 1.0 / len(closed)
                    run["off_sample"], run["off_power_w"], run["off_match"] = int(ev.sample), power * share, m
                    if run["label"] == UNKNOWN and label != UNKNOWN and len(closed) == 1:
                        run["label"] = label        # named at its switch-off (paired by power)
                rows = [self._row(r) for r in closed]
                names = " and ".join(r["label"] for r in closed)
                detail = {"label": closed[0]["label"] if len(closed) == 1 else names, "state": "off",
                          "power_w": power, "match": m, "paired": True,
                          "on_sample": closed[0]["on_sample"], "duration_s": rows[0]["duration_s"],
                          "energy_wh": sum(r["energy_wh"] for r in rows), "closed": [r["label"] for r in closed]}
                expl = (f"{names} switched off ({power:.0f} {unit}) after {rows[0]['duration_s']:.1f} s, "
                        f"{detail['energy_wh']:.4g} Wh")
        return Alert("appliance", ev.sample, time=ev.sample / self._fs, detail=detail, explanation=expl,
                     detector=self.name, timestamp=self._stamp(int(ev.sample)))

    def _close(self, label: str, power: float) -> list[dict]:
        """The running runs a switch-off of ``label`` and step ``power`` ends (none, one, or two at once)."""
        running = [r for r in self._runs if r["off_sample"] is None]
        if label != UNKNOWN:
            same = [r for r in running if r["label"] == label]
            if same:
                # the one whose switch-on step is closest (latest on a tie)
                return [min(reversed(same), key=lambda r: abs(r["on_power_w"] - power))]
        tol = self.pair_tolerance * max(power, 1e-12)
        # a named switch-off closes only a run that was not named otherwise
        free = [r for r in running if label == UNKNOWN or r["label"] == UNKNOWN]
        best, err = [], math.inf
        for r in reversed(free):
            e = abs(r["on_power_w"] - power)
            if e <= tol and e < err:
                best, err = [r], e
        if label == UNKNOWN:
            # two loads switched off within one switching (closer than the event detector separates):
            # a pair whose steps add up clearly better than any single run
            for j, a in enumerate(running):
                for b in running[j + 1:]:
                    e = abs(a["on_power_w"] + b["on_power_w"] - power)
                    if e <= tol and e < 0.5 * err:
                        best, err = [a, b], e
        return best

    # -- answers ---------------------------------------------------------------
    def _row(self, run: dict) -> dict:
        fs = self._fs if self._fs > 0 else math.nan
        end = run["off_sample"] if run["off_sample"] is not None else max(self._now, run["on_sample"])
        dur = (end - run["on_sample"]) / fs
        p = run["on_power_w"] if run["off_power_w"] is None else 0.5 * (run["on_power_w"] + run["off_power_w"])
        return {"label": run["label"], "on_s": run["on_sample"] / fs,
                "off_s": None if run["off_sample"] is None else run["off_sample"] / fs,
                "on_sample": run["on_sample"], "off_sample": run["off_sample"],
                "on_time": self._stamp(run["on_sample"]), "off_time": self._stamp(run["off_sample"]),
                "duration_s": dur, "power_w": p, "energy_wh": p * dur / 3600.0,
                "running": run["off_sample"] is None}

    def running(self) -> list[str]:
        """Labels of the appliances running now (one entry per running instance)."""
        return [r["label"] for r in self._runs if r["off_sample"] is None]

    def timeline(self) -> list[dict]:
        """Every run in switch-on order.

        Each row: ``label``; ``on_s``/``off_s`` (s from the stream start,
        ``off_s`` None while running); ``on_sample``/``off_sample``;
        ``on_time``/``off_time`` (UTC datetimes with a ``start_time``, else
        None); ``duration_s``; ``power_w`` (mean of the switch-on and
        switch-off steps, W); ``energy_wh``; ``running``. Switch-offs that
        closed nothing are not runs (see :meth:`unpaired`).
        """
        return [self._row(r) for r in self._runs]

    def unpaired(self) -> list[dict]:
        """Switch-offs of appliances never seen switching on (label, off_sample, off_power_w)."""
        return [dict(o) for o in self._orphans]

    def ledger(self) -> dict[str, dict]:
        """Per label: ``runs``, ``on_time_s``, ``energy_wh``, ``running`` (instances now)."""
        out: dict[str, dict] = {}
        for row in self.timeline():
            e = out.setdefault(row["label"], {"runs": 0, "on_time_s": 0.0, "energy_wh": 0.0, "running": 0})
            e["runs"] += 1
            e["on_time_s"] += row["duration_s"]
            e["energy_wh"] += row["energy_wh"]
            e["running"] += int(row["running"])
        return out

    def to_pandas(self, start_time: datetime | None = None):
        """The timeline as a pandas DataFrame indexed by switch-on time (UTC ``DatetimeIndex``).

        Parameters
        ----------
        start_time : datetime, optional
            Wall-clock time of sample 0 (default: the tracker's, set by the
            Monitor's ``start_time``).

        Raises
        ------
        ImportError
            pandas is not installed (it is optional: ``pip install pandas``).
        InputError
            No start time is known.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("ApplianceTracker.to_pandas needs pandas: pip install pandas") from None
        t0 = _utc(start_time) or self.start_time
        if t0 is None:
            raise InputError("to_pandas needs a wall-clock start: Monitor(..., start_time=datetime) or "
                             "to_pandas(start_time=...)")
        rows = self.timeline()
        fs = self._fs

        def at(sample):
            return pd.NaT if sample is None else pd.Timestamp(t0 + timedelta(seconds=sample / fs))

        df = pd.DataFrame({
            "label": [r["label"] for r in rows],
            "off_time": pd.to_datetime([at(r["off_sample"]) for r in rows], utc=True),
            "duration_s": [r["duration_s"] for r in rows],
            "power_w": [r["power_w"] for r in rows],
            "energy_wh": [r["energy_wh"] for r in rows],
            "running": [r["running"] for r in rows],
        }, index=pd.DatetimeIndex(pd.to_datetime([at(r["on_sample"]) for r in rows], utc=True), name="on_time"))
        return df

    # -- persistence (plain data only) -------------------------------------------
    def state_dict(self) -> dict:
        """Running state as plain JSON-safe data (no object is rebuilt from a name on load)."""
        return {"state": encode({
            "hist": dict(self._hist), "seen": int(self._seen), "now": int(self._now), "fs": float(self._fs),
            "runs": [dict(r) for r in self._runs], "orphans": [dict(o) for o in self._orphans],
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
            "events": self.event_source.state_dict(),
        })}

    def load_state(self, state: dict) -> "ApplianceTracker":
        """Restore :meth:`state_dict` output into a tracker made with the same parameters."""
        try:
            st = decode(state["state"])
            hist = {str(k): np.asarray(v, dtype=float) for k, v in dict(st["hist"]).items()}
            runs = [_check_run(r) for r in st["runs"]]
            orphans = [dict(o) for o in st["orphans"]]
            start = None if st["start_time"] is None else datetime.fromisoformat(str(st["start_time"]))
            self.event_source.load_state(st["events"])
            self._hist, self._seen, self._now, self._fs = hist, int(st["seen"]), int(st["now"]), float(st["fs"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"not an ApplianceTracker state ({type(exc).__name__}: {exc})") from None
        self._runs, self._orphans, self.start_time = runs, orphans, _utc(start)
        return self


def _check_run(r: Any) -> dict:
    r = dict(r)
    for k in ("label", "on_sample", "off_sample", "on_power_w", "off_power_w"):
        if k not in r:
            raise KeyError(k)
    r["label"] = str(r["label"])
    r["on_sample"] = int(r["on_sample"])
    r["off_sample"] = None if r["off_sample"] is None else int(r["off_sample"])
    r["on_power_w"] = float(r["on_power_w"])
    r["off_power_w"] = None if r["off_power_w"] is None else float(r["off_power_w"])
    return r


def _fin(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
