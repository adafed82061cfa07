import numpy as np, currentprint as cp, sys
for f in sys.argv[1:]:
    d = np.load(f)
    det = cp.ResistiveLoadDetector(calibrated=False, min_power_w=1e4)
    t = cp.analyze(d["current"], d["voltage"], fs=float(d["fs"]), waveforms=True)
    for ev, pre, post, bg in det._events(t):
        ok, feat, rules = det.judge(pre, post, ev.transient, calibrated=False, background=bg)
        print(f.split("/")[-1], ev.sample, ev.kind, ok, bg.info() if bg else None, ev.transient.ratio)
        print("   ", {k: (round(r["value"], 4) if isinstance(r["value"], float) else r["value"], round(r["limit"], 4)) for k, r in rules.items()})
