"""The ``currentprint`` command line (also ``python -m currentprint``).

The parser and the sub-commands; ``bench`` lives in :mod:`.bench`, the helpers
both use (built-in detector names, machine information) in :mod:`._common`.

Sub-commands: ``demo``, ``analyze FILE``, ``enroll``, ``match``, ``info``,
``bench``, ``fleet demo|run|summary`` (in :mod:`.fleet`). Results go to stdout: readable tables on a terminal (``analyze``,
``bench``, ``demo``), JSON lines or CSV when piped or asked for
(``analyze --format``, ``bench --json``); messages and progress bars go to
stderr. Integer ADC counts without scales are labelled counts and counts²,
never A or W.

Exit codes
----------
0  success (alerts found or not, unless ``--fail-on-alert``)
1  ``analyze --fail-on-alert`` found at least one alert
2  usage error (unknown option, bad value)
3  bad input file (missing, unreadable, wrong content, corrupt library)
4  an optional dependency or module needed for this command is missing
5  internal error (a bug: please report it with the traceback)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._common import BUILTIN_DETECTORS, _positive, _positive_int, machine_info

EXIT_OK, EXIT_ALERTS, EXIT_USAGE, EXIT_INPUT, EXIT_MISSING, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5

class CLIError(Exception):
    """An error the command reports with a message and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _say(*parts: Any) -> None:
    print(*parts, file=sys.stderr)


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj):
    """NaN/inf -> None recursively, so the output is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _emit(obj, *, indent: int | None = None) -> None:
    sys.stdout.write(json.dumps(_clean(obj), default=_json_default, indent=indent, allow_nan=False) + "\n")


# -- detectors --------------------------------------------------------------------------------
def _make_detectors(spec: str | None, params: dict[str, dict] | None = None) -> tuple[list, list[str]]:
    """Detectors for ``--detectors`` (comma list, ``all``, ``none``; default: available built-ins).

    ``params`` maps a detector name to constructor keywords (from the
    detector options and ``--set``); a wrong name or value is a usage error.
    """
    import currentprint as cp
    from ..errors import CurrentprintError, RegistryError
    params = params or {}
    notes: list[str] = []
    if spec is not None and spec.strip().lower() == "none":
        names, strict = [], True
    elif spec is None or spec.strip().lower() in ("builtin", "default"):
        names, strict = list(BUILTIN_DETECTORS), False
    elif spec.strip().lower() == "all":
        names, strict = cp.available_detectors(), False
    else:
        names, strict = [n.strip() for n in spec.split(",") if n.strip()], True
    dets = []
    for name in names:
        kw = params.get(name, {})
        try:
            dets.append(cp.get_detector(name, **kw))
        except RegistryError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
        except ImportError as exc:
            if strict:
                raise CLIError(f"detector {name!r} is not available in this installation ({exc}).",
                               EXIT_MISSING) from None
            notes.append(f"detector {name!r} skipped (not available: {exc})")
        except TypeError as exc:
            raise CLIError(f"{name}: {_param_problem(name, kw, exc)}", EXIT_USAGE) from None
        except (CurrentprintError, ValueError) as exc:
            raise CLIError(f"{name}: {exc}", EXIT_USAGE) from None
    built = {d.name for d in dets}
    available = set(cp.available_detectors())
    for name in sorted(set(params) - built):
        if name not in available:
            raise CLIError(f"options given for {name!r}, which is not a detector; available: "
                           f"{', '.join(sorted(available))}", EXIT_USAGE)
        notes.append(f"options for {name!r} ignored: it is not among --detectors")
    return dets, notes


def _param_problem(name: str, kw: dict, exc: Exception) -> str:
    """Which keyword a detector refused, and the ones it takes."""
    import inspect

    import currentprint as cp
    try:
        cls = type(cp.get_detector(name))
        accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    except Exception:  # noqa: BLE001 - only for the message
        return str(exc)
    bad = [k for k in kw if k not in accepted]
    if bad:
        return f"no parameter {bad[0]!r}; its parameters are {', '.join(accepted)}"
    return str(exc)


#: detector options of ``analyze`` -> the (detector, parameter) pairs they set
DETECTOR_FLAGS = {
    "rated_current": (("overload", "rated_current_a"),),
    "nominal_voltage": (("resistive_load", "nominal_voltage"), ("phase_chopper", "nominal_voltage")),
    "arc_sensitivity": (("arc_fault", "sensitivity"),),
    "arc_mode": (("arc_fault", "mode"),),
}


def _parse_value(text: str):
    """A ``--set`` value: JSON (numbers, true/false/null, lists, quoted strings) or else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _detector_params(args) -> dict[str, dict]:
    """Constructor keywords per detector from the detector options and ``--set det.param=value``."""
    params: dict[str, dict] = {}
    for flag, targets in DETECTOR_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            for det, name in targets:
                params.setdefault(det, {})[name] = value
    for item in getattr(args, "set", None) or ():
        key, sep, value = item.partition("=")
        det, dot, name = key.strip().partition(".")
        if not sep or not dot or not det.strip() or not name.strip():
            raise CLIError(f"--set {item!r}: expected DETECTOR.PARAM=VALUE, e.g. --set overload.tau_s=30",
                           EXIT_USAGE)
        params.setdefault(det.strip(), {})[name.strip()] = _parse_value(value.strip())
    return params


def build_detectors(args) -> list:
    """The detectors an ``analyze`` command line asks for, with its options applied (for tests and tools)."""
    dets, notes = _make_detectors(getattr(args, "detectors", None), _detector_params(args))
    for n in notes:
        _say("note:", n)
    return dets


def _record(alert) -> dict:
    d = alert.to_dict()
    return {"record": "event" if alert.kind == "event" else "alert", **d}


# -- demo ---------------------------------------------------------------------------------------
def _cmd_demo(args) -> int:
    import currentprint as cp
    sig = cp.synth.example()
    dets, notes = _make_detectors(args.detectors)
    for n in notes:
        _say("note:", n)
    mon = cp.Monitor(fs=sig.fs, detectors=dets)
    tables, alerts = [], []
    step = int(0.1 * sig.fs)           # 100 ms chunks, as a terminal would receive them
    for k in range(0, sig.n_samples, step):
        t, a = mon.process(sig.current[k:k + step], sig.voltage[k:k + step])
        tables.append(t)
        alerts += a
    alerts += mon.flush()
    table = cp.CycleTable.concatenate(tables)
    truth = [{"time": e.time, "load": e.load, "kind": e.kind, "delta_p_w": e.delta_p} for e in sig.events]
    summary = _per_second(table)
    if args.plot:
        _plot_overview(table, alerts, args.plot, current=sig.current, voltage=sig.voltage, fs=sig.fs,
                       title="currentprint demo: synth.example()")
    if args.json:
        _emit({"scenario": "currentprint.synth.example()", "fs": sig.fs, "duration_s": sig.duration,
               "cycles": len(table), "detectors": [d.name for d in dets], "per_second": summary,
               "cycles_table": table.to_dict(harmonics=False) if args.cycles else None,
               "alerts": [_record(a) for a in alerts], "truth": truth})
        return EXIT_OK
    out = sys.stdout
    out.write("currentprint demo: 10 s of synthetic 230 V / 50 Hz mains at 6.4 kHz\n")
    out.write("  a PC supply on at 1 s, a 2 kW kettle on at 2 s and off at 6 s, a fridge on at 4 s\n\n")
    if args.cycles:
        out.write(f"{'cycle':>5} {'t [s]':>7} {'f [Hz]':>7} {'V [V]':>6} {'I [A]':>7} {'P [W]':>7} "
                  f"{'Q [var]':>8} {'PF':>5} {'THD':>6}\n")
        for k in range(len(table)):
            out.write(f"{k:5d} {table.time[k]:7.3f} {table.frequency[k]:7.3f} {table.v_rms[k]:6.1f} "
                      f"{table.i_rms[k]:7.3f} {table.p[k]:7.1f} {table.q[k]:8.1f} {table.pf[k]:5.2f} "
                      + (f"{100 * table.thd[k]:5.1f}%\n" if math.isfinite(table.thd[k]) else f"{'-':>6}\n"))
        out.write("\n")
    out.write(f"{len(table)} cycles analysed; per-cycle values averaged over each second:\n")
    out.write(f"{'t [s]':>7} {'f [Hz]':>7} {'V [V]':>6} {'I [A]':>7} {'P [W]':>7} {'Q [var]':>8} "
              f"{'PF':>5} {'THD':>6}\n")
    for row in summary:
        # below 20 mA only sensor noise flows: its "THD" and PF mean nothing
        quiet = not row["i_rms"] >= 0.02
        pf = "    -" if quiet else f"{row['pf']:5.2f}"
        thd = "     -" if quiet else f"{100 * row['thd']:5.1f}%"
        out.write(f"{row['t_s']:4.0f}-{row['t_s'] + 1:<2.0f} {row['frequency']:7.3f} {row['v_rms']:6.1f} "
                  f"{row['i_rms']:7.3f} {row['p']:7.1f} {row['q']:8.1f} {pf} {thd}\n")
    out.write("\nalerts from the detectors (" + (", ".join(d.name for d in dets) or "none") + "):\n")
    if not alerts:
        out.write("  (none)\n")
    for alert in alerts:
        out.write(f"  {alert}\n")
    out.write("\nground truth of the scenario:\n")
    for e in truth:
        out.write(f"  {e['time']:.3f} s  {e['load']:<7} {e['kind']:<4} dP = {e['delta_p_w']:+.0f} W\n")
    out.write("\nNext: `currentprint analyze FILE` on your own recording, `currentprint bench --quick`.\n")
    return EXIT_OK


def _per_second(table) -> list[dict]:
    rows: list[dict] = []
    if len(table) == 0:
        return rows
    sec = np.floor(table.time).astype(int)
    for s in np.unique(sec):
        m = sec == s
        row = {"t_s": float(s), "cycles": int(m.sum())}
        for col in ("frequency", "v_rms", "i_rms", "p", "q", "pf", "thd"):
            vals = table.column(col)[m]
            row[col] = float(np.nanmean(vals)) if np.any(np.isfinite(vals)) else float("nan")
        rows.append(row)
    return rows


# -- analyze ------------------------------------------------------------------------------------
def _parse_columns(text: str | None) -> dict | None:
    """``current=I_A,voltage=U_V,time=t`` (names or 0-based indices) -> mapping."""
    if not text:
        return None
    out: dict = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("current", "voltage", "time") or not value.strip():
            raise CLIError(f"--columns {text!r}: expected current=NAME[,voltage=NAME][,time=NAME] "
                           "(names from the header or 0-based column numbers)", EXIT_USAGE)
        value = value.strip()
        out[key] = int(value) if value.isdigit() else value
    return out


def _load(args):
    import warnings

    from ..errors import CurrentprintError, InputWarning
    from ..io import load_recording
    columns = _parse_columns(getattr(args, "columns", None))
    bar = None
    if getattr(args, "progress", None) and Path(args.file).suffix.lower() in (".csv", ".txt"):
        bar = _bar(1.0, "read", "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]", enabled=True)
    last = [0.0]

    def progress(fraction: float) -> None:
        if bar is not None:
            bar.update(fraction - last[0])
            last[0] = fraction

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InputWarning)
            rec = load_recording(args.file, fs=args.fs, current_scale=getattr(args, "current_scale", None),
                                 voltage_scale=getattr(args, "voltage_scale", None), key=getattr(args, "key", None),
                                 columns=columns, decimal=getattr(args, "decimal", None),
                                 progress=progress if bar is not None else None)
    except FileNotFoundError as exc:
        raise CLIError(str(exc), EXIT_INPUT) from None
    except (CurrentprintError, ValueError, OSError) as exc:
        raise CLIError(f"cannot read {args.file}: {exc}", EXIT_INPUT) from None
    finally:
        if bar is not None:
            bar.close()
    for w in caught:
        _say(f"warning: {w.message}")
    return rec


def _bar(total: float, desc: str, fmt: str, *, enabled: bool | None, long_file: bool = True):
    """A tqdm bar on stderr, or None (silent by default for short files and pipes)."""
    if enabled is False or (enabled is None and not (long_file and sys.stderr.isatty())):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if enabled:
            _say("note: install tqdm for a progress bar (pip install 'currentprint[progress]')")
        return None
    return tqdm(total=round(total, 1), file=sys.stderr, desc=desc, leave=False, bar_format=fmt)


def _progress(total: float, enabled: bool | None, long_file: bool):
    return _bar(total, "analyze",
                "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of signal [{elapsed}<{remaining}]",
                enabled=enabled, long_file=long_file)


def _calibration(rec, args):
    """The file's calibration with --adc-full-scale, --current-sign and --phase-deg applied."""
    import dataclasses

    from ..core.signal import Calibration
    extra = {k: getattr(args, k) for k in ("adc_full_scale", "current_sign", "phase_deg")
             if getattr(args, k, None) is not None}
    if not extra:
        return rec.calibration
    if rec.calibration is None:
        # integer samples without scales stay counts: a sign or a full scale is no unit
        base = Calibration(counts=np.issubdtype(rec.current.dtype, np.integer))
    else:
        base = rec.calibration
    try:
        return dataclasses.replace(base, **extra)
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None


def _cmd_analyze(args) -> int:
    import currentprint as cp
    from ._report import CycleWriter, IntervalSummary, compact_record, default_interval, format_table, units, \
        write_interval_csv
    import warnings

    from ..errors import CurrentprintError, InputWarning
    from ..core.framing import diagnose_frequency
    fmt = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    rec = _load(args)
    calibration = _calibration(rec, args)
    dets = build_detectors(args)
    if rec.voltage is None:
        blind = [d.name for d in dets if getattr(d, "needs_voltage", False)]
        if blind and args.detectors not in (None, "all", "builtin", "default"):
            raise CLIError(f"{Path(args.file).name} has no voltage channel, which {', '.join(blind)} need(s); "
                           "map it with --columns (CSV) or choose other --detectors", EXIT_USAGE)
        if blind:
            _say(f"note: no voltage channel in {Path(args.file).name}: {', '.join(blind)} skipped (they judge "
                 "P, Q and PF); P, Q and PF are not shown")
            dets = [d for d in dets if d.name not in blind]
    library = None if args.library is None else _open_library(Path(args.library), create=False)
    tracker = None
    if args.ledger:
        tracker = cp.ApplianceTracker()
        dets = [*dets, tracker]
    try:
        mon = cp.Monitor(fs=rec.fs, mains_hz=args.mains_hz, calibration=calibration, detectors=dets,
                         harmonics=args.harmonics, library=library, start_time=args.start_time)
    except CurrentprintError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    step = max(1, int(round(args.chunk_s * rec.fs)))
    n = rec.current.shape[0]
    integer = np.issubdtype(rec.current.dtype, np.integer)
    if integer and (calibration is None or calibration.counts):
        _say(f"note: {Path(args.file).name} holds integer samples and no scales: values are in counts, not A/V; "
             "give --current-scale/--voltage-scale for A and V and for detectors with absolute limits "
             "(e.g. overload)")
    interval = args.interval or default_interval(rec.duration_s)
    summary = IntervalSummary(interval)
    writer = None
    if args.cycles:
        try:
            writer = CycleWriter(args.cycles, harmonics=args.cycle_harmonics)
        except ImportError as exc:
            raise CLIError(f"--cycles {args.cycles}: {exc}", EXIT_MISSING) from None
        except OSError as exc:
            raise CLIError(f"--cycles {args.cycles}: cannot write there ({exc.strerror or exc})", EXIT_USAGE) from None
    bar = _progress(rec.duration_s, args.progress, rec.duration_s > 60.0)
    tables, found, count, clipped = [], [], 0, 0
    stream = fmt == "jsonl"

    def report(alerts) -> None:
        nonlocal count
        for a in alerts:
            summary.mark(a)
            count += 1
            found.append(a)
            if stream:
                _emit(compact_record(_record(a), full=args.full))

    try:
        with warnings.catch_warnings():
            # a whole file gets the sharper diagnosis below (exit 3), not the stream's early warning
            warnings.filterwarnings("ignore", message="no mains cycle in the first", category=InputWarning)
            for k in range(0, n, step):
                v = None if rec.voltage is None else rec.voltage[k:k + step]
                table, alerts = mon.process(rec.current[k:k + step], v)
                summary.add(table)
                clipped += int(np.count_nonzero(table.i_clipped)) if len(table) else 0
                if writer is not None:
                    writer.add(table)
                if args.plot:
                    tables.append(table)
                report(alerts)
                if bar is not None:
                    bar.update(min(step, n - k) / rec.fs)
        report(mon.flush())
    except CurrentprintError as exc:
        raise CLIError(f"{args.file}: {exc}", EXIT_INPUT) from None
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    if mon.cycles_seen == 0:
        why = diagnose_frequency(rec.voltage if rec.voltage is not None else rec.current, rec.fs, args.mains_hz)
        raise CLIError(f"{args.file}: no complete mains cycle found: "
                       + (why or "the signal has no regular zero crossings (is the channel DC, zero or "
                                 "disconnected? is --fs right?)"), EXIT_INPUT)
    f_mains = float(np.median([r["frequency"] for r in summary.rows() if r["cycles"]]))
    nominal = min((50.0, 60.0), key=lambda f: abs(f - f_mains))
    if abs(f_mains / nominal - 1.0) > 0.02:
        # public grids stay within about 1 % (EN 50160: 50 Hz +-1 % for 99.5 % of a year)
        _say(f"warning: the mains frequency measured is {f_mains:.2f} Hz, {100 * (f_mains / nominal - 1):+.1f} % "
             f"from {nominal:g} Hz: is fs right? With {nominal:g} Hz mains it would be "
             f"{rec.fs * nominal / f_mains:.6g} Hz (give --fs)")
    expected = rec.duration_s * f_mains
    if mon.cycles_seen < 0.5 * expected - 2:
        _say(f"warning: only {mon.cycles_seen} cycles framed in {rec.duration_s:.1f} s; the rest has no "
             "usable zero crossings (a dead voltage channel, or a gap?)")
    if clipped:
        _say(f"warning: {clipped} cycle(s) hold current samples at the ADC full scale: peaks, RMS and "
             "harmonics under-read there (see the i_clipped column of --cycles)")
    calibrated = summary.calibrated
    if writer is not None:
        _say(f"{writer.rows} cycles written to {args.cycles}")
    rows = summary.rows(end_s=rec.duration_s)
    if fmt == "jsonl":
        for r in rows:
            _emit({"record": "interval", **r})
        if tracker is not None:
            _print_ledger(tracker, fmt)
        _emit({"record": "summary", "file": str(args.file), "fs": rec.fs, "duration_s": rec.duration_s,
               "samples": n, "cycles": mon.cycles_seen, "voltage": rec.voltage is not None,
               "calibrated": calibrated, "units": units(calibrated), "interval_s": interval,
               "harmonics": mon.harmonics, "detectors": [d.name for d in dets], "alerts": count})
    elif fmt == "csv":
        write_interval_csv(sys.stdout, rows, calibrated)
        for a in found:
            _say(str(a))
        if tracker is not None:
            _print_ledger(tracker, fmt)
    else:
        source = ""
        if calibrated and rec.calibration is not None and args.current_scale is None:
            source = " (scales from the file)"
        format_table(sys.stdout, name=Path(args.file).name, fs=rec.fs, duration_s=rec.duration_s,
                     n_cycles=mon.cycles_seen, rows=rows, alerts=found, detectors=[d.name for d in dets],
                     calibrated=calibrated, has_voltage=rec.voltage is not None, interval_s=interval,
                     calibration_note=source)
        if tracker is not None:
            _print_ledger(tracker, fmt)
    if args.plot:
        table = cp.CycleTable.concatenate(tables) if tables else None  # type: ignore[assignment]
        if table is not None and len(table):
            _plot_overview(table, found, args.plot, current=rec.current, voltage=rec.voltage, fs=rec.fs,
                           calibration=calibration, title=Path(args.file).name)
    if args.fail_on_alert and count:
        return EXIT_ALERTS
    return EXIT_OK


def _print_ledger(tracker, fmt: str) -> None:
    """The per-appliance table: ``table`` on stdout after the report; ``jsonl`` one
    ``"record": "ledger"`` line per appliance on stdout and the text table on stderr; ``csv`` the
    text table on stderr (stdout holds the CSV)."""
    jsonl = fmt == "jsonl"
    book = tracker.ledger()
    unit = "Wh"
    lines = [f"{'appliance':<20} {'runs':>4} {'on-time s':>10} {'energy ' + unit:>12} {'+- ' + unit:>10} {'running':>7}"]
    for label, e in sorted(book.items()):
        if jsonl:
            _emit({"record": "ledger", "label": label, **e})
        # one standard deviation of the energy (the noise of the run's power measurements)
        sd = e.get("energy_sd_wh")
        sd_text = "?" if sd is None else f"{sd:.2g}"
        lines.append(f"{label:<20} {e['runs']:>4d} {e['on_time_s']:>10.1f} {e['energy_wh']:>12.4g} "
                     f"{sd_text:>10} {e['running']:>7d}")
    if not book:
        lines.append("(no appliance switched on)")
    text = "\n".join(lines)
    if fmt == "table":
        sys.stdout.write("\nappliances (cp.ApplianceTracker):\n" + text + "\n")
    else:
        _say(text)


def _plot_overview(table, alerts, path, *, current=None, voltage=None, fs=None, calibration=None,
                   title=None) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        from .. import plot
        fig = plot.plot_overview(table, alerts, current=current, voltage=voltage, fs=fs, calibration=calibration,
                                 title=title)
    except ImportError as exc:
        raise CLIError(f"--plot needs matplotlib: pip install 'currentprint[plot]' ({exc})", EXIT_MISSING) from None
    import matplotlib.pyplot as plt
    try:
        _save_figure(fig, Path(path))
    except OSError as exc:       # no such folder, not writable
        raise CLIError(f"--plot {path}: cannot write the figure ({exc})", EXIT_USAGE) from None
    finally:
        plt.close(fig)
    _say(f"plot written to {path}")


def _save_figure(fig, path: Path) -> None:
    """``savefig`` through a temporary file in the same folder, fsync, rename: a crash keeps the old figure."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in fig.canvas.get_supported_filetypes():
        raise CLIError(f"--plot {path}: unsupported figure type {path.suffix!r}; use .png, .pdf or .svg", EXIT_USAGE)
    from .._state import atomic_write
    from ..errors import InputError
    try:
        atomic_write(path, lambda fh: fig.savefig(fh, dpi=110, format=fmt))
    except InputError as exc:    # no such folder, a directory
        raise CLIError(f"--plot {path}: cannot write the figure ({exc})", EXIT_USAGE) from None


# -- enroll / match -----------------------------------------------------------------------------
def _library_modules():
    try:
        import currentprint as cp
        return cp.FingerprintLibrary, cp.fingerprint
    except (ImportError, AttributeError) as exc:
        raise CLIError(f"fingerprints are not available in this installation ({exc}).", EXIT_MISSING) from None


def _file_fingerprint(args):
    _, fingerprint = _library_modules()
    from ..errors import CurrentprintError
    rec = _load(args)
    if rec.voltage is None:
        _say("note: no voltage channel: phase-referenced features (P, Q, PF, V–I) will be missing")
    i, v = rec.current, rec.voltage
    lo = int(round((args.start_s or 0.0) * rec.fs))
    hi = i.shape[0] if args.stop_s is None else int(round(args.stop_s * rec.fs))
    try:
        return fingerprint(i[lo:hi], None if v is None else v[lo:hi], fs=rec.fs, calibration=rec.calibration,
                           mains_hz=args.mains_hz)
    except CurrentprintError as exc:
        raise CLIError(f"{args.file}: {exc}", EXIT_INPUT) from None


def _open_library(path: Path, *, create: bool):
    Library, _ = _library_modules()
    from ..errors import CurrentprintError
    if not path.exists():
        if create:
            return Library()
        raise CLIError(f"no such library file: {path} (create one with `currentprint enroll`)", EXIT_INPUT)
    try:
        return Library.load(path)
    except (CurrentprintError, ValueError, OSError) as exc:
        raise CLIError(f"cannot read library {path}: {exc}", EXIT_INPUT) from None


def _event_fingerprint(args):
    """Fingerprint of the ``args.event``-th switch-on inside the file (1-based)."""
    from ..detectors._background import switch_fingerprints
    from ..errors import CurrentprintError
    rec = _load(args)
    if rec.voltage is None:
        raise CLIError("--event needs the voltage channel (the event's power and phase)", EXIT_INPUT)
    try:
        found = switch_fingerprints(rec.current, rec.voltage, fs=rec.fs, calibration=rec.calibration,
                                    mains_hz=args.mains_hz, kind="on")
    except CurrentprintError as exc:
        raise CLIError(f"{args.file}: {exc}", EXIT_INPUT) from None
    if len(found) < args.event:
        raise CLIError(f"{args.file}: {len(found)} switch-on event(s) found, --event {args.event} asked for",
                       EXIT_INPUT)
    ev, fp = found[args.event - 1]
    _say(f"enrolling the switch-on at {ev.time:.3f} s (dP {ev.delta_p:.4g})")
    return fp, {"event_time_s": float(ev.time)}


def _cmd_enroll(args) -> int:
    from ..errors import CurrentprintError
    if not args.label or not args.label.strip():
        raise CLIError("--label must name the appliance (a non-empty text)", EXIT_USAGE)
    folder = Path(args.library).parent
    if not folder.is_dir():
        raise CLIError(f"cannot write the library {args.library}: the folder {folder} does not exist; "
                       "create it first", EXIT_USAGE)
    lib = _open_library(Path(args.library), create=True)
    meta = {"file": Path(args.file).name}
    if args.event:
        fp, extra = _event_fingerprint(args)
        meta.update(extra)
    else:
        fp = _file_fingerprint(args)
    try:
        lib.enroll(args.label, fp, meta=meta)
        lib.save(args.library)
    except (CurrentprintError, OSError) as exc:
        raise CLIError(f"cannot enroll into {args.library}: {exc}", EXIT_USAGE) from None
    _emit({"library": str(args.library), "enrolled": args.label, "entries": len(lib), "labels": lib.labels})
    return EXIT_OK


def _cmd_match(args) -> int:
    lib = _open_library(Path(args.library), create=False)
    if len(lib) == 0:
        raise CLIError(f"library {args.library} is empty; enroll appliances first", EXIT_INPUT)
    fp = _file_fingerprint(args)
    matches = lib.match(fp, k=args.k)
    best = lib.identify(fp)

    def m(x):
        return {"label": x.label, "distance": float(x.distance), "confidence": float(x.confidence)}

    _emit({"file": str(args.file), "identified": m(best), "matches": [m(x) for x in matches]})
    return EXIT_OK


# -- info ---------------------------------------------------------------------------------------
def _cmd_info(args) -> int:
    import currentprint as cp
    info = machine_info()
    info["detectors"] = cp.available_detectors()
    _emit(info, indent=2)
    return EXIT_OK


# -- bench --------------------------------------------------------------------------------------
def _cmd_bench(args) -> int:
    from ..core.analyzer import CycleAnalyzer
    from ..errors import CurrentprintError
    from .bench import run_bench
    for fs in args.fs or ():
        try:                         # a rate the analysis refuses is a usage error, before any timing
            CycleAnalyzer(fs)
        except CurrentprintError as exc:
            raise CLIError(f"cannot benchmark at fs={fs:g} Hz: {exc}", EXIT_USAGE) from None
    try:
        report = run_bench(quick=args.quick, rates=args.fs, duration_s=args.duration, repeats=args.repeats,
                           device_id=args.device_id, log=_say)
    except CurrentprintError as exc:
        raise CLIError(f"cannot benchmark at these settings: {exc}", EXIT_USAGE) from None
    if args.json not in (None, "-"):
        from .._state import atomic_write_json
        atomic_write_json(args.json, _clean(report))
        _say(f"results written to {args.json}")
    if args.json == "-":
        _emit(report, indent=2)
    else:
        bench_table(report, sys.stdout)
    return EXIT_OK


def bench_table(report: dict, out) -> None:
    """The readable form of a ``run_bench`` report."""
    m = report["machine"]
    out.write(f"currentprint {report['currentprint']} bench on {m.get('cpu')} ({m.get('cpus_usable')} usable "
              f"CPUs), Python {m.get('python')}, NumPy {m.get('numpy')}\n")
    out.write(f"{m.get('duration_s'):g} s of signal per rate, best of {m.get('repeats')} runs"
              + (" (--quick)" if m.get("quick") else "")
              + (f"; load average {m['load_average'][0]:.2f} before" if m.get("load_average") else "")
              + "\n\n")
    out.write(f"{'stage':<18} {'fs [kHz]':>8} {'time [ms]':>10} {'x real time':>12} {'us/cycle':>9} "
              f"{'peak MB':>8}  note\n")
    for r in report["results"]:
        note = ""
        if r.get("reference_ratio"):
            note = f"{r['reference_ratio']:.0f}x faster than the NumPy reference"
        if r["stage"] == "monitor":
            note = f"{r['channels_per_core']:.0f} channels per core"
        if r["stage"] == "threads":
            note = f"2 threads {r['speedup']:.2f}x one thread"
        us = r.get("per_cycle_us")
        peak = r.get("peak_memory_mb")
        out.write(f"{r['stage']:<18} {r['fs'] / 1000:>8g} {1000 * r['seconds']:>10.2f} "
                  f"{r['real_time_factor']:>12.0f} {us if us is None else round(us, 2)!s:>9} "
                  f"{'-' if peak is None else f'{peak:.1f}':>8}  {note}\n")
    out.write("\n'x real time': seconds of signal processed per second on one core. "
              "Machine-readable: --json (stdout) or --json PATH.\n")


# -- parser -------------------------------------------------------------------------------------
def _iso_time(text: str):
    from datetime import datetime
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time (e.g. 2026-11-27T08:00:00+00:00)") from None


def _non_negative(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(x) and x >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a time >= 0 s")
    return x


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    import currentprint as cp
    p = argparse.ArgumentParser(
        prog="currentprint",
        description="Mains current analysis: per-cycle quantities, switching events, appliance "
                    "fingerprints and electrical-fire detectors. Results go to stdout (tables on a "
                    "terminal, JSON lines or CSV for machines), messages to stderr.",
        epilog="exit codes: 0 ok, 1 alerts found (--fail-on-alert), 2 usage error, 3 bad input file, "
               "4 optional dependency missing, 5 internal error")
    p.add_argument("--version", action="version", version=f"currentprint {cp.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    d = sub.add_parser("demo", help="run the bundled synthetic example (no download)")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.add_argument("--cycles", action="store_true", help="also list every cycle")
    d.add_argument("--detectors", help="comma-separated detector names, 'all' or 'none' (default: built-ins)")
    d.add_argument("--plot", metavar="PNG", help="save an overview figure (needs matplotlib)")
    d.set_defaults(func=_cmd_demo)

    def file_options(sp, scales=True):
        sp.add_argument("file", help="recording: .npz, .csv, .wav (.flac/.ogg with soundfile)")
        sp.add_argument("--fs", type=_positive, help="sample rate, Hz (overrides the file's)")
        sp.add_argument("--key", help="which <key>_current/<key>_voltage pair of an .npz to read")
        if scales:
            sp.add_argument("--current-scale", type=_positive, metavar="A_PER_UNIT",
                            help="A per input unit (overrides the file's scale)")
            sp.add_argument("--voltage-scale", type=_positive, metavar="V_PER_UNIT",
                            help="V per input unit (overrides the file's scale)")
        sp.add_argument("--mains-hz", type=_positive, help="nominal mains frequency, Hz (default: detected)")
        sp.add_argument("--harmonics", type=_positive_int,
                        help="highest harmonic analysed (default 25, fewer when fs cannot resolve 25)")
        sp.add_argument("--columns", metavar="MAP",
                        help="CSV columns, e.g. current=I_A,voltage=U_V,time=t (names or 0-based numbers); "
                             "default: recognised from the header")
        sp.add_argument("--decimal", choices=(".", ","), help="CSV decimal mark (default: detected)")

    a = sub.add_parser(
        "analyze", help="analyse a recording: summary table, events and alerts",
        description="Analyse a recording cycle by cycle and run the detectors. On a terminal a readable "
                    "table (per-interval I, V, P, Q, PF, THD, events, alerts); piped, JSON lines. Values are "
                    "in A, V, W when the file or the options give scales, otherwise in ADC counts.")
    file_options(a)
    a.add_argument("--format", choices=("table", "jsonl", "csv"),
                   help="table (default on a terminal), jsonl (default when piped: event/alert records as "
                        "found, then interval records and a summary) or csv (interval rows)")
    a.add_argument("--interval", type=_positive, metavar="S",
                   help="length of the summary intervals, s (default 1 s; longer for recordings over a minute, "
                        "at most 60 rows)")
    a.add_argument("--cycles", metavar="PATH",
                   help="write the per-cycle table to PATH: CSV, or Parquet for *.parquet (pyarrow or pandas)")
    a.add_argument("--cycle-harmonics", action="store_true",
                   help="with --cycles: also harmonic magnitudes and phases per cycle")
    a.add_argument("--full", action="store_true",
                   help="jsonl: keep harmonic phasors and per-half-cycle lists in event and alert records")
    a.add_argument("--detectors", help="comma-separated detector names, 'all' or 'none' (default: built-ins)")
    g = a.add_argument_group("detector and sensor options")
    g.add_argument("--rated-current", type=_positive, metavar="A", help="overload: rated current of the circuit, A")
    g.add_argument("--nominal-voltage", type=_positive, metavar="V",
                   help="resistive_load, phase_chopper: nominal mains voltage, V (default 220)")
    g.add_argument("--arc-sensitivity", choices=("low", "medium", "high"), help="arc_fault: sensitivity")
    g.add_argument("--arc-mode", choices=("gb14287", "iec62606"), help="arc_fault: counting rule")
    g.add_argument("--adc-full-scale", type=_positive, metavar="COUNTS",
                   help="input value at which the ADC saturates (default: the integer type's limit)")
    g.add_argument("--current-sign", type=int, choices=(1, -1),
                   help="-1 flips the current (a CT mounted the wrong way round: P < 0 for a heater)")
    g.add_argument("--phase-deg", type=float, metavar="DEG",
                   help="phase error of the current sensor at the fundamental, degrees (lag positive)")
    g.add_argument("--set", action="append", metavar="DETECTOR.PARAM=VALUE",
                   help="any detector parameter, e.g. --set overload.tau_s=30 --set events.window=20 "
                        "(VALUE as JSON, else a string; repeatable)")
    a.add_argument("--chunk-s", type=_positive, default=1.0, help="samples pushed per step, s (default 1)")
    a.add_argument("--plot", metavar="PNG", help="save an overview figure (needs matplotlib)")
    a.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bars on stderr for reading a CSV and analysing (default: analysing files "
                        "over 60 s on a terminal; needs tqdm)")
    a.add_argument("--no-progress", dest="progress", action="store_false")
    a.add_argument("--fail-on-alert", action="store_true", help="exit with code 1 when anything was reported")
    a.add_argument("--library", help="fingerprint library (JSON): switchings carry the appliance's name")
    a.add_argument("--ledger", action="store_true",
                   help="track appliances (cp.ApplianceTracker): per-appliance runs, on-time and energy at the end")
    a.add_argument("--start-time", type=_iso_time, metavar="ISO8601",
                   help="wall-clock time of the first sample (alerts and ledger rows get UTC timestamps)")
    a.set_defaults(func=_cmd_analyze)

    e = sub.add_parser("enroll", help="add a recording's fingerprint to a library file (created if needed)")
    e.add_argument("library", help="library file (JSON)")
    file_options(e)
    e.add_argument("--label", required=True, help="appliance name")
    e.add_argument("--start-s", type=_non_negative, help="start of the steady window, s")
    e.add_argument("--stop-s", type=_non_negative, help="end of the steady window, s")
    e.add_argument("--event", type=_positive_int, metavar="N",
                   help="enrol the load of the N-th switch-on event inside the recording (after minus before, "
                        "over whatever else was running) instead of a steady window")
    e.set_defaults(func=_cmd_enroll)

    m = sub.add_parser("match", help="identify a recording against a library file")
    m.add_argument("library", help="library file (JSON)")
    file_options(m)
    m.add_argument("-k", type=_positive_int, default=3, help="number of ranked matches (default 3)")
    m.add_argument("--start-s", type=_non_negative, help="start of the steady window, s")
    m.add_argument("--stop-s", type=_non_negative, help="end of the steady window, s")
    m.set_defaults(func=_cmd_match)

    i = sub.add_parser("info", help="version, compiled core, CPU, NumPy")
    i.set_defaults(func=_cmd_info)

    b = sub.add_parser("bench", help="speed per stage at 6.4, 12.8 and 30 kHz; channels per core")
    b.add_argument("--quick", action="store_true", help="short signals, fewer repeats (under a minute)")
    b.add_argument("--json", metavar="PATH", nargs="?", const="-",
                   help="JSON instead of the table on stdout; with PATH, the table on stdout and the JSON "
                        "written to PATH")
    b.add_argument("--device-id", help="name of the device measured (stored in the results)")
    b.add_argument("--fs", type=_positive, action="append", help="sample rate(s) to measure, Hz (repeatable)")
    b.add_argument("--duration", type=_positive, help="signal length per rate, s")
    b.add_argument("--repeats", type=_positive_int, help="timed repeats per stage (best is kept)")
    b.set_defaults(func=_cmd_bench)

    from .fleet import add_parser as add_fleet_parser
    add_fleet_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``currentprint`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)      # exits with 2 on usage errors
    try:
        return int(args.func(args))
    except CLIError as exc:
        _say(f"currentprint {args.command}: error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - last resort: a bug, reported as such
        _say(f"currentprint {args.command}: internal error, please report it:\n{traceback.format_exc()}")
        return EXIT_INTERNAL

