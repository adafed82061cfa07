from ident2 import *
from currentprint.library import EMBED_GROUPS
import currentprint.fingerprints as F
lib = lib_from(LABELS, range(1, 21))
i, v, k0 = mix(("kettle", 21), ("air_conditioner", 22))
x = analyse(i, v, k0, "on")
ev, s0, s1, info, _ = x
fp = fp_of(s1.i_wave - s0.i_wave, s1.v_wave, s1.n_cycles)
ia, va = load("air_conditioner", 22)
ref = cp.fingerprint(ia, va, fs=6400)
e = emb(lib, fp) - emb(lib, ref)
print(info)
print({g: round(float(np.sqrt(np.nansum(e[EMBED_GROUPS == g]**2))), 2) for g in lib.group_weights})
names = fp.feature_names if hasattr(fp, "feature_names") else None
from currentprint.library import embed
import numpy as np
idx = np.argsort(-np.nan_to_num(np.abs(e)))[:8]
print(idx, e[idx], EMBED_GROUPS[idx])
print(fp.thd, ref.thd, fp.pf, ref.pf, fp.features.get("i_rms"), ref.features.get("i_rms"))
print(lib.match(ref, 1), lib.match(fp, 1), lib.radius("air_conditioner"))
for r in (22, 27, 32, 37):
    ia, va = load("air_conditioner", r)
    t = cp.analyze(ia, va, fs=6400, waveforms=True)
    print(r, lib.match(cp.fingerprint(ia, va, fs=6400), 1)[0].distance, lib.match(fp_of(t.i_wave[50:58].mean(0), t.v_wave[50:58].mean(0), 8), 1)[0].distance)
