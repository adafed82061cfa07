from ident2 import *
import numpy as np
lib = lib_from(LABELS, range(1, 21))
c = lib._fit()
from currentprint.library import EMBED_GROUPS
for a in APPS:
    i, v = load(a, 25)
    tab = cp.analyze(i, v, fs=6400, waveforms=True)
    f_whole = cp.fingerprint(i, v, fs=6400)
    for L in (8, 24, 100):
        fp = fp_of(tab.i_wave[10:10+L].mean(0), tab.v_wave[10:10+L].mean(0), L)
        e = emb(lib, fp) - emb(lib, f_whole)
        per = {g: round(float(np.sqrt(np.nansum(e[EMBED_GROUPS == g]**2))), 2) for g in lib.group_weights}
        print(a, L, round(dist(lib, fp, f_whole),2), lib.identify(fp).label, round(lib.radius(a),2), per)
