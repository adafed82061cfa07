"""What bounds ``cp.analyze(..., workers=2)``, from CPU times that other processes hardly disturb.

    cd /tmp && python /path/to/benchmarks/workers_critical_path.py [fs]

On a machine without a free core the two-thread speed-up cannot be timed (``workers_ratio.py``).
This measures CPU time per thread (``time.thread_time``), which a busy machine changes far less:

* one worker: the whole call on the calling thread (best of 9);
* two workers: in each call, the calling thread's CPU time and the helper thread's (the sum of
  its tasks: the current's NaN pass with half of the framing scan, then its share of the cycles),
  and the process's; the call with the smallest larger-of-the-two is shown.

The cycles are shared in chunks, so the two threads' times come out nearly equal whatever the
load; with two free cores the call takes about the larger of them plus the hand-overs (tens of
µs), and ``one worker / max(thread CPU)`` is the speed-up to expect. The difference between
the process CPU of a two-worker call and the one-worker time is what running on two threads
costs in total (setting up the split scan and the chunks, caches, the shared memory bus).
Needs ../shared/bench (the yardstick's synth.py)."""
import os
import sys
import time

import currentprint as cp
import currentprint.core.analyzer as analyzer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import synth  # noqa: E402

fs = float(sys.argv[1]) if len(sys.argv) > 1 else 6400.0
s = synth.synthesize(fs=fs, duration=600.0, seed=3)
i, v = s.i, s.v

helper_cpu = []


class _Timed:
    """The module's pool, with each task's thread CPU time recorded."""

    def __init__(self, pool):
        self.pool = pool

    def submit(self, fn, *args):
        def run():
            c = time.thread_time()
            try:
                return fn(*args)
            finally:
                helper_cpu.append(time.thread_time() - c)
        return self.pool.submit(run)


one = []
for _ in range(9):
    c = time.thread_time()
    cp.analyze(i, v, fs=fs)
    one.append(time.thread_time() - c)
t1 = min(one)

orig = analyzer._helper_pool
analyzer._helper_pool = lambda n: _Timed(orig(n))
try:
    cp.analyze(i, v, fs=fs, workers=2)
    rows = []
    for _ in range(9):
        helper_cpu.clear()
        c, p, w = time.thread_time(), time.process_time(), time.perf_counter()
        cp.analyze(i, v, fs=fs, workers=2)
        c, p, w = time.thread_time() - c, time.process_time() - p, time.perf_counter() - w
        time.sleep(0.01)            # a cancelled or late task has finished
        rows.append((max(c, sum(helper_cpu)), c, sum(helper_cpu), p, w, len(helper_cpu)))
finally:
    analyzer._helper_pool = orig
rows.sort()
crit, main, helper, proc, wall, ntasks = rows[0]
print(f"fs {fs:g} Hz, load {os.getloadavg()[0]:.1f}: one worker {t1 * 1e3:.1f} ms CPU; two workers: "
      f"calling thread {main * 1e3:.1f} ms, helper {helper * 1e3:.1f} ms ({ntasks} tasks), process "
      f"{proc * 1e3:.1f} ms (+{(proc - t1) * 1e3:.1f}), wall {wall * 1e3:.1f} ms")
print(f"  two workers at most {t1 / crit:.2f}x one (median over calls "
      f"{t1 / sorted(r[0] for r in rows)[len(rows) // 2]:.2f}x)")
