"""The ``currentprint`` command line (also ``python -m currentprint``).

The parser and the sub-commands; ``bench`` lives in :mod:`.bench`, the helpers
both use (built-in detector names, machine information) in :mod:`._common`.

Sub-commands: ``demo``, ``analyze FILE``, ``enroll``, ``match``, ``info``,
``bench``. Machine-readable output (JSON, JSON lines) goes to stdout,
messages and progress bars to stderr.

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

from ._common import BUILTIN_DETECTORS, machine_info

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
def _make_detectors(spec: str | None) -> tuple[list, list[str]]:
    """Detectors for ``--detectors`` (comma list, ``all``, ``none``; default: available built-ins)."""
    import currentprint as cp
    from ..errors import RegistryError
    notes: list[str] = []
    if spec is not None and spec.strip().lower() == "none":
        return [], notes
    if spec is None or spec.strip().lower() in ("builtin", "default"):
        names, strict = list(BUILTIN_DETECTORS), False
    elif spec.strip().lower() == "all":
        names, strict = cp.available_detectors(), False
    else:
        names, strict = [n.strip() for n in spec.split(",") if n.strip()], True
    dets = []
    for name in names:
        try:
            dets.append(cp.get_detector(name))
        except RegistryError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
        except ImportError as exc:
            if strict:
                raise CLIError(f"detector {name!r} is not available in this installation ({exc}).",
                               EXIT_MISSING) from None
            notes.append(f"detector {name!r} skipped (not available: {exc})")
    return dets, notes


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
        _plot_overview(table, alerts, args.plot, current=sig.current, voltage=sig.voltage, fs=sig.fs)
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
                      f"{100 * table.thd[k]:5.1f}%\n")
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
def _load(args):
    from ..errors import CurrentprintError
    from ..io import load_recording
    try:
        return load_recording(args.file, fs=args.fs, current_scale=args.current_scale,
                              voltage_scale=args.voltage_scale, key=getattr(args, "key", None))
    except FileNotFoundError as exc:
        raise CLIError(str(exc), EXIT_INPUT) from None
    except (CurrentprintError, ValueError, OSError) as exc:
        raise CLIError(f"cannot read {args.file}: {exc}", EXIT_INPUT) from None


def _progress(total: int, enabled: bool | None, long_file: bool):
    """A tqdm bar on stderr, or None (silent by default for short files and pipes)."""
    if enabled is False or (enabled is None and not (long_file and sys.stderr.isatty())):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if enabled:
            _say("note: install tqdm for a progress bar (pip install 'currentprint[progress]')")
        return None
    return tqdm(total=round(total, 1), unit="s", unit_scale=False, file=sys.stderr, desc="analyze", leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of signal [{elapsed}<{remaining}]")


def _cmd_analyze(args) -> int:
    import currentprint as cp
    from ..errors import CurrentprintError
    rec = _load(args)
    dets, notes = _make_detectors(args.detectors)
    for n in notes:
        _say("note:", n)
    try:
        harmonics = args.harmonics if args.harmonics is not None else _max_harmonics(rec.fs, args.mains_hz)
        mon = cp.Monitor(fs=rec.fs, mains_hz=args.mains_hz, calibration=rec.calibration, detectors=dets,
                         harmonics=harmonics)
    except CurrentprintError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    step = max(1, int(round(args.chunk_s * rec.fs)))
    n = rec.current.shape[0]
    if rec.calibration is None and np.issubdtype(rec.current.dtype, np.integer):
        _say(f"note: {Path(args.file).name} holds integer samples and no scales: values are in counts, not A/V; "
             "give --current-scale/--voltage-scale for detectors with absolute limits (e.g. overload)")
    bar = _progress(rec.duration_s, args.progress, rec.duration_s > 60.0)
    tables, count = [], 0
    try:
        for k in range(0, n, step):
            v = None if rec.voltage is None else rec.voltage[k:k + step]
            table, alerts = mon.process(rec.current[k:k + step], v)
            if args.plot:
                tables.append(table)
            for a in alerts:
                _emit(_record(a))
                count += 1
            if bar is not None:
                bar.update(min(step, n - k) / rec.fs)
        for a in mon.flush():
            _emit(_record(a))
            count += 1
    except CurrentprintError as exc:
        raise CLIError(f"{args.file}: {exc}", EXIT_INPUT) from None
    finally:
        if bar is not None:
            bar.close()
    if mon.cycles_seen == 0:
        _say(f"warning: no complete mains cycle found in {args.file} (is --fs right? is there a voltage?)")
    _emit({"record": "summary", "file": str(args.file), "fs": rec.fs, "duration_s": rec.duration_s,
           "samples": n, "cycles": mon.cycles_seen, "voltage": rec.voltage is not None,
           "detectors": [d.name for d in dets], "alerts": count})
    if args.plot:
        table = cp.CycleTable.concatenate(tables) if tables else None  # type: ignore[assignment]
        if table is not None and len(table):
            _plot_overview(table, [], args.plot, current=rec.current, voltage=rec.voltage, fs=rec.fs,
                           calibration=rec.calibration)
    if args.fail_on_alert and count:
        return EXIT_ALERTS
    return EXIT_OK


def _plot_overview(table, alerts, path, *, current=None, voltage=None, fs=None, calibration=None) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        from .. import plot
        fig = plot.plot_overview(table, alerts, current=current, voltage=voltage, fs=fs, calibration=calibration)
    except ImportError as exc:
        raise CLIError(f"--plot needs matplotlib: pip install 'currentprint[plot]' ({exc})", EXIT_MISSING) from None
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    _say(f"plot written to {path}")


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


def _cmd_enroll(args) -> int:
    lib = _open_library(Path(args.library), create=True)
    fp = _file_fingerprint(args)
    lib.enroll(args.label, fp, meta={"file": Path(args.file).name})
    lib.save(args.library)
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
    from .bench import run_bench
    from ..errors import CurrentprintError
    try:
        report = run_bench(quick=args.quick, rates=args.fs, duration_s=args.duration, repeats=args.repeats,
                           device_id=args.device_id, log=_say)
    except CurrentprintError as exc:
        raise CLIError(f"cannot benchmark at these settings: {exc}", EXIT_USAGE) from None
    if args.json:
        from .._state import atomic_write_json
        atomic_write_json(args.json, _clean(report))
        _say(f"results written to {args.json}")
    _emit(report, indent=2)
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------
def _max_harmonics(fs: float, mains_hz: float | None) -> int:
    """25, or the highest harmonic below Nyquist at the highest mains frequency accepted."""
    from ..core.framing import frequency_limits
    _, fmax = frequency_limits(mains_hz)
    return max(1, min(25, int(math.floor(fs / (2.0 * fmax) - 1e-9))))


def _positive_int(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return k


def _non_negative(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(x) and x >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a time >= 0 s")
    return x


def _positive(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(x) and x > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return x


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    import currentprint as cp
    p = argparse.ArgumentParser(
        prog="currentprint",
        description="Mains current analysis: per-cycle quantities, switching events, appliance "
                    "fingerprints and electrical-fire detectors. JSON goes to stdout, messages to stderr.",
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

    a = sub.add_parser("analyze", help="analyse a recording; JSON lines of events and alerts")
    file_options(a)
    a.add_argument("--detectors", help="comma-separated detector names, 'all' or 'none' (default: built-ins)")
    a.add_argument("--chunk-s", type=_positive, default=1.0, help="samples pushed per step, s (default 1)")
    a.add_argument("--plot", metavar="PNG", help="save an overview figure (needs matplotlib)")
    a.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bar on stderr (default: for files over 60 s on a terminal; needs tqdm)")
    a.add_argument("--no-progress", dest="progress", action="store_false")
    a.add_argument("--fail-on-alert", action="store_true", help="exit with code 1 when anything was reported")
    a.set_defaults(func=_cmd_analyze)

    e = sub.add_parser("enroll", help="add a recording's fingerprint to a library file (created if needed)")
    e.add_argument("library", help="library file (JSON)")
    file_options(e)
    e.add_argument("--label", required=True, help="appliance name")
    e.add_argument("--start-s", type=_non_negative, help="start of the steady window, s")
    e.add_argument("--stop-s", type=_non_negative, help="end of the steady window, s")
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
    b.add_argument("--json", metavar="PATH", help="also write the results to PATH")
    b.add_argument("--device-id", help="name of the device measured (stored in the results)")
    b.add_argument("--fs", type=_positive, action="append", help="sample rate(s) to measure, Hz (repeatable)")
    b.add_argument("--duration", type=_positive, help="signal length per rate, s")
    b.add_argument("--repeats", type=_positive_int, help="timed repeats per stage (best is kept)")
    b.set_defaults(func=_cmd_bench)
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

