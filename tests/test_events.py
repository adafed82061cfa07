"""Switching events: scan kernel vs reference, streaming, accuracy on synthetic truth, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import currentprint as cp
from currentprint import _core
from currentprint.detectors import _events_reference as ref
from currentprint.errors import InputError
from currentprint.evaluate import event_scores, match_events
from currentprint.detectors.events import EventDetector, detect_events
from currentprint.synth import Motor, Rectifier, Resistive, synth_signal


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _params(method: str, d: int, window: int, settle: int, **over) -> np.ndarray:
    det = EventDetector(method=method, window=window, settle=settle, **over)
    p = det._params.copy()
    p[1] = d
    return p


def _features(seed: int, n: int, d: int, steps: int, spikes: int, alternate: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = rng.normal(0, 1, d)
    x = np.empty((n, d))
    cur = level.copy()
    cuts = set(rng.integers(0, n, size=steps).tolist())
    for c in range(n):
        if c in cuts:
            cur = cur + rng.normal(0, rng.choice([0.05, 0.5, 5.0]), d)
        x[c] = cur + rng.normal(0, 0.01, d)
        if alternate and c % 2:
            x[c] += 0.02
    for c in rng.integers(0, n, size=spikes):
        x[c] += rng.normal(0, 3.0, d)
    return x


@pytest.fixture(scope="module")
def example_table():
    sig = cp.synth.example()
    return sig, cp.analyze(sig.current, sig.voltage, fs=sig.fs, waveforms=True)


def _key(ev):
    return (ev.sample, ev.cycle, ev.kind, ev.detected_cycle, ev.pre.cycles, ev.post.cycles,
            round(ev.delta_p, 9), round(ev.score, 6))


# ---------------------------------------------------------------------------
# compiled scan == reference
# ---------------------------------------------------------------------------
@given(seed=st.integers(0, 10_000), n=st.integers(1, 160), d=st.integers(1, 4),
       steps=st.integers(0, 4), spikes=st.integers(0, 3), alternate=st.booleans(),
       method=st.sampled_from(["steady", "cusum", "glr"]), window=st.integers(2, 12),
       settle=st.integers(2, 6), chunks=st.lists(st.integers(1, 40), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_scan_matches_reference_and_is_chunk_invariant(seed, n, d, steps, spikes, alternate, method, window,
                                                       settle, chunks):
    x = _features(seed, n, d, steps, spikes, alternate)
    prm = _params(method, d, window, settle, max_transient=30)
    size = _core.event_state_size(d, window, settle)
    assert size == ref.state_size(d, window, settle)
    s_k, s_r = np.zeros(size), np.zeros(size)
    out_k, out_r = np.zeros((n, _core.EVENT_FIELDS)), np.zeros((n, ref.EO_NFIELD))
    flush = bool(seed % 2)
    out_k, out_r = np.zeros((n + 1, _core.EVENT_FIELDS)), np.zeros((n + 1, ref.EO_NFIELD))
    nk = _core.event_scan(np.ascontiguousarray(x), prm, s_k, out_k, flush)
    nr = ref.event_scan(x, prm, s_r, out_r, flush)
    assert nk == nr >= 0
    np.testing.assert_array_equal(out_k[:nk], out_r[:nr])
    np.testing.assert_array_equal(s_k, s_r)
    # any chunking of the cycles gives the same records and state
    s_c = np.zeros(size)
    recs = []
    pos = 0
    k = 0
    while pos < n:
        step = chunks[k % len(chunks)]
        part = np.ascontiguousarray(x[pos:pos + step])
        o = np.zeros((len(part), _core.EVENT_FIELDS))
        m = _core.event_scan(part, prm, s_c, o)
        recs.append(o[:m])
        pos += step
        k += 1
    if flush:
        o = np.zeros((1, _core.EVENT_FIELDS))
        recs.append(o[:_core.event_scan(np.zeros((0, d)), prm, s_c, o, True)])
    np.testing.assert_array_equal(np.concatenate(recs), out_k[:nk])
    np.testing.assert_array_equal(s_c, s_k)


def test_scan_rejects_bad_shapes():
    prm = _params("steady", 2, 5, 3)
    x = np.zeros((4, 3))          # d = 3 but params say 2
    out = np.zeros((4, _core.EVENT_FIELDS))
    assert _core.event_scan(x, prm, np.zeros(_core.event_state_size(2, 5, 3)), out) < 0
    assert _core.event_scan(np.zeros((4, 2)), prm, np.zeros(7), out) < 0


def test_scan_finds_a_clean_step_at_its_cycle():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, (120, 2))
    x[60:] += 1.0
    prm = _params("steady", 2, 25, 8)
    out = np.zeros((120, _core.EVENT_FIELDS))
    n = _core.event_scan(x, prm, np.zeros(_core.event_state_size(2, 25, 8)), out)
    assert n == 1
    assert out[0, 0] == 60                     # onset cycle
    assert out[0, 1] == 68                     # confirmed with 8 whole cycles after it


# ---------------------------------------------------------------------------
# detector API, streaming == batch, persistence
# ---------------------------------------------------------------------------
def test_example_events_onsets_and_deltas(example_table):
    sig, table = example_table
    events = EventDetector().push(table)
    assert [e.kind for e in events] == [t.kind for t in sig.events]
    for e, t in zip(events, sig.events):
        assert abs(e.sample - t.sample) <= 2
        assert e.time == pytest.approx(e.sample / sig.fs)
        # the motor's inrush decays over about a second; the new state is
        # measured once it changes by less than 0.2 % of the level per cycle
        assert e.delta_p == pytest.approx(t.delta_p, rel=0.15 if t.load == "fridge" else 0.02)
        assert e.pre.cycles[1] < e.cycle <= e.post.cycles[0]
        assert e.pre.i_wave.shape == (table.n_points,) and e.post.v_wave.shape == (table.n_points,)
        assert e.transient.settling_cycles >= 0
        assert not e.clipped
    # the motor's inrush is seen in the transient
    motor = events[2]
    assert motor.transient.ratio > 1.5


@given(chunks=st.lists(st.integers(1, 300), min_size=1, max_size=8),
       method=st.sampled_from(["steady", "cusum", "glr"]))
@settings(max_examples=25, deadline=None)
def test_streaming_equals_batch(example_table, chunks, method):
    _, table = example_table
    batch = [_key(e) for e in EventDetector(method=method).push(table)]
    det = EventDetector(method=method)
    got = []
    pos, k = 0, 0
    while pos < len(table):
        step = chunks[k % len(chunks)]
        got.extend(det.push(table[pos:pos + step]))
        pos += step
        k += 1
    assert [_key(e) for e in got] == batch
    assert [_key(e) for e in det.events] == batch


@pytest.mark.parametrize("method", ["steady", "cusum", "glr"])
def test_detector_conformance(method):
    from currentprint.detectors.testing import check_detector
    assert check_detector(EventDetector(method=method))["alerts"] >= 4


def test_flush_judges_a_change_still_settling():
    # a motor whose inrush is still decaying when the recording ends
    sig = synth_signal(duration_s=3.0, fs=6400.0, loads={"base": Resistive(300.0),
                                                        "m": Motor(800.0, inrush=6.0, inrush_decay_s=0.6)},
                       schedule=[(2.2, "m", "on")], seed=5)
    table = cp.analyze(sig.current, sig.voltage, fs=sig.fs, waveforms=True)
    det = EventDetector()
    assert det.push(table) == []          # not settled yet
    late = det.flush()
    assert len(late) == 1 and late[0].kind == "on"
    assert abs(late[0].sample - sig.events[0].sample) <= 2
    assert det.flush() == []              # closed
    assert [e.sample for e in detect_events(sig.current, sig.voltage, fs=sig.fs)] == [late[0].sample]
    assert EventDetector().flush() == []


def test_history_kept_across_large_chunks(example_table):
    # a change confirmed early in a chunk needs cycles from the chunk before
    _, table = example_table
    batch = [_key(e) for e in EventDetector().push(table)]
    for cut in (99, 100, 101, 199, 200, 201, 250):
        det = EventDetector()
        got = det.push(table[:cut]) + det.push(table[cut:])
        assert [_key(e) for e in got] == batch, cut


def test_streaming_from_samples_one_cycle_chunks(example_table):
    sig, table = example_table
    batch = [_key(e) for e in EventDetector().push(table)]
    an = cp.CycleAnalyzer(sig.fs, waveforms=True)
    det = EventDetector()
    got = []
    step = 97   # fewer samples than a cycle: many pushes return no cycle at all
    for a in range(0, sig.n_samples, step):
        got.extend(det.push(an.push(sig.current[a:a + step], sig.voltage[a:a + step])))
    assert [_key(e) for e in got] == batch


def test_state_dict_round_trip(example_table):
    _, table = example_table
    batch = [_key(e) for e in EventDetector().push(table)]
    det = EventDetector()
    first = det.push(table[:230])
    saved = json.loads(json.dumps(det.state_dict()))
    det2 = EventDetector().load_state(saved)
    rest = det2.push(table[230:])
    assert [_key(e) for e in first + rest] == batch


def test_update_alerts_are_json_safe(example_table):
    _, table = example_table
    det = cp.get_detector("events")
    assert isinstance(det, EventDetector)
    alerts = det.update(table)
    assert len(alerts) == 4
    for a in alerts:
        assert a.kind == "event" and a.detector == "events"
        json.dumps(a.to_dict())
        assert a.detail["sample"] == a.sample


def test_params_and_reset(example_table):
    _, table = example_table
    det = EventDetector(window=30)
    assert det.get_params()["window"] == 30
    det.push(table)
    det.set_params(settle=6)
    assert det.settle == 6 and det.events == []
    det.push(table)
    n = len(det.events)
    det.reset()
    assert det.events == [] and det.push(table) and len(det.events) == n


# ---------------------------------------------------------------------------
# accuracy on synthetic truth
# ---------------------------------------------------------------------------
def _random_case(seed: int, fs: float):
    rng = np.random.default_rng(seed)
    loads = {}
    for k in range(4):
        p = float(np.exp(rng.uniform(np.log(15), np.log(2500))))
        kind = int(rng.integers(3))
        loads[f"l{k}"] = [Resistive(p), Motor(p, pf=float(rng.uniform(0.6, 0.95))), Rectifier(p)][kind]
    return synth_signal(duration_s=8.0, fs=fs, loads=loads, n_events=6, seed=seed, min_gap_s=1.0)


@pytest.mark.parametrize("fs", [6400.0, 10000.0, 30000.0])
def test_random_synthetic_scores(fs):
    tp = fp = fn = 0
    errors = []
    for seed in range(4):
        sig = _random_case(seed, fs)
        truth = [e.sample for e in sig.events]
        pred = [e.sample for e in detect_events(sig.current, sig.voltage, fs=fs)]
        s = event_scores(pred, truth, tolerance=0.1 * fs)
        tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
        ps, ts = np.sort(pred), np.sort(truth)
        errors += [abs(ps[a] - ts[b]) for a, b in match_events(pred, truth, tolerance=0.1 * fs)]
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.95, (tp, fp, fn)
    # onset located inside the cycle: a few samples at any rate
    assert np.median(errors) <= 2 * fs / 6400.0


def test_adc_counts_without_calibration_match_amperes():
    sig = cp.synth.example(dtype=np.int16)
    ev_counts = detect_events(sig.current, sig.voltage, fs=sig.fs)
    assert [e.kind for e in ev_counts] == ["on", "on", "on", "off"]
    for e, t in zip(ev_counts, sig.events):
        assert abs(e.sample - t.sample) <= 3
    cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"])
    ev_cal = detect_events(sig.current, sig.voltage, fs=sig.fs, calibration=cal)
    assert [e.sample for e in ev_cal] == [e.sample for e in ev_counts]
    for e, t in zip(ev_cal, sig.events):
        assert e.delta_p == pytest.approx(t.delta_p, rel=0.15 if t.load == "fridge" else 0.02)


def test_without_voltage_large_steps_are_found():
    sig = cp.synth.example()
    events = detect_events(sig.current, fs=sig.fs)
    truth = [e.sample for e in sig.events]
    s = event_scores([e.sample for e in events], truth, tolerance=0.1 * sig.fs)
    assert s["recall"] == 1.0 and s["precision"] >= 0.75
    assert all(np.isnan(e.delta_p) for e in events)
    # framed on the current itself (no voltage), onsets are within a cycle
    kettle = [e for e in events if abs(e.sample - 12800) < 128 or abs(e.sample - 38400) < 128]
    assert [e.kind for e in kettle] == ["on", "off"]
    assert all(e.delta_i1 == pytest.approx(8.7, rel=0.05) for e in kettle)


def test_absolute_floors_filter_small_events():
    sig = cp.synth.example()
    cal = None
    all_ev = detect_events(sig.current, sig.voltage, fs=sig.fs, calibration=cal)
    big = detect_events(sig.current, sig.voltage, fs=sig.fs, min_power_w=500.0)
    assert len(all_ev) == 4
    assert [round(e.delta_p, -2) for e in big] == [2000.0, -2000.0]
    cur = detect_events(sig.current, sig.voltage, fs=sig.fs, min_current_a=0.3)
    assert len(cur) == 4      # the 120 W PC draws 0.52 A fundamental... and the fridge ~0.87 A


# ---------------------------------------------------------------------------
# things that are not events
# ---------------------------------------------------------------------------
def test_noise_and_slow_drift_report_nothing():
    for seed in range(3):
        sig = synth_signal(duration_s=10.0, fs=6400.0, loads={"heater": Resistive(800.0),
                                                             "psu": Rectifier(90.0)},
                           noise_a=0.02, drift_hz=0.3, drift_period_s=6.0, seed=seed)
        # plus a slow 3 % ramp of the heater current (element warming up)
        ramp = 1.0 + 0.03 * np.linspace(0, 1, sig.n_samples)
        i = sig.current * ramp
        assert detect_events(i, sig.voltage, fs=sig.fs) == []


def test_burst_fired_load_is_not_an_event_per_cycle():
    # an induction-cooker-like burst load: conducts every other mains cycle,
    # each burst starting mid-cycle, on top of a small background
    fs, f = 6400.0, 50.0
    n = int(6 * fs)
    t = np.arange(n) / fs
    v = 311 * np.sin(2 * np.pi * f * t)
    rng = np.random.default_rng(0)
    period = int(fs / f)
    gate = ((np.arange(n) + period // 2) // period) % 2 == 0
    i = 0.3 * np.sin(2 * np.pi * f * t - 0.3) + gate * 8.0 * np.sin(2 * np.pi * f * t) \
        + 0.02 * rng.standard_normal(n)
    assert len(detect_events(i, v, fs=fs)) <= 1
    # a thermostat-like on/off every 3 cycles also stays quiet
    gate3 = (np.arange(n) // (3 * period)) % 2 == 0
    i3 = 0.3 * np.sin(2 * np.pi * f * t) + gate3 * 4.0 * np.sin(2 * np.pi * f * t) \
        + 0.02 * rng.standard_normal(n)
    assert len(detect_events(i3, v, fs=fs)) <= 2


def test_clipped_inrush_is_flagged_not_a_step():
    # a motor with inrush switching on, recorded by an ADC whose full scale is
    # below the inrush peak: the event is reported once and flagged clipped
    sig = synth_signal(duration_s=6.0, fs=6400.0, loads={"base": Resistive(200.0), "m": Motor(600.0, inrush=6.0)},
                       schedule=[(3.0, "m", "on")], seed=3, dtype=np.int16, adc_full_scale=(12.0, 400.0))
    assert sig.meta["clipped_current"] > 0
    cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"],
                         adc_full_scale=32767)
    with pytest.warns(cp.errors.ClippingWarning):
        events = detect_events(sig.current, sig.voltage, fs=sig.fs, calibration=cal)
    assert len(events) == 1
    e = events[0]
    assert e.clipped and e.transient.clipped_samples > 0
    assert abs(e.sample - sig.events[0].sample) <= 3
    assert e.delta_p == pytest.approx(sig.events[0].delta_p, rel=0.1)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"method": "hart"}, {"harmonics": (0, 3)}, {"harmonics": "abc"},
                                    {"window": 1}, {"settle": 1.5}, {"threshold": -1.0},
                                    {"rel_floor": float("nan")}, {"min_power_w": -5}])
def test_bad_parameters(kwargs):
    with pytest.raises(InputError):
        EventDetector(**kwargs)


def test_bad_input(example_table):
    sig, table = example_table
    with pytest.raises(InputError, match="valid"):
        detect_events(sig.current, sig.voltage, fs=sig.fs, windw=10)
    with pytest.raises(InputError, match="waveforms=True"):
        EventDetector().push(cp.analyze(sig.current, sig.voltage, fs=sig.fs))
    with pytest.raises(InputError):
        EventDetector().push(np.zeros(10))
    det = EventDetector()
    det.push(table[:50])
    with pytest.raises(InputError, match="voltage"):
        det.push(cp.analyze(sig.current[:20000], fs=sig.fs, waveforms=True))
    with pytest.raises(InputError, match="harmonics"):
        EventDetector(harmonics=(1, 31)).push(table)
    with pytest.raises(ValueError):
        detect_events(np.array([1.0, np.nan, 2.0]), fs=6400)
    assert EventDetector().push(table[:0]) == []


# ---------------------------------------------------------------------------
# evaluation helper
# ---------------------------------------------------------------------------
def test_event_scores_basic():
    s = event_scores([100, 5000, 9000], [110, 5200], tolerance=50)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 1)
    assert s["precision"] == pytest.approx(1 / 3) and s["recall"] == 0.5
    # one prediction cannot match two true events
    s = event_scores([100], [90, 110], tolerance=20)
    assert (s["tp"], s["fn"]) == (1, 1)
    # nothing to find and nothing reported: perfect (no miss, no false alarm)
    assert event_scores([], [], tolerance=5) == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0,
                                                 "fn": 0}
    assert event_scores([1, 2], [], tolerance=5)["precision"] == 0.0
    with pytest.raises(InputError):
        event_scores([1], [1], tolerance=-1)
    with pytest.raises(InputError):
        event_scores([np.nan], [1], tolerance=1)


def _max_matching(p, t, tol) -> int:
    # brute force: augmenting paths on the small bipartite graph
    match_t: dict[int, int] = {}

    def try_p(i, seen):
        for j, tj in enumerate(t):
            if abs(p[i] - tj) <= tol and j not in seen:
                seen.add(j)
                if j not in match_t or try_p(match_t[j], seen):
                    match_t[j] = i
                    return True
        return False

    return sum(try_p(i, set()) for i in range(len(p)))


@given(p=st.lists(st.integers(0, 200), max_size=12), t=st.lists(st.integers(0, 200), max_size=12),
       tol=st.integers(0, 30))
def test_event_scores_matching_is_maximal_and_one_to_one(p, t, tol):
    pairs = match_events(p, t, tolerance=tol)
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    ps, ts = np.sort(p), np.sort(t)
    assert all(abs(ps[a] - ts[b]) <= tol for a, b in pairs)
    assert len(pairs) == _max_matching(p, t, tol)
    s = event_scores(p, t, tolerance=tol)
    assert s["tp"] + s["fp"] == len(p) and s["tp"] + s["fn"] == len(t)


@given(seed=st.integers(0, 10_000), n=st.sampled_from([16, 128, 200]), rows=st.integers(3, 5),
       where=st.floats(0.0, 1.0), amp=st.floats(0.0, 5.0), frac=st.floats(0.0, 0.999),
       fracs=st.sampled_from([(0.5, 0.25), (0.0, 0.0), (0.9, 0.6)]))
def test_onset_refine_matches_reference(seed, n, rows, where, amp, frac, fracs):
    rng = np.random.default_rng(seed)
    period = n * (1 + rng.uniform(-0.01, 0.01, rows))
    start = 1000.0 + frac + np.concatenate([[0.0], np.cumsum(period[:-1])])
    ph = np.arange(n) / n
    u = np.sin(2 * np.pi * ph)[None, :] + 0.3 * np.sin(6 * np.pi * ph + 1)[None, :] \
        + 0.01 * rng.standard_normal((rows, n))
    if rows > 2:
        k0 = 2 + int(where * (rows - 2) * 0.999)
        m0 = int(where * n) % n
        u[k0, m0:] += amp * np.cos(2 * np.pi * ph[m0:])
        u[k0 + 1:] += amp * np.cos(2 * np.pi * ph)
    a = _core.onset_refine(u, start, period, 5.0, 1.5, *fracs)
    b = ref.onset_refine(u, start, period, 5.0, 1.5, *fracs)
    assert (np.isnan(a) and np.isnan(b)) or a == b


def test_long_ramp_streaming_equals_batch():
    # a step followed by slow ramps: the change is confirmed ~190 cycles after
    # its reference window; streaming must keep those cycles as batch does
    fs, n_per = 6400.0, 128
    g = np.ones(420)
    g[50:140] = np.linspace(2, 3, 90)
    g[140:300] = np.linspace(6, 9, 160)
    g[300:] = 9
    t = np.arange(g.size * n_per) / fs
    v = 325 * np.sin(2 * np.pi * 50 * t)
    i = np.repeat(g, n_per) * v / 100 + 0.002 * np.random.default_rng(0).standard_normal(t.size)
    table = cp.analyze(i, v, fs=fs, waveforms=True)
    det = cp.EventDetector()
    batch = [(e.sample, e.kind) for e in det.push(table) + det.flush()]
    assert batch
    for step in (1, 5, 20):
        det = cp.EventDetector()
        got = []
        for a in range(0, len(table), step):
            got += det.push(table[a:a + step])
        got += det.flush()
        assert [(e.sample, e.kind) for e in got] == batch


@pytest.mark.parametrize("pf,kind", [(0.95, "on"), (0.4, "on"), (0.1, "change")])
def test_switch_kind_follows_the_power_factor_of_the_change(pf, kind):
    # a load of apparent power 12 VA with a leading current (a small capacitor-input supply and
    # its EMI filter) over a 60 W resistive base: "on" down to a PF of MIN_SWITCH_PF
    from currentprint.detectors.events import MIN_SWITCH_PF
    assert 0.1 < MIN_SWITCH_PF < 0.4
    fs = 6400.0
    t = np.arange(int(3.0 * fs)) / fs
    w = 2 * np.pi * 50.0 * t
    v = 325.0 * np.sin(w)
    i_load = (12.0 / 230.0) * np.sqrt(2.0) * np.sin(w + np.arccos(pf))
    i = v / (230.0 ** 2 / 60.0) + np.where(t >= 1.5, i_load, 0.0)
    (ev,) = cp.detect_events(i, v, fs=fs)
    assert ev.kind == kind
    assert ev.delta_p == pytest.approx(12.0 * pf, rel=0.02)
