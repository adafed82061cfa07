"""Plain Python/NumPy reference of the event scan in ``_events.pxi``.

Slow and literal: the same state vector, the same operations in the same
order, so tests can require the compiled :func:`currentprint._core.event_scan`
to give identical records and an identical state. Not used by the library.
"""

from __future__ import annotations

import math

import numpy as np

# layout constants, mirrored from _events.pxi
(ES_MODE, ES_NSEEN, ES_READY, ES_REF_N, ES_REF_POS, ES_REF_FIRST, ES_REF_LAST, ES_PRB_N, ES_PRB_POS,
 ES_ONSET, ES_TRIG, ES_TRIG_STAT, ES_CUSUM_ZERO, ES_TRIG_ABRUPT, ES_BEST_JUMP,
 ES_NSCALAR) = range(16)
(EP_METHOD, EP_DIM, EP_WINDOW, EP_SETTLE, EP_MAX_TRANSIENT, EP_THRESHOLD, EP_ONSET_THRESHOLD,
 EP_STEP_THRESHOLD, EP_STEADINESS, EP_REL_FLOOR, EP_CUSUM_DRIFT, EP_ALPHA, EP_GRADUAL_THRESHOLD, EP_NPARAM) = range(14)
(EO_ONSET, EO_CONFIRM, EO_REF_FIRST, EO_REF_LAST, EO_REF_N, EO_POST_FIRST, EO_POST_LAST, EO_TRIG_STAT,
 EO_STEP_STAT, EO_NFIELD) = range(10)


def state_size(d: int, window: int, settle: int) -> int:
    return ES_NSCALAR + 3 * d + window * (d + 1) + settle * (d + 1)


class _Scan:
    def __init__(self, prm: np.ndarray, st: np.ndarray) -> None:
        self.st = st
        self.d = d = int(prm[EP_DIM])
        self.W = W = int(prm[EP_WINDOW])
        self.M = M = int(prm[EP_SETTLE])
        self.o_var = ES_NSCALAR
        self.o_cus = self.o_var + d
        self.o_ref = self.o_cus + 2 * d
        self.o_refi = self.o_ref + W * d
        self.o_prb = self.o_refi + W
        self.o_prbi = self.o_prb + M * d

    def ref_mean(self) -> list[float]:
        st, d = self.st, self.d
        n = int(st[ES_REF_N])
        if n == 0:
            return [0.0] * d
        return [st[self.o_ref - d + j] / n for j in range(d)]

    def ref_push(self, x, idx: float) -> None:
        st, d, W = self.st, self.d, self.W
        pos = int(st[ES_REF_POS])
        o_sum = self.o_ref - d
        if st[ES_REF_N] == 0:
            for j in range(d):
                st[o_sum + j] = 0.0
        if st[ES_REF_N] >= W:
            for j in range(d):
                st[o_sum + j] -= st[self.o_ref + pos * d + j]
        for j in range(d):
            st[self.o_ref + pos * d + j] = x[j]
            st[o_sum + j] += x[j]
        st[self.o_refi + pos] = idx
        st[ES_REF_POS] = (pos + 1) % W
        if st[ES_REF_N] < W:
            st[ES_REF_N] += 1
        if st[ES_REF_POS] == 0:
            for j in range(d):
                st[o_sum + j] = 0.0
            for k in range(int(st[ES_REF_N])):
                for j in range(d):
                    st[o_sum + j] += st[self.o_ref + k * d + j]
        if st[ES_REF_N] <= 1 or idx != st[ES_REF_LAST] + 1:
            st[ES_REF_FIRST] = idx
        elif st[ES_REF_N] >= W and st[ES_REF_FIRST] < idx - (W - 1):
            st[ES_REF_FIRST] = idx - (W - 1)
        st[ES_REF_LAST] = idx

    def prb_slot(self, k: int) -> int:
        M = self.M
        return (int(self.st[ES_PRB_POS]) - int(self.st[ES_PRB_N]) + k + 2 * M) % M

    def newest(self) -> list[float]:
        st, d = self.st, self.d
        if st[ES_PRB_N] > 0:
            slot = (int(st[ES_PRB_POS]) - 1 + self.M) % self.M
            return self.prb_row(slot)
        slot = (int(st[ES_REF_POS]) - 1 + self.W) % self.W
        return [st[self.o_ref + slot * d + j] for j in range(d)]

    def prb_row(self, slot: int) -> list[float]:
        d = self.d
        return [self.st[self.o_prb + slot * d + j] for j in range(d)]

    def prb_push(self, x, idx: float) -> None:
        st, d, M = self.st, self.d, self.M
        pos = int(st[ES_PRB_POS])
        for j in range(d):
            st[self.o_prb + pos * d + j] = x[j]
        st[self.o_prbi + pos] = idx
        st[ES_PRB_POS] = (pos + 1) % M
        if st[ES_PRB_N] < M:
            st[ES_PRB_N] += 1

    def sigma2(self, level, rel: float) -> list[float]:
        lv = 0.0
        for j in range(self.d):
            lv += level[j] * level[j]
        fl = rel * rel * lv
        return [self.st[self.o_var + j] + fl + 1e-300 for j in range(self.d)]

    def probe_stats(self):
        st, d, M, o_prb = self.st, self.d, self.M, self.o_prb
        p = [0.0] * d
        for k in range(M):
            row = self.prb_row(k)
            for j in range(d):
                p[j] += row[j]
        p = [p[j] / M for j in range(d)]
        acc = [0.0] * d
        for j in range(d):
            sq = []
            for k in range(1, M):
                t = st[o_prb + self.prb_slot(k) * d + j] - st[o_prb + self.prb_slot(k - 1) * d + j]
                sq.append(t * t)
            sq.sort()
            m = M - 1
            v = sq[m // 2] if m % 2 == 1 else 0.5 * (sq[m // 2 - 1] + sq[m // 2])
            acc[j] = v / (2.0 * 0.4549)
        return p, acc

    def split(self, x, r, s2, min_n: int):
        st, d = self.st, self.d
        n_p = int(st[ES_PRB_N])
        nref = st[ES_REF_N]
        best = 0.0
        tau = st[ES_NSEEN]
        acc = [x[j] - r[j] for j in range(d)]
        n = 1
        if n >= min_n:
            t = 0.0
            for j in range(d):
                t += acc[j] * acc[j] / s2[j]
            best = t / (1.0 + 1.0 / nref)
        for k in range(n_p - 1, -1, -1):
            slot = self.prb_slot(k)
            row = self.prb_row(slot)
            for j in range(d):
                acc[j] += row[j] - r[j]
            n += 1
            if n >= min_n:
                t = 0.0
                for j in range(d):
                    t += acc[j] * acc[j] / s2[j]
                q = t / n / (1.0 + n / nref)
                if q > best:
                    best = q
                    tau = st[self.o_prbi + slot]
        return best, tau


def event_scan(features: np.ndarray, params: np.ndarray, state: np.ndarray, out: np.ndarray,
               flush: bool = False) -> int:
    """Reference of :func:`currentprint._core.event_scan` (same arguments and result)."""
    X = np.asarray(features, dtype=np.float64)
    prm = np.asarray(params, dtype=np.float64)
    st = state
    s = _Scan(prm, st)
    d, W, M = s.d, s.W, s.M
    method = int(prm[EP_METHOD])
    h, h1, hs = prm[EP_THRESHOLD], prm[EP_ONSET_THRESHOLD], prm[EP_STEP_THRESHOLD]
    vmax, rel, kc = prm[EP_STEADINESS], prm[EP_REL_FLOOR], prm[EP_CUSUM_DRIFT]
    alpha, maxtr, hg = prm[EP_ALPHA], prm[EP_MAX_TRANSIENT], prm[EP_GRADUAL_THRESHOLD]
    if X.ndim != 2 or X.shape[1] != d or st.shape[0] != state_size(d, W, M) or out.shape[1] != EO_NFIELD:
        return -10
    o_var, o_cus, o_prb, o_prbi = s.o_var, s.o_cus, s.o_prb, s.o_prbi
    cnt = 0
    for c in range(X.shape[0] + (1 if flush else 0)):
        flushing = c == X.shape[0]
        if flushing:
            if st[ES_MODE] != 1 or st[ES_PRB_N] < M or st[o_prbi + s.prb_slot(0)] <= st[ES_ONSET]:
                break
            idx = st[ES_NSEEN] - 1
            r = s.ref_mean()
        else:
            x = [X[c, j] for j in range(d)]
            idx = st[ES_NSEEN]
            st[ES_NSEEN] = idx + 1
            if not all(math.isfinite(v) for v in x):
                continue
            r = s.ref_mean()
            if st[ES_MODE] == 0:
                if st[ES_READY] == 0:
                    if st[ES_PRB_N] >= M:
                        slot = s.prb_slot(0)
                        s.ref_push(s.prb_row(slot), st[o_prbi + slot])
                        st[ES_PRB_N] -= 1
                    s.prb_push(x, idx)
                    m = int(st[ES_REF_N])
                    if m >= M:
                        r = s.ref_mean()
                        for j in range(d):
                            v = 0.0
                            for k in range(m):
                                t = st[s.o_ref + k * d + j] - r[j]
                                v += t * t
                            st[o_var + j] = 2.0 * v / (m - 1)
                        st[ES_READY] = 1
                        st[ES_CUSUM_ZERO] = idx
                    continue
                s2 = s.sigma2(r, rel)
                tau = idx
                z = 0.0
                for j in range(d):
                    t = x[j] - r[j]
                    z += t * t / s2[j]
                row = s.newest()
                z1 = 0.0
                for j in range(d):
                    t = x[j] - row[j]
                    z1 += t * t / (2.0 * st[o_var + j] + 1e-300)
                if method == 0:
                    if z1 > h1:
                        trig, stat = True, z1
                    else:
                        stat, tau = s.split(x, r, s2, M)
                        trig = stat > h
                        if trig:
                            _, tau = s.split(x, r, s2, 1)
                elif method == 1:
                    nv = 0.0
                    for j in range(d):
                        st[o_cus + j] += (x[j] - r[j]) / math.sqrt(s2[j])
                        nv += st[o_cus + j] * st[o_cus + j]
                    nv = math.sqrt(nv)
                    if nv <= kc:
                        for j in range(d):
                            st[o_cus + j] = 0.0
                        st[ES_CUSUM_ZERO] = idx
                        stat = 0.0
                    else:
                        for j in range(d):
                            st[o_cus + j] *= 1.0 - kc / nv
                        stat = nv - kc
                    trig = stat > h
                    if trig:
                        tau = st[ES_CUSUM_ZERO] + 1
                        if st[ES_PRB_N] > 0 and tau < st[o_prbi + s.prb_slot(0)]:
                            tau = st[o_prbi + s.prb_slot(0)]
                else:
                    stat, tau = s.split(x, r, s2, 1)
                    trig = stat > h
                if trig:
                    while st[ES_PRB_N] > 0:
                        slot = s.prb_slot(0)
                        if st[o_prbi + slot] >= tau:
                            break
                        s.ref_push(s.prb_row(slot), st[o_prbi + slot])
                        st[ES_PRB_N] -= 1
                    s.prb_push(x, idx)
                    st[ES_MODE] = 1
                    st[ES_ONSET] = tau
                    st[ES_TRIG] = idx
                    st[ES_TRIG_STAT] = stat
                    st[ES_TRIG_ABRUPT] = 1 if z1 > h1 else 0
                    st[ES_BEST_JUMP] = z1 if z1 > h1 else 0.0
                    for j in range(d):
                        st[o_cus + j] = 0.0
                else:
                    if st[ES_PRB_N] >= M:
                        slot = s.prb_slot(0)
                        row = s.prb_row(slot)
                        for j in range(d):
                            t = row[j] - r[j]
                            st[o_var + j] = (1.0 - alpha) * st[o_var + j] + alpha * t * t
                        s.ref_push(row, st[o_prbi + slot])
                        st[ES_PRB_N] -= 1
                    s.prb_push(x, idx)
                continue
            if st[ES_PRB_N] > 0:
                row = s.newest()
                zj = 0.0
                for j in range(d):
                    t = x[j] - row[j]
                    zj += t * t / (2.0 * st[o_var + j] + 1e-300)
                if zj > h1 and zj > st[ES_BEST_JUMP]:
                    st[ES_BEST_JUMP] = zj
                    st[ES_ONSET] = idx
                    st[ES_TRIG_ABRUPT] = 1
            s.prb_push(x, idx)
            if st[ES_PRB_N] < M or st[o_prbi + s.prb_slot(0)] <= st[ES_ONSET]:
                continue
        p, acc = s.probe_stats()
        s2 = s.sigma2(p, rel)
        for j in range(d):
            if acc[j] > st[o_var + j]:
                s2[j] += acc[j] - st[o_var + j]
        v = 0.0
        for k in range(M):
            row = s.prb_row(k)
            for j in range(d):
                t = row[j] - p[j]
                v += t * t / s2[j]
        v /= (M - 1) * d
        m = M // 2
        z = 0.0
        for j in range(d):
            t = 0.0
            for k in range(m):
                t += st[o_prb + s.prb_slot(M - 1 - k) * d + j] - st[o_prb + s.prb_slot(k) * d + j]
            t /= m
            t = t * t / s2[j] * (m / 2.0)
            if t > z:
                z = t
        if 0.5 * z > v:
            v = 0.5 * z
        timeout = flushing or idx - st[ES_ONSET] + 1 >= maxtr
        steady = v <= vmax
        if not (steady or timeout):
            continue
        conf = idx
        s2 = s.sigma2(r, rel)
        nref = st[ES_REF_N]
        z = 0.0
        for j in range(d):
            t = p[j] - r[j]
            z += t * t / s2[j]
        z /= (1.0 / M + 1.0 / nref)
        hs_now = hg if (st[ES_TRIG_ABRUPT] == 0 and hs < hg) else hs
        if z > hs_now:
            out[cnt, EO_ONSET] = st[ES_ONSET]
            out[cnt, EO_CONFIRM] = conf
            out[cnt, EO_REF_FIRST] = st[ES_REF_FIRST]
            out[cnt, EO_REF_LAST] = st[ES_REF_LAST]
            out[cnt, EO_REF_N] = nref
            out[cnt, EO_POST_FIRST] = conf - (M - 1)
            out[cnt, EO_POST_LAST] = conf
            out[cnt, EO_TRIG_STAT] = st[ES_TRIG_STAT]
            out[cnt, EO_STEP_STAT] = z
            cnt += 1
            st[ES_REF_N] = 0
            st[ES_REF_POS] = 0
        if z > hs_now or not steady:
            for j in range(d):
                if acc[j] > st[o_var + j]:
                    st[o_var + j] = acc[j]
                else:
                    st[o_var + j] = 0.5 * (st[o_var + j] + acc[j])
        for k in range(M):
            slot = s.prb_slot(k)
            s.ref_push(s.prb_row(slot), st[o_prbi + slot])
        st[ES_PRB_N] = 0
        st[ES_MODE] = 0
        st[ES_CUSUM_ZERO] = idx
    return cnt


def onset_refine(u: np.ndarray, start: np.ndarray, period: np.ndarray, k_sigma: float, back_sigma: float,
                 step_frac: float = 0.5, back_frac: float = 0.25) -> float:
    """Reference of :func:`currentprint._core.onset_refine` (same operations, same order)."""
    u = np.asarray(u, dtype=np.float64)
    rows, n = u.shape
    if rows < 3 or n < 4 or len(start) < rows or len(period) < rows:
        return math.nan

    def cubic(row: int, pos: float) -> float:
        fl = math.floor(pos)
        i0 = int(fl)
        mu = pos - fl
        a, b, c, e = ((i0 - 1) % n, i0 % n, (i0 + 1) % n, (i0 + 2) % n)
        return (-mu * (mu - 1) * (mu - 2) / 6 * u[row, a] + (mu + 1) * (mu - 1) * (mu - 2) / 2 * u[row, b]
                - (mu + 1) * mu * (mu - 2) / 2 * u[row, c] + (mu + 1) * mu * (mu - 1) / 6 * u[row, e])

    res = []
    for k in range(1, rows):
        g_k, g_p = math.ceil(start[k]), math.ceil(start[k - 1])
        for m in range(n):
            phase = ((g_k - start[k]) + m * (period[k] / n)) / period[k]
            pos = (start[k - 1] - g_p) * n / period[k - 1] + phase * n
            res.append(u[k, m] - cubic(k - 1, pos))
    noise = 0.0
    mx = 0.0
    for m in range(n):
        noise += res[m] * res[m]
        mx = max(mx, abs(res[m]))
    noise = math.sqrt(noise / n)
    thr = max(k_sigma * noise, 1.5 * mx)
    kk = max(n // 16, 4)
    tot = len(res)
    hit = -1
    for j in range(n, tot):
        if abs(res[j]) > thr:
            cnt = sum(1 for m in range(j, j + kk) if m < tot and abs(res[m]) > 0.5 * thr)
            if 2 * cnt >= kk:
                hit = j
                break
    if hit < 0:
        return math.nan
    big = 0.0
    for m in range(hit, hit + 3):
        if m < tot and abs(res[m]) > big:
            big = abs(res[m])
    while hit + 1 < tot and abs(res[hit]) < step_frac * big:
        hit += 1
    sgn = 1.0 if res[hit] > 0 else -1.0
    thr = back_sigma * noise
    if back_frac * big > thr:
        thr = back_frac * big
    m = hit
    while hit > n and m - hit < kk and abs(res[hit - 1]) > thr and res[hit - 1] * sgn > 0:
        hit -= 1
    k, m = hit // n + 1, hit % n
    return math.ceil(start[k]) + m * period[k] / n
