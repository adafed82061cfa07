from ident import *
lib = lib_from(LABELS, range(1, 21))
for bg in ["refrigerator", "kettle"]:
    for a in APPS:
        if a == bg: continue
        r = 21
        i, v, k0 = mix((bg, r), (a, r + 1))
        fp, x = event_fp(i, v, k0, robust=False)
        if fp is None: print(bg, a, "no event"); continue
        print(bg, a, lib.match(fp, 2), x[0].kind)
        i2, v2 = load(a, r+1)
        print("   standalone:", lib.identify(cp.fingerprint(i2, v2, fs=6400)))
