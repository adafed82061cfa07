"""What ``currentprint analyze`` prints: per-interval summaries, event lines, the per-cycle export.

Units are honest: a table analysed from raw ADC counts without a calibration
(``CycleTable.calibrated`` False) is labelled in counts (current, voltage) and
counts² (powers, the product of a current count and a voltage count), never
in A, V or W.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import IO, Any, Iterable, cast

import numpy as np

__all__ = ["units", "IntervalSummary", "CycleWriter", "compact_record", "default_interval",
           "format_table", "INTERVAL_FIELDS"]

#: columns of an interval record, in output order
INTERVAL_FIELDS = ("t_start_s", "t_end_s", "cycles", "frequency", "v_rms", "i_rms", "p", "q", "pf", "thd",
                   "events", "alerts")

_NICE_INTERVALS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def units(calibrated: bool) -> dict[str, str]:
    """Unit of each summary quantity: SI when calibrated, ADC counts when not."""
    if calibrated:
        return {"current": "A", "voltage": "V", "power": "W", "reactive": "var", "apparent": "VA"}
    return {"current": "counts", "voltage": "counts", "power": "counts²", "reactive": "counts²",
            "apparent": "counts²"}


def default_interval(duration_s: float, max_rows: int = 60) -> float:
    """1 s, or the smallest of 2, 5, 10, 15, 30 s, 1, 2, 5, ... min giving at most ``max_rows`` rows."""
    for step in _NICE_INTERVALS:
        if duration_s / step <= max_rows:
            return float(step)
    return float(_NICE_INTERVALS[-1])


class IntervalSummary:
    """Per-interval aggregates of a stream of cycle tables.

    RMS quantities (I, V, THD) are combined as the square root of the mean of
    the squared cycle values, powers and frequency as plain means, as IEC
    61000-4-30 aggregates cycle values; PF is the interval's mean P over its
    mean S. A cycle belongs to the interval holding its start. Memory is one
    accumulator per interval.
    """

    def __init__(self, interval_s: float) -> None:
        if not (interval_s > 0 and math.isfinite(interval_s)):
            raise ValueError(f"interval must be a positive number of seconds, got {interval_s!r}")
        self.interval_s = float(interval_s)
        # bin -> [n, sum f, sum v², sum i², sum p, sum q, sum s, n_thd, sum thd², n_p]
        self._acc: dict[int, list[float]] = {}
        self._events: dict[int, int] = {}
        self._alerts: dict[int, int] = {}
        self.calibrated = True
        self.has_voltage = True

    def add(self, table) -> None:
        """Accumulate the cycles of one table."""
        if len(table) == 0:
            return
        self.calibrated = bool(table.calibrated)
        self.has_voltage = bool(table.has_voltage)
        b = np.floor(table.time / self.interval_s).astype(np.int64)
        cols = (table.frequency, table.v_rms, table.i_rms, table.p, table.q, table.s, table.thd)
        for k in np.unique(b):
            m = b == k
            f, v, i, p, q, s, thd = (c[m] for c in cols)
            ok = np.isfinite(thd)
            pv = np.isfinite(p)
            row = [float(m.sum()), float(np.sum(f)), float(np.nansum(v * v)), float(np.sum(i * i)),
                   float(np.sum(p[pv])), float(np.sum(q[pv])), float(np.sum(s[pv])), float(ok.sum()),
                   float(np.sum(thd[ok] ** 2)), float(pv.sum())]
            acc = self._acc.setdefault(int(k), [0.0] * len(row))
            for j, x in enumerate(row):
                acc[j] += x

    def mark(self, alert) -> None:
        """Count an event or alert in the interval holding its time."""
        t = alert.time if alert.time is not None else None
        if t is None:
            return
        k = int(math.floor(t / self.interval_s))
        target = self._events if alert.kind == "event" else self._alerts
        target[k] = target.get(k, 0) + 1

    def rows(self, end_s: float | None = None) -> list[dict[str, Any]]:
        """One dict per interval that holds cycles or findings, in time order (NaN where undefined).

        ``end_s`` (the recording's length, s) shortens the last interval to it.
        """
        out = []
        nan = float("nan")
        for k in sorted(set(self._acc) | set(self._events) | set(self._alerts)):
            n, sf, sv, si, sp, sq, ss, nt, st, npw = self._acc.get(k, [0.0] * 10)
            t_end = (k + 1) * self.interval_s
            if end_s is not None and k * self.interval_s < end_s < t_end:
                t_end = float(end_s)
            row: dict[str, Any] = {"t_start_s": k * self.interval_s, "t_end_s": t_end, "cycles": int(n)}
            row["frequency"] = sf / n if n else nan
            row["v_rms"] = math.sqrt(sv / n) if n and self.has_voltage else nan
            row["i_rms"] = math.sqrt(si / n) if n else nan
            row["p"] = sp / npw if npw else nan
            row["q"] = sq / npw if npw else nan
            row["pf"] = sp / ss if npw and ss > 0 else nan
            # THD of the cycles that carry a load; none when fewer than a quarter do (a few noisy
            # cycles above the floor must not give an idle interval a THD of hundreds of percent)
            row["thd"] = math.sqrt(st / nt) if nt and nt >= 0.25 * n else nan
            row["events"] = self._events.get(k, 0)
            row["alerts"] = self._alerts.get(k, 0)
            out.append(row)
        return out


def _g(x: float, width: int, digits: int = 4) -> str:
    """A number right-aligned in ``width`` characters with about ``digits`` significant digits."""
    if x is None or not math.isfinite(x):
        return "-".rjust(width)
    mag = math.floor(math.log10(abs(x))) if x != 0 else 0
    s = f"{x:.{max(0, min(3, digits - 1 - mag))}f}"
    if len(s) > width:
        s = f"{x:.{max(0, width - 7)}e}"
    return s.rjust(width)


def _event_line(alert, u: dict[str, str]) -> str:
    d = alert.detail or {}
    t = f"{alert.time:9.3f} s" if alert.time is not None else f"sample {alert.sample}"
    parts = [f"{t}  {str(d.get('kind', '?')):<6}"]
    for key, label, unit in (("delta_p", "dP", u["power"]), ("delta_q", "dQ", u["reactive"]),
                             ("delta_i_rms", "dI", u["current"])):
        x = d.get(key)
        if x is not None and isinstance(x, (int, float)) and math.isfinite(x):
            parts.append(f"{label} = {x:+.4g} {unit}")
    if d.get("clipped"):
        parts.append("[clipped]")
    return "  ".join(parts)


def format_table(out: IO[str], *, name: str, fs: float, duration_s: float, n_cycles: int, rows: list[dict],
                 alerts: list, detectors: list[str], calibrated: bool, has_voltage: bool,
                 interval_s: float, calibration_note: str = "") -> None:
    """Write the human-readable report of ``analyze``."""
    u = units(calibrated)
    f_med = [r["frequency"] for r in rows if r["cycles"]]
    mains = f", {np.median(f_med):.3f} Hz mains" if f_med else ""
    out.write(f"{name}: {duration_s:.2f} s at {fs:g} Hz, {n_cycles} cycles{mains}, "
              f"{'current and voltage' if has_voltage else 'current only (no voltage: no P, Q, PF)'}\n")
    if calibrated:
        out.write(f"units: {'A, V, W, var' if has_voltage else 'A'}{calibration_note}\n")
    else:
        out.write("units: ADC counts (no calibration: give --current-scale/--voltage-scale for A and V; "
                  "powers are in counts², relative only)\n")
    label = "per second" if interval_s == 1 else f"per {interval_s:g} s interval"
    out.write(f"\ncycle values {label} (I, V and THD as RMS over the interval, P and Q mean, PF = P/S):\n")
    head = [f"{'t [s]':>11}", f"{'cycles':>6}", f"{'f [Hz]':>7}"]
    if has_voltage:
        head.append(f"{'V [' + u['voltage'] + ']':>10}")
    head.append(f"{'I [' + u['current'] + ']':>10}")
    if has_voltage:
        head += [f"{'P [' + u['power'] + ']':>11}", f"{'Q [' + u['reactive'] + ']':>11}", f"{'PF':>6}"]
    head += [f"{'THD':>7}", f"{'events':>6}", f"{'alerts':>6}"]
    out.write(" ".join(head) + "\n")
    for r in rows:
        t = f"{r['t_start_s']:g}-{round(r['t_end_s'], 2):g}"
        f = r["frequency"]
        cells = [f"{t:>11}", f"{r['cycles']:>6d}", f"{f:7.3f}" if math.isfinite(f) else f"{'-':>7}"]
        if has_voltage:
            cells.append(_g(r["v_rms"], 10))
        cells.append(_g(r["i_rms"], 10))
        if has_voltage:
            cells += [_g(r["p"], 11), _g(r["q"], 11), _g(r["pf"], 6, 3)]
        thd = r["thd"]
        cells.append(f"{100 * thd:6.1f}%" if math.isfinite(thd) else f"{'-':>7}")
        cells += [f"{r['events'] or '':>6}", f"{r['alerts'] or '':>6}"]
        out.write(" ".join(cells) + "\n")
    out.write("(THD '-': fundamental current below the noise floor, see CycleAnalyzer thd_floor)\n"
              if any(r["cycles"] and not math.isfinite(r["thd"]) for r in rows) else "")
    events = [a for a in alerts if a.kind == "event"]
    others = [a for a in alerts if a.kind != "event"]
    out.write(f"\nswitching events ({len(events)}):\n")
    for a in events:
        out.write("  " + _event_line(a, u) + "\n")
    if not events:
        out.write("  (none)\n" if "events" in detectors else "  (event detector not run)\n")
    out.write(f"\nalerts ({len(others)}) from {', '.join(d for d in detectors if d != 'events') or 'no detectors'}:\n")
    for a in others:
        out.write(f"  {a}\n")
    if not others:
        out.write("  (none)\n")


_BULKY = ("harmonics", "i_wave", "v_wave", "half_cycles", "rms_history", "snapshot")


def compact_record(rec: dict, *, full: bool = False) -> dict:
    """Drop the bulky arrays (harmonic phasors, waveforms, per-half-cycle lists) of a record's detail."""
    if full:
        return rec

    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in _BULKY}
        return obj

    return strip(rec)


class CycleWriter:
    """Write per-cycle tables to CSV as they come (memory bounded), or Parquet at the end.

    Parameters
    ----------
    path : path-like
        ``.parquet`` (needs pyarrow, or pandas with a Parquet engine) or
        anything else for CSV.
    harmonics : bool
        Also the harmonic magnitudes and phases ``i_h{k}_rms``/``i_h{k}_phase``.
    """

    def __init__(self, path, *, harmonics: bool = False) -> None:
        self.path = Path(path)
        self.harmonics = harmonics
        self.parquet = self.path.suffix.lower() in (".parquet", ".pq")
        self._parts: list[dict[str, np.ndarray]] = []
        self._fh: IO[str] | None = None
        self._writer: Any = None          # a csv writer, made with the file
        self.rows = 0
        if self.parquet:
            self._engine = _parquet_engine()
        else:
            # opened now: an unwritable path fails before the analysis, not in the middle of it
            self._fh = open(self.path, "w", newline="", encoding="utf-8")

    def add(self, table) -> None:
        if len(table) == 0:
            return
        cols = {"time": table.time}
        cols.update(table.to_dict(harmonics=self.harmonics))
        self.rows += len(table)
        if self.parquet:
            self._parts.append(cols)
            return
        if self._writer is None:
            self._writer = csv.writer(cast(IO[str], self._fh))     # opened in __init__ for CSV
            self._writer.writerow(list(cols))
        arr = np.column_stack(list(cols.values()))
        self._writer.writerows([[_csv_num(x) for x in row] for row in arr.tolist()])

    def close(self) -> None:
        if self.parquet:
            if self._parts:
                data = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
                self._engine(self.path, data)
            self._parts = []
        elif self._fh is not None:
            self._fh.close()
            self._fh = None


def _csv_num(x: float) -> str:
    return repr(x) if math.isfinite(x) else ""


def _parquet_engine():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def write(path, data):
            pq.write_table(pa.table(data), str(path))
        return write
    except ImportError:
        pass
    try:
        import pandas as pd

        def write(path, data):
            pd.DataFrame(data).to_parquet(path)
        return write
    except ImportError:
        raise ImportError("writing Parquet needs pyarrow (pip install pyarrow) or pandas with a Parquet "
                          "engine; or give a .csv path") from None


def write_interval_csv(out: IO[str], rows: Iterable[dict], calibrated: bool) -> None:
    """Interval rows as CSV, the unit in each column name."""
    u = units(calibrated)
    su = {"A": "a", "V": "v", "W": "w", "var": "var", "counts": "counts", "counts²": "counts2"}
    names = {"frequency": "frequency_hz", "v_rms": f"v_rms_{su[u['voltage']]}", "i_rms": f"i_rms_{su[u['current']]}",
             "p": f"p_{su[u['power']]}", "q": f"q_{su[u['reactive']]}", "thd": "thd_percent"}
    w = csv.writer(out, lineterminator="\n")
    w.writerow([names.get(f, f) for f in INTERVAL_FIELDS])
    for r in rows:
        vals = []
        for f in INTERVAL_FIELDS:
            x = r[f]
            if f == "thd":
                x = 100 * x
            vals.append(_csv_num(float(x)) if isinstance(x, float) else x)
        w.writerow(vals)
