"""``cp.analyze(..., workers=2)`` against one worker on 10 minutes of the yardstick's signal.

    cd /tmp && python /path/to/benchmarks/workers_ratio.py [fs]

Alternates one and two workers 7 times (tables checked identical first) and prints the median
times and the median speed-up. Needs ../shared/bench (the yardstick's synth.py) beside the
checkout; meaningful only when two cores are free (check ``uptime``)."""
import os
import statistics
import sys
import time

import numpy as np

import currentprint as cp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import synth  # noqa: E402

fs = float(sys.argv[1]) if len(sys.argv) > 1 else 6400.0
s = synth.synthesize(fs=fs, duration=600.0, seed=3)
a = cp.analyze(s.i, s.v, fs=fs)
b = cp.analyze(s.i, s.v, fs=fs, workers=2)
assert np.array_equal(a.i_rms, b.i_rms) and np.array_equal(a.harmonics, b.harmonics)
r, t1s, t2s = [], [], []
for _ in range(7):
    t = time.perf_counter(); cp.analyze(s.i, s.v, fs=fs); t1 = time.perf_counter() - t
    t = time.perf_counter(); cp.analyze(s.i, s.v, fs=fs, workers=2); t2 = time.perf_counter() - t
    r.append(t1 / t2); t1s.append(t1); t2s.append(t2)
print(f"fs {fs:g} Hz, load {os.getloadavg()[0]:.1f}: 1 worker {statistics.median(t1s):.3f} s, 2 workers "
      f"{statistics.median(t2s):.3f} s, speed-up median {statistics.median(r):.2f} "
      f"(runs {', '.join(f'{x:.2f}' for x in r)})")
