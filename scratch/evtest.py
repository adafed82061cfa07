import sys
from mix import *; import currentprint as cp
from ev2 import PairED
APPS = ["refrigerator","tv","desktop_pc","air_conditioner","laptop","range_hood"]
for cls in (cp.EventDetector, PairED):
  for bg in ["induction_cooker", "kettle", "washing_machine", "refrigerator"]:
    hit = n = extra = 0
    for a in APPS:
      for r in (21, 31):
        i,v,k0=mix((bg,r),(a,r+1))
        t=cp.analyze(i,v,fs=6400,waveforms=True)
        ev=cls().push(t)
        h = [e for e in ev if abs(e.sample-k0) < 640]
        hit += bool(h); n += 1; extra += len(ev) - len(h)
    print(cls.__name__, bg, hit/n, extra)
