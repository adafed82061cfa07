"""Reading recordings from files: NumPy ``.npz``, CSV, WAV (and FLAC etc. with soundfile).

Used by the command line (``currentprint analyze FILE``); handy in scripts too::

    rec = currentprint.io.load_recording("kettle_01.npz")
    table = currentprint.analyze(rec.current, rec.voltage, fs=rec.fs, calibration=rec.calibration)
"""

from __future__ import annotations

import io as _io
import struct
import wave
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (CorruptFileError, CurrentprintError, InputError, InputWarning, MissingFileError,
                     SampleRateError)
from .core.signal import Calibration, check_fs

__all__ = ["Recording", "load_recording", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".npz", ".csv", ".txt", ".wav", ".flac", ".ogg", ".aiff", ".aif")



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
                   voltage_scale: float | None = None, key: str | None = None, columns: dict | None = None,
                   decimal: str | None = None, progress=None) -> Recording:
    """Read current (and voltage) samples from a file.

    Parameters
    ----------
    path : path-like
        ``.npz`` with arrays ``current`` (and ``voltage``, ``fs``, optionally
        ``current_scale``/``voltage_scale`` in A and V per count), or pairs
        ``<key>_current``/``<key>_voltage``; ``.csv``/``.txt`` with a header
        naming the current, voltage and time columns (``current``, ``I``,
        ``I_A``, ``current [mA]``, ``U_V``, ``voltage``, ``time``, ``t_ms``
        ...; a unit in the name scales the column to A, V and s), or
        without a header (column 1 current, column 2 voltage), separated by
        ``,``, ``;``, tabs or spaces, with decimal points or (with ``;``/tab
        separators) decimal commas; ``.wav`` (PCM, channel 1 current,
        channel 2 voltage; read with the standard library) or any format
        ``soundfile`` reads (``.flac``, ``.ogg``; needs the ``audio``
        extra). Integer PCM (WAV or FLAC alike) is returned as integer
        counts of the file's bit depth (int16 for 16 bit, int32 for 24 and
        32 bit), float PCM as floats: give the scales to get A and V.
    fs : float, optional
        Sample rate, Hz; overrides the file's. Needed for CSV files without
        a time column.
    current_scale, voltage_scale : float, optional
        A (V) per input unit; override the file's scales.
    key : str, optional
        Which ``<key>_current`` pair of an ``.npz`` to read.
    columns : dict, optional
        CSV only: which column holds what, ``{"current": NAME_OR_INDEX,
        "voltage": ..., "time": ...}`` (indices count from 0). Without it
        the header names are recognised; a named column left unread is
        reported with an :class:`~currentprint.errors.InputWarning`.
    decimal : {".", ","}, optional
        CSV only: the decimal mark (default: detected; a comma needs ``;``
        or tab separators).
    progress : callable, optional
        CSV only: called with the fraction of the file read (0..1) after
        each block of rows, e.g. to drive a progress bar.

    Returns
    -------
    Recording

    Raises
    ------
    MissingFileError
        No such file (a :class:`FileNotFoundError`).
    CorruptFileError
        The file is damaged, truncated, or not of the type its suffix says.
    SampleRateError
        The rate is missing from the file and not given, or not plausible
        (e.g. a damaged WAV header; at most 10 MHz).
    InputError
        Unknown format, missing channels, a directory, unreadable content.

    Warns
    -----
    InputWarning
        A CSV's time stamps are irregular (the sample rate inferred from
        them is named), or a named column was not used.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from currentprint.synth import sine
    >>> path = os.path.join(tempfile.mkdtemp(), "kettle.npz")
    >>> np.savez(path, current=sine(6400, 6400.0, amplitude=14.1),
    ...          voltage=sine(6400, 6400.0, amplitude=311.0), fs=6400.0)
    >>> rec = load_recording(path)
    >>> rec.fs, rec.current.shape, rec.duration_s
    (6400.0, (6400,), 1.0)
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a directory; give the path of a recording file in it.")
    if not p.is_file():
        raise MissingFileError(f"no such file: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npz":
            rec = _load_npz(p, key)
        elif suffix in (".csv", ".txt"):
            rec = _load_csv(p, columns=columns, decimal=decimal, progress=progress, infer_fs=fs is None)
        elif suffix == ".wav":
            rec = _load_wav(p)
        elif suffix in SUPPORTED_SUFFIXES:
            rec = _load_soundfile(p)
        else:
            raise InputError(f"{p.name}: unknown file type {suffix!r}; give one of "
                             f"{', '.join(SUPPORTED_SUFFIXES)}.")
    except CurrentprintError:
        raise
    except PermissionError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror}; check the file's permissions.") from None
    except (OSError, ValueError, TypeError, EOFError, KeyError, IndexError, NotImplementedError, RuntimeError,
            OverflowError, MemoryError, UnicodeError, zlib.error, struct.error, wave.Error) as exc:
        raise CorruptFileError(f"{p.name} is damaged or not a {suffix} recording "
                               f"({type(exc).__name__}: {str(exc)[:200]}).") from None
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"{p.name} is damaged or not a {suffix} recording (bad zip archive: {exc}).") from None
    if columns is not None and suffix not in (".csv", ".txt"):
        raise InputError(f"{p.name}: columns=... maps CSV columns; this is a {suffix} file.")
    if fs is not None:
        rec.fs = fs
    if rec.fs is None:
        raise InputError(f"{p.name} does not say its sample rate; pass it (--fs HZ on the command line).")
    try:
        rec.fs = check_fs(rec.fs)
    except SampleRateError as exc:
        raise SampleRateError(f"{p.name}: {exc}") from None
    for name, x in (("current", rec.current), ("voltage", rec.voltage)):
        if x is not None and (not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf"):
            raise InputError(f"{p.name}: the {name} samples are not numbers (dtype "
                             f"{getattr(x, 'dtype', type(x).__name__)}).")
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
    # the file is opened here so that it is closed whatever np.load does with a damaged archive
    with open(p, "rb") as fh:
        try:
            data = np.load(fh, allow_pickle=False)
            files = set(data.files)
        except (OSError, ValueError) as exc:
            raise CorruptFileError(f"{p.name} is not a readable .npz archive ({exc}).") from None
        return _read_npz(p, data, files, key)


def _read_npz(p: Path, data, files: set, key: str | None) -> Recording:
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


# -- CSV ------------------------------------------------------------------------------------------
#: characters parsed per block: bounds the memory of reading a big CSV to the output arrays
_CSV_BLOCK_CHARS = 1 << 22

_BASE_NAMES = {
    "current": ("current", "i", "ia", "ib", "ic", "il", "i1", "amps", "ampere", "amperes", "curr", "strom"),
    "voltage": ("voltage", "v", "u", "ua", "ub", "uc", "va", "vb", "vc", "v1", "u1", "vl", "ul", "un", "vn",
                "volts", "volt", "spannung"),
    "time": ("time", "t", "timestamp", "seconds", "sec", "secs", "zeit"),
}
#: unit written after a name ("I_A", "current [mA]", "time(ms)"): the quantity it implies and the factor to SI
_UNITS = {"a": ("current", 1.0), "ma": ("current", 1e-3), "ua": ("current", 1e-6), "ka": ("current", 1e3),
          "v": ("voltage", 1.0), "mv": ("voltage", 1e-3), "kv": ("voltage", 1e3),
          "s": ("time", 1.0), "ms": ("time", 1e-3), "us": ("time", 1e-6)}
_INDEX_NAMES = ("", "index", "idx", "n", "sample", "samples", "unnamed: 0", "#")


def _classify(name: str) -> tuple[str | None, float]:
    """(quantity, factor to A/V/s) a column name stands for, or (None, 1) when it is not recognised."""
    n = name.strip().strip('"').strip("'").lower()
    if n in _INDEX_NAMES or n.startswith("unnamed"):
        return None, 1.0
    unit = None
    for open_, close in (("[", "]"), ("(", ")"), ("{", "}")):
        if n.endswith(close) and open_ in n:
            n, unit = n[: n.rindex(open_)].strip(), n[n.rindex(open_) + 1: -1].strip()
            break
    else:
        for sep in ("_", " ", "/", "-", "."):
            if sep in n:
                head, tail = n.rsplit(sep, 1)
                if tail in _UNITS:
                    n, unit = head.strip(), tail
                    break
    n = n.rstrip("_ ")
    kind = None
    for quantity, names in _BASE_NAMES.items():
        if n in names:
            kind = quantity
    factor = 1.0
    if unit is not None and unit in _UNITS:
        by_unit, factor = _UNITS[unit]
        if kind is None and n in ("", "ch", "channel") or kind is None and len(n) <= 3:
            kind = by_unit
        elif kind is not None and kind != by_unit:
            return None, 1.0          # e.g. "v_a": contradictory, leave it to the caller
    elif unit is not None:
        return None, 1.0
    return kind, factor


def _csv_columns(names: list[str], columns: dict | None, pname: str) -> tuple[dict[str, int], dict[str, float]]:
    """Column index of current/voltage/time from an explicit mapping or the header; unit factors."""
    lowered = [c.strip().strip('"').lower() for c in names]
    found: dict[str, int] = {}
    factors: dict[str, float] = {}
    if columns:
        for quantity, ref in columns.items():
            if quantity not in ("current", "voltage", "time"):
                raise InputError(f"columns: unknown quantity {quantity!r}; map 'current', 'voltage' and 'time'.")
            if ref is None:
                continue
            if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
                if not 0 <= int(ref) < len(names):
                    raise InputError(f"{pname}: column {ref} does not exist (the file has {len(names)} columns, "
                                     "counted from 0).")
                found[quantity] = int(ref)
            else:
                key = str(ref).strip().lower()
                if key not in lowered:
                    if key.isdigit() and int(key) < len(names):
                        found[quantity] = int(key)
                        continue
                    raise InputError(f"{pname}: no column named {ref!r} (columns: {', '.join(names)}).")
                found[quantity] = lowered.index(key)
            factors[quantity] = _classify(names[found[quantity]])[1]
        if "current" not in found:
            raise InputError("columns: the mapping must name the 'current' column.")
        return found, factors
    for k, name in enumerate(names):
        quantity, factor = _classify(name)
        if quantity is None:
            continue
        if quantity in found:
            raise InputError(f"{pname}: both {names[found[quantity]]!r} and {name!r} look like the {quantity}; "
                             f"choose with columns={{'{quantity}': NAME}} (--columns {quantity}=NAME).")
        found[quantity], factors[quantity] = k, factor
    if "current" not in found:
        raise InputError(f"{pname}: no current column recognised (columns: {', '.join(names)}); name it "
                         "'current' (or I, I_A, current [mA], ...) or map it: columns={'current': NAME} "
                         "(--columns current=NAME).")
    return found, factors


#: non-comment lines read to find a CSV's header, column separator and decimal mark
_CSV_PROBE_LINES = 100


def _load_csv(p: Path, *, columns: dict | None = None, decimal: str | None = None,
              progress=None, infer_fs: bool = True) -> Recording:
    """Read a CSV block by block (memory: the output arrays plus one block of text)."""
    size = max(1, p.stat().st_size)
    with open(p, encoding="utf-8-sig", errors="replace") as fh:
        # the first non-comment lines: header, delimiter and decimal mark
        first_lines: list[str] = []
        for ln in fh:
            if ln.strip() and not ln.lstrip().startswith("#"):
                first_lines.append(ln.rstrip("\r\n"))
                if len(first_lines) >= _CSV_PROBE_LINES:
                    break
        if not first_lines:
            raise InputError(f"{p.name} is empty.")
        probe = first_lines[min(2, len(first_lines) - 1)]
        if ";" in probe:
            delim = ";"
        elif "\t" in probe:
            delim = "\t"
        elif "," in probe and decimal != ",":
            delim = ","
        else:
            delim = " "
        if delim == " " and len(probe.split()) == 1:
            cells = [first_lines[0].strip().strip('"')]        # one column: the header may hold spaces
        else:
            cells = [c.strip().strip('"') for c in first_lines[0].split(None if delim == " " else delim)]
        if decimal is None:
            # "1,25;230,1": commas inside ;- or tab-separated numbers are decimal commas
            # (over many lines: the first rows may hold only integers such as "0;230")
            body_cells = [c.strip() for ln in first_lines[1:] or first_lines
                          for c in ln.split(None if delim == " " else delim)]
            decimal = "," if delim != "," and any("," in c and _is_number(c.replace(",", ".")) for c in body_cells) \
                else "."
        elif decimal not in (".", ","):
            raise InputError(f"decimal must be '.' or ',', got {decimal!r}.")
        if decimal == "," and delim == ",":
            raise InputError(f"{p.name}: a decimal comma needs another column separator (';' or tab).")
        header = not all(_is_number(c.replace(",", ".") if decimal == "," else c) for c in cells)
        if header:
            found, factors = _csv_columns(cells, columns, p.name)
            named = {v for v in found.values()}
            ignored = [c for k, c in enumerate(cells) if k not in named and _classify(c) == (None, 1.0)
                       and c.strip().lower() not in _INDEX_NAMES and not c.strip().lower().startswith("unnamed")]
            if ignored:
                warnings.warn(f"{p.name}: column(s) {', '.join(repr(c) for c in ignored)} not used (read: "
                              + ", ".join(f"{q}={cells[k]!r}" for q, k in found.items())
                              + "); map them with columns={'voltage': NAME} (--columns voltage=NAME) if one is "
                              "the voltage.", InputWarning, stacklevel=3)
        else:
            n_cols = len(cells)
            if columns:
                found, factors = _csv_columns([str(k) for k in range(n_cols)], columns, p.name)
            else:
                found, factors = {"current": 0}, {"current": 1.0}
                if n_cols > 1:
                    found["voltage"], factors["voltage"] = 1, 1.0
                if n_cols > 2:
                    warnings.warn(f"{p.name}: no header; column 1 read as the current, 2 as the voltage, "
                                  f"{n_cols - 2} more ignored (map them with columns=...).", InputWarning,
                                  stacklevel=3)
        order = sorted(found.items(), key=lambda kv: kv[1])
        usecols = [k for _, k in order]
        fh.seek(0)
        blocks: list[np.ndarray] = []
        carry = ""
        header_pending = header
        done = 0
        line_no = 0
        while True:
            chunk = fh.read(_CSV_BLOCK_CHARS)
            if chunk:
                done += len(chunk)
                text = carry + chunk
                cut = text.rfind("\n")
                if cut < 0:
                    carry = text
                    continue
                text, carry = text[:cut + 1], text[cut + 1:]
            else:
                text, carry = carry, ""
            pos = 0
            while header_pending and pos < len(text):
                # the header is the first line that is neither blank nor a comment
                nl = text.find("\n", pos)
                end = len(text) if nl < 0 else nl + 1
                line = text[pos:end].strip()
                pos = end
                if line and not line.startswith("#"):
                    header_pending = False
            text = text[pos:]
            if text.strip():
                if decimal == ",":
                    text = text.replace(",", ".")
                try:
                    # the C parser skips blank lines and # comments itself
                    arr = np.loadtxt(_io.StringIO(text), delimiter=None if delim == " " else delim,
                                     usecols=usecols, ndmin=2, dtype=np.float64, comments="#")
                except ValueError as exc:
                    raise InputError(f"{p.name}: cannot read numbers after line {line_no} ({exc}).") from None
                blocks.append(arr)
                line_no += text.count("\n")
            if progress is not None:
                progress(min(1.0, done / size) if chunk else 1.0)
            if not chunk:
                break
    if not blocks:
        raise InputError(f"{p.name} has a header but no samples.")
    arr = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    blocks.clear()
    col = {q: j for j, (q, _) in enumerate(order)}
    current = np.ascontiguousarray(arr[:, col["current"]])
    if factors.get("current", 1.0) != 1.0:
        current *= factors["current"]
    voltage = None
    if "voltage" in col:
        voltage = np.ascontiguousarray(arr[:, col["voltage"]])
        if factors.get("voltage", 1.0) != 1.0:
            voltage *= factors["voltage"]
    meta: dict[str, Any] = {"format": "csv", "decimal": decimal, "delimiter": delim,
                            "columns": {q: (cells[k] if header else k) for q, k in found.items()}}
    fs = None
    if "time" in col and arr.shape[0] > 1 and infer_fs:
        t = arr[:, col["time"]] * factors.get("time", 1.0)
        fs = _fs_from_time(t, p.name, meta)
    return Recording(current, voltage, fs, None, meta)


def _fs_from_time(t: np.ndarray, name: str, meta: dict) -> float | None:
    """Sample rate from a time column, warning when the stamps are irregular."""
    dt = np.diff(t)
    if not np.all(np.isfinite(dt)) or not np.all(dt > 0):
        raise InputError(f"{name}: the time column does not increase from row to row; fix it, or give the "
                         "sample rate (fs=..., --fs HZ) and map the columns without time.")
    med = float(np.median(dt))
    # the mean over the whole record is exact for a uniform clock however the stamps are rounded
    mean = float((t[-1] - t[0]) / (t.shape[0] - 1))
    fs = 1.0 / mean
    dev = float(np.max(np.abs(dt - mean))) / mean
    # stamps printed with a fixed resolution (1 µs, or 9 digits) take two or three step values
    # close to the mean: rounding, not jitter; gaps (a dropped sample) or a wandering clock do not
    n_steps = np.unique(np.round(dt[:100_000] / mean, 3)).shape[0]
    meta["fs_from_time"] = fs
    meta["time_jitter"] = dev
    if dev > (0.05 if n_steps <= 3 else 0.002) or abs(med / mean - 1.0) > 0.01:
        warnings.warn(f"{name}: the time stamps are irregular (steps from {np.min(dt):.6g} to {np.max(dt):.6g} s, "
                      f"median {med:.6g} s); fs = {fs:.6g} Hz inferred from their mean. If the recorder has a "
                      "fixed rate, give it (fs=..., --fs HZ).", InputWarning, stacklevel=4)
    return fs


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
        subtype = soundfile.info(str(p)).subtype
        # one convention with the WAV reader: integer PCM as integer counts of its own bit depth
        if subtype in ("PCM_16", "PCM_S8", "PCM_U8"):
            frames, rate = soundfile.read(str(p), dtype="int16", always_2d=False)
            if subtype != "PCM_16":
                frames = frames // 256            # soundfile scales 8-bit samples up to 16 bit
            bits = 16 if subtype == "PCM_16" else 8
        elif subtype in ("PCM_24", "PCM_32"):
            frames, rate = soundfile.read(str(p), dtype="int32", always_2d=False)
            if subtype == "PCM_24":
                frames = frames >> 8              # soundfile left-aligns 24-bit samples in int32
            bits = int(subtype[4:])
        else:
            frames, rate = soundfile.read(str(p), dtype="float64", always_2d=False)
            bits = None
    except RuntimeError as exc:
        raise InputError(f"{p.name} is not readable by soundfile ({exc}).") from None
    current, voltage = _split_channels(np.asarray(frames), p.name)
    return Recording(current, voltage, float(rate), None,
                     {"format": p.suffix.lower().lstrip("."), "subtype": subtype, "bits": bits})
