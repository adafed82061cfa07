"""Fleet replay at full size: same answers as a plain loop, scaling over workers, overhead, memory.

Run from the repository root (needs the ``fleet`` extra)::

    python benchmarks/bench_fleet.py                      # 20 terminals x 15 min, 5-min files with gaps
    python benchmarks/bench_fleet.py --terminals 40 --hours 0.5 --archive /tmp/fleet-archive

It writes (or reuses, with ``--archive``) a demo archive, then times, on the
same archive in the same (already warm) process, in rounds whose order is
rotated:

* ``plain``: a plain sequential loop doing the same work: per terminal, its
  files in time order through one ``Monitor`` (a new one at each gap), 1-s
  pushes, the alert and event rows, the per-minute summaries, and one
  Parquet file per terminal for each of the ``alerts``, ``events`` and
  ``minutes`` tables (the fleet's columns), written plainly. Counted: this
  process's CPU and the loop's wall time, manifest read to last file
  written.
* ``sequential``: ``fleet.run_sequential`` (the fleet's code without Dask:
  scan, plan, replay, partitions written atomically with fsync, completion
  markers, manifest, errors table). Counted: this process.
* ``dask-1`` / ``dask-2``: ``fleet.run(..., client=...)`` on a cluster of
  ``fleet.local_cluster(1 or 2)`` started beforehand (what a user with a
  running cluster sees). Counted: the CPU of this process (client,
  scheduler and nannies run here) plus that of the worker processes over
  the run, and its wall time; the cluster's start-up and the workers'
  first imports are not included but reported apart (``cluster_start_s``,
  ``cluster_start_and_imports_cpu_s``): fixed costs per run and per worker;
* ``dask-1-cold``: ``fleet.run(archive, out, workers=1)`` as a user calls it
  without a cluster: by default its one worker is a thread of this
  process. Counted: start, run and stop of its own LocalCluster (CPU of
  this process and of its child processes, counted when they exit);
* ``dask-1-cold-process``: the same with ``processes=True`` (one worker
  process with a nanny): the worker's start (a spawned interpreter
  importing ``distributed``), imports and stop are counted too;
* ``dask-2-cold``: ``fleet.run(archive, out, workers=2)`` as a user calls
  it: by default one worker is a thread of this process that replays at
  once and the other a worker process that starts meanwhile and joins
  (``processes=None``), counted the same way;
* ``dask-2-cold-process``: the same with ``processes=True`` (two worker
  processes, both started before any replay: the default before);
* ``dask-1-defaults`` (``--dask-defaults``): like ``dask-1`` on a
  ``LocalCluster`` with Dask's default worker settings, to show what
  ``local_cluster`` changes.

and checks that the alert, event and minute tables of every run equal the
plain loop's row for row. Overheads are the ratio to ``plain`` of the best
rounds, and the median over rounds of each round's own ratio, both in CPU
seconds (all processes of the run) and in wall seconds. Scaling is a ratio
of wall times (throughput): 2 workers against 1, for the running clusters
(``dask-2`` / ``dask-1``) and for the clusters ``fleet.run`` starts
(``dask-2-cold`` against ``dask-1-cold``, the default one-thread worker, and
against ``dask-1-cold-process``; ``dask-2-cold-process`` against
``dask-1-cold``). Because the wall time on a shared machine mostly measures
how long the processes waited for a CPU, each scaling ratio is printed
beside a CPU bound, ``2 * CPU(1 worker) / CPU(2 workers)``: the ratio a
quiet 2-core machine would give if both cores were busy from the first to
the last second of the 2-worker run (an upper bound: the scan before the
first task, the tail where one worker waits for the other's last piece and
the stop are serial). The judged ratios are printed at the end, with their
definitions, to stderr (``judged`` in the JSON). Memory: the
peak resident set of each worker process (``VmHWM``) after the run, beside
that of a fresh worker, the size of the largest recording and the size of
the archive.

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


_MINUTE_COLS = ("i_rms", "v_rms", "p", "q", "pf", "thd")


def _minute_rows(cols: list, first_us: int, fs: float, segment: int) -> list[dict]:
    """Per-minute summaries of one stretch from its cycles (``start`` since the stretch began, samples)."""
    import numpy as np
    start = np.concatenate([c[0] for c in cols]).astype(float)
    x = np.vstack([np.concatenate([np.asarray(c[j], dtype=float) for c in cols]) for j in range(1, 7)])
    minute = (first_us + np.round(start * (1e6 / fs))).astype(np.int64) // 60_000_000
    rows = []
    for m in np.unique(minute):
        sel = x[:, minute == m]
        ok = np.isfinite(sel)
        mean = [float(sel[j][ok[j]].mean()) if ok[j].any() else None for j in range(6)]
        rows.append({"segment": segment, "part": 0,
                     "minute": _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(minutes=int(m)),
                     "cycles": int(sel.shape[1]), "i_mean": mean[0],
                     "i_max": float(sel[0][ok[0]].max()) if ok[0].any() else None, "v_mean": mean[1],
                     "p_mean": mean[2], "p_max": float(sel[2][ok[2]].max()) if ok[2].any() else None,
                     "q_mean": mean[3], "pf_mean": mean[4], "thd_mean": mean[5]})
    return rows


def plain_loop(archive: Path, out: Path | None = None, gap_tolerance_s: float = 1.0) -> tuple[list[tuple], float]:
    """The plain sequential Monitor loop: alerts and events (rows to compare), and its wall time, s.

    Per terminal, its files in time order through one ``Monitor`` (a new one
    after a gap), 1-s pushes. With ``out`` it does the work the fleet run
    does with the results: the per-minute summaries, and one Parquet file
    per terminal of each of the ``alerts``, ``events`` and ``minutes`` tables
    (the fleet's columns), written plainly (no temporary name, no fsync, no
    completion marker, no manifest, no errors table: what the fleet adds for
    resuming is counted as its overhead).
    """
    import numpy as np  # noqa: F401
    import pyarrow as pa
    import pyarrow.parquet as pq

    import currentprint as cp
    from currentprint.fleet._replay import schemas
    t0 = time.perf_counter()
    manifest = pq.read_table(archive / "manifest.parquet").to_pylist()
    rows = []
    schema = schemas() if out is not None else None
    for terminal in sorted({r["terminal"] for r in manifest}):
        cfg = json.loads((archive / terminal / "terminal.json").read_text())
        cal = cp.Calibration(**cfg["calibration"])
        fs = float(cfg["fs"])
        files = sorted((r for r in manifest if r["terminal"] == terminal), key=lambda r: r["start"])
        mon = origin = end = None
        segment = -1
        tables: dict[str, list[dict]] = {"alerts": [], "events": [], "minutes": []}
        cols: list = []

        def emit(alerts, file):
            for a in alerts:
                t = origin + _dt.timedelta(microseconds=round(a.sample * 1e6 / fs))
                det = a.to_dict()["detail"]
                detail = json.dumps(det, allow_nan=False, separators=(",", ":"), sort_keys=True)
                rows.append((terminal, t, a.sample, a.kind, a.detector, detail, a.explanation))
                if out is None:
                    continue
                row = {"segment": segment, "part": 0, "time": t, "file": file, "sample": a.sample,
                       "detector": a.detector, "detail": detail, "explanation": a.explanation}
                if a.kind == "event":
                    match = det.get("match") or {}
                    row.update(change=det.get("kind"), delta_p=det.get("delta_p"), delta_q=det.get("delta_q"),
                               delta_i_rms=det.get("delta_i_rms"), label=match.get("label"),
                               confidence=match.get("confidence"))
                    tables["events"].append(row)
                else:
                    tables["alerts"].append({**row, "kind": a.kind})

        def end_stretch(file):
            emit(mon.flush(), file)
            if out is not None and cols:
                tables["minutes"].extend(_minute_rows(cols, origin_us, fs, segment))
            cols.clear()

        name = None
        for r in files:
            rec = cp.io.load_recording(archive / terminal / r["file"])
            if mon is None or abs((r["start"] - end).total_seconds()) > gap_tolerance_s:
                if mon is not None:
                    end_stretch(name)
                mon = cp.Monitor(fs=fs, mains_hz=cfg["mains_hz"], calibration=cal, detectors=list(cfg["detectors"]))
                origin = r["start"]
                origin_us = round((origin - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)).total_seconds() * 1e6)
                segment += 1
            name = r["file"]
            step = int(fs)
            for k in range(0, rec.current.shape[0], step):
                table, alerts = mon.process(rec.current[k:k + step], rec.voltage[k:k + step])
                emit(alerts, name)
                if out is not None and len(table):
                    cols.append((table.start, *(getattr(table, c) for c in _MINUTE_COLS)))
            end = r["start"] + _dt.timedelta(seconds=rec.current.shape[0] / fs)
        end_stretch(name)
        if out is not None:
            for t, data in tables.items():
                folder = out / t / f"terminal={terminal}"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pylist(data, schema=schema[t]), folder / "part.parquet")
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


def same_minutes(out: Path, plain_out: Path) -> bool:
    """The fleet's ``minutes`` table equals the plain loop's (means to 1e-12 relative)."""
    import numpy as np
    import pyarrow.dataset as ds

    from currentprint import fleet
    a = fleet.read_table(out, "minutes").to_pylist()
    part = ds.partitioning(flavor="hive")
    b = ds.dataset(plain_out / "minutes", format="parquet", partitioning=part).to_table().to_pylist()
    key = lambda r: (r["terminal"], r["minute"], r["segment"])  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if key(x) != key(y) or x["cycles"] != y["cycles"]:
            return False
        for c in ("i_mean", "i_max", "v_mean", "p_mean", "p_max", "q_mean", "pf_mean", "thd_mean"):
            if (x[c] is None) != (y[c] is None) or (x[c] is not None and not np.isclose(x[c], y[c], rtol=1e-12,
                                                                                      atol=1e-12)):
                return False
    return True


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
    import pyarrow.json  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import currentprint.fleet  # noqa: F401
    return time.perf_counter() - t0


class _TaskClock:
    """Thread CPU seconds spent inside the fleet's piece function (``replay_piece``), summed.

    Wraps ``currentprint.fleet._run.<name>`` in this process; on a worker
    (``client.run(_TaskClock.install, "_replay_task")``) the tasks, which
    name that function by reference, run through the wrapper. The sum is kept
    on that module (this class reaches the workers as a copy). What a process
    spends outside it is the cost of the machinery around the replay.
    """

    @staticmethod
    def install(name: str = "_replay_task") -> None:
        from currentprint.fleet import _run
        inner = getattr(_run, name)
        if getattr(inner, "_clocked", False):
            return

        def clocked(*args, **kwargs):
            c0 = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                _run._bench_task_cpu = getattr(_run, "_bench_task_cpu", 0.0) + time.thread_time() - c0
        clocked._clocked = True  # type: ignore[attr-defined]
        setattr(_run, name, clocked)

    @staticmethod
    def take() -> float:
        from currentprint.fleet import _run
        t = getattr(_run, "_bench_task_cpu", 0.0)
        _run._bench_task_cpu = 0.0
        return t


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
        client.run(_TaskClock.install, "_replay_task")
        fresh = client.run(_rss_mb)
        start_cpu = start_client_cpu + sum(client.run(_cpu_s).values())
        cpu0 = client.run(_cpu_s)
        me0 = _cpu_s()
        t0 = time.perf_counter()
        rep = fleet.run(archive, out, client=client)
        wall = time.perf_counter() - t0
        me = _cpu_s() - me0
        cpu1 = client.run(_cpu_s)
        task = client.run(_TaskClock.take)
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
            # CPU of the workers inside the replay tasks, and the rest of the workers' CPU
            "task_cpu_s": sum(task.values()),
            "worker_other_cpu_s": sum(cpu1[w] - cpu0[w] - task[w] for w in cpu1),
            "report": rep.to_dict(),
            "worker_rss_fresh_mb": sorted(fresh.values()), "worker_peak_rss_mb": sorted(peak.values())}


def dask_cold(archive: Path, out: Path, n_workers: int, processes: bool | None = None) -> dict:
    """``fleet.run(archive, out, workers=n)`` as a user calls it: the cluster's start and stop included.

    CPU: this process plus its children (the worker processes, counted when they exit).
    """
    from currentprint import fleet
    t = os.times()
    c0, k0 = t.user + t.system, t.children_user + t.children_system
    t0 = time.perf_counter()
    rep = fleet.run(archive, out, workers=n_workers, processes=processes)
    wall = time.perf_counter() - t0
    t = os.times()
    me, kids = t.user + t.system - c0, t.children_user + t.children_system - k0
    # this process: client, scheduler, nannies and a thread worker; children: worker processes
    return {"seconds": wall, "cpu_s": me + kids, "this_process_cpu_s": me, "worker_processes_cpu_s": kids,
            "report": rep.to_dict()}


#: the issue's scaling and overhead targets, as this benchmark measures them
JUDGED = (
    ("scaling_own_clusters", "throughput_2_over_1_own_cluster_vs_1_thread_worker", ">= 1.7",
     "wall(fleet.run(workers=1)) / wall(fleet.run(workers=2)), each starting and stopping its own "
     "LocalCluster with the default workers (1: a thread worker; 2: a thread worker, and a worker process "
     "that joins when started), median over rounds of each round's ratio"),
    ("scaling_running_clusters", "throughput_2_over_1_running_cluster", ">= 1.7",
     "wall(fleet.run(client=1-worker cluster)) / wall(fleet.run(client=2-worker cluster)), clusters of "
     "worker processes started beforehand, median over rounds"),
    ("overhead_1_worker_own_cluster", "dask-1-cold", "<= 1.10",
     "CPU-s (and wall) of fleet.run(workers=1) (thread worker, own cluster started and stopped) / "
     "those of the plain Monitor loop, median over rounds of each round's ratio"),
    ("overhead_1_worker_running_cluster", "dask-1", "<= 1.10",
     "CPU-s (and wall) of fleet.run(client=1 running worker process) / those of the plain loop, median "
     "over rounds"),
)


def _judged(ratios: dict) -> dict:
    out = {}
    for label, key, target, definition in JUDGED:
        r = ratios.get(key)
        if r is None:
            continue
        if key.startswith("throughput"):
            out[label] = {"wall_ratio": r["per_round_median"], "cpu_bound": r["cpu_bound_per_round_median"],
                          "target": target, "definition": definition}
        else:
            out[label] = {"cpu_ratio": r["cpu_per_round_median"], "wall_ratio": r["wall_per_round_median"],
                          "target": target, "definition": definition}
    return out


def _judged_text(judged: dict) -> str:
    lines = ["judged ratios (medians over rounds; see the definitions):"]
    for label, r in judged.items():
        if "cpu_bound" in r:
            lines.append(f"  {label}: {r['wall_ratio']:.2f}x wall (CPU bound 2*CPU1/CPU2: {r['cpu_bound']:.2f}x), "
                         f"target {r['target']}")
        else:
            lines.append(f"  {label}: {r['cpu_ratio']:.3f} CPU, {r['wall_ratio']:.3f} wall, target {r['target']}")
        lines.append(f"      = {r['definition']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--terminals", type=int, default=20)
    ap.add_argument("--hours", type=float, default=0.25)
    ap.add_argument("--file-s", type=float, default=300.0)
    ap.add_argument("--archive", help="archive folder to reuse (written there if absent)")
    ap.add_argument("--rounds", type=int, default=2, help="measurement rounds; the best of each is kept")
    ap.add_argument("--keep", action="store_true", help="keep the output folders")
    ap.add_argument("--only", help="comma-separated configurations to run besides plain "
                    "(sequential, dask-1, dask-2, dask-1-cold, dask-1-cold-process, dask-2-cold, "
                    "dask-2-cold-process, dask-1-defaults)")
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
    names = ["plain", "sequential", "dask-1", "dask-2", "dask-1-cold", "dask-1-cold-process", "dask-2-cold",
             "dask-2-cold-process"]
    if args.dask_defaults:
        names.append("dask-1-defaults")
    if args.only:
        names = ["plain"] + [n for n in args.only.split(",") if n != "plain"]
        unknown = set(names) - {"plain", "sequential", "dask-1", "dask-2", "dask-1-cold", "dask-1-cold-process",
                                "dask-2-cold", "dask-2-cold-process", "dask-1-defaults"}
        if unknown:
            ap.error(f"unknown --only names: {', '.join(sorted(unknown))}")
    times: dict[str, list[float]] = {k: [] for k in names}
    cpus: dict[str, list[float]] = {k: [] for k in times}
    loads: list[float] = []
    round_loads: list[list[float]] = []
    ref = None
    for rnd in range(args.rounds):
        loads.append(os.getloadavg()[0])
        # every round runs the configurations in another order (rotated), so a slow start or a
        # burst of load does not always fall on the same one
        k = rnd % len(names)
        outputs = {}
        for name in names[k:] + names[:k]:
            dest = work / name
            shutil.rmtree(dest, ignore_errors=True)
            if name == "plain":
                c0 = _cpu_s()
                rows, t = plain_loop(archive, dest)
                times["plain"].append(t)
                cpus["plain"].append(_cpu_s() - c0)
                ref = ref or rows
                result["plain"] = {"rows": len(ref), "equal_across_rounds": rows == ref}
                continue
            if name == "sequential":
                _TaskClock.install("replay_piece")
                _TaskClock.take()
                c0 = _cpu_s()
                t0 = time.perf_counter()
                rep = fleet.run_sequential(archive, dest)
                r = {"seconds": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0, "pieces": rep.pieces,
                     "task_cpu_s": _TaskClock.take()}
            elif name == "dask-1-cold":
                r = dask_cold(archive, dest, 1)
            elif name == "dask-1-cold-process":
                r = dask_cold(archive, dest, 1, processes=True)
            elif name == "dask-2-cold":
                r = dask_cold(archive, dest, 2)
            elif name == "dask-2-cold-process":
                r = dask_cold(archive, dest, 2, processes=True)
            else:
                r = dask_run(archive, dest, int(name.split("-")[1]), dask_defaults=name.endswith("defaults"))
            times[name].append(r.pop("seconds"))
            cpus[name].append(r.pop("cpu_s"))
            result[name] = r
            outputs[name] = dest
        for name, dest in outputs.items():
            result[name]["equal_to_plain"] = same(fleet_rows(dest), ref)
            result[name]["minutes_equal_to_plain"] = same_minutes(dest, work / "plain")
        loads.append(os.getloadavg()[0])
        round_loads.append(loads[-2:])
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
    # throughput (wall time) of 2 workers over 1: best rounds, and the median of each round's ratio
    scaling = (("dask-1", "dask-2", "running_cluster"),
               ("dask-1-cold", "dask-2-cold", "own_cluster_vs_1_thread_worker"),
               ("dask-1-cold-process", "dask-2-cold", "own_cluster_vs_1_process_worker"),
               ("dask-1-cold", "dask-2-cold-process", "own_cluster_2_processes_vs_1_thread_worker"))
    for one, two, label in scaling:
        if one in names and two in names:
            per_round = [a / b for a, b in zip(times[one], times[two])]
            # what a quiet 2-core machine would give at best: both cores busy through the 2-worker run
            cpu_bound = [2 * a / b for a, b in zip(cpus[one], cpus[two])]
            ratios[f"throughput_2_over_1_{label}"] = {
                "best_over_best": result[one]["seconds"] / result[two]["seconds"],
                "per_round_median": float(statistics.median(per_round)), "per_round": per_round,
                "cpu_bound_per_round_median": float(statistics.median(cpu_bound)), "cpu_bound_per_round": cpu_bound,
                "load_average_1min_per_round": round_loads}
    result["ratios"] = ratios
    result["judged"] = judged = _judged(ratios)
    print(_judged_text(judged), file=sys.stderr)
    print(json.dumps(result, indent=2, default=str))
    if not args.keep:
        for name in names:
            shutil.rmtree(work / name, ignore_errors=True)
        if not args.archive:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
