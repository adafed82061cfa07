import sys; sys.path.insert(0, "benchmarks")
import numpy as np, math
import eval_circuits as E, currentprint as cp
from currentprint.circuits import Circuit
data = E.DATA
recs = list(range(1, 41))
rng = np.random.default_rng(0)
lib = E.library_from(data, E.LABELS, recs[:20])
for s in range(6):
    bg = E.LABELS[rng.integers(len(E.LABELS))]
    c = Circuit.from_recording(E.rec(data, bg, int(rng.choice(recs))), duration_s=20.0)
    chosen = rng.choice([x for x in E.LABELS if x != bg], size=3, replace=False)
    for j, lab in enumerate(chosen):
        on = 1.0 + 2.5 * j + rng.uniform(0, 1); off = on + rng.uniform(4.0, 9.0)
        c.add_recording(E.rec(data, str(lab), int(rng.choice(recs[20:]))), label=str(lab), on_s=round(on, 3), off_s=round(off, 3), resistive=lab in E.HEATERS)
    tr = cp.ApplianceTracker()
    mon = cp.Monitor(fs=c.fs, detectors=[tr], library=lib)
    mon.run(c.current, c.voltage); mon.flush()
    print("bg", bg)
    for t in c.truth()[1:]: print("   T", t["label"], t["on_s"], t["off_s"], round(t["mean_power_w"]), round(t["energy_wh"], 4))
    for r in tr.timeline(): print("   R", r["label"], round(r["on_s"], 3), r["off_s"] and round(r["off_s"], 3), round(r["power_w"]), round(r["energy_wh"], 4))
    print("   U", tr.unpaired())
