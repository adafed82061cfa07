"""The fleet archive: layout, ``terminal.json``, recording names, manifest and replay plan.

Layout (local folder or any fsspec URL)::

    ARCHIVE/
      manifest.parquet                 optional: terminal, file, start, duration_s, n_samples, fs
      T0001/
        terminal.json                  fs, mains_hz, calibration, detector settings, library
        20260105T080000Z.npz           recordings named by their UTC start
        20260105T080500.250Z.wav
        library.json                   optional fingerprint library (named in terminal.json)
      T0002/ ...

Everything read here is data: ``terminal.json`` is parsed field by field,
detector names are looked up in currentprint's own registry, numbers are
range-checked, and a file never chooses which code runs.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import posixpath
import re
import wave
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CorruptFileError, InputError

__all__ = ["TerminalConfig", "FileEntry", "Piece", "TERMINAL_SCHEMA", "TERMINAL_VERSION", "parse_start",
           "format_start", "parse_terminal_config", "DEFAULT_DETECTORS"]

TERMINAL_SCHEMA = "currentprint.terminal"
TERMINAL_VERSION = 1
#: detectors run when neither ``fleet.run(detectors=...)`` nor ``terminal.json`` names any
DEFAULT_DETECTORS = ("events", "arc_fault", "resistive_load", "overload")
RECORDING_SUFFIXES = (".npz", ".wav", ".flac", ".csv")

_TERMINAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# 20260105T080000Z, 20260105T080000.25Z, 2026-01-05T08-00-00Z, 2026-01-05T08:00:00.5Z
_START = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})T(\d{2})[-:]?(\d{2})[-:]?(\d{2})(?:\.(\d{1,6}))?Z$")


def check_terminal_id(name: str) -> str:
    """A terminal folder name usable as a partition value (letters, digits, ``_.-``)."""
    if not isinstance(name, str) or not _TERMINAL_ID.match(name) or name.startswith("."):
        raise InputError(f"terminal folder {name!r} is not a valid terminal id: use letters, digits and _ . - "
                         "(at most 128 characters, not starting with a dot)")
    return name


def parse_start(stem: str) -> _dt.datetime:
    """UTC start time encoded in a recording's name (without suffix).

    >>> parse_start("20260105T080000.25Z")
    datetime.datetime(2026, 1, 5, 8, 0, 0, 250000, tzinfo=datetime.timezone.utc)
    """
    m = _START.match(stem)
    if not m:
        raise InputError(f"recording name {stem!r} is not a UTC start time; name files like "
                         "20260105T080000Z.npz (optionally with .ffffff fractions of a second)")
    y, mo, d, h, mi, s, frac = m.groups()
    us = int((frac or "0").ljust(6, "0"))
    try:
        return _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), us, tzinfo=_dt.timezone.utc)
    except ValueError as exc:
        raise InputError(f"recording name {stem!r} is not a valid date and time ({exc})") from None


def format_start(t: _dt.datetime) -> str:
    """Recording name stem for UTC time ``t`` (inverse of :func:`parse_start`)."""
    t = t.astimezone(_dt.timezone.utc)
    base = t.strftime("%Y%m%dT%H%M%S")
    return f"{base}.{t.microsecond:06d}Z" if t.microsecond else f"{base}Z"


@dataclass(frozen=True)
class TerminalConfig:
    """Validated contents of a ``terminal.json``.

    Attributes
    ----------
    fs : float
        Sample rate of the terminal's recordings, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz (None: any 45–65 Hz grid).
    calibration : dict or None
        Keyword arguments of :class:`currentprint.Calibration` (A and V per count).
    detectors : dict
        Registered detector name -> keyword parameters (JSON numbers, strings,
        booleans and lists of them). Names not given to ``fleet.run`` are
        ignored when ``fleet.run`` chooses the detectors.
    library : str or None
        File name of a fingerprint library inside the terminal's folder.
    harmonics : int
        Highest harmonic order analysed.
    """

    fs: float
    mains_hz: float | None = None
    calibration: dict | None = None
    detectors: dict = field(default_factory=dict)
    library: str | None = None
    harmonics: int = 25

    def to_dict(self) -> dict:
        return {"schema": TERMINAL_SCHEMA, "version": TERMINAL_VERSION, "fs": self.fs, "mains_hz": self.mains_hz,
                "calibration": self.calibration, "detectors": self.detectors, "library": self.library,
                "harmonics": self.harmonics}


_CAL_FIELDS = {"current_scale": float, "voltage_scale": float, "current_sign": int, "phase_deg": float,
               "current_offset": float, "voltage_offset": float, "adc_full_scale": float}
_TOP_FIELDS = {"schema", "version", "fs", "mains_hz", "calibration", "detectors", "library", "harmonics",
               "comment", "site", "name"}


def _number(where: str, x: Any, *, lo: float, hi: float, integer: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CorruptFileError(f"terminal.json: {where} must be a number, got {x!r}")
    if integer and not float(x).is_integer():
        raise CorruptFileError(f"terminal.json: {where} must be an integer, got {x!r}")
    if not (math.isfinite(x) and lo <= x <= hi):
        raise CorruptFileError(f"terminal.json: {where} = {x!r} is outside [{lo:g}, {hi:g}]")
    return int(x) if integer else float(x)


def _plain_value(where: str, x: Any, depth: int = 0) -> Any:
    """A detector parameter: JSON scalars and (nested, shallow) lists of them only."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        if isinstance(x, float) and not math.isfinite(x):
            raise CorruptFileError(f"terminal.json: {where} must be finite")
        return x
    if isinstance(x, list) and depth < 2 and len(x) <= 10_000:
        return [_plain_value(where, v, depth + 1) for v in x]
    raise CorruptFileError(f"terminal.json: {where} must be a number, string, boolean or list of them, "
                           f"got {type(x).__name__}")


def parse_terminal_config(raw: bytes | str, *, where: str = "terminal.json") -> TerminalConfig:
    """Parse and validate the bytes of a ``terminal.json``.

    Raises
    ------
    CorruptFileError
        Not JSON, wrong schema/version, unknown or out-of-range fields,
        detector names that are not registered or parameters they do not take.
    """
    import currentprint as cp
    from ..errors import RegistryError

    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{where} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorruptFileError(f"{where} must hold a JSON object")
    if data.get("schema", TERMINAL_SCHEMA) != TERMINAL_SCHEMA:
        raise CorruptFileError(f"{where} has schema {data.get('schema')!r}, expected {TERMINAL_SCHEMA!r}")
    if data.get("version", TERMINAL_VERSION) != TERMINAL_VERSION:
        raise CorruptFileError(f"{where} is version {data.get('version')!r}; this currentprint reads "
                               f"version {TERMINAL_VERSION}")
    unknown = set(data) - _TOP_FIELDS
    if unknown:
        raise CorruptFileError(f"{where} has unknown fields {sorted(unknown)}; allowed: {sorted(_TOP_FIELDS)}")
    if "fs" not in data:
        raise CorruptFileError(f"{where} must give the sample rate fs (Hz)")
    fs = _number("fs", data["fs"], lo=500.0, hi=10e6)
    mains = data.get("mains_hz")
    if mains is not None:
        mains = _number("mains_hz", mains, lo=45.0, hi=65.0)
    harmonics = _number("harmonics", data.get("harmonics", 25), lo=1, hi=200, integer=True)
    cal = data.get("calibration")
    if cal is not None:
        if not isinstance(cal, dict):
            raise CorruptFileError(f"{where}: calibration must be an object")
        bad = set(cal) - set(_CAL_FIELDS)
        if bad:
            raise CorruptFileError(f"{where}: unknown calibration fields {sorted(bad)}")
        checked: dict[str, Any] = {}
        for k, v in cal.items():
            if k == "adc_full_scale" and v is None:
                checked[k] = None
            elif k == "current_sign":
                checked[k] = _number("calibration.current_sign", v, lo=-1, hi=1, integer=True)
            elif k in ("current_scale", "voltage_scale", "adc_full_scale"):
                checked[k] = _number(f"calibration.{k}", v, lo=1e-15, hi=1e15)
            else:
                checked[k] = _number(f"calibration.{k}", v, lo=-1e15, hi=1e15)
        try:
            from ..core.signal import Calibration
            Calibration(**checked)
        except (InputError, TypeError) as exc:
            raise CorruptFileError(f"{where}: bad calibration ({exc})") from None
        cal = checked
    dets = data.get("detectors", {})
    if isinstance(dets, list):
        dets = {name: {} for name in dets}
    if not isinstance(dets, dict):
        raise CorruptFileError(f"{where}: detectors must be an object (name -> parameters) or a list of names")
    checked_dets: dict[str, dict] = {}
    for name, params in dets.items():
        if not isinstance(name, str):
            raise CorruptFileError(f"{where}: detector names must be strings")
        try:
            # our registry only: a name never imports a module of its choosing
            cls = type(cp.get_detector(name))
        except RegistryError as exc:
            raise CorruptFileError(f"{where}: {exc}") from None
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise CorruptFileError(f"{where}: parameters of detector {name!r} must be an object")
        allowed = set(cls().get_params())
        extra = set(params) - allowed
        if extra:
            raise CorruptFileError(f"{where}: detector {name!r} takes no parameters {sorted(extra)}; "
                                   f"it takes {sorted(allowed)}")
        clean = {k: _plain_value(f"detectors.{name}.{k}", v) for k, v in params.items()}
        try:
            cls(**clean)
        except (ValueError, TypeError) as exc:
            raise CorruptFileError(f"{where}: detector {name!r} rejects its parameters ({exc})") from None
        checked_dets[name] = clean
    lib = data.get("library")
    if lib is not None:
        if not isinstance(lib, str) or not lib or "/" in lib or "\\" in lib or lib.startswith("."):
            raise CorruptFileError(f"{where}: library must be a plain file name in the terminal's folder, "
                                   f"got {lib!r}")
    return TerminalConfig(fs=fs, mains_hz=mains, calibration=cal, detectors=checked_dets, library=lib,
                          harmonics=int(harmonics))


@dataclass(frozen=True)
class FileEntry:
    """One recording of a terminal, as listed in the manifest."""

    terminal: str
    file: str                  # name inside the terminal folder
    start: _dt.datetime        # UTC
    n_samples: int
    fs: float

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def end(self) -> _dt.datetime:
        return self.start + _dt.timedelta(seconds=self.duration_s)


@dataclass(frozen=True)
class Piece:
    """The unit of work: consecutive files of one terminal replayed by one task.

    ``segment`` numbers the contiguous runs of files of a terminal (a gap
    starts a new one and a fresh Monitor); ``part`` numbers the pieces a
    long segment is cut into, each continuing from the saved Monitor state
    of the one before.
    """

    terminal: str
    segment: int
    part: int
    n_parts: int
    files: tuple[FileEntry, ...]

    @property
    def uid(self) -> str:
        return f"s{self.segment:05d}-p{self.part:04d}"

    @property
    def key(self) -> str:
        """Digest of what the piece covers (a re-run redoes a piece whose files changed)."""
        import hashlib
        h = hashlib.sha256()
        for f in self.files:
            h.update(f"{f.file}|{f.start.isoformat()}|{f.n_samples}|{f.fs!r}\n".encode())
        return h.hexdigest()[:16]


def plan_pieces(terminal: str, files: list[FileEntry], *, gap_tolerance_s: float, max_piece_s: float) -> list[Piece]:
    """Cut a terminal's files (any order) into segments at gaps, and segments into pieces.

    Two files are contiguous when the second starts within ``gap_tolerance_s``
    of the end of the first and both have the same sample rate.
    """
    files = sorted(files, key=lambda f: (f.start, f.file))
    segments: list[list[FileEntry]] = []
    for f in files:
        if segments:
            prev = segments[-1][-1]
            if prev.fs == f.fs and abs((f.start - prev.end).total_seconds()) <= gap_tolerance_s:
                segments[-1].append(f)
                continue
        segments.append([f])
    pieces: list[Piece] = []
    for s, seg in enumerate(segments):
        parts: list[list[FileEntry]] = [[]]
        acc = 0.0
        for f in seg:
            if parts[-1] and acc + f.duration_s > max_piece_s:
                parts.append([])
                acc = 0.0
            parts[-1].append(f)
            acc += f.duration_s
        for p, files_p in enumerate(parts):
            pieces.append(Piece(terminal, s, p, len(parts), tuple(files_p)))
    return pieces


# -- probing recordings ---------------------------------------------------------

def probe_local(path: str, suffix: str, fs_hint: float) -> tuple[int, float]:
    """Number of samples and sample rate of a local recording, reading headers where possible."""
    if suffix == ".npz":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "current.npy" not in names:
                    raise InputError("no 'current' array")
                with z.open("current.npy") as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape = np.lib.format.read_array_header_1_0(fh)[0]
                    elif version == (2, 0):
                        shape = np.lib.format.read_array_header_2_0(fh)[0]
                    else:      # a newer header: read the array itself
                        shape = np.lib.format.read_array(fh, allow_pickle=False).shape
                fs = fs_hint
                if "fs.npy" in names:
                    with z.open("fs.npy") as fh:
                        fs = float(np.lib.format.read_array(fh, allow_pickle=False))
        except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
            raise InputError(f"not a readable .npz archive ({exc})") from None
        if len(shape) != 1 or shape[0] == 0:
            raise InputError(f"current must be a non-empty 1-D array, got shape {shape}")
        return int(shape[0]), fs
    if suffix == ".wav":
        try:
            with wave.open(path, "rb") as w:
                return int(w.getnframes()), float(w.getframerate())
        except (wave.Error, EOFError, OSError):
            pass      # float WAV and friends: read it whole below
    from ..io import load_recording
    rec = load_recording(path, fs=None if suffix != ".csv" else fs_hint)
    return int(rec.current.shape[0]), float(rec.fs)


def posix_join(*parts: str) -> str:
    return posixpath.join(*parts)
