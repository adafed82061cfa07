import numpy as np, sys, currentprint as cp
from mix import *
res = {}
for bg in LABELS:
    hits = n = 0
    for h in HEATERS:
        if h == bg: continue
        for r in range(1, 41, 8):
            i, v, k0 = mix((bg, r), (h, (r % 40) + 1), heater=True)
            det = cp.ResistiveLoadDetector()
            tab = cp.analyze(i, v, fs=6400, waveforms=True)
            al = det.update(tab)
            ok = any(abs(a.sample - k0) < 640 for a in al)
            hits += ok; n += 1
            if not ok and bg in ("induction_cooker",) and r < 10:
                evs = det.event_source
    res[bg] = hits / n
    print(bg, round(hits / n, 2), flush=True)
