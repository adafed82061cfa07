"""Scanning an archive, planning the work, and running it on Dask (or in a plain loop)."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import CorruptFileError, InputError
from ._archive import (RECORDING_SUFFIXES, FileEntry, Piece, check_terminal_id, parse_start,
                       parse_terminal_config, plan_pieces, posix_join, probe_local)
from ._replay import (DONE, TABLES, describe_detectors, get_fs, local_copy, marker_key, marker_path, read_json,
                      replay_piece, rows_table, write_json, write_partition)

__all__ = ["run", "run_sequential", "RunReport", "scan_archive", "local_cluster"]

log = logging.getLogger("currentprint.fleet")

RUN_SCHEMA = "currentprint.fleet-run"
MANIFEST = "manifest.parquet"


@dataclass
class RunReport:
    """What :func:`run` did.

    Attributes
    ----------
    out : str
        Output location.
    terminals : int
        Terminal folders found in the archive.
    pieces : int
        Units of work planned (consecutive files of one terminal).
    skipped : int
        Pieces already complete from an earlier run (not replayed again).
    replayed : int
        Pieces replayed by this run.
    failed : int
        Pieces whose task failed (reported in the errors table; a re-run retries them).
    errors : int
        Rows of the errors table (bad terminal.json, unreadable or corrupt files, ...).
    replayed_terminals : list of str
        Terminals at least one piece of which was replayed by this run.
    seconds : float
        Wall time of the run, s.
    audio_seconds : float
        Seconds of recordings replayed by this run.
    """

    out: str
    terminals: int = 0
    pieces: int = 0
    skipped: int = 0
    replayed: int = 0
    failed: int = 0
    errors: int = 0
    replayed_terminals: list = field(default_factory=list)
    seconds: float = 0.0
    audio_seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# -- scanning --------------------------------------------------------------------

def _err(terminal: str, file: str, stage: str, exc: BaseException | str, error: str | None = None) -> dict:
    return {"terminal": terminal, "segment": -1, "part": -1, "file": file, "stage": stage,
            "error": error or type(exc).__name__, "message": str(exc)}


def scan_terminal(archive: str, terminal: str, listed: list[dict] | None) -> dict:
    """Read and check one terminal folder: its ``terminal.json`` and its recordings.

    ``listed`` are the terminal's rows of the archive's ``manifest.parquet``
    (their lengths are trusted; files not listed are probed).
    Returns ``{"terminal", "config", "files", "errors"}``.
    """
    fs, root = get_fs(archive)
    folder = posix_join(root, terminal)
    errors: list[dict] = []
    out: dict[str, Any] = {"terminal": terminal, "config": None, "files": [], "errors": errors}
    try:
        with fs.open(posix_join(folder, "terminal.json"), "rb") as fh:
            raw = fh.read(1_000_001)
        if len(raw) > 1_000_000:
            raise CorruptFileError("terminal.json is larger than 1 MB; it holds settings only")
        config = parse_terminal_config(raw, where=f"{terminal}/terminal.json")
    except FileNotFoundError:
        errors.append(_err(terminal, "terminal.json", "config", "no terminal.json in the terminal's folder; "
                           "the terminal's recordings are not replayed", "FileNotFoundError"))
        return out
    except (OSError, ValueError) as exc:
        errors.append(_err(terminal, "terminal.json", "config", f"{exc}; the terminal's recordings are not "
                           "replayed"))
        return out
    out["config"] = config
    known = {r["file"]: r for r in (listed or [])}
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(folder, detail=False))
    entries: list[FileEntry] = []
    seen = set()
    for name in names:
        stem, suffix = os.path.splitext(name)
        if suffix.lower() not in RECORDING_SUFFIXES or name.startswith("."):
            continue
        seen.add(name)
        try:
            start = parse_start(stem)
        except InputError as exc:
            errors.append(_err(terminal, name, "scan", exc))
            continue
        row = known.get(name)
        try:
            if row is not None:
                n, fs_file = int(row["n_samples"]), float(row["fs"])
                if n <= 0 or not fs_file > 0:
                    raise CorruptFileError(f"manifest.parquet lists {name} with {n} samples at {fs_file} Hz")
            else:
                with local_copy(fs, posix_join(folder, name)) as p:
                    n, fs_file = probe_local(p, suffix.lower(), config.fs)
        except (OSError, ValueError, EOFError) as exc:
            errors.append(_err(terminal, name, "scan", exc))
            continue
        if abs(fs_file - config.fs) > 1e-9 * config.fs:
            errors.append(_err(terminal, name, "scan", f"{name} is sampled at {fs_file:g} Hz but terminal.json "
                               f"says {config.fs:g} Hz; not replayed", "InputError"))
            continue
        entries.append(FileEntry(terminal, name, start, n, config.fs))
    for name in sorted(set(known) - seen):
        errors.append(_err(terminal, name, "scan", "listed in manifest.parquet but not in the folder",
                           "FileNotFoundError"))
    if not entries and not any(e["stage"] == "scan" for e in errors):
        errors.append(_err(terminal, "", "scan", "the terminal's folder holds no recordings", "InputError"))
    elif not entries:
        errors.append(_err(terminal, "", "scan", "no readable recording in the terminal's folder", "InputError"))
    out["files"] = entries
    return out


def _list_terminals(archive: str) -> tuple[list[str], list[dict]]:
    fs, root = get_fs(archive)
    if not fs.isdir(root):
        raise FileNotFoundError(f"no archive folder at {archive}")
    terminals, errors = [], []
    for info in fs.ls(root, detail=True):
        name = info["name"].rstrip("/").rsplit("/", 1)[-1]
        if info.get("type") != "directory" or name.startswith((".", "_")):
            continue
        try:
            terminals.append(check_terminal_id(name))
        except InputError as exc:
            # reported under a partition no valid id can take ("_" would hide it from readers)
            errors.append(_err("~invalid", name, "scan", exc))
    return sorted(terminals), errors


def _read_manifest(archive: str) -> dict[str, list[dict]]:
    import pyarrow.parquet as pq
    fs, root = get_fs(archive)
    path = posix_join(root, MANIFEST)
    if not fs.exists(path):
        return {}
    try:
        # the columns the scan uses, without `start`: converting a zoned timestamp to Python, and
        # pq.read_table (through pyarrow.dataset), import pandas: ~0.2 s before the first piece
        with fs.open(path, "rb") as fh:
            rows = pq.ParquetFile(fh).read(columns=["terminal", "file", "n_samples", "fs"]).to_pylist()
    except Exception as exc:  # a damaged manifest only costs probing the files
        log.warning("ignoring %s: %s", path, exc)
        return {}
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(str(r.get("terminal")), []).append(r)
    return by


def manifest_table(files: list[FileEntry]):
    """The manifest as a pyarrow Table (terminal, file, start, duration_s, n_samples, fs)."""
    import pyarrow as pa
    schema = pa.schema([("terminal", pa.string()), ("file", pa.string()), ("start", pa.timestamp("us", tz="UTC")),
                        ("duration_s", pa.float64()), ("n_samples", pa.int64()), ("fs", pa.float64())])
    rows = [{"terminal": f.terminal, "file": f.file, "start": f.start, "duration_s": f.duration_s,
             "n_samples": f.n_samples, "fs": f.fs} for f in sorted(files, key=lambda f: (f.terminal, f.start))]
    return rows_table(rows, schema)


def write_manifest(url: str, files: list[FileEntry]) -> None:
    """Write ``manifest.parquet`` (atomically) into the folder ``url``."""
    import pyarrow.parquet as pq
    from ._replay import atomic_put
    fs, root = get_fs(url)
    table = manifest_table(files)
    atomic_put(fs, posix_join(root, MANIFEST), lambda p: pq.write_table(table, p))


def scan_archive(archive: str, *, client=None) -> tuple[dict[str, dict], list[dict]]:
    """Scan every terminal folder (on the Dask ``client`` if given, else here).

    Returns ``(scans by terminal, archive-level error rows)``.
    """
    terminals, errors = _list_terminals(archive)
    listed = _read_manifest(archive)
    args = [(archive, t, listed.get(t)) for t in terminals]
    if client is None:
        scans = [scan_terminal(*a) for a in args]
    else:
        futs = [client.submit(scan_terminal, *a, key=f"cp-fleet-scan-{a[1]}-{time.time_ns()}", pure=False)
                for a in args]
        scans = client.gather(futs)
    return {s["terminal"]: s for s in scans}, errors


# -- planning and resuming -----------------------------------------------------------

def _check_settings(ofs, oroot: str, settings: dict, overwrite: bool) -> None:
    path = posix_join(oroot, "_fleet.json")
    if ofs.exists(path):
        try:
            old = read_json(ofs, path)
        except (OSError, ValueError):
            old = None
        if old != settings:
            if not overwrite:
                raise InputError(f"{oroot} holds the results of a fleet run with other settings "
                                 f"({old!r}); give another output folder or overwrite=True (--overwrite)")
            for t in (*TABLES, DONE):
                if ofs.exists(posix_join(oroot, t)):
                    ofs.rm(posix_join(oroot, t), recursive=True)
    ofs.makedirs(oroot, exist_ok=True)
    write_json(ofs, path, settings)


def _existing(ofs, oroot: str) -> set[str]:
    """Paths under the output folder (relative), for the completeness checks."""
    if not ofs.exists(oroot):
        return set()
    return {p[len(oroot) + 1:] for p in ofs.find(oroot)}


def _complete(existing: set[str], terminal: str, uid: str) -> bool:
    return (f"{DONE}/terminal={terminal}/{uid}.json" in existing
            and all(f"{t}/terminal={terminal}/{uid}.parquet" in existing for t in TABLES))


def _clean_stale(ofs, oroot: str, existing: set[str], keep: dict[str, set[str]]) -> None:
    """Delete partitions no longer planned (changed archive) and temporary files of killed writes."""
    for rel in sorted(existing):
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] not in (*TABLES, DONE):
            continue
        name = parts[2]
        terminal = parts[1].partition("=")[2]
        stem = name.rsplit(".", 1)[0]
        stale = name.startswith(".") or terminal not in keep or stem not in keep[terminal]
        if stale:
            ofs.rm(posix_join(oroot, rel))
            existing.discard(rel)


@dataclass
class _Plan:
    scans: dict
    errors: list
    chains: list          # [(config, [pieces to run], prev result or None)]
    skipped: int
    total: int
    terminals: int


def _plan(archive: str, out: str, spec: Any, *, gap_tolerance_s: float, max_piece_s: float, overwrite: bool,
          client) -> _Plan:
    if not (gap_tolerance_s >= 0):
        raise InputError(f"gap_tolerance_s must be >= 0 s, got {gap_tolerance_s!r}")
    if not (max_piece_s > 0):
        raise InputError(f"max_piece_s must be > 0 s, got {max_piece_s!r}")
    ofs, oroot = get_fs(out)
    settings = {"schema": RUN_SCHEMA, "version": 1, "detectors": describe_detectors(spec),
                "gap_tolerance_s": float(gap_tolerance_s)}
    _check_settings(ofs, oroot, settings, overwrite)
    scans, archive_errors = scan_archive(archive, client=client)
    files = [f for s in scans.values() for f in s["files"]]
    write_manifest(out, files)
    existing = _existing(ofs, oroot)
    keep: dict[str, set[str]] = {}
    chains = []
    skipped = total = 0
    for terminal, scan in sorted(scans.items()):
        keep[terminal] = {"scan"}
        if scan["config"] is None or not scan["files"]:
            continue
        pieces = plan_pieces(terminal, scan["files"], gap_tolerance_s=gap_tolerance_s, max_piece_s=max_piece_s)
        total += len(pieces)
        keep[terminal].update(p.uid for p in pieces)
        by_segment: dict[int, list[Piece]] = {}
        for p in pieces:
            by_segment.setdefault(p.segment, []).append(p)
        for seg_pieces in by_segment.values():
            prev = None
            todo = list(seg_pieces)
            while todo and _complete(existing, terminal, todo[0].uid):
                try:
                    marker = read_json(ofs, marker_path(oroot, terminal, todo[0].uid))
                except (OSError, ValueError):
                    break
                if marker.get("key") != marker_key(todo[0], scan["config"]):
                    break
                prev = {"state": marker.get("state")}
                todo.pop(0)
                skipped += 1
            if todo:
                chains.append((scan["config"], todo, prev))
    # errors found while scanning, one partition per terminal
    by_t: dict[str, list[dict]] = {}
    for e in archive_errors + [e for s in scans.values() for e in s["errors"]]:
        by_t.setdefault(e["terminal"], []).append({k: v for k, v in e.items() if k != "terminal"})
    for terminal in set(by_t) | set(scans):
        keep.setdefault(terminal, {"scan"})
        write_partition(ofs, oroot, "errors", terminal, "scan", by_t.get(terminal, []))
    _clean_stale(ofs, oroot, existing, keep)
    return _Plan(scans, archive_errors, chains, skipped, total, len(scans))


def _location(url) -> str:
    """A local path made absolute (workers may run in another folder); URLs unchanged."""
    url = os.fspath(url)
    return url if "://" in url else os.path.abspath(url)


def _failed(out: str, piece: Piece, exc: BaseException) -> None:
    """A piece's task failed for good: say so in its errors partition (a re-run retries it)."""
    ofs, oroot = get_fs(out)
    write_partition(ofs, oroot, "errors", piece.terminal, piece.uid,
                    [{"segment": piece.segment, "part": piece.part, "file": piece.files[0].file, "stage": "task",
                      "error": type(exc).__name__, "message": f"{exc}; run again to retry"}])


class _Progress:
    def __init__(self, total: int, enabled: bool, link: str | None = None) -> None:
        self.total, self.enabled, self.done, self.t0 = total, enabled, 0, time.perf_counter()
        self.bar = None
        if enabled:
            if link:
                sys.stderr.write(f"fleet: dashboard {link}\n")
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, unit="piece", file=sys.stderr, desc="fleet")
            except ImportError:
                pass

    def step(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled:
            sys.stderr.write(f"\rfleet: {self.done}/{self.total} pieces, {time.perf_counter() - self.t0:.0f} s")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _count_errors(out: str) -> int:
    # the rows of every partition from its footer; pyarrow.dataset would import pandas (~0.2 s)
    import pyarrow.parquet as pq
    ofs, oroot = get_fs(out)
    path = posix_join(oroot, "errors")
    if not ofs.exists(path):
        return 0
    n = 0
    for p in ofs.find(path):
        # the files pyarrow.dataset reads: not hidden ('.' temporary names of atomic writes, '_')
        if p.endswith(".parquet") and not p.rsplit("/", 1)[-1].startswith((".", "_")):
            with ofs.open(p, "rb") as fh:
                n += pq.ParquetFile(fh).metadata.num_rows
    return n


def _report(out: str, plan: _Plan, replayed: list[Piece], failed: int, t0: float) -> RunReport:
    return RunReport(out=str(out), terminals=plan.terminals, pieces=plan.total, skipped=plan.skipped,
                     replayed=len(replayed) - failed, failed=failed, errors=_count_errors(out),
                     replayed_terminals=sorted({p.terminal for p in replayed}),
                     seconds=time.perf_counter() - t0,
                     audio_seconds=sum(f.duration_s for p in replayed for f in p.files))


def run_sequential(archive: str, out: str, *, detectors: Any = None, gap_tolerance_s: float = 1.0,
                   max_piece_s: float = 3600.0, chunk_s: float = 1.0, overwrite: bool = False,
                   progress: bool = False) -> RunReport:
    """:func:`run` in a plain loop in this process (no Dask): the same tables.

    For small archives, machines without the Dask extra working, and as the
    reference the distributed run is compared with.
    """
    t0 = time.perf_counter()
    archive, out = _location(archive), _location(out)
    plan = _plan(archive, out, detectors, gap_tolerance_s=gap_tolerance_s, max_piece_s=max_piece_s,
                 overwrite=overwrite, client=None)
    bar = _Progress(sum(len(c[1]) for c in plan.chains), progress)
    replayed, failed = [], 0
    for config, pieces, prev in plan.chains:
        for piece in pieces:
            replayed.append(piece)
            try:
                prev = replay_piece(archive, out, piece, config, detectors, prev, chunk_s)
            except Exception as exc:  # one terminal's failure must not stop the fleet
                log.exception("piece %s/%s failed", piece.terminal, piece.uid)
                _failed(out, piece, exc)
                failed += 1 + _skip_rest(out, pieces, piece, exc, replayed)
                bar.step()
                break
            bar.step()
    bar.close()
    return _report(out, plan, replayed, failed, t0)


def _skip_rest(out: str, pieces: list[Piece], piece: Piece, exc: BaseException, replayed: list) -> int:
    rest = pieces[pieces.index(piece) + 1:]
    for p in rest:
        replayed.append(p)
        _failed(out, p, RuntimeError(f"the piece before ({piece.uid}) failed: {exc}"))
    return len(rest)


#: Dask settings of the clusters :func:`local_cluster` starts (see its notes)
CLUSTER_CONFIG = {
    # the statistical profiler samples every task's stack every 10 ms: a few per cent of CPU on a
    # replay that is all Python-level loops, and nobody reads it in a batch run
    "distributed.worker.profile.enabled": False,
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker; setting it turns off glibc's
    # adaptive mmap threshold, so every array over 128 kB is a fresh mmap whose pages fault in
    # (zeroed) and are unmapped again when it is freed: +60 % CPU on a replay (measured, see
    # docs/fleet.md). Unset: glibc's defaults, as in a plain Python process.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # background work of every process (scheduler, nanny, worker) grows with the wall time, not with
    # the recordings: an event-loop health check every 20 ms, the system monitor every 0.5 s and
    # the worker's memory check every 0.1 s cost 59 ms of CPU per second of an idle 1-worker
    # cluster, 9 ms/s at these intervals (measured). Memory limits are still enforced, within 1 s.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _n_workers(workers: int | None) -> int:
    n = int(workers or os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"workers must be >= 1, got {workers!r}")
    return n


def local_cluster(workers: int | None = None, *, processes: bool | None = True,
                  dashboard_address: str | None = ":0", **kwargs: Any):
    """The ``LocalCluster`` :func:`run` starts when it gets no client.

    ``workers`` workers (default: one per CPU) of one thread each (the
    Monitor loop holds the GIL), with :data:`CLUSTER_CONFIG`: no worker
    profiler, and glibc's own malloc settings instead of Dask's
    ``MALLOC_TRIM_THRESHOLD_``. Start one yourself to reuse it for several
    runs (``fleet.run(..., client=distributed.Client(cluster))``) and close
    it when done. ``kwargs`` go to ``LocalCluster``.

    Parameters
    ----------
    workers : int, optional
        Number of workers (default: CPU count).
    processes : bool or None
        True: each worker is a process with a nanny (a killed or crashed
        worker is restarted and its tasks run again). False: the workers
        are threads of this process (no process to start, about 0.7 CPU-s
        less per worker; a crash in native code ends this process, the
        workers share its GIL and memory, and no memory limit is enforced).
        None (*mixed*): one worker is a thread of this process, ready at
        once, and the other ``workers - 1`` are processes with nannies that
        start in the background (this function returns before they are up;
        ``client.wait_for_workers(workers)`` waits for them). Tasks run on
        the thread worker meanwhile, and are shared once the processes
        arrive. With one worker the same as False.
    dashboard_address : str or None
        Where the dashboard listens (``":0"``: a free port; None: none).

    Notes
    -----
    On a cluster you start otherwise (``dask worker``, a cluster manager),
    give the workers the same settings with a Dask configuration file where
    ``dask worker`` runs (``docs/fleet.md`` shows it; an environment
    variable cannot unset the upper-case name).
    """
    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        raise ImportError("currentprint.fleet needs Dask: pip install 'currentprint[fleet]'") from None
    n = _n_workers(workers)
    if processes is None and n > 1:
        return _mixed_cluster(n, dashboard_address=dashboard_address, **kwargs)
    if not processes:
        # the memory monitor would watch this whole process (the caller's memory too) and pause the
        # worker above 80 % of the limit, which nothing here would then lower: a hang, not a limit
        kwargs.setdefault("memory_limit", 0)
    with dask.config.set(CLUSTER_CONFIG):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=bool(processes),
                            dashboard_address=dashboard_address, **kwargs)


def _configured_nanny():
    """``distributed.Nanny`` made under :data:`CLUSTER_CONFIG`, wherever it is made."""
    import dask
    from distributed import Nanny

    class ConfiguredNanny(Nanny):
        # a nanny reads the environment its worker is spawned with, and the configuration the worker
        # gets, when it is made: for a worker added later that is on the cluster's event loop, after
        # local_cluster's `with dask.config.set(...)` has ended, so set them again around it. Its
        # copy of the configuration is shallow (the nested dicts are the global ones, restored when
        # the `with` ends, before the worker is spawned): copy it whole while the settings hold
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            with dask.config.set(CLUSTER_CONFIG):
                super().__init__(*args, **kwargs)
                self.config = copy.deepcopy(self.config)
    return ConfiguredNanny


def _mixed_cluster(n: int, *, dashboard_address: str | None = ":0", **kwargs: Any):
    """One thread worker now, ``n - 1`` worker processes arriving in the background (``processes=None``)."""
    import dask
    from distributed import LocalCluster
    from distributed.worker_memory import parse_memory_limit

    memory_limit = kwargs.pop("memory_limit", "auto")
    # tcp, not inproc: the worker processes connect to this scheduler; the thread worker has no
    # memory limit (its monitor would watch the caller's memory too, see above)
    kwargs.setdefault("protocol", "tcp://")
    kwargs.setdefault("host", "127.0.0.1")
    with dask.config.set(CLUSTER_CONFIG):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, memory_limit=0,
                               dashboard_address=dashboard_address, **kwargs)
    try:
        options = dict(cluster.new_spec["options"])
        # each process gets its share of the machine's memory, as LocalCluster(n_workers=n) gives
        options["memory_limit"] = parse_memory_limit(memory_limit, 1, n, logger=log)
        cluster.new_spec = {"cls": _configured_nanny(), "options": options}
        # SpecCluster.scale only schedules the start on the cluster's event loop and returns
        cluster.scale(n)
    except BaseException:
        cluster.close()
        raise
    return cluster


class _Starting:
    """:func:`local_cluster` started in a thread (``result()`` waits for it, or raises its error)."""

    def __init__(self, workers: int, processes: bool | None) -> None:
        self._box: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._start, args=(workers, processes), name="cp-fleet-cluster",
                                        daemon=True)
        self._thread.start()

    def _start(self, workers: int, processes: bool | None) -> None:
        try:
            self._box["cluster"] = local_cluster(workers, processes=processes)
        except BaseException as exc:  # handed to the caller by result()
            self._box["error"] = exc

    def result(self):
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        return self._box["cluster"]


def _replay_task(archive, out, piece, config, spec, prev, chunk_s):
    return replay_piece(archive, out, piece, config, spec, prev, chunk_s)


def run(archive: str, out: str, *, detectors: Any = None, client: Any = None, workers: int | None = None,
        processes: bool | None = None, gap_tolerance_s: float = 1.0, max_piece_s: float = 3600.0,
        chunk_s: float = 1.0, overwrite: bool = False, progress: bool = False) -> RunReport:
    """Replay a fleet's archive through Monitors on Dask and write Parquet tables.

    Each terminal's recordings are replayed in time order through one
    :class:`~currentprint.Monitor`: its state is carried across contiguous
    files and a fresh Monitor starts after a gap (or an unreadable file).
    The unit of work is a *piece*: at most ``max_piece_s`` seconds of
    contiguous recordings of one terminal; a longer stretch is cut into
    pieces that each continue from the saved Monitor state of the one before.

    Parameters
    ----------
    archive : str or path
        The archive folder or an fsspec URL (``s3://bucket/fleet``), see
        ``docs/fleet.md`` for the layout.
    out : str or path
        Output folder or fsspec URL. Tables ``alerts``, ``events``,
        ``minutes``, ``ledger`` (terminals with a library: an
        ``ApplianceTracker`` is added) and ``errors`` are Parquet datasets
        partitioned by
        ``terminal`` (``out/alerts/terminal=T0001/s00000-p0000.parquet``);
        ``manifest.parquet`` lists the recordings replayed.
    detectors : None, sequence or callable
        None: each terminal's ``terminal.json`` detectors (default
        ``events, arc_fault, resistive_load, overload``). A sequence of
        registered names (with each terminal's parameters for them) or
        detector instances (copied per Monitor). A callable
        ``f(TerminalConfig) -> list of detectors``. Instances and callables
        must be picklable; the classes must be importable on the workers
        (or defined in ``__main__``).
    client : distributed.Client, str or None
        A Dask client, or a scheduler address (``"tcp://host:8786"``). None
        starts a ``LocalCluster`` sized to this machine (``workers``
        workers of one thread, see ``processes``) and stops it at the end.
    workers : int, optional
        Workers of the local cluster (default: CPU count).
    processes : bool or None
        Whether the local cluster's workers are processes (only without
        ``client``). None: one worker is a thread of this process (a
        process would cost more to start and stop than it isolates on most
        runs, see ``docs/fleet.md``); with two or more, one is that thread
        worker, which starts replaying at once, and the others are processes
        that start meanwhile and share the work when they arrive (see
        :func:`local_cluster`). True: all processes, even for one worker (a
        worker that crashes or is killed is restarted by its nanny and its
        tasks run again; its memory is its own). False: all threads of this
        process (they share one GIL: more than one gains little).
    gap_tolerance_s : float
        Two files are contiguous when the second starts within this many
        seconds of the end of the first.
    max_piece_s : float
        Longest stretch of recordings one task replays, s.
    chunk_s : float
        Samples per ``Monitor.push``, s (the results do not depend on it).
    overwrite : bool
        Allow an output folder written with other settings (its tables are
        deleted).
    progress : bool
        Show progress on stderr (tqdm if installed) and the dashboard link.

    Returns
    -------
    RunReport

    Notes
    -----
    Resumable: a piece is complete when its five partitions and its marker
    (written last) exist and the marker's digest of the piece's files is
    unchanged; a re-run replays only incomplete pieces (and the pieces after
    them in the same stretch). Every file is written under a temporary name
    and renamed, so a worker killed mid-write leaves no partial partition;
    Dask re-runs the lost task elsewhere and it writes the same names again.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError("currentprint.fleet.run needs Dask: pip install 'currentprint[fleet]' "
                          "(or use fleet.run_sequential)") from None
    t0 = time.perf_counter()
    archive, out = _location(archive), _location(out)
    own: list = []
    starting = None
    if client is not None and processes is not None:
        raise InputError("processes= (--processes/--threads) chooses the workers of the cluster fleet.run "
                         "starts itself; with a client or scheduler address that cluster's own workers run "
                         "the tasks: leave it None")
    if client is None:
        n = _n_workers(workers)
        # the cluster starts (worker processes spawn and import) while this process scans the
        # archive: its own workers are on this machine, so the scan costs the same here
        starting = _Starting(n, processes)
    elif isinstance(client, str):
        client = Client(client)
        own = [client]
    try:
        plan = _plan(archive, out, detectors, gap_tolerance_s=gap_tolerance_s, max_piece_s=max_piece_s,
                     overwrite=overwrite, client=client)
        if starting is not None:
            cluster = starting.result()
            own = [cluster]
            # by address, on the cluster's event loop: Client(cluster) would wait for every worker the
            # cluster is starting (a spawned worker process: ~0.4 s on a quiet machine, seconds under
            # load), while the thread worker could already be replaying
            client = Client(cluster.scheduler_address, loop=cluster.loop)
            own = [client, cluster]
        tag = time.time_ns()
        futures = {}
        replayed: list[Piece] = []
        for config, pieces, prev in plan.chains:
            # longest work first: a long chain started last would run alone at the end while the
            # other workers idle (the seconds of recordings left in the chain, a proxy for its CPU)
            left = [sum(f.duration_s for f in p.files) for p in pieces]
            for i, piece in enumerate(pieces):
                key = f"cp-fleet-{piece.terminal}-{piece.uid}-{tag}"
                prev = client.submit(_replay_task, archive, out, piece, config, detectors, prev, chunk_s,
                                     key=key, pure=False, retries=1, priority=int(sum(left[i:])))
                futures[prev] = piece
                replayed.append(piece)
        bar = _Progress(len(futures), progress, getattr(client, "dashboard_link", None))
        failed = 0
        for fut in as_completed(list(futures)):
            if fut.status == "error":
                exc = fut.exception()
                piece = futures[fut]
                log.error("piece %s/%s failed: %s", piece.terminal, piece.uid, exc)
                _failed(out, piece, exc)
                failed += 1
            fut.release()
            bar.step()
        bar.close()
        return _report(out, plan, replayed, failed, t0)
    finally:
        if starting is not None and not own:
            with contextlib.suppress(Exception):
                starting.result().close()
        for thing in own:
            thing.close()
