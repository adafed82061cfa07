"""Regression tests for bugs found in review of the parallel landings (one test per bug)."""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp

FS = 6400.0
N = 128


def _ramp_load(duration_s=4.0, on_s=1.0, ramp_s=1.2):
    """A load that steps on and then keeps rising for ``ramp_s`` (a lamp warming up, a soft starter)."""
    t = np.arange(int(duration_s * FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    ramp = np.clip((t - on_s) / ramp_s, 0.0, 1.0)
    i = v / 200.0 + (t >= on_s) * (0.3 + 0.7 * ramp) * v / 30.0
    return i, v


def test_switch_judges_stream_like_batch_after_a_long_transient():
    # the event is confirmed ~70 cycles after its onset: a one-cycle chunked stream must still hold the
    # cycles before the onset, as the whole recording does
    i, v = _ramp_load()
    batch = cp.Monitor(fs=FS, detectors=["resistive_load"])
    whole = [a.to_dict() for a in batch.push(i, v) + batch.flush()]
    stream = cp.Monitor(fs=FS, detectors=["resistive_load"])
    parts = []
    for k in range(0, i.shape[0], N):
        parts += stream.push(i[k:k + N], v[k:k + N])
    parts += stream.flush()
    assert whole and whole[0]["detail"]["background"] is not None
    assert [a.to_dict() for a in parts] == whole


def test_csv_with_a_utf8_byte_order_mark_reads_its_header(tmp_path):
    # spreadsheet programs ("CSV UTF-8") start the file with a BOM; the first column name must still match
    from currentprint.io import load_recording
    path = tmp_path / "excel.csv"
    path.write_bytes("current,voltage\n1.5,2\n3,4\n".encode("utf-8-sig"))
    rec = load_recording(path, fs=100.0)
    assert rec.current.tolist() == [1.5, 3.0] and rec.voltage.tolist() == [2.0, 4.0]
    path.write_bytes("1.5,2\n3,4\n".encode("utf-8-sig"))      # no header
    assert load_recording(path, fs=100.0).current.tolist() == [1.5, 3.0]


def test_cli_cycles_to_an_unwritable_path_is_a_usage_error_not_a_crash(tmp_path, capsys):
    from currentprint.cli import main
    t = np.arange(int(FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    path = tmp_path / "rec.npz"
    np.savez(path, current=v / 50.0, voltage=v, fs=FS)
    code = main(["analyze", str(path), "--detectors", "none", "--cycles", str(tmp_path / "no_dir" / "c.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "--cycles" in err
    assert main(["analyze", str(path), "--detectors", "none", "--cycles", str(tmp_path / "c.csv")]) == 0
    assert (tmp_path / "c.csv").read_text().startswith("time,")


@pytest.mark.parametrize("name", ["no_dir/plot.png", "plot.unknown_suffix"])
def test_cli_plot_to_a_bad_path_is_a_usage_error_not_a_crash(tmp_path, capsys, name):
    pytest.importorskip("matplotlib")
    from currentprint.cli import main
    t = np.arange(int(FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    path = tmp_path / "rec.npz"
    np.savez(path, current=v / 50.0, voltage=v, fs=FS)
    code = main(["analyze", str(path), "--detectors", "none", "--plot", str(tmp_path / name)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "--plot" in err


def test_cli_enroll_into_an_unwritable_library_path_is_a_usage_error(tmp_path, capsys):
    from currentprint.cli import main
    t = np.arange(int(FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50.0 * t)
    path = tmp_path / "rec.npz"
    np.savez(path, current=v / 50.0, voltage=v, fs=FS)
    code = main(["enroll", str(tmp_path / "no_dir" / "lib.json"), str(path), "--label", "heater"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "lib.json" in err


def test_a_state_saved_with_a_detectors_own_library_needs_it_back(tmp_path):
    """A tracker that identified with its own library must not come back silently library-less."""
    import currentprint as cp
    from currentprint.errors import InputError
    rng = np.random.default_rng(3)
    lib = cp.FingerprintLibrary()
    t = np.arange(6400) / 6400.0
    v = 325 * np.sin(2 * np.pi * 50 * t)
    for k in range(3):
        i = (v / (40 + k) + 0.01 * rng.standard_normal(t.size))
        lib.enroll("heater", cp.fingerprint(i, v, fs=6400.0))
    mon = cp.Monitor(6400, detectors=[cp.ApplianceTracker(library=lib)])
    mon.push(v / 40.0, v)
    path = tmp_path / "m.json"
    mon.save(path)
    with pytest.raises(InputError, match="library"):
        cp.Monitor.load(path)
    back = cp.Monitor.load(path, library=lib)
    assert back.detectors[0].library is lib
    # a tracker saved without any library restores without one
    bare = cp.Monitor(6400, detectors=["appliances"])
    bare.push(v / 40.0, v)
    bare.save(path)
    assert cp.Monitor.load(path).detectors[0].library is None
