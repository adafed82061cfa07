"""Timeline of ``fleet.run(archive, out, workers=N)``: when the workers register, when pieces run.

Run from the repository root (needs the ``fleet`` extra)::

    python benchmarks/fleet_timeline.py --archive /tmp/fleet-archive --workers 2 --rounds 3
    python benchmarks/fleet_timeline.py --archive /tmp/fleet-archive --workers 2 --wait-for-workers

For each round (in one process, so the first round includes the imports of a
fresh process) it prints, in seconds since ``fleet.run`` was called: the end of
the planning (scan, manifest, resumption check), each worker's registration
with the scheduler, the first piece the scheduler received, and per worker the
start of its first piece, the end of its last, and the time it spent in pieces.
The scheduler runs in this process (the cluster ``fleet.run`` starts), so a
scheduler plugin sees every task's start and stop as the workers report them.

``--wait-for-workers`` makes ``fleet.run`` wait, before it submits anything,
until every worker its cluster is starting is up: what it did before
2026-11-29, when its client was made with ``Client(cluster)`` (which waits for
them), for comparing the two in one session. ``--compare`` instead times, in
each round, ``workers=1``, ``workers=N`` with that wait and ``workers=N``
without it (the order reversed every other round) and prints the wall times
and the throughput ratios. Not a test; prints text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

EVENTS: list[tuple] = []
T0 = [0.0]


def _install() -> None:
    """Record worker registrations and task start/stop times on every scheduler made from now on."""
    from distributed import scheduler as dsched
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Timeline(SchedulerPlugin):
        name = "cp-fleet-timeline"

        def add_worker(self, scheduler, worker):
            EVENTS.append(("register", worker, time.time() - T0[0]))

        def transition(self, key, start, finish, *args, **kwargs):
            if start == "released" and finish == "waiting" and not any(e[0] == "submitted" for e in EVENTS):
                EVENTS.append(("submitted", str(key), time.time() - T0[0]))
            if finish == "memory" and "startstops" in kwargs:
                for ss in kwargs["startstops"]:
                    if ss["action"] == "compute":
                        EVENTS.append(("piece", str(key), kwargs.get("worker"), ss["start"] - T0[0],
                                       ss["stop"] - T0[0]))

    init = dsched.Scheduler.__init__

    def patched(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.add_plugin(Timeline())
    dsched.Scheduler.__init__ = patched

    from currentprint.fleet import _run
    plan = _run._plan

    def timed_plan(*args, **kwargs):
        try:
            return plan(*args, **kwargs)
        finally:
            EVENTS.append(("planned", time.time() - T0[0]))
    _run._plan = timed_plan


def _wait_for_workers(on: bool = True) -> None:
    """Make fleet.run wait for every worker its cluster starts (as ``Client(cluster)`` did), or not."""
    from currentprint.fleet import _run
    result = getattr(_run._Starting.result, "_unwaited", _run._Starting.result)
    if not on:
        _run._Starting.result = result
        return

    def waiting(self):
        cluster = result(self)

        async def up():
            await cluster          # a SpecCluster is awaited until its workers have started
        cluster.sync(up)
        return cluster
    waiting._unwaited = result  # type: ignore[attr-defined]
    _run._Starting.result = waiting


def _compare(archive: str, workers: int, rounds: int, tmp: str) -> None:
    from currentprint import fleet

    def one(n: int, wait: bool) -> float:
        out = os.path.join(tmp, "out")
        shutil.rmtree(out, ignore_errors=True)
        _wait_for_workers(wait)
        t0 = time.perf_counter()
        fleet.run(archive, out, workers=n)
        return time.perf_counter() - t0
    one(1, False)                                     # imports and first-use costs, not counted
    for r in range(rounds):
        order = [(1, False), (workers, True), (workers, False)]
        if r % 2:
            order.reverse()
        load0 = os.getloadavg()[0]
        wall = {(n, wait): one(n, wait) for n, wait in order}
        w1 = wall[(1, False)]
        print(f"round {r}: workers=1 {w1:.2f} s, workers={workers} waiting {wall[(workers, True)]:.2f} s, "
              f"now {wall[(workers, False)]:.2f} s; {workers} over 1: waiting {w1 / wall[(workers, True)]:.2f}x, "
              f"now {w1 / wall[(workers, False)]:.2f}x; load {load0:.2f}-{os.getloadavg()[0]:.2f}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archive", required=True, help="a fleet archive (bench_fleet.py writes one)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--wait-for-workers", action="store_true",
                    help="submit only once every worker is up (fleet.run before 2026-11-29)")
    ap.add_argument("--pieces", action="store_true", help="list every piece")
    ap.add_argument("--compare", action="store_true",
                    help="per round: workers=1, workers=N waiting for every worker, workers=N now")
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="cp-fleet-timeline-")
    if args.compare:
        try:
            _compare(args.archive, args.workers, args.rounds, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return 0
    _install()
    if args.wait_for_workers:
        _wait_for_workers()
    from currentprint import fleet
    try:
        for r in range(args.rounds):
            out = os.path.join(tmp, "out")
            shutil.rmtree(out, ignore_errors=True)
            EVENTS.clear()
            t = os.times()
            c0, k0 = t.user + t.system, t.children_user + t.children_system
            T0[0] = time.time()
            fleet.run(args.archive, out, workers=args.workers)
            wall = time.time() - T0[0]
            t = os.times()
            print(f"round {r}: wall {wall:.2f} s, CPU this process {t.user + t.system - c0:.2f} s, worker "
                  f"processes {t.children_user + t.children_system - k0:.2f} s, load {os.getloadavg()[0]:.2f}")
            for e in EVENTS:
                if e[0] == "planned":
                    print(f"    planned            {e[1]:6.2f}")
                elif e[0] == "register":
                    print(f"    worker registered  {e[2]:6.2f}  {e[1]}")
                elif e[0] == "submitted":
                    print(f"    first piece in     {e[2]:6.2f}")
            by: dict[str, list] = {}
            for e in EVENTS:
                if e[0] == "piece":
                    by.setdefault(e[2], []).append(e)
            for w, es in sorted(by.items()):
                es.sort(key=lambda e: e[3])
                print(f"    {w}: {len(es)} pieces, first starts {es[0][3]:.2f}, last ends {es[-1][4]:.2f}, "
                      f"in pieces {sum(e[4] - e[3] for e in es):.2f} s")
                if args.pieces:
                    for e in es:
                        print(f"        {e[3]:6.2f} {e[4]:6.2f}  {e[1]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
