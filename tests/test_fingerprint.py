"""Fingerprint definitions against closed-form cases, synthetic loads and invariances."""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest
from hypothesis import given, strategies as st

import currentprint as cp
from currentprint import synth
from currentprint.errors import CorruptFileError, InputError
from currentprint.fingerprints.fingerprint import Fingerprint, fingerprint, fingerprint_from_waves, FEATURE_DOCS, WAVE_POINTS
from currentprint.fingerprints.vi import _intersections, vi_descriptors, vi_image

THETA = 2 * np.pi * np.arange(128) / 128
V = 325.0 * np.sin(THETA)


def test_feature_names_fixed_and_documented():
    names = Fingerprint.feature_names
    assert len(names) == len(set(names))
    assert set(names) == set(FEATURE_DOCS)
    for k in range(1, 16):
        assert f"h{k}_phase" in names
        if k > 1:
            assert f"h{k}_mag" in names
    fp = fingerprint_from_waves(V / 50, V)
    assert fp.vector().shape == (len(names),)
    assert fp.vector().dtype == np.float64


def test_resistive_closed_form():
    fp = fingerprint_from_waves(V / 50, V, fs=6400, mains_hz=50)
    assert fp.pf == pytest.approx(1.0, abs=1e-12)
    assert fp.dpf == pytest.approx(1.0, abs=1e-12)
    assert fp.q == pytest.approx(0.0, abs=1e-9)
    assert fp.p == pytest.approx((325 / math.sqrt(2)) ** 2 / 50, rel=1e-12)
    assert fp.s == pytest.approx(fp.p, rel=1e-12)
    assert fp.thd == pytest.approx(0.0, abs=1e-12)
    assert fp.crest == pytest.approx(math.sqrt(2), rel=1e-9)
    assert fp.form == pytest.approx(math.pi / (2 * math.sqrt(2)), rel=1e-3)  # sampled mean|sin|
    assert fp.h1_phase == pytest.approx(0.0, abs=1e-12)
    assert fp.vi_area == pytest.approx(0.0, abs=1e-9)
    assert fp.vi_direction == 0.0
    assert fp.vi_asymmetry == pytest.approx(0.0, abs=1e-12)
    assert fp.vi_curvature == pytest.approx(0.0, abs=1e-9)
    assert fp.vi_mid_slope == pytest.approx(1.0, rel=1e-6)
    assert np.allclose(fp.waveform, np.sin(2 * np.pi * np.arange(WAVE_POINTS) / WAVE_POINTS), atol=1e-12)
    assert math.isnan(fp.inrush_ratio) and math.isnan(fp.settling_s)


@pytest.mark.parametrize("phi", [0.2, 0.5, 1.0, -0.5])
def test_phase_shift_power_and_looping(phi):
    i = 5 * math.sqrt(2) * np.sin(THETA - phi)  # lags by phi (leads if phi < 0)
    fp = fingerprint_from_waves(i, V)
    vrms = 325 / math.sqrt(2)
    assert fp.q == pytest.approx(vrms * 5 * math.sin(phi), rel=1e-9)  # inductive positive
    assert fp.p == pytest.approx(vrms * 5 * math.cos(phi), rel=1e-9)
    assert fp.dpf == pytest.approx(math.cos(phi), rel=1e-9)
    assert fp.h1_phase == pytest.approx(-phi, abs=1e-9)
    # ellipse of unit half-axes sheared by phi: area pi*sin(phi) (64-point polygon: slightly less)
    assert fp.vi_area == pytest.approx(math.pi * abs(math.sin(phi)), rel=5e-3)
    assert fp.vi_direction == (1.0 if phi > 0 else -1.0)


def test_harmonic_magnitude_and_phase_convention_matches_cycle_table():
    i = np.sin(THETA) + 0.3 * np.sin(3 * THETA + 0.5) + 0.1 * np.sin(5 * THETA - 1.0)
    fp = fingerprint_from_waves(i, V)
    assert fp.h3_mag == pytest.approx(0.3, rel=1e-9)
    assert fp.h5_mag == pytest.approx(0.1, rel=1e-9)
    assert fp.h2_mag == pytest.approx(0.0, abs=1e-12)
    assert fp.thd == pytest.approx(math.hypot(0.3, 0.1), rel=1e-9)
    # arg(I_k) - k arg(V_1): sin(k t + a) against sin(t) gives a + (k - 1) pi/2
    assert fp.h3_phase == pytest.approx(0.5 - math.pi, abs=1e-9)
    # the same convention as CycleTable.harmonic_phases on a real signal
    t = np.arange(6400) / 6400
    vv = 325 * np.sin(2 * np.pi * 50 * t + 0.3)
    ii = np.sin(2 * np.pi * 50 * t + 0.3) + 0.3 * np.sin(3 * (2 * np.pi * 50 * t + 0.3) + 0.5)
    table = cp.analyze(ii, vv, fs=6400)
    fp2 = fingerprint(ii, vv, fs=6400)
    assert fp2.h3_phase == pytest.approx(float(np.median(table.harmonic_phases[:, 2])), abs=1e-6)
    assert fp2.h3_mag == pytest.approx(0.3, rel=1e-6)


def test_no_voltage_gives_nan_phase_features_only():
    sig = synth.synth_signal(1.0, 6400, loads={"m": synth.Motor(500)}, seed=2)
    fp = fingerprint(sig.current, None, fs=6400)
    assert math.isnan(fp.p) and math.isnan(fp.h3_phase) and math.isnan(fp.vi_area)
    assert np.isfinite(fp.i_rms) and np.isfinite(fp.thd) and np.isfinite(fp.h3_mag)
    assert np.all(np.isnan(fp.v_waveform))
    t = 2 * np.pi * np.arange(64) / 64
    z = fingerprint_from_waves(np.sin(t), np.zeros(64))  # a dead voltage channel is no reference
    assert math.isnan(z.pf) and math.isnan(z.h1_phase) and z.h3_mag == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("fs,hz", [(6400, 50), (10000, 50), (2000, 50), (30000, 60), (7680, 60)])
def test_same_load_same_fingerprint_at_any_rate(fs, hz):
    ref = fingerprint(*_sig(synth.Rectifier(200), 6400, 50), fs=6400)
    fp = fingerprint(*_sig(synth.Rectifier(200), fs, hz), fs=fs)
    assert fp.meta["fs"] == fs and fp.meta["mains_hz"] == pytest.approx(hz, rel=1e-3)
    assert fp.i_rms == pytest.approx(ref.i_rms, rel=0.05)
    assert fp.pf == pytest.approx(ref.pf, abs=0.03)
    assert fp.h3_mag == pytest.approx(ref.h3_mag, abs=0.05)
    assert fp.h3_phase == pytest.approx(ref.h3_phase, abs=0.15)
    assert np.max(np.abs(fp.waveform - ref.waveform)) < 0.35


def _sig(load, fs, hz, seconds=0.5, seed=0):
    s = synth.synth_signal(seconds, fs, mains_hz=hz, loads={"x": load}, seed=seed, noise_a=0.0)
    return s.current, s.voltage


@pytest.mark.parametrize("n_cycles", [1, 2, 10])
def test_short_windows(n_cycles):
    i, v = _sig(synth.Motor(800), 6400, 50, seconds=(n_cycles + 1.5) / 50)
    fp = fingerprint(i, v, fs=6400)
    assert fp.meta["n_cycles"] >= n_cycles
    assert fp.q > 0 and 0.5 < fp.dpf < 0.95


def test_empty_window_raises():
    with pytest.raises(InputError):
        fingerprint(np.zeros(50), np.sin(np.arange(50) / 10.0), fs=6400)
    with pytest.raises(InputError):
        fingerprint(None, fs=6400)
    with pytest.raises(InputError):
        fingerprint_from_waves(np.ones(7))
    with pytest.raises(InputError):
        fingerprint_from_waves(np.full(8, np.nan))
    with pytest.raises(InputError):
        fingerprint_from_waves(np.ones(8), np.ones(16))


def test_event_delta_is_the_switched_load():
    """After-minus-before: a motor switched on over a heater background is the motor alone."""
    bg = 2.0 * np.sin(THETA)
    motor = 3.0 * np.sin(THETA - 0.7) + 0.2 * np.sin(3 * THETA)
    pre = types.SimpleNamespace(i_wave=bg, v_wave=V)
    post = types.SimpleNamespace(i_wave=bg + motor, v_wave=V, n_cycles=10)
    ev = types.SimpleNamespace(pre=pre, post=post, transient={"inrush_ratio": 4.5, "settling_s": 0.3})
    fp = fingerprint(event=ev, fs=6400)
    alone = fingerprint_from_waves(motor, V)
    assert fp.meta["source"] == "event"
    # phases of absent harmonics are numerical noise: compare everything else
    names = [n for n in Fingerprint.feature_names if not (n.endswith("_phase") and n not in ("h1_phase", "h3_phase"))
             and n not in ("inrush_ratio", "settling_s")]
    for n in names:
        if not n.startswith("wave_"):
            assert getattr(fp, n) == pytest.approx(getattr(alone, n), rel=1e-9, abs=1e-9), n
    assert np.allclose(fp.waveform, alone.waveform, atol=1e-12)
    assert fp.inrush_ratio == 4.5 and fp.settling_s == 0.3
    assert fp.p == pytest.approx(alone.p)
    with pytest.raises(InputError):
        fingerprint(event=object(), fs=6400)


def test_importing_the_module_keeps_the_function():
    import currentprint.fingerprints.fingerprint  # noqa: F401  (importing the module must not hide the function)
    vv = np.tile(V, 4)
    fp = cp.fingerprint(vv / 50, vv, fs=6400)
    assert isinstance(fp, Fingerprint) and fp.pf == pytest.approx(1.0)


def test_round_trip_exact_with_nan():
    sig = synth.synth_signal(0.3, 6400, loads={"r": synth.Rectifier(100)}, seed=3)
    for fp in (fingerprint(sig.current, sig.voltage, fs=6400), fingerprint(sig.current, None, fs=6400)):
        d = fp.to_dict()
        text = json.dumps(d, allow_nan=False)
        back = Fingerprint.from_dict(json.loads(text))
        assert back == fp
        assert np.array_equal(back.vector(), fp.vector(), equal_nan=True)
        assert back.to_dict() == d
        assert d["version"] == 1


def test_from_dict_refuses_damaged_data():
    d = fingerprint_from_waves(V / 50, V).to_dict()
    for bad in ({}, {"schema": "x"}, {**d, "version": 2}, {**d, "features": {"p": 1.0}},
                {**d, "waveform": ["abc"]}, {**d, "features": None}):
        with pytest.raises(CorruptFileError):
            Fingerprint.from_dict(bad)
    assert issubclass(CorruptFileError, ValueError)


def test_vi_image():
    fp = fingerprint_from_waves(V / 50, V)
    img = fp.vi_image(16)
    assert img.shape == (16, 16) and img.dtype == bool
    # a resistor is the anti-diagonal line (row 0 = largest current, column 0 = most negative voltage)
    assert img[np.arange(16), 15 - np.arange(16)].all()
    assert img.sum() <= 3 * 16
    with pytest.raises(ValueError):
        fp.vi_image(1)
    ell = fingerprint_from_waves(np.sin(THETA - 1.2), V).vi_image(32)
    assert ell.sum() > img.sum()


def _ref_intersections(v, i):
    m = len(v)
    p = np.stack([v, i], 1)

    def cross(a, b):
        return a[0] * b[1] - a[1] * b[0]

    n = 0
    for a in range(m):
        for b in range(a + 2, m):
            if a == 0 and b == m - 1:
                continue
            p0, p1, q0, q1 = p[a], p[(a + 1) % m], p[b], p[(b + 1) % m]
            if cross(p1 - p0, q0 - p0) * cross(p1 - p0, q1 - p0) < 0 and \
                    cross(q1 - q0, p0 - q0) * cross(q1 - q0, p1 - q0) < 0:
                n += 1
    return n


@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=4, max_size=24))
def test_intersections_equal_brute_force(points):
    v = np.array([p[0] for p in points])
    i = np.array([p[1] for p in points])
    assert _intersections(v, i) == _ref_intersections(v, i)


def test_figure_eight_has_one_intersection():
    t = 2 * np.pi * np.arange(64) / 64
    assert _intersections(np.sin(t), np.sin(2 * t)) == 1
    d = vi_descriptors(np.sin(t), np.sin(t))
    assert d[4] == 0
    assert vi_image(np.sin(t), np.sin(t), 8).shape == (8, 8)


@given(c=st.floats(0.01, 100.0), k=st.integers(0, 3))
def test_invariances(c, k):
    """Scaling the current scales the level only; the features do not depend on which cycle is used."""
    i = 2 * np.sin(THETA - 0.4) + 0.5 * np.sin(3 * THETA + 0.2) + 0.1 * np.sin(7 * THETA)
    a = fingerprint_from_waves(i, V)
    b = fingerprint_from_waves(c * i, V)
    assert b.i_rms == pytest.approx(c * a.i_rms, rel=1e-9)
    assert b.p == pytest.approx(c * a.p, rel=1e-9)
    for name in ("pf", "dpf", "thd", "crest", "form", "h3_mag", "h7_mag", "vi_area", "vi_curvature", "vi_mid_peak"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-7, abs=1e-9), name
    assert b.h3_phase == pytest.approx(a.h3_phase, abs=1e-9)
    assert np.allclose(a.waveform, b.waveform, atol=1e-9)
    # several identical cycles give the same fingerprint as one
    cyc = np.tile(i, k + 2)
    vv = np.tile(V, k + 2)
    f = fingerprint(np.concatenate([cyc, i[:5]]), np.concatenate([vv, V[:5]]), fs=6400)
    assert f.thd == pytest.approx(a.thd, rel=1e-3)
    assert f.pf == pytest.approx(a.pf, rel=1e-3)


def test_sklearn_transformer():
    pytest.importorskip("sklearn")
    from currentprint.fingerprints.sklearn import FingerprintTransformer

    recs, labels = [], []
    for k in range(4):
        for name, load in (("heater", synth.Resistive(1000)), ("motor", synth.Motor(400))):
            s = synth.synth_signal(0.1, 6400, loads={"x": load}, seed=k)
            recs.append((s.current, s.voltage))
            labels.append(name)
    tr = FingerprintTransformer(fs=6400)
    x = tr.fit_transform(recs)
    assert x.shape == (8, len(Fingerprint.feature_names)) and np.isfinite(x).all()
    assert list(tr.get_feature_names_out()) == list(Fingerprint.feature_names)
    sub = FingerprintTransformer(fs=6400, features=["pf", "thd"]).fit_transform(recs + [{"current": recs[0][0]}])
    assert sub.shape == (9, 2) and sub[-1, 0] == 0.0  # no voltage: NaN pf replaced by nan_value
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    clf = make_pipeline(FingerprintTransformer(fs=6400, features=["pf", "thd"]), KNeighborsClassifier(1))
    clf.fit(recs, labels)
    assert list(clf.predict(recs)) == labels
    with pytest.raises(InputError):
        FingerprintTransformer(features=["nope"]).fit(recs)


def test_with_detected_events():
    """End to end with cp.detect_events: each event's fingerprint is the load that switched."""
    try:
        detect_events = cp.detect_events
    except (ImportError, AttributeError):  # pragma: no cover - events module not built yet
        pytest.skip("currentprint.detectors.events not available")
    s = synth.synth_signal(3.0, 6400, loads={"h": synth.Resistive(1000), "m": synth.Motor(600)},
                           schedule=[(1.0, "m", "on"), (2.0, "h", "on")], seed=2)
    evs = detect_events(s.current, s.voltage, fs=6400)
    assert len(evs) == 2
    motor, heater = (fingerprint(event=e) for e in evs)
    assert motor.meta["source"] == "event"
    assert motor.p == pytest.approx(600, rel=0.05) and motor.q > 0
    assert heater.p == pytest.approx(1000, rel=0.05) and heater.pf == pytest.approx(1.0, abs=1e-3)
    assert motor.inrush_ratio > 1.5 and motor.settling_s > 0
    back = Fingerprint.from_dict(json.loads(json.dumps(motor.to_dict(), allow_nan=False)))
    assert back == motor and back.transient == motor.transient


def test_switch_off_describes_the_load_that_went():
    # an off event's fingerprint is before minus after: it classifies like the switch-on
    sig = synth.synth_signal(12, 6400, loads={"fridge": synth.Motor(300, pf=0.7), "pc": synth.Rectifier(150)},
                             schedule=[(2.01, "fridge", "on"), (5.013, "pc", "on"), (8.02, "fridge", "off"),
                                       (10.51, "pc", "off")], seed=2)
    events = cp.detect_events(sig.current, sig.voltage, fs=sig.fs)
    assert [e.kind for e in events] == ["on", "on", "off", "off"]
    fps = [cp.fingerprint(event=e, fs=sig.fs) for e in events]
    kinds = [cp.classify_load(fp).kind for fp in fps]
    assert kinds == ["inductive", "rectifier", "inductive", "rectifier"]
    assert fps[2].pf == pytest.approx(fps[0].pf, abs=0.02) and fps[2].meta["direction"] == "off"


def test_settling_time_uses_the_measured_mains_frequency_without_voltage():
    sig = synth.example()
    events = cp.detect_events(sig.current, None, fs=sig.fs)
    assert events
    for e in events:
        assert e.mains_hz == pytest.approx(50.0, abs=0.05)
        fp = cp.fingerprint(event=e, fs=sig.fs)
        assert fp.settling_s == pytest.approx(e.transient.settling_cycles / 50.0, rel=1e-3)
