"""Loads on a circuit with others running (issue 12): background-aware deltas,
heater rules over a background, identification of switch-on/off over a
background, the appliance ledger, wall-clock timestamps, the CLI ledger."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import currentprint as cp
from currentprint.circuits import Circuit
from currentprint.detectors._background import background_delta, background_period
from currentprint.detectors.resistive import judge_resistive
from currentprint.detectors.testing import check_detector

from conftest import DATA

FS = 6400.0
N = 128


def _mains(duration_s, *, v3=0.03):
    t = np.arange(int(round(duration_s * FS))) / FS
    w = 2 * np.pi * 50.0 * t
    return 325.0 * (np.sin(w) + v3 * np.sin(3 * w + 0.4))


def _burst(v, *, every=2, amp=12.0):
    """An induction-cooker-like burst load: conducts one voltage cycle in ``every``, starting mid-cycle."""
    n = v.shape[0]
    k = np.arange(n)
    cyc = (k + N // 2) // N                      # on-periods start half-way through a voltage cycle
    on = (cyc % every) == 0
    return np.where(on, amp * np.sin(2 * np.pi * 50.0 * k / FS + 0.3) + 2.0 * np.sin(2 * np.pi * 1450.0 * k / FS), 0.0)


# -- background-aware deltas -----------------------------------------------------------------
def test_background_period_finds_the_rhythm():
    rng = np.random.default_rng(0)
    base = np.sin(2 * np.pi * np.arange(N) / N)
    for period in (1, 2, 3, 4):
        pattern = [base * (1 + 0.5 * (k % period == 0)) for k in range(24)] if period > 1 else [base] * 24
        w = np.array(pattern) + 1e-3 * rng.standard_normal((24, N))
        assert background_period(w) == period
    assert background_period(np.zeros((24, N))) == 1


def test_delta_over_a_burst_background_is_the_added_load():
    v = _mains(3.0)
    heater = v / 30.0
    on = int(1.5 * FS)
    i = _burst(v) + np.where(np.arange(v.shape[0]) >= on, heater, 0.0)
    t = cp.analyze(i, v, fs=FS, waveforms=True)
    e = int(np.searchsorted(t.start, on, side="right")) - 1
    for pre_len in (23, 24, 25):                 # odd windows are cut to whole periods
        bd = background_delta(t.i_wave, t.v_wave, t.p, t.q, t.v_rms, (e - pre_len, e), (e + 1, e + 10),
                              transient=(e, e + 10))
        assert bd.period == 2 and bd.pre.n_cycles % 2 == 0 and bd.post.n_cycles % 2 == 0
        want = t.v_wave[e + 2] / 30.0
        assert np.max(np.abs(bd.delta - want)) < 0.01 * np.max(np.abs(want))
        assert 0.98 < bd.inrush < 1.03               # the burst's own peaks are not the heater's inrush
    # the naive mean over an odd window leaves half a burst in the delta
    naive = t.i_wave[e + 1:e + 10].mean(0) - t.i_wave[e - 25:e].mean(0)
    assert np.max(np.abs(naive - want)) > 0.03 * np.max(np.abs(want))


def test_heater_alarms_over_a_burst_background_and_a_pfc_load_does_not():
    v = _mains(4.0)
    k = np.arange(v.shape[0])
    on = k >= int(2.0 * FS)
    heater = cp.Monitor(fs=FS, detectors=["resistive_load"]).run(_burst(v) + on * (v / 30.0), v)
    assert [a.kind for a in heater] == ["resistive_load"]
    assert heater[0].detail["background"]["period_cycles"] == 2
    # a PFC supply: a clean sine in phase (it does not copy the voltage's 3rd harmonic)
    pfc = 7.0 * np.sin(2 * np.pi * 50.0 * k / FS)
    assert cp.Monitor(fs=FS, detectors=["resistive_load"]).run(_burst(v) + on * pfc, v) == []


def test_noise_widens_the_heater_limits_and_zero_noise_keeps_them():
    f = {"power_w": 1500.0, "pf": 0.99, "mismatch": 0.018, "v_thd": 0.03, "odd_thd": 0.05, "inrush": 1.2,
         "shoulder": 0.0}
    quiet = judge_resistive(f, min_power_w=200.0)
    assert not quiet["proportional"]["passed"] and not quiet["inrush"]["passed"]
    assert quiet["inrush"]["limit"] == 1.15
    noisy = judge_resistive(f, min_power_w=200.0, noise=0.01, noise_peak=0.03)
    assert noisy["proportional"]["passed"] and noisy["inrush"]["passed"]
    assert noisy["proportional"]["limit"] == pytest.approx(np.hypot(quiet["proportional"]["limit"], 0.015))
    assert noisy["inrush"]["limit"] == pytest.approx(1.15 + 0.09)
    assert noisy["pf"]["limit"] < quiet["pf"]["limit"]


# -- real mixtures ---------------------------------------------------------------------------
def _rec(label, n):
    from currentprint.io import load_recording
    return load_recording(DATA / "hfhadc" / f"{label}_{n:02d}.npz")


needs_hfhadc = pytest.mark.skipif(not (DATA / "hfhadc").is_dir(), reason="HFHAD-C recordings not available")


@needs_hfhadc
@pytest.mark.parametrize("heater,n", [("kettle", 23), ("water_dispenser", 31), ("rice_cooker", 27)])
def test_real_heater_over_the_real_induction_cooker_alarms(heater, n):
    c = Circuit.from_recording(_rec("induction_cooker", n), duration_s=3.0)
    c.add_recording(_rec(heater, n + 1), on_s=1.5, resistive=True)
    alerts = cp.Monitor(fs=FS, detectors=["resistive_load"]).run(c.current, c.voltage)
    assert [a.kind for a in alerts] == ["resistive_load"]
    # within the cycle of the switch-on (the onset inside the cycle is located against the previous
    # cycle, which a burst background makes differ)
    assert abs(alerts[0].sample - 1.5 * FS) <= N


@needs_hfhadc
@pytest.mark.parametrize("load,bg", [("air_conditioner", "kettle"), ("induction_cooker", "water_heater"),
                                     ("laptop", "induction_cooker"), ("air_conditioner", "induction_cooker")])
def test_no_heater_alarm_for_other_loads_over_a_running_one(load, bg):
    c = Circuit.from_recording(_rec(bg, 25), duration_s=3.0)
    c.add_recording(_rec(load, 26), on_s=1.5)
    assert cp.Monitor(fs=FS, detectors=["resistive_load"]).run(c.current, c.voltage) == []


@pytest.mark.skipif(not (DATA / "tabanelli").is_dir(), reason="Tabanelli recordings not available")
def test_real_moka_pot_alarms():
    d = np.load(DATA / "tabanelli" / "0212_1400_ElectricMoka.npz")
    det = cp.ResistiveLoadDetector(calibrated=False, min_power_w=1e4)
    alerts = cp.Monitor(fs=float(d["fs"]), detectors=[det]).run(d["current"], d["voltage"])
    assert len(alerts) == 1 and alerts[0].detail["rules"]["inrush"]["passed"]


@pytest.fixture(scope="module")
def libraries():
    if not (DATA / "hfhadc").is_dir():
        pytest.skip("HFHAD-C recordings not available")
    labels = ["refrigerator", "tv", "air_conditioner", "laptop", "range_hood", "kettle", "washing_machine"]

    def make(keep):
        lib = cp.FingerprintLibrary()
        for lab in keep:
            for n in range(1, 9):
                r = _rec(lab, n)
                lib.enroll(lab, cp.fingerprint(r.current, r.voltage, fs=FS, calibration=r.calibration))
        return lib

    return make(labels), make([x for x in labels if x != "air_conditioner"])


@needs_hfhadc
@pytest.mark.parametrize("app,bg", [("tv", "kettle"), ("air_conditioner", "washing_machine"),
                                    ("refrigerator", "laptop")])
def test_switch_on_and_off_named_over_a_running_appliance(libraries, app, bg):
    lib, _ = libraries
    c = Circuit.from_recording(_rec(bg, 30), duration_s=4.0)
    c.add_recording(_rec(app, 33), on_s=1.0, off_s=2.8)
    alerts = cp.Monitor(fs=FS, detectors=["events"], library=lib).run(c.current, c.voltage)
    got = {a.detail["kind"]: a.detail["match"]["label"] for a in alerts if a.kind == "event"}
    assert got == {"on": app, "off": app}


@needs_hfhadc
def test_left_out_appliance_is_unknown_over_a_background(libraries):
    _, without_ac = libraries
    c = Circuit.from_recording(_rec("kettle", 30), duration_s=3.0)
    c.add_recording(_rec("air_conditioner", 33), on_s=1.5)
    alerts = cp.Monitor(fs=FS, detectors=["events"], library=without_ac).run(c.current, c.voltage)
    (a,) = [a for a in alerts if a.kind == "event"]
    assert a.detail["match"]["label"] == "unknown" and a.detail["match"]["noise_spread"] > 0


def test_identify_spread_widens_the_radius():
    rng = np.random.default_rng(1)
    lib = cp.FingerprintLibrary()
    v = _mains(0.2)
    for k in range(5):
        lib.enroll("heater", cp.fingerprint(v / (30 + rng.uniform(-0.5, 0.5)), v, fs=FS))
    far = cp.fingerprint(np.abs(v) / 30.0 - 3.0, v, fs=FS)
    base = lib.identify(far)
    assert base.label == "unknown"
    assert lib.identify(far, spread=0.0) == base
    assert lib.identify(far, spread=10 * base.distance).label == "heater"
    assert lib.distance(far, far) == 0.0
    with pytest.raises(ValueError):
        lib.identify(far, spread=-1.0)


# -- the ledger ------------------------------------------------------------------------------
def _schedule():
    """A clean mains with a heater, a lagging motor and a small rectifier switched on and off."""
    v = _mains(12.0)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch((v / 35.0)[int(1.0 * FS):int(8.0 * FS)], label="heater", on_s=1.0, off_s=8.0)
    c.add_branch((np.roll(v, lag) / 90.0)[int(3.0 * FS):int(10.5 * FS)], label="motor", on_s=3.0, off_s=10.5)
    return c


def test_tracker_energy_and_on_time_match_the_truth():
    c = _schedule()
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    mon.run(c.current, c.voltage)
    rows = tracker.timeline()
    assert len(rows) == 2 and tracker.running() == []
    for row, truth in zip(rows, c.truth()):
        assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.01 * truth["energy_wh"]
        # onsets within a cycle (a lagging motor's current starts near its own zero)
        assert abs(row["on_sample"] - truth["on_sample"]) <= N
        assert abs(row["duration_s"] - (truth["off_s"] - truth["on_s"])) <= 2 / 50.0
    book = tracker.ledger()
    assert book["unknown"]["runs"] == 2 and book["unknown"]["running"] == 0


def test_tracker_knows_what_runs_now_and_counts_its_energy_so_far():
    c = _schedule()
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    mon.run(c.current[:int(5 * FS)], c.voltage[:int(5 * FS)])
    assert len(tracker.running()) == 2
    heater = tracker.timeline()[0]
    assert heater["running"] and heater["off_s"] is None
    p = float(np.mean((c.voltage / 35.0) ** 2 * 35.0))
    assert heater["energy_wh"] == pytest.approx(p * (5.0 - 1.0) / 3600, rel=0.02)


def test_tracker_conforms_and_restores_mid_stream():
    check_detector(cp.ApplianceTracker())
    c = _schedule()
    a = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[a])
    cut = int(6.3 * FS)
    mon.run(c.current[:cut], c.voltage[:cut])
    state = json.loads(json.dumps(mon.state_dict()))
    b = cp.Monitor.from_state(state)
    rest_a = mon.run(c.current[cut:], c.voltage[cut:])
    rest_b = b.run(c.current[cut:], c.voltage[cut:])
    assert [x.to_dict() for x in rest_a] == [x.to_dict() for x in rest_b]
    assert b.detectors[0].timeline() == a.timeline()


def test_tracker_state_is_plain_data():
    c = _schedule()
    t = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[t]).run(c.current[:int(4 * FS)], c.voltage[:int(4 * FS)])
    text = json.dumps(t.state_dict())
    assert "__object__" not in text                  # nothing is rebuilt from a class name on load
    with pytest.raises(ValueError):
        cp.ApplianceTracker().load_state({"state": {"runs": "garbage"}})


@needs_hfhadc
def test_tracker_names_runs_with_the_monitors_library(libraries):
    lib, _ = libraries
    c = Circuit.from_recording(_rec("washing_machine", 30), duration_s=10.0)
    c.add_recording(_rec("tv", 31), on_s=1.0, off_s=7.0)
    c.add_recording(_rec("air_conditioner", 32), on_s=3.0, off_s=6.0)
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker], library=lib)
    mon.run(c.current, c.voltage)
    book = tracker.ledger()
    assert set(book) == {"tv", "air_conditioner"}
    truth = {t["label"]: t["energy_wh"] for t in c.truth()[1:]}
    assert abs(book["air_conditioner"]["energy_wh"] - truth["air_conditioner"]) <= 0.05 * truth["air_conditioner"]
    # the TV's own power wanders inside its recording (86 W at the switchings, 91 W on average) over a
    # washing machine that wanders too, with the air conditioner on for half the run: its drift cannot
    # be told from the background's (docs/ledger.md, "what cannot be known") and it is booked ~9 % low
    assert abs(book["tv"]["energy_wh"] - truth["tv"]) <= 0.10 * truth["tv"]


def test_start_time_stamps_alerts_and_rows_in_utc():
    c = _schedule()
    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))     # Beijing time
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker, "events"], start_time=t0)
    alerts = mon.run(c.current, c.voltage)
    assert alerts and all(a.timestamp == t0 + timedelta(seconds=a.sample / FS) for a in alerts)
    assert all(a.timestamp.utcoffset() == timedelta(0) for a in alerts)
    assert json.loads(json.dumps(alerts[0].to_dict()))["timestamp"].endswith("+00:00")
    assert tracker.timeline()[0]["on_time"] == datetime(2026, 11, 27, 1, 0, 1, tzinfo=timezone.utc)
    naive = cp.Monitor(fs=FS, detectors=[], start_time=datetime(2026, 1, 1))
    assert naive.start_time.tzinfo == timezone.utc
    with pytest.raises(ValueError):
        cp.Monitor(fs=FS, detectors=[], start_time="2026-01-01")


def test_to_pandas_has_a_datetime_index():
    pd = pytest.importorskip("pandas")
    c = _schedule()
    tracker = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tracker], start_time=datetime(2026, 11, 27, 8, 0)).run(c.current, c.voltage)
    df = tracker.to_pandas()
    assert isinstance(df.index, pd.DatetimeIndex) and str(df.index.tz) == "UTC"
    assert list(df["label"]) == ["unknown", "unknown"]
    assert df["energy_wh"].sum() == pytest.approx(sum(r["energy_wh"] for r in tracker.timeline()))


def test_to_pandas_without_a_start_time_says_what_to_do():
    pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="start_time"):
        cp.ApplianceTracker().to_pandas()


# -- command line ----------------------------------------------------------------------------
def test_cli_analyze_ledger_prints_the_table(tmp_path, capsys):
    from currentprint.cli import main
    c = _schedule()
    path = tmp_path / "mix.npz"
    np.savez(path, current=c.current, voltage=c.voltage, fs=FS)
    assert main(["analyze", str(path), "--ledger", "--detectors", "none",
                 "--start-time", "2026-11-27T08:00:00+00:00"]) == 0
    out, err = capsys.readouterr()
    recs = [json.loads(x) for x in out.splitlines()]
    ledger = [r for r in recs if r.get("record") == "ledger"]
    assert len(ledger) == 1 and ledger[0]["runs"] == 2
    assert "energy Wh" in err and "unknown" in err
    assert all(r["timestamp"].startswith("2026-11-27T08:00") for r in recs if r.get("record") == "alert")


@needs_hfhadc
def test_cli_enroll_from_a_switch_on_event(tmp_path, capsys):
    from currentprint.cli import main
    c = Circuit.from_recording(_rec("refrigerator", 5), duration_s=4.0)
    c.add_recording(_rec("tv", 6), on_s=2.0)
    path = tmp_path / "tv_on.npz"
    np.savez(path, current=c.current, voltage=c.voltage, fs=FS)
    lib_path = tmp_path / "lib.json"
    assert main(["enroll", str(lib_path), str(path), "--label", "tv", "--event", "1"]) == 0
    lib = cp.FingerprintLibrary.load(lib_path)
    (entry,) = list(lib.entries())
    assert entry[0] == "tv" and entry[2]["event_time_s"] == pytest.approx(2.0, abs=0.02)
    tv = _rec("tv", 7)
    assert lib.identify(cp.fingerprint(tv.current, tv.voltage, fs=FS, calibration=tv.calibration)).label == "tv"
    capsys.readouterr()
    assert main(["enroll", str(lib_path), str(path), "--label", "tv", "--event", "3"]) != 0


# -- event detection over a burst background -------------------------------------------------
def test_small_load_over_a_burst_background_is_an_event_in_any_chunking():
    v = _mains(6.0)
    k = np.arange(v.shape[0])
    small = np.where(k >= int(4.0 * FS), 0.6 * np.sin(2 * np.pi * 50.0 * k / FS - 0.5), 0.0)   # ~95 W, lagging
    i = _burst(v) + small
    t = cp.analyze(i, v, fs=FS, waveforms=True)
    whole = [e.sample for e in cp.EventDetector().push(t)]
    assert len(whole) == 1 and abs(whole[0] - 4.0 * FS) <= N
    for step in (1, 7, 50):
        det = cp.EventDetector()
        got = []
        for a in range(0, len(t), step):
            got += [e.sample for e in det.push(t[a:a + step])]
        assert got == whole
    # the same load on a steady background: features unchanged by the rhythm test
    steady = cp.analyze(v / 40.0 + small, v, fs=FS, waveforms=True)
    det = cp.EventDetector()
    x = det._features(steady)
    assert np.array_equal(det._rhythm(x), x)


def test_two_loads_off_in_one_switching_close_both_runs():
    v = _mains(10.0)
    c = Circuit(v, FS)
    c.add_branch((v / 40.0)[int(1.0 * FS):int(7.0 * FS)], label="a", on_s=1.0, off_s=7.0)
    c.add_branch((v / 90.0)[int(3.0 * FS):int(7.0 * FS)], label="b", on_s=3.0, off_s=7.0)
    tracker = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    rows = tracker.timeline()
    assert len(rows) == 2 and tracker.running() == [] and tracker.unpaired() == []
    for row, truth in zip(rows, c.truth()):
        assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.01 * truth["energy_wh"]


# -- ledger energy from the measured aggregate, end of data ------------------------------------
def _wandering_tv_over_a_motor(duration_s=12.0):
    """A lagging motor runs throughout; a rectifier load (a TV) runs 2-9 s and its power swells
    by ~25 % in the middle of its run (the picture), back to its switch-on level at its switch-off."""
    v = _mains(duration_s)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch(np.roll(v, lag) / 120.0, label="base")
    a, b = int(2.0 * FS), int(9.0 * FS)
    k = np.arange(b - a) / (b - a)
    swell = 1.0 + 0.25 * np.sin(np.pi * k) ** 2
    pulses = np.sign(v) * np.maximum(np.abs(v) - 0.9 * 325.0, 0.0) * 0.3
    c.add_branch(pulses[a:b] * swell, label="tv", on_s=a / FS, off_s=b / FS)
    return c


def test_tracker_books_a_load_that_changes_while_it_runs():
    c = _wandering_tv_over_a_motor()
    truth = c.truth()[1]
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    mon.run(c.current, c.voltage)
    (row,) = tracker.timeline()
    # its switching steps alone (the old booking) miss the swell by ~12 %
    steps = 0.5 * (tracker._runs[0]["on_power_w"] + tracker._runs[0]["off_power_w"]) * row["duration_s"] / 3600
    assert abs(steps - truth["energy_wh"]) > 0.08 * truth["energy_wh"]
    assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.01 * truth["energy_wh"]


def test_finish_books_a_late_switching_and_the_runs_still_on():
    from currentprint.synth import Motor, Resistive, synth_signal
    # a heater from 1 s; a motor at 2.2 s whose inrush is still decaying when the data end at 3 s
    sig = synth_signal(duration_s=3.0, fs=FS, loads={"base": Resistive(300.0), "h": Resistive(1500.0),
                                                     "m": Motor(800.0, inrush=6.0, inrush_decay_s=0.6)},
                       schedule=[(1.0, "h", "on"), (2.2, "m", "on")], seed=5)
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=["events", tracker])       # the two share one event detector
    alerts = mon.run(sig.current, sig.voltage)
    assert len(tracker.timeline()) == 1                           # the motor has not settled
    final = mon.flush()
    assert any(a.kind == "event" for a in final)                  # the event detector's own alert ...
    ons = [a for a in final if a.kind == "appliance" and a.detail["state"] == "on"]
    assert len(ons) == 1 and abs(ons[0].sample - 2.2 * FS) <= N   # ... and the tracker's, from the same flush
    ends = [a for a in final if a.kind == "appliance" and a.detail["state"] == "end"]
    assert len(ends) == 2 and not any(a.kind == "appliance" and a.detail["state"] == "end" for a in alerts)
    heater, motor = tracker.timeline()
    assert heater["running"] and motor["running"] and heater["off_s"] is None
    assert heater["duration_s"] == pytest.approx(2.0, abs=1.5 / 50.0)        # up to the last whole cycle
    assert heater["energy_wh"] == pytest.approx(1500.0 * heater["duration_s"] / 3600, rel=0.005)
    assert motor["duration_s"] == pytest.approx(0.8, abs=1.5 / 50.0)
    assert mon.flush() == [] and tracker.finish() == []          # finishing twice books nothing twice


def test_tracker_state_with_unattributed_cycles_is_checked():
    c = _schedule()
    t = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[t]).run(c.current[:int(4 * FS)], c.voltage[:int(4 * FS)])
    state = t.state_dict()
    assert cp.ApplianceTracker().load_state(json.loads(json.dumps(state))).timeline() == t.timeline()
    from currentprint._state import decode, encode
    bad = decode(json.loads(json.dumps(state))["state"])
    bad["done"] = bad["seen"] + 5                      # more cycles attributed than seen
    with pytest.raises(ValueError, match="ApplianceTracker"):
        cp.ApplianceTracker().load_state({"state": encode(bad)})


def test_two_switchings_in_one_event_are_booked_apart():
    # a heater off and a rectifier on 4 cycles later: the event detector sees one net step
    v = _mains(12.0)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    off, on = int(6.0 * FS) + 37, int(6.0 * FS) + 37 + 4 * N
    pulses = np.sign(v) * np.maximum(np.abs(v) - 0.9 * 325.0, 0.0) * 0.4
    c.add_branch((np.roll(v, lag) / 100.0)[int(1.0 * FS):int(10.0 * FS)], label="motor", on_s=1.0, off_s=10.0)
    c.add_branch((v / 45.0)[int(3.0 * FS):off], label="heater", on_s=3.0, off_s=off / FS)
    c.add_branch(pulses[on:int(9.0 * FS)], label="pc", on_s=on / FS, off_s=9.0)
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    mon.run(c.current, c.voltage)
    mon.flush()
    rows = sorted(tracker.timeline(), key=lambda r: r["on_sample"])
    assert len(rows) == 3 and tracker.unpaired() == [] and tracker.running() == []
    for row, truth in zip(rows, c.truth()):
        assert abs(row["on_sample"] - truth["on_sample"]) <= N
        assert abs(row["off_sample"] - truth["off_sample"]) <= N
        assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.02 * truth["energy_wh"]


def test_a_switch_off_closes_the_load_of_its_shape_not_two_whose_powers_add_up():
    # a heater whose element warms (its power falls 10 % while others run, so its tracked power is
    # off by that at its switch-off), and a lagging motor and a rectifier whose powers add up to
    # the heater's at its switch-off: by power alone the pair fits better than the heater
    v = _mains(12.0)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    k = np.arange(v.shape[0]) / FS
    g = np.where(k < 3.0, 1.0, 1.0 - 0.1 * np.clip((k - 3.0) / 5.0, 0.0, 1.0)) / 60.0
    c.add_branch((v * g)[int(1.0 * FS):int(8.0 * FS)], label="heater", on_s=1.0, off_s=8.0)
    motor = np.roll(v, lag) / 140.0
    c.add_branch(motor[int(3.0 * FS):int(10.0 * FS)], label="motor", on_s=3.0, off_s=10.0)
    pulses = np.sign(v) * np.maximum(np.abs(v) - 0.9 * 325.0, 0.0)
    p_heater_end = 0.9 * float(np.mean(v * v / 60.0))
    scale = (p_heater_end - float(np.mean(motor * v))) / float(np.mean(pulses * v))
    c.add_branch((pulses * scale)[int(5.0 * FS):int(11.0 * FS)], label="pc", on_s=5.0, off_s=11.0)
    tracker = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    rows = tracker.timeline()
    assert len(rows) == 3 and tracker.unpaired() == []
    for row, truth in zip(rows, c.truth()):
        assert abs(row["off_sample"] - truth["off_sample"]) <= N
        assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.02 * truth["energy_wh"]


def test_a_load_gone_under_a_noisy_background_is_closed_without_its_event():
    # a 73 W motor runs; a 900 W burst load whose duty wanders cycle by cycle joins it; the motor's
    # switch-off under that noise is no event, but its current leaving is seen by the shape fit
    v = _mains(14.0)
    c = Circuit(v, FS)
    rng = np.random.default_rng(3)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch(v / 100.0, label="base")
    c.add_branch((np.roll(v, lag) / 600.0)[int(2.0 * FS):int(8.0 * FS)], label="motor", on_s=2.0, off_s=8.0)
    duty = 1 + 0.05 * np.repeat(rng.normal(0, 1, v.shape[0] // N + 1), N)[:v.shape[0]]
    noisy = _burst(v) * duty + rng.normal(0, 0.3, v.shape[0])
    c.add_branch(noisy[int(4.0 * FS):int(12.0 * FS)], label="cooker", on_s=4.0, off_s=12.0)
    tracker = cp.ApplianceTracker()
    alerts = cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    events = cp.detect_events(c.current, c.voltage, fs=FS)
    assert not any(abs(e.sample - 8.0 * FS) < 0.5 * FS for e in events)      # the switch-off is no event
    motor, cooker = tracker.timeline()
    truth = c.truth()[1]
    assert motor["inferred_off"] and not cooker["inferred_off"]
    assert abs(motor["off_sample"] - truth["off_sample"]) <= 5 * N
    assert abs(motor["energy_wh"] - truth["energy_wh"]) <= 0.05 * truth["energy_wh"]
    gone = [a for a in alerts if a.detail.get("inferred")]
    assert len(gone) == 1 and gone[0].sample == motor["off_sample"]
    assert tracker.unpaired() == [] and tracker.running() == []
    # any chunking, and a save/restore in the middle of the drop, give the same ledger
    other = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[other])
    cut = int(8.3 * FS)
    mon.run(c.current[:cut], c.voltage[:cut], chunk=97)
    restored = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict())))
    restored.run(c.current[cut:], c.voltage[cut:], chunk=1000)
    assert restored.detectors[0].timeline() == tracker.timeline()


def test_a_wandering_background_widens_the_ratio_noise():
    # a rectifier background whose pulses grow slowly (a charger, a compressor under a rising head)
    # moves between the windows before and after a heater's switch-on more than its cycle noise says
    v = _mains(3.0)
    rng = np.random.default_rng(7)
    k = np.arange(v.shape[0])
    pulses = np.sign(v) * np.maximum(np.abs(v) - 0.9 * 325.0, 0.0) * 0.2
    on = int(1.5 * FS)
    heater = np.where(k >= on, v / 200.0, 0.0)
    noise = rng.normal(0.0, 0.02, v.shape[0])

    def noise_and_error(growth):
        i = pulses * (1.0 + growth * k / FS) + heater + noise
        t = cp.analyze(i, v, fs=FS, waveforms=True)
        e = int(np.searchsorted(t.start, on, side="right")) - 1
        bd = background_delta(t.i_wave, t.v_wave, t.p, t.q, t.v_rms, (e - 24, e), (e + 1, e + 10))
        # what the background really left in the delta's harmonic ratios
        spec = np.fft.rfft(bd.delta - bd.post.v_wave / 200.0)
        error = float(np.sqrt(np.sum(np.abs(spec[2:16]) ** 2)) / np.abs(np.fft.rfft(bd.delta)[1]))
        return bd.ratio_noise, error

    steady, _ = noise_and_error(0.0)
    assert 0 < steady < 0.01                       # white noise only: the cycle-noise term
    wandering, error = noise_and_error(0.3)
    assert error > 3 * steady                      # the pulses' growth over the gap is in the delta ...
    # ... and in the noise the rules are widened by (a steady trend is scaled as a random walk:
    # under-estimated by the square root of the distance ratio)
    assert wandering >= 0.5 * error


@needs_hfhadc
def test_small_reactive_load_under_a_large_heater_is_tracked():
    # a desktop PC on standby (6.5 W, -11 var: its EMI filter capacitor) switched on and off under a
    # steady kettle and rice cooker (1.4 kW): 0.5 % of the level, under the default event floor (0.2 % of the level),
    # and a "change" by the P/Q rule; the tracker finds it by its jump over the measured noise and
    # books it because the library names it
    lib = cp.FingerprintLibrary()
    for lab in ("desktop_pc", "kettle", "tv", "laptop", "refrigerator"):
        for n in range(1, 6):
            r = _rec(lab, n)
            lib.enroll(lab, cp.fingerprint(r.current, r.voltage, fs=FS, calibration=r.calibration))
    c = Circuit.from_recording(_rec("kettle", 30), duration_s=9.0)
    c.add_recording(_rec("rice_cooker", 25), on_s=1.0, resistive=True)
    c.add_recording(_rec("desktop_pc", 30), on_s=3.5, off_s=7.0)
    truth = c.truth()[2]
    assert truth["label"] == "desktop_pc"
    default = cp.detect_events(c.current, c.voltage, fs=FS)
    assert not any(abs(e.sample - truth["on_sample"]) <= 0.1 * FS for e in default)
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker], library=lib)
    mon.run(c.current, c.voltage, chunk=1280)
    mon.flush()
    (row,) = [r for r in tracker.timeline() if abs(r["on_sample"] - truth["on_sample"]) <= 0.1 * FS]
    assert row["label"] == "desktop_pc"
    assert row["off_sample"] is not None and abs(row["off_sample"] - truth["off_sample"]) <= 0.1 * FS
    assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.15 * truth["energy_wh"]
    # the same ledger in other chunkings (the onset refinement reads only confirmed cycles)
    for chunk in (701, len(c.current)):
        other = cp.ApplianceTracker()
        m = cp.Monitor(fs=FS, detectors=[other], library=lib)
        m.run(c.current, c.voltage, chunk=chunk)
        m.flush()
        assert other.timeline() == tracker.timeline()


def test_small_step_onset_is_found_again_on_the_cycles_power():
    from types import SimpleNamespace
    from currentprint.detectors.ledger import _refine_onset
    rng = np.random.default_rng(3)
    n, first, true = 120, 1000, 60                # the load switches 40 % into cycle 60
    p = 1500.0 + 0.3 * rng.standard_normal(n)
    q = 20.0 + 0.3 * rng.standard_normal(n)
    p[true + 1:] += 7.0
    q[true + 1:] -= 11.0
    p[true] += 0.6 * 7.0
    q[true] -= 0.6 * 11.0
    start = np.arange(n) * N + 5.0
    hist = {"p": p, "q": q, "start": start, "period": np.full(n, float(N))}
    state = SimpleNamespace(p=1500.0, q=20.0, cycles=(0, 0))

    def event(cycle, post_last, dp=7.0, dq=-11.0):
        sample = int(start[cycle - first])
        return cp.Event(sample=sample, time=sample / FS, cycle=cycle, kind="change", delta_p=dp, delta_q=dq,
                        delta_i_rms=0.0, delta_i1=0.05, pre=state, post=SimpleNamespace(cycles=(0, post_last)),
                        transient=None, clipped=False, score=30.0, detected_cycle=post_last, method="steady")

    # found 7 cycles late: moved back to the switching cycle, inside it at 40 %
    ev = _refine_onset(event(first + true + 7, first + true + 20), hist, first)
    assert ev.cycle == first + true
    assert abs(ev.sample - (start[true] + 0.4 * N)) <= 0.1 * N
    assert ev.time == pytest.approx(ev.sample / FS)
    # within a cycle of it: the detector's own in-cycle onset is kept
    same = event(first + true + 1, first + true + 20)
    assert _refine_onset(same, hist, first) is same
    # a large step (here 7 W called 20 % of the level) is left to the detector's jump
    big = event(first + true + 7, first + true + 20, dp=400.0, dq=0.0)
    assert _refine_onset(big, hist, first) is big
    # only the cycles the event was confirmed with: too few after the onset, nothing moves
    early = event(first + true + 7, first + true + 7)
    assert _refine_onset(early, hist, first) is early


# -- session 5: a background stepping with the heater; two named switch-offs; noise-weighted fit ----
def _rectifier(v, scale):
    """A capacitor-input supply's current: pulses near the voltage peaks (A)."""
    return np.sign(v) * np.maximum(np.abs(v) - 0.9 * 325.0, 0.0) * scale


def _supply_stepping_at(v, at, before=0.1, after=0.065):
    """A ~140 W supply whose load drops by a third (60 -> 37 W-like) in the cycle ``at`` (sample)."""
    k = np.arange(v.shape[0])
    return _rectifier(v, np.where(k < at, before, after))


def test_heater_alarms_when_the_background_steps_in_the_same_cycle():
    v = _mains(4.0)
    at = int(2.0 * FS)
    on = np.arange(v.shape[0]) >= at
    i = _supply_stepping_at(v, at) + on * (v / 60.0)
    (a,) = cp.Monitor(fs=FS, detectors=["resistive_load"]).run(i, v)
    f = a.detail["features"]
    # judged without the supply's own drop (it drew less of its own current: alpha < 0)
    assert -1.0 < f["background_step"] < -0.2 and f["background_step_w"] < 0
    assert abs(a.sample - at) <= N
    # the plain judgement of the same step fails on the supply's harmonics
    ok, _f0, rules = cp.ResistiveLoadDetector().judge(*_pre_post(i, v, at), calibrated=True)
    assert not ok and not rules["proportional"]["passed"]


def _pre_post(i, v, at):
    t = cp.analyze(i, v, fs=FS, waveforms=True)
    e = int(np.searchsorted(t.start, at, side="right")) - 1
    bd = background_delta(t.i_wave, t.v_wave, t.p, t.q, t.v_rms, (e - 24, e), (e + 2, e + 10),
                          transient=(e, e + 10))
    return bd.pre, bd.post


@pytest.mark.parametrize("load", ["pfc", "rectifier"])
def test_no_heater_alarm_when_a_non_heater_comes_on_as_the_background_steps(load):
    v = _mains(4.0)
    at = int(2.0 * FS)
    k = np.arange(v.shape[0])
    on = k >= at
    # a PFC supply's sine (copies none of the voltage's distortion), or a larger rectifier
    new = 4.0 * np.sin(2 * np.pi * 50.0 * k / FS) if load == "pfc" else _rectifier(v, 0.8)
    i = _supply_stepping_at(v, at) + on * new
    assert cp.Monitor(fs=FS, detectors=["resistive_load"]).run(i, v) == []


def _run(label, p, shape):
    from currentprint.detectors.ledger import _FRESH_FIT
    return {"label": label, "on_sample": 0, "off_sample": None, "on_power_w": p, "off_power_w": None,
            "on_match": None, "off_match": None, "shape": list(shape), "p_on_ref": p, "p_ref": p, "p_now": p,
            "energy_j": 0.0, "inferred_off": False, **_FRESH_FIT}


def test_a_named_switch_off_closes_a_second_run_only_when_the_step_holds_its_power_and_shape():
    rng = np.random.default_rng(5)
    s_ac, s_hood = rng.normal(0, 1, 30), rng.normal(0, 0.3, 30)
    tr = cp.ApplianceTracker()
    tr._runs = [_run("air_conditioner", 720.0, s_ac), _run("range_hood", 74.0, s_hood)]
    both = tr._close("air_conditioner", 794.0, s_ac + s_hood, 2.0)
    assert [r["label"] for r in both] == ["air_conditioner", "range_hood"]
    # the compressor drew 10 % more of its own current: a drift, not the hood leaving with it
    assert [r["label"] for r in tr._close("air_conditioner", 792.0, 1.1 * s_ac, 2.0)] == ["air_conditioner"]
    # within the step's noise: one load
    assert [r["label"] for r in tr._close("air_conditioner", 725.0, s_ac, 2.0)] == ["air_conditioner"]
    # a rest far from the other run's power: one load
    assert [r["label"] for r in tr._close("air_conditioner", 900.0, s_ac + s_hood, 2.0)] == ["air_conditioner"]


def test_noise_weighted_fit_discounts_the_background_scatter_direction():
    from currentprint.detectors.ledger import _fit, _fit_white
    rng = np.random.default_rng(2)
    d = 30
    a = rng.normal(0, 1, (d, 2))
    # cycle noise 30x larger along one direction than elsewhere, near the first shape (a TV
    # supply's scatter beside a PC's current)
    u = a[:, 0] / np.linalg.norm(a[:, 0]) + 0.5 * rng.normal(0, 1, d) / np.sqrt(d)
    u /= np.linalg.norm(u)
    cyc = rng.normal(0, 0.01, (600, d)) + np.outer(rng.normal(0, 0.3, 600), u)
    cov = (cyc - cyc.mean(0)).T @ (cyc - cyc.mean(0))
    truth = np.array([0.0, -1.0])
    err_plain, err_white = [], []
    for k in range(50):
        dh = a @ truth + rng.normal(0, 0.01, d) + rng.normal(0, 0.3) * u
        err_plain.append(np.abs(_fit(a, dh) - truth).max())
        err_white.append(np.abs(_fit_white(a, dh, cov, 599) - truth).max())
    assert np.median(err_white) < 0.3 * np.median(err_plain)
    # without a measured scatter it is the plain fit
    dh = a @ truth
    assert np.allclose(_fit_white(a, dh, np.zeros((d, d)), 0), _fit(a, dh))



def test_only_the_run_just_switched_on_is_relevelled_at_the_next_reference():
    # the lone-run re-levelling (a heater warming between its switch-on step and the first block)
    # belongs to the run that has just switched on; after another load's switching, the runs left
    # are not fresh (their level is not moved by that switching's step noise)
    c = _schedule()                      # heater on 1-8 s, motor on 3-10.5 s
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    cut = int(4.0 * FS)
    mon.run(c.current[:cut], c.voltage[:cut])
    assert [r["fresh"] for r in tracker._runs] == [False, True]
    restored = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict())))
    assert [r["fresh"] for r in restored.detectors[0]._runs] == [False, True]
    mon.run(c.current[cut:int(9.0 * FS)], c.voltage[cut:int(9.0 * FS)])
    assert [r["fresh"] for r in tracker._runs] == [False, False]      # the heater's switch-off


def test_a_partial_block_before_a_switching_does_not_move_the_tracked_power():
    # the cycles just before a switching may already hold part of it (an onset found a cycle
    # late): a lone run's power follows the drift fit only over whole blocks
    rng = np.random.default_rng(4)
    shape, bg = rng.normal(0, 1, 30), rng.normal(0, 1, 30)

    def tracker_at(n, drop):
        tr = cp.ApplianceTracker()
        tr._fs = FS
        tr._runs = [_run("cooker", 500.0, shape)]
        tr._ref_h, tr._ref_p = bg + shape, 600.0
        h = np.tile(bg + (1.0 - drop) * shape, (n, 1))
        tr._buf = {"p": np.full(n, 600.0 - drop * 500.0), "start": np.arange(n) * float(N),
                   "period": np.full(n, float(N)), "h": h}
        return tr

    part = tracker_at(8, 0.15)
    part._block(8, full=False)
    assert part._runs[0]["p_now"] == 500.0
    whole = tracker_at(12, 0.15)
    whole._block(12, full=True)
    assert abs(whole._runs[0]["p_now"] - 425.0) < 1.0


def _gone_trial(drop_c, drop_p, p_run=7.0, scatter=1.0):
    """A 7 W run beside a second one: 8 blocks of history, then 3 blocks after a drop of its
    coefficient (``drop_c``) and of the total power (``drop_p``, W). Returns the run."""
    from currentprint.detectors.ledger import BLOCK
    tr = cp.ApplianceTracker()
    tr._fs = FS
    pc, other = _run("desktop_pc", p_run, np.ones(30)), _run("air_conditioner", 720.0, np.ones(30))
    pc["on_sample"] = 0
    tr._runs = [pc, other]
    tr._buf = {"p": np.zeros(BLOCK), "start": np.zeros(BLOCK), "period": np.full(BLOCK, float(N)),
               "h": np.zeros((BLOCK, 30))}
    c_hist = [scatter * x for x in (0.12, -0.12, 0.10, -0.10, 0.12, -0.12, 0.10, -0.10)]
    p_hist = [1000.8, 999.2, 1001.0, 999.0, 1000.8, 999.2, 1001.0, 999.0]
    for k, (cc, pp) in enumerate(zip(c_hist + [drop_c] * 3, p_hist + [1000.0 - drop_p] * 3)):
        tr._buf["start"] = (k * BLOCK + np.arange(BLOCK)) * float(N)
        tr._vanished([pc, other], np.array([cc, 0.0]), np.ones((30, 2)), BLOCK, pp)
    return pc


def test_a_small_run_gone_is_closed_when_its_shape_and_the_power_both_say_so():
    # the coefficient of a small supply fitted with a template measured over a kW background is
    # diluted (a whole departure reads -0.6, 5.4 standard deviations of its scatter, under the 6
    # required alone); the total power falling by the run's power at the same blocks confirms it
    pc = _gone_trial(-0.6, 7.2)
    assert pc["inferred_off"] and pc["off_sample"] is not None
    # the fall of the power is a second measurement of the run's power (as a switch-off event's)
    assert pc["off_power_w"] == pytest.approx(7.2)
    # the same shape drop without the power: not closed (a wander of a similar current)
    assert not _gone_trial(-0.6, 0.0)["inferred_off"]
    # a power fall that is not the run's (a background stepping down by 40 W): not closed
    assert not _gone_trial(-0.6, 40.0)["inferred_off"]
    # a drop well beyond 6 standard deviations is enough alone, and without a power fall the
    # tracked power stays
    alone = _gone_trial(-0.95, 0.0)
    assert alone["inferred_off"] and alone["off_power_w"] == 7.0


def test_a_diluted_departure_confirmed_by_the_power_is_closed():
    # a template measured over a kW heater reads a whole departure as -0.45 (regression dilution):
    # far outside the coefficient's scatter (0.06) and the power fell by the run's power -> closed
    pc = _gone_trial(-0.45, 7.2, scatter=0.5)
    assert pc["inferred_off"] and pc["off_power_w"] == pytest.approx(7.2)
    # without the power's fall it must read -1 within its tolerance: not closed
    assert not _gone_trial(-0.45, 0.0, scatter=0.5)["inferred_off"]
    # less than a third of its current gone: not closed even with a power fall of its size
    assert not _gone_trial(-0.25, 7.2, scatter=0.5)["inferred_off"]


# -- session 6: a load leaving beside another switching; heaters named by conductance ----------
def _departure_circuit(pc_off_s, *, seed=5):
    """A lagging ~200 W motor with a little noise throughout; a ~7 W supply from 1 s to
    ``pc_off_s``; a 1 kW heater from 3 s to 6 s."""
    v = _mains(12.0)
    rng = np.random.default_rng(seed)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch(np.roll(v, lag) / 250.0 + rng.normal(0, 0.03, v.shape[0]), label="base")
    pc = _rectifier(v, 0.005)
    c.add_branch(pc[int(1.0 * FS):int(pc_off_s * FS)], label="pc", on_s=1.0, off_s=pc_off_s)
    c.add_branch((v / 52.9)[int(3.0 * FS):int(6.0 * FS)], label="heater", on_s=3.0, off_s=6.0)
    return c


@pytest.mark.parametrize("cycles", [-6, 4])
def test_a_small_load_leaving_a_few_cycles_from_another_switching_is_closed(cycles):
    # the supply leaves 6 cycles before the heater switches off (inside that event's "before"
    # window: the heater's step reads large by it) or 4 cycles after (while the event detector
    # waits for the new state to settle): no event of its own either way, and the reference
    # taken after the heater's switching never had it
    off_s = 6.0 + cycles / 50.0
    c = _departure_circuit(off_s)
    tracker = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    rows = tracker.timeline()
    assert [r["on_sample"] // N for r in rows] == [50, 150]
    truth = {t["label"]: t for t in c.truth()}
    pc, heater = rows
    assert pc["inferred_off"] and abs(pc["off_sample"] - truth["pc"]["off_sample"]) <= 2 * N
    assert not heater["inferred_off"]
    for row, t in ((pc, truth["pc"]), (heater, truth["heater"])):
        assert abs(row["energy_wh"] - t["energy_wh"]) <= 0.05 * t["energy_wh"]
    # any chunking, and a save/restore just after the heater's switching, give the same ledger
    other = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[other])
    cut = int(6.3 * FS)
    mon.run(c.current[:cut], c.voltage[:cut], chunk=333)
    restored = cp.Monitor.from_state(json.loads(json.dumps(mon.state_dict())))
    restored.run(c.current[cut:], c.voltage[cut:], chunk=1000)
    assert restored.detectors[0].timeline() == rows


def test_a_small_load_still_running_beside_another_switching_is_not_closed():
    c = _departure_circuit(11.0)
    tracker = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    pc = tracker.timeline()[0]
    assert not pc["inferred_off"] and abs(pc["off_sample"] - 11.0 * FS) <= 2 * N


def _heater_library(v3, v5):
    """Two heaters (1000 W, 1200 W) and a lagging motor enrolled on a mains with the given distortion."""
    t = np.arange(int(2.0 * FS)) / FS
    w = 2 * np.pi * 50.0 * t
    rng = np.random.default_rng(1)
    lib = cp.FingerprintLibrary()
    for k in range(6):
        v = 325.0 * (np.sin(w) + v3 * np.sin(3 * w + 0.4) + v5 * np.sin(5 * w + 1.0)) * (1 + 0.01 * k)
        for label, ohm in (("kettle", 52.9), ("water_heater", 44.1)):
            r = ohm * (1.0 + 0.004 * rng.normal())
            lib.enroll(label, cp.fingerprint(v / r + rng.normal(0, 0.01, v.shape[0]), v, fs=FS))
        lag = int(round(35.0 / 360.0 * N))
        lib.enroll("motor", cp.fingerprint(np.roll(v, lag) / 300.0, v, fs=FS))
    return lib


def test_a_heater_on_another_mains_is_named_by_its_conductance():
    # a resistive element copies the voltage: enrolled on a mains with 3 % third harmonic, a
    # heater's harmonics on a mains with 4 % fifth are all different, and the library's shape
    # distance rejects it; its conductance (P / V^2) is the enrolled one
    from currentprint.detectors.ledger import _resistive_match
    lib = _heater_library(0.03, 0.0)
    t = np.arange(int(2.0 * FS)) / FS
    w = 2 * np.pi * 50.0 * t
    v = 310.0 * (np.sin(w) + 0.04 * np.sin(5 * w + 2.0))
    rng = np.random.default_rng(2)
    fp = cp.fingerprint(v / 44.1 + rng.normal(0, 0.01, v.shape[0]), v, fs=FS)
    assert lib.identify(fp).label == "unknown"             # the shape alone does not name it
    m = _resistive_match(lib, fp)
    assert m is not None and m.label == "water_heater"
    assert _resistive_match(lib, cp.fingerprint(v / 52.9, v, fs=FS)).label == "kettle"
    # a conductance between the two (1100 W), or a lagging load: not named
    assert _resistive_match(lib, cp.fingerprint(v / 48.1, v, fs=FS)) is None
    lag = int(round(35.0 / 360.0 * N))
    assert _resistive_match(lib, cp.fingerprint(np.roll(v, lag) / 44.1, v, fs=FS)) is None
    # the step's own noise widens the tolerance: 1100 W with 5 W of noise is still none; with
    # 20 W (4 sigma: 80 W) it reaches the bands, and the nearer one is named
    assert _resistive_match(lib, cp.fingerprint(v / 48.1, v, fs=FS), 5.0) is None
    assert _resistive_match(lib, cp.fingerprint(v / 48.1, v, fs=FS), 20.0) is not None


def test_tracker_names_a_heater_over_a_background_on_another_mains():
    lib = _heater_library(0.03, 0.0)
    v = _mains(8.0, v3=0.0)
    k = np.arange(v.shape[0])
    v = v + 0.04 * 325.0 * np.sin(5 * 2 * np.pi * 50.0 * k / FS + 2.0)
    c = Circuit(v, FS)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch(np.roll(v, lag) / 300.0, label="base")
    c.add_branch((v / 44.1)[int(3.0 * FS):int(6.0 * FS)], label="water_heater", on_s=3.0, off_s=6.0)
    tracker = cp.ApplianceTracker(library=lib)
    cp.Monitor(fs=FS, detectors=[tracker]).run(c.current, c.voltage)
    (row,) = tracker.timeline()
    assert row["label"] == "water_heater" and row["off_s"] == pytest.approx(6.0, abs=0.02)


def _tracker_with_blocks(arrive_at, shape, p_load, *, n=40, noise=0.02, seed=4):
    """A tracker whose kept blocks hold a noisy background and, from block ``arrive_at`` (half
    of that block), a load of current ``shape`` and power ``p_load`` (W); None: no load."""
    from currentprint.detectors.ledger import BLOCK
    rng = np.random.default_rng(seed)
    tr = cp.ApplianceTracker()
    tr._fs = FS
    base = rng.normal(0, 1.0, 30)
    for k in range(n):
        share = 0.0 if arrive_at is None or k < arrive_at else (0.5 if k == arrive_at else 1.0)
        h = base + noise * rng.normal(0, 1.0, 30) + share * shape
        p = 900.0 + rng.normal(0, 0.5) + share * p_load
        t0 = k * BLOCK * N
        tr._blocks.append((h.astype(np.float32), p, float(t0), float(t0 + BLOCK * N), 3))
    tr._n_switch = 3
    return tr


class _Off:
    def __init__(self, sample):
        self.sample = sample


def test_a_switch_on_never_found_is_found_back_from_its_named_switch_off():
    from currentprint.detectors.ledger import BLOCK
    shape = np.r_[np.linspace(0.3, 0.05, 15), np.linspace(-0.2, 0.02, 15)]
    tr = _tracker_with_blocks(20, shape, 7.0)
    off = 40 * BLOCK * N + 500
    run = tr._appeared(_Off(off), "desktop_pc", 7.0, shape)
    assert run is not None and run["inferred_on"] and run["label"] == "desktop_pc"
    # inside block 20, half-way (its coefficient reads half the load)
    assert abs(run["on_sample"] - 20.5 * BLOCK * N) <= 0.1 * BLOCK * N
    assert run["p_now"] == pytest.approx(7.0, abs=0.5)
    assert tr._late and tr._late[0].detail["state"] == "on"
    # nothing arrived, or a current of another shape, or one whose power is not the load's: none
    assert _tracker_with_blocks(None, shape, 7.0)._appeared(_Off(off), "desktop_pc", 7.0, shape) is None
    other = np.roll(shape, 7) * np.r_[np.ones(15), -np.ones(15)]
    assert _tracker_with_blocks(20, other, 7.0)._appeared(_Off(off), "desktop_pc", 7.0, shape) is None
    assert _tracker_with_blocks(20, shape, 40.0)._appeared(_Off(off), "desktop_pc", 7.0, shape) is None
    # the kept blocks are part of the state
    restored = cp.ApplianceTracker().load_state(json.loads(json.dumps(tr.state_dict())))
    assert len(restored._blocks) == len(tr._blocks)
    assert np.array_equal(restored._blocks[-1][0], tr._blocks[-1][0])


def _noisy_mains_stream(duration_s, seed=0):
    """A resistive load with cycle noise on a 50 Hz mains (no switching): blocks pile up."""
    v = _mains(duration_s)
    rng = np.random.default_rng(seed)
    return 2.0 * v / 325.0 * 10.0 + 0.05 * rng.normal(size=v.shape[0]), v


def test_the_kept_blocks_are_bounded_by_history_s_not_by_the_time_run():
    from currentprint._state import encode
    sizes, counts = [], []
    for dur in (6.0, 12.0):
        i, v = _noisy_mains_stream(dur)
        tr = cp.ApplianceTracker(history_s=2.0)
        cp.Monitor(fs=FS, detectors=[tr]).run(i, v, chunk=int(0.2 * FS))
        blocks = list(tr._blocks)
        # whole blocks lying within the last 2 s (12 cycles = 0.24 s at 50 Hz: 8 of them)
        assert 7 <= len(blocks) <= 9
        assert blocks[-1][3] - blocks[0][2] <= 2.0 * FS
        counts.append(len(blocks))
        sizes.append(len(json.dumps(encode(tr.state_dict()["state"]["blocks"]))))
    assert counts[0] == counts[1]
    assert abs(sizes[1] - sizes[0]) <= 0.1 * sizes[0]
    # the parameter is a parameter: saved with the monitor, and 0 keeps nothing
    assert cp.ApplianceTracker(history_s=2.0).get_params()["history_s"] == 2.0
    i, v = _noisy_mains_stream(3.0)
    tr = cp.ApplianceTracker(history_s=0)
    cp.Monitor(fs=FS, detectors=[tr]).run(i, v)
    assert len(tr._blocks) == 0


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), 1e6, "300"])
def test_history_s_is_range_checked_also_when_read_from_a_file(bad, tmp_path):
    with pytest.raises(cp.errors.InputError):
        cp.ApplianceTracker(history_s=bad)
    mon = cp.Monitor(fs=FS, detectors=[cp.ApplianceTracker(history_s=2.0)])
    st = mon.state_dict()
    from currentprint._state import encode
    for d in st["detectors"]:
        if d["name"] == "appliances":
            d["params"] = encode({"history_s": bad})
    with pytest.raises(cp.errors.CorruptFileError, match="history_s"):
        cp.Monitor.from_state(st)


def test_old_tracker_states_still_load():
    """States from before the kept blocks (no ``blocks``) and from the round that kept them as
    float64 with float switch counts load; a longer saved history is cut to ``history_s``."""
    i, v = _noisy_mains_stream(8.0)
    tr = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tr])
    mon.run(i, v, chunk=int(0.2 * FS))
    from currentprint._state import decode, encode
    st = decode(tr.state_dict()["state"])
    assert st["blocks"]["h"].dtype == np.float32 and len(tr._blocks) > 8
    old = dict(st)
    old["blocks"] = {"h": st["blocks"]["h"].astype(float), "sw": st["blocks"]["sw"].astype(float),
                     **{k: st["blocks"][k] for k in ("p", "t0", "t1")}}
    back = cp.ApplianceTracker().load_state({"state": encode(old)})
    assert len(back._blocks) == len(tr._blocks)
    assert np.array_equal(back._blocks[-1][0], tr._blocks[-1][0])
    short = cp.ApplianceTracker(history_s=1.0).load_state({"state": encode(old)})
    assert 3 <= len(short._blocks) <= 5
    older = {k: x for k, x in st.items() if k not in ("blocks", "n_switch")}
    assert len(cp.ApplianceTracker().load_state({"state": encode(older)})._blocks) == 0
    # blocks out of time order are refused
    bad = dict(old)
    bad["blocks"] = dict(old["blocks"], t0=old["blocks"]["t0"][::-1].copy())
    with pytest.raises(cp.errors.InputError):
        cp.ApplianceTracker().load_state({"state": encode(bad)})


@needs_hfhadc
def test_a_jump_under_a_lone_appliance_is_not_its_drift():
    """A 7 W PC whose switchings are no events leaves under a rice cooker while a refrigerator runs
    alone: the total falls by 7 W in one block. That is a switching, not the refrigerator's drift
    (the drift fit gave it +7 W, which its switch-off step then spread over its whole run: 8 % low)."""
    c = Circuit.from_recording(_rec("rice_cooker", 28), duration_s=20.0)
    for lab, n, on, off in [("kettle", 13, 1.192, 5.78), ("desktop_pc", 15, 4.006, 12.084),
                            ("refrigerator", 5, 6.075, 12.83)]:
        c.add_recording(_rec(lab, n), label=lab, on_s=on, off_s=off, resistive=lab == "kettle")
    tracker = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tracker])
    mon.run(c.current, c.voltage, chunk=int(0.2 * FS))
    mon.flush()
    truth = next(t for t in c.truth() if t["label"] == "refrigerator")
    (row,) = [r for r in tracker.timeline() if abs(r["on_sample"] - truth["on_sample"]) <= 0.1 * FS]
    assert abs(row["energy_wh"] - truth["energy_wh"]) <= 0.05 * truth["energy_wh"]
    assert abs(row["energy_wh"] - truth["energy_wh"]) <= 3.0 * row["energy_sd_wh"]
