import numpy as np, currentprint as cp, datetime as dt
from currentprint.circuits import Circuit
from currentprint.io import load_recording
D = "../shared/data/hfhadc"
def rec(l, n): return load_recording(f"{D}/{l}_{n:02d}.npz")
lib = cp.FingerprintLibrary()
for l in ["refrigerator","tv","desktop_pc","air_conditioner","laptop","range_hood","kettle","washing_machine"]:
    for r in range(1, 21):
        x = rec(l, r); i = x.current * x.calibration.current_scale; v = x.voltage * x.calibration.voltage_scale
        lib.enroll(l, cp.fingerprint(i, v, fs=x.fs))
c = Circuit.from_recording(rec("washing_machine", 25), duration_s=20.0)
c.add_recording(rec("kettle", 22), on_s=2.0, off_s=9.0, resistive=True)
c.add_recording(rec("tv", 23), on_s=4.0, off_s=15.0)
c.add_recording(rec("air_conditioner", 24), on_s=6.0, off_s=12.0)
tr = cp.ApplianceTracker()
mon = cp.Monitor(fs=6400, detectors=[tr, "resistive_load", "events"], library=lib, start_time=dt.datetime(2026, 11, 27, 8, 0))
al = mon.run(c.current, c.voltage) + mon.flush()
for a in al: print(a)
for r in tr.timeline(): print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
for t in c.truth(): print(t)
print(tr.ledger())
try:
    print(tr.to_pandas())
except ImportError as e: print(e)
for a in al:
    if a.kind == "event": print(a.detail["match"], a.detail.get("background"))
print(lib.radius("kettle"))
