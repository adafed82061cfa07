"""Shared set-up of the benchmarks: signals, a results table, the summary.

Run ``python -m pytest benchmarks -q`` (add ``--benchmark-disable`` for a
quick smoke run). Every timing of the compiled core is paired with a timing
of the NumPy reference (``currentprint.core._reference``) on the same data in the
same run; the table printed at the end gives real-time factors (signal
duration / run time) and the ratios. ``CP_BENCH_SECONDS`` shortens the
signals (default 600 s, i.e. 10 minutes); ``CP_BENCH_JSON=path`` also writes
the table as JSON.
"""

from __future__ import annotations

import json
import os
import platform
import time
import tracemalloc

import numpy as np
import pytest

import currentprint as cp

DURATION_S = float(os.environ.get("CP_BENCH_SECONDS", "600"))
RATES = (6400.0, 30000.0)

_SIGNALS: dict[float, cp.synth.SynthSignal] = {}

#: (group, fs, stage, impl) -> {"seconds": best time, "median": ..., "peak_mb": ...}
RESULTS: dict[tuple[str, float, str, str], dict] = {}


def signal(fs: float) -> cp.synth.SynthSignal:
    """Ten minutes (``DURATION_S``) of a household mix at ``fs``, generated once per session.

    A PC power supply, a kettle, a fridge motor and a dimmer switching on
    and off (40 random events), 230 V with 3rd/5th voltage harmonics and a
    slow +-0.1 Hz frequency drift, 2 mA current noise.
    """
    if fs not in _SIGNALS:
        _SIGNALS[fs] = cp.synth.synth_signal(
            duration_s=DURATION_S, fs=fs,
            loads={"pc": cp.synth.Rectifier(120.0), "kettle": cp.synth.Resistive(2000.0),
                   "fridge": cp.synth.Motor(150.0, pf=0.75), "dimmer": cp.synth.PhaseCut(300.0)},
            n_events=40 if DURATION_S >= 60 else 4, initial_on=("pc",), drift_hz=0.1, seed=2024)
    return _SIGNALS[fs]


def peak_memory_mb(fn, *args, **kwargs) -> float:
    """Peak Python/NumPy memory allocated while ``fn`` runs once, MB (tracemalloc)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / 1e6


def record(group: str, fs: float, stage: str, impl: str, benchmark=None, seconds: float | None = None,
           median: float | None = None, peak_mb: float | None = None) -> None:
    """Store one timing (from a pytest-benchmark fixture, or measured directly)."""
    if benchmark is not None and benchmark.stats is not None:
        st = benchmark.stats.stats
        seconds, median = st.min, st.median
    if seconds is None:
        return
    RESULTS[(group, fs, stage, impl)] = {"seconds": seconds, "median": median if median is not None else seconds,
                                         "peak_mb": peak_mb}


def timed(fn, *args, rounds: int = 3) -> tuple[float, float]:
    """(best, median) wall time of ``fn(*args)`` over ``rounds`` runs, s."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def _rows():
    """Summary rows: kernel vs reference per (group, fs, stage)."""
    keys = sorted({(g, fs, s) for g, fs, s, _ in RESULTS}, key=lambda k: (k[0], k[1]))
    for g, fs, s in keys:
        k = RESULTS.get((g, fs, s, "kernel"))
        r = RESULTS.get((g, fs, s, "reference"))
        others = {impl: v for (g2, fs2, s2, impl), v in RESULTS.items()
                  if (g2, fs2, s2) == (g, fs, s) and impl not in ("kernel", "reference")}
        yield g, fs, s, k, r, others


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("currentprint: kernel vs NumPy reference (best of rounds)")
    tr.write_line(f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} "
                  f"{platform.python_version()}, numpy {np.__version__}; signal {DURATION_S:g} s")
    tr.write_line(f"{'group':9} {'fs':>6} {'stage':24} {'kernel s':>10} {'ref s':>10} {'ratio':>8} "
                  f"{'kernel xRT':>11} {'ref xRT':>9} {'k MB':>8} {'ref MB':>8}")
    out = []
    for g, fs, s, k, r, others in _rows():
        ks = k["seconds"] if k else float("nan")
        rs = r["seconds"] if r else float("nan")
        dur = DURATION_S if g in ("batch", "stream", "stage") else float("nan")
        line = (f"{g:9} {fs:6.0f} {s:24} {ks:10.4f} {rs:10.4f} {rs / ks:8.1f} {dur / ks:11.0f} {dur / rs:9.0f} "
                f"{(k or {}).get('peak_mb') or float('nan'):8.1f} {(r or {}).get('peak_mb') or float('nan'):8.1f}")
        tr.write_line(line)
        for impl, v in others.items():
            tr.write_line(f"{'':9} {'':6} {'  ' + impl:24} {v['seconds']:10.4f} {'':10} {v['seconds'] / ks:8.2f}")
        out.append({"group": g, "fs": fs, "stage": s, "kernel_s": ks, "reference_s": rs, "ratio": rs / ks,
                    "kernel_realtime": dur / ks, "reference_realtime": dur / rs,
                    "kernel_peak_mb": (k or {}).get("peak_mb"), "reference_peak_mb": (r or {}).get("peak_mb"),
                    "others_s": {impl: v["seconds"] for impl, v in others.items()}})
    path = os.environ.get("CP_BENCH_JSON")
    if path:
        with open(path, "w") as fh:
            json.dump({"duration_s": DURATION_S, "machine": platform.machine(), "cores": os.cpu_count(),
                       "rows": out}, fh, indent=1)
        tr.write_line(f"written to {path}")


@pytest.fixture(scope="session", params=RATES, ids=lambda fs: f"{fs / 1000:g}kHz")
def sig(request):
    return signal(request.param)


def pytest_collect_file(file_path, parent):
    """Collect ``bench_*.py`` here (the test suite's pattern is ``test_*.py``)."""
    # (a file named on the command line is collected by pytest itself)
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
