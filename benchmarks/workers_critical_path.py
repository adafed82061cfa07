"""Upper bound of ``cp.analyze(..., workers=2)`` from single-thread CPU times of its parts.

    cd /tmp && python /path/to/benchmarks/workers_critical_path.py [fs]

On a machine without a free core the two-thread speed-up cannot be timed (``workers_ratio.py``);
this measures, on one thread and in CPU time (``process_time``, best of 7), what a push is made of:
the NaN/range passes of both channels, the framing scan (whole, and each half), and the rest
(cycles and Python glue). With two threads the critical path is
max(voltage pass + first half of the scan, current pass + second half) + glue + cycles / 2
(the split scan of ``_core.stream_push``); thread hand-over and memory-bus sharing are not counted,
so the printed speed-ups are upper bounds. Needs ../shared/bench (the yardstick's synth.py)."""
import os
import sys
import time

import numpy as np

import currentprint as cp
from currentprint import _core

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import synth  # noqa: E402

fs = float(sys.argv[1]) if len(sys.argv) > 1 else 6400.0
s = synth.synthesize(fs=fs, duration=600.0, seed=3)
i, v = s.i, s.v


def best(f, rounds=7):
    b = 1e9
    for _ in range(rounds):
        t = time.process_time()
        f()
        b = min(b, time.process_time() - t)
    return b


an = cp.CycleAnalyzer(fs=fs)
an.push(i[: int(fs)], v[: int(fs)])
st = an._stream


def scan(x):
    state = _core.new_scan_state()
    out = np.empty(len(x) // int(st.min_period) + 10)
    _core.scan_crossings(x, state, out, st.decay, st.hysteresis, st.min_period, np.zeros((3, 5)), False)


push_time = []
orig = _core.stream_push


def timed_push(*a):
    t = time.process_time()
    r = orig(*a)
    push_time.append(time.process_time() - t)
    return r


h = (len(v) // 2) & ~3
tot = best(lambda: cp.analyze(i, v, fs=fs))
nf_i = best(lambda: _core._nonfinite_task(i))
nf_v = best(lambda: _core._nonfinite_task(v))
sc, sc1, sc2 = best(lambda: scan(v)), best(lambda: scan(v[:h])), best(lambda: scan(v[h:]))
cp.core.analyzer._core.stream_push = timed_push
try:
    t_all = []
    for _ in range(7):
        t = time.process_time()
        cp.analyze(i, v, fs=fs)
        t_all.append(time.process_time() - t)
    k = int(np.argmin(t_all))
    glue = t_all[k] - push_time[k]
finally:
    cp.core.analyzer._core.stream_push = orig
cycles = tot - nf_i - nf_v - sc - glue
print(f"fs {fs:g} Hz, load {os.getloadavg()[0]:.1f}: one thread {tot * 1e3:.1f} ms = NaN/range passes "
      f"{(nf_i + nf_v) * 1e3:.1f} + framing scan {sc * 1e3:.1f} (halves {sc1 * 1e3:.1f} + {sc2 * 1e3:.1f}) "
      f"+ glue {glue * 1e3:.1f} + cycles {cycles * 1e3:.1f}")
for name, seq in (("passes and scan on one thread", nf_i + nf_v + sc + glue),
                  ("current pass beside, scan split (this code)", max(nf_v + sc1, nf_i + sc2) + glue)):
    print(f"  {name}: critical path {(seq + cycles / 2) * 1e3:.1f} ms, two workers at most "
          f"{tot / (seq + cycles / 2):.2f}x")
