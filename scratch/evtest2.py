import sys; sys.path.insert(0, "/work/i12/scratch"); sys.path.insert(0, "/work/i12/benchmarks")
import ev3
if "pair" in sys.argv: ev3.install()
import eval_circuits as E, currentprint as cp
data = E.DATA
E.SWITCH_S = 5.0; E.DURATION_S = 8.0
for bg in ["induction_cooker", "kettle", "washing_machine", "air_conditioner"]:
    hit = n = extra = 0
    for a in E.NAMED:
        if a == bg: continue
        for rb, rl in E.pairs(list(range(21, 41)), 2):
            for kind in ("on", "off"):
                c = E.mixture(data, (bg, rb), (a, rl), on_s=E.SWITCH_S) if kind == "on" else E.mixture(data, (bg, rb), (a, rl), on_s=0.0, off_s=E.SWITCH_S)
                t = cp.analyze(c.current, c.voltage, fs=6400, waveforms=True)
                det = cp.EventDetector(); ev = det.push(t) + det.flush()
                h = [e for e in ev if abs(e.sample - E.SWITCH_S * 6400) < 640 and e.kind == kind]
                hit += bool(h); n += 1; extra += len(ev) - len(h)
    print(bg, hit / n, extra, flush=True)
