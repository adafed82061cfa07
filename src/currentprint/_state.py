"""Data-only encoding of detector, analyser and monitor state, and safe state files.

What a state or library file may hold is *data*: ``None``, booleans,
integers, floats (NaN and infinity written explicitly, JSON has no literal
for them), strings, lists, tuples, dicts and NumPy arrays of numeric dtype.
Nothing read from a file names a class, a function or a module, so loading
a file can never build an object or run code; the objects that receive the
data (detectors, analysers) are built by the code from their registered
names and validated parameters, and every restored value is checked by its
owner (:meth:`~currentprint.BaseDetector.check_state`) before a compiled
kernel sees it.

Arrays are stored byte-shuffled and zlib-compressed (exact round trip);
files written by :func:`atomic_write_json` carry a SHA-256 of their body.
Decoding is bounded: nesting depth, total array bytes and file size are
limited, so a hostile file cannot exhaust the stack or the memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import os
import re
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFileError, InputError, MissingFileError

__all__ = ["encode", "decode", "atomic_write_json", "read_json", "dedupe_arrays", "resolve_arrays",
           "check_int", "check_float", "check_array", "check_keys", "MAX_DEPTH", "MAX_ARRAY_BYTES",
           "MAX_FILE_BYTES"]

#: deepest nesting of containers accepted in a state (real states use < 12)
MAX_DEPTH = 48
#: total bytes of all arrays decoded from one document
MAX_ARRAY_BYTES = 256 * 2 ** 20
#: largest state or library file read
MAX_FILE_BYTES = 512 * 2 ** 20

# the only array types a state may hold (explicit byte order: a file is
# read the same on every machine)
_DTYPES = {np.dtype(t).str: np.dtype(t) for t in
           (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
            np.float32, np.float64, np.complex64, np.complex128)}
_MARKERS = {"__float__", "__complex__", "__ndarray__", "__tuple__", "__dict__"}
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# ---------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------
def _shuffle(raw: bytes, item: int) -> bytes:
    # byte-transpose (as in HDF5/Blosc "shuffle"): exponents and high
    # mantissa bytes of neighbouring floats line up and compress well
    if item <= 1 or not raw:
        return raw
    return np.frombuffer(raw, np.uint8).reshape(-1, item).T.tobytes()


def _unshuffle(raw: bytes, item: int) -> bytes:
    if item <= 1 or not raw:
        return raw
    return np.frombuffer(raw, np.uint8).reshape(item, -1).T.tobytes()


def encode(obj: Any, _depth: int = 0) -> Any:
    """Turn ``obj`` into JSON-safe data that :func:`decode` restores exactly.

    Only data is accepted (see the module docstring); anything else raises
    :class:`~currentprint.errors.InputError`: state is never saved as an
    object to rebuild.
    """
    if _depth > MAX_DEPTH:
        raise InputError(f"state nests deeper than {MAX_DEPTH} levels; keep detector state flat")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if isinstance(obj, (complex, np.complexfloating)):
        return {"__complex__": [encode(obj.real), encode(obj.imag)]}
    if isinstance(obj, np.ndarray):
        dt = obj.dtype.newbyteorder("<") if obj.dtype.byteorder == ">" else obj.dtype
        if dt.str not in _DTYPES:
            raise InputError(f"cannot save an array of dtype {obj.dtype}; state arrays must be numeric")
        arr = np.ascontiguousarray(obj, dtype=dt)
        raw = zlib.compress(_shuffle(arr.tobytes(), dt.itemsize), 6)
        return {"__ndarray__": base64.b64encode(raw).decode("ascii"), "dtype": dt.str,
                "shape": [int(n) for n in arr.shape], "codec": "shuffle-zlib"}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(x, _depth + 1) for x in obj]}
    if isinstance(obj, list):
        return [encode(x, _depth + 1) for x in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(k.startswith("__") and k.endswith("__") for k in obj):
            return {k: encode(v, _depth + 1) for k, v in obj.items()}
        return {"__dict__": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in obj.items()]}
    raise InputError(f"cannot save an object of type {type(obj).__name__}: state must be data (numbers, "
                     "strings, lists, dicts, NumPy arrays); store an object's own state instead")


# ---------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------
class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, n: int) -> None:
        if n > self.left:
            raise CorruptFileError(f"the state holds more than {MAX_ARRAY_BYTES // 2 ** 20} MiB of arrays; "
                                   "refusing it (damaged or not written by currentprint)")
        self.left -= n


def _bad(msg: str) -> CorruptFileError:
    return CorruptFileError(f"damaged state data: {msg}")


def _decode_array(data: dict, budget: _Budget) -> np.ndarray:
    if set(data) - {"__ndarray__", "dtype", "shape", "codec"}:
        raise _bad(f"unknown array fields {sorted(set(data) - {'__ndarray__', 'dtype', 'shape', 'codec'})}")
    dtype_name = data.get("dtype")
    dt = _DTYPES.get(dtype_name) if isinstance(dtype_name, str) else None
    if dt is None:
        raise _bad(f"array dtype {data.get('dtype')!r} is not one of the numeric types a state may hold")
    shape = data.get("shape")
    if not isinstance(shape, list) or len(shape) > 8 or not all(
            type(n) is int and 0 <= n <= MAX_ARRAY_BYTES for n in shape):
        raise _bad(f"array shape {shape!r} is not a list of at most 8 non-negative integers")
    count = math.prod(shape)
    nbytes = count * dt.itemsize
    budget.take(nbytes)
    text = data["__ndarray__"]
    if not isinstance(text, str) or len(text) > 2 * MAX_ARRAY_BYTES:
        raise _bad("array payload is not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("array payload is not valid base64") from None
    codec = data.get("codec")
    if codec == "shuffle-zlib":
        try:
            d = zlib.decompressobj()
            raw = d.decompress(raw, nbytes + 1)      # bounded: never more than the shape says
            if d.unconsumed_tail or not d.eof:
                raise _bad("compressed array is longer than its shape or truncated")
        except zlib.error as exc:
            raise _bad(f"compressed array is damaged ({exc})") from None
        if len(raw) != nbytes:
            raise _bad(f"array of shape {shape} and dtype {dt.str} needs {nbytes} bytes, got {len(raw)}")
        raw = _unshuffle(raw, dt.itemsize)
    elif codec is not None:
        raise _bad(f"unknown array codec {codec!r}")
    if len(raw) != nbytes:
        raise _bad(f"array of shape {shape} and dtype {dt.str} needs {nbytes} bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _bad(f"{x!r} is not a number")
    return float(x)


def decode(data: Any, *, _depth: int = 0, _budget: _Budget | None = None) -> Any:
    """Inverse of :func:`encode`; :class:`CorruptFileError` for anything it did not write.

    Never builds an object other than the data types listed in the module
    docstring; an unknown ``"__...__"`` marker (an old file's
    ``"__object__"`` included) is refused.
    """
    budget = _Budget(MAX_ARRAY_BYTES) if _budget is None else _budget
    if _depth > MAX_DEPTH:
        raise _bad(f"nested deeper than {MAX_DEPTH} levels")
    if data is None or isinstance(data, (bool, str)):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, np.ndarray):
        # put in place by resolve_arrays (never produced by JSON parsing): a private copy
        budget.take(data.nbytes)
        return data.copy()
    if isinstance(data, list):
        return [decode(x, _depth=_depth + 1, _budget=budget) for x in data]
    if not isinstance(data, dict):
        raise _bad(f"unexpected value of type {type(data).__name__}")
    marks = [k for k in data if isinstance(k, str) and k.startswith("__") and k.endswith("__")]
    if not marks:
        return {k: decode(v, _depth=_depth + 1, _budget=budget) for k, v in data.items()}
    if len(marks) != 1 or marks[0] not in _MARKERS:
        raise _bad(f"unknown entry {marks!r} (state files hold data only; objects are never rebuilt from a file)")
    mark = marks[0]
    if mark == "__ndarray__":
        return _decode_array(data, budget)
    if len(data) != 1:
        raise _bad(f"{mark} entry with extra fields {sorted(data)}")
    body = data[mark]
    if mark == "__float__":
        if body not in _SPECIAL_FLOATS:
            raise _bad(f"{body!r} is not nan, inf or -inf")
        return _SPECIAL_FLOATS[body]
    if mark == "__complex__":
        if not isinstance(body, list) or len(body) != 2:
            raise _bad("a complex number needs [real, imag]")
        re_, im = (_number(decode(x, _depth=_depth + 1, _budget=budget)) for x in body)
        return complex(re_, im)
    if mark == "__tuple__":
        if not isinstance(body, list):
            raise _bad("a tuple needs a list")
        return tuple(decode(x, _depth=_depth + 1, _budget=budget) for x in body)
    # "__dict__": pairs with keys of any hashable data type
    if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
        raise _bad("a dict needs a list of [key, value] pairs")
    out = {}
    for k, v in body:
        key = decode(k, _depth=_depth + 1, _budget=budget)
        if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
            raise _bad(f"dict key of type {type(key).__name__}")
        try:
            out[key] = decode(v, _depth=_depth + 1, _budget=budget)
        except TypeError:       # a tuple key holding a list
            raise _bad("dict key is not hashable") from None
    return out


# ---------------------------------------------------------------------------
# sharing identical arrays between parts of one document (Monitor.save)
# ---------------------------------------------------------------------------
def dedupe_arrays(data: Any) -> tuple[Any, list]:
    """Store the arrays of ``data`` once: whole arrays, and the rows of waveform arrays.

    Detectors fed the same cycles (the event detector, the fire detectors'
    recent cycles) hold equal arrays, or overlapping windows of the same
    resampled cycles; the file stores each array, and each row of a 2-D
    float array of >= 16 columns, once. A repeated array becomes
    ``{"__ref__": k}`` into the pool; a waveform array becomes
    ``{"__rows__": k, "index": <int array>}``: its rows, taken from the
    pool's table ``k``. Returns ``(data, pool)``; :func:`resolve_arrays` is
    the inverse.
    """
    index: dict[tuple, int] = {}
    pool: list = []
    tables: dict[tuple, tuple[int, dict, list]] = {}     # (dtype, width) -> (pool slot, row -> k, rows)

    def rows_of(x: dict) -> Any:
        arr = decode(x)
        key = (arr.dtype.str, arr.shape[1])
        if key not in tables:
            tables[key] = (len(pool), {}, [])
            pool.append(None)                          # filled in at the end
        slot, seen, rows = tables[key]
        idx = np.empty(arr.shape[0], dtype=np.int64)
        for r in range(arr.shape[0]):
            raw = arr[r].tobytes()
            k = seen.get(raw)
            if k is None:
                k = seen[raw] = len(rows)
                rows.append(arr[r])
            idx[r] = k
        return {"__rows__": slot, "index": encode(idx)}

    def walk(x: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 4:
            raise InputError("state nests too deeply")
        if isinstance(x, list):
            return [walk(v, depth + 1) for v in x]
        if not isinstance(x, dict):
            return x
        if "__ndarray__" in x:
            shape = x.get("shape", ())
            if len(shape) == 2 and shape[0] > 0 and shape[1] >= 16 and x.get("dtype") in ("<f8", "<c16"):
                return rows_of(x)
            if len(x["__ndarray__"]) < 64:      # small arrays: a reference saves nothing
                return x
            key = (x["__ndarray__"], x.get("dtype"), tuple(shape), x.get("codec"))
            k = index.get(key)
            if k is None:
                k = index[key] = len(pool)
                pool.append(x)
            return {"__ref__": k}
        return {k: walk(v, depth + 1) for k, v in x.items()}

    out = walk(data, 0)
    for slot, _, rows in tables.values():
        pool[slot] = encode(np.stack(rows))
    return out, pool


def resolve_arrays(data: Any, pool: Any) -> Any:
    """Inverse of :func:`dedupe_arrays` (references and row indices checked against the pool).

    Arrays come back decoded (NumPy arrays inside the JSON data, which
    :func:`decode` passes through as copies), within the same byte budget as
    :func:`decode`.
    """
    if not isinstance(pool, list) or len(pool) > 100_000 or not all(
            isinstance(p, dict) and "__ndarray__" in p for p in pool):
        raise _bad("the array pool is not a list of arrays")
    budget = _Budget(MAX_ARRAY_BYTES)
    cache: dict[int, np.ndarray] = {}

    def entry(k: Any) -> np.ndarray:
        if type(k) is not int or not 0 <= k < len(pool):
            raise _bad(f"array reference {k!r} outside the pool of {len(pool)}")
        if k not in cache:
            cache[k] = decode(pool[k], _budget=budget)
        return cache[k]

    def walk(x: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 4:
            raise _bad(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(x, list):
            return [walk(v, depth + 1) for v in x]
        if not isinstance(x, dict):
            return x
        if "__ref__" in x:
            if len(x) != 1:
                raise _bad("an array reference has extra fields")
            return entry(x["__ref__"])
        if "__rows__" in x:
            if set(x) != {"__rows__", "index"}:
                raise _bad("a row reference needs exactly __rows__ and index")
            table = entry(x["__rows__"])
            idx = decode(x["index"], _budget=budget)
            if table.ndim != 2 or not isinstance(idx, np.ndarray) or idx.dtype != np.int64 or idx.ndim != 1 \
                    or (idx.size and (idx.min() < 0 or idx.max() >= table.shape[0])):
                raise _bad("row references outside their table")
            budget.take(idx.size * table.shape[1] * table.itemsize)
            return table[idx]
        return {k: walk(v, depth + 1) for k, v in x.items()}

    return walk(data, 0)


# ---------------------------------------------------------------------------
# checks used by load_state / check_state implementations
# ---------------------------------------------------------------------------
def check_keys(state: Any, keys, what: str) -> dict:
    """``state`` must be a dict with exactly ``keys``."""
    if not isinstance(state, dict):
        raise _bad(f"{what} must be a dict, got {type(state).__name__}")
    want = set(keys)
    if set(state) != want:
        extra, missing = sorted(map(str, set(state) - want)), sorted(map(str, want - set(state)))
        raise _bad(f"{what} has unexpected fields {extra} / lacks {missing}")
    return state


def check_int(x: Any, what: str, lo: int | float = 0, hi: int | float = 2 ** 62) -> int:
    """An integer (or integral float) within ``[lo, hi]``."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise _bad(f"{what} must be an integer, got {type(x).__name__}")
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(x) or x != math.floor(x):
            raise _bad(f"{what} must be an integer, got {x!r}")
    if not lo <= x <= hi:
        raise _bad(f"{what}={x!r} outside [{lo}, {hi}]")
    return int(x)


def check_float(x: Any, what: str, lo: float = -math.inf, hi: float = math.inf, *, nan: bool = False) -> float:
    """A real number within ``[lo, hi]`` (NaN only when ``nan``)."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise _bad(f"{what} must be a number, got {type(x).__name__}")
    x = float(x)
    if math.isnan(x):
        if not nan:
            raise _bad(f"{what} is NaN")
        return x
    if not lo <= x <= hi:
        raise _bad(f"{what}={x!r} outside [{lo}, {hi}]")
    return x


def check_array(x: Any, what: str, *, dtype=np.float64, shape: tuple | None = None, ndim: int | None = None,
                finite: bool = False, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """A NumPy array of ``dtype`` (exactly) and ``shape`` (None entries: any), values in range."""
    if not isinstance(x, np.ndarray):
        raise _bad(f"{what} must be an array, got {type(x).__name__}")
    if x.dtype != np.dtype(dtype):
        raise _bad(f"{what} must be of dtype {np.dtype(dtype)}, got {x.dtype}")
    if shape is not None:
        if x.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, x.shape)):
            raise _bad(f"{what} has shape {x.shape}, expected {shape}")
    elif ndim is not None and x.ndim != ndim:
        raise _bad(f"{what} must have {ndim} dimension(s), got {x.ndim}")
    if x.dtype.kind in "fc" and (finite or lo is not None or hi is not None):
        with np.errstate(invalid="ignore"):
            if finite and not np.isfinite(x).all():
                raise _bad(f"{what} holds NaN or infinity")
    if lo is not None and x.size and np.nanmin(x) < lo:
        raise _bad(f"{what} holds values below {lo}")
    if hi is not None and x.size and np.nanmax(x) > hi:
        raise _bad(f"{what} holds values above {hi}")
    return x


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------
def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide and racy)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_TMP_RE = re.compile(r"\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
#: a temporary file of a dead writer older than this is removed (s)
_ORPHAN_AGE_S = 10.0
#: any temporary file older than this is removed (a save never takes an hour; other hosts' writers on a
#: shared folder cannot be asked whether they are alive)
_STALE_AGE_S = 3600.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _clean_orphans(path: Path) -> None:
    """Remove temporary files left by saves to ``path`` that were killed."""
    prefix = path.name + "."
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for e in entries:
        if not (e.name.startswith(prefix) and e.name.endswith(".tmp")):
            continue
        m = _TMP_RE.search(e.name[len(path.name):])
        if m is None:
            continue
        try:
            st = e.stat(follow_symlinks=False)
            if not e.is_file(follow_symlinks=False):
                continue
            age = now - st.st_mtime
            pid = int(m.group(1))
            if age > _STALE_AGE_S or (age > _ORPHAN_AGE_S and pid != os.getpid() and not _alive(pid)):
                os.unlink(e.path)
        except (OSError, ValueError):
            pass


def _checksum(body: Any) -> str:
    text = json.dumps(body, allow_nan=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def atomic_write_json(path, payload: dict, *, body: str | None = None) -> None:
    """Write JSON to ``path`` atomically (temp file in the same folder, fsync, rename).

    The file gets the permissions a new file gets (``0o666`` less the
    umask), or keeps those of the file it replaces. Temporary files of
    earlier saves that were killed are removed. With ``body``, the payload
    gets a ``"checksum"`` of ``payload[body]`` that :func:`read_json` verifies.
    """
    if body is not None:
        payload = {**payload, "checksum": _checksum(payload[body])}
    try:
        text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"cannot save: the data is not JSON-safe ({exc})") from None
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def atomic_write(path, write: Any) -> None:
    """Call ``write(fh)`` on a binary temporary file beside ``path``, fsync, rename onto ``path``.

    A crash or an exception at any point leaves the old file byte-identical
    and no temporary file behind (one left by a killed process is removed by
    a later save). Permissions as :func:`atomic_write_json` says.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a file name to save to")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    if not parent.is_dir():
        raise InputError(f"cannot save to {path}: the folder {parent} does not exist; create it first.")
    _clean_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.{os.getpid()}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def read_json(path, *, kind: str, schema: str, versions: tuple[int, ...], body: str | None = None) -> dict:
    """Read a file written by :func:`atomic_write_json` and check its header.

    The payload must be a dict with ``"schema" == schema`` and
    ``"version" in versions``; with ``body``, a ``"checksum"`` present in the
    file must match ``payload[body]``. Anything else raises
    :class:`CorruptFileError`; a missing file
    :class:`~currentprint.errors.MissingFileError` (a :class:`FileNotFoundError`),
    a directory :class:`~currentprint.errors.InputError`.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a {kind} file; give the file's path.")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a {kind} file; give the file's path.") from None
    except FileNotFoundError:
        raise MissingFileError(f"no such {kind} file: {path}") from None
    except PermissionError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; check the file's permissions.") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CorruptFileError(f"{path} is larger than {MAX_FILE_BYTES // 2 ** 20} MiB; not a {kind} file.")
    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:   # JSONDecodeError is a ValueError
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"damaged or truncated JSON: {exc}"
        raise CorruptFileError(f"{path} is not a valid {kind} file ({why}); "
                               "restore it from a backup or create a new one.") from None
    if not isinstance(payload, dict) or payload.get("schema") != schema:
        got = payload.get("schema") if isinstance(payload, dict) else None
        raise CorruptFileError(f"{path} is not a currentprint {kind} file (schema {str(got)[:80]!r}).")
    if payload.get("version") not in versions:
        raise CorruptFileError(f"{path} is a {kind} file of version {str(payload.get('version'))[:40]!r}; "
                               f"this currentprint reads versions {list(versions)}.")
    if body is not None and "checksum" in payload:
        try:
            ok = payload["checksum"] == _checksum(payload.get(body))
        except (TypeError, ValueError, RecursionError):
            ok = False
        if not ok:
            raise CorruptFileError(f"{path}: the checksum does not match the content (the file was damaged or "
                                   "edited); restore it from a backup (after an edit on purpose, delete its \"checksum\" field).")
    return payload
