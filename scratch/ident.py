import numpy as np, sys, currentprint as cp, math
from currentprint.fingerprints import fingerprint_from_waves
from mix import *
from delta import robust_states
APPS = ["refrigerator","tv","desktop_pc","air_conditioner","laptop","range_hood"]
def lib_from(labels, recs):
    lib = cp.FingerprintLibrary()
    for l in labels:
        for r in recs:
            i, v = load(l, r)
            lib.enroll(l, cp.fingerprint(i, v, fs=6400))
    return lib
def event_fp(i, v, k0, kind="on", off_at=None, robust=True):
    tab = cp.analyze(i, v, fs=6400, waveforms=True)
    det = cp.EventDetector()
    evs = det.push(tab)
    tgt = k0 if kind == "on" else off_at
    best = [e for e in evs if abs(e.sample - tgt) < 640]
    if not best: return None, None
    ev = best[0]
    iw, vw = tab.i_wave, tab.v_wave
    pre = (ev.pre.cycles[0], min(ev.pre.cycles[1] + 1, ev.cycle))
    post = (max(ev.post.cycles[0], ev.cycle + 1), ev.post.cycles[1] + 1)
    if robust:
        s0, s1, info = robust_states(iw, vw, tab.p, tab.q, tab.v_rms, pre, post, transient=(ev.cycle, post[0]))
    else:
        from delta import State
        s0 = State(iw[pre[0]:pre[1]], vw[pre[0]:pre[1]], tab.p[pre[0]:pre[1]], tab.q[pre[0]:pre[1]], tab.v_rms[pre[0]:pre[1]])
        s1 = State(iw[post[0]:post[1]], vw[post[0]:post[1]], tab.p[post[0]:post[1]], tab.q[post[0]:post[1]], tab.v_rms[post[0]:post[1]])
        info = {}
    d = s1.i_wave - s0.i_wave
    vv = s1.v_wave
    if ev.kind == "off" or kind == "off":
        d = -d; vv = s0.v_wave
    fp = fingerprint_from_waves(d, vv, fs=6400, mains_hz=50.0, source="event", n_cycles=s1.n_cycles)
    return fp, (ev, info, s0, s1)
if __name__ == "__main__":
    robust = "raw" not in sys.argv
    lib = lib_from(LABELS, range(1, 21))
    res = {}
    for bg in LABELS:
        ok = n = 0
        for a in APPS:
            if a == bg: continue
            for r in range(21, 41, 5):
                i, v, k0 = mix((bg, r), (a, r + 1))
                fp, _ = event_fp(i, v, k0, robust=robust)
                n += 1
                if fp is None: continue
                m = lib.identify(fp)
                ok += m.label == a
        print(bg, round(ok/n, 2), flush=True)
