import sys; sys.path.insert(0, "benchmarks")
import numpy as np, currentprint as cp
import eval_circuits as E
from currentprint.circuits import Circuit
rng = np.random.default_rng(1)
fs, dur = 6400.0, 20.0
t = np.arange(int(fs * dur)) / fs
for s in range(6):
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t) + 6.0 * np.sin(2 * np.pi * 150.0 * t + 0.3)
    c = Circuit(v, fs)
    for j in range(3):
        on = 1.0 + 3.0 * j + rng.uniform(0, 1); off = on + rng.uniform(4.0, 9.0)
        kind = ["heater", "motor", "smps"][j]
        i = E._synth_load(kind, v, fs, rng)
        c.add_branch(i[int(round(on * fs)):int(round(off * fs))], label=kind, on_s=round(on * fs) / fs, off_s=round(off * fs) / fs)
    tr = cp.ApplianceTracker(); mon = cp.Monitor(fs=fs, detectors=[tr]); mon.run(c.current, c.voltage); mon.flush()
    print([(x["label"], round(x["on_s"],3), round(x["off_s"],3), round(x["mean_power_w"])) for x in c.truth()])
    print([(x["label"], round(x["on_s"],3), x["off_s"] and round(x["off_s"],3), round(x["power_w"])) for x in tr.timeline()], tr.unpaired())
