"""Many channels on threads: analyze_many and one Monitor per thread give the sequential results.

The speed-up itself is measured by ``currentprint bench`` (stage ``threads``), never asserted here.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest

import currentprint as cp


@functools.lru_cache(maxsize=None)
def _channels(n: int = 4, fs: float = 6400.0):
    out = []
    for k in range(n):
        sig = cp.synth.synth_signal(duration_s=3.0, fs=fs,
                                    loads={"a": cp.synth.Resistive(500.0 + 400 * k),
                                           "b": cp.synth.Rectifier(100.0 + 20 * k)},
                                    schedule=[(0.5 + 0.3 * k, "a", "on"), (1.5, "b", "on")], seed=10 + k,
                                    drift_hz=0.2 * k)
        out.append(sig)
    return out


def _same(a: cp.CycleTable, b: cp.CycleTable) -> None:
    assert len(a) == len(b) and len(a) > 90
    for name in cp.COLUMNS:
        np.testing.assert_array_equal(a.column(name), b.column(name), err_msg=name)
    np.testing.assert_array_equal(a.harmonic_magnitudes, b.harmonic_magnitudes)
    np.testing.assert_array_equal(a.harmonics, b.harmonics)


@pytest.mark.parametrize("workers", [1, 2, 3, None])
def test_analyze_many_equals_sequential(workers):
    sigs = _channels()
    tables = cp.analyze_many([s.current for s in sigs], [s.voltage for s in sigs], fs=6400.0, workers=workers)
    assert len(tables) == len(sigs)
    for sig, table in zip(sigs, tables):          # channel order is kept
        _same(table, cp.analyze(sig.current, sig.voltage, fs=6400.0))


def test_analyze_many_without_voltage_and_with_options():
    sigs = _channels()
    currents = [s.current for s in sigs]
    tables = cp.analyze_many(currents, fs=6400.0, workers=2, harmonics=15)
    for i, table in zip(currents, tables):
        _same(table, cp.analyze(i, fs=6400.0, harmonics=15))
        assert table.n_harmonics == 15


def test_analyze_many_int16_with_calibration():
    sigs = [cp.synth.synth_signal(duration_s=2.0, loads={"k": cp.synth.Resistive(1000.0 * (k + 1))}, seed=k,
                                  dtype=np.int16) for k in range(2)]
    cal = cp.Calibration(current_scale=sigs[0].meta["current_scale"], voltage_scale=sigs[0].meta["voltage_scale"])
    tables = cp.analyze_many([s.current for s in sigs[:1]] * 3, [s.voltage for s in sigs[:1]] * 3, fs=6400.0,
                             workers=3, calibration=cal)
    ref = cp.analyze(sigs[0].current, sigs[0].voltage, fs=6400.0, calibration=cal)
    for t in tables:
        _same(t, ref)


def test_analyze_many_errors():
    sigs = _channels()
    with pytest.raises(ValueError, match="voltages"):
        cp.analyze_many([s.current for s in sigs], [sigs[0].voltage], fs=6400.0)
    with pytest.raises(ValueError):
        cp.analyze_many([sigs[0].current, np.full(100, np.nan)], fs=6400.0, workers=2)


def test_monitors_on_threads_equal_sequential():
    class Level(cp.BaseDetector):
        name = "test_thread_level"

        def __init__(self, level_a: float = 3.0):
            self.level_a = level_a
            self._on = False

        def update(self, cycles):
            out = []
            for s, r in zip(cycles.start.tolist(), cycles.i_rms.tolist()):
                if (r > self.level_a) != self._on:
                    self._on = not self._on
                    out.append(cp.Alert(kind="level", sample=int(s), detail={"on": self._on}))
            return out

    sigs = _channels()

    def run(sig):
        mon = cp.Monitor(fs=sig.fs, detectors=[Level()])
        return [a.to_dict() for a in mon.run(sig.current, sig.voltage, chunk=700)]

    sequential = [run(s) for s in sigs]
    assert sum(map(len, sequential)) >= 2
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(k):
        try:
            results[k] = run(sigs[k])
        except BaseException as exc:   # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(sigs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [results[k] for k in range(len(sigs))] == sequential


# -- analyze(workers=N): helper threads kept between calls, shared by concurrent callers ----------
@functools.lru_cache(maxsize=None)
def _long_channel(seconds: float = 24.0):
    return cp.synth.synth_signal(duration_s=seconds, fs=6400.0, loads={"a": cp.synth.Rectifier(150.0)},
                                 schedule=[(0.0, "a", "on")], seed=3)


def test_analyze_workers_from_several_threads_at_once():
    # four callers share the module's helper threads: a caller whose helper task has not started
    # does that part itself, so nobody waits on a busy pool and every table is the sequential one
    sig = _long_channel()
    ref = cp.analyze(sig.current, sig.voltage, fs=6400.0)
    got, errors = {}, []

    def run(k):
        try:
            got[k] = cp.analyze(sig.current, sig.voltage, fs=6400.0, workers=2 + k % 2)
        except Exception as e:      # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(got) == 4
    for table in got.values():
        _same(table, ref)


def _analyze_in_child(conn):
    sig = _long_channel()
    table = cp.analyze(sig.current, sig.voltage, fs=6400.0, workers=2)
    conn.send(table.column("p").tobytes())
    conn.close()


def test_analyze_workers_in_a_forked_child():
    # the parent's helper threads do not exist in a forked child: it must start its own, not hang
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    sig = _long_channel()
    ref = cp.analyze(sig.current, sig.voltage, fs=6400.0, workers=2)     # the parent's pool exists
    ctx = multiprocessing.get_context("fork")
    a, b = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_analyze_in_child, args=(b,))
    child.start()
    assert a.poll(60), "the child did not answer"
    assert np.frombuffer(a.recv(), dtype=np.float64).tobytes() == ref.column("p").tobytes()
    child.join(10)
    assert child.exitcode == 0
