import numpy as np, currentprint as cp, sys
sys.path.insert(0, "tests")
from test_circuit_loads import _rec, FS
from currentprint.circuits import Circuit
c = Circuit.from_recording(_rec("washing_machine", 30), duration_s=10.0)
c.add_recording(_rec("tv", 31), on_s=1.0, off_s=7.0)
c.add_recording(_rec("air_conditioner", 32), on_s=3.0, off_s=6.0)
tr = cp.ApplianceTracker()
mon = cp.Monitor(fs=FS, detectors=[tr])
mon.run(c.current, c.voltage)
for r in tr._runs: print(r["label"], r["on_power_w"], r["off_power_w"])
for comp in c.components:
    p = comp.current * c.voltage
    pc = p[:len(p)//128*128].reshape(-1, 128).mean(1)
    print(comp.label, np.round(pc[comp.on_sample//128: comp.on_sample//128 + 12]).tolist(), pc[comp.on_sample//128:comp.off_sample//128].mean())
