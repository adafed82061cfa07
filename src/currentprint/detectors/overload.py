"""Overload: :class:`OverloadDetector`, a thermal (I²t) model of the circuit.

Current above the rating for longer than the model allows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _core
from .._state import check_array, check_float, check_int
from ..errors import InputError
from ._switch_on import _num
from .alerts import Alert
from .base import BaseDetector

if TYPE_CHECKING:
    from ..core.cycles import CycleTable

__all__ = ["OverloadDetector"]


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

    def check_state(self, state: dict[str, Any]) -> None:
        """Thermal state finite and >= 0, armed flag 0 or 1 (see :meth:`BaseDetector.check_state`)."""
        st = check_array(state["_state"], "overload state", shape=(2,))
        check_float(st[0], "overload thermal state", 0.0, 1e300)
        check_int(st[1], "overload armed flag", 0, 1)

    def trip_time(self, current_a: float) -> float:
        """Seconds from cold until the alert at a constant ``current_a`` (A); inf if never.

        Examples
        --------
        A 16 A circuit carrying 2.5 times its rating trips in under a minute;
        at its rating it never does.

        >>> det = OverloadDetector(rated_current_a=16.0)
        >>> round(det.trip_time(40.0), 1)
        18.9
        >>> det.trip_time(16.0)
        inf
        """
        x2 = (float(current_a) / self.rated_current_a) ** 2
        k2 = self.trip_ratio ** 2
        return self.tau_s * math.log(x2 / (x2 - k2)) if x2 > k2 else math.inf

    def update(self, cycles: CycleTable) -> list[Alert]:
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
