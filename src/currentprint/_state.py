"""JSON-safe encoding of detector and monitor state (NumPy arrays included).

Used by :meth:`BaseDetector.state_dict` and the Monitor's save/load, so
that a restarted terminal continues exactly where it stopped. Floats go
through ``repr``-exact JSON numbers; arrays keep dtype and shape; NaN and
infinity are encoded explicitly (JSON has no literal for them).
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import CorruptFileError, InputError

__all__ = ["encode", "decode", "atomic_write_json", "read_json"]


def encode(obj):
    """Turn ``obj`` into JSON-safe data that :func:`decode` restores exactly."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        if math.isfinite(x):
            return x
        return {"__float__": repr(x)}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (complex, np.complexfloating)):
        return {"__complex__": [encode(obj.real), encode(obj.imag)]}
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        if arr.dtype.kind not in "biufc":
            raise InputError(f"cannot save an array of dtype {arr.dtype}")
        return {"__ndarray__": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(x) for x in obj]}
    if isinstance(obj, list):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            if any(k.startswith("__") and k.endswith("__") for k in obj):
                return {"__dict__": [[k, encode(v)] for k, v in obj.items()]}
            return {k: encode(v) for k, v in obj.items()}
        return {"__dict__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if hasattr(obj, "state_dict") and hasattr(obj, "get_params"):
        # a nested detector/analyzer: rebuild from its class, params and state
        return {"__object__": f"{type(obj).__module__}:{type(obj).__qualname__}",
                "params": encode(obj.get_params()), "state": encode(obj.state_dict())}
    if hasattr(obj, "to_dict") and hasattr(type(obj), "from_dict"):
        return {"__object__": f"{type(obj).__module__}:{type(obj).__qualname__}", "data": encode(obj.to_dict())}
    raise InputError(f"cannot save an object of type {type(obj).__name__}; "
                     "give it state_dict/load_state or to_dict/from_dict")


def _import(path: str):
    import importlib
    module, _, qual = path.partition(":")
    if not module.startswith("currentprint") and os.environ.get("CURRENTPRINT_TRUST_STATE") != "1":
        # state files only rebuild our own classes unless told otherwise
        raise CorruptFileError(f"state refers to foreign class {path!r}; set CURRENTPRINT_TRUST_STATE=1 to allow")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def decode(data):
    """Inverse of :func:`encode`."""
    if isinstance(data, list):
        return [decode(x) for x in data]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        return float(data["__float__"])
    if "__complex__" in data:
        re, im = data["__complex__"]
        return complex(decode(re), decode(im))
    if "__ndarray__" in data:
        raw = base64.b64decode(data["__ndarray__"])
        arr = np.frombuffer(raw, dtype=np.dtype(data["dtype"])).copy()
        return arr.reshape(data["shape"])
    if "__tuple__" in data:
        return tuple(decode(x) for x in data["__tuple__"])
    if "__dict__" in data:
        return {decode(k): decode(v) for k, v in data["__dict__"]}
    if "__object__" in data:
        cls = _import(data["__object__"])
        if "state" in data:
            obj = cls(**decode(data["params"]))
            obj.load_state(decode(data["state"]))
            return obj
        return cls.from_dict(decode(data["data"]))
    return {k: decode(v) for k, v in data.items()}


def atomic_write_json(path, payload: dict) -> None:
    """Write JSON to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json(path, *, kind: str, schema: str, versions: tuple[int, ...]) -> dict:
    """Read a file written by :func:`atomic_write_json` and check its header.

    The payload must be a dict with ``"schema" == schema`` and
    ``"version" in versions``; anything else raises :class:`CorruptFileError`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{path} is not a valid {kind} file (damaged or truncated JSON: {exc}); "
                               "restore it from a backup or create a new one.") from None
    if not isinstance(payload, dict) or payload.get("schema") != schema:
        raise CorruptFileError(f"{path} is not a currentprint {kind} file (schema {payload.get('schema') if isinstance(payload, dict) else None!r}).")
    if payload.get("version") not in versions:
        raise CorruptFileError(f"{path} is a {kind} file of version {payload.get('version')!r}; "
                               f"this currentprint reads versions {list(versions)}.")
    return payload
