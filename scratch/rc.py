import sys; sys.path.insert(0, "tests")
from test_circuit_loads import _rec, FS
import currentprint as cp
from currentprint.circuits import Circuit
c = Circuit.from_recording(_rec("induction_cooker", 25), duration_s=3.0)
c.add_recording(_rec("air_conditioner", 26), on_s=1.5)
t = cp.analyze(c.current, c.voltage, fs=FS, waveforms=True)
det = cp.ResistiveLoadDetector()
for ev, pre, post, bg in det._events(t):
    ok, f, rules = det.judge(pre, post, ev.transient, background=bg)
    print(ev.sample, ev.kind, ev.delta_p, ok, bg and bg.info())
    print({k: (r["value"], r["limit"]) for k, r in rules.items() if not r["passed"]})
