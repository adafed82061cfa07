import numpy as np, sys, currentprint as cp, math
from currentprint.fingerprints import fingerprint_from_waves
from currentprint.library import embed
from mix import *
from delta import robust_states, background_period
from ident import lib_from, APPS
POST = int(__import__("os").environ.get("POST", 24))
K = 8
def emb(lib, fp):
    c = lib._fit(); return embed(fp.vector())[0] * c["w"]
def dist(lib, a, b):
    d = emb(lib, a) - emb(lib, b); ok = np.isfinite(d); return float(np.sqrt(np.sum(d[ok]**2) * len(d) / max(ok.sum(),1)))
def analyse(i, v, tgt, kind):
    tab = cp.analyze(i, v, fs=6400, waveforms=True)
    det = cp.EventDetector()
    evs = det.push(tab)
    best = [e for e in evs if abs(e.sample - tgt) < 640]
    if not best: return None
    ev = best[0]
    iw, vw = tab.i_wave, tab.v_wave
    pre = (ev.pre.cycles[0], min(ev.pre.cycles[1] + 1, ev.cycle))
    c0 = max(ev.post.cycles[0], ev.cycle + 1)
    nxt = [e.cycle for e in evs if e.cycle > ev.cycle]   # avoid the next transition
    c1 = max(ev.post.cycles[1] + 1, min([c0 + POST] + [len(tab)] ))
    c1 = min(c1, len(tab), *(nxt or [len(tab)]))
    s0, s1, info = robust_states(iw, vw, tab.p, tab.q, tab.v_rms, pre, (c0, c1), transient=(ev.cycle, c0))
    a, b = info["pre_rows"] if "pre_rows" in info else (pre[1] - info["n_pre"], pre[1])
    P = info["period"]
    res = np.concatenate([iw[a + k:b:P] - iw[a + k:b:P].mean(0) for k in range(P)])
    c0b, c1b = c0, c0 + info["n_post"]
    resp = np.concatenate([iw[c0b + k:c1b:P] - iw[c0b + k:c1b:P].mean(0) for k in range(P) if len(iw[c0b + k:c1b:P]) > 1] or [res])
    return ev, s0, s1, info, (res, resp)
def fp_of(d, vv, n):
    return fingerprint_from_waves(d, vv, fs=6400, mains_hz=50.0, source="event", n_cycles=n)
def identify(lib, x, sign=1, c=3.0, rng=None):
    ev, s0, s1, info, (res, resp) = x
    d = sign * (s1.i_wave - s0.i_wave); vv = s1.v_wave if sign > 0 else s0.v_wave
    fp = fp_of(d, vv, s1.n_cycles)
    m = lib.match(fp, 1)[0]
    rng = rng or np.random.default_rng(0)
    nd = []
    for k in range(K):
        n = resp[rng.integers(0, len(resp), info["n_post"])].mean(0) - res[rng.integers(0, len(res), info["n_pre"])].mean(0)
        nd.append(dist(lib, fp_of(d + n, vv, s1.n_cycles), fp))
    nd = float(np.sqrt(np.mean(np.square(nd))))
    r = lib.radius(m.label)
    reff = math.hypot(r, c * nd)
    return (m.label if m.distance <= reff else "unknown"), m, nd, r
if __name__ == "__main__":
    lib = lib_from(LABELS, range(1, 21))
    libs_wo = {a: lib_from([l for l in LABELS if l != a], range(1, 21)) for a in APPS}
    T = [0, 0, 0, 0]
    for bg in (sys.argv[3].split(",") if len(sys.argv) > 3 else LABELS):
        ok = n = unk = nu = 0
        for a in APPS:
            if a == bg: continue
            for r in range(21, 41, 5):
                i, v, k0 = mix((bg, r), (a, r + 1))
                x = analyse(i, v, k0, "on")
                n += 1; nu += 1
                if x is None: unk += 1; continue
                lab, m, nd, rad = identify(lib, x)
                ok += lab == a
                lab2, *_ = identify(libs_wo[a], x)
                unk += lab2 == "unknown"
                if lab != a and "v" in sys.argv: print("   ", bg, a, r, lab, round(m.distance,2), round(nd,2), round(rad,2))
        T[0]+=ok;T[1]+=n;T[2]+=unk;T[3]+=nu
        print(bg, "named", round(ok/n, 2), "unknown", round(unk/nu, 2), flush=True)
    print("ALL named", T[0]/T[1], "unknown", T[2]/T[3])
