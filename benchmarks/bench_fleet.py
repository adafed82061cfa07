"""Fleet replay at full size: same answers as a plain loop, scaling over workers, overhead, memory.

Run from the repository root (needs the ``fleet`` extra)::

    python benchmarks/bench_fleet.py                      # 20 terminals x 15 min, 5-min files with gaps
    python benchmarks/bench_fleet.py --terminals 40 --hours 0.5 --archive /tmp/fleet-archive

It writes (or reuses, with ``--archive``) a demo archive, then times, on the
same archive in the same process:

* ``plain``: a plain sequential loop (per terminal, files in time order
  through one ``Monitor``, a new one at each gap; no output written);
* ``sequential``: ``fleet.run_sequential`` (the same work plus the Parquet
  tables, no Dask);
* ``dask-1`` / ``dask-2``: ``fleet.run(..., client=...)`` on a cluster of
  ``fleet.local_cluster(1 or 2)`` started beforehand (what a user with a
  running cluster sees): cluster start-up and the workers' first imports
  not included, but reported apart (``cluster_start_s``,
  ``cluster_start_and_imports_cpu_s``): fixed costs per run and per worker;
* ``dask-1-cold``: ``fleet.run(archive, out, workers=1)`` as a user calls it
  without a cluster: start, imports, run and stop of its own LocalCluster
  all included (CPU of this process and of the worker processes);
* ``dask-1-defaults`` (``--dask-defaults``): like ``dask-1`` on a
  ``LocalCluster`` with Dask's default worker settings, to show what
  ``local_cluster`` changes.

and checks that the alert and event tables of every run equal the plain
loop row for row. Memory: the peak resident set of each worker process
(``VmHWM``) after the run, beside that of a fresh worker, the size of the
largest recording and the size of the archive.

Times on a shared machine are noisy: compare the ratios of one run. Not a
pytest benchmark (it defines no tests); the numbers go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def plain_loop(archive: Path, gap_tolerance_s: float = 1.0) -> tuple[list[tuple], float]:
    """Alerts and events of the plain sequential Monitor loop, and its wall time, s."""
    import pyarrow.parquet as pq

    import currentprint as cp
    t0 = time.perf_counter()
    manifest = pq.read_table(archive / "manifest.parquet").to_pylist()
    rows = []
    for terminal in sorted({r["terminal"] for r in manifest}):
        cfg = json.loads((archive / terminal / "terminal.json").read_text())
        cal = cp.Calibration(**cfg["calibration"])
        files = sorted((r for r in manifest if r["terminal"] == terminal), key=lambda r: r["start"])
        mon = origin = end = None

        def emit(alerts):
            for a in alerts:
                t = origin + _dt.timedelta(microseconds=round(a.sample * 1e6 / cfg["fs"]))
                detail = json.dumps(a.to_dict()["detail"], separators=(",", ":"), sort_keys=True)
                rows.append((terminal, t, a.sample, a.kind, a.detector, detail, a.explanation))

        for r in files:
            rec = cp.io.load_recording(archive / terminal / r["file"])
            if mon is None or abs((r["start"] - end).total_seconds()) > gap_tolerance_s:
                if mon is not None:
                    emit(mon.flush())
                mon = cp.Monitor(fs=cfg["fs"], mains_hz=cfg["mains_hz"], calibration=cal,
                                 detectors=list(cfg["detectors"]))
                origin = r["start"]
            emit(mon.run(rec.current, rec.voltage, chunk=int(cfg["fs"])))
            end = r["start"] + _dt.timedelta(seconds=rec.current.shape[0] / cfg["fs"])
        emit(mon.flush())
    return rows, time.perf_counter() - t0


def fleet_rows(out: Path) -> list[tuple]:
    from currentprint import fleet
    rows = []
    for name in ("alerts", "events"):
        for r in fleet.read_table(out, name).to_pylist():
            rows.append((r["terminal"], r["time"], r["sample"], r["kind"] if name == "alerts" else "event",
                         r["detector"], r["detail"], r["explanation"]))
    return rows


def same(a: list[tuple], b: list[tuple]) -> bool:
    key = lambda r: (r[0], r[1], r[2], r[4], r[3])  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    return len(a) == len(b) and all(x[0] == y[0] and x[2:] == y[2:] and abs((x[1] - y[1]).total_seconds()) <= 2e-6
                                    for x, y in zip(a, b))


def _peak_rss_mb() -> float:
    """Peak resident set of this process since it started (VmHWM; ru_maxrss survives exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def _cpu_s() -> float:
    """CPU seconds (user + system) this process has used."""
    t = os.times()
    return t.user + t.system


def _warm() -> float:
    """Import what a piece needs (once per worker process); returns the seconds it took."""
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (pyarrow imports it when it first builds a table from rows)
    import pyarrow.parquet  # noqa: F401

    import currentprint.fleet  # noqa: F401
    return time.perf_counter() - t0


def dask_run(archive: Path, out: Path, n_workers: int, dask_defaults: bool = False) -> dict:
    """``fleet.run`` on a cluster started beforehand (the ``client=`` case), timed without the start-up."""
    from distributed import Client, LocalCluster

    from currentprint import fleet
    t0 = time.perf_counter()
    c0 = _cpu_s()
    if dask_defaults:
        # Dask's own defaults (worker profiler on, MALLOC_TRIM_THRESHOLD_=65536): what a user's
        # `dask worker` gives unless configured as docs/fleet.md says
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    else:
        cluster = fleet.local_cluster(n_workers, dashboard_address=":0")
    client = Client(cluster)
    start_s = time.perf_counter() - t0
    start_client_cpu = _cpu_s() - c0
    try:
        # the imports every worker does once (a fixed cost, not one that grows with the archive)
        warm = client.run(_warm)
        fresh = client.run(_rss_mb)
        start_cpu = start_client_cpu + sum(client.run(_cpu_s).values())
        cpu0 = client.run(_cpu_s)
        me0 = _cpu_s()
        t0 = time.perf_counter()
        rep = fleet.run(archive, out, client=client)
        wall = time.perf_counter() - t0
        me = _cpu_s() - me0
        cpu1 = client.run(_cpu_s)
        peak = client.run(_peak_rss_mb)
    finally:
        client.close()
        cluster.close()
    # how much of the wall time each worker got a CPU for: on a machine shared with other work the
    # second worker's gain is bounded by the CPU the system gives it
    busy = sorted((cpu1[w] - cpu0[w]) / wall for w in cpu1)
    return {"seconds": wall, "cluster_start_s": start_s, "cluster_start_and_imports_cpu_s": start_cpu,
            "worker_import_s": sorted(warm.values()),
            "worker_cpu_share": busy, "cpu_s": me + sum(cpu1[w] - cpu0[w] for w in cpu1),
            "client_cpu_s": me, "worker_cpu_s": sorted(cpu1[w] - cpu0[w] for w in cpu1),
            "report": rep.to_dict(),
            "worker_rss_fresh_mb": sorted(fresh.values()), "worker_peak_rss_mb": sorted(peak.values())}


def dask_cold(archive: Path, out: Path, n_workers: int) -> dict:
    """``fleet.run(archive, out, workers=n)`` as a user calls it: the cluster's start and stop included.

    CPU: this process plus its children (the worker processes, counted when they exit).
    """
    from currentprint import fleet
    t = os.times()
    c0 = t.user + t.system + t.children_user + t.children_system
    t0 = time.perf_counter()
    rep = fleet.run(archive, out, workers=n_workers)
    wall = time.perf_counter() - t0
    t = os.times()
    return {"seconds": wall, "cpu_s": t.user + t.system + t.children_user + t.children_system - c0,
            "report": rep.to_dict()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--terminals", type=int, default=20)
    ap.add_argument("--hours", type=float, default=0.25)
    ap.add_argument("--file-s", type=float, default=300.0)
    ap.add_argument("--archive", help="archive folder to reuse (written there if absent)")
    ap.add_argument("--rounds", type=int, default=2, help="measurement rounds; the best of each is kept")
    ap.add_argument("--keep", action="store_true", help="keep the output folders")
    ap.add_argument("--only", help="comma-separated configurations to run besides plain "
                    "(sequential, dask-1, dask-2, dask-1-cold, dask-1-defaults)")
    ap.add_argument("--dask-defaults", action="store_true",
                    help="also run 1 worker with Dask's default worker settings (profiler, MALLOC_TRIM_THRESHOLD_)")
    args = ap.parse_args(argv)

    from currentprint import fleet
    work = Path(tempfile.mkdtemp(prefix="cp-bench-fleet-"))
    archive = Path(args.archive) if args.archive else work / "archive"
    result: dict = {"machine": {"cpus": os.cpu_count(), "note": "shared machine: timings are noisy"}}
    if not (archive / "manifest.parquet").exists():
        t0 = time.perf_counter()
        info = fleet.write_demo(archive, terminals=args.terminals, hours=args.hours, file_s=args.file_s)
        result["demo"] = {**info, "write_s": time.perf_counter() - t0}
    import pyarrow.parquet as pq
    man = pq.read_table(archive / "manifest.parquet").to_pandas()
    audio_s = float(man.duration_s.sum())
    largest = int(man.n_samples.max())
    result["archive"] = {"terminals": int(man.terminal.nunique()), "files": len(man), "audio_h": audio_s / 3600,
                         "largest_recording_samples": largest,
                         "largest_recording_mb_int16": largest * 2 * 2 / 2**20,
                         "largest_recording_mb_float64": largest * 2 * 8 / 2**20,
                         "archive_mb": sum(p.stat().st_size for p in archive.rglob("*") if p.is_file()) / 2**20}
    print(json.dumps(result["archive"]), file=sys.stderr)

    # rounds of every configuration in turn: the best of each is compared, so a burst of load from
    # other users of the machine hits every configuration alike. CPU seconds (all processes of the
    # run) are reported beside the wall time: on a machine shared with other work the wall time
    # mostly measures how long the processes waited for a CPU
    names = ["plain", "sequential", "dask-1", "dask-2", "dask-1-cold"]
    if args.dask_defaults:
        names.append("dask-1-defaults")
    if args.only:
        names = ["plain"] + [n for n in args.only.split(",") if n != "plain"]
        unknown = set(names) - {"plain", "sequential", "dask-1", "dask-2", "dask-1-cold", "dask-1-defaults"}
        if unknown:
            ap.error(f"unknown --only names: {', '.join(sorted(unknown))}")
    times: dict[str, list[float]] = {k: [] for k in names}
    cpus: dict[str, list[float]] = {k: [] for k in times}
    loads = []
    ref = None
    for rnd in range(args.rounds):
        loads.append(os.getloadavg()[0])
        c0 = _cpu_s()
        rows, t = plain_loop(archive)
        cpus["plain"].append(_cpu_s() - c0)
        ref = ref or rows
        times["plain"].append(t)
        result["plain"] = {"rows": len(ref), "equal_across_rounds": rows == ref}
        shutil.rmtree(work / "seq", ignore_errors=True)
        if "sequential" in names:
            c0 = _cpu_s()
            t0 = time.perf_counter()
            rep = fleet.run_sequential(archive, work / "seq")
            times["sequential"].append(time.perf_counter() - t0)
            cpus["sequential"].append(_cpu_s() - c0)
            result["sequential"] = {"equal_to_plain": same(fleet_rows(work / "seq"), ref), "pieces": rep.pieces}
        for name in names:
            if name in ("plain", "sequential"):
                continue
            shutil.rmtree(work / name, ignore_errors=True)
            if name == "dask-1-cold":
                r = dask_cold(archive, work / name, 1)
            else:
                r = dask_run(archive, work / name, int(name.split("-")[1]), dask_defaults=name.endswith("defaults"))
            times[name].append(r.pop("seconds"))
            cpus[name].append(r.pop("cpu_s"))
            r["equal_to_plain"] = same(fleet_rows(work / name), ref)
            result[name] = r
        loads.append(os.getloadavg()[0])
        print(f"round {rnd}: wall", {k: round(v[-1], 2) for k, v in times.items()},
              "cpu", {k: round(v[-1], 2) for k, v in cpus.items()}, "load", loads[-2:], file=sys.stderr)
    result["machine"]["load_average_1min"] = loads
    for k, v in times.items():
        result[k].update({"seconds": min(v), "all_seconds": v, "xRT": audio_s / min(v),
                          "cpu_s": min(cpus[k]), "all_cpu_s": cpus[k]})
    # ratios to the plain loop: of the best rounds, and the median of each round's own ratio (the
    # configurations of one round ran back to back, under about the same load)
    c_plain = result["plain"]["cpu_s"]
    ratios = {}
    for k in names[1:]:
        paired_wall = sorted(a / b for a, b in zip(times[k], times["plain"]))
        paired_cpu = sorted(a / b for a, b in zip(cpus[k], cpus["plain"]))
        ratios[k] = {"wall_best_over_plain_best": result[k]["seconds"] / result["plain"]["seconds"],
                     "cpu_best_over_plain_best": result[k]["cpu_s"] / c_plain,
                     "wall_per_round_median": float(statistics.median(paired_wall)),
                     "cpu_per_round_median": float(statistics.median(paired_cpu)),
                     "cpu_per_round": paired_cpu}
    if "dask-1" in names and "dask-2" in names:
        ratios["throughput_2_over_1_workers"] = result["dask-1"]["seconds"] / result["dask-2"]["seconds"]
        ratios["throughput_2_over_1_workers_per_round"] = sorted(
            a / b for a, b in zip(times["dask-1"], times["dask-2"]))
    result["ratios"] = ratios
    print(json.dumps(result, indent=2, default=str))
    if not args.keep:
        for name in ("seq", *names):
            shutil.rmtree(work / name, ignore_errors=True)
        if not args.archive:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
