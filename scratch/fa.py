import sys; sys.path.insert(0, "benchmarks")
import eval_circuits as E, currentprint as cp
from pathlib import Path
data = E.DATA
others = [x for x in E.LABELS if x not in E.HEATERS]
for bg in ["induction_cooker", "air_conditioner"]:
    for a in others:
        if a == bg: continue
        for rb, rl in E.pairs(list(range(21, 41)), 2):
            c = E.mixture(data, (bg, rb), (a, rl))
            al = E.run(c, [cp.ResistiveLoadDetector()])
            for x in al:
                print(bg, a, rb, rl, x.sample, x.explanation, x.detail["background"])
