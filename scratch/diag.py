import numpy as np, sys, currentprint as cp
from currentprint.loads import delta_features, judge_resistive
from mix import *
for bg in ["induction_cooker","refrigerator","desktop_pc","laptop"]:
    for h in HEATERS:
        if h == bg: continue
        for r in range(1, 41, 8):
            i, v, k0 = mix((bg, r), (h, (r % 40) + 1), heater=True)
            det = cp.ResistiveLoadDetector()
            tab = cp.analyze(i, v, fs=6400, waveforms=True)
            found = det._events(tab)
            ok=False; msg=[]
            for ev, pre, post in found:
                if abs(ev.sample-k0) > 640: msg.append(f"far ev {ev.kind} {ev.sample-k0}"); continue
                a, f, rules = det.judge(pre, post, ev.transient)
                msg.append(f"{ev.kind} pre{ev.pre.cycles} post{ev.post.cycles} "+" ".join(f"{k}={r['value']:.4g}/{r['limit'] if not isinstance(r['limit'], float) else round(r['limit'],4)}" for k,r in rules.items() if not r['passed']))
                ok |= a
            if not ok: print(bg, h, r, msg)
