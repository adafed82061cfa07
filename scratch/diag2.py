import numpy as np, sys, currentprint as cp
from currentprint.loads import delta_features, judge_resistive
from currentprint.cycles import align_waves
from mix import *
from delta import robust_states
bgs = sys.argv[1].split(",") if len(sys.argv) > 1 else LABELS
def judge(f, info, min_power_w=200, max_inrush=1.15):
    f = dict(f); f["inrush"] = info["inrush"]
    rules = judge_resistive(f, min_power_w=min_power_w, max_inrush=max_inrush)
    dn = info["delta_noise"] / max(f["i_delta"], 1e-12)
    rules["proportional"]["limit"] += 2 * dn; rules["proportional"]["passed"] = f["mismatch"] <= rules["proportional"]["limit"]
    rules["odd_harmonics"]["limit"] += 2 * dn; rules["odd_harmonics"]["passed"] = f["odd_thd"] <= rules["odd_harmonics"]["limit"]
    lim = max_inrush + 3 * info["noise_peak"] / max(info["delta_peak"], 1e-12)
    rules["inrush"]["limit"] = lim; rules["inrush"]["passed"] = not (info["inrush"] > lim)
    return all(r["passed"] for r in rules.values()), rules
def run(i, v, k0):
    det = cp.ResistiveLoadDetector()
    tab = cp.analyze(i, v, fs=6400, waveforms=True)
    iw, vw = tab.i_wave, tab.v_wave
    evs = det.event_source.push(tab)
    out = []
    for ev in evs:
        if ev.kind == "off" or not ev.delta_p > 0: continue
        pre = (ev.pre.cycles[0], min(ev.pre.cycles[1] + 1, ev.cycle))
        post = (max(ev.post.cycles[0], ev.cycle + 1), ev.post.cycles[1] + 1)
        s0, s1, info = robust_states(iw, vw, tab.p, tab.q, tab.v_rms, pre, post, transient=(ev.cycle, post[0]))
        f = delta_features(s0, s1, None)
        ok, rules = judge(f, info)
        out.append((ev, ok, rules, info))
    return out
if __name__ == "__main__":
  tot=[0,0]
  for bg in bgs:
    hits = n = 0
    for h in HEATERS:
        if h == bg: continue
        for r in range(1, 41, 8):
            i, v, k0 = mix((bg, r), (h, (r % 40) + 1), heater=True)
            out = run(i, v, k0)
            ok = any(o[1] and abs(o[0].sample - k0) < 640 for o in out)
            hits += ok; n += 1
            if not ok:
                print("  miss", bg, h, r, [(o[0].sample-k0, o[3]["period"], {k: (round(x["value"],4), round(x["limit"],4)) for k, x in o[2].items() if not x["passed"]}) for o in out])
    tot[0]+=hits; tot[1]+=n
    print(bg, round(hits / n, 2), flush=True)
  print("all", tot[0]/tot[1])
