"""Fuzz targets of the loaders and the streaming analyser.

Each target takes arbitrary bytes and must either succeed or raise a
``currentprint`` error that is a ``ValueError`` (a missing file aside);
anything else -- another exception, a crash, a hang -- is a bug. Used by
``run.py`` (atheris, coverage-guided, when it is installed) and by
``tests/test_fuzz.py`` (the stored corpus and hypothesis, always).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings

import numpy as np

import currentprint as cp
from currentprint.errors import CurrentprintError

_TMP = tempfile.mkdtemp(prefix="currentprint-fuzz-")


def _file(data: bytes, suffix: str) -> str:
    path = os.path.join(_TMP, "input" + suffix)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _expect(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call()
    except CurrentprintError as exc:
        if not isinstance(exc, ValueError):
            raise AssertionError(f"{type(exc).__name__} is not a ValueError: {exc}") from exc
        return None


def _unchecked(data: bytes) -> bytes:
    """The file without its checksum (so that edits reach the checks behind it), when it is JSON."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return data
    if isinstance(doc, dict) and "checksum" in doc:
        del doc["checksum"]
        return json.dumps(doc).encode()
    return data


def monitor_load(data: bytes) -> None:
    """A state file (checksum removed), then 0.1 s of signal into the restored monitor."""
    mon = _expect(lambda: cp.Monitor.load(_file(_unchecked(data), ".json")))
    if mon is not None:
        t = np.arange(640) / mon.fs
        v = 325 * np.sin(2 * np.pi * 50 * t)
        _expect(lambda: mon.push(v / 100, v))


def library_load(data: bytes) -> None:
    lib = _expect(lambda: cp.FingerprintLibrary.load(_file(data, ".json")))
    if lib is not None and len(lib):
        _expect(lambda: lib.identify(list(lib.entries())[0][1]))


def load_recording(data: bytes) -> None:
    """The first byte picks the file type; the rest is the file."""
    suffix = (".npz", ".wav", ".csv")[data[0] % 3] if data else ".npz"
    rec = _expect(lambda: cp.io.load_recording(_file(data[1:], suffix)))
    if rec is not None and rec.current.size and rec.current.size <= 200_000:
        _expect(lambda: cp.analyze(rec.current, rec.voltage, fs=rec.fs, calibration=rec.calibration))


def analyzer_push(data: bytes) -> None:
    """Header bytes choose fs, dtype and chunking; the rest are samples."""
    if len(data) < 4:
        return
    fs = (1000.0, 6400.0, 10000.0, 4000.0)[data[0] % 4]
    dtype = (np.float64, np.float32, np.int16)[data[1] % 3]
    has_v = bool(data[2] & 1)
    chunk = 1 + data[3] * 7
    body = data[4:]
    n = len(body) // (2 * np.dtype(dtype).itemsize) * np.dtype(dtype).itemsize
    x = np.frombuffer(body[:n], dtype=np.uint8).copy().view(dtype)
    y = np.frombuffer(body[n:2 * n], dtype=np.uint8).copy().view(dtype)
    if dtype != np.int16:
        # raw bytes give wild floats; keep some finite so the kernel runs, and
        # add a mains wave so that cycles are found
        t = np.arange(x.size) / fs
        wave = 325 * np.sin(2 * np.pi * 50 * t)
        x = np.where(np.isfinite(x), x, 0.0).astype(dtype) + wave.astype(dtype) / 50
        y = np.where(np.isfinite(y), y, 0.0).astype(dtype) * 0 + wave.astype(dtype)
    an = _expect(lambda: cp.CycleAnalyzer(fs, harmonics=5))
    if an is None:
        return
    for k in range(0, x.size, chunk):
        _expect(lambda: an.push(x[k:k + chunk], y[k:k + chunk] if has_v else None))


TARGETS = {"monitor_load": monitor_load, "library_load": library_load, "load_recording": load_recording,
           "analyzer_push": analyzer_push}
