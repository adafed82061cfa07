import sys; sys.path.insert(0, "benchmarks")
import eval_circuits as E, currentprint as cp
E.SWITCH_S, E.DURATION_S = 5.0, 8.0
lib = E.library_from(E.DATA, E.LABELS, range(1, 21))
for bg in ["tv", "laptop"]:
    for a in E.NAMED:
        if a == bg: continue
        for rb, rl in E.pairs(list(range(21, 41)), 5):
            c = E.mixture(E.DATA, (bg, rb), (a, rl))
            al = E.run(c, ["events"], lib)
            ev = [(x.sample - 32000, x.detail["kind"], x.detail.get("match") and x.detail["match"]["label"], x.detail.get("match") and round(x.detail["match"]["distance"], 2), x.detail.get("match") and round(x.detail["match"]["noise_spread"], 2)) for x in al if x.kind == "event"]
            good = [e for e in ev if abs(e[0]) <= 640 and e[1] == "on" and e[2] == a]
            if not good: print(bg, a, rb, rl, ev)
