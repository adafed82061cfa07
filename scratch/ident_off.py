from ident2 import *
lib = lib_from(LABELS, range(1, 21))
libs_wo = {a: lib_from([l for l in LABELS if l != a], range(1, 21)) for a in APPS}
T = [0, 0, 0, 0]
for bg in (sys.argv[2].split(",") if len(sys.argv) > 2 else LABELS):
    ok = n = unk = 0
    for a in APPS:
        if a == bg: continue
        for r in range(21, 41, 5):
            i, v, k0 = mix((bg, r), (a, r + 1), t_on=0.0, t_off=1.5)
            x = analyse(i, v, 9600, "off")
            n += 1
            if x is None:
                if "v" in sys.argv: print("   miss", bg, a, r)
                continue
            lab, m, nd, rad = identify(lib, x, sign=-1)
            ok += lab == a
            lab2, *_ = identify(libs_wo[a], x, sign=-1)
            unk += lab2 == "unknown"
            if lab != a and "v" in sys.argv: print("   ", bg, a, r, lab, round(m.distance,2), round(nd,2), round(rad,2), x[0].kind)
    T[0]+=ok;T[1]+=n;T[2]+=unk
    print(bg, "named", round(ok/n, 2), "unknown", round(unk/n, 2), flush=True)
print("ALL named", T[0]/T[1], "unknown", T[2]/T[1])
