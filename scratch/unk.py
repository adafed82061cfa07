from ident2 import *
import collections
lib = lib_from(LABELS, range(1, 21))
libs_wo = {a: lib_from([l for l in LABELS if l != a], range(1, 21)) for a in APPS}
for c in (2.0, 3.0):
    bad = collections.Counter(); nam = collections.Counter(); n = collections.Counter()
    for bg in ["kettle", "refrigerator", "laptop", "water_dispenser"]:
        for a in APPS:
            if a == bg: continue
            for r in range(21, 41, 5):
                i, v, k0 = mix((bg, r), (a, r + 1))
                x = analyse(i, v, k0, "on")
                if x is None: continue
                n[a] += 1
                lab2, m2, *_ = identify(libs_wo[a], x, c=c)
                if lab2 != "unknown": bad[(a, lab2)] += 1
                lab, *_ = identify(lib, x, c=c)
                nam[a] += lab == a
    print(c, dict(bad), {a: nam[a] / n[a] for a in n})
