"""Fire detectors: what the four of them add to ``cp.analyze`` at 6.4 kHz.

On the household mix of ``conftest.signal`` (default 10 minutes; 40 switching
events, a dimmer among the loads):

* ``cp.analyze`` alone (the baseline) and with ``waveforms=True`` (what the
  event-based detectors need);
* ``update`` of each detector over the whole table, and of all four;
* the arc evidence scan: compiled ``_core.arc_scan`` against the NumPy
  reference ``_arc_reference.arc_scan_reference`` (kernel/reference pair).

The target of issue 6 is that all four together add at most 20 % to the
``cp.analyze`` time; ``test_report_overhead`` prints the measured share of
each (it asserts nothing about time).
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.detectors._arc_reference import arc_scan_reference
from currentprint.detectors.arc import ArcFaultDetector
from currentprint.detectors.chopper import PhaseChopperDetector
from currentprint.detectors.overload import OverloadDetector
from currentprint.detectors.resistive import ResistiveLoadDetector

from conftest import record, signal, timed

FS = 6400.0
DETECTORS = {
    "arc_fault": ArcFaultDetector,
    "resistive_load": ResistiveLoadDetector,
    "phase_chopper": PhaseChopperDetector,
    "overload": lambda: OverloadDetector(16.0),
}
_TABLES: dict[bool, cp.CycleTable] = {}


def _table(waveforms: bool) -> cp.CycleTable:
    if waveforms not in _TABLES:
        sig = signal(FS)
        _TABLES[waveforms] = cp.analyze(sig.current, sig.voltage, fs=FS, waveforms=waveforms)
    return _TABLES[waveforms]


def _run(make, table):
    return make().update(table)


def test_analyze_baseline(benchmark):
    sig = signal(FS)
    benchmark(cp.analyze, sig.current, sig.voltage, fs=FS)
    record("fire", FS, "analyze", "kernel", benchmark)


def test_analyze_waveforms(benchmark):
    sig = signal(FS)
    benchmark(cp.analyze, sig.current, sig.voltage, fs=FS, waveforms=True)
    record("fire", FS, "analyze(waveforms)", "kernel", benchmark)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_detector_update(benchmark, name):
    table = _table(True)
    benchmark(_run, DETECTORS[name], table)
    record("fire", FS, f"update {name}", "kernel", benchmark)


def test_all_four(benchmark):
    table = _table(True)

    def all_four():
        return [a for make in DETECTORS.values() for a in make().update(table)]
    benchmark(all_four)
    record("fire", FS, "update all four", "kernel", benchmark)


def _arc_inputs():
    table = _table(False)
    n = len(table)
    sh = np.empty(2 * n)
    sh[0::2], sh[1::2] = table.shoulder_pos - 2.0, table.shoulder_neg - 2.0
    st = np.empty(2 * n)
    st[0::2], st[1::2] = table.step_pos, table.step_neg
    pk = np.empty(2 * n)
    pk[0::2], pk[1::2] = table.hc_peak_pos, table.hc_peak_neg
    hf = np.repeat(table.i_residual / table.i_rms, 2)
    par = np.array([1.6, 1.0, 0.1, 2.5, 1.0, 0.15, 2.0, 100.0, 0.25])
    return sh, st, pk, hf, par


def test_arc_scan_kernel(benchmark):
    sh, st, pk, hf, par = _arc_inputs()

    def run():
        code = np.zeros(len(sh), np.int32)
        _core.arc_scan(sh, st, pk, hf, _core.new_arc_state(), par, code)
        return code
    benchmark(run)
    record("arcscan", FS, "arc_scan", "kernel", benchmark)


def test_arc_scan_reference(benchmark):
    sh, st, pk, hf, par = _arc_inputs()
    benchmark.pedantic(arc_scan_reference, args=(sh, st, pk, hf, _core.new_arc_state(), par), rounds=1,
                       iterations=1)
    record("arcscan", FS, "arc_scan", "reference", benchmark)


def test_report_overhead(capsys):
    sig = signal(FS)
    base, _ = timed(lambda: cp.analyze(sig.current, sig.voltage, fs=FS), rounds=5)
    waves, _ = timed(lambda: cp.analyze(sig.current, sig.voltage, fs=FS, waveforms=True), rounds=5)
    table = _table(True)
    parts = {name: timed(_run, make, table, rounds=5)[0] for name, make in DETECTORS.items()}
    with capsys.disabled():
        print(f"\n[fire detectors] cp.analyze {base * 1e3:.1f} ms for {len(table)} cycles; "
              f"waveforms=True adds {100 * (waves - base) / base:.1f} %")
        for name, t in parts.items():
            print(f"[fire detectors]   {name:15s} {t * 1e3:7.2f} ms = {100 * t / base:5.1f} % of analyze")
        print(f"[fire detectors]   all four        {sum(parts.values()) * 1e3:7.2f} ms = "
              f"{100 * sum(parts.values()) / base:5.1f} % of analyze")
