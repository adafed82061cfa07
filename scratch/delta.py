import numpy as np, math

MAX_PERIOD = 4

def background_period(w, max_period=MAX_PERIOD):
    """Period in cycles (1..max_period) of a repeating background in aligned cycles w (L, n)."""
    L = w.shape[0]
    if L < 4:
        return 1
    d = []
    for lag in range(1, min(max_period, L // 2) + 1):
        diff = w[lag:] - w[:-lag]
        d.append(float(np.mean(diff * diff)))
    d = np.asarray(d)
    best = int(np.argmin(d)) + 1
    # a lag counts only when it removes most of the cycle-to-cycle difference
    return best if d[best - 1] < 0.25 * d[0] else 1

class State:
    def __init__(self, iw, vw, p, q, vrms):
        self.i_wave = iw.mean(0); self.v_wave = vw.mean(0)
        self.p = float(np.mean(p)); self.q = float(np.mean(q)); self.v_rms = float(np.mean(vrms))
        self.i_peak = float(np.max(np.abs(self.i_wave)))
        self.n_cycles = iw.shape[0]

def robust_states(iw, vw, p, q, vrms, pre, post, transient=None, max_pre=24):
    """pre=(a,b) rows, post=(c,d) rows (half-open) of the arrays; transient=(b..c) rows for inrush."""
    a, b = pre; c, d = post
    a = max(a, b - max_pre)
    P = background_period(iw[a:b])
    lpre = (b - a) // P * P
    lpost = (d - c) // P * P
    if lpre < P or lpost < P:
        P = 1; lpre = b - a; lpost = d - c
    a = b - lpre; d = c + lpost
    s0 = State(iw[a:b], vw[a:b], p[a:b], q[a:b], vrms[a:b])
    s1 = State(iw[c:d], vw[c:d], p[c:d], q[c:d], vrms[c:d])
    # per-phase means of the background, residual noise
    cls_mean = np.stack([iw[a + k:b:P].mean(0) for k in range(P)])
    res = np.concatenate([iw[a + k:b:P] - cls_mean[k] for k in range(P)])
    dof = max(lpre - P, 1)
    var_t = np.sum(res * res, 0) / dof
    noise = float(np.sqrt(np.mean(var_t)))                        # one cycle, RMS, A
    noise_pk = float(np.sqrt(np.max(var_t)))
    delta_noise = noise * math.sqrt(1.0 / lpre + 1.0 / lpost)
    inrush = math.nan
    dpk = float(np.max(np.abs(s1.i_wave - s0.i_wave)))
    if transient is not None:
        t0, t1 = transient
        if t1 > t0:
            pk = 0.0
            for r in range(t0, t1 + 1):   # the onset cycle to the first post cycle
                k = (r - a) % P
                pk = max(pk, float(np.max(np.abs(iw[r] - cls_mean[k]))))
            inrush = pk / dpk if dpk > 0 else math.nan
    return s0, s1, {"period": P, "n_pre": lpre, "n_post": lpost, "noise": noise, "noise_peak": noise_pk,
                    "delta_noise": delta_noise, "inrush": inrush, "delta_peak": dpk}
