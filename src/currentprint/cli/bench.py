"""``currentprint bench``: how fast each stage runs on this machine, and how many channels a core serves.

Stages, each at 6.4, 12.8 and 30 kHz on the same seeded synthetic recording
(:func:`currentprint.synth.synth_signal`: a kettle, a fridge motor, a PC
supply and a dimmed lamp switching over the record):

``framing+features``
    :class:`~currentprint.CycleAnalyzer` fed 100 ms chunks, as a terminal
    receives them (zero crossings, resampling, FFT, every per-cycle column).
    ``reference_ratio`` = time of the plain NumPy reference
    (:func:`currentprint._reference.analyze_reference`, same columns) on the
    same signal, divided by this stage's time.
``analyze (batch)``
    :func:`currentprint.analyze` on the whole recording at once.
``events`` and each detector (``arc_fault``, ``resistive_load``, ...)
    ``update`` on the precomputed cycle table, chunked per 100 ms.
``monitor``
    :class:`~currentprint.Monitor` with every available built-in detector, fed
    100 ms chunks: the whole terminal loop. Its real-time factor is the
    number of channels one core can serve (``channels_per_core``).
``threads``
    two channels analysed by :func:`currentprint.analyze_many` on two threads
    versus one thread doing both; ``speedup`` is the ratio.
``analyze workers=2``
    one long recording (the ``threads`` signal) analysed by
    ``analyze(..., workers=2)`` versus one thread; ``speedup`` is the ratio
    (the framing scan stays sequential, so it stays below 2).

The compiled kernel copy in use (``"avx2"`` or ``"baseline"``; set
``CURRENTPRINT_SIMD=baseline`` to force the portable one) is recorded as
``machine["simd"]``.

Times are the best of ``repeats`` runs (wall clock, ``time.perf_counter``);
the real-time factor is signal duration / processing time. Peak memory is
measured in a separate run under :mod:`tracemalloc` (Python and NumPy
allocations of the stage), and the process's peak resident size is reported
from :func:`resource.getrusage`.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np

__all__ = ["run_bench", "bench_signal", "DEFAULT_RATES"]

DEFAULT_RATES = (6400.0, 12800.0, 30000.0)
_CHUNK_S = 0.1


def bench_signal(fs: float, duration_s: float, seed: int = 1):
    """The recording every stage is measured on (seeded, so runs are comparable)."""
    from .. import synth
    d = float(duration_s)
    loads = {"kettle": synth.Resistive(2000.0), "fridge": synth.Motor(300.0, pf=0.75),
             "pc": synth.Rectifier(150.0), "dimmer": synth.PhaseCut(300.0, firing_angle_deg=60.0)}
    sched = [(0.12 * d, "kettle", "on"), (0.3 * d, "pc", "on"), (0.5 * d, "fridge", "on"),
             (0.65 * d, "dimmer", "on"), (0.8 * d, "kettle", "off")]
    return synth.synth_signal(duration_s=d, fs=fs, loads=loads, schedule=sched, seed=seed)


def _core_simd() -> str:
    from .. import _core
    return _core.simd_path()


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def _maxrss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss / 1e3   # bytes on macOS, kB on Linux


def _builtin_detectors() -> list:
    from ._common import BUILTIN_DETECTORS
    from ..detectors.base import get_detector
    out = []
    for name in BUILTIN_DETECTORS:
        try:
            out.append(get_detector(name))
        except ImportError:
            continue
    return out


def run_bench(*, quick: bool = False, rates=None, duration_s: float | None = None, repeats: int | None = None,
              device_id: str | None = None, log: Callable[..., None] | None = None) -> dict:
    """Measure every stage; return ``{"machine": {...}, "results": [...], "threads": {...}}``.

    Parameters
    ----------
    quick : bool
        Shorter signals (20 s) and 5 repeats: well under a minute.
    rates : sequence of float, optional
        Sample rates, Hz (default 6.4, 12.8 and 30 kHz).
    duration_s : float, optional
        Signal length per rate, s (default 20 quick, 60 full).
    repeats : int, optional
        Timed runs per stage; the best is kept (default 5 quick, 9 full).
    device_id : str, optional
        Free-form name of the device, stored in ``machine``.
    log : callable, optional
        Progress messages (the CLI passes a printer to stderr).
    """
    from .. import __version__
    from ._common import machine_info
    from ..core.analyzer import CycleAnalyzer, analyze, analyze_many
    from ..detectors.base import _wave_need
    from ..monitor import Monitor
    analyze_reference: Callable[..., Any] | None
    try:
        from ..core._reference import analyze_reference
    except ImportError:
        analyze_reference = None

    log = log or (lambda *a: None)
    rates = tuple(float(r) for r in (rates or DEFAULT_RATES))
    duration_s = float(duration_s or (20.0 if quick else 60.0))
    repeats = int(repeats or (5 if quick else 9))
    machine = machine_info()
    machine.update(device_id=device_id, date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   quick=bool(quick), duration_s=duration_s, repeats=repeats, chunk_s=_CHUNK_S)
    results: list[dict] = []
    t_start = time.perf_counter()

    for fs in rates:
        log(f"bench: {fs / 1000:g} kHz, {duration_s:g} s signal ...")
        sig = bench_signal(fs, duration_s)
        i, v = sig.current, sig.voltage
        step = int(round(_CHUNK_S * fs))
        bounds = list(range(0, i.shape[0], step))

        def stream(an_kw=None):
            an = CycleAnalyzer(fs, **(an_kw or {}))
            for k in bounds:
                an.push(i[k:k + step], v[k:k + step])

        def add(stage, seconds, peak, *, cycles, reference=None, **extra):
            rtf = duration_s / seconds if seconds > 0 else float("inf")
            results.append({"stage": stage, "fs": fs, "duration_s": duration_s, "seconds": seconds,
                            "real_time_factor": rtf,
                            "reference_ratio": None if reference is None else reference / seconds,
                            "per_cycle_us": 1e6 * seconds / cycles if cycles else None,
                            "cycles": cycles, "peak_memory_mb": peak, **extra})

        table = analyze(i, v, fs=fs)
        nc = len(table)
        t_core = _best(stream, repeats)
        t_ref = None
        if analyze_reference is not None:
            t_ref = _best(lambda: analyze_reference(i, v, fs=fs), max(1, repeats // 2))
        add("framing+features", t_core, _peak_mb(stream), cycles=nc, reference=t_ref,
            reference_seconds=t_ref)
        add("analyze (batch)", _best(lambda: analyze(i, v, fs=fs), repeats),
            _peak_mb(lambda: analyze(i, v, fs=fs)), cycles=nc, reference=t_ref)

        # detectors on the precomputed table, fed in the same 100 ms pieces
        dets = _builtin_detectors()
        need_waves = _wave_need(None, dets)
        wtable = analyze(i, v, fs=fs, waveforms=need_waves) if need_waves else table
        cyc_per_chunk = max(1, int(round(_CHUNK_S * np.median(table.frequency)))) if nc else 1
        pieces = [wtable[k:k + cyc_per_chunk] for k in range(0, nc, cyc_per_chunk)]
        for det in dets:
            def run_det(det=det):
                det.reset()
                for p in pieces:
                    det.update(p)
            add(det.name, _best(run_det, repeats), _peak_mb(run_det), cycles=nc)

        def run_monitor():
            mon = Monitor(fs, detectors=[type(d)(**d.get_params()) for d in dets])
            for k in bounds:
                mon.push(i[k:k + step], v[k:k + step])
        t_mon = _best(run_monitor, repeats)
        add("monitor", t_mon, _peak_mb(run_monitor), cycles=nc, detectors=[d.name for d in dets],
            channels_per_core=duration_s / t_mon)

        # two channels: two threads vs one thread doing both, on at least 2 min
        # of signal each (on short ones starting the threads is a visible share)
        tiles = max(1, math.ceil(120.0 / duration_s))
        chans = [np.tile(i, tiles), np.tile(i[::-1], tiles)]
        volts = [np.tile(v, tiles), np.tile(v[::-1], tiles)]
        # interleaved, so that both variants see the same background load
        t1 = t2 = float("inf")
        for _ in range(max(3, repeats)):
            t1 = min(t1, _best(lambda: analyze_many(chans, volts, fs=fs, workers=1), 1))
            t2 = min(t2, _best(lambda: analyze_many(chans, volts, fs=fs, workers=2), 1))
        add("threads", t2 / tiles, None, cycles=2 * nc, channels=2, workers=2, one_thread_seconds=t1 / tiles,
            speedup=t1 / t2, signal_s_per_channel=tiles * duration_s)

        # one long recording split over two threads (analyze(workers=2)) vs one thread, same signal
        t1 = t2 = float("inf")
        for _ in range(max(3, repeats)):
            t1 = min(t1, _best(lambda: analyze(chans[0], volts[0], fs=fs), 1))
            t2 = min(t2, _best(lambda: analyze(chans[0], volts[0], fs=fs, workers=2), 1))
        add("analyze workers=2", t2 / tiles, None, cycles=nc, workers=2, one_thread_seconds=t1 / tiles,
            speedup=t1 / t2, signal_s=tiles * duration_s)

    machine["simd"] = _core_simd()       # "avx2" or "baseline" (CURRENTPRINT_SIMD=baseline forces it)
    machine["max_rss_mb"] = _maxrss_mb()
    machine["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    machine["bench_seconds"] = time.perf_counter() - t_start
    summary = {}
    for r in results:
        if r["stage"] == "monitor":
            summary[f"channels_per_core@{r['fs'] / 1000:g}kHz"] = r["channels_per_core"]
        if r["stage"] == "threads":
            summary[f"threads_speedup@{r['fs'] / 1000:g}kHz"] = r["speedup"]
        if r["stage"] == "analyze workers=2":
            summary[f"workers2_speedup@{r['fs'] / 1000:g}kHz"] = r["speedup"]
        if r["stage"] == "framing+features" and r["reference_ratio"] is not None:
            summary[f"reference_ratio@{r['fs'] / 1000:g}kHz"] = r["reference_ratio"]
    return {"schema": "currentprint.bench", "version": 1, "currentprint": __version__, "machine": machine,
            "results": results, "summary": summary}
