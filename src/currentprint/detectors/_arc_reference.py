"""Plain NumPy/Python references of the fire-detector scans in ``_arc.pxi``.

Slow and obvious on purpose: the tests check that the compiled
:func:`currentprint._core.arc_scan` and :func:`currentprint._core.thermal_scan`
give exactly these results; :func:`arcmask_scan_reference` is the reference
of :func:`currentprint._core.arcmask_scan` (``_arcmask.pxi``).
"""

from __future__ import annotations

import math
from typing import Any

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

# -- masking-proof evidence (_arcmask.pxi) -----------------------------------
_AM = _core.ARCMASK_BITS
_AM_WIN, _AM_WLEN, _AM_MAXSTEPS = 8, 17, 64


def _am_absj(x):
    npts = len(x)
    aj = [0.0] * npts
    for k in range(1, npts - 1):
        aj[k] = abs((float(x[k + 1]) - float(x[k])) - (float(x[k]) - float(x[k - 1])))
    return aj


def _fmax(a: float, b: float) -> float:
    """C's ``fmax``, as the kernel uses it: the larger of two, a NaN ignored unless both are."""
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b)


def _am_block_noise(aj):
    """Median |J| per 16-point block (mean of the middle two; the last block may reach back)."""
    npts = len(aj)
    out = []
    for b in range((npts + 15) // 16):
        lo = min(b * 16, npts - 16)
        srt = sorted(aj[lo:lo + 16])
        out.append(0.5 * (srt[7] + srt[8]))
    return out


def _am_side_reference(aj, ao, k: int, s: int, jk: float, local: float) -> bool:
    """Reference of ``_am_side``: |jk| against the noise on each side of k (both rows' larger)."""
    npts = len(aj)
    if not local > 0.0 or k - 9 < 1 or k + 9 > npts - 2 or not (1 <= k + s - 9 and k + s + 9 <= npts - 2):
        return False
    wins = [(aj, k), (ao, k + s)]
    pre = [[a[i] for i in range(c - 9, c - 1)] for a, c in wins]
    post = [[a[i] for i in range(c + 2, c + 10)] for a, c in wins]
    if any(math.isnan(v) for w in pre + post for v in w):
        return False
    mb = _fmax(_am_med8(pre[0]), _am_med8(pre[1]))
    ma = _fmax(_am_med8(post[0]), _am_med8(post[1]))
    return abs(jk) >= local * 1.4826 * math.sqrt((ma * ma + 5.0 * mb * mb) / 6.0)


def _am_block_ok_reference(x, other, k: int, ko: int, v: float, k_noise: float) -> bool:
    """|v| beats k_noise x the 16-point block noise of x at k and of other at ko (clamped)."""
    nx, no = _am_block_noise(_am_absj(x)), _am_block_noise(_am_absj(other))
    return abs(v) >= k_noise * 1.4826 * _fmax(nx[k // 16], no[min(max(ko, 0) // 16, len(no) - 1)])


def _am_steps_reference(x, other, s_other: int, flo: float, k_noise: float, persist: float, local: float = 0.0):
    """Reference of ``_am_steps``: (positions in x's frame, signed second differences)."""
    npts = len(x)
    if npts < _AM_WLEN + 3:
        return [], []
    xs = [float(u) for u in x]
    aj, ao = _am_absj(x), _am_absj(other)
    nx, no = _am_block_noise(aj), _am_block_noise(ao)
    ks: list[Any] = []
    vs: list[Any] = []
    for k in range(1, npts - 2):
        if aj[k] < flo or aj[k] == 0.0:
            continue
        if any(aj[m] > aj[k] for m in range(max(0, k - 3), min(npts, k + 4))):
            continue
        jk = (xs[k + 1] - xs[k]) - (xs[k] - xs[k - 1])
        pk = (xs[k + 2] - xs[k + 1]) - (xs[k] - xs[k - 1])
        if abs(pk) > persist * abs(jk):
            continue
        bo = min(max(k + s_other, 0) // 16, len(no) - 1)
        med = _fmax(nx[k // 16], no[bo])
        if abs(jk) < k_noise * 1.4826 * med and not _am_side_reference(aj, ao, k, s_other, jk, local):
            continue
        if len(ks) < _AM_MAXSTEPS:
            ks.append(k)
            vs.append(jk)
    return ks, vs


def _am_matched(k, v, ko, vo, match):
    return any(abs(float(k2 - k)) <= match and (v2 > 0.0) == (v > 0.0) for k2, v2 in zip(ko, vo))


def _am_shift(off_j, off_r) -> int:
    x = float(off_j) - float(off_r) + 0.5
    return 0 if math.isnan(x) else int(min(max(math.floor(x) if math.isfinite(x) else x, -_AM_WIN), _AM_WIN))


def _am_med8(vals) -> float:
    srt = sorted(vals)
    return 0.5 * (srt[3] + srt[4])


def _am_lone_reference(x, refs, lo, hi, top, positive, flo, k_noise, persist, match, ratio, local=0.0) -> int:
    """Reference of ``_am_lone``: ``refs`` = [(row, shift), ...] of the two rows before.

    Returns 0 (none), 1 (a lone step) or 3 (one that beat the noise of d only on each
    side of it against at least one reference: ``lone_local``).
    """
    npts = len(x)
    xs = [float(u) for u in x]
    aj = _am_absj(xs)

    def jsig(row, i):
        return (row[i + 1] - row[i]) - (row[i] - row[i - 1]) if 1 <= i <= npts - 2 else 0.0

    for k in range(1, npts - 2):
        if not (lo <= k < hi and k < top) or not aj[k] >= flo or aj[k] == 0.0 or (jsig(xs, k) > 0.0) != positive:
            continue
        new, near = True, False
        for ref, s in refs:
            rs = [float(u) for u in ref]
            jd = [jsig(xs, i) - jsig(rs, i + s) for i in range(npts)]   # J of d = x - ref(shifted)
            ajr = _am_absj(rs)
            if not (0 <= k + s - 1 and k + s + 2 <= npts - 1) or (jd[k] > 0.0) != positive or not abs(jd[k]) >= flo:
                new = False
                break
            if any((jd[i] > 0.0) == positive and abs(jd[i]) > abs(jd[k]) for i in range(max(0, k - 3), min(npts, k + 4))):
                new = False
                break
            d = [xs[i] - rs[i + s] for i in range(k - 1, k + 3)]
            if abs((d[3] - d[2]) - (d[1] - d[0])) > persist * abs(jd[k]):
                new = False
                break
            m = int(match)
            if any(ajr[i] >= ratio * aj[k] for i in range(k + s - m, k + s + m + 1) if 0 <= i < npts):
                new = False
                break
            blo = min((k // 16) * 16, npts - 16)
            srt = sorted(abs(v) for v in jd[blo:blo + 16])
            if abs(jd[k]) >= k_noise * 1.4826 * 0.5 * (srt[7] + srt[8]):
                continue
            # or against the noise of d on each side of it (8 points each, J at the step carries one
            # point after it and two before it): var = s_after^2 + 5 s_before^2
            if local > 0.0 and k - 9 >= 1 and k + 9 <= npts - 2:
                pre = [abs(jd[i]) for i in range(k - 9, k - 1)]
                post = [abs(jd[i]) for i in range(k + 2, k + 10)]
                if not any(math.isnan(v) for v in pre + post):
                    ma, mb = _am_med8(post), _am_med8(pre)
                    if abs(jd[k]) >= local * 1.4826 * math.sqrt((ma * ma + 5.0 * mb * mb) / 6.0):
                        near = True
                        continue
            new = False
            break
        if new:
            return 3 if near else 1
    return 0


def arcmask_scan_reference(waves, offset, rms, state: np.ndarray, par: np.ndarray):
    """Reference of ``_core.arcmask_scan``: returns (code, width, size), updates ``state``."""
    waves = np.asarray(waves, dtype=float)
    n, npts = waves.shape
    half = npts // 2
    (flo0, rel_floor, k_noise, persist, match, wmax, rand_tol, span, smooth, lone_ratio, same,
     match1, lone_local, pair_local) = (float(p) for p in par)
    code = np.zeros(2 * n, dtype=np.int32)
    width = np.full(4 * n, np.nan)
    size = np.full(2 * n, np.nan)
    hdr = 8
    for j in range(n):
        flo = flo0
        if rel_floor * float(rms[j]) > flo:
            flo = rel_floor * float(rms[j])
        for r in (1, 2):
            if state[1] < r:
                continue
            ref = state[hdr + (r - 1) * npts: hdr + r * npts]
            x = float(offset[j]) - float(state[2 + r - 1]) + 0.5
            s = 0 if math.isnan(x) else int(min(max(math.floor(x) if math.isfinite(x) else x, -_AM_WIN), _AM_WIN))
            kx, vx = _am_steps_reference(waves[j], ref, s, flo, k_noise, persist, pair_local)
            kr, vr = _am_steps_reference(ref, waves[j], -s, flo, k_noise, persist, pair_local)
            kr = [k - s for k in kr]
            ajx, ajr = _am_absj(waves[j]), _am_absj(ref)

            mt = match1 if r == 1 and match1 > 0.0 else match
            def rough(a, k, step):
                # the other cycle is not smooth within `mt` points of a step
                return smooth > 0.0 and any(not a[i] < smooth * abs(step)
                                            for i in range(k - int(mt), k + int(mt) + 1) if 0 <= i < npts)

            def partner(row, k, step):
                # the other cycle has a J of the step's sign and >= same * |step| within `mt` points
                js = [(row[i + 1] - row[i]) - (row[i] - row[i - 1])
                      for i in range(k - int(mt), k + int(mt) + 1) if 1 <= i <= npts - 2]
                return same > 0.0 and any((jv > 0.0) == (step > 0.0) and abs(jv) >= same * abs(step) for jv in js)
            for q in (0, 1):
                best, bsize, blocal = math.nan, math.nan, False
                for ka, va in zip(kx, vx):
                    if not (q * half <= ka < (q + 1) * half and ka < q * half + span) or _am_matched(ka, va, kr, vr, mt):
                        continue
                    if (va > 0.0) != (q == 0):     # a re-ignition steps into the half's voltage polarity
                        continue
                    if rough(ajr, ka + s, va) or partner(ref, ka + s, va):
                        continue
                    for kb, vb in zip(kr, vr):
                        if not (q * half <= kb < (q + 1) * half and kb < q * half + span) or (vb > 0.0) != (va > 0.0):
                            continue
                        if abs(float(ka - kb)) > wmax or _am_matched(kb, vb, kx, vx, mt) or rough(ajx, kb, vb):
                            continue
                        if partner(waves[j], kb, vb):
                            continue
                        w = float(ka - kb) * (-1.0 if va < 0.0 else 1.0)
                        if math.isnan(best) or abs(w) > abs(best):
                            best, bsize = w, min(abs(va), abs(vb))
                            blocal = not (_am_block_ok_reference(waves[j], ref, ka, ka + s, va, k_noise)
                                          and _am_block_ok_reference(ref, waves[j], kb + s, kb, vb, k_noise))
                slot = 4 + 2 * q + r - 1
                prev = state[slot]
                if not math.isnan(best):
                    state[slot] = best
                    width[4 * j + 2 * q + r - 1] = best
                    code[2 * j + q] |= _AM["pair1"] if r == 1 else _AM["pair2"]
                    if blocal:
                        code[2 * j + q] |= _AM["pair_local"]
                    if not abs(best - prev) <= rand_tol:
                        code[2 * j + q] |= (_AM["random1"] if r == 1 else _AM["random2"]) | _AM["counted"]
                    if math.isnan(size[2 * j + q]) or bsize > size[2 * j + q]:
                        size[2 * j + q] = bsize
        if state[1] >= 2 and lone_ratio > 0.0:
            refs = [(state[hdr + (r - 1) * npts: hdr + r * npts], _am_shift(offset[j], state[2 + r - 1])) for r in (1, 2)]
            for q in (0, 1):
                got = _am_lone_reference(waves[j], refs, q * half, q * half + span, (q + 1) * half, q == 0, flo,
                                         k_noise, persist, match, lone_ratio, lone_local)
                if got:
                    code[2 * j + q] |= _AM["lone"] | _AM["counted"]
                if got & 2:
                    code[2 * j + q] |= _AM["lone_local"]
        state[hdr + npts: hdr + 2 * npts] = state[hdr: hdr + npts]
        state[hdr: hdr + npts] = waves[j]
        state[hdr + 3 * npts: hdr + 4 * npts] = state[hdr + 2 * npts: hdr + 3 * npts]
        state[hdr + 2 * npts: hdr + 3 * npts] = _am_absj(waves[j])
        state[3] = state[2]
        state[2] = float(offset[j])
        if state[1] < 2:
            state[1] += 1.0
    return code, width, size


def arc_evidence_reference(det, cycles) -> dict[str, np.ndarray]:
    """Reference of ``ArcFaultDetector.evidence`` (``_core.arc_evidence`` and ``arc_mask_merge``).

    The detector's half-cycle arrays, shoulder checks and masking-proof merge
    written with NumPy array operations (as the detector did before they were
    compiled); it advances ``det``'s state exactly like
    :meth:`~currentprint.detectors.arc.ArcFaultDetector.evidence`. The two
    sequential scans inside are the compiled ``arc_scan`` and ``arcmask_scan``,
    which have references of their own above.
    """
    from . import arc as A
    n = len(cycles)
    fs = cycles.fs
    period = cycles.period
    if det._hc_per_s == 0.0 and n:
        det._hc_per_s = 2.0 * fs / float(period[0])
    natural = 2.0 * math.asin(det.shoulder_fraction) / (2.0 * math.pi) * period
    sh = np.empty(2 * n)
    sh[0::2] = cycles.shoulder_pos - natural
    sh[1::2] = cycles.shoulder_neg - natural
    st = np.empty(2 * n)
    st[0::2] = cycles.step_pos
    st[1::2] = cycles.step_neg
    pk = np.empty(2 * n)
    pk[0::2] = np.fmax(cycles.hc_peak_pos, cycles.hc_rms_pos)
    pk[1::2] = np.fmax(cycles.hc_peak_neg, cycles.hc_rms_neg)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cycles.i_residual / cycles.i_rms
    hf = np.repeat(r, 2)
    pos = np.empty(2 * n)
    pos[0::2] = cycles.i_zero
    late = cycles.i_zero - cycles.start >= 0.5 * period
    pos[1::2] = np.where(late, cycles.i_zero - 0.5 * period, cycles.i_zero + 0.5 * period)
    code = np.zeros(2 * n, dtype=np.int32)
    calibrated = det._is_calibrated(cycles)
    par = det._params(fs, calibrated)
    if _core.arc_scan(np.ascontiguousarray(sh), np.ascontiguousarray(st), np.ascontiguousarray(pk),
                      np.ascontiguousarray(hf), det._state, par, code):
        raise RuntimeError("arc_scan: length mismatch")
    crest = np.empty(2 * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        crest[0::2] = cycles.hc_peak_pos / cycles.hc_rms_pos
        crest[1::2] = cycles.hc_peak_neg / cycles.hc_rms_neg
    # shoulder checks: too long, on the trend of the same polarity, or read at a high crest factor
    hist = np.concatenate([det._sh_hist, sh])
    trend = 2.0 * hist[2:-2] - hist[:-4]
    tol = max(1.0, det.regular_ms * 1e-3 * fs)
    with np.errstate(invalid="ignore"):
        steady = np.abs(hist[4:] - trend) <= tol
        too_long = sh > A._SHOULDER_MAX_MS * 1e-3 * fs
        too_long |= crest > A._SHOULDER_CREST
    steady = steady[-sh.shape[0]:] if steady.shape[0] >= sh.shape[0] else np.concatenate(
        [np.zeros(sh.shape[0] - steady.shape[0], bool), steady])
    det._sh_hist = hist[-4:]
    drop = (steady | too_long) & ((code & _B["skip"]) == 0) & ((code & _B["counted"]) != 0)
    code[drop] &= ~_B["counted"]
    width = np.full((2 * n, 2), np.nan)
    size = np.full(2 * n, np.nan)
    if det.masking and cycles.has_waveforms and n:
        npts = int(cycles.n_points)
        if det._mstate is None or int(det._mstate[0]) != npts:
            det._mstate = _core.new_arcmask_state(npts)
        start = np.asarray(cycles.start, dtype=np.float64)
        offset = np.ascontiguousarray((np.ceil(start) - start) * npts / np.asarray(period, dtype=np.float64))
        rms = np.ascontiguousarray(cycles.i_rms, dtype=np.float64)
        mcode = np.zeros(2 * n, dtype=np.int32)
        if _core.arcmask_scan(np.ascontiguousarray(cycles.raw_waves[0], dtype=np.float64), offset, rms,
                              det._mstate, det._mask_params(npts, calibrated), mcode, width.reshape(4 * n), size):
            raise RuntimeError("arcmask_scan: shape mismatch")
        # a half-cycle is judged only with enough current (calibrated input)
        counted = (mcode & _core.ARCMASK_BITS["counted"]) != 0
        if calibrated:
            low = counted & ~(np.repeat(rms, 2) >= det._p["min_current_a"])
            mcode[low] &= ~_core.ARCMASK_BITS["counted"]
            counted &= ~low
        out = mcode << A._MASK_SHIFT
        out[counted] |= _B["counted"]
        code |= out
    return {"sample": pos, "code": code, "shoulder_ms": sh / fs * 1e3, "step": st,
            "mask_width_ms": ((width / fs * 1e3).reshape(n, 4) * (period / cycles.n_points)[:, None]).reshape(2 * n, 2),
            "mask_step": size}
