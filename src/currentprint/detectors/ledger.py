"""The appliance ledger: which appliances ran, when, and what energy each used.

:class:`ApplianceTracker` finds switching events on the aggregate current
(its own :class:`~currentprint.detectors.events.EventDetector`), names the
load of each switch-on *and* switch-off with a
:class:`~currentprint.FingerprintLibrary` over the running background
(:func:`~currentprint.detectors._background.identify_delta`: period-aware
windows, acceptance radius widened by the measured noise), pairs every
switch-off with the running appliance of the same label, and keeps a
timeline of runs with each run's on-time and energy.

Energy of a run is integrated from the measured aggregate power, not from
its switching steps alone. The terminal measures the total active power of
every cycle; what changes between two switchings is the drift of the loads
running then (a TV whose power follows the picture, a heater whose element
warms up, a compressor under a changing head). While one appliance runs over
the background, that drift is attributed by its *shape*: every
:data:`BLOCK` cycles the change of the mean current harmonics since the new
steady state after the last switching is fitted (ridge least squares) with
the current shapes of the two participants -- the appliance's own switch-on
delta and the background (everything else) -- and each participant's power
moves by its fitted share (a load whose power changes draws more or less of
its *own* current shape: superposition, Hart, Proc. IEEE 80(12), 1992); the
shares are scaled to add up to the measured change of the total power. With
several appliances running each keeps its power since the last switching.
At a switch-off the appliance's power is measured again (the step): the
difference from its tracked power, what the attribution missed, is spread
linearly over the run (exact for a load whose power drifts linearly; with no
drift attribution at all this is the trapezoid of the two steps). The
switching cycle is shared at the onset sample.

A resistive step the library rejects is named by its conductance ``P / V²``
(:func:`_resistive_match`: an element's harmonics are the supply's, not its
own). A load leaving within a few cycles of another switching, which has no
event of its own, is found on the cycles around that switching
(:func:`_departure`: a change point of its whitened current coefficient,
confirmed by the fall of the total power).

What cannot be known: which of several running loads drifts when more than
one may (their drift is then booked as a straight line between their
switching steps); a background that drifts with the shape of the appliance;
and a
switching the event detector never found (it merges switchings closer than
about ``settle`` + 2 cycles, and a load of less than ~1 % of the total
switching off may pass unseen): its run ends late or never.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from .._state import decode, encode
from ..errors import InputError
from ._switch_on import _EventJudge, _num
from .alerts import Alert

__all__ = ["ApplianceTracker", "UNKNOWN", "BLOCK"]

UNKNOWN = "unknown"
#: cycles per drift measurement (0.24 s at 50 Hz): fine enough to follow a load's drift, long
#: enough that the mean of its harmonics is quiet, and a whole number of periods of a background
#: with a rhythm of 1-4 cycles (a burst-mode induction cooker) so that the rhythm cancels
BLOCK = 12
#: current harmonics (1..H) whose phasors are the shapes the drift is fitted with
SHAPE_HARMONICS = 15
#: parameters of the tracker's own event detector. A switching is abrupt: the jump between two
#: consecutive cycles, in units of the *measured* cycle-to-cycle noise (no floor relative to the
#: level), says so, and an abrupt start needs only a small confirmed step. At the default onset
#: threshold (1000, ~22 sigma in one feature) a 7 W PC switching under a steady 1.5 kW heater makes
#: a jump of ~100-300 (its current is ~13 sigma of the heater's cycle-to-cycle noise) and is never
#: found; 100 is still 10 sigma of chi-square(8) noise. Gradual changes keep the level floor (a TV's
#: picture swelling its power by 25 % is no switching; the drift fit books it). Measured with
#: benchmarks/eval_circuits.py --ledger-only.
_EVENT_PARAMS: dict = {"onset_threshold": 100.0}
#: onset refinement of small steps (see _refine_onset): steps under this share of the apparent
#: power before them, cycles each side of a candidate switching, cycles searched either side
_REFINE_REL = 0.2
_REFINE_SIDE = 6
_REFINE_REACH = 12
#: a step smaller than this share of the apparent power before it is booked only when the
#: library names the current that came or left (see _EVENT_PARAMS)
_SMALL_STEP = 0.005
# relative ridge of the shape fit: two near-identical shapes (two heaters) share their drift
# by size instead of by noise
_RIDGE = 1e-3


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
    history_s : float
        Seconds of history kept for the search of a switch-on that was no
        event (a small load arriving under a noisy background, found back
        from its named switch-off): the whole blocks of :data:`BLOCK` cycles
        lying within the last ``history_s`` seconds (default 300; 0 turns
        the search off; at most 3600). Each block costs about 150 bytes of
        saved state (its mean current harmonics as float32, its power and
        times): about 160 kB at the default and 50 Hz, whatever the time the
        tracker has run. A run that started longer ago than this and whose
        switch-on was missed stays unbooked (:meth:`unpaired`).
    power_prior : bool
        Combine each named run's measured mean power with the power its label
        was enrolled at (:func:`_power_prior`: the library's fingerprints, at
        least 3; a heater's scaled to the voltage now by its conductance) by
        their variances (:func:`_combine`), so that where the measurement is
        poor (a few watts under a kW background) the enrolled power dominates.
        The row's ``energy_source`` says which: ``"measured"`` or
        ``"combined"``. Default False: on the real HFHAD-C mixtures the power
        a load draws on another mains differs from its enrolled power by more
        than the enrolment's spread says (the 7 W desktop PC, PF 0.5: 5.9-7.8 W
        against 6.18 +- 0.17 W enrolled), and the combination booked fewer
        runs within 5 % (docs/ledger.md, *An enrolled-power prior*). Use it
        when the library was enrolled on the circuit it watches.

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
                 calibrated: bool | None = None, history_s: float = 300.0, power_prior: bool = False) -> None:
        self.library = library
        self.power_prior = bool(power_prior)
        self.pair_tolerance = pair_tolerance
        self.min_power_w = min_power_w
        self.calibrated = calibrated
        self.history_s = history_s
        _num("pair_tolerance", pair_tolerance)
        _num("min_power_w", min_power_w)
        _num("history_s", history_s, hi=_HISTORY_MAX_S)
        from .events import EventDetector
        # small appliances (a TV, a router, a PC on standby) count in a ledger: see _EVENT_PARAMS
        self.event_source = EventDetector(**_EVENT_PARAMS)
        self._hist: dict[str, np.ndarray] = {}
        self._seen = 0
        self._runs: list[dict] = []          # closed and running runs, in switch-on order
        self._orphans: list[dict] = []       # switch-offs with nothing to close
        self._now = 0                        # sample after the last cycle seen
        self._fs = math.nan
        self.start_time: datetime | None = None
        # energy integration: cycles not yet attributed (absolute index of row 0 = _done)
        self._buf: dict[str, np.ndarray] = {"p": np.empty(0), "start": np.empty(0), "period": np.empty(0),
                                            "h": np.empty((0, 2 * SHAPE_HARMONICS))}
        self._done = 0
        self._ref_h = np.empty(0)            # mean current harmonics (re, im) after the last switching
        # cycle-to-cycle scatter of the harmonics since then (within blocks: drift excluded) and its dof
        self._cov = np.zeros((2 * SHAPE_HARMONICS, 2 * SHAPE_HARMONICS))
        self._cov_n = 0
        self._ref_p = math.nan               # total power then, W
        self._ref_from = 0                   # first cycle the next reference may start at
        self._finished_at = -1               # cycles seen when finish() last ran
        self._expect_p = math.nan            # total power measured just after the last switching, W
        self._late: list = []                # alerts of runs closed while attributing (returned at once)
        # cycles gathered since the last switching (from _seg_from) for _post_check
        self._seg_on, self._seg_from, self._seg = False, 0, _empty_seg()
        # whole blocks attributed within the last history_s (mean harmonics as float32, power W,
        # first and end sample, switchings before)
        self._blocks: collections.deque = collections.deque(maxlen=self._max_blocks())
        self._n_switch = 0
        # since the reference: last block's power (W), count, mean and M2 of the differences of
        # consecutive blocks' power, and whether one jumped (1.0) -- see _jump_test
        self._jump = [math.nan, 0.0, 0.0, 0.0, 0.0]

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
        found = self._events(cycles)             # checks the table (waveforms, voltage)
        self._append(cycles)
        alerts = []
        for ev, _pre, _post, bd in found:
            alerts += self._judge(ev, bd, calibrated)
        last = cycles.start[-1] + cycles.period[-1]
        self._now = int(math.floor(last + 0.5))
        # no event can still be confirmed with its onset before seen - lag: attribute those cycles
        self._commit(self._seen - self._lag(), cut=False)
        return self._with_late(alerts)

    def _with_late(self, alerts: list[Alert]) -> list[Alert]:
        late, self._late = self._late, []
        return sorted(alerts + late, key=lambda a: a.sample) if late else alerts

    def finish(self) -> list[Alert]:
        """End of the data: book a switching still settling, then close every run still on.

        The event detector judges a change that began at least ``settle`` + 1
        cycles before the end (:meth:`EventDetector.flush`); every cycle is
        attributed, so each appliance still running is booked up to the last
        sample seen (its row stays ``running``, ``off_s`` None, with the
        on-time and energy up to the end).
        The :class:`~currentprint.Monitor` calls it from
        :meth:`~currentprint.Monitor.flush` (and so does ``currentprint
        analyze --ledger``). Pushing more data afterwards goes on (the
        runs still on keep running).

        Returns
        -------
        list of Alert
            ``"appliance"`` alerts of the late switching and one per run
            closed at the end (``detail["state"] == "end"``).
        """
        if self._finished_at == self._seen or not self._fs > 0:
            return []
        self._finished_at = self._seen
        calibrated = bool(self.calibrated) if self.calibrated is not None else True
        found = self._flush_events()
        memo: tuple[int, list] = getattr(self.event_source, "_memo_flush", (-1, []))
        if not found and memo[0] == self.event_source._seen and memo[1]:
            # a detector sharing our event source flushed it first: judge what it took
            found = self._judged(list(memo[1]), self._hist, self._hist["raw_i"], self._hist["raw_v"],
                                 self._seen - len(self._hist["p"]))
        alerts = []
        for ev, _pre, _post, bd in found:
            calibrated = bool(ev.calibrated) if self.calibrated is None else bool(self.calibrated)
            alerts += self._judge(ev, bd, calibrated)
        self._commit(self._seen, cut=True)
        if self._seg_on:
            self._post_check(final=True)
        alerts = self._with_late(alerts)
        unit = "W" if calibrated else "units"
        for run in self._runs:
            if run["off_sample"] is None:
                row = self._row(run)
                detail = {"label": run["label"], "state": "end", "power_w": run["p_now"], "match": None,
                          "on_sample": run["on_sample"], "duration_s": row["duration_s"],
                          "energy_wh": row["energy_wh"], "energy_sd_wh": row["energy_sd_wh"]}
                alerts.append(Alert("appliance", self._now, time=self._now / self._fs, detail=detail,
                                    explanation=(f"{run['label']} still on at the end of the data "
                                                 f"({run['p_now']:.0f} {unit}) after {row['duration_s']:.1f} s, "
                                                 f"{row['energy_wh']:.4g} Wh"),
                                    detector=self.name, timestamp=self._stamp(self._now)))
        return alerts

    def _lag(self) -> int:
        """Cycles after which an onset is surely confirmed: the event detector's look-back."""
        src = self.event_source
        return int(src.window + src.settle + src.max_transient + 8)

    def _judged(self, found, hist, raw_i, raw_v, first: int) -> list:
        return super()._judged([_refine_onset(ev, hist, first) for ev in found], hist, raw_i, raw_v, first)

    def _judge(self, ev, bd, calibrated: bool) -> list[Alert]:
        parts = self._split(ev, bd)
        if parts is not None:
            # two switchings closer than the event detector separates, seen as two levels: booked
            # one by one, named by pairing (the library's answer was for their sum)
            out = []
            for part, step, shape in parts:
                if abs(step) >= self.min_power_w:
                    out.append(self._book(part, UNKNOWN, None, calibrated, abs(step), shape, part.level,
                                          se=part.se))
            return out
        if not (abs(ev.delta_p) >= self.min_power_w):
            return []
        named = self.library is not None and bd is not None and len(self.library)
        pre_s, step_s = math.hypot(ev.pre.p, ev.pre.q), math.hypot(ev.delta_p, ev.delta_q)
        small = not step_s >= _SMALL_STEP * pre_s
        if small and not named:
            return []
        if ev.kind not in ("on", "off"):
            # mostly reactive: a running appliance changing state (its step stays in the
            # aggregate and the drift fit gives it to the participant whose shape it has) -- or a
            # switching of a load with a low power factor read lower by the noise (a small
            # capacitor-input supply with its EMI filter: 6.5 W, -11 var). Booked only when the
            # library names the current that came (or left) as an enrolled appliance.
            if not named or not math.isfinite(ev.delta_p) or ev.delta_p == 0:
                return []
            ev = dataclasses.replace(ev, kind="on" if ev.delta_p > 0 else "off")
            changed = True
        else:
            changed = False
        # the step of active power over whole background periods (the event's own is a plain mean)
        step = abs(bd.post.p - bd.pre.p) if bd is not None else abs(float(ev.delta_p))
        # the step's own noise (W): the noise of the mean difference cycle times the voltage
        noise = (float(bd.delta_noise_a) * bd.post.v_rms if bd is not None and math.isfinite(bd.delta_noise_a)
                 else 0.0)
        label, match = UNKNOWN, None
        if named:
            from ._background import identify_delta
            match, _fp, spread = identify_delta(self.library, bd, kind=ev.kind, fs=self._fs,
                                                mains_hz=ev.mains_hz if ev.mains_hz == ev.mains_hz else None,
                                                seed=int(ev.sample) & 0x7FFFFFFF)
            label = str(match.label)
            if label == UNKNOWN:
                res = _resistive_match(self.library, _fp, noise)
                if res is not None:
                    match = res
                    label = str(match.label)
            if (changed or small) and label == UNKNOWN:
                return []
        if bd is not None:
            shape = _harmonics(bd.delta, bd.post.v_wave)
        else:
            shape = _stack(np.asarray(ev.post.harmonics) - np.asarray(ev.pre.harmonics))
        left = self._left_before(ev, bd, label)
        if left is not None:
            # a running load left inside the window before this switching: its share of that
            # window is in the step (an "on" reads less, an "off" more); taken out
            run, share = left
            step = max(step + (share * run["p_now"] if ev.kind == "on" else -share * run["p_now"]), 0.0)
            shape = shape + share * _scaled(run, run["p_now"])
        if ev.kind == "off":
            shape = -shape
        level = bd.post.p if bd is not None else float(ev.post.p)
        se = self._step_se(bd.pre.cycles, bd.post.cycles, bd.period) if bd is not None else math.nan
        v_rms = float(bd.post.v_rms) if bd is not None else math.nan
        return [self._book(ev, label, match, calibrated, step, shape, level, noise, se=se, v_rms=v_rms)]

    def _split(self, ev, bd) -> list | None:
        """Two switchings inside one event: a flat intermediate level between the states before and after.

        The event detector needs ``settle`` steady cycles to confirm a state, so a load switching
        off and another on a few cycles later (or two on, or two off) come out as one event with
        their net step. The cycles between the onset and the new steady state show it: at least
        :data:`_MID_MIN` consecutive cycles at one level, far from the state before and from the
        one after (beyond the measured cycle-to-cycle noise), then one switching cycle, then the
        new state. A decaying inrush is no level (its cycles keep moving). Returns the two parts
        as ``(switching, step W, shape)`` or None.
        """
        b = self._buf
        n = b["p"].shape[0]
        c = self._onset_cycle(ev)
        # the cycles between the steady state before and the one after (the onset may sit on
        # either switching: the event detector puts it on the larger jump)
        a0 = int(ev.pre.cycles[1]) + 1 - self._done
        k1 = int(ev.post.cycles[0]) - self._done
        if a0 < BLOCK or k1 > n or k1 - a0 < _MID_MIN + 2:
            return None
        h, p = b["h"], b["p"]
        pre = h[a0 - BLOCK:a0]
        pre_h, pre_p = pre.mean(axis=0), float(np.mean(p[a0 - BLOCK:a0]))
        post_end = min(int(ev.post.cycles[1]) + 1 - self._done, n)
        post_h, post_p = h[k1:post_end].mean(axis=0), float(np.mean(p[k1:post_end]))
        noise = float(np.sqrt(np.mean(np.sum((pre - pre_h) ** 2, axis=1))))
        tol = 4.0 * noise + 0.02 * float(np.linalg.norm(pre_h)) + 1e-12
        x = h[a0:k1]
        near_pre = np.linalg.norm(x - pre_h, axis=1) <= tol
        near_post = np.linalg.norm(x - post_h, axis=1) <= tol
        # cycles still at the level before, then the first switching cycle s1
        s1 = 0
        while s1 < x.shape[0] and near_pre[s1]:
            s1 += 1
        # cycles at the level after, counted back from the end; the second switching cycle s2
        s2 = x.shape[0] - 1
        while s2 >= 0 and near_post[s2]:
            s2 -= 1
        mid = x[s1 + 1:s2]
        if s2 - s1 - 1 < _MID_MIN:
            return None
        mid_h = mid.mean(axis=0)
        if float(np.max(np.linalg.norm(mid - mid_h, axis=1))) > tol:
            return None                                  # no one level between (an inrush decaying)
        if min(np.linalg.norm(mid_h - pre_h), np.linalg.norm(mid_h - post_h)) <= 3.0 * tol:
            return None                                  # one switching (or a small wobble)
        mid_p = float(np.mean(p[a0 + s1 + 1:a0 + s2]))
        p0 = bd.pre.p if bd is not None else pre_p
        p1 = bd.post.p if bd is not None else post_p

        def onset(k: int, before: float, after: float) -> int:
            # inside switching cycle k: the share of the cycle at the level before, by its power
            if self._done + k == c:
                return int(ev.sample)
            span = before - after
            f = min(max((float(p[k]) - after) / span, 0.0), 1.0) if span != 0 else 0.5
            return int(round(b["start"][k] + f * b["period"][k]))

        i1, i2 = a0 + s1, a0 + s2
        one = _Part("on" if mid_p > p0 else "off", onset(i1, pre_p, mid_p), self._done + i1, self._done + i1 + 1)
        two = _Part("on" if p1 > mid_p else "off", onset(i2, mid_p, post_p), self._done + i2,
                    int(ev.post.cycles[0]))
        one.level, two.level = mid_p, p1
        mid_cyc = (self._done + i1 + 1, self._done + i2 - 1)
        one.se = self._step_se((self._done + a0 - BLOCK, self._done + a0 - 1), mid_cyc, 1)
        two.se = self._step_se(mid_cyc, (int(ev.post.cycles[0]), int(ev.post.cycles[1])), 1)
        # a switch-off's shape is the load that left (before minus after)
        d1, d2 = mid_h - pre_h, post_h - mid_h
        return [(one, mid_p - p0, d1 if one.kind == "on" else -d1),
                (two, p1 - mid_p, d2 if two.kind == "on" else -d2)]

    def _step_se(self, pre: tuple, post: tuple, period: int) -> float:
        """Standard error (W) of an active-power step between two windows of buffered cycles.

        ``pre``/``post``: absolute (first, last) cycles of the windows; ``period``: the
        background's rhythm (cycles). The windows are cut into batches of whole periods, at
        least 2 cycles (batch means: a capacitor-input supply's power alternates from one cycle
        to the next -- the 7 W PC's cycle powers scatter by ~36 % with a lag-1 correlation of
        -0.5, so its 8-cycle mean scatters by 0.3-0.7 W where independent cycles would say
        0.85 W), and the scatter of the batch means about each window's mean is pooled over both
        windows (the load that switched scatters too). A background that wanders moves more between
        the two windows than that scatter says: the change between the halves of the "before"
        window beyond it, scaled as a random walk (square root of the distance) to the distance
        between the windows, adds in quadrature (as in
        :func:`~currentprint.detectors._background.background_delta`). NaN when the windows are
        not buffered or hold fewer than two batches before.
        """
        p = self._buf["p"]
        period = max(int(period), 1)
        period = period * 2 if period == 1 else period
        a0, a1 = int(pre[0]) - self._done, int(pre[1]) + 1 - self._done
        c0, c1 = int(post[0]) - self._done, int(post[1]) + 1 - self._done
        if a0 < 0 or c1 > p.shape[0] or c0 < a1:
            return math.nan
        mx, my = (a1 - a0) // period, (c1 - c0) // period
        if mx < 2 or my < 1:
            return math.nan
        x = p[a1 - mx * period:a1].reshape(mx, period).mean(axis=1)
        y = p[c0:c0 + my * period].reshape(my, period).mean(axis=1)
        ss = float(np.sum((x - x.mean()) ** 2) + np.sum((y - y.mean()) ** 2))
        var = ss / (mx - 1 + my - 1)
        se2 = var * (1.0 / mx + 1.0 / my)
        half = mx // 2
        if half >= 2:
            d = float(np.mean(x[-half:]) - np.mean(x[:half]))
            wander2 = d * d - 2.0 * var / half
            if wander2 > 0:
                gap = ((c0 + 0.5 * my * period) - (a1 - 0.5 * mx * period)) / period
                se2 += wander2 * gap / (mx - half)
        return math.sqrt(se2) if math.isfinite(se2) else math.nan

    # -- energy: the measured aggregate, attributed ------------------------------
    def _append(self, cycles) -> None:
        h = _stack(np.asarray(cycles.harmonics))
        b = self._buf
        self._buf = {"p": np.concatenate([b["p"], np.asarray(cycles.p, float)]),
                     "start": np.concatenate([b["start"], np.asarray(cycles.start, float)]),
                     "period": np.concatenate([b["period"], np.asarray(cycles.period, float)]),
                     "h": np.concatenate([b["h"], h]) if b["h"].shape[0] else h}

    def _drop(self, n: int) -> None:
        self._buf = {k: v[n:].copy() for k, v in self._buf.items()}
        self._done += n

    def _commit(self, upto: int, *, cut: bool) -> None:
        """Attribute the cycles before absolute cycle ``upto`` in blocks of :data:`BLOCK`.

        Blocks end at multiples of :data:`BLOCK` (absolute) or, with ``cut``,
        at ``upto`` (a switching or the end): so the blocks, and every
        number, do not depend on how the stream was chunked.
        """
        upto = min(int(upto), self._done + self._buf["p"].shape[0])
        while self._done < upto:
            edge = (self._done // BLOCK + 1) * BLOCK
            end = min(edge, upto)
            if end < edge and not cut:
                break
            self._block(end - self._done, full=end - self._done == BLOCK)
            self._drop(end - self._done)

    def _block(self, n: int, *, full: bool) -> None:
        if self._seg_on:
            # cycles since the last switching, for the search of a load leaving soon after it
            b = self._buf
            keep = slice(max(self._seg_from - self._done, 0), n)
            g = self._seg
            self._seg = {"p": np.concatenate([g["p"], b["p"][keep]]), "start": np.concatenate([g["start"], b["start"][keep]]),
                         "period": np.concatenate([g["period"], b["period"][keep]]),
                         "h": np.concatenate([g["h"], b["h"][keep]]) if g["h"].shape[0] else b["h"][keep].copy()}
        self._block_energy(n, full=full)
        if self._seg_on and self._seg["p"].shape[0] >= _POST_CHECK:
            self._post_check(final=False)

    def _block_energy(self, n: int, *, full: bool) -> None:
        b = self._buf
        dt = b["period"][:n] / self._fs
        t = float(np.sum(dt))
        p = float(np.sum(b["p"][:n] * dt)) / t if t > 0 else 0.0
        h = b["h"][:n].mean(axis=0)
        if full and self.history_s > 0:
            # the whole blocks of the last minutes, for the search of a switch-on never found
            # (float32: a block mean's cycle noise is far above its 6e-8 relative rounding)
            self._blocks.append((h.astype(np.float32), p, float(b["start"][0]),
                                 float(b["start"][n - 1] + b["period"][n - 1]), self._n_switch))
            self._prune_blocks()
        running = [r for r in self._runs if r["off_sample"] is None]
        if full and self._done >= self._ref_from:
            dev = b["h"][:n] - h
            self._cov = self._cov + dev.T @ dev
            self._cov_n += n - 1
        if self._ref_h.shape[0] == 0:
            # the reference: the first whole block in the new steady state after a switching (measured
            # like every later block, so a shape the harmonics do not hold exactly does not pass for drift)
            if full and self._done >= self._ref_from:
                self._ref_h, self._ref_p = h, p
                self._jump = [p, 0.0, 0.0, 0.0, 0.0]
                if len(running) == 1 and math.isfinite(self._expect_p) and running[0].get("fresh"):
                    # a lone appliance's drift between its switch-on step and this block (a heater
                    # warming): the total moved by it since the level measured after the switching.
                    # Only the appliance that has just switched on: after another load's
                    # switching, the difference is the background's wander and the step's noise
                    # (a 7 W PC left alone over a washing machine took ~1 W of it for its whole run)
                    r = running[0]
                    r["p_ref"] = r["p_now"] = r["p_now"] + (p - self._expect_p)
                self._expect_p = math.nan
            for r in running:
                r["energy_j"] += r["p_now"] * t
        elif running:
            a, power = _participants(self._ref_h, self._ref_p, [np.asarray(r["shape"], float) for r in running],
                                     np.array([r["p_on_ref"] for r in running]),
                                     np.array([r["p_ref"] for r in running]))
            c = _fit(a, h - self._ref_h)
            dh = h - self._ref_h
            ndh = float(np.linalg.norm(dh))
            explained = ndh == 0 or float(np.linalg.norm(a @ c - dh)) <= _EXPLAINED * ndh
            # a drift is gradual: a jump of the total between two blocks is a switching the event
            # detector did not see (a 7 W PC leaving under a rice cooker moved a lone
            # refrigerator's power by +7 W, spread over its whole run by its switch-off step), not
            # the appliance's drift: from there to the next reference it keeps its power, measured
            # again at its switch-off (see _jump_test)
            if full:
                self._jump_test(p)
            if len(running) == 1 and full and _distinct(a) and explained and not self._jump[4]:
                # one appliance over the background: its drift is its fitted share of the change,
                # when the two shapes differ (a heater over a heater cannot be told apart) and
                # scalings of them explain the change (a background whose current changes shape,
                # a washing machine's or an SMPS's wander, is not split into scalings).
                # With several running, real loads whose drift is not a plain scaling of their
                # switch-on shape (a burst-mode cooker changing its duty, a motor's current turning
                # with its load) made the fit trade power between similar shapes (measured:
                # eval_circuits.py); they keep their power since the last switching, corrected at
                # the switch-off
                delta = _attribute(c, power, p - self._ref_p)
                for r, d in zip(running, delta):
                    r["p_now"] = r["p_ref"] + float(d)
            for r in running:
                r["energy_j"] += r["p_now"] * t
            if full:
                # the gone test reads coefficients fitted against the measured cycle noise: a
                # background (or a running load) whose current scatters along some directions
                # (a TV's supply beside a PC's) weighs less there (generalised least squares)
                cw = _fit_white(a, dh, self._cov, self._cov_n)
                self._vanished(running, cw[:-1], a[:, :-1], n, p)
        else:
            for r in running:
                r["energy_j"] += r["p_now"] * t

    def _jump_test(self, p: float) -> None:
        """Read the next whole block's mean total power ``p`` (W); set the jump flag on a jump.

        The differences of consecutive blocks' power since the reference are tracked (Welford:
        their mean is the drift, their scatter the noise); a difference beyond :data:`_JUMP_SIGMA`
        standard deviations of them from their mean (at least :data:`_GONE_HISTORY` of them) is
        a jump. It is not learned as scatter, and the flag stays up until the next reference.
        """
        prev, k, mean, m2, _flag = self._jump
        d = p - prev
        self._jump[0] = p
        if not math.isfinite(d):
            return
        if k >= _GONE_HISTORY and abs(d - mean) > _JUMP_SIGMA * math.sqrt(m2 / (k - 1)):
            self._jump[4] = 1.0
            return
        k += 1
        dlt = d - mean
        mean += dlt / k
        self._jump[1:4] = [k, mean, m2 + dlt * (d - mean)]

    def _max_blocks(self) -> int:
        """Most whole blocks ``history_s`` can hold (mains up to :data:`_MAINS_MAX_HZ`)."""
        return math.ceil(float(self.history_s) * _MAINS_MAX_HZ / BLOCK)

    def _prune_blocks(self) -> None:
        """Drop the kept blocks that start before the last ``history_s`` seconds (of the newest block's end)."""
        bl = self._blocks
        if not bl or not self._fs > 0:
            return
        since = bl[-1][3] - float(self.history_s) * self._fs
        while bl and bl[0][2] < since:
            bl.popleft()

    def _vanished(self, running: list[dict], c: np.ndarray, cols: np.ndarray, n: int, p: float = math.nan) -> None:
        """Close the runs whose whole current has gone without a switch-off event.

        A small load switching off over a large or burst-mode background can pass under the
        event detector's noise floor; its run would never end. Its fitted coefficient tells:
        steady near 0 while it runs, it drops to -1 (its whole shape gone) and stays there.
        A run is closed when that lasts :data:`_GONE_BLOCKS` blocks, beyond
        :data:`_GONE_SIGMA` times the scatter of its coefficient before (at least
        :data:`_GONE_HISTORY` blocks of it). The switch-off is put where the block before the
        drop says (a coefficient of -f: gone for the last share f of it).
        """
        b = self._buf
        end = float(b["start"][n - 1] + b["period"][n - 1])
        length = float(np.sum(b["period"][:n]))
        gone_runs = []
        for j, (r, cr) in enumerate(zip(running, c)):
            cr = float(cr)
            k = r["c_n"]
            sd = math.sqrt(r["c_m2"] / (k - 1)) if k > 1 else math.inf
            off_mean = abs(cr - r["c_mean"])
            if k >= _GONE_HISTORY and off_mean > 3.0 * sd:
                # outside its scatter: the start of a drop (not learned as scatter)
                if r["gone_at"] == 0.0:
                    # a coefficient of -f: gone for the last share f of the block
                    r["gone_at"] = end - min(max(-cr, 0.0), 1.0) * length
                # gone: -1 within the coefficient's own scatter (a small load among similar shapes,
                # two capacitor-input supplies, is fitted less surely), at most _GONE_TOL_MAX
                tol = min(max(_GONE_TOL, _GONE_TOL_SIGMA * sd), _GONE_TOL_MAX)
                # the total power (W) moved by minus the run's power, beyond the blocks' power scatter
                sd_p = math.sqrt(r["p_m2"] / (k - 1))
                dp = p - r["p_mean"]
                p_gone = (math.isfinite(dp) and abs(dp + r["p_now"]) <= _GONE_P_SIGMA * sd_p
                          and -dp > 2.0 * _GONE_P_SIGMA * sd_p)
                sigma = _GONE_SIGMA_JOINT if p_gone else _GONE_SIGMA
                # with the power's fall confirming the whole run left, the coefficient need not read
                # -1: fitted with a template measured over a kW background it reads less
                # (regression dilution by the template's own noise)
                near = min(abs(cr + 1.0), abs(cr - r["c_mean"] + 1.0)) <= tol
                if (p_gone and cr < r["c_mean"] and off_mean > max(sigma * sd, _GONE_MIN_JOINT)) or (
                        near and off_mean > max(sigma * sd, 0.5)):
                    r["gone"] += 1
                    if p_gone and r["gone"] > 1:
                        # the run's power measured again by the fall of the total (after the block
                        # it left in, which it shared)
                        r["gone_p"] += -dp
                        r["gone_pn"] += 1
                    if r["gone"] >= _GONE_BLOCKS:
                        gone_runs.append((j, r))
            else:
                r["gone"], r["gone_at"], r["gone_p"], r["gone_pn"] = 0, 0.0, 0.0, 0
                # Welford's running mean and variance of the coefficient
                k += 1
                dlt = cr - r["c_mean"]
                r["c_mean"] += dlt / k
                r["c_m2"] += dlt * (cr - r["c_mean"])
                if math.isfinite(p):
                    dlt = p - r["p_mean"]
                    r["p_mean"] += dlt / k
                    r["p_m2"] += dlt * (p - r["p_mean"])
                r["c_n"] = k
        for j, r in gone_runs:
            off = int(round(r["gone_at"]))
            if len(running) > 1:
                # charged at its power since: take back what it did not use
                r["energy_j"] -= r["p_now"] * max(end - off, 0.0) / self._fs
            off_power = r["p_now"]
            r["sd_off_w"] = None                 # no second measurement of its power
            if r["gone_pn"] == r["gone"] - 1 and r["gone_pn"] > 0:
                # (the standard error of that fall: the blocks' power scatter before and after)
                k = r["c_n"]
                r["sd_off_w"] = _sd(math.sqrt(r["p_m2"] / (k - 1) * (1.0 / r["gone_pn"] + 1.0 / k)))
                # every block after the drop agreed with the run's power: a second measurement of
                # it, as a switch-off event gives; what the attribution got wrong is spread over the run
                off_power = r["gone_p"] / r["gone_pn"]
                r["energy_j"] += 0.5 * (off_power - r["p_now"]) * max(off - r["on_sample"], 0) / self._fs
            r["off_sample"], r["off_power_w"], r["inferred_off"] = off, off_power, True
            self._late.append(self._off_alert(r))
        if gone_runs:
            # a new reference from the next whole block, as after a switching
            self._ref_h, self._ref_p = np.empty(0), math.nan
            self._cov, self._cov_n = np.zeros_like(self._cov), 0
            self._ref_from = self._done + n
            for r in self._runs:
                if r["off_sample"] is None:
                    r["p_ref"] = r["p_now"]
                    r.update(_FRESH_FIT)

    def _left_before(self, ev, bd, label: str):
        """A running load that left inside the window before switching ``ev`` (see :func:`_departure`).

        A small load switching off a few cycles before another switching is merged into its event
        (the event detector needs ``settle`` steady cycles to confirm a state), and once the
        reference after the switching is taken it is no longer there to be missed. The cycles of
        the event's "before" window, up to its switching cycle, are searched for one running
        load's whole current leaving. Closes that run and returns ``(run, share)``, the share of
        the window ``bd.pre`` averaged with it still running, or None.
        """
        if bd is None:
            return None
        b = self._buf
        c = self._onset_cycle(ev)
        lo = max(int(ev.pre.cycles[0]) - self._done, 0)
        hi = c - self._done
        running = [r for r in self._runs if r["off_sample"] is None
                   and not (ev.kind == "off" and label != UNKNOWN and r["label"] == label)]
        if hi - lo < 2 * _DEP_MIN + 1 or not running:
            return None
        found = _departure(b["h"][lo:hi], b["p"][lo:hi], [_scaled(r, r["p_now"]) for r in running],
                           [r["p_now"] for r in running])
        if found is None:
            return None
        j, k, after, dp, se = found
        run = running[j]
        off = float(b["start"][lo + k] + (1.0 - after) * b["period"][lo + k])
        # every cycle before the switching is attributed now; the run was charged up to it
        self._commit(c, cut=True)
        b = self._buf
        end = float(b["start"][c - self._done]) if 0 <= c - self._done < b["start"].shape[0] else off
        self._end_run(run, off, end, -dp, se)
        a0, a1 = bd.pre.cycles
        share = min(max((self._done_abs_cycle(off) - a0) / max(a1 + 1 - a0, 1), 0.0), 1.0)
        return run, share

    def _done_abs_cycle(self, sample: float) -> float:
        """Fractional absolute cycle index of ``sample`` (from the buffered cycles; clipped to them)."""
        st, per = self._buf["start"], self._buf["period"]
        if st.shape[0] == 0:
            return float(self._done)
        k = int(np.clip(np.searchsorted(st, sample, side="right") - 1, 0, st.shape[0] - 1))
        return self._done + k + min(max((sample - float(st[k])) / float(per[k]), 0.0), 1.0)

    def _end_run(self, run: dict, off: float, charged_to: float, off_power: float, se: float = 0.0) -> None:
        """Close ``run`` at sample ``off`` (found, not an event); it was charged its power up to ``charged_to``.

        ``off_power``: its power measured again by the fall of the total (W), with standard error
        ``se`` (W); as at a switch-off event, what the attribution got wrong is spread linearly
        over the run. The two measurements are weighed by their noise: the fall's ``se``
        against the switch-on step's noise plus :data:`_DRIFT_REL` of the power (a fall measured
        over a few cycles of a kW background is a poor second measurement of a 7 W load).
        """
        sd_on = float(run.get("p_sd", 0.0))
        if se > 0 and sd_on > 0:
            var_t = sd_on * sd_on + (_DRIFT_REL * run["p_now"]) ** 2
            off_power = run["p_now"] + var_t / (var_t + se * se) * (off_power - run["p_now"])
        run["energy_j"] -= run["p_now"] * (charged_to - off) / self._fs
        run["energy_j"] += 0.5 * (off_power - run["p_now"]) * max(off - run["on_sample"], 0.0) / self._fs
        run["off_sample"], run["off_power_w"], run["inferred_off"] = int(round(off)), off_power, True
        run["sd_off_w"] = _sd(se) if se > 0 else None
        self._late.append(self._off_alert(run))

    def _post_check(self, *, final: bool) -> None:
        """Search the cycles gathered since the last switching for a running load leaving (:func:`_departure`).

        Run once :data:`_POST_CHECK` cycles are gathered, or with fewer (``final``) when the next
        switching comes or the data end. A run found is closed; the reference is taken again
        after it, as after a switching.
        """
        g = self._seg
        self._seg_on = False
        self._seg = _empty_seg()
        running = [r for r in self._runs if r["off_sample"] is None]
        if g["p"].shape[0] < 2 * _DEP_MIN + 1 or not running:
            return
        running = [r for r in running if "seg_p" in r]
        if not running:
            return
        found = _departure(g["h"], g["p"], [_scaled(r, r["seg_p"]) for r in running], [r["seg_p"] for r in running])
        if found is None:
            return
        j, k, after, dp, se = found
        off = float(g["start"][k] + (1.0 - after) * g["period"][k])
        run = running[j]
        # charged from the search's start at its power then, up to where it left
        run["energy_j"], run["p_now"] = run["seg_e"], run["seg_p"]
        self._end_run(run, off, float(g["start"][0]), -dp, se)
        if not final:
            self._ref_h, self._ref_p = np.empty(0), math.nan
            self._cov, self._cov_n = np.zeros_like(self._cov), 0
            self._ref_from = self._done
            self._expect_p = math.nan
            for r in self._runs:
                if r["off_sample"] is None:
                    r["p_ref"] = r["p_now"]
                    r["fresh"] = False
                    r.update(_FRESH_FIT)

    def _appeared(self, ev, label: str, power: float, shape: np.ndarray) -> dict | None:
        """A run for a named switch-off whose switch-on was never found, from the blocks kept; or None.

        A small load switching on over a burst-mode or wandering background can pass under the
        event detector's noise floor while its switch-off, named, is found. The whole blocks of
        the last ``history_s`` seconds are searched, newest stretch between switchings first,
        for the current that left (``shape``, W ``power``) arriving whole
        (:func:`_departure` on the blocks, time reversed: a block mean is 12 cycles, so a step
        too small for one cycle's noise shows over a stretch of them). The run found opens
        inside its block (by the block's coefficient), charged at the measured rise of the
        total, and is closed by this switch-off. It is marked ``inferred_on``.
        """
        if not self._blocks or not (power > 0):
            return None
        blocks = list(self._blocks)
        segs: dict[int, list] = {}
        for blk in blocks:
            segs.setdefault(blk[4], []).append(blk)
        for key in sorted(segs, reverse=True):
            seg = segs[key][::-1]                           # newest first: an arrival is a departure back in time
            h = np.stack([x[0] for x in seg]).astype(float)
            p = np.array([x[1] for x in seg])
            found = _departure(h, p, [shape], [power])
            if found is None:
                continue
            _j, k, after, dp, _se = found
            t0, t1 = seg[k][2], seg[k][3]
            # (reversed: the share "after" is the share of the block before the arrival)
            on = float(t0 + after * (t1 - t0))
            if not on < float(ev.sample):
                return None
            c = self._onset_cycle(ev)
            upto = float(self._buf["start"][0]) if self._done == c and self._buf["start"].shape[0] else float(ev.sample)
            p_on = -dp
            run = {"label": label, "on_sample": int(round(on)), "off_sample": None, "on_power_w": p_on,
                   "off_power_w": None, "on_match": None, "off_match": None,
                   "shape": (shape * (p_on / power)).tolist(), "p_on_ref": p_on, "p_ref": p_on, "p_now": p_on,
                   "energy_j": p_on * max(upto - on, 0.0) / self._fs, "inferred_off": False, "inferred_on": True,
                   "sd_on_w": _sd(_se), "sd_off_w": None, **_FRESH_FIT}
            self._runs.append(run)
            self._runs.sort(key=lambda r: r["on_sample"])
            detail = {"label": label, "state": "on", "power_w": p_on, "match": None, "inferred": True}
            self._late.append(Alert("appliance", run["on_sample"], time=run["on_sample"] / self._fs, detail=detail,
                                    explanation=(f"{label} switched on ({p_on:.0f} W), found back from its "
                                                 "switch-off: its switch-on was no event"),
                                    detector=self.name, timestamp=self._stamp(run["on_sample"])))
            return run
        return None

    def _off_alert(self, run: dict) -> Alert:
        row = self._row(run)
        detail = {"label": run["label"], "state": "off", "power_w": run["off_power_w"], "match": None,
                  "paired": True, "inferred": True, "on_sample": run["on_sample"],
                  "duration_s": row["duration_s"], "energy_wh": row["energy_wh"],
                  "energy_sd_wh": row["energy_sd_wh"], "closed": [run["label"]]}
        expl = (f"{run['label']} gone ({run['off_power_w']:.0f} W) after {row['duration_s']:.1f} s, "
                f"{row['energy_wh']:.4g} Wh: its current left without a switching event")
        return Alert("appliance", run["off_sample"], time=run["off_sample"] / self._fs, detail=detail,
                     explanation=expl, detector=self.name, timestamp=self._stamp(run["off_sample"]))

    def _onset_cycle(self, ev) -> int:
        """Absolute index of the cycle holding the onset sample (``ev.cycle`` may be the next one)."""
        st = self._buf["start"]
        k = int(np.searchsorted(st, float(ev.sample), side="right")) - 1
        return self._done + max(k, 0)

    def _switch(self, ev, step_signed: float, shape: np.ndarray, opened: list[dict], closed: list[dict]) -> None:
        # (the total measured just after the switching, self._expect_p, is set by _book)
        """Book the switching cycle and start a new reference (the level before plus the step)."""
        c = self._onset_cycle(ev)
        self._commit(c, cut=True)
        self._n_switch += 1
        if self._seg_on:
            self._post_check(final=True)
        running = [r for r in self._runs if r["off_sample"] is None]
        b = self._buf
        if c == self._done and b["p"].shape[0]:
            # the switching cycle: shared at the onset sample
            per = float(b["period"][0])
            dt = per / self._fs
            frac = min(max((float(ev.sample) - float(b["start"][0])) / per, 0.0), 1.0) if per > 0 else 0.5
            for r in running:
                r["energy_j"] += r["p_now"] * dt * (frac if any(r is x for x in closed) else 1.0)
            for r in opened:
                r["energy_j"] += r["p_now"] * dt * (1.0 - frac)
            self._drop(1)
        for r in closed:
            # the switch-off measures the run's power again: what the attribution got wrong is
            # spread linearly over the run
            dur = max(int(ev.sample) - r["on_sample"], 0) / self._fs
            r["energy_j"] += 0.5 * (r["off_power_w"] - r["p_now"]) * dur
            r["p_now"] = r["off_power_w"]
        # a new reference once the new steady state has begun
        self._ref_h, self._ref_p = np.empty(0), math.nan
        self._cov, self._cov_n = np.zeros_like(self._cov), 0
        self._ref_from = max(int(ev.post.cycles[0]), c + 1)
        # (from the cycle after the switching: a load may leave while the event detector still
        # waits for the new state to settle, inside the switching's own step)
        self._seg_on, self._seg_from, self._seg = True, c + 1, _empty_seg()
        # each run's energy and power as the search starts (the drift attribution may give a
        # departure to the run itself before the search sees it)
        for r in [x for x in self._runs if x["off_sample"] is None] + list(opened):
            r["seg_e"], r["seg_p"] = r["energy_j"], r["p_now"]
        for r in self._runs:
            r["fresh"] = False
        for r in opened:
            r["fresh"] = True               # (not in self._runs yet)
        for r in self._runs:
            if r["off_sample"] is None:
                r["p_ref"] = r["p_now"]
                r.update(_FRESH_FIT)

    def _book(self, ev, label: str, match, calibrated: bool, power: float, shape: np.ndarray,
              level: float = math.nan, noise: float = 0.0, *, se: float = math.nan,
              v_rms: float = math.nan) -> Alert:
        """Open or close runs for switching ``ev`` (an Event or a :class:`_Part`); its alert.

        ``level``: the total power measured just after it (W); ``noise``: the step's noise (W);
        ``se``: the standard error of the step's active power (W, :meth:`_step_se`; NaN: not
        measured), kept for the run's energy uncertainty; ``v_rms``: the voltage after it (V;
        NaN: not measured), for a heater's enrolled-power prior.
        """
        unit = "W" if calibrated else "units"
        self._commit(self._onset_cycle(ev), cut=True)         # tracked powers up to the switching
        self._expect_p = float(level)
        m = None if match is None else {"label": str(match.label), "distance": _fin(match.distance),
                                        "confidence": _fin(match.confidence)}
        if ev.kind == "on":
            run = {"label": label, "on_sample": int(ev.sample), "off_sample": None, "on_power_w": power,
                   "off_power_w": None, "on_match": m, "off_match": None, "shape": shape.tolist(),
                   "p_on_ref": power, "p_ref": power, "p_now": power, "energy_j": 0.0, "inferred_off": False,
                   "p_sd": float(noise), "sd_on_w": _sd(se), "sd_off_w": None, "calibrated": bool(calibrated),
                   "v_rms": float(v_rms) if math.isfinite(v_rms) and v_rms > 0 else None, **_FRESH_FIT}
            self._switch(ev, power, shape, [run], [])
            self._runs.append(run)
            detail = {"label": label, "state": "on", "power_w": power, "match": m}
            expl = f"{label} switched on ({power:.0f} {unit})"
        else:
            closed = self._close(label, power, shape, noise)
            if not closed and label != UNKNOWN:
                back = self._appeared(ev, label, power, shape)
                if back is not None:
                    back["calibrated"] = bool(calibrated)
                    closed = [back]
            if not closed:
                self._switch(ev, -power, shape, [], [])
                self._orphans.append({"label": label, "off_sample": int(ev.sample), "off_power_w": power,
                                      "off_match": m})
                detail = {"label": label, "state": "off", "power_w": power, "match": m, "paired": False}
                expl = f"{label} switched off ({power:.0f} {unit}); it was not seen switching on"
            else:
                total_on = sum(r["p_now"] for r in closed)
                for run in closed:
                    # two loads off in one switching: the step is shared in proportion
                    share = run["p_now"] / total_on if total_on > 0 else 1.0 / len(closed)
                    run["off_power_w"], run["off_match"] = power * share, m
                    run["sd_off_w"] = _sd(se * share) if math.isfinite(se) else None
                self._switch(ev, -power, shape, [], closed)
                for run in closed:
                    run["off_sample"] = int(ev.sample)
                    if run["label"] == UNKNOWN and label != UNKNOWN and len(closed) == 1:
                        run["label"] = label        # named at its switch-off (paired by power)
                rows = [self._row(r) for r in closed]
                names = " and ".join(r["label"] for r in closed)
                detail = {"label": closed[0]["label"] if len(closed) == 1 else names, "state": "off",
                          "power_w": power, "match": m, "paired": True,
                          "on_sample": closed[0]["on_sample"], "duration_s": rows[0]["duration_s"],
                          "energy_wh": sum(r["energy_wh"] for r in rows),
                          "energy_sd_wh": _quadrature([r["energy_sd_wh"] for r in rows]),
                          "closed": [r["label"] for r in closed]}
                expl = (f"{names} switched off ({power:.0f} {unit}) after {rows[0]['duration_s']:.1f} s, "
                        f"{detail['energy_wh']:.4g} Wh")
        return Alert("appliance", ev.sample, time=ev.sample / self._fs, detail=detail, explanation=expl,
                     detector=self.name, timestamp=self._stamp(int(ev.sample)))

    def _close(self, label: str, power: float, shape: np.ndarray | None = None,
               noise: float = 0.0) -> list[dict]:
        """The running runs a switch-off of ``label``, step ``power`` and current ``shape`` ends.

        None, one, or two at once (two loads off closer together than the event detector
        separates). Candidates are the runs (and pairs of runs) whose tracked power is within
        ``pair_tolerance`` of the step; among them the one whose current shape (switch-on
        harmonics, scaled to its power now) best matches the shape that left, then the
        closest power: two loads whose powers happen to add up to a third's do not pass for
        it when their currents do not.

        A named switch-off closes the run of its label; a second running run goes with it
        when what the step has beyond the named run's power (more than ``noise``, W, allows)
        is nearer that run's power than zero: two switch-offs a few cycles apart, seen as one
        event named after the larger load (the library names the larger part of a sum).
        """
        running = [r for r in self._runs if r["off_sample"] is None]
        if label != UNKNOWN:
            same = [r for r in running if r["label"] == label]
            if same:
                # the one whose tracked power is closest (latest on a tie)
                one = min(reversed(same), key=lambda r: abs(r["p_now"] - power))
                rest = power - one["p_now"]
                others = [r for r in running if r is not one and r["p_now"] > 0]
                if others and rest > _NOISE_SIGMA * noise:
                    two = min(others, key=lambda r: abs(r["p_now"] - rest))
                    if abs(two["p_now"] - rest) < 0.5 * two["p_now"] and (
                            shape is None or _pair_fits(shape, one, two, power)):
                        return [one, two]
                return [one]
        tol = self.pair_tolerance * max(power, 1e-12)
        # a named switch-off closes only a run that was not named otherwise
        free = [r for r in running if label == UNKNOWN or r["label"] == UNKNOWN]
        cands = [[r] for r in reversed(free)]
        if label == UNKNOWN:
            cands += [[a, b] for j, a in enumerate(running) for b in running[j + 1:]]
        best, score = [], math.inf
        norm = float(np.linalg.norm(shape)) if shape is not None else 0.0
        for group in cands:
            e = abs(sum(r["p_now"] for r in group) - power)
            if e > tol:
                continue
            sc = e / max(power, 1e-12) + (len(group) - 1) * 0.05      # one load off is likelier than two
            if shape is not None and norm > 0:
                fit = np.sum([np.asarray(r["shape"]) * (r["p_now"] / r["p_on_ref"] if r["p_on_ref"] > 0 else 1.0)
                              for r in group], axis=0)
                sc += float(np.linalg.norm(shape - fit)) / norm
            if sc < score:
                best, score = group, sc
        return best

    # -- answers ---------------------------------------------------------------
    def _row(self, run: dict) -> dict:
        fs = self._fs if self._fs > 0 else math.nan
        end = run["off_sample"] if run["off_sample"] is not None else max(self._now, run["on_sample"])
        dur = (end - run["on_sample"]) / fs
        energy = float(run["energy_j"])
        if run["off_sample"] is None:
            # cycles seen but not attributed yet (the event detector's look-back): at the power now
            energy += run["p_now"] * float(np.sum(self._buf["period"])) / fs
        measured = energy
        sd = _energy_sd(run, dur, self._period_s())
        source = "measured"
        prior = (_power_prior(self.library, run["label"], run.get("v_rms"))
                 if self.power_prior and self.library is not None and run["label"] != UNKNOWN
                 and run.get("calibrated", True) else None)
        var_m = _power_var(run)
        if prior is not None and var_m is not None and var_m > 0 and dur > 0:
            # the run's mean power, measured and enrolled, weighed by their variances
            p_c, var_c = _combine(energy / dur, var_m, *prior)
            energy, source = p_c * dur, "combined"
            sd = math.sqrt(dur * dur * var_c + _time_var(run, self._period_s())) / 3600.0
        return {"label": run["label"], "on_s": run["on_sample"] / fs,
                "off_s": None if run["off_sample"] is None else run["off_sample"] / fs,
                "on_sample": run["on_sample"], "off_sample": run["off_sample"],
                "on_time": self._stamp(run["on_sample"]), "off_time": self._stamp(run["off_sample"]),
                "duration_s": dur, "power_w": energy / dur if dur > 0 else run["p_now"],
                "energy_wh": energy / 3600.0, "energy_sd_wh": sd, "energy_source": source,
                "energy_measured_wh": measured / 3600.0,
                "running": run["off_sample"] is None,
                "inferred_off": bool(run.get("inferred_off", False)),
                "inferred_on": bool(run.get("inferred_on", False))}

    def _period_s(self) -> float:
        """Length of a mains cycle (s), from the cycles the event detector saw (NaN before any)."""
        per = self._hist.get("period")
        if per is None or not np.size(per) or not self._fs > 0:
            return math.nan
        return float(np.median(per)) / self._fs

    def running(self) -> list[str]:
        """Labels of the appliances running now (one entry per running instance)."""
        return [r["label"] for r in self._runs if r["off_sample"] is None]

    def timeline(self) -> list[dict]:
        """Every run in switch-on order.

        Each row: ``label``; ``on_s``/``off_s`` (s from the stream start,
        ``off_s`` None while running); ``on_sample``/``off_sample``;
        ``on_time``/``off_time`` (UTC datetimes with a ``start_time``, else
        None); ``duration_s``; ``power_w`` (mean power over the run, W);
        ``energy_wh``; ``energy_sd_wh`` (one standard deviation of the energy, Wh, from the
        noise of the run's two power measurements and of its switching times: a 7 W load under
        a kW background is booked to +-5-30 %, a kettle to +-0.3 %; None when its power was
        never measured, e.g. a state saved before this field); ``energy_source``
        (``"measured"``, or ``"combined"`` with the enrolled power: see ``power_prior``) and
        ``energy_measured_wh`` (the measured energy either way); ``running``;
        ``inferred_off``/``inferred_on`` (the
        switch-off or switch-on found on the current's shape, not an event). Switch-offs that
        closed nothing are not runs (see :meth:`unpaired`).
        """
        return [self._row(r) for r in self._runs]

    def unpaired(self) -> list[dict]:
        """Switch-offs of appliances never seen switching on (label, off_sample, off_power_w)."""
        return [dict(o) for o in self._orphans]

    def ledger(self) -> dict[str, dict]:
        """Per label: ``runs``, ``on_time_s``, ``energy_wh``, ``energy_sd_wh`` (Wh, the runs' in
        quadrature; None when one run's is unknown), ``running`` (instances now)."""
        out: dict[str, dict] = {}
        for row in self.timeline():
            e = out.setdefault(row["label"], {"runs": 0, "on_time_s": 0.0, "energy_wh": 0.0, "energy_sd_wh": 0.0,
                                              "running": 0})
            e["runs"] += 1
            e["on_time_s"] += row["duration_s"]
            e["energy_wh"] += row["energy_wh"]
            # independent runs: their uncertainties add in quadrature (None once one is unknown)
            e["energy_sd_wh"] = _quadrature([e["energy_sd_wh"], row["energy_sd_wh"]])
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
            "energy_sd_wh": [math.nan if r["energy_sd_wh"] is None else r["energy_sd_wh"] for r in rows],
            "energy_source": [r["energy_source"] for r in rows],
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
            "buf": dict(self._buf), "done": int(self._done), "ref_h": self._ref_h, "ref_p": float(self._ref_p),
            "ref_from": int(self._ref_from), "cov": self._cov, "cov_n": int(self._cov_n), "finished_at": int(self._finished_at),
            "expect_p": float(self._expect_p),
            "seg_on": bool(self._seg_on), "seg_from": int(self._seg_from), "seg": dict(self._seg),
            "n_switch": int(self._n_switch), "jump": [float(x) for x in self._jump],
            "blocks": {"h": np.array([x[0] for x in self._blocks], np.float32).reshape(-1, 2 * SHAPE_HARMONICS),
                       "p": np.array([x[1] for x in self._blocks], float),
                       "t0": np.array([x[2] for x in self._blocks], float),
                       "t1": np.array([x[3] for x in self._blocks], float),
                       "sw": np.array([x[4] for x in self._blocks], np.int64)},
        })}

    def load_state(self, state: dict) -> "ApplianceTracker":
        """Restore :meth:`state_dict` output into a tracker made with the same parameters."""
        try:
            st = decode(state["state"])
            hist = {str(k): np.asarray(v, dtype=float) for k, v in dict(st["hist"]).items()}
            runs = [_check_run(r) for r in st["runs"]]
            orphans = [dict(o) for o in st["orphans"]]
            start = None if st["start_time"] is None else datetime.fromisoformat(str(st["start_time"]))
            width = 2 * SHAPE_HARMONICS
            buf = {k: np.asarray(st["buf"][k], dtype=float) for k in ("p", "start", "period", "h")}
            n = buf["p"].shape[0]
            seen, done = int(st["seen"]), int(st["done"])
            if (buf["p"].ndim != 1 or buf["start"].shape != (n,) or buf["period"].shape != (n,)
                    or buf["h"].shape != (n, width) or not 0 <= done <= seen or done + n != seen
                    or n > self._lag() + 100_000 or not np.all(buf["period"] > 0)):
                raise ValueError("the cycles waiting for attribution do not fit the cycles seen")
            ref_h = np.asarray(st["ref_h"], dtype=float).reshape(-1)
            if ref_h.shape[0] not in (0, width) or any(
                    len(r["shape"]) != width for r in runs):
                raise ValueError("current shapes of the wrong length")
            cov = np.asarray(st.get("cov", np.zeros((width, width))), dtype=float)
            cov_n = int(st.get("cov_n", 0))
            if cov.shape != (width, width) or not np.all(np.isfinite(cov)) or cov_n < 0:
                raise ValueError("the cycle-noise matrix has the wrong shape or is not finite")
            self.event_source.load_state(st["events"])
            self._cov, self._cov_n = cov, cov_n
            self._hist, self._seen, self._now, self._fs = hist, seen, int(st["now"]), float(st["fs"])
            self._buf, self._done, self._ref_h = buf, done, ref_h
            self._ref_p, self._ref_from = float(st["ref_p"]), int(st["ref_from"])
            self._expect_p = float(st.get("expect_p", math.nan))
            seg = st.get("seg")
            seg = _empty_seg() if seg is None else {k: np.asarray(seg[k], dtype=float) for k in ("p", "start", "period", "h")}
            m = seg["p"].shape[0]
            if (seg["p"].ndim != 1 or seg["start"].shape != (m,) or seg["period"].shape != (m,)
                    or (m and seg["h"].shape != (m, width)) or m > _POST_CHECK + BLOCK):
                raise ValueError("the cycles gathered after the last switching do not fit")
            self._seg_on, self._seg_from, self._seg = bool(st.get("seg_on", False)), int(st.get("seg_from", 0)), seg
            bl = st.get("blocks")
            blocks: collections.deque = collections.deque(maxlen=self._max_blocks())
            n_switch = int(st.get("n_switch", 0))
            if bl is not None:
                # older states hold the harmonics as float64 and the switch counts as floats
                bh = np.asarray(bl["h"], dtype=float).reshape(-1, width)
                cols = [np.asarray(bl[k], dtype=float).reshape(-1) for k in ("p", "t0", "t1", "sw")]
                if any(c.shape[0] != bh.shape[0] for c in cols) or bh.shape[0] > max(self._max_blocks(), 1250) or not (
                        np.all(np.isfinite(bh)) and np.all(np.abs(bh) < 3e38)
                        and all(np.all(np.isfinite(c)) for c in cols)):
                    raise ValueError("the blocks kept do not fit")
                if not (np.all(cols[2] > cols[1]) and np.all(np.diff(cols[1]) > 0)
                        and np.all((cols[3] >= 0) & (cols[3] <= n_switch) & (cols[3] == np.round(cols[3])))):
                    raise ValueError("the blocks kept are not in time order")
                bh32 = bh.astype(np.float32)
                for k in range(bh.shape[0]):
                    blocks.append((bh32[k], float(cols[0][k]), float(cols[1][k]), float(cols[2][k]), int(cols[3][k])))
            self._blocks, self._n_switch = blocks, n_switch
            jump = [float(x) for x in st.get("jump", [math.nan, 0.0, 0.0, 0.0, 0.0])]
            if len(jump) != 5 or not all(math.isfinite(x) for x in jump[1:]) or jump[1] < 0 or jump[3] < 0:
                raise ValueError("the block-jump statistics do not fit")
            self._jump = jump
            self._finished_at = int(st["finished_at"])
            if self.history_s == 0:
                self._blocks.clear()
            self._prune_blocks()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"not an ApplianceTracker state ({type(exc).__name__}: {exc})") from None
        self._runs, self._orphans, self.start_time = runs, orphans, _utc(start)
        return self


#: a named switch-off's step must exceed its run's power by this many noise standard deviations
#: of the step before a second run is closed with it (see ApplianceTracker._close)
_NOISE_SIGMA = 4.0
#: what a running load's power may drift by, unseen, between two measurements of it, as a share
#: of it (a metal heating element's resistance rises a few per cent as it warms: nichrome ~1e-4 /K
#: over ~200-300 K); weighs a departure's power fall against the switch-on step (see _end_run)
_DRIFT_REL = 0.04
#: cycles an intermediate level must last for an event to be split into two switchings
_MID_MIN = 2
#: a run whose current is gone (fitted coefficient -1 +- 0.3) for this many blocks (0.72 s at
#: 50 Hz) is closed without a switch-off event ...
_GONE_BLOCKS = 3
#: ... when the drop is beyond this many standard deviations of its coefficient before,
_GONE_SIGMA = 6.0
#: measured over at least this many blocks
_GONE_HISTORY = 4
#: its coefficient must be -1 within this (absolute), or within _GONE_TOL_SIGMA times its scatter
#: up to _GONE_TOL_MAX (more than half of its current must have left)
_GONE_TOL = 0.3
_GONE_TOL_SIGMA = 4.0
_GONE_TOL_MAX = 0.45
# a run's coefficient statistics since the last switching (reset then: the reference changes)
_FRESH_FIT = {"c_n": 0, "c_mean": 0.0, "c_m2": 0.0, "gone": 0, "gone_at": 0.0,
              "p_mean": 0.0, "p_m2": 0.0, "gone_p": 0.0, "gone_pn": 0}
#: a lone appliance's drift fit stops (until the next reference) at a block whose power differs
#: from the block before by more than this many standard deviations of such differences since the
#: reference, about their mean (the drift): a jump is a switching, not a drift (see
#: ApplianceTracker._jump_test); as the gone test's drop. Measured with 4 / 6 / 8: real mixtures
#: A 0.939 / 0.933 / 0.933, B 0.906 / 0.906 / 0.900 (eval_circuits.py --ledger-only)
_JUMP_SIGMA = _GONE_SIGMA
#: a drop of a run's coefficient beyond this many standard deviations (instead of _GONE_SIGMA)
#: suffices when the total active power fell by the run's power at the same blocks (two
#: independent measurements: the current's shape and its power)
_GONE_SIGMA_JOINT = 4.0
#: ... within this many standard deviations of the blocks' power, the drop itself beyond twice that
_GONE_P_SIGMA = 3.0
#: ... and then a coefficient drop of at least this much (a third of the run's current) suffices
_GONE_MIN_JOINT = 0.3


def _sd(x) -> float | None:
    """A standard error as a float >= 0, or None when it is not a finite number (not measured)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x >= 0 else None


def _quadrature(sds: list) -> float | None:
    """Standard deviation of a sum of independent terms (None when one of them is unknown)."""
    return None if any(x is None for x in sds) else math.sqrt(sum(x * x for x in sds))


def _energy_sd(run: dict, dur: float, period_s: float) -> float | None:
    """One standard deviation (Wh) of a run's energy, from the noise of its power measurements.

    The energy is charged between two measurements of the run's power, its switch-on and its
    switch-off step (standard errors ``sd_on_w``, ``sd_off_w``, W): the booking is their mean
    over the run (the trapezoid; attribution only moves it between them), so each step's error
    counts half. A real change of power between the two (their difference beyond both errors)
    leaves the path between unknown: taken as uniform between the two powers (variance 1/12 of
    the range squared). With one measurement (a run still on, or gone without a second
    measurement), its error counts whole. Each switching's time is known to within its cycle
    (``period_s``, s: the onset is placed inside the switching cycle from its share of the
    step): uniform over +-1 cycle, a standard deviation of ``period_s / sqrt(3)`` at the run's
    power, for each of the two switchings. None when no power was measured.
    """
    if not (dur > 0):
        return 0.0 if dur == 0 else None
    var = _power_var(run)
    if var is None:
        return None
    return math.sqrt(dur * dur * var + _time_var(run, period_s)) / 3600.0


def _power_var(run: dict) -> float | None:
    """Variance (W²) of a run's mean power from its power measurements (see :func:`_energy_sd`); None: none."""
    on, off = run.get("sd_on_w"), run.get("sd_off_w")
    if on is not None and off is not None and run.get("off_power_w") is not None:
        d = float(run["off_power_w"]) - float(run["on_power_w"])
        return 0.25 * (on * on + off * off) + max(d * d - on * on - off * off, 0.0) / 12.0
    if on is not None:
        return float(on * on)
    if off is not None:
        return float(off * off)
    return None


def _time_var(run: dict, period_s: float) -> float:
    """Variance (J²) of a run's energy from its switching times, each uniform over +-1 cycle (``period_s``, s)."""
    n_sw = 2 if run.get("off_sample") is not None else 1
    p = float(run["on_power_w"]) if run.get("off_power_w") is None else 0.5 * (
        float(run["on_power_w"]) + float(run["off_power_w"]))
    return n_sw * (p * period_s) ** 2 / 3.0 if period_s > 0 else 0.0


def _combine(p_m: float, var_m: float, p_0: float, var_0: float) -> tuple[float, float]:
    """Two independent estimates of one power (W, variances W²) combined by their variances.

    The minimum-variance unbiased combination (inverse-variance weighting; the Gaussian
    posterior of ``p_m`` under the prior ``p_0``): ``(p_m / var_m + p_0 / var_0) / (1 / var_m +
    1 / var_0)``, variance ``var_m var_0 / (var_m + var_0)``. Returns (power W, variance W²).
    """
    w = var_0 / (var_m + var_0)                 # the measurement's weight
    return p_0 + w * (p_m - p_0), w * var_m


def _power_prior(library, label: str, v_rms) -> tuple[float, float] | None:
    """What ``label`` was enrolled at: (mean power W, variance W² for one new run), or None.

    From the label's fingerprints in ``library`` (calibrated, power and voltage measured; at
    least :data:`_PRIOR_MIN` of them): the mean of their active powers and their sample
    variance times ``1 + 1/n`` (the spread of one new draw, the mean itself being estimated).
    A heater (a label of :func:`_resistive_labels`) draws its conductance times the voltage
    squared: each enrolled power is scaled by ``(v_rms / its v_rms)²`` first, and without the
    run's ``v_rms`` (V) there is no prior. None also when the enrolled powers do not scatter
    at all, beyond rounding (a variance of 0 would overrule every measurement).
    """
    key = (id(library), len(library))
    hit = _prior_cache.get(key)
    if hit is None or hit[0] is not library:
        per: dict[str, list[tuple[float, float]]] = {}
        for lab, fp, _meta in library.entries():
            f = fp.features
            p, v = f.get("p", math.nan), f.get("v_rms", math.nan)
            if fp.meta.get("calibrated", True) and math.isfinite(p) and p > 0 and math.isfinite(v) and v > 0:
                per.setdefault(str(lab), []).append((p, v))
        _prior_cache.clear()
        _prior_cache[key] = hit = (library, per)
    vals = hit[1].get(str(label))
    if vals is None or len(vals) < _PRIOR_MIN:
        return None
    a = np.asarray(vals, dtype=float)
    p = a[:, 0]
    if str(label) in _resistive_labels(library):
        if v_rms is None or not (math.isfinite(float(v_rms)) and float(v_rms) > 0):
            return None
        p = p * (float(v_rms) / a[:, 1]) ** 2
    n = p.shape[0]
    var = float(np.var(p, ddof=1)) * (1.0 + 1.0 / n)
    mean = float(np.mean(p))
    # identical fingerprints (one recording enrolled several times) scatter only by rounding
    if not (math.isfinite(var) and math.sqrt(var) > 1e-9 * mean):
        return None
    return mean, var


#: fingerprints of a label needed for its enrolled-power prior (a spread from fewer is no spread)
_PRIOR_MIN = 3
_prior_cache: dict = {}


def _empty_seg() -> dict:
    return {"p": np.empty(0), "start": np.empty(0), "period": np.empty(0), "h": np.empty((0, 2 * SHAPE_HARMONICS))}


class _Part:
    """One of two switchings merged into one event (what :meth:`ApplianceTracker._book` reads)."""

    def __init__(self, kind: str, sample: int, cycle: int, post_first: int) -> None:
        self.kind, self.sample, self.cycle = kind, int(sample), int(cycle)
        self.post = _Cycles((int(post_first), int(post_first)))
        self.level = math.nan
        self.se = math.nan                   # standard error of its power step (W)


class _Cycles:
    def __init__(self, cycles: tuple[int, int]) -> None:
        self.cycles = cycles


def _refine_onset(ev, hist: dict, first: int):
    """``ev`` with its switching cycle found again on the cycles' P and Q (small steps only).

    A small step (under :data:`_REFINE_REL` of the apparent power before it) does not make an
    abrupt jump over the measured noise: the event detector then finds it by the mean of its
    last ``settle`` cycles and may put the onset a few cycles late (the split search reaches
    back ``settle`` cycles from the trigger). Every cycle's (P, Q) is projected on the event's
    step, so ~0 before the switching and ~1 after; the switching cycle is the one that best
    splits :data:`_REFINE_SIDE` cycles at one level from as many at a level about one higher
    (least squares about each side's mean), searched :data:`_REFINE_REACH` cycles back and up to
    the cycles the event was confirmed with. The onset sample inside that cycle is where its
    projection says (a share f of the cycle after the switching: ``1 - f`` into it). Moved
    only when the cycle differs by more than one (the detector's own in-cycle onset is finer).
    """
    dp, dq = float(ev.delta_p), float(ev.delta_q)
    norm = dp * dp + dq * dq
    if not (math.isfinite(norm) and norm > 0) or math.sqrt(norm) >= _REFINE_REL * math.hypot(ev.pre.p, ev.pre.q):
        return ev
    p, q = hist["p"], hist["q"]
    k0 = int(ev.cycle) - first
    # only cycles the event was confirmed with (the same in any chunking)
    last = min(int(ev.post.cycles[1]) - first, p.shape[0] - 1)
    lo, hi = k0 - _REFINE_REACH, min(k0 + _REFINE_REACH, last - _REFINE_SIDE)
    if lo - _REFINE_SIDE < 0 or hi < k0:
        return ev
    z = ((p - ev.pre.p) * dp + (q - ev.pre.q) * dq) / norm
    best, at, lev = math.inf, k0, (0.0, 1.0)
    for k in range(lo, hi + 1):
        a, b = z[k - _REFINE_SIDE:k], z[k + 1:k + 1 + _REFINE_SIDE]
        ma, mb = float(np.mean(a)), float(np.mean(b))
        if mb - ma < 0.5:                     # not this step (its direction and about its size)
            continue
        cost = float(np.sum((a - ma) ** 2) + np.sum((b - mb) ** 2))
        if cost < best:
            best, at, lev = cost, k, (ma, mb)
    if abs(at - k0) <= 1:
        return ev
    share = min(max((float(z[at]) - lev[0]) / (lev[1] - lev[0]), 0.0), 1.0)
    sample = int(round(float(hist["start"][at]) + (1.0 - share) * float(hist["period"][at])))
    fs = ev.sample / ev.time if ev.time else math.nan
    return dataclasses.replace(ev, sample=sample, cycle=first + at,
                               time=sample / fs if math.isfinite(fs) and fs > 0 else ev.time)


#: a label is a resistive element when the median power factor of its enrolled fingerprints is
#: at least this (a resistance draws its current in phase and in the shape of the voltage: PF = 1
#: up to the measurement; a motor or any rectifier is below 0.998: HFHAD-C's range hood 0.997)
_RESISTIVE_PF_LIB = 0.999
#: ... and a step is judged as one when its own (incremental) power factor is at least this (a
#: difference over a running background carries that background's noise)
_RESISTIVE_PF_STEP = 0.99
#: smallest relative tolerance of a resistive element's conductance: a metal element's resistance
#: rises by a few per cent between a cold start and its working temperature (nichrome: ~1e-4 /K
#: over ~200-300 K), and the enrolled recordings ran warm
_G_TOL_MIN = 0.04
_resistive_cache: dict = {}


def _resistive_labels(library) -> dict[str, tuple[float, float]]:
    """Per resistive label of ``library``: (median log conductance, its tolerance) (natural log of S).

    Cached per library object and size (a library grows only by enrolment).
    """
    key = (id(library), len(library))
    hit = _resistive_cache.get(key)
    if hit is not None and hit[0] is library:
        return hit[1]
    per: dict[str, list[tuple[float, float]]] = {}
    for lab, fp, _meta in library.entries():
        f = fp.features
        p, v, pf = f.get("p", math.nan), f.get("v_rms", math.nan), f.get("pf", math.nan)
        if p > 0 and v > 0 and math.isfinite(pf):
            per.setdefault(str(lab), []).append((math.log(p / (v * v)), pf))
    out = {}
    for lab, vals in per.items():
        a = np.asarray(vals)
        if float(np.median(a[:, 1])) < _RESISTIVE_PF_LIB:
            continue
        g = a[:, 0]
        med = float(np.median(g))
        # the label's own spread (a kettle whose element ran at 986-1038 W), 3 robust sigma
        mad = 1.4826 * float(np.median(np.abs(g - med))) if g.shape[0] > 2 else 0.0
        out[lab] = (med, max(3.0 * mad, _G_TOL_MIN))
    _resistive_cache.clear()
    _resistive_cache[key] = (library, out)
    return out


def _resistive_match(library, fp, noise_w: float = 0.0):
    """Name a resistive step by its conductance alone, or None.

    A resistive element's current is its conductance times the voltage, so its harmonics and
    waveform are those of the supply at that moment (a different mains, or the same one at
    another hour, moves them), not the appliance's: the library's shape distance can reject a
    heater whose only own trait, its conductance ``G = P / V²`` (S, independent of the supply
    voltage), is exactly the enrolled one. A step whose incremental power factor is at least
    :data:`_RESISTIVE_PF_STEP` is named after the resistive label (enrolled median PF at least
    :data:`_RESISTIVE_PF_LIB`) whose median conductance is nearest relative to its tolerance
    (the label's own spread, at least :data:`_G_TOL_MIN`, widened by 4x the step's noise
    ``noise_w``, W), when within it; two labels within it: the nearer. Returns a
    :class:`~currentprint.fingerprints.library.Match` (confidence 0.5 at the tolerance) or None.
    """
    from ..fingerprints.library import Match
    f = fp.features
    p, v, pf = f.get("p", math.nan), f.get("v_rms", math.nan), f.get("pf", math.nan)
    if not (p > 0 and v > 0 and pf >= _RESISTIVE_PF_STEP):
        return None
    g = math.log(p / (v * v))
    rel_noise = 4.0 * max(float(noise_w), 0.0) / p
    best = None
    for lab, (med, tol) in _resistive_labels(library).items():
        r = abs(g - med) / (tol + rel_noise)
        if r <= 1.0 and (best is None or r < best[0]):
            best = (r, lab)
    if best is None:
        return None
    return Match(best[1], best[0], float(math.exp(-math.log(2) * best[0] ** 2)))


#: a run leaving within a few cycles of another switching (see _departure): cycles each side of
#: the change at least, the change's significance (robust standard errors of the step of the
#: run's coefficient), how near -1 the coefficient must come (its whole current left), the share
#: of the whole change of the harmonics its shape must explain, and the cycles after a switching
#: searched (beyond them the gone test has its history: _GONE_HISTORY blocks after the reference)
_DEP_MIN = 3
_DEP_SIGMA = 8.0
_DEP_TOL = 0.35
_DEP_EXPLAINED = 0.5
_POST_CHECK = 60
#: longest history_s accepted (s): an hour of blocks is ~2.7 MB of saved state at 60 Hz
_HISTORY_MAX_S = 3600.0
#: mains frequency the kept blocks are counted for (Hz; the framing accepts 45-65 Hz): bounds their number
_MAINS_MAX_HZ = 66.0
#: median of a chi-square(1) variable: a robust variance from squared first differences
_MED_CHI1 = 0.4549


def _departure(h: np.ndarray, p: np.ndarray, shapes: list[np.ndarray], powers: list[float]):
    """The running load whose whole current left at one cycle of a short stretch, or None.

    ``h``: per-cycle stacked harmonics (A) of a stretch free of other switchings; ``p`` their
    active powers (W); ``shapes``/``powers``: each running load's current shape (stacked
    harmonics, A, at its power now) and power (W). The cycle-to-cycle noise of every harmonic
    is measured from first differences (median: robust to the one change), each cycle is
    projected on each load's whitened shape (its coefficient z: 0 while it runs, -1 once it
    left), and the cycle that best splits z into two levels is the candidate. Accepted when the
    drop is beyond :data:`_DEP_SIGMA` standard errors, within :data:`_DEP_TOL` of -1, the shape
    explains at least :data:`_DEP_EXPLAINED` of the whole (whitened) change of the harmonics,
    and the total power fell by the load's power (within half of it, or 4 standard errors):
    the current's shape and its power, two measurements of one switching.

    Returns ``(j, k, f, dp, se)``: the load's index, the switching cycle's row, the share of that
    cycle after the switching, the measured power change and its standard error (W).
    """
    n = h.shape[0]
    if n < 2 * _DEP_MIN + 1 or not shapes:
        return None
    dif = np.diff(h, axis=0)
    var = np.median(dif * dif, axis=0) / (2.0 * _MED_CHI1)
    floor = 1e-6 * float(np.mean(var)) if float(np.mean(var)) > 0 else 1e-18
    w = 1.0 / np.maximum(var, floor)
    dpf = np.diff(p)
    sd_p = math.sqrt(float(np.median(dpf * dpf)) / (2.0 * _MED_CHI1))
    best = None
    for j, (sh, pw) in enumerate(zip(shapes, powers)):
        ws = w * sh
        nrm = float(sh @ ws)
        if not (nrm > 0 and pw > 0):
            continue
        z = (h @ ws) / nrm
        dz = np.diff(z)
        sd = math.sqrt(float(np.median(dz * dz)) / (2.0 * _MED_CHI1))
        sd = max(sd, 1.0 / math.sqrt(nrm))
        cs = np.cumsum(z)
        tot = float(cs[-1])
        top, at = -math.inf, -1
        # the switching cycle k itself is mixed: levels from rows [0, k) and [k + 1, n)
        for k in range(_DEP_MIN, n - _DEP_MIN):
            a = float(cs[k - 1]) / k
            b = (tot - float(cs[k])) / (n - k - 1)
            t = -(b - a) / math.sqrt(1.0 / k + 1.0 / (n - k - 1))
            if t > top:
                top, at = t, k
        if at < 0 or top / sd < _DEP_SIGMA:
            continue
        k = at
        a, b = float(np.mean(z[:k])), float(np.mean(z[k + 1:]))
        drop = b - a
        if abs(drop + 1.0) > _DEP_TOL:
            continue
        d = h[k + 1:].mean(axis=0) - h[:k].mean(axis=0)
        whole = float(d @ (w * d))
        rest = d - drop * sh
        if not float(rest @ (w * rest)) <= (1.0 - _DEP_EXPLAINED) * whole:
            continue
        dp = float(np.mean(p[k + 1:]) - np.mean(p[:k]))
        se_p = sd_p * math.sqrt(1.0 / k + 1.0 / (n - k - 1))
        if not abs(dp + pw) <= max(0.5 * pw, 4.0 * se_p):
            continue
        f = min(max((float(z[k]) - b) / (a - b), 0.0), 1.0) if a != b else 0.5
        if best is None or top / sd > best[0]:
            best = (top / sd, j, k, 1.0 - f, dp, se_p)
    return None if best is None else best[1:]


def _scaled(run: dict, power: float) -> np.ndarray:
    """A run's current shape (its switch-on harmonics) scaled to ``power`` (W)."""
    p_on = run["p_on_ref"]
    return np.asarray(run["shape"], float) * (power / p_on if p_on > 0 else 1.0)


def _pair_fits(shape: np.ndarray, one: dict, two: dict, power: float) -> bool:
    """Whether the current that left (``shape``) is two runs' rather than one's grown to the whole step.

    A load whose power drifted while it ran draws more or less of its own shape; a second load
    switching off with it adds its own (a motor's lagging current beside a compressor's).
    """
    single = float(np.linalg.norm(shape - _scaled(one, power)))
    pair = float(np.linalg.norm(shape - _scaled(one, one["p_now"]) - _scaled(two, two["p_now"])))
    return pair < single


def _check_run(r: Any) -> dict:
    r = dict(r)
    for k in ("label", "on_sample", "off_sample", "on_power_w", "off_power_w", "shape", "p_on_ref", "p_ref",
              "p_now", "energy_j"):
        if k not in r:
            raise KeyError(k)
    r["label"] = str(r["label"])
    r["on_sample"] = int(r["on_sample"])
    r["off_sample"] = None if r["off_sample"] is None else int(r["off_sample"])
    r["on_power_w"] = float(r["on_power_w"])
    r["off_power_w"] = None if r["off_power_w"] is None else float(r["off_power_w"])
    for k in ("p_on_ref", "p_ref", "p_now", "energy_j"):
        r[k] = float(r[k])
        if not math.isfinite(r[k]):
            raise ValueError(f"run {k} is not finite")
    r["shape"] = [float(x) for x in r["shape"]]
    r["inferred_off"] = bool(r.get("inferred_off", False))
    r["p_sd"] = float(r.get("p_sd", 0.0))
    r["inferred_on"] = bool(r.get("inferred_on", False))
    if not (math.isfinite(r["p_sd"]) and r["p_sd"] >= 0):
        raise ValueError("run p_sd is not a finite number >= 0")
    for k in ("sd_on_w", "sd_off_w"):
        # standard errors of the two power measurements (W); None: not measured (older states)
        r[k] = _sd(r[k]) if r.get(k) is not None else None
    r["fresh"] = bool(r.get("fresh", False))
    r["calibrated"] = bool(r.get("calibrated", True))
    v = r.get("v_rms")
    r["v_rms"] = float(v) if v is not None and math.isfinite(float(v)) and float(v) > 0 else None
    for k, v in _FRESH_FIT.items():
        r[k] = type(v)(r.get(k, v))
        if not math.isfinite(r[k]):
            raise ValueError(f"run {k} is not finite")
    return r


def _stack(h: np.ndarray) -> np.ndarray:
    """Complex harmonics 1..H (last axis) as real ``[re_1..re_K, im_1..im_K]``, K = :data:`SHAPE_HARMONICS`."""
    h = np.asarray(h)[..., :SHAPE_HARMONICS]
    pad = SHAPE_HARMONICS - h.shape[-1]
    if pad > 0:
        h = np.concatenate([h, np.zeros(h.shape[:-1] + (pad,), complex)], axis=-1)
    h = np.nan_to_num(h)
    return np.concatenate([h.real, h.imag], axis=-1).astype(float)


def _harmonics(i_wave: np.ndarray, v_wave: np.ndarray) -> np.ndarray:
    """Harmonic phasors (A RMS, phase to the voltage fundamental) of an aligned cycle, stacked as :func:`_stack`.

    The same convention as ``CycleTable.harmonics``.
    """
    n = i_wave.shape[0]
    k = np.arange(1, SHAPE_HARMONICS + 1)
    spec = np.fft.rfft(i_wave)[1:SHAPE_HARMONICS + 1] * math.sqrt(2.0) / n
    phv = float(np.angle(np.fft.rfft(v_wave)[1]))
    return _stack(spec * np.exp(-1j * k[:spec.shape[0]] * phv))


def _participants(ref_h: np.ndarray, ref_p: float, shapes: list[np.ndarray], p_on: np.ndarray,
                  p_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current shapes (columns, stacked harmonics, A) and powers (W) of the running appliances and the background.

    An appliance's shape is its switch-on delta scaled to its power at the
    reference; the background is ``ref_h`` minus them, with the power
    ``ref_p - sum(p_ref)`` (never below 0).
    """
    scale = np.where(p_on > 0, p_ref / np.where(p_on > 0, p_on, 1.0), 1.0)
    cols = [sh * s for sh, s in zip(shapes, scale)]
    cols.append(ref_h - np.sum(cols, axis=0))
    return np.stack(cols, axis=1), np.append(p_ref, max(ref_p - float(np.sum(p_ref)), 0.0))


def _fit(a: np.ndarray, dh: np.ndarray) -> np.ndarray:
    """Coefficients ``c`` with ``a @ c ~ dh`` (ridge least squares on unit-norm columns).

    ``c[j] = -1``: participant ``j``'s whole current is gone; ``+0.1``: it draws 10 % more.
    The ridge (:data:`_RIDGE`, relative to unit columns, so a small appliance beside a large
    background is not shrunk) only steadies near-identical shapes.
    """
    norms = np.linalg.norm(a, axis=0)
    norms = np.where(norms > 0, norms, 1.0)
    u = a / norms
    g = u.T @ u
    c = np.linalg.solve(g + _RIDGE * np.eye(g.shape[0]), u.T @ dh)
    return np.asarray(c / norms)


def _fit_white(a: np.ndarray, dh: np.ndarray, cov: np.ndarray, dof: int) -> np.ndarray:
    """:func:`_fit` after whitening by the measured cycle-to-cycle scatter ``cov / dof`` of the harmonics.

    The scatter is shrunk towards its diagonal (weight ``d / (d + dof)`` for ``d`` dimensions:
    a few blocks cannot fill a full matrix) and floored at 1e-9 of its trace, so a direction
    with no measured scatter does not get an unbounded weight. Without history: :func:`_fit`.
    """
    d = a.shape[0]
    if dof < 2:
        return _fit(a, dh)
    w = cov / dof
    alpha = d / (d + dof)
    w = (1.0 - alpha) * w + alpha * np.diag(np.diag(w))
    tr = float(np.trace(w))
    if not tr > 0:
        return _fit(a, dh)
    w = w + 1e-9 * tr / d * np.eye(d)
    try:
        chol = np.linalg.cholesky(w)
    except np.linalg.LinAlgError:
        return _fit(a, dh)
    return _fit(np.linalg.solve(chol, a), np.linalg.solve(chol, dh))


#: largest |cosine| between two participants' current shapes for their drifts to be told apart
_DISTINCT_COS = 0.9
#: largest share (RMS) of a block's change of the harmonics left unexplained by scalings of the
#: shapes for the fit to be used
_EXPLAINED = 0.5


def _distinct(a: np.ndarray) -> bool:
    """Whether the participants' shapes (columns) are far enough from one another to split a change."""
    norms = np.linalg.norm(a, axis=0)
    keep = norms > 1e-3 * float(np.max(norms))        # nothing else on the circuit: no background
    if not np.any(keep):
        return False
    u = a[:, keep] / norms[keep]
    g = np.abs(u.T @ u)
    np.fill_diagonal(g, 0.0)
    return bool(np.max(g) <= _DISTINCT_COS)


def _attribute(c: np.ndarray, power: np.ndarray, dp: float) -> np.ndarray:
    """Power change (W) of each running appliance from the fitted coefficients.

    A participant whose current scales by ``1 + c`` changes its power by
    ``c`` times its power. The changes are made to add up to ``dp``, the
    measured change of the total (the remainder shared in proportion to
    their size), so the attributed energy is the energy measured.
    """
    d = c * power
    rest = dp - float(np.sum(d))
    w = np.abs(d)
    if float(np.sum(w)) > 0:
        d = d + rest * w / float(np.sum(w))
    else:
        d[-1] += rest
    return np.asarray(d[:-1])


def _fin(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
