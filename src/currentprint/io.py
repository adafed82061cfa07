"""Reading recordings from files: NumPy ``.npz``, CSV, WAV (and FLAC etc. with soundfile).

Used by the command line (``currentprint analyze FILE``); handy in scripts too::

    rec = currentprint.io.load_recording("kettle_01.npz")
    table = currentprint.analyze(rec.current, rec.voltage, fs=rec.fs, calibration=rec.calibration)
"""

from __future__ import annotations

import csv
import io as _io
import wave
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .core.signal import Calibration

__all__ = ["Recording", "load_recording", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".npz", ".csv", ".txt", ".wav", ".flac", ".ogg", ".aiff", ".aif")

_CURRENT_NAMES = ("current", "i", "i_a", "current_a", "amps", "ia")
_VOLTAGE_NAMES = ("voltage", "v", "u", "v_v", "voltage_v", "volts", "ua", "va")
_TIME_NAMES = ("time", "t", "t_s", "time_s", "seconds", "timestamp")


@dataclass
class Recording:
    """Samples read from a file.

    Attributes
    ----------
    current : ndarray
        Current samples (A, or counts when ``calibration`` scales them).
    voltage : ndarray or None
        Voltage samples (V or counts), or None when the file has none.
    fs : float
        Sample rate, Hz.
    calibration : Calibration or None
        Scales found in the file or given by the caller.
    meta : dict
        Other facts from the file (labels, event samples, source format).
    """

    current: np.ndarray
    voltage: np.ndarray | None
    fs: float
    calibration: Calibration | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Length of the recording, s."""
        return self.current.shape[0] / self.fs


def load_recording(path: str | PathLike, *, fs: float | None = None, current_scale: float | None = None,
                   voltage_scale: float | None = None, key: str | None = None) -> Recording:
    """Read current (and voltage) samples from a file.

    Parameters
    ----------
    path : path-like
        ``.npz`` with arrays ``current`` (and ``voltage``, ``fs``, optionally
        ``current_scale``/``voltage_scale`` in A and V per count), or pairs
        ``<key>_current``/``<key>_voltage``; ``.csv``/``.txt`` with a header
        naming ``current``/``voltage``/``time`` columns, or without a header
        (column 1 current, column 2 voltage); ``.wav`` (PCM, channel 1
        current, channel 2 voltage; read with the standard library) or any
        format ``soundfile`` reads (``.flac``, ``.ogg``; needs the ``audio``
        extra).
    fs : float, optional
        Sample rate, Hz; overrides the file's. Needed for CSV files without
        a time column.
    current_scale, voltage_scale : float, optional
        A (V) per input unit; override the file's scales.
    key : str, optional
        Which ``<key>_current`` pair of an ``.npz`` to read.

    Returns
    -------
    Recording

    Raises
    ------
    FileNotFoundError
        No such file.
    InputError
        Unknown format, missing channels or sample rate, unreadable content.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    suffix = p.suffix.lower()
    if suffix == ".npz":
        rec = _load_npz(p, key)
    elif suffix in (".csv", ".txt"):
        rec = _load_csv(p)
    elif suffix == ".wav":
        rec = _load_wav(p)
    elif suffix in SUPPORTED_SUFFIXES:
        rec = _load_soundfile(p)
    else:
        raise InputError(f"{p.name}: unknown file type {suffix!r}; give one of {', '.join(SUPPORTED_SUFFIXES)}.")
    if fs is not None:
        rec.fs = float(fs)
    if rec.fs is None or not np.isfinite(rec.fs) or rec.fs <= 0:
        raise InputError(f"{p.name} does not say its sample rate; pass it (--fs HZ on the command line).")
    scales = {}
    if rec.calibration is not None:
        scales = {"current_scale": rec.calibration.current_scale, "voltage_scale": rec.calibration.voltage_scale}
    if current_scale is not None:
        scales["current_scale"] = float(current_scale)
    if voltage_scale is not None:
        scales["voltage_scale"] = float(voltage_scale)
    rec.calibration = Calibration(**scales) if scales else None
    if rec.voltage is not None and rec.voltage.shape != rec.current.shape:
        raise InputError(f"{p.name}: current has {rec.current.shape[0]} samples but voltage "
                         f"{rec.voltage.shape[0]}.")
    if rec.current.ndim != 1 or rec.current.shape[0] == 0:
        raise InputError(f"{p.name}: the current must be a non-empty 1-D array, got shape {rec.current.shape}.")
    rec.meta.setdefault("path", str(p))
    return rec


def _load_npz(p: Path, key: str | None) -> Recording:
    try:
        data = np.load(p, allow_pickle=False)
        files = set(data.files)
    except (OSError, ValueError) as exc:
        raise InputError(f"{p.name} is not a readable .npz archive ({exc}).") from None
    with data:
        if key is not None:
            ci, vi = f"{key}_current", f"{key}_voltage"
            if ci not in files:
                raise InputError(f"{p.name} has no array {ci!r}; arrays: {', '.join(sorted(files))}.")
        elif "current" in files:
            ci, vi = "current", "voltage"
        else:
            keys = sorted(f[: -len("_current")] for f in files if f.endswith("_current"))
            if len(keys) == 1:
                ci, vi = f"{keys[0]}_current", f"{keys[0]}_voltage"
            elif keys:
                raise InputError(f"{p.name} holds several recordings ({', '.join(keys)}); choose one with "
                                 "--key NAME.")
            else:
                raise InputError(f"{p.name} has no 'current' array; arrays: {', '.join(sorted(files))}.")
        current = np.asarray(data[ci])
        voltage = np.asarray(data[vi]) if vi in files else None
        fs = float(data["fs"]) if "fs" in files else None
        cal = None
        if "current_scale" in files or "voltage_scale" in files:
            cal = Calibration(current_scale=float(data["current_scale"]) if "current_scale" in files else 1.0,
                              voltage_scale=float(data["voltage_scale"]) if "voltage_scale" in files else 1.0)
        meta: dict[str, Any] = {"format": "npz"}
        for name in ("label", "appliance"):
            if name in files:
                meta[name] = str(data[name])
        if "event_samples" in files:
            meta["event_samples"] = [int(x) for x in np.asarray(data["event_samples"]).ravel()]
    return Recording(current, voltage, fs, cal, meta)


def _load_csv(p: Path) -> Recording:
    text = p.read_text(encoding="utf-8", errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{p.name} is empty.")
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t ")
        delim = dialect.delimiter
    except csv.Error:
        delim = ","
    # keep empty header cells (an unnamed index column, as pandas writes it):
    # dropping them would shift every name after them by one column
    first = [c.strip().strip('"').lower() for c in lines[0].split(delim)]
    if delim == " ":
        first = [c for c in first if c]
    header = not all(_is_number(c) for c in first)
    body = "\n".join(lines[1:] if header else lines)
    try:
        arr = np.loadtxt(_io.StringIO(body), delimiter=None if delim == " " else delim, ndmin=2)
    except ValueError as exc:
        raise InputError(f"{p.name}: cannot read numbers ({exc}).") from None
    if arr.shape[0] == 0:
        raise InputError(f"{p.name} has a header but no samples.")
    cols = {name: k for k, name in enumerate(first)} if header else {}

    def find(names):
        for n in names:
            if n in cols:
                return cols[n]
        return None

    fs = None
    if header:
        ci, vi, ti = find(_CURRENT_NAMES), find(_VOLTAGE_NAMES), find(_TIME_NAMES)
        if ci is None:
            raise InputError(f"{p.name}: no current column; name it 'current' (columns: {', '.join(first)}).")
        if ti is not None and arr.shape[0] > 1:
            dt = np.diff(arr[:, ti])
            if np.all(dt > 0):
                fs = 1.0 / float(np.median(dt))
    else:
        ci, vi = 0, (1 if arr.shape[1] > 1 else None)
    current = np.ascontiguousarray(arr[:, ci])
    voltage = None if vi is None else np.ascontiguousarray(arr[:, vi])
    return Recording(current, voltage, fs, None, {"format": "csv"})


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _split_channels(frames: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    if frames.ndim == 1:
        return np.ascontiguousarray(frames), None
    if frames.shape[1] > 2:
        raise InputError(f"{name} has {frames.shape[1]} channels; expected 1 (current) or 2 (current, voltage).")
    voltage = np.ascontiguousarray(frames[:, 1]) if frames.shape[1] == 2 else None
    return np.ascontiguousarray(frames[:, 0]), voltage


def _load_wav(p: Path) -> Recording:
    try:
        with wave.open(str(p), "rb") as w:
            nch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(n)
    except (wave.Error, EOFError) as exc:
        # float or extensible WAV: the standard library reads PCM only
        try:
            return _load_soundfile(p)
        except InputError:
            raise InputError(f"{p.name} is not a readable WAV file ({exc}).") from None
    dtypes = {1: np.uint8, 2: np.int16, 4: np.int32}
    if width not in dtypes:
        return _load_soundfile(p)
    frames = np.frombuffer(raw, dtype=np.dtype(dtypes[width]).newbyteorder("<")).astype(dtypes[width])
    if width == 1:
        frames = frames.astype(np.int16) - 128       # 8-bit WAV is unsigned
    frames = frames.reshape(-1, nch) if nch > 1 else frames
    current, voltage = _split_channels(frames, p.name)
    return Recording(current, voltage, float(rate), None, {"format": "wav", "bits": 8 * width})


def _load_soundfile(p: Path) -> Recording:
    try:
        import soundfile
    except ImportError:
        raise InputError(f"reading {p.suffix} files needs soundfile: pip install 'currentprint[audio]'") from None
    try:
        frames, rate = soundfile.read(str(p), dtype="float64", always_2d=False)
    except RuntimeError as exc:
        raise InputError(f"{p.name} is not readable by soundfile ({exc}).") from None
    current, voltage = _split_channels(np.asarray(frames), p.name)
    return Recording(current, voltage, float(rate), None, {"format": p.suffix.lower().lstrip(".")})
