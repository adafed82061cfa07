"""Phase choppers: :class:`PhaseChopperDetector` and its rules.

A load behind a TRIAC phase chopper, the usual way of hiding a heater from a
power limiter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.cycles import CycleTable
from ..errors import InputError
from ._switch_on import _EventJudge, _event_source, _num, delta_features
from .alerts import Alert

__all__ = ["PhaseChopperDetector", "judge_chopper"]


def judge_chopper(f: dict[str, Any], *, min_power_w: float, min_shoulder: float = 0.03, min_jump: float = 0.25,
                  min_q_ratio: float = 0.04) -> dict[str, dict[str, Any]]:
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
        Smallest ``ΔQ / |ΔP|``.
    creep_steps : int
        Upward steps that make a creeping pattern.
    creep_window_s : float
        Window of the creeping pattern, s.
    calibrated : bool or None
        As for :class:`ResistiveLoadDetector`.

    Examples
    --------
    A 1.5 kW heater behind a dimmer firing at 90° switched on after 2 s
    (synthetic signal):

    >>> import currentprint as cp
    >>> from currentprint import synth
    >>> s = synth.synth_signal(4.0, loads={"heater": synth.PhaseCut(1500.0, 90.0)},
    ...                        schedule=[(2.0, "heater", "on")], seed=1)
    >>> alerts = cp.Monitor(fs=s.fs, detectors=[PhaseChopperDetector()]).push(s.current, s.voltage)
    >>> [(a.kind, a.detail["pattern"], round(a.time, 1)) for a in alerts]
    [('phase_chopper', 'chopped', 2.0)]
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

    def update(self, cycles: CycleTable) -> list[Alert]:
        """Read the next cycles; return ``"phase_chopper"`` alerts."""
        calibrated = self._calibrated(cycles) if len(cycles) else True
        alerts = []
        fs = cycles.fs
        for ev, pre, post, _bg in self._events(cycles):
            if not (ev.delta_p > 0):
                self._steps = []
                continue
            f = delta_features(pre, post, ev.transient, nominal_voltage=self.nominal_voltage,
                               calibrated=calibrated)
            rules = judge_chopper(f, min_power_w=self.min_power_w, min_shoulder=self.min_shoulder,
                                  min_jump=self.min_jump, min_q_ratio=self.min_q_ratio)
            unit = "W" if calibrated else "counts²"
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
