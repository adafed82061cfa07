import sys, runpy, numpy as np
sys.path.insert(0, "/work/i12/scratch")
import currentprint.events as E
orig = E.EventDetector._features
def feat(self, cycles):
    x = orig(self, cycles)
    prev = getattr(self, "_prevx", None)
    prev = x[:1] if prev is None else prev
    y = 0.5 * (x + np.concatenate([prev, x[:-1]]))
    self._prevx = x[-1:].copy()
    return np.ascontiguousarray(y)
if "pair" in sys.argv: E.EventDetector._features = feat
sys.argv = ["eval_events.py", "--quick"]
runpy.run_path("benchmarks/eval_events.py", run_name="__main__")
