"""Load detectors for fire prevention: illegal heaters, phase choppers, overload.

* :class:`ResistiveLoadDetector` — a heating appliance (kettle, immersion
  heater, hot plate) switched on: the after-minus-before change is a pure
  resistance of some hundred watts or more.
* :class:`PhaseChopperDetector` — a load behind a TRIAC phase chopper, the
  usual way of hiding a heater from a power limiter.
* :class:`OverloadDetector` — current above the rating for longer than a
  thermal (I²t) model of the circuit allows.

The first two judge switching events. They find them on their own with an
internal :class:`~currentprint.events.EventDetector`, so a Monitor holding
only one of them works; the judging itself (:func:`delta_features`,
:func:`judge_resistive`, :func:`judge_chopper`) only needs the steady states
before and after, whatever found them.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import _core
from .alerts import Alert
from .cycles import align_waves
from .detectors import BaseDetector
from .errors import InputError

__all__ = ["ResistiveLoadDetector", "PhaseChopperDetector", "OverloadDetector", "delta_features",
           "judge_resistive", "judge_chopper", "resistive_pf_floor"]


def _num(name: str, value, *, lo: float = 0.0, allow_equal: bool = True) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(x) or x < lo or (x == lo and not allow_equal):
        raise InputError(f"{name} must be a finite number {'>=' if allow_equal else '>'} {lo}, got {value!r}.")
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


def resistive_pf_floor(power_w: float) -> float:
    """Incremental power factor a heating load must reach at ``power_w`` (W).

    0.975 from 1 kW up (the floor used for "malignant load" identification
    in dormitory power limiters, e.g. the PF > 0.97–0.98 rules of Chinese
    campus load-identification work), relaxed linearly to 0.95 at 200 W
    where quantisation and background noise weigh more.
    """
    p = float(power_w)
    return 0.975 - 0.025 * min(1.0, max(0.0, (1000.0 - p) / 800.0))


def judge_resistive(f: dict, *, min_power_w: float, max_inrush: float = 1.07, mismatch_tol: float = 0.02,
                    max_shoulder: float = 0.03, pf_min: float | None = None) -> dict[str, dict]:
    """Apply the heating-load rules to :func:`delta_features` output.

    Returns ``{rule: {"value", "limit", "passed"}}`` for the rules
    ``power`` (normalised ΔP >= min), ``pf`` (incremental PF >= floor),
    ``proportional`` (harmonic mismatch with the voltage <= tolerance: a
    heater's current copies the voltage's distortion, a PFC supply's does
    not), ``odd_harmonics`` (odd THD of the delta <= voltage THD + tolerance),
    ``inrush`` (<= ``max_inrush``) and ``no_shoulder`` (flat time beyond a
    sine's <= ``max_shoulder`` of a cycle).
    """
    p = f["power_w"]
    floor = resistive_pf_floor(p) if pf_min is None else pf_min
    # a resistor copies the whole voltage distortion; a PFC supply's sine
    # copies none of it (mismatch ~ v_thd): demand at least half copied,
    # with a floor of 0.01 for ADC noise and the cap mismatch_tol
    tol = min(mismatch_tol, max(0.01, 0.5 * f["v_thd"]))
    rules = {
        "power": {"value": p, "limit": min_power_w, "passed": bool(p >= min_power_w)},
        "pf": {"value": f["pf"], "limit": floor, "passed": bool(f["pf"] >= floor)},
        "proportional": {"value": f["mismatch"], "limit": tol, "passed": bool(f["mismatch"] <= tol)},
        "odd_harmonics": {"value": f["odd_thd"], "limit": f["v_thd"] + 0.03,
                          "passed": bool(f["odd_thd"] <= f["v_thd"] + 0.03)},
        "inrush": {"value": f["inrush"], "limit": max_inrush,
                   "passed": bool(not (f["inrush"] > max_inrush))},
        "no_shoulder": {"value": f["shoulder"], "limit": max_shoulder,
                        "passed": bool(f["shoulder"] <= max_shoulder)},
    }
    return rules


def judge_chopper(f: dict, *, min_power_w: float, min_shoulder: float = 0.03, min_jump: float = 0.25,
                  min_q_ratio: float = 0.04) -> dict[str, dict]:
    """Apply the phase-chopper rules to :func:`delta_features` output.

    A resistive load behind a leading-edge TRIAC draws nothing from each
    voltage zero to the firing angle (a long flat shoulder), then jumps to
    ``sin(alpha)`` of its full peak (at least 0.5 for 30°–150°), and its
    fundamental lags the voltage: Q1 = (U²/R)(1 - cos 2 alpha) / (2 pi) > 0.
    The power rule applies to the load's full-conduction power
    ``full_power_w`` (a 1 kW heater chopped at 150° draws only ~30 W).
    """
    ratio = f["dq"] / abs(f["dp"]) if f["dp"] != 0 else math.inf
    # judge the heater, not what the chopper lets through: its power at full
    # conduction (from the conductance while it conducts)
    p = f["full_power_w"]
    return {
        "power": {"value": p, "limit": min_power_w, "passed": bool(p >= min_power_w)},
        "shoulder": {"value": f["shoulder"], "limit": min_shoulder, "passed": bool(f["shoulder"] >= min_shoulder)},
        "jump": {"value": f["jump"], "limit": min_jump, "passed": bool(f["jump"] >= min_jump)},
        "reactive": {"value": ratio, "limit": min_q_ratio, "passed": bool(f["dq"] > 0 and ratio >= min_q_ratio)},
    }


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


_KEEP = 24   # cycles kept from earlier chunks: covers an event's post window


class _EventJudge(BaseDetector):
    """Shared plumbing: an internal event detector, recent cycles, the calibrated flag."""

    needs_waveforms = True

    def _calibrated(self, cycles) -> bool:
        if self.calibrated is not None:
            return bool(self.calibrated)
        return bool(getattr(cycles, "calibrated", True))

    def _events(self, cycles) -> list:
        """Events confirmed by these cycles, as (event, pre, post) with a clean post state.

        The post state is re-averaged over the event's post window without
        the cycle holding the onset (a partly switched cycle would make a
        heater's delta look distorted).
        """
        if len(cycles) == 0:
            return []
        if not cycles.has_waveforms:
            raise InputError(f"{type(self).__name__} needs the resampled cycles: analyse with waveforms=True "
                             "(a Monitor does this by itself).")
        if not cycles.has_voltage:
            raise InputError(f"{type(self).__name__} needs the voltage channel (power and PF of the load).")
        cols = ("p", "q", "v_rms", "i_peak", "start", "period")
        n_tail = len(self._hist["p"]) if self._hist else 0
        hist = {k: np.concatenate([self._hist[k], getattr(cycles, k)]) if n_tail else getattr(cycles, k)
                for k in cols}
        raw_i, raw_v = cycles.raw_waves
        if n_tail:
            raw_i = np.concatenate([self._hist["raw_i"], raw_i])
            raw_v = np.concatenate([self._hist["raw_v"], raw_v])
        first = self._seen - n_tail                                   # absolute index of hist row 0
        found = self.event_source.push(cycles)
        self.event_source.events.clear()     # the judges keep what they need; no growth
        self._seen += len(cycles)

        def waves(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
            # aligned waves of hist rows a..b-1 (aligning costs an FFT per
            # cycle, so only the rows an event needs are aligned)
            st, per = hist["start"][a:b], hist["period"][a:b]
            return align_waves(raw_i[a:b], st, per), align_waves(raw_v[a:b], st, per)

        out = []
        for ev in found:
            a, b = max(ev.post.cycles[0], ev.cycle + 1) - first, ev.post.cycles[1] + 1 - first
            post = ev.post
            if 0 <= a < b <= len(hist["p"]):
                wi, wv = waves(a, b)
                post = _Steady({**{k: x[a:b] for k, x in hist.items()}, "i_wave": wi, "v_wave": wv})
            out.append((ev, ev.pre, post))
        self._hist = {**{k: x[-_KEEP:].copy() for k, x in hist.items()},
                      "raw_i": raw_i[-_KEEP:].copy(), "raw_v": raw_v[-_KEEP:].copy()}
        return out


# ---------------------------------------------------------------------------
# illegal heating loads
# ---------------------------------------------------------------------------
class ResistiveLoadDetector(_EventJudge):
    """Heating appliances switched on (kettles, immersion heaters, hot plates).

    On each switch-on (or upward change) the after-minus-before delta is
    judged by :func:`judge_resistive`; every rule must pass. Power is
    normalised to ``nominal_voltage`` as ``P (U_nom / U)^2`` (what the
    appliance would draw at nominal voltage: a resistance's power goes with
    U²).

    Parameters
    ----------
    min_power_w : float
        Smallest normalised power step (W) reported.
    whitelist : sequence of float
        Permitted appliance powers (W, normalised); a step within
        ``whitelist_tolerance`` of one is not reported.
    nominal_voltage : float
        Normalisation voltage, V.
    pf_min : float or None
        Incremental PF floor; None: :func:`resistive_pf_floor` (0.975 from
        1 kW, 0.95 at 200 W).
    max_inrush : float
        Largest switch-on peak over the new steady peak (heating elements
        ~1.0–1.05; tungsten lamps and motors far more).
    mismatch_tol : float
        Cap of the tolerated RMS difference of the delta current's harmonic
        ratios from the voltage's (a resistor's are equal); the limit used
        is ``min(mismatch_tol, max(0.01, v_thd / 2))``: at least half the
        voltage's distortion must be copied.
    max_shoulder : float
        Largest flat time around the current zeros beyond a sine's, as a
        fraction of the cycle (a chopped or rectified load has more).
    whitelist_tolerance : float
        Relative match of a whitelist entry (default 0.10).
    calibrated : bool or None
        Whether the table is in A/V; None: the table's ``calibrated``
        attribute, else True. Without calibration there is no voltage
        normalisation and ``min_power_w`` is in count² units.
    """

    name = "resistive_load"

    def __init__(self, min_power_w: float = 200.0, whitelist: Sequence[float] = (), nominal_voltage: float = 220.0,
                 *, pf_min: float | None = None, max_inrush: float = 1.07, mismatch_tol: float = 0.02,
                 max_shoulder: float = 0.03, whitelist_tolerance: float = 0.10,
                 calibrated: bool | None = None) -> None:
        self.min_power_w = min_power_w
        self.whitelist = whitelist
        self.nominal_voltage = nominal_voltage
        self.pf_min = pf_min
        self.max_inrush = max_inrush
        self.mismatch_tol = mismatch_tol
        self.max_shoulder = max_shoulder
        self.whitelist_tolerance = whitelist_tolerance
        self.calibrated = calibrated
        _num("min_power_w", min_power_w)
        _num("nominal_voltage", nominal_voltage, allow_equal=False)
        _num("max_inrush", max_inrush, lo=1.0)
        _num("mismatch_tol", mismatch_tol)
        _num("max_shoulder", max_shoulder)
        _num("whitelist_tolerance", whitelist_tolerance)
        if pf_min is not None:
            _num("pf_min", pf_min)
        try:
            self._whitelist = np.array([float(w) for w in whitelist], dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"whitelist must be a sequence of powers in W, got {whitelist!r}.") from None
        self.event_source = _event_source(min_power_w)
        self._hist: dict[str, np.ndarray] = {}
        self._seen = 0

    def judge(self, pre, post, transient=None, *, calibrated: bool = True) -> tuple[bool, dict, dict]:
        """(alarm, features, rules) for one step between two steady states."""
        f = delta_features(pre, post, transient, nominal_voltage=self.nominal_voltage, calibrated=calibrated)
        rules = judge_resistive(f, min_power_w=self.min_power_w, max_inrush=self.max_inrush,
                                mismatch_tol=self.mismatch_tol, max_shoulder=self.max_shoulder, pf_min=self.pf_min)
        ok = all(r["passed"] for r in rules.values())
        if ok and len(self._whitelist):
            if np.any(np.abs(f["power_w"] - self._whitelist) <= self.whitelist_tolerance * self._whitelist):
                rules["whitelist"] = {"value": f["power_w"], "limit": self._whitelist.tolist(), "passed": False}
                ok = False
        return ok, f, rules

    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return ``"resistive_load"`` alerts for heating loads switched on."""
        calibrated = self._calibrated(cycles) if len(cycles) else True
        alerts = []
        for ev, pre, post in self._events(cycles):
            if ev.kind == "off" or not (ev.delta_p > 0):
                continue
            ok, f, rules = self.judge(pre, post, ev.transient, calibrated=calibrated)
            if not ok:
                continue
            unit = "W" if calibrated else "units"
            detail: dict[str, Any] = {"power_w": f["power_w"], "rules": rules, "features": f,
                                      "event_kind": ev.kind, "delta_q": f["dq"], "calibrated": calibrated}
            expl = (f"resistive heating load switched on: {f['power_w']:.0f} {unit} at {self.nominal_voltage:g} V, "
                    f"incremental PF {f['pf']:.3f}, current copies the voltage (mismatch {f['mismatch']:.3f}), "
                    f"inrush {f['inrush']:.2f}x, no flat shoulders")
            alerts.append(Alert("resistive_load", ev.sample, time=ev.time, detail=detail, explanation=expl,
                                detector=self.name))
        return alerts


# ---------------------------------------------------------------------------
# phase choppers
# ---------------------------------------------------------------------------
class PhaseChopperDetector(_EventJudge):
    """A load behind a TRIAC phase chopper (a heater hidden from a power limiter).

    Two patterns raise an alert of kind ``"phase_chopper"``:

    * ``"chopped"`` — a switch-on whose delta current has a long flat
      shoulder after the voltage zero, an abrupt jump towards its peak and
      a clearly positive ΔQ (:func:`judge_chopper`);
    * ``"creeping"`` — ``creep_steps`` or more upward steps, each with
      ΔP > 0 and ΔQ > 0, within ``creep_window_s`` (the knob being turned
      up little by little) adding up to ``min_power_w``.

    Parameters
    ----------
    min_power_w : float
        Smallest normalised power step (W) judged.
    nominal_voltage : float
        Normalisation voltage, V.
    min_shoulder : float
        Flat time beyond a sine's, as a fraction of the cycle (0.03 ≈ 11°).
    min_jump : float
        Smallest single-sample jump of the delta current over its peak.
    min_q_ratio : float
        Smallest ΔQ / |ΔP|.
    creep_steps : int
        Upward steps that make a creeping pattern.
    creep_window_s : float
        Window of the creeping pattern, s.
    calibrated : bool or None
        As for :class:`ResistiveLoadDetector`.
    """

    name = "phase_chopper"

    def __init__(self, min_power_w: float = 200.0, nominal_voltage: float = 220.0, *, min_shoulder: float = 0.03,
                 min_jump: float = 0.25, min_q_ratio: float = 0.04, creep_steps: int = 3,
                 creep_window_s: float = 20.0, calibrated: bool | None = None) -> None:
        self.min_power_w = min_power_w
        self.nominal_voltage = nominal_voltage
        self.min_shoulder = min_shoulder
        self.min_jump = min_jump
        self.min_q_ratio = min_q_ratio
        self.creep_steps = creep_steps
        self.creep_window_s = creep_window_s
        self.calibrated = calibrated
        _num("min_power_w", min_power_w)
        _num("nominal_voltage", nominal_voltage, allow_equal=False)
        _num("min_shoulder", min_shoulder)
        _num("min_jump", min_jump)
        _num("min_q_ratio", min_q_ratio)
        _num("creep_window_s", creep_window_s, allow_equal=False)
        if not (isinstance(creep_steps, (int, np.integer)) and creep_steps >= 2):
            raise InputError(f"creep_steps must be an integer >= 2, got {creep_steps!r}.")
        self.event_source = _event_source(min_power_w)
        self._hist: dict[str, np.ndarray] = {}
        self._seen = 0
        self._steps: list[list[float]] = []     # recent upward steps: [sample, dp_norm, dq]

    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return ``"phase_chopper"`` alerts."""
        calibrated = self._calibrated(cycles) if len(cycles) else True
        alerts = []
        fs = cycles.fs
        for ev, pre, post in self._events(cycles):
            if not (ev.delta_p > 0):
                self._steps = []
                continue
            f = delta_features(pre, post, ev.transient, nominal_voltage=self.nominal_voltage,
                               calibrated=calibrated)
            rules = judge_chopper(f, min_power_w=self.min_power_w, min_shoulder=self.min_shoulder,
                                  min_jump=self.min_jump, min_q_ratio=self.min_q_ratio)
            unit = "W" if calibrated else "units"
            if all(r["passed"] for r in rules.values()):
                detail = {"pattern": "chopped", "power_w": f["power_w"], "full_power_w": f["full_power_w"],
                          "firing_angle_deg": f["firing_angle_deg"], "rules": rules, "features": f}
                expl = (f"load behind a phase chopper switched on: {f['power_w']:.0f} {unit} drawn "
                        f"({f['full_power_w']:.0f} {unit} at full conduction, firing about "
                        f"{f['firing_angle_deg']:.0f} deg), current flat for "
                        f"{f['shoulder'] * 100:.0f} % of the cycle after the voltage zero then jumping to "
                        f"{f['jump']:.2f} of its peak, dQ/dP {rules['reactive']['value']:.2f}")
                alerts.append(Alert("phase_chopper", ev.sample, time=ev.time, detail=detail, explanation=expl,
                                    detector=self.name))
                self._steps = []
                continue
            # creeping: small upward steps with positive dQ
            if f["dq"] > 0 and f["dp"] > 0:
                self._steps.append([float(ev.sample), float(f["power_w"]), float(f["dq"])])
                self._steps = [s for s in self._steps if s[0] >= ev.sample - self.creep_window_s * fs]
                total = sum(s[1] for s in self._steps)
                if len(self._steps) >= self.creep_steps and total >= self.min_power_w:
                    detail = {"pattern": "creeping", "power_w": total, "steps": [list(s) for s in self._steps],
                              "rules": {"steps": {"value": len(self._steps), "limit": self.creep_steps,
                                                  "passed": True},
                                        "power": {"value": total, "limit": self.min_power_w, "passed": True}}}
                    expl = (f"power creeping up in {len(self._steps)} steps with rising reactive power within "
                            f"{self.creep_window_s:g} s (total {total:.0f} {unit}): a phase chopper being turned up")
                    alerts.append(Alert("phase_chopper", ev.sample, time=ev.time, detail=detail, explanation=expl,
                                        detector=self.name))
                    self._steps = []
            else:
                self._steps = []
        return alerts


# ---------------------------------------------------------------------------
# overload
# ---------------------------------------------------------------------------
class OverloadDetector(BaseDetector):
    """Current above the rating for longer than a thermal (I²t) model allows.

    A first-order thermal model of the protected circuit,
    ``d theta / dt = ((I / I_r)^2 - theta) / tau``, whose steady state is
    ``(I / I_r)^2``; the alert fires when ``theta`` reaches ``trip_ratio²``.
    From cold, a constant current ``x = I / I_r`` trips after
    ``t = tau ln(x² / (x² - trip_ratio²))``. With the defaults
    (``tau`` = 60 s, ``trip_ratio`` = 1.3): never at 1.13 I_r (IEC 60898-1
    conventional non-tripping current), 98 s at 1.45 I_r (conventional
    tripping current: within 1 h), 18 s at 2.55 I_r (IEC 60898-1: 1–60 s
    for I_r <= 32 A), 4.2 s at 5 I_r.

    Parameters
    ----------
    rated_current_a : float
        Rated current of the circuit, A RMS.
    tau_s : float
        Thermal time constant, s.
    trip_ratio : float
        Current ratio that trips eventually (> 1).
    rearm_ratio : float
        The detector re-arms when ``theta`` falls below ``rearm_ratio²``.
    """

    name = "overload"

    def __init__(self, rated_current_a: float = 16.0, *, tau_s: float = 60.0, trip_ratio: float = 1.3,
                 rearm_ratio: float = 1.0) -> None:
        self.rated_current_a = rated_current_a
        self.tau_s = tau_s
        self.trip_ratio = trip_ratio
        self.rearm_ratio = rearm_ratio
        _num("rated_current_a", rated_current_a, allow_equal=False)
        _num("tau_s", tau_s, allow_equal=False)
        _num("trip_ratio", trip_ratio, lo=1.0, allow_equal=False)
        _num("rearm_ratio", rearm_ratio, allow_equal=False)
        if rearm_ratio >= trip_ratio:
            raise InputError("rearm_ratio must be below trip_ratio.")
        self._state = np.array([0.0, 1.0])

    def trip_time(self, current_a: float) -> float:
        """Seconds from cold until the alert at a constant ``current_a`` (A); inf if never."""
        x2 = (float(current_a) / self.rated_current_a) ** 2
        k2 = self.trip_ratio ** 2
        return self.tau_s * math.log(x2 / (x2 - k2)) if x2 > k2 else math.inf

    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return an ``"overload"`` alert at each trip.

        Raw ADC counts without a calibration (``cycles.calibrated`` False)
        carry no amperes to compare with the rating: nothing is judged.
        """
        n = len(cycles)
        if n == 0 or not getattr(cycles, "calibrated", True):
            return []
        i_rms = np.ascontiguousarray(cycles.i_rms, dtype=float)
        dt = np.ascontiguousarray(cycles.period / cycles.fs)
        fired = np.zeros(n, dtype=np.int8)
        theta = np.empty(n)
        err = _core.thermal_scan(i_rms, dt, self._state, float(self.rated_current_a), float(self.tau_s),
                                 self.trip_ratio ** 2, self.rearm_ratio ** 2, fired, theta)
        if err:
            raise RuntimeError("internal error in thermal_scan: length mismatch")
        alerts = []
        for k in np.flatnonzero(fired):
            x = i_rms[k] / self.rated_current_a
            sample = int(math.floor(cycles.start[k] + cycles.period[k] + 0.5))
            detail = {"i_rms": float(i_rms[k]), "rated_current_a": float(self.rated_current_a),
                      "ratio": float(x), "thermal_state": float(theta[k]), "tau_s": float(self.tau_s),
                      "trip_ratio": float(self.trip_ratio),
                      "trip_time_s_at_this_current": self.trip_time(i_rms[k])}
            expl = (f"overload: {i_rms[k]:.3g} A is {x:.2f}x the rated {self.rated_current_a:g} A and the "
                    f"thermal model (tau {self.tau_s:g} s) reached its trip level {self.trip_ratio:g}^2")
            alerts.append(Alert("overload", sample, time=sample / cycles.fs, detail=detail, explanation=expl,
                                detector=self.name))
        return alerts
