"""Tampered state and library files: loading never runs code, never crashes, only CorruptFileError.

Every numeric field of a saved monitor state (JSON numbers and the elements
of the small kernel-state arrays) is pushed to extremes, NaN, infinity and
the wrong type; containers are nested deeply; object payloads of older
formats are planted everywhere. Each tampered file must either be refused
with a ``ValueError`` subclass of :class:`currentprint.errors.CurrentprintError`,
or load into a monitor that then keeps working (pushing more signal raises
nothing or a currentprint error), and no payload may run (a marker file
stays absent).
"""

from __future__ import annotations

import base64
import json
import math
import zlib

import numpy as np
import pytest

import currentprint as cp
from currentprint import _state
from currentprint.errors import CorruptFileError, CurrentprintError

DETECTORS = ["events", "arc_fault", "resistive_load", "phase_chopper", "overload"]
# (JSON has no NaN or infinity literal: those go into arrays, below, and "1e999" into text)
EXTREMES = [1e9, -1.0, 1e308, 0.5, "1", None, [1]]


@pytest.fixture(scope="module")
def signal():
    return cp.synth.example(schedule=[(1.0, "pc", "on"), (2.0, "kettle", "on"), (3.5, "fridge", "on")], duration_s=4.5)


@pytest.fixture(scope="module")
def saved(signal, tmp_path_factory):
    """(path, text) of a monitor state with every built-in detector, cut mid-stream."""
    mon = cp.Monitor(signal.fs, detectors=DETECTORS)
    mon.run(signal.current[:16100], signal.voltage[:16100], chunk=700)
    path = tmp_path_factory.mktemp("state") / "m.json"
    mon.save(path)
    return path, path.read_text()


def _rest(signal, mon):
    """Push 0.2 s more signal into a restored monitor (must not crash or raise a non-currentprint error)."""
    i, v = signal.current[16100:17380], signal.voltage[16100:17380]
    try:
        for k in range(0, len(i), 640):
            mon.push(i[k:k + 640], v[k:k + 640])
        mon.flush()
    except CurrentprintError:
        pass


def _try(tmp_path, signal, payload, marker=None):
    path = tmp_path / "t.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    try:
        mon = cp.Monitor.load(path)
    except CurrentprintError as exc:
        assert isinstance(exc, ValueError), f"{type(exc).__name__} is not a ValueError: {exc}"
        return "refused"
    _rest(signal, mon)
    if marker is not None:
        assert not marker.exists(), "a payload in the state file ran"
    return "loaded"


def _unpooled(text):
    """The saved document with its shared arrays put back in place (and no checksum)."""
    doc = _strip(json.loads(text))
    state = dict(doc["state"])
    doc["state"] = _encoded(_state.resolve_arrays(state, state.pop("pool")))
    return doc


def _encoded(x):
    """The arrays resolve_arrays put in place, encoded again as in a file without a pool."""
    if isinstance(x, np.ndarray):
        return _state.encode(x)
    if isinstance(x, dict):
        return {k: _encoded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_encoded(v) for v in x]
    return x


def _strip(doc):
    doc.pop("checksum", None)     # edits bypass the checksum: the checks behind it are what is tested
    return doc


def _leaves(x, path=()):
    """Paths of every JSON number (bools excluded) and of every encoded array."""
    if isinstance(x, dict):
        if "__ndarray__" in x:
            yield path, "array"
            return
        for k, v in x.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(x, list):
        for k, v in enumerate(x):
            yield from _leaves(v, path + (k,))
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield path, "number"


def _distinct(paths, per=2):
    """At most ``per`` paths of each shape (list positions ignored): one history table stands for all."""
    seen: dict = {}
    out = []
    for p in paths:
        key = tuple("#" if isinstance(x, int) else x for x in p)
        if seen.get(key, 0) < per:
            seen[key] = seen.get(key, 0) + 1
            out.append(p)
    return out


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def _set(doc, path, value):
    _get(doc, path[:-1])[path[-1]] = value


def _array(enc, pool):
    return _state.decode(enc)


def test_state_file_has_checksum_and_refuses_an_edit(saved, tmp_path, signal):
    path, text = saved
    doc = json.loads(text)
    assert doc["checksum"].startswith("sha256:")
    doc["state"]["cycles"] += 1
    assert _try(tmp_path, signal, doc) == "refused"
    assert _try(tmp_path, signal, _strip(doc)) == "loaded"      # the edit itself is harmless


@pytest.mark.parametrize("which", range(len(DETECTORS)))
def test_every_json_number_at_extremes(saved_single, tmp_path, signal, which):
    base = _strip(json.loads(saved_single[which]))
    paths = _distinct([p for p, kind in _leaves(base["state"]) if kind == "number"], per=1)
    if DETECTORS[which] != "overload":       # the monitor's own fields: once, with the smallest state
        paths = [p for p in paths if p[0] == "detectors"]
    assert len(paths) > 2
    outcomes = []
    for p in paths:
        for value in EXTREMES:
            doc = json.loads(json.dumps(base))
            _set(doc["state"], p, value)
            outcomes.append(_try(tmp_path, signal, doc))
    assert "refused" in outcomes


def _small_arrays(doc):
    pool = doc["state"].get("pool", [])
    for p in _distinct([p for p, kind in _leaves(doc["state"]) if kind == "array" and p[:1] != ("pool",)]):
        arr = _array(_get(doc["state"], p), pool)
        if arr.dtype.kind in "fi" and 0 < arr.size <= 400:
            yield p, arr


@pytest.fixture(scope="module")
def saved_single(signal, tmp_path_factory):
    """Texts of states of a monitor with one detector each (smaller, so faster to tamper with)."""
    out = []
    for name in DETECTORS:
        mon = cp.Monitor(signal.fs, detectors=[name])
        mon.run(signal.current[:16100], signal.voltage[:16100], chunk=700)
        path = tmp_path_factory.mktemp("single") / "m.json"
        mon.save(path)
        out.append(path.read_text())
    return out


@pytest.mark.parametrize("which", range(len(DETECTORS)))
def test_every_kernel_state_element_at_extremes(saved_single, tmp_path, signal, which):
    """Ring positions, counts, scan indices, stream totals... each set to 1e9, -1, NaN, inf, 0.5."""
    base = _unpooled(saved_single[which])
    arrays = list(_small_arrays(base))
    assert len(arrays) >= 2
    refused = 0
    for p, arr in arrays:
        # kernel state vectors (scan, ring and thermal states, pending crossings): every scalar and a
        # sample of the rings; other arrays (kept cycles, windows): their ends
        kernel = p[-1] in ("_state", "scan", "scan_state", "pending") and "nested" not in p
        if kernel:
            positions = range(arr.size) if arr.size <= 64 else [*range(32), *range(32, arr.size, 16)]
        else:
            positions = sorted({0, arr.size - 1})
        for k in positions:
            for value in ((1e9, -1.0, math.nan, math.inf, 0.5) if kernel else (1e9, math.nan)):
                if arr.dtype.kind == "i" and not (isinstance(value, float) and value.is_integer()
                                                  and abs(value) < 2 ** 31):
                    continue
                bad = arr.copy().reshape(-1)
                bad[k] = value
                doc = json.loads(json.dumps(base))
                _set(doc["state"], p, _state.encode(bad.reshape(arr.shape)))
                refused += _try(tmp_path, signal, doc) == "refused"
    assert refused > 0


@pytest.mark.parametrize("which", [0, 1, 4])
def test_arrays_of_wrong_shape_dtype_and_bytes(saved_single, tmp_path, signal, which):
    base = _unpooled(saved_single[which])
    for p, arr in list(_small_arrays(base))[:6]:
        for bad in (np.zeros(arr.size + 1), np.zeros((2, 2)), arr.astype(np.float32),
                    np.zeros(0), np.full(10 ** 6, 7.0)):
            doc = json.loads(json.dumps(base))
            _set(doc["state"], p, _state.encode(bad))
            _try(tmp_path, signal, doc)
        for enc in ({"__ndarray__": "!!", "dtype": "<f8", "shape": [3]},
                    {"__ndarray__": base64.b64encode(b"\0" * 8).decode(), "dtype": "<f8", "shape": [10 ** 9]},
                    {"__ndarray__": base64.b64encode(zlib.compress(b"\0" * 10 ** 6)).decode(), "dtype": "<f8",
                     "shape": [4], "codec": "shuffle-zlib"},
                    {"__ndarray__": "", "dtype": "|O", "shape": [1]},
                    {"__ndarray__": "", "dtype": "<f8", "shape": [-1]}):
            doc = json.loads(json.dumps(base))
            _set(doc["state"], p, enc)
            assert _try(tmp_path, signal, doc) == "refused"


def test_object_payloads_never_run(saved, tmp_path, signal):
    marker = tmp_path / "owned"
    cmd = f"touch {marker}"
    payloads = [
        {"__object__": "currentprint._state:os.system", "params": {"command": cmd}, "state": {}},
        {"__object__": "os:system", "data": cmd},
        {"__object__": "currentprint.monitor:importlib.import_module", "params": {"name": "antigravity"},
         "state": {}},
        {"__reduce__": ["os.system", [cmd]]},
        {"py/object": "os.system", "args": [cmd]},
        {"__class__": "os.system"},
    ]
    _, text = saved
    base = _strip(json.loads(text))
    # one of each kind of value in the state, and the detector entries, receive each payload
    spots = _distinct([p for p, _ in _leaves(base["state"])], per=1)[::3]
    spots += [("detectors", k, key) for k in range(len(DETECTORS)) for key in ("params", "state")]
    for spot in spots:
        for payload in payloads:
            doc = json.loads(json.dumps(base))
            _set(doc["state"], spot, payload)
            _try(tmp_path, signal, doc, marker)
    # detector parameters: an object where a number is expected, and unknown parameters
    for payload in payloads:
        doc = json.loads(json.dumps(base))
        doc["state"]["detectors"][4]["params"]["rated_current_a"] = payload
        assert _try(tmp_path, signal, doc, marker) == "refused"
    assert not marker.exists()


def test_detector_names_and_params_are_validated(saved, tmp_path, signal):
    _, text = saved
    base = _strip(json.loads(text))
    for name in ("os.system", "currentprint._state:os.system", "", None, 3, "../../etc/passwd"):
        doc = json.loads(json.dumps(base))
        doc["state"]["detectors"][0]["name"] = name
        assert _try(tmp_path, signal, doc) == "refused"
    for key, value in (("window", 10 ** 9), ("window", -3), ("window", "25"), ("settle", 10 ** 9),
                       ("max_transient", 10 ** 12), ("threshold", math.nan), ("nope", 1)):
        doc = json.loads(json.dumps(base))
        doc["state"]["detectors"][0]["params"][key] = value
        assert _try(tmp_path, signal, doc) == "refused", (key, value)


def test_deep_nesting_and_junk(saved, tmp_path, signal):
    _, text = saved
    base = _strip(json.loads(text))
    deep = "[" * 100000 + "]" * 100000
    assert _try(tmp_path, signal, deep) == "refused"
    doc = json.loads(json.dumps(base))
    nest = 0
    for _ in range(200):
        nest = [nest]
    doc["state"]["detectors"][1]["state"]["state"]["_p"] = nest
    assert _try(tmp_path, signal, doc) == "refused"
    for junk in ("", "{", "null", "[]", '{"schema": "currentprint.monitor", "version": 2}',
                 '{"schema": "currentprint.monitor", "version": 2, "state": NaN}', "\xff\xfe",
                 '{"schema": "currentprint.monitor", "version": 1e999}', "1" * 5000):
        assert _try(tmp_path, signal, junk) == "refused", junk


def _library(tmp_path):
    sig = cp.synth.example()
    lib = cp.FingerprintLibrary()
    for ev in cp.detect_events(sig.current, sig.voltage, fs=sig.fs):
        if ev.kind == "on":
            lib.enroll(f"load{ev.sample}", cp.fingerprint(event=ev))
    path = tmp_path / "lib.json"
    lib.save(path)
    return path


def test_library_tampering(tmp_path):
    marker = tmp_path / "owned"
    path = _library(tmp_path)
    base = json.loads(path.read_text())
    base.pop("checksum", None)
    payload = {"__object__": "currentprint._state:os.system", "params": {"command": f"touch {marker}"},
               "state": {}}
    edits = []
    for k in range(len(base["entries"])):
        for key in ("transient", "meta"):
            edits.append((("entries", k, "fingerprint", key), payload))
            edits.append((("entries", k, "fingerprint", key), {"x": payload}))
        edits.append((("entries", k, "meta"), payload))
        edits.append((("entries", k, "label"), ""))
        edits.append((("entries", k, "label"), 3))
        edits.append((("entries", k, "fingerprint", "waveform"), ["nan"] * 7))
        edits.append((("entries", k, "fingerprint", "waveform"), [1e308] * 10 ** 5))
    edits.append((("params",), {"__object__": "os:system"}))
    for p, kind in _leaves(base):
        if kind == "number" and len(edits) < 400:
            for value in (1e308, math.nan, -1e9, "x", None):
                edits.append((p, value))
    for p, value in edits:
        doc = json.loads(json.dumps(base))
        _set(doc, p, value)
        path.write_text(json.dumps(doc))
        try:
            lib = cp.FingerprintLibrary.load(path)
        except CurrentprintError as exc:
            assert isinstance(exc, ValueError)
            continue
        if len(lib):
            try:
                lib.identify(list(lib.entries())[0][1])
            except CurrentprintError:
                pass
    assert not marker.exists()


def test_saved_files_honour_umask_and_orphans_are_cleaned(tmp_path):
    import os
    import time
    old = os.umask(0o027)
    try:
        mon = cp.Monitor(6400, detectors=["overload"])
        mon.save(tmp_path / "a.json")
        assert (os.stat(tmp_path / "a.json").st_mode & 0o777) == 0o640
    finally:
        os.umask(old)
    os.chmod(tmp_path / "a.json", 0o604)
    # a save killed long ago, one of a dead process, one of a live writer (this process, just now)
    stale = tmp_path / "a.json.123.abcd.tmp"
    dead = tmp_path / f"a.json.{2 ** 22 + 12345}.efgh.tmp"
    live = tmp_path / f"a.json.{os.getpid()}.ijkl.tmp"
    other = tmp_path / "b.json.1.x.tmp"
    for p in (stale, dead, live, other):
        p.write_text("{")
    past = time.time() - 7200
    os.utime(stale, (past, past))
    os.utime(dead, (time.time() - 60,) * 2)
    os.utime(other, (past, past))
    mon.save(tmp_path / "a.json")
    assert (os.stat(tmp_path / "a.json").st_mode & 0o777) == 0o604      # replacing keeps the mode
    assert not stale.exists() and not dead.exists()
    assert live.exists() and other.exists()
    assert cp.Monitor.load(tmp_path / "a.json").cycles_seen == 0
    with pytest.raises(ValueError, match="directory"):
        cp.Monitor.load(tmp_path)
    with pytest.raises(ValueError, match="directory"):
        mon.save(tmp_path)
