"""Plain NumPy/Python references of the fire-detector scans in ``_arc.pxi``.

Slow and obvious on purpose: the tests check that the compiled
:func:`currentprint._core.arc_scan` and :func:`currentprint._core.thermal_scan`
give exactly these results.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _core

_B = _core.ARC_BITS
_RING = 16
# state layout (mirrors _arc.pxi)
_SH1, _SH2, _PK1, _PK2, _PREV_PK, _RING_POS, _RING_N, _RUN, _HF_BASE, _PEND, _RING0 = 0, 2, 4, 6, 8, 9, 10, 11, 12, 13, 16


def arc_scan_reference(shoulder, step, peak, hf, state: np.ndarray, par: np.ndarray) -> np.ndarray:
    """Reference of ``_core.arc_scan``: returns the codes, updates ``state`` in place."""
    n = len(shoulder)
    code = np.zeros(n, dtype=np.int32)
    sh_min, reg_tol, step_min, step_ratio, min_peak, skip_frac, hf_ratio, run_max, min_step_a = par
    for h in range(n):
        q = h % 2
        sh, st, pk, r = float(shoulder[h]), float(step[h]), float(peak[h]), float(hf[h])
        sh1, sh2 = state[_SH1 + q], state[_SH2 + q]
        pk1, pk2 = state[_PK1 + q], state[_PK2 + q]
        pkref = pk1 if (pk1 > pk2 or math.isnan(pk2)) else pk2
        rn = int(state[_RING_N])
        med = float(np.median(state[_RING0:_RING0 + rn])) if rn > 0 else 0.0
        bits = 0
        if sh >= sh_min:
            bits |= _B["shoulder"]
        if st >= step_min and st >= step_ratio * med and st * pk >= min_step_a:
            bits |= _B["step"]
        if (not math.isnan(sh1) and not math.isnan(sh2) and abs(sh - sh1) > reg_tol and abs(sh - sh2) > reg_tol):
            bits |= _B["irregular"]
        if pk >= min_peak and pk > 0 and 0.5 * pk <= pkref <= 2.0 * pk:
            bits |= _B["loaded"]
        pend = state[_PEND]
        if not math.isnan(pend) and pk >= 0.5 * pend:
            bits |= _B["skip"]
        state[_PEND] = math.nan
        if (not math.isnan(pkref) and pkref > 0 and pkref >= min_peak and abs(pk) < skip_frac * pkref
                and pk1 >= 0.5 * pkref and pk2 >= 0.5 * pkref and state[_PREV_PK] >= 0.5 * pkref):
            state[_PEND] = pkref
        c = state[_HF_BASE]
        if not math.isnan(c) and not math.isnan(r) and r > hf_ratio * c:
            bits |= _B["hf"]
        core = bool(bits & _B["shoulder"]) and bool(bits & _B["step"]) and bool(bits & _B["loaded"])
        state[_RUN] = state[_RUN] + 1.0 if core else 0.0
        if state[_RUN] > run_max:
            bits |= _B["run"]
        elif (core and bits & _B["irregular"]) or bits & _B["skip"]:
            bits |= _B["counted"]
        code[h] = bits
        if sh <= 0.5 and math.isnan(state[_PEND]):
            if not math.isnan(st):
                if rn >= 4 and st > 1.25 * med:
                    st = 1.25 * med
                rp = int(state[_RING_POS])
                state[_RING0 + rp] = st
                state[_RING_POS] = (rp + 1) % _RING
                if rn < _RING:
                    state[_RING_N] = rn + 1
            if not math.isnan(r):
                state[_HF_BASE] = c + 0.05 * (r - c) if not math.isnan(c) else r
        state[_SH2 + q] = sh1
        state[_SH1 + q] = sh
        state[_PK2 + q] = pk1
        state[_PK1 + q] = pk
        state[_PREV_PK] = pk
    return code


def thermal_scan_reference(i_rms, dt, state: np.ndarray, rated: float, tau: float, trip: float,
                           rearm: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference of ``_core.thermal_scan``: returns (fired, theta), updates ``state``."""
    n = len(i_rms)
    fired = np.zeros(n, dtype=np.int8)
    theta = np.empty(n)
    th, armed = float(state[0]), float(state[1])
    for k in range(n):
        a = math.exp(-dt[k] / tau)
        x = i_rms[k] / rated
        if not math.isnan(x):
            th = th * a + x * x * (1.0 - a)
        if armed != 0.0 and th >= trip:
            fired[k] = 1
            armed = 0.0
        elif armed == 0.0 and th < rearm:
            armed = 1.0
        theta[k] = th
    state[0], state[1] = th, armed
    return fired, theta
