"""FingerprintLibrary: ranking, open set, scaling, NaN handling, persistence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import currentprint as cp
from currentprint import synth
from currentprint.errors import CorruptFileError, InputError
from currentprint.fingerprints.fingerprint import Fingerprint, fingerprint, fingerprint_from_waves
from currentprint.fingerprints.library import EMBED_GROUPS, FingerprintLibrary, Match, embed
from library_reference import ReferenceMetric

LOADS = {
    "heater": lambda s: synth.Resistive(2000 * s),
    "lamp": lambda s: synth.Resistive(60 * s),
    "fridge": lambda s: synth.Motor(150 * s),
    "pump": lambda s: synth.Motor(900 * s, pf=0.6),
    "laptop": lambda s: synth.Rectifier(65 * s),
    "tv": lambda s: synth.Rectifier(120 * s),
    "dimmer": lambda s: synth.PhaseCut(400 * s, firing_angle_deg=90),
}


def _fp(name: str, seed: int, *, cycles: int = 10, voltage: bool = True) -> Fingerprint:
    rng = np.random.default_rng(seed)
    load = LOADS[name](1.0 + 0.01 * rng.standard_normal())  # units vary a little
    s = synth.synth_signal((cycles + 1.5) / 50, 6400, loads={"x": load}, seed=seed, noise_a=0.01)
    return fingerprint(s.current, s.voltage if voltage else None, fs=6400)


@pytest.fixture(scope="module")
def fps():
    return {name: [_fp(name, 100 * k + j) for j in range(6)] for k, name in enumerate(LOADS)}


@pytest.fixture(scope="module")
def lib(fps):
    lib = FingerprintLibrary()
    for name, lst in fps.items():
        for fp in lst[:4]:
            lib.enroll(name, fp, meta={"unit": name})
    return lib


def test_contents(lib):
    assert len(lib) == 4 * len(LOADS)
    assert lib.labels == sorted(LOADS)
    assert "FingerprintLibrary(" in repr(lib)
    assert cp.FingerprintLibrary is FingerprintLibrary and cp.Match is Match


def test_closed_set_ranking(lib, fps):
    for name, lst in fps.items():
        for fp in lst[4:]:
            m = lib.match(fp, k=3)
            assert [x.label for x in m][0] == name
            assert len({x.label for x in m}) == 3
            assert m[0].distance <= m[1].distance <= m[2].distance
            assert all(0 <= x.confidence <= 1 for x in m)
            ident = lib.identify(fp)
            assert ident.label == name, (name, ident)
    assert len(lib.match(fps["tv"][5], k=100)) == len(LOADS)


def test_exact_entry_matches_at_distance_zero(lib, fps):
    m = lib.match(fps["pump"][0], k=1)[0]
    assert m.label == "pump" and m.distance == pytest.approx(0.0, abs=1e-6) and m.confidence == pytest.approx(1.0)


def test_open_set_unknown(fps):
    lib = FingerprintLibrary()
    for name, lst in fps.items():
        if name not in ("pump", "tv"):
            for fp in lst[:4]:
                lib.enroll(name, fp)
    for name in ("pump", "tv"):
        for fp in fps[name]:
            got = lib.identify(fp)
            assert got.label == "unknown", (name, got)
            assert got.nearest in lib.labels and got.confidence < 0.5
    # a load never seen: an LED driver
    s = synth.synth_signal(0.25, 6400, loads={"x": synth.LEDDriver(8)}, seed=9)
    assert lib.identify(fingerprint(s.current, s.voltage, fs=6400)).label == "unknown"


def test_radius_from_the_library(lib):
    for lab in lib.labels:
        assert lib.radius(lab) >= lib.min_radius
    with pytest.raises(KeyError):
        lib.radius("nope")


def test_scaling_learned_from_enrolled_data(fps):
    """The pooled within-label spread sets the scale: a noisy column weighs less."""
    lib = FingerprintLibrary()
    for name, lst in fps.items():
        for fp in lst[:4]:
            lib.enroll(name, fp)
    c = lib._fit()
    assert c["scale"].shape == EMBED_GROUPS.shape
    assert np.all(c["scale"] > 0) and np.all(np.isfinite(c["w"]))


def test_remove_and_single_entry_labels(lib, fps):
    lib2 = FingerprintLibrary()
    for name, lst in fps.items():
        lib2.enroll(name, lst[0])  # one fingerprint per label: library-wide radius
    assert lib2.identify(fps["fridge"][3]).label == "fridge"      # well inside the library-wide radius
    assert lib2.match(fps["fridge"][3], k=1)[0].label == "fridge"
    assert lib2.remove("fridge") == 1
    assert "fridge" not in lib2.labels and len(lib2) == len(LOADS) - 1
    with pytest.raises(KeyError):
        lib2.remove("fridge")


def test_nan_features_query_and_entries(fps):
    """Current-only fingerprints (no phases, no powers) still match: missing columns are skipped."""
    lib = FingerprintLibrary()
    for k, (name, lst) in enumerate(fps.items()):
        for j, fp in enumerate(lst[:4]):
            lib.enroll(name, fp if j else _fp(name, 100 * k + 50, voltage=False))  # one NaN entry per label
    for name in ("heater", "laptop", "pump"):
        q = _fp(name, 7000 + len(name), voltage=False)
        assert np.isnan(q.p)
        m = lib.match(q, k=1)[0]
        assert m.label == name and math.isfinite(m.distance)


def test_bad_input():
    lib = FingerprintLibrary()
    fp = fingerprint_from_waves(np.sin(np.linspace(0, 2 * np.pi, 64, endpoint=False)))
    with pytest.raises(InputError):
        lib.match(fp)  # empty
    with pytest.raises(InputError):
        lib.enroll("", fp)
    with pytest.raises(InputError):
        lib.enroll("unknown", fp)
    with pytest.raises(InputError):
        lib.enroll("x", "not a fingerprint")
    lib.enroll("x", fp)
    with pytest.raises(InputError):
        lib.match(fp, k=0)
    with pytest.raises(InputError):
        lib.match(np.zeros(3))
    with pytest.raises(InputError):
        FingerprintLibrary(unknown_factor=0)
    with pytest.raises(InputError):
        FingerprintLibrary(group_weights={"nonsense": 1.0})
    with pytest.raises(InputError):
        lib.enroll("y", fp, meta={"bad": object()}).save("/dev/null")


def test_group_weights_zero_drops_group(fps):
    lib = FingerprintLibrary(group_weights={"wave": 0.0, "vi": 0.0, "phasor": 0.0})
    for name, lst in fps.items():
        for fp in lst[:4]:
            lib.enroll(name, fp)
    assert lib.match(fps["tv"][5], k=1)[0].label == "tv"


def test_embed_shape_and_circular_phases():
    t = 2 * np.pi * np.arange(128) / 128
    v = np.sin(t)
    a = fingerprint_from_waves(np.sin(t) + 0.2 * np.sin(3 * t + 1e-6), v)  # phase pi - 1e-6
    b = fingerprint_from_waves(np.sin(t) + 0.2 * np.sin(3 * t - 1e-6), v)  # phase -pi + 1e-6
    ea, eb = embed(a.vector()), embed(b.vector())
    assert ea.shape == (1, EMBED_GROUPS.size)
    # phases +pi and -pi are the same phasor: no jump across the wrap
    assert abs(a.h3_phase - b.h3_phase) > 6
    assert np.max(np.abs(ea - eb)) < 1e-5


def test_save_load_round_trip(lib, fps, tmp_path):
    path = tmp_path / "lib.json"
    lib.save(path)
    back = FingerprintLibrary.load(path)
    assert len(back) == len(lib) and back.labels == lib.labels
    assert back.get_params() == lib.get_params()
    assert [m for _, _, m in back.entries()] == [m for _, _, m in lib.entries()]
    for lst in fps.values():
        for fp in lst:
            assert back.match(fp, k=3) == lib.match(fp, k=3)
            assert back.identify(fp) == lib.identify(fp)
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves nothing behind


def test_corrupt_files_refused(lib, tmp_path):
    path = tmp_path / "lib.json"
    lib.save(path)
    raw = path.read_bytes()
    (tmp_path / "trunc.json").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "garbage.json").write_bytes(b"\x00\xff garbage")
    (tmp_path / "foreign.json").write_text(json.dumps({"schema": "something.else", "version": 1}))
    (tmp_path / "future.json").write_text(json.dumps({**json.loads(raw), "version": 99}))
    damaged = json.loads(raw)
    damaged["entries"][0]["fingerprint"]["features"] = {"p": 1.0}
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    for name in ("trunc", "garbage", "foreign", "future", "damaged"):
        with pytest.raises(CorruptFileError) as err:
            FingerprintLibrary.load(tmp_path / f"{name}.json")
        assert isinstance(err.value, ValueError)
        assert str(err.value)


def test_large_library_vectorised():
    """10,000 entries: answers agree with a direct (loop-free reference) computation."""
    rng = np.random.default_rng(0)
    t = 2 * np.pi * np.arange(128) / 128
    v = np.sin(t)
    base = []
    for k in range(50):
        i = rng.uniform(0.1, 10) * (np.sin(t - rng.uniform(-1, 1))
                                    + rng.uniform(0, 0.5) * np.sin(3 * t + rng.uniform(-3, 3)))
        base.append(fingerprint_from_waves(i, v))
    lib = FingerprintLibrary()
    vecs = []
    for r in range(200):
        for k, fp in enumerate(base):
            jitter = fingerprint_from_waves(fp.waveform * (1 + 0.001 * rng.standard_normal()) * fp.i_rms
                                            + 1e-3 * rng.standard_normal(fp.waveform.size), fp.v_waveform)
            lib.enroll(f"app{k:02d}", jitter)
            vecs.append(jitter)
    assert len(lib) == 10_000
    # independent reference (tests/library_reference.py), not the library's own fit
    ref = ReferenceMetric(vecs, [f"app{k:02d}" for r in range(200) for k in range(50)], lib.get_params(),
                          radius=False)
    for q in (base[7], base[31]):
        best, dist = ref.nearest(q)
        m = lib.match(q, k=1)[0]
        assert m.label == best
        assert m.distance == pytest.approx(dist, rel=1e-6, abs=1e-9)
    assert lib.match(base[7], k=1)[0].label == "app07"


def test_damaged_entry_is_refused_as_corrupt():
    lib = cp.FingerprintLibrary()
    v = 325 * np.sin(2 * np.pi * 50 * np.arange(1280) / 6400)
    for k in range(3):
        lib.enroll("heater", cp.fingerprint(v / (50 + k), v, fs=6400))
    data = lib.to_dict()
    data["entries"][0]["fingerprint"]["waveform"] = []
    with pytest.raises(CorruptFileError):
        cp.FingerprintLibrary.from_dict(data)
    data = lib.to_dict()
    data["params"]["unknown_factor"] = "x"
    with pytest.raises(CorruptFileError):
        cp.FingerprintLibrary.from_dict(data)
