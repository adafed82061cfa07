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
        _, ax = _plt().subplots(figsize=(9, 3.2))
    return ax


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
        Scales applied before plotting.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    i = np.asarray(current, dtype=float)
    if calibration is not None:
        i = (i - calibration.current_offset) * calibration.signed_current_scale
    t = (start + np.arange(i.shape[0])) / fs
    ax.plot(t, i, lw=0.7, color="C0", label="current")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("current [A]")
    if voltage is not None:
        v = np.asarray(voltage, dtype=float)
        if calibration is not None:
            v = (v - calibration.voltage_offset) * calibration.voltage_scale
        ax2 = ax.twinx()
        ax2.plot(t, v, lw=0.5, color="C7", alpha=0.6, label="voltage")
        ax2.set_ylabel("voltage [V]")
    t0, t1 = (t[0], t[-1]) if t.shape[0] else (0.0, 0.0)
    if cycles is not None and len(cycles):
        ct = cycles.start / fs
        ct = ct[(ct >= t0) & (ct <= t1)]
        if ct.shape[0] <= 400:          # beyond that the lines only grey the plot
            for x in ct:
                ax.axvline(x, color="0.85", lw=0.5, zorder=0)
    for marks, color, style in ((events, "C2", "--"), (alerts, "C3", "-")):
        for sample, label in _positions(marks):
            x = sample / fs
            if t0 <= x <= t1:
                ax.axvline(x, color=color, ls=style, lw=1.2)
                ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top",
                            ha="right", fontsize=7, color=color)
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
    for k, name in enumerate(quantities):
        if k == 1:
            axes.append(ax.twinx())
        target = axes[min(k, 1)]
        unit = COLUMN_DOCS.get(name, "").rsplit(", ", 1)[-1] if name in COLUMN_DOCS else ""
        target.plot(t, cycles.column(name), lw=1.0, color=f"C{k}", label=name)
        target.set_ylabel(f"{name} [{unit}]" if unit and len(unit) < 8 else name, color=f"C{k}")
    ax.set_xlabel("time [s]")
    fs = cycles.fs
    for marks, color in ((events, "C2"), (alerts, "C3")):
        for sample, label in _positions(marks):
            ax.axvline(sample / fs, color=color, ls="--", lw=1.0)
            ax.annotate(label, (sample / fs, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top",
                        ha="right", fontsize=7, color=color)
    return ax


def plot_spectrum(cycles, *, cycle: int | slice | None = None, relative: bool = True, ax=None):
    """Current harmonic magnitudes as bars (mean over the chosen cycles).

    Parameters
    ----------
    cycles : CycleTable
    cycle : int, slice or None
        Which cycles to average (default all).
    relative : bool
        Relative to the fundamental, % (default); otherwise A RMS.
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
        ax.set_ylabel("|I_k| [A RMS]")
    ax.set_xlabel("harmonic order k")
    ax.set_xticks(orders[:: max(1, len(orders) // 13)])
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
    ax = _axes(ax) if ax is not None else _plt().subplots(figsize=(4, 4))[1]
    from .core.cycles import CycleTable
    if isinstance(cycles_or_current, CycleTable):
        table = cycles_or_current
        if not table.has_waveforms:
            raise ValueError("plot_vi needs a table analysed with waveforms=True")
        sel = slice(None) if cycle is None else cycle
        i = np.atleast_2d(table.i_wave[sel]).mean(axis=0)
        v = np.atleast_2d(table.v_wave[sel]).mean(axis=0)
    else:
        if voltage is None:
            raise ValueError("plot_vi needs the voltage cycle that goes with the current")
        i = np.asarray(cycles_or_current, dtype=float)
        v = np.asarray(voltage, dtype=float)
        if i.shape != v.shape:
            raise ValueError(f"current and voltage cycles differ in length ({i.shape} vs {v.shape})")
    if normalise:
        i = i / (np.max(np.abs(i)) or 1.0)
        v = v / (np.max(np.abs(v)) or 1.0)
    # close the loop so the trajectory is drawn as a closed curve
    ax.plot(np.append(v, v[:1]), np.append(i, i[:1]), color="C0", lw=1.2)
    ax.set_xlabel("voltage" + ("" if normalise else " [V]"))
    ax.set_ylabel("current" + ("" if normalise else " [A]"))
    ax.axhline(0, color="0.8", lw=0.5)
    ax.axvline(0, color="0.8", lw=0.5)
    return ax


def plot_overview(cycles, alerts: Iterable = (), *, current=None, voltage=None, fs: float | None = None,
                  calibration=None, fig=None):
    """A figure with the timeline, the spectrum and (given samples) the first cycles of the waveform.

    Used by ``currentprint demo --plot`` and ``currentprint analyze --plot``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    alerts = list(alerts)
    events = [a for a in alerts if _kind(a) == "event"]
    others = [a for a in alerts if _kind(a) != "event"]
    if fig is None:
        fig = plt.figure(figsize=(10, 7), constrained_layout=True)
    grid = fig.add_gridspec(2, 2, height_ratios=(1.2, 1))
    plot_timeline(cycles, events=events, alerts=others, ax=fig.add_subplot(grid[0, :]))
    plot_spectrum(cycles, ax=fig.add_subplot(grid[1, 0]))
    if current is not None and fs is not None:
        n = min(len(current), int(round(5 * fs / 50)))     # five cycles
        plot_waveform(current[:n], None if voltage is None else voltage[:n], fs=fs, cycles=cycles,
                      ax=fig.add_subplot(grid[1, 1]), calibration=calibration)
    return fig


def _kind(a) -> str:
    return a.get("kind", "") if isinstance(a, dict) else getattr(a, "kind", "")
