"""Plots of signals, per-cycle quantities, harmonics and V–I trajectories (optional matplotlib extra).

Every function takes ``ax=None`` (a new figure is made) and returns the
axes it drew on; nothing calls ``plt.show()``, so the functions work in
scripts, notebooks and on headless machines (Agg backend) alike.
Install the extra with ``pip install 'currentprint[plot]'``.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["plot_waveform", "plot_timeline", "plot_spectrum", "plot_vi", "plot_overview"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("currentprint.plot needs matplotlib: pip install 'currentprint[plot]'") from None
    return plt


def _axes(ax):
    if ax is None:
        # constrained layout: twin-axis labels stay inside the saved figure
        _, ax = _plt().subplots(figsize=(9, 3.2), constrained_layout=True)
    return ax


def _unit(unit: str, calibrated: bool) -> str:
    """The unit to print: SI when calibrated, counts (counts² for powers) for raw ADC counts."""
    if calibrated or not unit:
        return unit
    if unit in ("W", "var", "VA"):
        return "counts²"
    if unit in ("A", "V"):
        return "counts"
    return unit


def _is_calibrated(samples, calibration) -> bool:
    """Float samples are A and V; integer samples only with a calibration (the rule of CycleAnalyzer)."""
    if calibration is not None and getattr(calibration, "counts", False):
        return False
    return calibration is not None or np.asarray(samples[:1]).dtype.kind == "f"


def _positions(items: Iterable[Any] | None) -> list[tuple[int, str]]:
    """(sample, label) of events/alerts given as objects, dicts or sample numbers."""
    out = []
    for it in items or ():
        if isinstance(it, dict):
            sample, label = it.get("sample"), it.get("kind", "")
            detail = it.get("detail") or {}
        elif isinstance(it, (int, np.integer, float, np.floating)):
            sample, label, detail = it, "", {}
        else:
            sample, label = getattr(it, "sample", None), getattr(it, "kind", "")
            detail = getattr(it, "detail", {}) or {}
        if sample is None:
            continue
        if label == "event" and isinstance(detail, dict) and detail.get("kind"):
            label = str(detail["kind"])
        out.append((int(sample), str(label)))
    return out


def plot_waveform(current, voltage=None, *, fs: float, cycles=None, events: Iterable | None = None,
                  alerts: Iterable | None = None, start: int = 0, ax=None, calibration=None):
    """Current (and voltage, on a second axis) against time, with cycles, events and alerts marked.

    Parameters
    ----------
    current, voltage : array_like, 1-D
        Samples (A and V, or counts with ``calibration``).
    fs : float
        Sample rate, Hz.
    cycles : CycleTable, optional
        Its cycle starts are drawn as thin vertical lines.
    events, alerts : iterable, optional
        :class:`~currentprint.Event`/:class:`~currentprint.Alert` objects
        (or their dicts, or sample numbers), marked at their ``sample``.
    start : int
        Absolute sample number of ``current[0]`` (when plotting a slice).
    ax : matplotlib Axes, optional
    calibration : Calibration, optional
        Scales applied before plotting. Integer samples without scales are
        labelled in ADC counts.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    calibrated = _is_calibrated(np.asarray(current), calibration)
    i = np.asarray(current, dtype=float)
    if calibration is not None:
        i = (i - calibration.current_offset) * calibration.signed_current_scale
    t = (start + np.arange(i.shape[0])) / fs
    ax.plot(t, i, lw=0.7, color="C0", label="current")
    ax.set_xlabel("time [s]")
    ax.set_ylabel(f"current [{_unit('A', calibrated)}]")
    if voltage is not None:
        v = np.asarray(voltage, dtype=float)
        if calibration is not None:
            v = (v - calibration.voltage_offset) * calibration.voltage_scale
        ax2 = ax.twinx()
        ax2.plot(t, v, lw=0.5, color="C7", alpha=0.6, label="voltage")
        ax2.set_ylabel(f"voltage [{_unit('V', calibrated)}]")
    t0, t1 = (t[0], t[-1]) if t.shape[0] else (0.0, 0.0)
    if cycles is not None and len(cycles):
        ct = cycles.start / fs
        ct = ct[(ct >= t0) & (ct <= t1)]
        if ct.shape[0] <= 400:          # beyond that the lines only grey the plot
            for x in ct:
                ax.axvline(x, color="0.85", lw=0.5, zorder=0)
    # event labels left of their line, alert labels right of it: both stay readable when they coincide
    for marks, color, style, side in ((events, "C2", "--", "right"), (alerts, "C3", "-", "left")):
        for sample, label in _positions(marks):
            x = sample / fs
            if t0 <= x <= t1:
                ax.axvline(x, color=color, ls=style, lw=1.2)
                ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top",
                            ha=side, fontsize=7, color=color)
    return ax


def plot_timeline(cycles, *, quantities: Sequence[str] = ("i_rms", "p"), events: Iterable | None = None,
                  alerts: Iterable | None = None, ax=None):
    """Per-cycle quantities against time (default current RMS and active power).

    The first quantity uses the left axis, the second (if any) a right axis;
    further quantities share the right axis.

    Parameters
    ----------
    cycles : CycleTable
    quantities : sequence of str
        Column names (see :data:`currentprint.COLUMN_DOCS`).
    events, alerts : iterable, optional
        Marked at their ``sample``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .core.cycles import COLUMN_DOCS
    ax = _axes(ax)
    t = cycles.time
    axes = [ax]
    labels: list[tuple[int, str, str]] = []
    for k, name in enumerate(quantities):
        if k == 1:
            axes.append(ax.twinx())
        target = axes[min(k, 1)]
        unit = COLUMN_DOCS.get(name, "").rsplit(", ", 1)[-1].split(";")[0].strip() if name in COLUMN_DOCS else ""
        unit = _unit(unit, getattr(cycles, "calibrated", True)) if unit and len(unit) < 8 else ""
        target.plot(t, cycles.column(name), lw=1.0, color=f"C{k}", label=name)
        labels.append((min(k, 1), f"{name} [{unit}]" if unit else name, f"C{k}"))
    for side in (0, 1):
        mine = [(text, color) for s_, text, color in labels if s_ == side]
        if mine:
            # quantities sharing the right axis are named together, each in its line's colour
            axes[side].set_ylabel(", ".join(text for text, _ in mine),
                                  color=mine[0][1] if len(mine) == 1 else "black")
    ax.set_xlabel("time [s]")
    fs = cycles.fs
    for marks, color, style, align in ((events, "C2", "--", "right"), (alerts, "C3", "-", "left")):
        for sample, label in _positions(marks):
            ax.axvline(sample / fs, color=color, ls=style, lw=1.0)
            ax.annotate(label, (sample / fs, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top",
                        ha=align, fontsize=7, color=color)
    return ax


def plot_spectrum(cycles, *, cycle: int | slice | None = None, relative: bool = True, ax=None):
    """Current harmonic magnitudes as bars (mean over the chosen cycles).

    Parameters
    ----------
    cycles : CycleTable
    cycle : int, slice or None
        Which cycles to average (default all).
    relative : bool
        Relative to the fundamental, % (default); otherwise A RMS (ADC
        counts RMS for an uncalibrated table).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    mags = cycles.harmonic_magnitudes
    if cycle is not None:
        mags = mags[cycle]
    mags = np.atleast_2d(mags)
    mean = mags.mean(axis=0) if mags.shape[0] else np.zeros(cycles.n_harmonics)
    orders = np.arange(1, mean.shape[0] + 1)
    if relative:
        ref = mean[0] if mean[0] > 0 else 1.0
        ax.bar(orders, 100.0 * mean / ref, color="C0")
        ax.set_ylabel("|I_k| / |I_1| [%]")
    else:
        ax.bar(orders, mean, color="C0")
        ax.set_ylabel(f"|I_k| [{_unit('A', getattr(cycles, 'calibrated', True))} RMS]")
    ax.set_xlabel("harmonic order k")
    ax.set_xticks(orders[:: max(1, -(-len(orders) // 13))])
    return ax


def plot_vi(cycles_or_current, voltage=None, *, cycle: int | slice | None = None, normalise: bool = False,
            ax=None):
    """V–I trajectory: current against voltage over one (mean) cycle.

    Parameters
    ----------
    cycles_or_current : CycleTable or array_like
        A table analysed with ``waveforms=True`` (the mean of the chosen
        cycles' ``i_wave``/``v_wave`` is drawn), or one cycle of current.
    voltage : array_like, optional
        The matching cycle of voltage when a current array is given.
    cycle : int, slice or None
        Cycles of the table to average (default all).
    normalise : bool
        Scale both axes to a peak of 1 (the form used by V–I image features).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax) if ax is not None else _plt().subplots(figsize=(4, 4), constrained_layout=True)[1]
    from .core.cycles import CycleTable
    calibrated = True
    if isinstance(cycles_or_current, CycleTable):
        table = cycles_or_current
        calibrated = table.calibrated
        if not table.has_waveforms:
            raise ValueError("plot_vi needs a table analysed with waveforms=True")
        if table.has_voltage and not table.has_voltage_waveforms:
            raise ValueError("plot_vi needs the voltage's cycles: a table analysed with waveforms=True, "
                             "not waveforms=\"current\"")
        sel = slice(None) if cycle is None else cycle
        i = np.atleast_2d(table.i_wave[sel]).mean(axis=0)
        v = np.atleast_2d(table.v_wave[sel]).mean(axis=0)
    else:
        if voltage is None:
            raise ValueError("plot_vi needs the voltage cycle that goes with the current")
        i = np.asarray(cycles_or_current)
        v = np.asarray(voltage)
        calibrated = i.dtype.kind == "f"
        i, v = i.astype(float), v.astype(float)
        if i.shape != v.shape:
            raise ValueError(f"current and voltage cycles differ in length ({i.shape} vs {v.shape})")
    if normalise:
        i = i / (np.max(np.abs(i)) or 1.0)
        v = v / (np.max(np.abs(v)) or 1.0)
    # close the loop so the trajectory is drawn as a closed curve
    ax.plot(np.append(v, v[:1]), np.append(i, i[:1]), color="C0", lw=1.2)
    ax.set_xlabel("voltage" + ("" if normalise else f" [{_unit('V', calibrated)}]"))
    ax.set_ylabel("current" + ("" if normalise else f" [{_unit('A', calibrated)}]"))
    ax.axhline(0, color="0.8", lw=0.5)
    ax.axvline(0, color="0.8", lw=0.5)
    return ax


def plot_overview(cycles, alerts: Iterable = (), *, current=None, voltage=None, fs: float | None = None,
                  calibration=None, fig=None, title: str | None = None):
    """Timeline with events and alerts marked, spectrum, and the waveform around the most interesting moment.

    Used by ``currentprint demo --plot`` and ``currentprint analyze --plot``.

    Parameters
    ----------
    cycles : CycleTable
        The cycles of the whole recording.
    alerts : iterable of Alert
        Events (``kind == "event"``) and detector alerts; all are marked on
        the timeline.
    current, voltage : array_like, optional
        The samples; with ``fs`` they add a waveform panel of a few cycles
        around the most interesting finding: the first detector alert, else
        the event with the largest current step, else the cycle with the
        largest current peak.
    fs : float, optional
        Sample rate, Hz.
    calibration : Calibration, optional
        Applied to the samples of the waveform panel.
    fig : matplotlib Figure, optional
    title : str, optional
        Figure title, e.g. the file name.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    alerts = list(alerts)
    events = [a for a in alerts if _kind(a) == "event"]
    others = [a for a in alerts if _kind(a) != "event"]
    if fig is None:
        fig = plt.figure(figsize=(11, 7.5), constrained_layout=True)
    grid = fig.add_gridspec(2, 2, height_ratios=(1.2, 1), width_ratios=(1, 1.5))
    ax_t = fig.add_subplot(grid[0, :])
    quantities = ("i_rms", "p") if cycles.has_voltage else ("i_rms", "thd")
    plot_timeline(cycles, quantities=quantities, events=events, alerts=others, ax=ax_t)
    n_ev, n_al = len(events), len(others)
    ax_t.set_title(f"{len(cycles)} cycles; {n_ev} event{'s' * (n_ev != 1)} (green, dashed), "
                   f"{n_al} alert{'s' * (n_al != 1)} (red, solid)", fontsize=9, loc="left")
    ax_s = plot_spectrum(cycles, ax=fig.add_subplot(grid[1, 0]))
    ax_s.set_title("current harmonics, mean over all cycles", fontsize=9, loc="left")
    if current is not None and fs is not None and len(cycles):
        centre, why = _interesting(cycles, events, others)
        period = float(np.nanmedian(cycles.period)) if len(cycles) else fs / 50.0
        lo = max(0, int(centre - 3 * period))
        hi = min(len(current), int(centre + 5 * period))
        ax_w = fig.add_subplot(grid[1, 1])
        plot_waveform(current[lo:hi], None if voltage is None else voltage[lo:hi], fs=fs, cycles=cycles,
                      events=events, alerts=others, start=lo, ax=ax_w, calibration=calibration)
        ax_w.set_title(f"waveform around {why}", fontsize=9, loc="left")
    if title:
        fig.suptitle(title)
    return fig


def _interesting(cycles, events: list, others: list) -> tuple[float, str]:
    """Sample to centre the waveform panel on, and why."""
    fs = cycles.fs
    pos = _positions(others)
    if pos:
        s, label = pos[0]
        return float(s), f"the first alert ({label}, {s / fs:.2f} s)"
    best, size = None, -1.0
    for ev in events:
        detail = ev.get("detail", {}) if isinstance(ev, dict) else getattr(ev, "detail", {}) or {}
        d = detail.get("delta_i_rms") if isinstance(detail, dict) else None
        d = abs(float(d)) if isinstance(d, (int, float)) and np.isfinite(d) else 0.0
        if d > size:
            best, size = ev, d
    if best is not None:
        (s, label), = _positions([best])
        return float(s), f"the largest event ({label or 'event'}, {s / fs:.2f} s)"
    k = int(np.nanargmax(cycles.i_peak)) if np.any(np.isfinite(cycles.i_peak)) else 0
    return float(cycles.start[k]), f"the highest current peak (cycle {k}, {cycles.start[k] / fs:.2f} s)"


def _kind(a) -> str:
    return a.get("kind", "") if isinstance(a, dict) else getattr(a, "kind", "")
