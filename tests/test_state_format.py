"""The data-only state format: exact continuation with every built-in detector, compactness, no objects."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import currentprint as cp
from currentprint import _state
from currentprint.errors import CorruptFileError, InputError

ALL = ["events", "arc_fault", "resistive_load", "phase_chopper", "overload"]


@functools.lru_cache(maxsize=None)
def _signal():
    loads = {"kettle": cp.synth.Resistive(2000.0), "fridge": cp.synth.Motor(300.0, pf=0.75),
             "dimmer": cp.synth.PhaseCut(400.0, firing_angle_deg=60.0)}
    sched = [(0.6, "kettle", "on"), (1.3, "fridge", "on"), (2.1, "dimmer", "on"), (2.9, "kettle", "off")]
    return cp.synth.synth_signal(duration_s=3.6, fs=6400, loads=loads, schedule=sched, seed=11)


def _alerts(alerts):
    return [json.dumps(a.to_dict(), sort_keys=True) for a in alerts]


@functools.lru_cache(maxsize=None)
def _reference():
    sig = _signal()
    mon = cp.Monitor(sig.fs, detectors=ALL)
    return _alerts(mon.run(sig.current, sig.voltage, chunk=640) + mon.flush())


def _restored(cut, chunk1, chunk2, tmp_path):
    sig = _signal()
    mon = cp.Monitor(sig.fs, detectors=ALL)
    head = mon.run(sig.current[:cut], sig.voltage[:cut], chunk=chunk1)
    mon.save(tmp_path / "s.json")
    mon = cp.Monitor.load(tmp_path / "s.json")
    tail = mon.run(sig.current[cut:], sig.voltage[cut:], chunk=chunk2)
    return _alerts(head + tail + mon.flush())


@settings(max_examples=12)
@given(cut=st.integers(0, 23_000), chunk1=st.integers(50, 3000), chunk2=st.integers(50, 3000))
def test_every_detector_continues_exactly(cut, chunk1, chunk2, tmp_path_factory):
    assert _restored(cut, chunk1, chunk2, tmp_path_factory.mktemp("s")) == _reference()


@pytest.mark.parametrize("cut", [3_900, 3_990, 4_100, 8_400, 13_500, 13_700, 18_600, 18_700])
def test_continues_exactly_inside_events(cut, tmp_path):
    """Cuts during the transient, the settling and the confirmation of each switching."""
    assert _restored(cut, 640, 333, tmp_path) == _reference()


def test_reference_has_alerts():
    kinds = {json.loads(a)["kind"] for a in _reference()}
    assert "event" in kinds


def test_shared_history_stored_once(tmp_path):
    """The detectors hold the same cycles (whole arrays, overlapping windows): the file holds them once."""
    sig = _signal()

    def size(dets, name):
        mon = cp.Monitor(sig.fs, detectors=dets)
        mon.run(sig.current[:20000], sig.voltage[:20000])
        mon.save(tmp_path / name)
        return (tmp_path / name).stat().st_size

    together = size(ALL, "all.json")
    apart = sum(size([d], f"{d}.json") for d in ALL)
    assert together < 0.6 * apart, (together, apart)
    doc = json.loads((tmp_path / "all.json").read_text())
    text = json.dumps(doc["state"]["detectors"])
    assert doc["state"]["pool"] and "__ref__" in text and "__rows__" in text
    # and it restores exactly what was saved
    back = cp.Monitor.load(tmp_path / "all.json")
    assert back.cycles_seen > 0


def test_encode_refuses_objects_and_decode_refuses_markers():
    class Thing:
        pass

    with pytest.raises(InputError):
        _state.encode({"x": Thing()})
    with pytest.raises(InputError):
        _state.encode(np.array([object()]))
    for bad in ({"__object__": "os:system", "data": "true"}, {"__float__": "1e5"},
                {"__ndarray__": "", "dtype": "|O", "shape": [0]}, {"__tuple__": 3},
                {"__dict__": [[[1], 2]]}, {"__complex__": ["a", 1]}, {"__ref__": 0}, {"__rows__": 0},
                {"__float__": "nan", "x": 1}):
        with pytest.raises(CorruptFileError):
            _state.decode(bad)
    deep = 1
    for _ in range(_state.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(CorruptFileError):
        _state.decode(deep)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3)
                    | st.tuples(c, c), max_leaves=12))
def test_encode_decode_roundtrip(obj):
    back = _state.decode(json.loads(json.dumps(_state.encode(obj))))
    assert repr(back) == repr(obj)


@pytest.mark.parametrize("dtype", ["<f8", "<f4", "<i2", "<i4", "<i8", "<u1", "|b1", "<c16", ">f8"])
def test_arrays_roundtrip_exactly(dtype):
    rng = np.random.default_rng(1)
    a = (rng.normal(size=(3, 5)) * 100).astype(dtype)
    b = _state.decode(json.loads(json.dumps(_state.encode(a))))
    assert b.shape == a.shape and np.array_equal(b, a) and b.dtype.kind == a.dtype.kind


def test_array_budget_and_bombs():
    big = _state.encode(np.zeros(10))
    big["shape"] = [10 ** 12]
    with pytest.raises(CorruptFileError):
        _state.decode(big)
    import base64
    import zlib
    bomb = {"__ndarray__": base64.b64encode(zlib.compress(b"\0" * 10 ** 7)).decode(), "dtype": "<f8",
            "shape": [10], "codec": "shuffle-zlib"}
    with pytest.raises(CorruptFileError):
        _state.decode(bomb)


@functools.lru_cache(maxsize=None)
def _methods_reference():
    sig = _signal()
    mon = cp.Monitor(sig.fs, detectors=_methods())
    return _alerts(mon.run(sig.current, sig.voltage, chunk=640) + mon.flush())


def _methods():
    return [cp.EventDetector(method=m) for m in ("steady", "cusum", "glr")]


@pytest.mark.parametrize("cut", [3_960, 8_300, 13_650, 18_650])
def test_every_scan_method_continues_exactly(cut, tmp_path):
    """The history kept in a state covers what each scan can still reach back to."""
    sig = _signal()
    mon = cp.Monitor(sig.fs, detectors=_methods())
    head = mon.run(sig.current[:cut], sig.voltage[:cut], chunk=640)
    mon.save(tmp_path / "s.json")
    mon = cp.Monitor.load(tmp_path / "s.json")
    tail = mon.run(sig.current[cut:], sig.voltage[cut:], chunk=517)
    assert _alerts(head + tail + mon.flush()) == _methods_reference()
    assert len(_methods_reference()) >= 6
