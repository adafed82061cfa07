import sys; sys.path.insert(0, "benchmarks")
import eval_circuits as E, currentprint as cp
E.SWITCH_S, E.DURATION_S = 5.0, 8.0
for h in E.HEATERS:
    for rb, rl in E.pairs(list(range(21, 41)), 5):
        c = E.mixture(E.DATA, ("laptop", rb), (h, rl), resistive=True)
        t = cp.analyze(c.current, c.voltage, fs=6400, waveforms=True)
        det = cp.ResistiveLoadDetector()
        res = []
        for ev, pre, post, bg in det._events(t):
            ok, f, rules = det.judge(pre, post, ev.transient, background=bg)
            res.append((ev.sample, ev.kind, ok, {k: (round(r["value"], 4), round(r["limit"], 4)) for k, r in rules.items() if not r["passed"]}))
        if not any(r[2] and abs(r[0] - 32000) < 640 for r in res):
            print(h, rb, rl, res)
