"""The Monitor: one analysis pass feeding every detector, alerts, identification, save/restore."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import currentprint as cp
from currentprint.errors import CorruptFileError, InputError, RegistryError

ROOT = Path(__file__).resolve().parents[1]
# subprocesses import the same currentprint as this process (source tree or installed)
PKG_PARENT = str(Path(cp.__file__).resolve().parents[1])

# A small event detector used by these tests (the built-in "events" may not exist yet).
# It is also written to a module file so that other processes can import it.
STEP_SOURCE = textwrap.dedent('''
    import currentprint as cp


    class StepEvents(cp.BaseDetector):
        """Reports a step of i_rms held for ``confirm`` cycles as an event."""

        name = "test_steps"

        def __init__(self, min_step_a=1.0, confirm=3):
            self.min_step_a = min_step_a
            self.confirm = confirm
            self._level = None
            self._first = None
            self._count = 0

        def update(self, cycles):
            out = []
            for start, rms in zip(cycles.start.tolist(), cycles.i_rms.tolist()):
                if self._level is None:
                    self._level = rms
                    continue
                if abs(rms - self._level) > self.min_step_a:
                    if self._count == 0:
                        self._first = start
                    self._count += 1
                    if self._count >= self.confirm:
                        kind = "on" if rms > self._level else "off"
                        out.append(cp.Alert(kind="event", sample=int(self._first),
                                            detail={"kind": kind, "delta_i_rms": rms - self._level}))
                        self._level, self._count = rms, 0
                else:
                    self._count = 0
            return out

''')

_mod = types.ModuleType("monitor_test_detectors")
exec(compile(STEP_SOURCE, "monitor_test_detectors", "exec"), _mod.__dict__)  # noqa: S102
StepEvents = _mod.StepEvents


class Recorder(cp.BaseDetector):
    """Keeps the starts it saw (to check every detector sees the same table)."""

    name = "test_recorder"

    def __init__(self, tag: str = "a"):
        self.tag = tag
        self._starts = []

    def update(self, cycles):
        self._starts.extend(cycles.start.tolist())
        return []


class WaveReader(Recorder):
    name = "test_wave_reader"
    needs_waveforms = True

    def update(self, cycles):
        assert cycles.i_wave.shape[0] == len(cycles)
        return []


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """Register this module's detectors (by name) for the tests, and only for them."""
    from currentprint.detectors.base import _registry
    classes = (StepEvents, Recorder, WaveReader)
    for c in classes:
        cp.register_detector(c, replace=True)
    yield
    for c in classes:
        _registry.pop(c.name, None)


@functools.lru_cache(maxsize=None)
def _signal(kind: str = "float"):
    loads = {"kettle": cp.synth.Resistive(2000.0), "fridge": cp.synth.Motor(300.0, pf=0.75, inrush=1.0)}
    sched = [(0.8, "kettle", "on"), (1.7, "fridge", "on"), (2.9, "kettle", "off")]
    if kind == "int16":
        sig = cp.synth.synth_signal(duration_s=4.0, fs=6400, loads=loads, schedule=sched, seed=5, dtype=np.int16)
        cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"])
        return sig, cal
    return cp.synth.synth_signal(duration_s=4.0, fs=6400, loads=loads, schedule=sched, seed=5), None


def _monitor(cal=None, **kw):
    return cp.Monitor(fs=6400, calibration=cal, detectors=[StepEvents(), Recorder()], **kw)


def _dicts(alerts):
    return [a.to_dict() for a in alerts]


@functools.lru_cache(maxsize=None)
def _reference(kind: str = "float"):
    sig, cal = _signal(kind)
    return _dicts(_monitor(cal).run(sig.current, sig.voltage))


def test_alerts_carry_time_and_detector():
    ref = _reference()
    assert [a["detail"]["kind"] for a in ref] == ["on", "on", "off"]
    for a, t in zip(ref, (0.8, 1.7, 2.9)):
        assert a["detector"] == "test_steps"
        assert a["time"] == a["sample"] / 6400
        assert abs(a["time"] - t) < 0.03


def test_detector_time_is_kept():
    class Timed(Recorder):
        name = "test_timed"

        def update(self, cycles):
            return [cp.Alert(kind="x", sample=int(s), time=-1.0, detector="mine") for s in cycles.start[:1]]

    sig, _ = _signal()
    alerts = cp.Monitor(fs=6400, detectors=[Timed()]).push(sig.current, sig.voltage)
    assert alerts and alerts[0].time == -1.0 and alerts[0].detector == "mine"


def test_detectors_by_name_and_errors():
    mon = cp.Monitor(fs=6400, detectors=["test_steps"])
    assert isinstance(mon.detectors[0], StepEvents)
    with pytest.raises(RegistryError, match="no detector named"):
        cp.Monitor(fs=6400, detectors=["no_such_detector"])
    with pytest.raises(InputError, match="BaseDetector"):
        cp.Monitor(fs=6400, detectors=[object()])
    det = StepEvents()
    with pytest.raises(InputError, match="twice"):
        cp.Monitor(fs=6400, detectors=[det, det])
    with pytest.raises(ValueError):
        cp.Monitor(fs=-1)


def test_detector_returning_none_is_reported():
    class Bad(Recorder):
        name = "test_bad"

        def update(self, cycles):
            return None

    sig, _ = _signal()
    with pytest.raises(TypeError, match="returned None"):
        cp.Monitor(fs=6400, detectors=[Bad()]).push(sig.current, sig.voltage)


def test_one_analysis_pass_feeds_every_detector(monkeypatch):
    calls = []
    original = cp.CycleAnalyzer.push

    def spy(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(cp.CycleAnalyzer, "push", spy)
    sig, _ = _signal()
    a, b = Recorder("a"), Recorder("b")
    mon = cp.Monitor(fs=6400, detectors=[a, b, StepEvents()])
    mon.run(sig.current, sig.voltage, chunk=1000)
    assert len(calls) == -(-len(sig.current) // 1000)
    assert a._starts == b._starts and len(a._starts) == mon.cycles_seen
    table = cp.analyze(sig.current, sig.voltage, fs=6400)
    np.testing.assert_array_equal(np.asarray(a._starts), table.start)
    assert mon.samples_seen == len(sig.current)


def test_waveforms_only_when_needed():
    assert not cp.Monitor(fs=6400, detectors=[Recorder()])._analyzer.waveforms
    assert cp.Monitor(fs=6400, detectors=[Recorder(), WaveReader()])._analyzer.waveforms
    sig, _ = _signal()
    cp.Monitor(fs=6400, detectors=[WaveReader()]).run(sig.current, sig.voltage)


def test_reset_starts_over():
    sig, _ = _signal()
    mon = _monitor()
    first = _dicts(mon.run(sig.current, sig.voltage))
    assert mon.reset() is mon and mon.cycles_seen == 0 and mon.samples_seen == 0
    assert _dicts(mon.run(sig.current, sig.voltage, chunk=333)) == first


@settings(max_examples=25)
@given(sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=12))
def test_any_chunking_gives_the_same_alerts(sizes):
    sig, _ = _signal()
    mon = _monitor()
    alerts, k, j = [], 0, 0
    while k < len(sig.current):
        n = sizes[j % len(sizes)]
        alerts += mon.push(sig.current[k:k + n], sig.voltage[k:k + n])
        k, j = k + n, j + 1
    assert _dicts(alerts) == _reference()


# -- save / restore ---------------------------------------------------------------------------
def _cut_and_restore(kind: str, cut: int, chunk1: int, chunk2: int, *, via_file: bool) -> list:
    sig, cal = _signal(kind)
    mon = _monitor(cal)
    head = mon.run(sig.current[:cut], sig.voltage[:cut], chunk=chunk1)
    if via_file:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.json"
            mon.save(path)
            del mon
            mon = cp.Monitor.load(path)
    else:
        mon = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict(), allow_nan=False)))
    tail = mon.run(sig.current[cut:], sig.voltage[cut:], chunk=chunk2)
    assert mon.samples_seen == len(sig.current)
    return _dicts(head + tail)


@settings(max_examples=30)
@given(cut=st.integers(0, 25_600), chunk1=st.integers(1, 4000), chunk2=st.integers(1, 4000),
       kind=st.sampled_from(["float", "int16"]))
def test_restore_anywhere_equals_uninterrupted(cut, chunk1, chunk2, kind):
    assert _cut_and_restore(kind, cut, chunk1, chunk2, via_file=False) == _reference(kind)


@pytest.mark.parametrize("cut", [5_121, 5_183, 11_000 + 64, 18_601])   # mid-cycle, inside events
def test_restore_from_file_equals_uninterrupted(cut):
    assert _cut_and_restore("int16", cut, 640, 997, via_file=True) == _reference("int16")


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import currentprint as cp
    import monitor_test_detectors as m
    cp.register_detector(m.StepEvents)
    mode, path, cut = sys.argv[1], sys.argv[2], int(sys.argv[3])
    d = np.load(sys.argv[4])
    i, v = d["current"], d["voltage"]
    if mode == "first":
        mon = cp.Monitor(fs=6400, detectors=["test_steps"])
        alerts = mon.run(i[:cut], v[:cut], chunk=500)
        mon.save(path)
    else:
        mon = cp.Monitor.load(path)
        alerts = mon.run(i[cut:], v[cut:], chunk=321)
    print(json.dumps([a.to_dict() for a in alerts]))
""")


def test_restore_in_a_new_process(tmp_path):
    (tmp_path / "monitor_test_detectors.py").write_text(STEP_SOURCE)
    sig, _ = _signal()
    data = tmp_path / "signal.npz"
    np.savez(data, current=sig.current, voltage=sig.voltage)
    ref = _dicts(cp.Monitor(fs=6400, detectors=[StepEvents()]).run(sig.current, sig.voltage))
    assert len(ref) == 3
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), PKG_PARENT]))
    for cut in (5_183, 11_167):             # mid-cycle; between an event's onset and its confirmation
        state = tmp_path / f"state_{cut}.json"
        parts = []
        for mode in ("first", "rest"):
            proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(state), str(cut), str(data)], env=env,
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            parts += json.loads(proc.stdout)
        assert parts == ref, cut


def test_corrupt_or_foreign_state_is_refused(tmp_path):
    sig, _ = _signal()
    mon = _monitor()
    mon.run(sig.current[:9000], sig.voltage[:9000])
    good = tmp_path / "good.json"
    mon.save(good)
    text = good.read_text()

    cases = {
        "truncated": text[: len(text) // 2],
        "garbage": "\x00\x01 not json",
        "foreign": json.dumps({"schema": "something.else", "version": 1}),
        "version": text.replace('"version":2', '"version":99'),
        "old_version": text.replace('"version":2', '"version":1'),
        "no_state": json.dumps({"schema": "currentprint.monitor", "version": 2}),
        "damaged": json.dumps({"schema": "currentprint.monitor", "version": 2,
                               "state": {**json.loads(text)["state"], "analyzer": {"started": True}}}),
        "edited": text.replace('"cycles":', '"cycles":1'),
    }
    for what, content in cases.items():
        bad = tmp_path / f"{what}.json"
        bad.write_text(content)
        with pytest.raises(CorruptFileError) as info:
            cp.Monitor.load(bad)
        assert isinstance(info.value, ValueError), what
    # a state of another configuration does not load into this monitor
    other = cp.Monitor(fs=6400, detectors=[Recorder()])
    with pytest.raises(CorruptFileError, match="detectors"):
        other.load_state(json.loads(text)["state"])
    with pytest.raises(CorruptFileError, match="fs="):
        cp.Monitor(fs=10000, detectors=[StepEvents(), Recorder()]).load_state(json.loads(text)["state"])
    # an unknown detector name is explained
    renamed = json.loads(text)
    del renamed["checksum"]         # an edit on purpose: without its checksum the file is still checked
    renamed["state"]["detectors"][0]["name"] = "not_installed_anywhere"
    (tmp_path / "renamed.json").write_text(json.dumps(renamed))
    with pytest.raises(CorruptFileError, match="not_installed_anywhere"):
        cp.Monitor.load(tmp_path / "renamed.json")
    # the good file still loads
    assert cp.Monitor.load(good).cycles_seen == mon.cycles_seen


def test_failed_save_keeps_the_old_file(tmp_path):
    sig, _ = _signal()
    mon = _monitor()
    mon.run(sig.current[:9000], sig.voltage[:9000])
    path = tmp_path / "state.json"
    mon.save(path)
    before = path.read_bytes()
    mon.detectors[1]._unsaveable = object()         # state the JSON encoder refuses
    with pytest.raises(ValueError):
        mon.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_load_into_given_detectors(tmp_path):
    class Local(StepEvents):     # not registered: rebuilt only from given instances
        name = "test_local_steps"

    sig, _ = _signal()
    mon = cp.Monitor(fs=6400, detectors=[Local()])
    head = mon.run(sig.current[:12000], sig.voltage[:12000])
    mon.save(tmp_path / "s.json")
    with pytest.raises(CorruptFileError, match="test_local_steps"):
        cp.Monitor.load(tmp_path / "s.json")
    mon2 = cp.Monitor.load(tmp_path / "s.json", detectors=[Local()])
    tail = mon2.run(sig.current[12000:], sig.voltage[12000:])
    assert _dicts(head + tail) == _dicts(cp.Monitor(fs=6400, detectors=[Local()]).run(sig.current, sig.voltage))


# -- identification of switch-on events -----------------------------------------------------
class FakeLibrary:
    def __init__(self):
        self.seen = []

    def identify(self, fp):
        self.seen.append(fp)
        return types.SimpleNamespace(label="kettle", distance=0.25, confidence=0.9)


def test_switch_on_events_carry_identification(monkeypatch):
    waves = []
    fake = types.ModuleType("currentprint.fingerprints.fingerprint")

    def fingerprint_from_waves(i_wave, v_wave=None, **kw):
        waves.append((np.asarray(i_wave), np.asarray(v_wave)))
        return "fp"

    fake.fingerprint_from_waves = fingerprint_from_waves
    monkeypatch.setitem(sys.modules, "currentprint.fingerprints.fingerprint", fake)
    sig, _ = _signal()
    lib = FakeLibrary()
    mon = cp.Monitor(fs=6400, detectors=[StepEvents()], library=lib)
    assert mon._analyzer.waveforms
    alerts = mon.run(sig.current, sig.voltage)
    on = [a for a in alerts if a.detail["kind"] == "on"]
    off = [a for a in alerts if a.detail["kind"] == "off"]
    # switch-offs are identified too (before-minus-after: the load that stopped)
    assert len(on) == 2 and len(off) == 1 and off[0].detail["match"]["label"] == "kettle"
    for a in on + off:
        # a duck-typed library without distance(): its own radius, no noise spread
        assert a.detail["match"] == {"label": "kettle", "distance": 0.25, "confidence": 0.9, "noise_spread": 0.0}
        assert "kettle" in a.explanation
        json.dumps(a.to_dict(), allow_nan=False)
    # the first switch-on is the kettle alone: the after-minus-before cycle is its current
    i_delta, v = waves[0]
    expected = 2000.0 / 230.0
    assert abs(np.sqrt(np.mean(i_delta ** 2)) - expected) < 0.02 * expected
    assert abs(np.sqrt(np.mean(v ** 2)) - 230.0) < 3.0
    # the second one is the fridge: about 300 W / (230 V * 0.75)
    i_delta2, _ = waves[1]
    assert abs(np.sqrt(np.mean(i_delta2 ** 2)) - 300 / (230 * 0.75)) < 0.1 * 300 / (230 * 0.75)


def test_identification_survives_restore(monkeypatch):
    fake = types.ModuleType("currentprint.fingerprints.fingerprint")
    fake.fingerprint_from_waves = lambda i, v=None, **kw: float(np.sqrt(np.mean(np.square(i))))
    monkeypatch.setitem(sys.modules, "currentprint.fingerprints.fingerprint", fake)

    class Lib(FakeLibrary):
        def identify(self, fp):
            return types.SimpleNamespace(label=f"{fp:.6f}", distance=0.0, confidence=1.0)

    sig, _ = _signal()
    ref = _dicts(cp.Monitor(fs=6400, detectors=[StepEvents()], library=Lib()).run(sig.current, sig.voltage))
    cut = 5_300                                   # just after the kettle's onset, before confirmation
    mon = cp.Monitor(fs=6400, detectors=[StepEvents()], library=Lib())
    head = mon.run(sig.current[:cut], sig.voltage[:cut])
    mon = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict())), library=Lib())
    tail = mon.run(sig.current[cut:], sig.voltage[cut:])
    assert _dicts(head + tail) == ref


@settings(max_examples=20)
@given(sizes=st.lists(st.integers(97, 30_000), min_size=1, max_size=8), repeat=st.integers(6, 10))
def test_wave_history_is_the_last_cycles_for_any_chunking(sizes, repeat):
    # the history (appended into reused buffers, moved to their front when full) holds exactly what
    # concatenating every push's waveforms and keeping the last _WAVE_HISTORY cycles before each push
    # would hold; 24-48 s streams fill the buffers (1000 rows) several times
    from currentprint.monitor import _WAVE_HISTORY
    sig, _ = _signal()
    i, v = np.tile(sig.current, repeat), np.tile(sig.voltage, repeat)
    mon = cp.Monitor(fs=6400, detectors=[Recorder()], library=FakeLibrary())
    ref_s, ref_i, ref_v, first = np.empty(0), np.empty((0, mon._analyzer._npts)), None, 0
    ref_v = ref_i
    k = j = 0
    while k < len(i):
        n = sizes[j % len(sizes)]
        table, _ = mon.process(i[k:k + n], v[k:k + n])
        drop = max(0, ref_s.shape[0] - _WAVE_HISTORY)
        first += drop
        ref_s = np.concatenate([ref_s[drop:], table.start])
        ref_i = np.concatenate([ref_i[drop:], table.i_wave])
        ref_v = np.concatenate([ref_v[drop:], table.v_wave])
        assert mon._hist_first == first
        assert np.array_equal(mon._hist_start, ref_s) and mon._hist_start.dtype == ref_s.dtype
        assert np.array_equal(mon._hist_i, ref_i) and np.array_equal(mon._hist_v, ref_v)
        k, j = k + n, j + 1
    # what a saved state holds is the same too
    hist = cp._state.decode(mon.state_dict()["history"])
    assert hist["first"] == first and np.array_equal(hist["start"], ref_s) and np.array_equal(hist["i"], ref_i)


def test_wave_history_buffers_are_reused_between_pushes():
    # steady 1-s pushes append into the same buffers (the history was copied whole on every push)
    sig, _ = _signal()
    i, v = np.tile(sig.current, 10), np.tile(sig.voltage, 10)
    mon = cp.Monitor(fs=6400, detectors=[Recorder()], library=FakeLibrary())
    bufs = set()
    for k in range(0, len(i), 6400):
        mon.push(i[k:k + 6400], v[k:k + 6400])
        bufs.add(id(mon._hist_buf[1]))
    assert len(bufs) == 1 and mon._hist_start.shape[0] == 250 + 50


@settings(max_examples=15)
@given(cut=st.integers(0, 25_600), chunk1=st.integers(1, 9000), chunk2=st.integers(1, 9000))
def test_identification_survives_restore_anywhere(cut, chunk1, chunk2):
    fake = types.ModuleType("currentprint.fingerprints.fingerprint")
    fake.fingerprint_from_waves = lambda i, v=None, **kw: float(np.sqrt(np.mean(np.square(i))))

    class Lib(FakeLibrary):
        def identify(self, fp):
            return types.SimpleNamespace(label=f"{fp:.9f}", distance=0.0, confidence=1.0)

    sig, _ = _signal()
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "currentprint.fingerprints.fingerprint", fake)
        ref_mon = cp.Monitor(fs=6400, detectors=[StepEvents()], library=Lib())
        ref = _dicts(ref_mon.run(sig.current, sig.voltage) + ref_mon.flush())
        mon = cp.Monitor(fs=6400, detectors=[StepEvents()], library=Lib())
        head = mon.run(sig.current[:cut], sig.voltage[:cut], chunk=chunk1)
        mon = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict())), library=Lib())
        tail = mon.run(sig.current[cut:], sig.voltage[cut:], chunk=chunk2) + mon.flush()
    assert len(ref) == 3 and all("label" in a["detail"]["match"] for a in ref)
    assert _dicts(head + tail) == ref


def test_identification_with_the_real_library():
    lib_mod = pytest.importorskip("currentprint.fingerprints.library")
    pytest.importorskip("currentprint.fingerprints.fingerprint")
    lib = lib_mod.FingerprintLibrary()
    kinds = {"kettle": lambda k: cp.synth.Resistive(1800.0 + 100 * k),
             "fridge": lambda k: cp.synth.Motor(280.0 + 15 * k, pf=0.72 + 0.02 * k, inrush=1.0),
             "pc": lambda k: cp.synth.Rectifier(130.0 + 15 * k)}
    for k in range(4):
        for label, load in kinds.items():
            s = cp.synth.synth_signal(duration_s=1.0, fs=6400, loads={label: load(k)}, seed=100 + k)
            lib.enroll(label, cp.fingerprint(s.current, s.voltage, fs=s.fs))
    sig, _ = _signal()
    alerts = cp.Monitor(fs=6400, detectors=[StepEvents()], library=lib).run(sig.current, sig.voltage)
    labels = [a.detail["match"]["label"] for a in alerts if a.detail["kind"] == "on"]
    assert labels[0] == "kettle"
    # the fridge must not be mistaken for another enrolled appliance (open set: "unknown" is allowed)
    assert labels[1] in ("fridge", "unknown")


def test_identification_uses_the_detectors_steady_states(monkeypatch):
    """An event detector that reports its pre/post cycles gets exactly those averaged."""
    seen = []
    fake = types.ModuleType("currentprint.fingerprints.fingerprint")
    fake.fingerprint_from_waves = lambda i, v=None, **kw: seen.append((np.asarray(i), np.asarray(v))) or "fp"
    monkeypatch.setitem(sys.modules, "currentprint.fingerprints.fingerprint", fake)

    class WithWindows(StepEvents):
        name = "test_steps_windows"

        def update(self, cycles):
            out = super().update(cycles)
            for a in out:
                e = int(round(a.sample / 128))        # 50 Hz at 6.4 kHz: 128 samples per cycle
                a.detail["pre"] = {"cycles": [e - 12, e - 4]}
                a.detail["post"] = {"cycles": [e + 30, e + 40]}
            return out

    sig, _ = _signal()
    mon = cp.Monitor(fs=6400, detectors=[WithWindows()], library=FakeLibrary())
    got, pushed = [], 0
    for k in range(0, len(sig.current), 640):
        new = mon.push(sig.current[k:k + 640], sig.voltage[k:k + 640])
        pushed = k + 640
        for a in new:
            if a.detail["kind"] == "on":
                # held back until its last post cycle (+ its end) has been analysed
                e = int(round(a.sample / 128))
                assert pushed >= (e + 41) * 128
        got += new
    table = cp.analyze(sig.current, sig.voltage, fs=6400, waveforms=True)
    first_on = next(a for a in got if a.detail["kind"] == "on")
    e = int(round(first_on.sample / 128))
    expected = table.i_wave[e + 30:e + 41].mean(axis=0) - table.i_wave[e - 12:e - 3].mean(axis=0)
    np.testing.assert_allclose(seen[0][0], expected, rtol=0, atol=1e-9)


def test_monitor_page_runs():
    pytest.importorskip("currentprint.detectors.events")
    pytest.importorskip("currentprint.fingerprints.library")
    import re
    text = (ROOT / "docs" / "monitor.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    namespace: dict = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"monitor.md[block {k}]", "exec"), namespace)  # noqa: S102
    on = [a for a in namespace["alerts"] if a.detail.get("kind") == "on"]
    assert len(on) >= 3 and all("match" in a.detail for a in on)
    assert all(len(x) >= 1 for x in namespace["per_channel"])


def test_shared_event_source_gives_the_same_alerts_as_separate_detectors():
    # the load detectors each judge events; a Monitor lets identical event
    # sources be one instance. The alerts must equal those of each alone.
    from currentprint import synth
    sig = synth.synth_signal(8.0, 6400, loads={"kettle": synth.Resistive(2000), "dim": synth.PhaseCut(1000, 90)},
                             schedule=[(2.013, "kettle", "on"), (4.507, "dim", "on"), (6.3, "kettle", "off")], seed=5)
    both = cp.Monitor(6400, detectors=["resistive_load", "phase_chopper"])
    assert both.detectors[0].event_source is both.detectors[1].event_source
    got = [(a.kind, a.sample) for a in both.push(sig.current, sig.voltage)]
    alone = []
    for name in ("resistive_load", "phase_chopper"):
        alone += [(a.kind, a.sample) for a in cp.Monitor(6400, detectors=[name]).push(sig.current, sig.voltage)]
    assert sorted(got) == sorted(alone)
    kinds = {k for k, _ in got}
    assert {"resistive_load", "phase_chopper"} <= kinds


def test_flush_reports_what_detect_events_reports_at_the_end():
    # a motor started shortly before the end of a recording, still in its
    # inrush when the samples stop: only the end-of-stream judgement reports
    # it; the Monitor does on flush(), as detect_events (which flushes) does
    from currentprint import synth
    for t_on in (2.3, 2.6):
        sig = synth.synth_signal(3.0, 6400, loads={"m": synth.Motor(800, inrush=6, inrush_decay_s=0.4)},
                                 schedule=[(t_on, "m", "on")], seed=1)
        mon = cp.Monitor(6400, detectors=["events"])
        assert mon.push(sig.current, sig.voltage) == []
        got = [a.sample for a in mon.flush()]
        want = [e.sample for e in cp.detect_events(sig.current, sig.voltage, fs=6400)]
        assert got == want and len(got) == 1 and abs(got[0] - t_on * 6400) <= 2


def test_load_with_a_library_after_a_save_without_one(tmp_path):
    from currentprint import synth
    sig = synth.synth_signal(6.0, 6400, loads={"kettle": synth.Resistive(2000)},
                             schedule=[(3.013, "kettle", "on")], seed=4)
    mon = cp.Monitor(6400, detectors=["overload"])
    mon.push(sig.current[:12800], sig.voltage[:12800])
    path = tmp_path / "m.json"
    mon.save(path)
    lib = cp.FingerprintLibrary()
    v = sig.voltage[:6400]
    for k in range(3):
        lib.enroll("kettle", cp.fingerprint(v / (26.0 + 0.1 * k), v, fs=6400))
    # the saved monitor kept no cycle waveforms; with a library they are needed
    restored = cp.Monitor.load(path, library=lib)
    assert restored.waveforms
    alerts = restored.push(sig.current[12800:], sig.voltage[12800:]) + restored.flush()
    assert restored.cycles_seen > 290 and all(a.kind == "overload" for a in alerts)


def test_stream_with_wrong_fs_warns_once_and_names_the_rate():
    """A stream framed at the wrong rate finds no cycle: say so (once), not stay silent."""
    import warnings as _w
    from currentprint.errors import InputWarning
    from currentprint.synth import sine
    i, v = sine(30000, 10000.0, amplitude=14.1), sine(30000, 10000.0, amplitude=311.0)
    for fs, expect in ((6400.0, 1), (10000.0, 0)):
        m = cp.Monitor(fs=fs)
        with _w.catch_warnings(record=True) as got:
            _w.simplefilter("always")
            for k in range(0, len(i), 128):
                m.push(i[k:k + 128], v[k:k + 128])
        msgs = [str(g.message) for g in got if issubclass(g.category, InputWarning)]
        assert len(msgs) == expect, msgs
        if expect:
            assert "is fs 10000?" in msgs[0]


def test_stream_with_dead_voltage_warns_but_idle_current_does_not():
    import warnings as _w
    from currentprint.errors import InputWarning
    from currentprint.synth import sine
    i = sine(20000, 10000.0, amplitude=14.1)
    with _w.catch_warnings(record=True) as got:
        _w.simplefilter("always")
        cp.Monitor(fs=10000.0).push(i, np.zeros_like(i))
        cp.Monitor(fs=10000.0).push(np.zeros_like(i))        # an idle circuit: nothing to say
    msgs = [str(g.message) for g in got if issubclass(g.category, InputWarning)]
    assert len(msgs) == 1 and "voltage has no usable" in msgs[0]


def test_current_waveforms_when_only_the_current_is_read(tmp_path):
    """An arc detector alone needs the current's cycles only; anything needing both gets both;
    a save and load keeps the choice and the alerts."""
    from currentprint.detectors.arc import ArcFaultDetector
    assert cp.Monitor(fs=6400, detectors=[ArcFaultDetector()]).waveforms == "current"
    assert cp.Monitor(fs=6400, detectors=[ArcFaultDetector(), "overload"])._analyzer.waveforms == "current"
    assert cp.Monitor(fs=6400, detectors=[ArcFaultDetector(), WaveReader()]).waveforms is True
    sig, _ = _signal()
    n = len(sig.current) // 2
    mon = cp.Monitor(fs=6400, detectors=[ArcFaultDetector()])
    a1 = mon.push(sig.current[:n], sig.voltage[:n])
    path = tmp_path / "m.json"
    mon.save(path)
    restored = cp.Monitor.load(path)
    assert restored.waveforms == "current"
    ref = cp.Monitor(fs=6400, detectors=[ArcFaultDetector()])
    want = ref.push(sig.current, sig.voltage) + ref.flush()
    got = a1 + restored.push(sig.current[n:], sig.voltage[n:]) + restored.flush()
    assert [(a.kind, a.sample) for a in got] == [(a.kind, a.sample) for a in want]
    # the masking-proof scan saw the same current cycles (its state holds the last two)
    np.testing.assert_array_equal(restored.detectors[0]._mstate, ref.detectors[0]._mstate)
