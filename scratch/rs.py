import sys; sys.path.insert(0, "benchmarks")
import eval_circuits as E, currentprint as cp
import currentprint.detectors.resistive as R
E.SWITCH_S, E.DURATION_S = 5.0, 8.0
R.RATIO_SIGMA = float(sys.argv[1])
recs = list(range(21, 41))
for bg in ["induction_cooker", "laptop", "washing_machine"]:
    hit = n = 0
    for h in E.HEATERS:
        for rb, rl in E.pairs(recs, 5):
            c = E.mixture(E.DATA, (bg, rb), (h, rl), resistive=True)
            al = E.run(c, [cp.ResistiveLoadDetector()])
            hit += any(a.kind == "resistive_load" and abs(a.sample - E.SWITCH_S * E.FS) <= E.TOL for a in al); n += 1
    fa = m = 0
    for a in ["air_conditioner", "laptop", "desktop_pc", "tv", "refrigerator", "washing_machine", "range_hood", "induction_cooker"]:
        if a == bg: continue
        for rb, rl in E.pairs(recs, 5):
            c = E.mixture(E.DATA, (bg, rb), (a, rl))
            fa += any(x.kind == "resistive_load" for x in E.run(c, [cp.ResistiveLoadDetector()])); m += 1
    print(sys.argv[1], bg, "recall", hit, n, "FA", fa, m, flush=True)
