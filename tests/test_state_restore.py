"""Monitor save/load restores everything exactly: parameters (types included), pending identifications.

A restarted terminal must continue as if it never stopped: the detectors
rebuilt from the file have the same parameters *and types* (a tuple stays a
tuple), and a switch-on alert still waiting for its identification when the
file was written is emitted after the restart, identified, exactly as
without the restart.
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp

FS = 6400


def _params_repr(mon):
    return [repr(sorted(d.get_params().items())) for d in mon.detectors]


def test_parameters_round_trip_with_their_types(tmp_path):
    dets = [cp.ArcFaultDetector(whitelist=((1.0, 0.3),), mode="iec62606"),
            cp.EventDetector(harmonics=(1, 3, 5), threshold=150.0),
            cp.ResistiveLoadDetector(whitelist=(600.0, 2000.0)),
            cp.OverloadDetector(10.0, tau_s=5.0)]
    mon = cp.Monitor(fs=FS, detectors=dets)
    sig = cp.synth.synth_signal(duration_s=0.5, fs=FS, loads={"k": cp.synth.Resistive(1000.0)}, seed=2)
    mon.run(sig.current, sig.voltage)
    mon.save(tmp_path / "m.json")
    back = cp.Monitor.load(tmp_path / "m.json")
    assert _params_repr(back) == _params_repr(mon)
    assert [type(d) for d in back.detectors] == [type(d) for d in dets]
    assert back.cycles_seen == mon.cycles_seen


def _library():
    lib = cp.FingerprintLibrary()
    kinds = {"kettle": lambda k: cp.synth.Resistive(1800.0 + 100 * k),
             "pc": lambda k: cp.synth.Rectifier(130.0 + 15 * k)}
    for k in range(3):
        for label, load in kinds.items():
            s = cp.synth.synth_signal(duration_s=0.6, fs=FS, loads={label: load(k)}, seed=200 + k)
            lib.enroll(label, cp.fingerprint(s.current, s.voltage, fs=s.fs))
    return lib


def test_pending_identification_survives_a_restart(tmp_path):
    lib = _library()
    sig = cp.synth.synth_signal(duration_s=2.5, fs=FS, loads={"kettle": cp.synth.Resistive(1900.0)},
                                schedule=[(1.0, "kettle", "on")], seed=4)
    i, v = sig.current, sig.voltage
    step = FS // 50                                   # one cycle per push
    # a detector that reports switch-ons without their steady windows: the Monitor
    # waits for the post-event cycles before identifying (the built-in events
    # detector reports its windows, so nothing waits)
    from test_monitor import StepEvents
    ref = cp.Monitor(fs=FS, detectors=[StepEvents()], library=lib)
    ref_alerts = []
    for a in range(0, len(i), step):
        ref_alerts += ref.push(i[a:a + step], v[a:a + step])
    ref_alerts += ref.flush()
    on = [x for x in ref_alerts if x.kind == "event" and x.detail.get("kind") == "on"]
    assert len(on) == 1 and on[0].detail["match"]["label"] == "kettle"

    mon = cp.Monitor(fs=FS, detectors=[StepEvents()], library=lib)
    got = []
    cut = None
    for a in range(0, len(i), step):
        got += mon.push(i[a:a + step], v[a:a + step])
        if cut is None and mon.state_dict()["pending"]:
            # the switch-on is confirmed but not yet identified: restart here
            mon.save(tmp_path / "m.json")
            mon = cp.Monitor.load(tmp_path / "m.json", detectors=[StepEvents()], library=lib)
            cut = a
    got += mon.flush()
    assert cut is not None, "no moment with a pending identification was found"
    assert [x.to_dict() for x in got] == [x.to_dict() for x in ref_alerts]


def test_calibration_round_trips_whole(tmp_path):
    cal = cp.Calibration(current_scale=0.02, voltage_scale=0.5, current_sign=-1, phase_deg=2.5, current_offset=3.0,
                         voltage_offset=-1.0, adc_full_scale=2047.0)
    mon = cp.Monitor(fs=FS, calibration=cal, detectors=["overload"])
    mon.save(tmp_path / "m.json")
    back = cp.Monitor.load(tmp_path / "m.json")
    assert back.calibration == cal
    assert cp.Calibration.from_dict(cal.to_dict()) == cal


@pytest.mark.parametrize("field,value", [("schema", "someone.else.state"), ("version", 999)])
def test_a_file_of_another_kind_or_version_is_refused(tmp_path, field, value):
    import json
    mon = cp.Monitor(fs=FS, detectors=["overload"])
    mon.save(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    assert field in data
    data[field] = value                       # everything else is a valid state
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(cp.errors.CorruptFileError):
        cp.Monitor.load(tmp_path / "x.json")
    # the same for a library file
    lib = _library()
    lib.save(tmp_path / "lib.json")
    data = json.loads((tmp_path / "lib.json").read_text())
    data[field] = value
    (tmp_path / "y.json").write_text(json.dumps(data))
    with pytest.raises(cp.errors.CorruptFileError):
        cp.FingerprintLibrary.load(tmp_path / "y.json")
