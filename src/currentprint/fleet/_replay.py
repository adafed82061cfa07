"""Replaying one piece of a terminal's history through a Monitor, and writing its partitions.

:func:`replay_piece` is the unit of work a Dask worker runs: inputs in
(archive location, the piece's files, the terminal's validated
configuration, the Monitor state the piece before ended with), partitions
out. Every output file has a name fixed by the piece, is written under a
temporary name and renamed, and the piece's completion marker is written
last, so a task that is killed and run again leaves exactly one copy of
each row.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import tempfile
import uuid
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..detectors.alerts import Alert
from ..errors import CorruptFileError, InputError
from ._archive import DEFAULT_DETECTORS, FileEntry, Piece, TerminalConfig, posix_join

TABLES = ("alerts", "events", "minutes", "ledger", "errors")
DONE = "_done"
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


# -- storage -------------------------------------------------------------------

def get_fs(url: str):
    """``(filesystem, root path)`` for a local folder or an fsspec URL."""
    import fsspec
    fs, root = fsspec.core.url_to_fs(str(url))
    return fs, root.rstrip("/") or "/"


def is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


@contextlib.contextmanager
def local_copy(fs, path: str) -> Iterator[str]:
    """A local path holding ``path``'s bytes (the path itself on a local filesystem)."""
    if is_local(fs):
        yield path
        return
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="cp-fleet-")
    os.close(fd)
    try:
        fs.get(path, tmp)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def atomic_put(fs, path: str, write: Callable[[str], None]) -> None:
    """Write ``path`` by ``write(temporary path)`` in the same folder, then rename."""
    folder, name = path.rsplit("/", 1)
    fs.makedirs(folder, exist_ok=True)
    tmp = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        if is_local(fs):
            write(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        else:
            with tempfile.TemporaryDirectory(prefix="cp-fleet-") as d:
                local = os.path.join(d, name)
                write(local)
                fs.put(local, tmp)
            fs.mv(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            if fs.exists(tmp):
                fs.rm(tmp)
        raise


def write_json(fs, path: str, payload: dict) -> None:
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))

    def write(p: str) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
    atomic_put(fs, path, write)


def read_json(fs, path: str) -> dict:
    with fs.open(path, "rb") as fh:
        return json.loads(fh.read().decode("utf-8"))


# -- table schemas -------------------------------------------------------------

def schemas() -> dict:
    import pyarrow as pa
    ts = pa.timestamp("us", tz="UTC")
    head = [("segment", pa.int32()), ("part", pa.int32())]
    return {
        "alerts": pa.schema(head + [("time", ts), ("file", pa.string()), ("sample", pa.int64()),
                                    ("kind", pa.string()), ("detector", pa.string()), ("detail", pa.string()),
                                    ("explanation", pa.string())]),
        "events": pa.schema(head + [("time", ts), ("file", pa.string()), ("sample", pa.int64()),
                                    ("change", pa.string()), ("delta_p", pa.float64()), ("delta_q", pa.float64()),
                                    ("delta_i_rms", pa.float64()), ("label", pa.string()),
                                    ("confidence", pa.float64()), ("detector", pa.string()),
                                    ("detail", pa.string()), ("explanation", pa.string())]),
        "minutes": pa.schema(head + [("minute", ts), ("cycles", pa.int32()), ("i_mean", pa.float64()),
                                     ("i_max", pa.float64()), ("v_mean", pa.float64()), ("p_mean", pa.float64()),
                                     ("p_max", pa.float64()), ("q_mean", pa.float64()), ("pf_mean", pa.float64()),
                                     ("thd_mean", pa.float64())]),
        "ledger": pa.schema(head + [("time", ts), ("file", pa.string()), ("sample", pa.int64()),
                                    ("label", pa.string()), ("state", pa.string()), ("power_w", pa.float64()),
                                    ("paired", pa.bool_()), ("on_time", ts), ("duration_s", pa.float64()),
                                    ("energy_wh", pa.float64()), ("confidence", pa.float64()),
                                    ("detail", pa.string()), ("explanation", pa.string())]),
        "errors": pa.schema(head + [("file", pa.string()), ("stage", pa.string()), ("error", pa.string()),
                                    ("message", pa.string())]),
    }


def partition_path(root: str, table: str, terminal: str, name: str) -> str:
    return posix_join(root, table, f"terminal={terminal}", f"{name}.parquet")


def marker_path(root: str, terminal: str, uid: str) -> str:
    return posix_join(root, DONE, f"terminal={terminal}", f"{uid}.json")


def _json_value(x: Any) -> Any:
    if isinstance(x, _dt.datetime):
        # Arrow's JSON reader parses ISO 8601; naive times are UTC (as pyarrow takes them)
        if x.tzinfo is not None:
            x = x.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return x.isoformat(timespec="microseconds") + "Z"
    raise TypeError(f"no exact JSON form for {type(x).__name__}")


def rows_table(rows: list[dict], schema):
    """``pyarrow.Table.from_pylist(rows, schema=schema)``, built without importing pandas.

    Every ``pa.array`` of Python values makes pyarrow import pandas (to check
    for pandas types): 0.25-0.3 CPU-s in every fresh worker process, about
    3 % of a one-worker replay of the benchmark archive. Arrow's JSON reader
    builds the same columns from JSON lines without it: floats are written
    with ``repr`` (shortest round-trip) and parsed correctly rounded, times
    as ISO 8601 with microseconds, both exact. Rows JSON cannot hold exactly
    (non-finite floats, NumPy scalars, ...) go through ``from_pylist``.
    """
    import pyarrow as pa
    if not rows:
        return pa.Table.from_batches([], schema=schema)   # (schema.empty_table() imports pandas too)
    try:
        import pyarrow.json as pj
        text = "\n".join(json.dumps(r, allow_nan=False, default=_json_value) for r in rows).encode("utf-8")
        table = pj.read_json(pa.BufferReader(text),
                             read_options=pj.ReadOptions(use_threads=False, block_size=len(text) + 1),
                             parse_options=pj.ParseOptions(explicit_schema=schema,
                                                           unexpected_field_behavior="ignore"))
        if table.schema.equals(schema) and table.num_rows == len(rows):
            return table
    except (TypeError, ValueError, ImportError, pa.ArrowException):
        pass
    return pa.Table.from_pylist(rows, schema=schema)


def write_partition(fs, root: str, table: str, terminal: str, name: str, rows: list[dict]) -> None:
    """One Parquet file of ``rows`` (possibly none) for ``table``, written atomically."""
    import pyarrow.parquet as pq
    data = rows_table(rows, schemas()[table])
    atomic_put(fs, partition_path(root, table, terminal, name), lambda p: pq.write_table(data, p))


# -- detectors -------------------------------------------------------------------

def make_detectors(spec: Any, config: TerminalConfig) -> list:
    """Fresh detector instances for one Monitor.

    ``spec`` None: the detectors ``terminal.json`` names (default
    :data:`DEFAULT_DETECTORS`) with its parameters. A sequence: registered
    names (built with the terminal's parameters for that name, if any) or
    detector instances (copied with their parameters; the terminal's are not
    applied). A callable: ``spec(config)`` returns the list.
    """
    import copy

    import currentprint as cp
    if spec is None:
        names = list(config.detectors) or list(DEFAULT_DETECTORS)
        return [cp.get_detector(n, **config.detectors.get(n, {})) for n in names]
    if callable(spec) and not isinstance(spec, (list, tuple)):
        return list(spec(config))
    out = []
    for d in spec:
        if isinstance(d, str):
            out.append(cp.get_detector(d, **config.detectors.get(d, {})))
        elif isinstance(d, cp.BaseDetector):
            out.append(type(d)(**copy.deepcopy(d.get_params())))
        else:
            raise InputError(f"detectors must be registered names or BaseDetector instances, got {d!r}")
    return out


def describe_detectors(spec: Any) -> Any:
    """JSON-safe description of a detectors argument (tells runs with other settings apart)."""
    import currentprint as cp
    from .. import _state
    if spec is None:
        return None
    if callable(spec) and not isinstance(spec, (list, tuple)):
        return {"factory": f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', repr(spec))}"}
    desc: list[Any] = []
    for d in spec:
        if isinstance(d, cp.BaseDetector):
            desc.append({"name": d.name, "class": f"{type(d).__module__}:{type(d).__qualname__}",
                         "params": _state.encode(d.get_params())})
        else:
            desc.append(str(d))
    return desc


# -- the replay --------------------------------------------------------------------

class _Minutes:
    """Per-minute accumulators (sums, maxima, counts of finite values)."""

    COLS = ("i_rms", "v_rms", "p", "q", "pf", "thd")

    def __init__(self, carried: dict | None = None) -> None:
        # minute (epoch minutes) -> [cycles, sums per col, counts per col, i_max, p_max]
        self.acc: dict[int, list] = {}
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        if carried:
            for k, v in carried.items():
                self.acc[int(k)] = [int(v[0]), list(map(float, v[1])), list(map(int, v[2])),
                                    float(v[3]), float(v[4])]

    @classmethod
    def columns(cls, table) -> tuple:
        """What :meth:`add` needs of one push's cycle table: ``start`` and :attr:`COLS` (views, no copy)."""
        return (table.start, *(getattr(table, c) for c in cls.COLS))

    def add(self, pushes: list, first: int, start_us: int, fs: float) -> None:
        """Add the cycles of one file: :meth:`columns` of each of its pushes, in order.

        ``first`` is the stream's sample where the file begins and
        ``start_us`` its UTC start (epoch µs): a cycle's minute is that of
        ``start_us + (start - first) / fs``. Gathered once per file, not per
        push (the per-push work was most of what the tables added to the
        replay).
        """
        if not pushes:
            return
        cols = [np.concatenate([np.asarray(p[j], dtype=float) for p in pushes]) for j in range(len(self.COLS) + 1)]
        t_us = start_us + np.round((cols[0] - first) * (1e6 / fs))
        minutes = np.floor_divide(t_us.astype(np.int64), 60_000_000)
        self._pending.append((minutes, np.vstack(cols[1:])))

    def flush(self) -> None:
        """Fold the cycles added since the last flush into the per-minute sums."""
        if not self._pending:
            return
        minutes = np.concatenate([m for m, _ in self._pending])
        x = np.concatenate([c for _, c in self._pending], axis=1)
        self._pending = []
        n = minutes.shape[0]
        ok = np.isfinite(x)
        starts = np.r_[0, np.flatnonzero(np.diff(minutes)) + 1]
        # one reduction per column over every minute of the chunk (usually one)
        sums = np.add.reduceat(np.where(ok, x, 0.0), starts, axis=1).T.tolist()
        counts = np.add.reduceat(ok.astype(np.int64), starts, axis=1).T.tolist()
        i_max = np.maximum.reduceat(np.where(ok[0], x[0], -np.inf), starts).tolist()
        p_max = np.maximum.reduceat(np.where(ok[2], x[2], -np.inf), starts).tolist()
        sizes = np.diff(np.r_[starts, n]).tolist()
        for g, m in enumerate(minutes[starts].tolist()):
            a = self.acc.setdefault(int(m), [0, [0.0] * 6, [0] * 6, -math.inf, -math.inf])
            a[0] += sizes[g]
            a[1] = [u + v for u, v in zip(a[1], sums[g])]
            a[2] = [u + v for u, v in zip(a[2], counts[g])]
            a[3] = max(a[3], i_max[g])
            a[4] = max(a[4], p_max[g])

    def rows(self, segment: int, part: int, keep_last: bool) -> list[dict]:
        self.flush()
        keys = sorted(self.acc)
        if keep_last and keys:
            keys = keys[:-1]
        out = []
        for m in keys:
            n, s, c, i_max, p_max = self.acc.pop(m)
            mean = [s[j] / c[j] if c[j] else None for j in range(6)]
            out.append({"segment": segment, "part": part, "minute": EPOCH + _dt.timedelta(minutes=m),
                        "cycles": n, "i_mean": mean[0], "i_max": i_max if math.isfinite(i_max) else None,
                        "v_mean": mean[1], "p_mean": mean[2], "p_max": p_max if math.isfinite(p_max) else None,
                        "q_mean": mean[3], "pf_mean": mean[4], "thd_mean": mean[5]})
        return out

    def state(self) -> dict:
        self.flush()
        return {str(k): v for k, v in self.acc.items()}


class _Stream:
    """One Monitor's life: contiguous files, their sample offsets and UTC starts."""

    def __init__(self, monitor, files: list | None = None) -> None:
        self.monitor = monitor
        # [first absolute sample, UTC start as epoch µs, file name] per file, in order
        self.files: list[list] = files or []

    def locate(self, sample: int) -> tuple[_dt.datetime, str]:
        """UTC time and file of an absolute sample of this stream."""
        fs = self.monitor.fs
        if not self.files:
            return EPOCH, ""
        firsts = [f[0] for f in self.files]
        k = max(0, int(np.searchsorted(firsts, sample, side="right")) - 1)
        first, start_us, name = self.files[k]
        us = start_us + round((sample - first) * 1e6 / fs)
        return EPOCH + _dt.timedelta(microseconds=us), name


def _epoch_us(t: _dt.datetime) -> int:
    d = t - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def _alert_rows(alerts: Sequence[Alert], stream: _Stream, segment: int, part: int, rows: dict) -> None:
    out_alerts, out_events, out_ledger = rows["alerts"], rows["events"], rows["ledger"]
    for a in alerts:
        t, name = stream.locate(a.sample)
        d = a.to_dict()
        detail = json.dumps(d["detail"], allow_nan=False, separators=(",", ":"), sort_keys=True)
        if a.kind == "appliance" and a.detector == "appliances":
            # the ApplianceTracker's switch-on and switch-off records: the appliance ledger
            det = d["detail"]
            match = det.get("match") if isinstance(det.get("match"), dict) else {}
            on = det.get("on_sample")
            on_time = stream.locate(int(on))[0] if isinstance(on, int) else None
            out_ledger.append({"segment": segment, "part": part, "time": t, "file": name, "sample": a.sample,
                               "label": _str(det.get("label")), "state": _str(det.get("state")),
                               "power_w": _num(det.get("power_w")),
                               "paired": det.get("paired") if isinstance(det.get("paired"), bool) else None,
                               "on_time": on_time, "duration_s": _num(det.get("duration_s")),
                               "energy_wh": _num(det.get("energy_wh")), "confidence": _num(match.get("confidence")),
                               "detail": detail, "explanation": a.explanation})
        elif a.kind == "event":
            det = d["detail"]
            match = det.get("match") if isinstance(det.get("match"), dict) else {}
            out_events.append({"segment": segment, "part": part, "time": t, "file": name, "sample": a.sample,
                               "change": _str(det.get("kind")), "delta_p": _num(det.get("delta_p")),
                               "delta_q": _num(det.get("delta_q")), "delta_i_rms": _num(det.get("delta_i_rms")),
                               "label": _str(match.get("label")), "confidence": _num(match.get("confidence")),
                               "detector": a.detector, "detail": detail, "explanation": a.explanation})
        else:
            out_alerts.append({"segment": segment, "part": part, "time": t, "file": name, "sample": a.sample,
                               "kind": a.kind, "detector": a.detector, "detail": detail,
                               "explanation": a.explanation})


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _str(x) -> str | None:
    return None if x is None else str(x)


def marker_key(piece: Piece, config: TerminalConfig) -> str:
    """Digest of a piece's files and its terminal's settings: a marker with another key is stale."""
    import hashlib
    text = json.dumps(config.to_dict(), sort_keys=True, default=str)
    return piece.key + "-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def load_library(archive: str, terminal: str, config: TerminalConfig):
    if config.library is None:
        return None
    import currentprint as cp
    fs, root = get_fs(archive)
    with local_copy(fs, posix_join(root, terminal, config.library)) as p:
        return cp.FingerprintLibrary.load(p)


def _load(fs, root: str, entry: FileEntry, config: TerminalConfig):
    """Read one recording; check it against the terminal's configuration and the manifest."""
    from ..io import load_recording
    suffix = os.path.splitext(entry.file)[1].lower()
    with local_copy(fs, posix_join(root, entry.terminal, entry.file)) as p:
        rec = load_recording(p, fs=config.fs if suffix == ".csv" else None)
    if abs(rec.fs - config.fs) > 1e-9 * config.fs:
        raise InputError(f"{entry.file} is sampled at {rec.fs:g} Hz but terminal.json says {config.fs:g} Hz")
    if rec.current.shape[0] != entry.n_samples:
        raise CorruptFileError(f"{entry.file} holds {rec.current.shape[0]} samples; the manifest says "
                               f"{entry.n_samples}")
    return rec


def monitor_detectors(spec: Any, config: TerminalConfig, library) -> list:
    """:func:`make_detectors`, plus an ``ApplianceTracker`` (the ledger) when the terminal has a library."""
    import currentprint as cp
    dets = make_detectors(spec, config)
    if library is not None and not any(getattr(d, "name", None) == "appliances" for d in dets):
        dets.append(cp.ApplianceTracker())
    return dets


def new_monitor(config: TerminalConfig, spec: Any, library):
    import currentprint as cp
    cal = None if config.calibration is None else cp.Calibration(**config.calibration)
    return cp.Monitor(fs=config.fs, mains_hz=config.mains_hz, calibration=cal,
                      detectors=monitor_detectors(spec, config, library), library=library,
                      harmonics=config.harmonics)


def replay_piece(archive: str, out: str, piece: Piece, config: TerminalConfig, spec: Any,
                 prev: dict | None, chunk_s: float = 1.0) -> dict:
    """Replay one piece through a Monitor and write its partitions and marker.

    Parameters
    ----------
    archive, out : str
        Archive and output locations (folders or fsspec URLs).
    piece : Piece
        The files to replay (consecutive, contiguous files of one terminal).
    config : TerminalConfig
        The terminal's validated configuration.
    spec : detectors argument of :func:`currentprint.fleet.run`
    prev : dict or None
        What the previous piece of the same segment returned (its
        ``"state"`` is continued), or None for the first piece (a fresh
        Monitor).
    chunk_s : float
        Seconds of samples per ``Monitor.push`` (results do not depend on it).

    Returns
    -------
    dict
        ``terminal``, ``uid``, row counts per table, and ``state`` (the
        Monitor state to continue with, for the next piece of the segment;
        None after the last piece).
    """
    import currentprint as cp
    afs, aroot = get_fs(archive)
    ofs, oroot = get_fs(out)
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    seg, part = piece.segment, piece.part
    last = piece.part == piece.n_parts - 1

    def error(file: str, stage: str, exc: BaseException) -> None:
        rows["errors"].append({"segment": seg, "part": part, "file": file, "stage": stage,
                               "error": type(exc).__name__, "message": str(exc)})

    library = None
    try:
        library = load_library(archive, piece.terminal, config)
    except (OSError, ValueError) as exc:
        error(config.library or "", "library", exc)

    stream: _Stream | None = None
    prev = (prev or {}).get("state")
    minutes = _Minutes(prev.get("minutes") if prev else None)
    if prev is not None and prev.get("monitor") is not None:
        mon = cp.Monitor.from_state(prev["monitor"], detectors=monitor_detectors(spec, config, library),
                                    library=library)
        stream = _Stream(mon, [list(f) for f in prev["files"]])

    def end_stream() -> None:
        nonlocal stream
        if stream is not None:
            _alert_rows(stream.monitor.flush(), stream, seg, part, rows)
        stream = None

    for entry in piece.files:
        try:
            rec = _load(afs, aroot, entry, config)
        except (OSError, ValueError, EOFError) as exc:
            # the stream cannot continue across a missing stretch: end it, restart after the file
            error(entry.file, "load", exc)
            end_stream()
            continue
        if stream is None:
            stream = _Stream(new_monitor(config, spec, library))
        mon = stream.monitor
        first = mon.samples_seen
        stream.files.append([first, _epoch_us(entry.start), entry.file])
        start_us = stream.files[-1][1]
        step = max(1, int(round(chunk_s * config.fs)))
        i, v = rec.current, rec.voltage
        pushes = []
        try:
            for k in range(0, i.shape[0], step):
                table, alerts = mon.process(i[k:k + step], None if v is None else v[k:k + step])
                if alerts:
                    _alert_rows(alerts, stream, seg, part, rows)
                if len(table):
                    pushes.append(_Minutes.columns(table))
        except (ValueError, ArithmeticError) as exc:
            error(entry.file, "replay", exc)
            end_stream()
            continue
        finally:
            # the cycles replayed before an error count too
            minutes.add(pushes, first, start_us, config.fs)
            minutes.flush()
        del rec, i, v, pushes

    state = None
    if last or stream is None:
        end_stream()
        rows["minutes"].extend(minutes.rows(seg, part, keep_last=False))
    else:
        rows["minutes"].extend(minutes.rows(seg, part, keep_last=True))
        stream.files = stream.files[-8:]     # late alerts refer back a few seconds at most
        state = {"monitor": stream.monitor.state_dict(), "files": stream.files, "minutes": minutes.state()}
    for t in TABLES:
        write_partition(ofs, oroot, t, piece.terminal, piece.uid, rows[t])
    counts = {t: len(rows[t]) for t in TABLES}
    write_json(ofs, marker_path(oroot, piece.terminal, piece.uid),
               {"key": marker_key(piece, config), "rows": counts, "state": state})
    return {"terminal": piece.terminal, "uid": piece.uid, "rows": counts, "state": state}
