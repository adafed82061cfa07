"""Illegal heating loads: :class:`ResistiveLoadDetector` and its rules.

A heating appliance (kettle, immersion heater, hot plate) switched on: the
after-minus-before change is a pure resistance of some hundred watts or more.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ._background import NOISE_SIGMA

#: noise multiple added (in quadrature) to the harmonic-ratio limits: a ratio summed over
#: ~14 harmonics (28 degrees of freedom) stays below 1.5 times its noise RMS with
#: probability 0.999 (chi distribution)
RATIO_SIGMA = 1.5
from ._switch_on import _EventJudge, _event_source, _num, delta_features
from .alerts import Alert

__all__ = ["ResistiveLoadDetector", "judge_resistive", "resistive_pf_floor"]


def resistive_pf_floor(power_w: float) -> float:
    """Incremental power factor a heating load must reach at ``power_w`` (W).

    0.975 from 1 kW up (the floor used for "malignant load" identification
    in dormitory power limiters, e.g. the PF > 0.97–0.98 rules of Chinese
    campus load-identification work), relaxed linearly to 0.95 at 200 W
    where quantisation and background noise weigh more.
    """
    p = float(power_w)
    return 0.975 - 0.025 * min(1.0, max(0.0, (1000.0 - p) / 800.0))


def judge_resistive(f: dict, *, min_power_w: float, max_inrush: float = 1.15, mismatch_tol: float = 0.02,
                    max_shoulder: float = 0.03, pf_min: float | None = None, noise: float = 0.0,
                    noise_peak: float = 0.0) -> dict[str, dict]:
    """Apply the heating-load rules to :func:`delta_features` output.

    Returns ``{rule: {"value", "limit", "passed"}}`` for the rules
    ``power`` (normalised ΔP >= min), ``pf`` (incremental PF >= floor),
    ``proportional`` (harmonic mismatch with the voltage <= tolerance: a
    heater's current copies the voltage's distortion, a PFC supply's does
    not), ``odd_harmonics`` (odd THD of the delta <= voltage THD + tolerance),
    ``inrush`` (<= ``max_inrush``) and ``no_shoulder`` (flat time beyond a
    sine's <= ``max_shoulder`` of a cycle).

    ``noise`` is the noise of the delta's harmonic ratios (RMS over
    harmonics 2..15 of the mean difference's noise over its fundamental;
    the running background's,
    :class:`~currentprint.detectors._background.BackgroundDelta`),
    ``noise_peak`` the noise of one band-limited cycle's peak over the
    delta's peak. Ratios measured on a noisy difference carry that noise:
    the harmonic rules (``proportional``, ``odd_harmonics``) are widened by
    ``RATIO_SIGMA × noise`` in quadrature (noise adds to a ratio's RMS in
    quadrature), the PF floor lowered by half its square, the inrush limit
    raised by ``NOISE_SIGMA × noise_peak`` (one cycle's peak). With 0 (a quiet circuit) the rules are
    the plain ones.
    """
    p = f["power_w"]
    floor = resistive_pf_floor(p) if pf_min is None else pf_min
    wn = RATIO_SIGMA * float(noise) if math.isfinite(noise) else 0.0
    wp = NOISE_SIGMA * float(noise_peak) if math.isfinite(noise_peak) else 0.0
    # a resistor copies the whole voltage distortion; a PFC supply's sine
    # copies none of it (mismatch ~ v_thd): demand at least half copied,
    # with a floor of 0.01 for ADC noise and the cap mismatch_tol. Noise adds
    # to a ratio's RMS in quadrature (a heater reads ~noise, a PFC supply
    # ~sqrt(v_thd² + noise²)), so the limits do too
    tol0 = min(mismatch_tol, max(0.01, 0.5 * f["v_thd"]))
    tol = math.hypot(tol0, wn)
    odd_lim = f["v_thd"] + math.hypot(0.03, wn)
    # noise adds power to the delta's RMS but not to its ΔP: PF reads low by ~noise²/2
    floor = floor - 0.5 * wn * wn
    inrush_lim = max_inrush + wp
    rules = {
        "power": {"value": p, "limit": min_power_w, "passed": bool(p >= min_power_w)},
        "pf": {"value": f["pf"], "limit": floor, "passed": bool(f["pf"] >= floor)},
        "proportional": {"value": f["mismatch"], "limit": tol, "passed": bool(f["mismatch"] <= tol)},
        "odd_harmonics": {"value": f["odd_thd"], "limit": odd_lim, "passed": bool(f["odd_thd"] <= odd_lim)},
        "inrush": {"value": f["inrush"], "limit": inrush_lim,
                   "passed": bool(not (f["inrush"] > inrush_lim))},
        "no_shoulder": {"value": f["shoulder"], "limit": max_shoulder,
                        "passed": bool(f["shoulder"] <= max_shoulder)},
    }
    return rules




#: rules a change of the background's own level inside the switching cycle can fail (the shape of
#: the step); the power, inrush and shoulder rules are never judged on a corrected step
_SHAPE_RULES = frozenset({"pf", "proportional", "odd_harmonics"})
#: largest background level change (its power, W) taken out of a step, as a share of the step's
#: active power: a supply's load change is a small part of a heater's step (a laptop's 20 W under
#: a 300 W element); a larger one means the step is not one heater over a steady background
MAX_BACKGROUND_STEP = 0.1


def _without_background_step(pre, post):
    """``post`` without a change of the background's own level: ``(post', alpha)`` or ``(None, 0)``.

    A running load whose power steps in the same cycle as a switching draws ``1 + alpha`` times
    its own current (superposition, a scaling of its shape: Hart, Proc. IEEE 80(12), 1992). A
    heater's current copies the voltage, harmonic for harmonic (``I_k = I_1 V_k / V_1``); what
    of the step does not (``D_k - D_1 V_k / V_1`` over harmonics 2..15) is fitted (least squares)
    with the same part of the background's current before (``B_k - B_1 V_k / V_1``):
    ``alpha`` is that scale, kept to [-1, 1] (the background at most gone or doubled). The
    returned state has ``alpha`` times the background taken away (current, P and Q), so the
    heater rules judge the rest. A background whose current itself copies the voltage (a heater)
    has no other shape to take away: None.
    """
    i0 = np.asarray(pre.i_wave, float)
    di = np.asarray(post.i_wave, float) - i0
    v = np.asarray(post.v_wave, float)
    n = v.shape[0]
    h = max(2, min(15, n // 2 - 1))
    fv, fd, fb = np.fft.rfft(v)[:h + 1], np.fft.rfft(di)[:h + 1], np.fft.rfft(i0)[:h + 1]
    if not abs(fv[1]) > 0:
        return None, 0.0
    ratio = fv[2:] / fv[1]
    a = fd[2:] - fd[1] * ratio               # the step's part that does not copy the voltage
    b = fb[2:] - fb[1] * ratio               # the background's
    bb = float(np.sum(np.abs(b) ** 2))
    # a background that copies the voltage (within 1 % in harmonic ratios) has no other shape
    if not bb > (0.01 * abs(fb[1])) ** 2:
        return None, 0.0
    alpha = float(np.clip(np.real(np.sum(np.conj(b) * a)) / bb, -1.0, 1.0))
    if alpha == 0.0 or not math.isfinite(alpha):
        return None, 0.0
    i_wave = np.asarray(post.i_wave, float) - alpha * i0
    out = SimpleNamespace(i_wave=i_wave, v_wave=v, p=float(post.p) - alpha * float(pre.p),
                          q=float(post.q) - alpha * float(pre.q), v_rms=float(post.v_rms),
                          i_peak=float(np.max(np.abs(i_wave))))
    return out, alpha


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
        Largest switch-on peak over the new steady peak, both minus the
        background (default 1.15). A metal heating element's resistance
        rises by a few percent from cold to working temperature
        (nickel-chromium and iron-chromium-aluminium alloys: resistance
        factors ~1.02–1.08 at 600–1000 °C, e.g. Kanthal's alloy data), so
        its switch-on peak is at most ~1.1 times its steady one (the real
        Tabanelli moka pot: 1.07). Motors (5–10×), capacitor-input supplies
        (tens) and tungsten filaments (10–15×: halogen and quartz heaters,
        which are heaters but are *not* caught by this rule) are far above.
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

    Examples
    --------
    A 2 kW heater (230 V) switched on at 2 s while a 150 W motor, on since
    1 s, keeps running (synthetic signal). Only the heater alarms; its power
    is given at the 220 V nominal voltage (a resistance's power goes with
    U²):

    >>> import currentprint as cp
    >>> from currentprint import synth
    >>> s = synth.synth_signal(4.0, loads={"heater": synth.Resistive(2000.0), "fridge": synth.Motor(150.0)},
    ...                        schedule=[(1.0, "fridge", "on"), (2.0, "heater", "on")], seed=1)
    >>> alerts = cp.Monitor(fs=s.fs, detectors=[ResistiveLoadDetector()]).push(s.current, s.voltage)
    >>> [(a.kind, round(a.time, 1), round(a.detail["power_w"], -1)) for a in alerts]
    [('resistive_load', 2.0, 1830.0)]

    A permitted appliance of that power is whitelisted:

    >>> det = ResistiveLoadDetector(whitelist=[1800.0])
    >>> cp.Monitor(fs=s.fs, detectors=[det]).push(s.current, s.voltage)
    []
    """

    name = "resistive_load"

    def __init__(self, min_power_w: float = 200.0, whitelist: Sequence[float] = (), nominal_voltage: float = 220.0,
                 *, pf_min: float | None = None, max_inrush: float = 1.15, mismatch_tol: float = 0.02,
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

    def _rules(self, f: dict, noise: float, noise_peak: float) -> dict:
        """:func:`judge_resistive` of features ``f`` with this detector's limits."""
        return judge_resistive(f, min_power_w=self.min_power_w, max_inrush=self.max_inrush,
                               mismatch_tol=self.mismatch_tol, max_shoulder=self.max_shoulder, pf_min=self.pf_min,
                               noise=noise, noise_peak=noise_peak)

    def judge(self, pre, post, transient=None, *, calibrated: bool = True,
              background=None) -> tuple[bool, dict, dict]:
        """(alarm, features, rules) for one step between two steady states.

        ``background`` (a :class:`~currentprint.detectors._background.BackgroundDelta`
        or None) supplies the period-aware inrush and the background noise
        the limits are widened by. With a background, a step that fails only
        the shape rules is judged again without a change of the background's
        own level in the switching cycle (:func:`_without_background_step`,
        plain limits, at most :data:`MAX_BACKGROUND_STEP` of the step's
        power); the features then carry ``background_step`` (its scale) and
        ``background_step_w`` (its power change, W).
        """
        f = delta_features(pre, post, transient, nominal_voltage=self.nominal_voltage, calibrated=calibrated)
        noise = noise_peak = 0.0
        if background is not None:
            if math.isfinite(background.inrush):
                f["inrush"] = float(background.inrush)
            if math.isfinite(background.ratio_noise):
                noise = background.ratio_noise
            if background.delta_peak_a > 0 and math.isfinite(background.noise_peak_a):
                noise_peak = background.noise_peak_a / background.delta_peak_a
            f["noise"], f["noise_peak"] = noise, noise_peak
            f["background_period"] = background.period
        rules = self._rules(f, noise, noise_peak)
        ok = all(r["passed"] for r in rules.values())
        failed = {k for k, r in rules.items() if not r["passed"]}
        if failed and failed <= _SHAPE_RULES and background is not None:
            # the running background may have changed its own level in the switching cycle (a
            # laptop supply stepping from 60 to 37 W as the kettle comes on): judge the step
            # without that change (see _without_background_step)
            post2, alpha = _without_background_step(pre, post)
            if post2 is not None:
                f2 = delta_features(pre, post2, transient, nominal_voltage=self.nominal_voltage,
                                    calibrated=calibrated)
                for k in ("inrush", "noise", "noise_peak", "background_period"):
                    if k in f:
                        f2[k] = f[k]
                # the background's change is now modelled, not noise: the shape rules are the
                # plain ones (no widening by the background's noise)
                rules2 = self._rules(f2, 0.0, noise_peak)
                bg_step = abs(alpha) * abs(float(pre.p))
                if all(r["passed"] for r in rules2.values()) and bg_step <= MAX_BACKGROUND_STEP * f2["dp"]:
                    f2["background_step"], f2["background_step_w"] = alpha, alpha * float(pre.p)
                    f, rules, ok = f2, rules2, True
        if ok and len(self._whitelist):
            if np.any(np.abs(f["power_w"] - self._whitelist) <= self.whitelist_tolerance * self._whitelist):
                rules["whitelist"] = {"value": f["power_w"], "limit": self._whitelist.tolist(), "passed": False}
                ok = False
        return ok, f, rules

    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return ``"resistive_load"`` alerts for heating loads switched on."""
        calibrated = self._calibrated(cycles) if len(cycles) else True
        alerts = []
        for ev, pre, post, bg in self._events(cycles):
            if ev.kind == "off" or not (ev.delta_p > 0):
                continue
            ok, f, rules = self.judge(pre, post, ev.transient, calibrated=calibrated, background=bg)
            if not ok:
                continue
            unit = "W" if calibrated else "counts²"
            at = f" at {self.nominal_voltage:g} V" if calibrated else " (uncalibrated)"
            detail: dict[str, Any] = {"power_w": f["power_w"], "rules": rules, "features": f,
                                      "event_kind": ev.kind, "delta_q": f["dq"], "calibrated": calibrated,
                                      "power_unit": unit, "background": None if bg is None else bg.info()}
            expl = (f"resistive heating load switched on: {f['power_w']:.0f} {unit}{at}, "
                    f"incremental PF {f['pf']:.3f}, current copies the voltage (mismatch {f['mismatch']:.3f}), "
                    f"inrush {f['inrush']:.2f}x, no flat shoulders")
            alerts.append(Alert("resistive_load", ev.sample, time=ev.time, detail=detail, explanation=expl,
                                detector=self.name))
        return alerts

