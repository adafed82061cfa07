"""IEC 61000-4-30 class A time aggregation of per-cycle values.

:func:`aggregate` turns a :class:`~currentprint.CycleTable` (one row per mains
cycle) into the power-quality intervals of IEC 61000-4-30 (ed. 3, 2015,
clause 4.5 "Measurement aggregation over time intervals"):

``"10/12-cycle"``
    the basic interval: 10 contiguous cycles on a 50 Hz system, 12 on a
    60 Hz system (about 200 ms). The intervals restart at every 10-minute
    clock tick; the one in progress at the tick runs to its end, so its last
    cycles also belong to the next interval ("overlap 1" of the standard).
``"150/180-cycle"``
    15 contiguous 10/12-cycle intervals (about 3 s), restarting at each
    10-minute tick like them.
``"10min"``
    the 10/12-cycle intervals that *start* between two ticks of the
    10-minute clock (the overlapping one belongs to the interval it started
    in). Ticks are multiples of 600 s of absolute time: give the recording's
    start ``t0`` (POSIX seconds, UTC) to align them with the clock; with the
    default ``t0=0`` the first sample is taken to be on a tick.

**Aggregation rules**

* RMS magnitudes (``i_rms``, ``v_rms``, harmonic groups): square root
  of the mean of the squares (IEC 61000-4-30 4.5.1). In a 10/12-cycle
  interval each cycle's square is weighted by its length in samples, which
  makes the result the RMS over all the interval's samples; the longer
  intervals take the plain mean of the squares of their 10/12-cycle values,
  as the standard says.
* Signed powers ``p``, ``q`` (W, var) and ``s`` (VA): arithmetic mean
  (energy over time), weighted by cycle length within a 10/12-cycle
  interval. ``pf = p / s``.
* ``frequency``: cycles counted over the interval's duration (Hz).
* ``thd``, ``v_thd``: from the interval's own harmonic groups (IEC
  61000-4-7 THDG), not averaged.

**Harmonics: what per-cycle values can and cannot give (IEC 61000-4-7)**

IEC 61000-4-7 (ed. 2, 2002 + A1 2008, clause 5.5) analyses each 10/12-cycle
window with one DFT of the whole window (rectangular, synchronised), which
gives spectral lines every 5 Hz; line ``10 h`` (50 Hz; ``12 h`` at 60 Hz)
is harmonic ``h``. From the lines ``C_k`` it defines

* the **harmonic group** ``G_g,h``: the root sum of squares of the lines
  from ``10h - 5`` to ``10h + 5``, the two outer lines (shared with the
  neighbouring groups) weighted 1/2;
* the **harmonic subgroup** ``G_sg,h``: lines ``10h - 1 .. 10h + 1`` only;
* **interharmonic groups** and **centred subgroups**: the lines between two
  harmonics.

This module works on per-cycle harmonic phasors ``X_h,c`` (one DFT per
cycle, so lines every 50 Hz). By Parseval's theorem the mean over the
window's cycles of ``|X_h,c|^2`` is the energy of harmonic ``h`` *together
with all the sidebands its cycle-to-cycle fluctuation spreads around it*.
So:

* **implemented, the harmonic group** ``i_groups``/``v_groups``: the
  length-weighted RMS over the interval's cycles of ``|X_h,c|``. It equals
  IEC's ``G_g,h`` exactly when the harmonics are integer multiples of the
  measured cycle frequency and do not change within the window (all the
  energy is on line ``10h``), which the tests check; when a harmonic
  fluctuates from cycle to cycle it keeps all of that harmonic's energy
  (IEC's group keeps the sidebands within +-25 Hz and gives the rest to the
  neighbouring groups); interharmonic content, which a one-cycle DFT cannot
  separate, is shared among the neighbouring integer harmonics by the
  per-cycle DFT instead of by IEC's half-line rule.
* **implemented, THD of the groups** ``thd``/``v_thd`` (IEC 61000-4-7
  THDG): ``sqrt(sum_{h=2..H} G_h^2) / G_1`` with ``H`` the table's
  ``n_harmonics`` (IEC uses 40 or 50).
* **needs the 5 Hz spectrum of the samples**: harmonic subgroups (they
  separate a harmonic from content 5 Hz away, which one-cycle windows cannot
  resolve) and IEC's exact treatment of interharmonics and fluctuating
  harmonics in the groups. **Implemented** when the samples are given
  (``aggregate(table, ..., current=i, voltage=v)``): each 10/12-cycle
  interval's samples, from its first cycle's start to its last cycle's end
  rounded to whole samples, get one DFT; ``i_groups``/``v_groups`` are then
  IEC's ``G_g,h`` and ``i_subgroups``/``v_subgroups`` IEC's ``G_sg,h``
  (without samples the subgroups are NaN). The window is synchronised to
  within half a sample at each end (IEC 61000-4-7 asks for 0.03 %: exact
  when 10/12 cycles are a whole number of samples, e.g. 50 Hz at 6.4 kHz;
  1 sample in 1280 = 0.08 % otherwise).
* **not implemented**: interharmonic groups and centred subgroups, and the
  smoothing of harmonic groups (the optional 1.5 s filter of IEC 61000-4-7
  5.5.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .cycles import CycleTable
from .signal import Calibration
from ..errors import InputError

__all__ = ["aggregate", "Aggregates", "INTERVALS"]

Interval = Literal["10/12-cycle", "150/180-cycle", "10min"]
INTERVALS: tuple[str, ...] = ("10/12-cycle", "150/180-cycle", "10min")

#: 10-minute clock tick, s (IEC 61000-4-30 4.5.3)
TICK_S = 600.0
#: 10/12-cycle intervals in a 150/180-cycle interval (IEC 61000-4-30 4.5.2)
PER_150_180 = 15
#: largest gap between one cycle's end and the next cycle's start still
#: counted as contiguous, samples (the framing puts them at the same position)
_GAP_SAMPLES = 0.5

_FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Aggregates:
    """Aggregated intervals, one value per interval in each array.

    Attributes
    ----------
    interval : str
        ``"10/12-cycle"``, ``"150/180-cycle"`` or ``"10min"``.
    start, end : ndarray of float64
        Interval start and end, s: ``t0`` plus the time from the table's
        first input sample.
    n_cycles : ndarray of int64
        Mains cycles aggregated (10 or 12 per 10/12-cycle interval).
    complete : ndarray of bool
        True for a 10-minute interval covered from tick to tick without a
        gap; always True for the other intervals (incomplete ones are not
        returned).
    frequency : ndarray of float64
        Cycles per second over the interval, Hz.
    i_rms, v_rms : ndarray of float64
        Current RMS (A) and voltage RMS (V); counts when uncalibrated.
    p, q, s : ndarray of float64
        Mean active power (W), fundamental reactive power (var), apparent
        power (VA).
    pf : ndarray of float64
        Power factor ``p / s``.
    thd, v_thd : ndarray of float64
        Group total harmonic distortion of current and voltage (IEC
        61000-4-7 THDG, ratio to the fundamental group).
    i_groups, v_groups : ndarray of float64, shape (intervals, H)
        Harmonic group RMS values ``G_g,h`` for h = 1..H (column h - 1), A
        and V: from the 5 Hz spectrum when the samples were given
        (``spectrum`` True), else estimated from the per-cycle harmonics
        (see the module docstring for exactly when that equals IEC
        61000-4-7).
    i_subgroups, v_subgroups : ndarray of float64, shape (intervals, H)
        Harmonic subgroup RMS values ``G_sg,h`` (IEC 61000-4-7 5.6), A and
        V; NaN without the samples.
    spectrum : bool
        True when groups and subgroups come from the 5 Hz spectrum.
    mains_hz : float
        Nominal frequency used (50 or 60 Hz).
    calibrated : bool
        False when the table held raw ADC counts (values in counts).
    """

    interval: str
    start: _FloatArray
    end: _FloatArray
    n_cycles: NDArray[np.int64]
    complete: NDArray[np.bool_]
    frequency: _FloatArray
    i_rms: _FloatArray
    v_rms: _FloatArray
    p: _FloatArray
    q: _FloatArray
    s: _FloatArray
    pf: _FloatArray
    thd: _FloatArray
    v_thd: _FloatArray
    i_groups: _FloatArray
    v_groups: _FloatArray
    i_subgroups: _FloatArray
    v_subgroups: _FloatArray
    mains_hz: float
    spectrum: bool = field(default=False)
    calibrated: bool = field(default=True)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def to_dict(self) -> dict[str, NDArray[np.generic]]:
        """Scalar columns as a dict of arrays, plus the group (``i_g{h}``, ``v_g{h}``) and
        subgroup (``i_sg{h}``, ``v_sg{h}``) columns for h = 1..H."""
        out: dict[str, NDArray[np.generic]] = {
            name: getattr(self, name).copy()
            for name in ("start", "end", "n_cycles", "complete", "frequency", "i_rms", "v_rms",
                         "p", "q", "s", "pf", "thd", "v_thd")}
        for h in range(self.i_groups.shape[1]):
            out[f"i_g{h + 1}"] = self.i_groups[:, h].copy()
            out[f"v_g{h + 1}"] = self.v_groups[:, h].copy()
            out[f"i_sg{h + 1}"] = self.i_subgroups[:, h].copy()
            out[f"v_sg{h + 1}"] = self.v_subgroups[:, h].copy()
        return out

    def __repr__(self) -> str:
        unit = "A" if self.calibrated else "counts"
        med = float(np.nanmedian(self.i_rms)) if len(self) else float("nan")
        return (f"Aggregates({len(self)} x {self.interval} at {self.mains_hz:g} Hz, "
                f"median i_rms={med:.4g} {unit})")


def _nominal(table: CycleTable, mains_hz: float | None) -> float:
    if mains_hz is None:
        # framing accepts 45-65 Hz: the nearer of the two nominal frequencies
        return 50.0 if float(np.nanmedian(table.frequency)) < 55.0 else 60.0
    return float(mains_hz)


def _rms(x: _FloatArray, w: _FloatArray) -> _FloatArray:
    """Weighted root mean square along the last axis but one (cycles)."""
    r: _FloatArray = np.sqrt(np.sum(w * x**2, axis=1) / np.sum(w, axis=1))
    return r


def _mean(x: _FloatArray, w: _FloatArray) -> _FloatArray:
    r: _FloatArray = np.sum(w * x, axis=1) / np.sum(w, axis=1)
    return r


def _thd(groups: _FloatArray) -> _FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r: _FloatArray = np.sqrt(np.sum(groups[:, 1:] ** 2, axis=1)) / groups[:, 0]
    return r


def _spectrum(x: NDArray[Any] | None, windows: NDArray[np.intp], n: int, h_max: int, scale: float,
              offset: float) -> tuple[_FloatArray, _FloatArray]:
    """IEC 61000-4-7 groups and subgroups of each window's DFT (lines every f/n Hz).

    ``windows`` holds [first sample, end sample) per 10/12-cycle interval.
    """
    m = len(windows)
    groups = np.full((m, h_max), np.nan)
    subgroups = np.full((m, h_max), np.nan)
    if x is None:
        return groups, subgroups
    half = n // 2                                    # group edge: 5 lines at 50 Hz, 6 at 60 Hz
    h = np.arange(1, h_max + 1)
    for k, (a, b) in enumerate(windows):
        if a < 0 or b > x.shape[0]:
            continue                                 # the window reaches past the samples given
        w = (np.asarray(x[a:b], dtype=np.float64) - offset) * scale
        c = np.abs(np.fft.rfft(w)) * (np.sqrt(2.0) / w.shape[0])     # RMS value of each line
        c2 = c**2
        ok = n * h + half < c.shape[0]
        centre = n * h[ok]
        lines = centre[:, None] + np.arange(-half, half + 1)[None, :]
        weight = np.ones(2 * half + 1)
        weight[[0, -1]] = 0.5                        # edge lines shared with the next group
        groups[k, ok] = np.sqrt(c2[lines] @ weight)
        subgroups[k, ok] = np.sqrt(np.sum(c2[centre[:, None] + np.arange(-1, 2)[None, :]], axis=1))
    return groups, subgroups


def _basic(table: CycleTable, n: int, t0: float, current: NDArray[Any] | None, voltage: NDArray[Any] | None,
           scales: tuple[float, float, float, float]) -> tuple[NDArray[np.intp], dict[str, _FloatArray]]:
    """10/12-cycle intervals: the cycle indices (intervals, n) and their values."""
    fs = table.fs
    start, period = table.start, table.period
    # ticks decided on the time within the 10-min clock period: an absolute POSIX
    # time in float64 resolves only ~0.2 us, enough to misplace a cycle on a tick
    t = t0 % TICK_S + start / fs
    m = len(table)
    # contiguous runs of cycles: a dropout (missing cycles) breaks an interval
    gap = np.ones(m, bool)
    gap[1:] = np.abs(start[1:] - (start[:-1] + period[:-1])) > _GAP_SAMPLES
    run = np.cumsum(gap)
    # intervals restart at a gap and at the first cycle starting on or after a 10-min tick
    tick = np.floor(t / TICK_S)
    restart = gap.copy()
    restart[1:] |= tick[1:] != tick[:-1]
    first_of_segment = np.flatnonzero(restart)
    seg = np.cumsum(restart) - 1
    pos = np.arange(m) - first_of_segment[seg]
    first = np.flatnonzero(pos % n == 0)
    # an interval needs n contiguous cycles; it may run past a tick (overlap 1)
    last = first + n - 1
    ok = last < m
    ok[ok] &= run[last[ok]] == run[first[ok]]
    idx = first[ok][:, None] + np.arange(n)[None, :]

    w = period[idx]                                   # samples: weight of each cycle
    i_rms = _rms(table.i_rms[idx], w)
    v_rms = _rms(table.v_rms[idx], w)
    p = _mean(table.p[idx], w)
    q = _mean(table.q[idx], w)
    s = v_rms * i_rms
    ig = np.sqrt(np.sum(w[:, :, None] * table.harmonic_magnitudes[idx] ** 2, axis=1) / np.sum(w, axis=1)[:, None])
    vmag = np.abs(table.v_harmonics)
    vg = np.sqrt(np.sum(w[:, :, None] * vmag[idx] ** 2, axis=1) / np.sum(w, axis=1)[:, None])
    isg = vsg = np.full(ig.shape, np.nan)
    if current is not None:
        # the 5 Hz spectrum: one DFT over each interval's samples (IEC 61000-4-7 5.5)
        windows = np.stack([np.round(start[idx[:, 0]]), np.round(start[idx[:, -1]] + period[idx[:, -1]])],
                           axis=1).astype(np.intp)
        h = table.n_harmonics
        ig, isg = _spectrum(current, windows, n, h, scales[0], scales[1])
        vg, vsg = _spectrum(voltage, windows, n, h, scales[2], scales[3])
    dur = np.sum(w, axis=1) / fs
    t_start = t0 % TICK_S + start[idx[:, 0]] / fs
    values = {
        "start": t_start, "end": t_start + dur, "n_cycles": np.full(len(idx), float(n)),
        "frequency": n / dur, "i_rms": i_rms, "v_rms": v_rms, "p": p, "q": q, "s": s,
        "i_groups": ig, "v_groups": vg, "i_subgroups": isg, "v_subgroups": vsg,
    }
    return idx, values


def _combine(values: dict[str, _FloatArray], members: list[NDArray[np.intp]]) -> dict[str, _FloatArray]:
    """Aggregate 10/12-cycle values over groups of interval indices (IEC 61000-4-30 4.5.1)."""
    out: dict[str, list[Any]] = {k: [] for k in values}
    for g in members:
        out["start"].append(values["start"][g[0]])
        out["end"].append(values["end"][g[-1]])
        out["n_cycles"].append(np.sum(values["n_cycles"][g]))
        out["frequency"].append(np.sum(values["n_cycles"][g]) / np.sum(values["end"][g] - values["start"][g]))
        for name in ("i_rms", "v_rms"):
            out[name].append(np.sqrt(np.mean(values[name][g] ** 2)))
        for name in ("i_groups", "v_groups", "i_subgroups", "v_subgroups"):
            out[name].append(np.sqrt(np.mean(values[name][g] ** 2, axis=0)))
        for name in ("p", "q", "s"):
            out[name].append(np.mean(values[name][g]))
    h = values["i_groups"].shape[1]
    res: dict[str, _FloatArray] = {}
    for k, v in out.items():
        if k in ("i_groups", "v_groups", "i_subgroups", "v_subgroups"):
            res[k] = np.array(v, dtype=np.float64).reshape(len(members), h)
        else:
            res[k] = np.array(v, dtype=np.float64)
    return res


def aggregate(table: CycleTable, interval: Interval = "10/12-cycle", *, mains_hz: float | None = None,
              t0: float = 0.0, current: ArrayLike | None = None, voltage: ArrayLike | None = None,
              calibration: Calibration | None = None) -> Aggregates:
    """Aggregate per-cycle values over IEC 61000-4-30 class A intervals.

    Parameters
    ----------
    table : CycleTable
        Cycles of one stream, in order (from :func:`currentprint.analyze`
        or concatenated :meth:`currentprint.CycleAnalyzer.push` parts).
    interval : {"10/12-cycle", "150/180-cycle", "10min"}
        The aggregation interval (see the module docstring).
    mains_hz : {50, 60}, optional
        Nominal mains frequency: 10 cycles per basic interval at 50 Hz, 12
        at 60 Hz. Default: the one nearer to the table's median
        measured frequency (below 55 Hz: 50).
    t0 : float, optional
        Absolute time of the table's first input sample, POSIX seconds
        (UTC), so that the 10-minute ticks fall on the clock's multiples of
        600 s. Default 0: the recording starts on a tick.
    current, voltage : array_like, 1-D, optional
        The samples the table was analysed from (the same arrays, from the
        same first sample). With them the harmonic groups and subgroups come
        from the 5 Hz spectrum of each 10/12-cycle interval (IEC 61000-4-7);
        without them, groups from the per-cycle harmonics and no subgroups.
    calibration : Calibration, optional
        The calibration the table was analysed with (scales and offsets of
        the samples; signs and phase do not change magnitudes).

    Returns
    -------
    Aggregates
        One row per interval. Only complete 10/12- and 150/180-cycle
        intervals are returned (a dropout, or the end of the data, leaves
        the unfinished one out); 10-minute intervals are returned whenever
        one 10/12-cycle interval starts in them, ``complete`` telling which
        cover their whole 10 minutes.

    Raises
    ------
    InputError
        Unknown interval, a ``mains_hz`` other than 50 or 60, not a table, or
        a ``t0`` that is not finite.

    Notes
    -----
    IEC 61000-4-30:2015, 4.5 (time aggregation, class A) and IEC
    61000-4-7:2002+A1:2008, 5.5 (harmonic groups). Harmonic groups and
    THD come from per-cycle harmonics: exact for steady harmonics of the
    mains frequency; see :mod:`currentprint.core.aggregate` for what needs
    the 5 Hz spectrum instead.

    Examples
    --------
    >>> import numpy as np, currentprint as cp
    >>> t = np.arange(6400 * 3) / 6400
    >>> v = 325 * np.sin(2 * np.pi * 50 * t)
    >>> agg = cp.aggregate(cp.analyze(v / 46, v, fs=6400), "10/12-cycle")
    >>> len(agg), round(float(agg.i_rms[0]), 4), round(float(agg.pf[0]), 6)
    (14, 4.9959, 1.0)
    """
    if interval not in INTERVALS:
        raise InputError(f"unknown interval {interval!r}; use one of {', '.join(map(repr, INTERVALS))}")
    if not isinstance(table, CycleTable):
        raise InputError(f"aggregate needs a CycleTable (from cp.analyze), got {type(table).__name__}")
    t0 = float(t0)
    if not np.isfinite(t0):
        raise InputError(f"t0 must be a finite time in seconds, got {t0!r}")
    if mains_hz is not None and mains_hz not in (50, 60):
        raise InputError(f"mains_hz must be 50 or 60 for IEC 61000-4-30 intervals, got {mains_hz!r}")
    nominal = _nominal(table, mains_hz) if len(table) else float(mains_hz or 50.0)
    n = 10 if nominal == 50.0 else 12
    i_arr = v_arr = None
    if current is not None:
        i_arr = np.asarray(current)
        v_arr = None if voltage is None else np.asarray(voltage)
        for name, arr in (("current", i_arr), ("voltage", v_arr)):
            if arr is not None and (arr.ndim != 1 or arr.dtype.kind not in "iuf"):
                raise InputError(f"{name} must be a 1-D array of numbers (the samples the table was analysed "
                                 f"from), got shape {arr.shape} of {arr.dtype}")
        if len(table) and np.round(table.start[-1] + table.period[-1]) > i_arr.shape[0]:
            raise InputError(f"the table's cycles reach sample {table.start[-1] + table.period[-1]:.0f} but "
                             f"current holds {i_arr.shape[0]} samples: give the arrays the table was analysed from")
    elif voltage is not None:
        raise InputError("voltage samples without current samples: give both (or neither)")
    cal = calibration if calibration is not None else Calibration()
    scales = (float(cal.current_scale), float(cal.current_offset), float(cal.voltage_scale),
              float(cal.voltage_offset))
    idx, values = _basic(table, n, t0, i_arr, v_arr, scales)
    complete = np.ones(len(idx), bool)
    if interval == "150/180-cycle" and len(idx):
        # 15 consecutive 10/12-cycle intervals, restarting at ticks and dropouts
        first = idx[:, 0]
        tick = np.floor(values["start"] / TICK_S)
        new = np.ones(len(idx), bool)
        new[1:] = (first[1:] != first[:-1] + n) | (tick[1:] != tick[:-1])
        seg_first = np.flatnonzero(new)
        pos = np.arange(len(idx)) - seg_first[np.cumsum(new) - 1]
        members = []
        for a in np.flatnonzero(pos % PER_150_180 == 0):
            g = np.arange(a, a + PER_150_180)
            if g[-1] < len(idx) and not new[g[1:]].any():
                members.append(g)
        values = _combine(values, members)
        complete = np.ones(len(members), bool)
    elif interval == "10min" and len(idx):
        tick = np.floor(values["start"] / TICK_S)
        ticks, inverse = np.unique(tick, return_inverse=True)
        members = [np.flatnonzero(inverse == k) for k in range(len(ticks))]
        first = idx[:, 0]
        complete_list = []
        for k, g in enumerate(members):
            lo, hi = ticks[k] * TICK_S, (ticks[k] + 1) * TICK_S
            contiguous = bool(np.all(first[g[1:]] == first[g[:-1]] + n))
            # the first interval starts within one cycle after the tick; the last ends past the next
            complete_list.append(contiguous and values["start"][g[0]] - lo < 1.5 / nominal
                                 and values["end"][g[-1]] >= hi - 1e-9)
        values = _combine(values, members)
        complete = np.array(complete_list, dtype=bool)
    elif interval != "10/12-cycle":
        values = {k: v[:0] for k, v in values.items()}
        complete = complete[:0]
    with np.errstate(divide="ignore", invalid="ignore"):
        pf = values["p"] / values["s"]
    base = t0 - t0 % TICK_S                           # the tick at or before t0
    return Aggregates(
        interval=interval, start=base + values["start"], end=base + values["end"],
        n_cycles=values["n_cycles"].astype(np.int64), complete=complete, frequency=values["frequency"],
        i_rms=values["i_rms"], v_rms=values["v_rms"], p=values["p"], q=values["q"], s=values["s"], pf=pf,
        thd=_thd(values["i_groups"]), v_thd=_thd(values["v_groups"]),
        i_groups=values["i_groups"], v_groups=values["v_groups"], i_subgroups=values["i_subgroups"],
        v_subgroups=values["v_subgroups"], mains_hz=nominal, spectrum=i_arr is not None,
        calibrated=table.calibrated)
