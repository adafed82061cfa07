"""Explainable load-type classification of a fingerprint.

:func:`classify_load` applies a short, ordered list of physical rules to a
:class:`~currentprint.fingerprints.Fingerprint` and returns the kind of load
with the rule that decided it and the numbers it looked at. No training,
no black box: each threshold below is a property of the load physics.

Rules, in order (the first that holds decides):

1. **unknown** — no current, or no voltage reference (every rule needs the
   phase of the current relative to the voltage).
2. **half_wave** — one polarity carries at least 80 % of the current's
   energy (|polarity asymmetry| = |E+ − E−| / (E+ + E−) >= 0.6) and the
   current is off (|i| <= 5 % of peak) for at least 30 % of the cycle: a
   diode in series (half-wave rectified resistance, DC/RMS = 2/π, I2/I1 =
   4/(3π) from the Fourier series of the half-wave rectified sine), or a
   single-diode capacitor-input charger (one narrow pulse per cycle). A
   full-wave load is half-wave symmetric (i(t + T/2) = −i(t)), so it has
   neither DC nor even harmonics (IEEE Std 519 and IEC 61000-3-2 treat even
   harmonics as the mark of half-wave asymmetry); the energy balance is used
   rather than DC/RMS because DC/RMS of a narrow one-sided pulse of duty d
   is only sqrt(d), and because a current-channel ADC offset on a small,
   quantised load shifts DC but not the energy balance much.
3. **phase_cut** — the current is off (|i| <= 5 % of peak) for at least
   8 % of the cycle, jumps by at least 30 % of its peak between two points
   of the 64-point cycle, and conduction is anchored on a voltage zero:
   it starts late (>= 15°) and runs to the next zero (>= 165°) for a
   leading-edge (TRIAC) dimmer, or starts at the zero (<= 15°) and is cut
   before the next (<= 165°) for a trailing-edge dimmer. A capacitor-input
   rectifier also has off-periods but conducts only around the voltage
   peak, away from both zeros.
4. **resistive** — sqrt(1 − PF²) <= 0.05 (PF >= 0.99875). A linear
   resistance draws i = v / R, a scaled copy of the voltage whatever the
   voltage distortion, so its PF is 1 (IEEE Std 1459-2010, PF = P / S);
   sqrt(1 − PF²) is the RMS fraction of current *not* explained by the
   voltage. 0.05 tolerates a current-sensor phase error of about 2.9°.
5. **rectifier** — THD >= 0.25 (fundamental-referenced), not half-wave
   (rule 2 came first): the pulse current of a capacitor-input (diode-bridge)
   rectifier, rich in odd harmonics 3, 5, 7... (IEC 61000-3-2 class D
   loads; typical current THD 60–150 %, above 25 % even for small or
   lightly filtered supplies).
6. **inductive** — lagging (Q > 0) with DPF <= 0.95 (current lag >= 18°)
   and THD < 0.25: motors, compressors, transformers (IEEE 1459
   displacement power factor).
7. **unknown** — anything else (e.g. active-PFC supplies, inverter drives,
   leading/capacitive loads), with the numbers that were checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .fingerprint import Fingerprint

__all__ = ["LoadClass", "classify_load", "KINDS", "THRESHOLDS"]

KINDS = ("resistive", "inductive", "rectifier", "phase_cut", "half_wave", "unknown")

#: every threshold used by :func:`classify_load` (see the module docstring for the physics)
THRESHOLDS: dict[str, float] = {
    "half_wave_polarity": 0.6, "half_wave_flat": 0.30,
    "phase_cut_flat": 0.08, "phase_cut_step": 0.30, "phase_cut_zero_deg": 15.0,
    "resistive_unexplained": 0.05,
    "rectifier_thd": 0.25,
    "inductive_dpf": 0.95,
}


@dataclass(frozen=True)
class LoadClass:
    """Answer of :func:`classify_load`.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    rule : str
        The human-readable rule that decided, with the measured values.
    evidence : dict[str, float]
        The fingerprint values the rules looked at.
    """

    kind: str
    rule: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind}: {self.rule}"


def classify_load(fp: Fingerprint) -> LoadClass:
    """Classify a fingerprint as resistive, inductive, rectifier, phase_cut, half_wave or unknown.

    Parameters
    ----------
    fp : Fingerprint
        From :func:`currentprint.fingerprint` (an event's delta or a steady
        window); needs the voltage channel.

    Returns
    -------
    LoadClass
        ``kind``, the ``rule`` that decided (readable sentence with the
        numbers) and the ``evidence`` dict.

    Examples
    --------
    >>> import numpy as np, currentprint as cp
    >>> t = np.arange(640) / 6400
    >>> v = 325 * np.sin(2 * np.pi * 50 * t)
    >>> cp.classify_load(cp.fingerprint(v / 50, v, fs=6400)).kind
    'resistive'
    """
    if not isinstance(fp, Fingerprint):
        raise InputError(f"classify_load needs a Fingerprint (cp.fingerprint(...)), got {type(fp).__name__}.")
    t = THRESHOLDS
    f = fp.features
    ev = {k: f[k] for k in ("i_rms", "pf", "dpf", "q", "thd", "crest", "dc_ratio", "h2_mag", "h3_mag",
                            "flat_fraction", "max_step", "conduction_start_deg", "conduction_end_deg",
                            "polarity_asymmetry")}
    if not f["i_rms"] > 0:
        return LoadClass("unknown", "no current (i_rms = 0): nothing to classify", ev)
    if not math.isfinite(f["pf"]) or not math.isfinite(f["dpf"]):
        return LoadClass("unknown", "no voltage reference: the rules need the current's phase relative to the "
                                    "voltage; give the voltage channel", ev)
    dc, h2 = abs(f["dc_ratio"]), f["h2_mag"]
    flat, step = f["flat_fraction"], f["max_step"]
    pol = f["polarity_asymmetry"]
    if abs(pol) >= t["half_wave_polarity"] and flat >= t["half_wave_flat"]:
        side = "positive" if pol > 0 else "negative"
        return LoadClass("half_wave", f"the {side} half carries {100 * (1 + abs(pol)) / 2:.0f} % of the current's "
                                      f"energy (|asymmetry| = {abs(pol):.2f} >= {t['half_wave_polarity']}) and the "
                                      f"current is off {100 * flat:.0f} % of the cycle (>= "
                                      f"{100 * t['half_wave_flat']:.0f} %): only one half-cycle conducts "
                                      f"(diode in series; |DC|/RMS = {dc:.2f}, I2/I1 = {h2:.2f})", ev)
    a0, a1 = f["conduction_start_deg"], f["conduction_end_deg"]
    z = t["phase_cut_zero_deg"]
    if flat >= t["phase_cut_flat"] and step >= t["phase_cut_step"]:
        leading = a0 >= z and a1 >= 180.0 - z
        trailing = a0 <= z and a1 <= 180.0 - z
        if leading or trailing:
            edge = "leading-edge: off after each voltage zero until firing at" if leading else \
                   "trailing-edge: on from each voltage zero until cut at"
            where = a0 if leading else a1
            return LoadClass("phase_cut", f"off {100 * flat:.0f} % of the cycle "
                                          f"(>= {100 * t['phase_cut_flat']:.0f} %), "
                                          f"abrupt jump of {step:.2f} x peak (>= {t['phase_cut_step']}), {edge} "
                                          f"{where:.0f} deg", ev)
    unexplained = math.sqrt(max(0.0, 1.0 - min(1.0, f["pf"]) ** 2))
    ev["unexplained"] = unexplained
    if unexplained <= t["resistive_unexplained"]:
        return LoadClass("resistive", f"PF = {f['pf']:.5f}: the current is a scaled copy of the voltage "
                                      f"(unexplained fraction sqrt(1-PF^2) = {unexplained:.3f} <= "
                                      f"{t['resistive_unexplained']})", ev)
    thd = f["thd"]
    if thd >= t["rectifier_thd"]:
        return LoadClass("rectifier", f"THD = {100 * thd:.0f} % >= {100 * t['rectifier_thd']:.0f} % (I3/I1 = "
                                      f"{f['h3_mag']:.2f}, crest = {f['crest']:.2f}): pulse current of a diode-bridge "
                                      "rectifier", ev)
    if f["q"] > 0 and f["dpf"] <= t["inductive_dpf"]:
        lag = math.degrees(math.acos(max(-1.0, min(1.0, f["dpf"]))))
        return LoadClass("inductive", f"current lags the voltage by {lag:.0f} deg (DPF = {f['dpf']:.2f} <= "
                                      f"{t['inductive_dpf']}, Q > 0) with THD = {100 * thd:.0f} % < "
                                      f"{100 * t['rectifier_thd']:.0f} %: motor/compressor/transformer", ev)
    return LoadClass("unknown", f"no rule holds: PF = {f['pf']:.3f}, DPF = {f['dpf']:.3f} "
                                f"({'lagging' if f['q'] > 0 else 'leading'}), THD = {100 * thd:.0f} %, "
                                f"crest = {f['crest']:.2f}", ev)
