"""``currentprint fleet``: write a demo archive, replay an archive on Dask, summarise the results.

``fleet demo --terminals N --hours H OUT``, ``fleet run ARCHIVE OUT [--scheduler ADDR] [--workers N] [--processes | --threads]``,
``fleet summary OUT``. Needs the ``fleet`` extra (dask[distributed], pyarrow, fsspec).

Self-contained (it imports nothing from the main CLI module, so no import
circle): each command reports its own errors and returns the exit code of
the main command's table (0 ok, 2 usage, 3 bad input, 4 missing extra).
"""

from __future__ import annotations

from ._common import _positive, _positive_int
import json
import sys

__all__ = ["add_parser"]

EXIT_OK, EXIT_USAGE, EXIT_INPUT, EXIT_MISSING = 0, 2, 3, 4


class CLIError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _say(*parts) -> None:
    print(*parts, file=sys.stderr)


def _emit(obj, *, indent: int | None = None) -> None:
    sys.stdout.write(json.dumps(obj, indent=indent, allow_nan=False, default=str) + "\n")


def _command(func):
    """Run a fleet command; its CLIError becomes a message on stderr and an exit code."""
    def wrapped(args) -> int:
        try:
            return func(args)
        except CLIError as exc:
            _say(f"currentprint fleet {args.fleet_command}: error: {exc}")
            return exc.code
    return wrapped


def _need_extra():
    missing = []
    for mod in ("pyarrow", "fsspec", "distributed"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise CLIError(f"the fleet commands need {', '.join(missing)}: pip install 'currentprint[fleet]'",
                       EXIT_MISSING)
    from .. import fleet
    return fleet


def _cmd_demo(args) -> int:
    fleet = _need_extra()
    _say(f"writing {args.terminals} terminals x {args.hours:g} h to {args.out} ...")
    try:
        info = fleet.write_demo(args.out, terminals=args.terminals, hours=args.hours, file_s=args.file_s,
                                seed=args.seed)
    except (ValueError, FileExistsError) as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    _emit(info, indent=2)
    return EXIT_OK


def _cmd_run(args) -> int:
    from ..errors import CurrentprintError
    fleet = _need_extra()
    dets = None
    if args.detectors:
        dets = [d.strip() for d in args.detectors.split(",") if d.strip()]
    try:
        report = fleet.run(args.archive, args.out, detectors=dets, client=args.scheduler, workers=args.workers,
                           processes=args.processes,
                           gap_tolerance_s=args.gap_tolerance, max_piece_s=args.max_piece_s,
                           overwrite=args.overwrite, progress=not args.quiet)
    except FileNotFoundError as exc:
        raise CLIError(str(exc), EXIT_INPUT) from None
    except CurrentprintError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    _say(f"{report.replayed} pieces replayed, {report.skipped} already complete, {report.failed} failed, "
         f"{report.errors} rows in the errors table; {report.audio_seconds / 3600:.2f} h of recordings in "
         f"{report.seconds:.1f} s")
    _emit(report.to_dict(), indent=2)
    return EXIT_OK


def _cmd_summary(args) -> int:
    fleet = _need_extra()
    from pathlib import Path
    if "://" not in args.out and not Path(args.out).is_dir():
        raise CLIError(f"no fleet output folder at {args.out}", EXIT_INPUT)
    table = fleet.summary(args.out).to_pylist()
    if args.json:
        for r in table:
            for k in ("first", "last"):
                r[k] = None if r[k] is None else r[k].isoformat()
        _emit(table)
        return EXIT_OK
    # a small aligned text table: terminal x kind
    kinds = sorted({r["kind"] for r in table})
    counts: dict[str, dict[str, int]] = {}
    for r in table:
        counts.setdefault(r["terminal"], {})[r["kind"]] = r["alerts"]
    width = max([len("terminal")] + [len(t) for t in counts])
    cols = [max(len(k), 5) for k in kinds]
    out = sys.stdout
    out.write("terminal".ljust(width) + "".join(f"  {k:>{w}}" for k, w in zip(kinds, cols)) + "\n")
    for t in sorted(counts):
        out.write(t.ljust(width) + "".join(f"  {counts[t].get(k, 0):>{w}}" for k, w in zip(kinds, cols)) + "\n")
    out.write("total".ljust(width) + "".join(f"  {sum(c.get(k, 0) for c in counts.values()):>{w}}"
                                             for k, w in zip(kinds, cols)) + "\n")
    return EXIT_OK


def add_parser(sub) -> None:
    """Add the ``fleet`` command group to the sub-parsers ``sub`` of the main parser."""
    f = sub.add_parser("fleet", help="a fleet's archive: demo archive, replay on Dask, summary "
                                     "(needs the 'fleet' extra)")
    fsub = f.add_subparsers(dest="fleet_command", metavar="FLEET_COMMAND")
    fsub.required = True

    d = fsub.add_parser("demo", help="write a synthetic archive with its truth")
    d.add_argument("out", help="folder to create")
    d.add_argument("--terminals", type=_positive_int, default=4, help="number of terminals (default 4)")
    d.add_argument("--hours", type=_positive, default=0.25, help="recorded hours per terminal (default 0.25)")
    d.add_argument("--file-s", type=_positive, default=300.0, help="length of one recording, s (default 300)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.set_defaults(func=_command(_cmd_demo))

    r = fsub.add_parser("run", help="replay every terminal's recordings through Monitors; Parquet tables")
    r.add_argument("archive", help="archive folder or fsspec URL")
    r.add_argument("out", help="output folder or fsspec URL")
    r.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://host:8786 "
                                                       "(default: a local cluster)")
    r.add_argument("--workers", type=_positive_int, help="workers of the local cluster (default: CPU count)")
    how = r.add_mutually_exclusive_group()
    how.add_argument("--processes", dest="processes", action="store_const", const=True, default=None,
                     help="local workers are processes, even one (isolated; a killed worker is restarted). "
                          "Default: one worker is a thread of this process; of 2 or more, one is that thread "
                          "(replaying at once) and the others processes that join when started")
    how.add_argument("--threads", dest="processes", action="store_const", const=False,
                     help="local workers are threads of this process (nothing to start; no isolation)")
    r.add_argument("--detectors", help="comma-separated detector names (default: each terminal.json's)")
    r.add_argument("--gap-tolerance", type=float, default=1.0, metavar="S",
                   help="files within S seconds of each other are contiguous (default 1)")
    r.add_argument("--max-piece-s", type=_positive, default=3600.0,
                   help="longest stretch of recordings one task replays, s (default 3600)")
    r.add_argument("--overwrite", action="store_true", help="replace results written with other settings")
    r.add_argument("--quiet", action="store_true", help="no progress on stderr")
    r.set_defaults(func=_command(_cmd_run))

    s = fsub.add_parser("summary", help="alerts per terminal and kind")
    s.add_argument("out", help="output folder of 'fleet run'")
    s.add_argument("--json", action="store_true", help="JSON rows instead of a text table")
    s.set_defaults(func=_command(_cmd_summary))
