import sys; sys.path.insert(0, "tests")
from test_circuit_loads import _rec, FS
import currentprint as cp
from currentprint.circuits import Circuit
for lead in (1.5, 3.0, 5.0):
    c = Circuit.from_recording(_rec("induction_cooker", 25), duration_s=lead + 1.5)
    c.add_recording(_rec("air_conditioner", 26), on_s=lead)
    t = cp.analyze(c.current, c.voltage, fs=FS, waveforms=True)
    det = cp.ResistiveLoadDetector()
    for ev, pre, post, bg in det._events(t):
        ok, f, rules = det.judge(pre, post, ev.transient, background=bg)
        print(lead, ev.sample, ev.kind, ok, round(f["mismatch"], 4), round(rules["proportional"]["limit"], 4), bg and round(bg.ratio_noise, 4), bg and bg.period)
