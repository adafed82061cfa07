"""What one local Dask worker costs to start and stop, per way of starting it (issue 15).

Run from the repository root (needs the ``fleet`` extra)::

    python benchmarks/fleet_worker_start.py --rounds 3

Each measurement is a fresh Python process that has imported ``distributed``
and ``currentprint.fleet`` (as a caller of ``fleet.run`` has), then starts a
1-worker ``LocalCluster`` with ``fleet.local_cluster``'s settings, runs one
task that imports what a replay needs, and closes the cluster. Counted: wall
seconds, and CPU seconds of that process and every process it started
(reaped children, and those still alive such as a fork server, read from
``/proc`` through psutil), from just before the start to after the close.
Methods, rotated round by round:

* ``spawn``: a worker process started the way Dask does by default (a new
  interpreter, which imports ``distributed`` again): ``processes=True``;
* ``fork``: Dask's ``distributed.worker.multiprocessing-method: fork`` (the
  worker is a copy of the caller, nothing imported again);
* ``forkserver``: ``forkserver`` with ``distributed``, ``currentprint.fleet``
  and pyarrow preloaded in the server; its first use in a process, as in a
  single ``fleet.run`` (the server itself imports them);
* ``thread``: ``processes=False``, the worker a thread of the caller
  (``fleet.run``'s default for one worker);
* ``none``: the task's imports only, no cluster.

Prints one JSON line per measurement and a summary (median, min, max).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

METHODS = ("spawn", "fork", "forkserver", "thread", "none")


def _tree_cpu() -> float:
    import psutil
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in psutil.Process().children(recursive=True):
        try:
            ct = child.cpu_times()
            total += ct.user + ct.system
        except psutil.NoSuchProcess:
            pass
    return total


def _task() -> int:
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401

    import currentprint.fleet  # noqa: F401
    return os.getpid()


def one(method: str) -> dict:
    import dask
    from distributed import Client

    from currentprint import fleet
    from currentprint.fleet._run import CLUSTER_CONFIG
    c0, t0 = _tree_cpu(), time.perf_counter()
    if method == "none":
        pid = _task()
    else:
        if method in ("fork", "forkserver"):
            if method == "forkserver":
                import multiprocessing
                multiprocessing.get_context("forkserver").set_forkserver_preload(
                    ["distributed", "currentprint.fleet", "pyarrow.parquet", "pyarrow.json"])
            with dask.config.set({**CLUSTER_CONFIG, "distributed.worker.multiprocessing-method": method}):
                cluster = fleet.local_cluster(1, processes=True)
        else:
            cluster = fleet.local_cluster(1, processes=method == "spawn")
        with Client(cluster) as client:
            pid = client.submit(_task, pure=False).result()
        cluster.close()
    wall = time.perf_counter() - t0
    time.sleep(0.3)        # let exiting children be reaped
    return {"method": method, "wall_s": wall, "cpu_s": _tree_cpu() - c0, "in_process": pid == os.getpid()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--one", choices=METHODS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        import distributed  # noqa: F401  (the caller of fleet.run has these imported)

        import currentprint.fleet  # noqa: F401
        print(json.dumps(one(args.one)))
        return 0
    got: dict[str, list[dict]] = {m: [] for m in METHODS}
    for r in range(args.rounds):
        k = r % len(METHODS)
        for m in METHODS[k:] + METHODS[:k]:
            out = subprocess.run([sys.executable, __file__, "--one", m], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["load"] = os.getloadavg()[0]
            print(json.dumps(row), flush=True)
            got[m].append(row)
    print("method      CPU-s median (min-max)     wall s median (min-max)")
    for m, rows in got.items():
        c = [x["cpu_s"] for x in rows]
        w = [x["wall_s"] for x in rows]
        print(f"{m:11s} {statistics.median(c):.2f} ({min(c):.2f}-{max(c):.2f})"
              f"          {statistics.median(w):.2f} ({min(w):.2f}-{max(w):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
