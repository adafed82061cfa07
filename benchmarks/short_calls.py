"""Fixed costs of short calls: ``cp.analyze`` on short signals and one-cycle pushes.

    cd /tmp && python /path/to/benchmarks/short_calls.py [durations ...]     # default 1 10 60 600

For each duration (s, 6.4 kHz float64, the yardstick's signal of seed 3), the yardstick's
pipeline (``../shared/bench/reference.py``) and ``cp.analyze`` are timed interleaved, as
``ratio.py`` does, and the median ratio is printed; then the time of ``cp.analyze`` on a
signal of two cycles (the fixed cost of a call: validation, plan, stream, output tables) and
the median time of a one-cycle push (128 samples) into a ``CycleAnalyzer`` and into a
``Monitor`` with the fleet's default detectors. Timings: the machine must be quiet
(``uptime``); compare two trees with alternate runs, or count instructions
(``valgrind --tool=callgrind``).
"""
import os
import statistics
import sys
import time
import warnings

import numpy as np

import currentprint as cp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import reference  # noqa: E402
import synth  # noqa: E402

FS = 6400.0
DETECTORS = ["events", "arc_fault", "resistive_load", "overload"]   # fleet.DEFAULT_DETECTORS


def ratio(duration: float) -> None:
    s = synth.synthesize(fs=FS, duration=duration, seed=3)
    rounds = 5 if duration >= 60 else (21 if duration >= 10 else 101)

    def ref():
        tm = {}
        t0 = time.perf_counter()
        reference.run_pipeline(s.v, s.i, FS, n_harm=25, timings=tm)
        return time.perf_counter() - t0 - tm["events"]

    def ours():
        t0 = time.perf_counter()
        cp.analyze(s.i, s.v, fs=FS, harmonics=25)
        return time.perf_counter() - t0

    ref(), ours()
    r, o = [], []
    for _ in range(rounds):
        r.append(ref())
        o.append(ours())
    print(f"{duration:6g} s: ratio {statistics.median([a / b for a, b in zip(r, o)]):5.2f}x   "
          f"cp.analyze {statistics.median(o) * 1e3:8.3f} ms   yardstick {statistics.median(r) * 1e3:8.3f} ms",
          flush=True)


def median_us(f, n: int) -> float:
    f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e6


def pushes(obj, chunks) -> float:
    t = time.perf_counter()
    for a, b in chunks:
        obj.push(a, b)
    return (time.perf_counter() - t) / len(chunks) * 1e6


def main() -> None:
    warnings.simplefilter("ignore")
    for d in (float(x) for x in (sys.argv[1:] or ["1", "10", "60", "600"])):
        ratio(d)
    tiny = synth.synthesize(fs=FS, duration=0.06, seed=3)
    fixed = median_us(lambda: cp.analyze(tiny.i, tiny.v, fs=FS), 2001)
    print(f"analyze of 2 cycles (fixed cost per call): {fixed:.1f} us")
    s = synth.synthesize(fs=FS, duration=20, seed=3)
    chunks = [(s.i[k:k + 128].copy(), s.v[k:k + 128].copy()) for k in range(0, len(s.i) - 127, 128)]
    ca = statistics.median(pushes(cp.CycleAnalyzer(FS), chunks) for _ in range(5))
    mo = statistics.median(pushes(cp.Monitor(FS, detectors=DETECTORS), chunks) for _ in range(3))
    print(f"one-cycle push: CycleAnalyzer {ca:.1f} us, Monitor({', '.join(DETECTORS)}) {mo:.1f} us; "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
