"""The command line: sub-commands, output formats, exit codes, file formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

import currentprint as cp
from currentprint.cli import main

from conftest import data_path

ROOT = Path(__file__).resolve().parents[1]
# subprocesses import the same currentprint as this process (source tree or installed)
PKG_PARENT = str(Path(cp.__file__).resolve().parents[1])


class CliHigh(cp.BaseDetector):
    name = "test_cli_high"

    def __init__(self, level_a: float = 5.0):
        self.level_a = level_a
        self._above = False

    def update(self, cycles):
        out = []
        for s, r in zip(cycles.start.tolist(), cycles.i_rms.tolist()):
            if (r > self.level_a) != self._above:
                self._above = not self._above
                if self._above:
                    out.append(cp.Alert(kind="high", sample=int(s), detail={"i_rms": r}))
        return out


@pytest.fixture(autouse=True, scope="module")
def _registered():
    from currentprint.detectors.base import _registry
    cp.register_detector(CliHigh, replace=True)
    yield
    _registry.pop(CliHigh.name, None)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def lines(out: str) -> list[dict]:
    """Event, alert and summary records (the per-interval records are tested in test_first_hour.py)."""
    recs = [json.loads(x) for x in out.splitlines() if x.strip()]
    return [r for r in recs if r.get("record") != "interval"]


@pytest.fixture(scope="module")
def kettle_sig():
    return cp.synth.synth_signal(duration_s=3.0, fs=6400, loads={"kettle": cp.synth.Resistive(2000.0)},
                                 schedule=[(1.0, "kettle", "on"), (2.0, "kettle", "off")], seed=4)


# -- demo / info --------------------------------------------------------------------------------
def test_demo_text(capsys):
    code, out, err = run(capsys, "demo")
    assert code == 0
    assert "498 cycles analysed" in out and "ground truth" in out
    assert "Traceback" not in err


def test_demo_json(capsys):
    code, out, _ = run(capsys, "demo", "--json", "--detectors", "none")
    assert code == 0
    res = json.loads(out)
    assert res["cycles"] == 498 and len(res["per_second"]) == 10 and res["alerts"] == []
    kettle = res["per_second"][3]
    assert abs(kettle["p"] - 2120) < 30           # pc 120 W + kettle 2000 W
    assert [e["time"] for e in res["truth"]] == [1.0, 2.0, 4.0, 6.0]


def test_demo_finds_the_events(capsys):
    pytest.importorskip("currentprint.detectors.events")
    code, out, _ = run(capsys, "demo", "--json", "--detectors", "events")
    times = np.array([a["time"] for a in json.loads(out)["alerts"] if a["record"] == "event"])
    for truth in (1.0, 2.0, 4.0, 6.0):       # every switching is reported (extra reports are the detector's call)
        assert np.min(np.abs(times - truth)) < 0.05, (truth, times)


def test_info(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0
    info = json.loads(out)
    assert info["currentprint"] == cp.__version__ and info["core_compiled"]
    assert info["numpy"] == np.__version__ and info["cpu_count"] >= 1 and "events" in info["detectors"]


def test_usage_errors_exit_2(capsys):
    for argv in (["nonsense"], [], ["analyze"], ["analyze", "x.npz", "--fs", "-3"], ["bench", "--fs", "abc"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2, argv
    capsys.readouterr()


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and cp.__version__ in capsys.readouterr().out


# -- analyze --------------------------------------------------------------------------------------
def test_analyze_npz_json_lines(tmp_path, capsys, kettle_sig):
    f = tmp_path / "rec.npz"
    np.savez(f, current=kettle_sig.current, voltage=kettle_sig.voltage, fs=kettle_sig.fs)
    code, out, err = run(capsys, "analyze", f, "--detectors", "test_cli_high")
    assert code == 0, err
    recs = lines(out)
    assert recs[-1]["record"] == "summary" and recs[-1]["cycles"] >= 145 and recs[-1]["alerts"] == 1
    alert = recs[0]
    assert alert["record"] == "alert" and alert["detector"] == "test_cli_high"
    assert abs(alert["time"] - 1.0) < 0.03
    # --fail-on-alert turns the finding into exit code 1
    code, _, _ = run(capsys, "analyze", f, "--detectors", "test_cli_high", "--fail-on-alert")
    assert code == 1
    code, out, _ = run(capsys, "analyze", f, "--detectors", "none", "--fail-on-alert")
    assert code == 0 and len(lines(out)) == 1


def test_analyze_unknown_detector_is_usage_error(tmp_path, capsys, kettle_sig):
    f = tmp_path / "rec.npz"
    np.savez(f, current=kettle_sig.current, voltage=kettle_sig.voltage, fs=kettle_sig.fs)
    code, _, err = run(capsys, "analyze", f, "--detectors", "no_such_thing")
    assert code == 2 and "no detector named" in err


def test_analyze_counts_with_scales(tmp_path, capsys, kettle_sig):
    """int16 counts: scales in the file, or given on the command line, give the same amperes."""
    counts = cp.synth.synth_signal(duration_s=3.0, fs=6400, loads={"kettle": cp.synth.Resistive(2000.0)},
                                   schedule=[(1.0, "kettle", "on")], seed=4, dtype=np.int16)
    si, sv = counts.meta["current_scale"], counts.meta["voltage_scale"]
    f1 = tmp_path / "scaled.npz"
    np.savez(f1, current=counts.current, voltage=counts.voltage, fs=6400.0, current_scale=si, voltage_scale=sv)
    f2 = tmp_path / "raw.npz"
    np.savez(f2, current=counts.current, voltage=counts.voltage, fs=6400.0)
    a = lines(run(capsys, "analyze", f1, "--detectors", "test_cli_high")[1])
    b = lines(run(capsys, "analyze", f2, "--detectors", "test_cli_high", "--current-scale", si,
                  "--voltage-scale", sv)[1])
    c = lines(run(capsys, "analyze", f2, "--detectors", "test_cli_high")[1])
    assert len(a) == 2 and abs(a[0]["time"] - 1.0) < 0.03
    assert a[:-1] == b[:-1]                                   # the same alert, in amperes
    assert abs(a[0]["detail"]["i_rms"] - 2000 / 230) < 0.1
    assert c[0] != a[0]                                       # counts, not amperes: scales matter


def test_analyze_csv_and_wav(tmp_path, capsys, kettle_sig):
    i, v = kettle_sig.current, kettle_sig.voltage
    t = np.arange(i.shape[0]) / kettle_sig.fs
    with_time = tmp_path / "with_time.csv"
    np.savetxt(with_time, np.column_stack([t, i, v]), delimiter=",", header="time,current,voltage", comments="")
    plain = tmp_path / "plain.csv"
    np.savetxt(plain, np.column_stack([i, v]), delimiter=";")
    wav = tmp_path / "rec.wav"
    scale_i, scale_v = 20.0 / 32767, 400.0 / 32767
    frames = np.column_stack([np.round(i / scale_i), np.round(v / scale_v)]).astype("<i2")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(6400)
        w.writeframes(frames.tobytes())

    def summary(*argv):
        code, out, err = run(capsys, "analyze", *argv, "--detectors", "test_cli_high")
        assert code == 0, err
        return lines(out)

    a = summary(with_time)
    b = summary(plain, "--fs", 6400)
    c = summary(wav, "--current-scale", scale_i, "--voltage-scale", scale_v)
    for recs in (a, b, c):
        assert recs[-1]["cycles"] >= 145 and recs[-1]["alerts"] == 1
        assert abs(recs[0]["time"] - 1.0) < 0.03
    assert abs(a[-1]["fs"] - 6400) < 1e-6 and c[-1]["fs"] == 6400


@pytest.mark.parametrize("content, suffix, message", [
    (None, ".npz", "no such file"),
    (b"this is not a zip archive", ".npz", "not a readable"),
    (b"a,b\n1,2\n", ".csv", "no current column"),
    (b"1,2\n3,4\n", ".csv", "sample rate"),
    (b"", ".xyz", "unknown file type"),
    (b"RIFF....WAVEjunk", ".wav", "not a readable"),
])
def test_bad_input_files_exit_3(tmp_path, capsys, content, suffix, message):
    f = tmp_path / f"bad{suffix}"
    if content is not None:
        f.write_bytes(content)
    code, out, err = run(capsys, "analyze", f)
    assert code == 3 and message in err and out == ""


def test_bad_samples_exit_3(tmp_path, capsys):
    f = tmp_path / "nan.npz"
    x = np.sin(np.arange(6400) * 2 * np.pi / 128)
    x[3000] = np.nan
    np.savez(f, current=x, voltage=x, fs=6400.0)
    code, _, err = run(capsys, "analyze", f)
    assert code == 3 and "NaN" in err
    g = tmp_path / "nocurrent.npz"
    np.savez(g, voltage=x, fs=6400.0)
    code, _, err = run(capsys, "analyze", g)
    assert code == 3 and "current" in err


def test_analyze_shared_recording(capsys):
    path = data_path("hfhadc", "kettle_01.npz")
    code, out, err = run(capsys, "analyze", path, "--detectors", "none")
    assert code == 0, err
    summary = lines(out)[-1]
    assert summary["fs"] == 6400.0 and 140 <= summary["cycles"] <= 155


def test_analyze_npz_with_several_recordings(tmp_path, capsys, kettle_sig):
    f = tmp_path / "multi.npz"
    np.savez(f, a_current=kettle_sig.current, a_voltage=kettle_sig.voltage,
             b_current=kettle_sig.current, b_voltage=kettle_sig.voltage, fs=6400.0)
    code, _, err = run(capsys, "analyze", f)
    assert code == 3 and "--key" in err
    code, out, _ = run(capsys, "analyze", f, "--key", "b", "--detectors", "none")
    assert code == 0 and lines(out)[-1]["cycles"] >= 145


def test_analyze_plot(tmp_path, capsys, kettle_sig):
    pytest.importorskip("matplotlib")
    f = tmp_path / "rec.npz"
    np.savez(f, current=kettle_sig.current, voltage=kettle_sig.voltage, fs=kettle_sig.fs)
    png = tmp_path / "out.png"
    code, _, err = run(capsys, "analyze", f, "--detectors", "none", "--plot", png)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- enroll / match -------------------------------------------------------------------------------
def test_enroll_and_match(tmp_path, capsys):
    pytest.importorskip("currentprint.fingerprints.library")
    lib = tmp_path / "lib.json"
    models = {"kettle": lambda k: cp.synth.Resistive(1800.0 + 150 * k),
              "pc": lambda k: cp.synth.Rectifier(120.0 + 20 * k),
              "fridge": lambda k: cp.synth.Motor(250.0 + 30 * k, pf=0.7 + 0.03 * k, inrush=1.0)}
    for label, make in models.items():
        for k in range(3):
            s = cp.synth.synth_signal(duration_s=1.0, loads={label: make(k)}, seed=20 + k)
            f = tmp_path / f"{label}_{k}.npz"
            np.savez(f, current=s.current, voltage=s.voltage, fs=s.fs)
            code, out, err = run(capsys, "enroll", lib, f, "--label", label)
            assert code == 0, err
    assert json.loads(out)["entries"] == 9
    s = cp.synth.synth_signal(duration_s=1.0, loads={"x": cp.synth.Resistive(1950.0)}, seed=99)
    q = tmp_path / "query.npz"
    np.savez(q, current=s.current, voltage=s.voltage, fs=s.fs)
    code, out, err = run(capsys, "match", lib, q, "-k", "2")
    assert code == 0, err
    res = json.loads(out)
    assert res["identified"]["label"] == "kettle" and len(res["matches"]) == 2
    # a damaged library is refused with exit code 3
    lib.write_text(lib.read_text()[:100])
    code, _, err = run(capsys, "match", lib, q)
    assert code == 3 and "library" in err
    code, _, err = run(capsys, "match", tmp_path / "missing.json", q)
    assert code == 3


# -- bench ----------------------------------------------------------------------------------------
def test_bench_json(tmp_path, capsys):
    out_path = tmp_path / "bench.json"
    code, out, err = run(capsys, "bench", "--quick", "--fs", 6400, "--duration", 2, "--repeats", 1,
                         "--json", out_path, "--device-id", "test-box")
    assert code == 0, err
    res = json.loads(out_path.read_text())
    assert "x real time" in out and "monitor" in out       # with PATH: the readable table on stdout
    assert res["machine"]["device_id"] == "test-box" and res["machine"]["cpu_count"] >= 1
    stages = {r["stage"] for r in res["results"]}
    assert {"framing+features", "analyze (batch)", "monitor", "threads"} <= stages
    for r in res["results"]:
        assert r["fs"] == 6400.0 and r["real_time_factor"] > 0 and "reference_ratio" in r
    ff = next(r for r in res["results"] if r["stage"] == "framing+features")
    try:
        import currentprint.core._reference  # noqa: F401
    except ImportError:
        assert ff["reference_ratio"] is None
    else:
        assert ff["reference_ratio"] > 0
    mon = next(r for r in res["results"] if r["stage"] == "monitor")
    assert mon["channels_per_core"] == mon["real_time_factor"] and mon["peak_memory_mb"] > 0


# -- as a program ---------------------------------------------------------------------------------
def test_python_dash_m(tmp_path):
    env = dict(os.environ, PYTHONPATH=PKG_PARENT)
    proc = subprocess.run([sys.executable, "-m", "currentprint", "demo"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "cycles analysed" in proc.stdout and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "currentprint", "analyze", str(tmp_path / "none.npz")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3 and proc.stdout == ""


def test_console_script():
    # the script installed beside this interpreter (a venv's bin/), else one on PATH
    exe = shutil.which("currentprint", path=str(Path(sys.executable).parent)) or shutil.which("currentprint")
    if exe is None:
        pytest.skip("currentprint is not installed as a console script in this environment")
    proc = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["currentprint"]


def test_csv_with_an_unnamed_index_column(tmp_path):
    # pandas' to_csv writes an unnamed index column first: names must not shift
    from currentprint.io import load_recording
    fs = 6400.0
    t = np.arange(640) / fs
    rows = [",time,current,voltage"] + [f"{k},{float(t[k])!r},{float(10 * np.sin(2 * np.pi * 50 * t[k]))!r},"
                                         f"{float(325 * np.sin(2 * np.pi * 50 * t[k]))!r}" for k in range(640)]
    p = tmp_path / "rec.csv"
    p.write_text("\n".join(rows))
    rec = load_recording(p)
    assert rec.fs == pytest.approx(fs, rel=1e-6)
    assert np.max(rec.current) == pytest.approx(10.0, rel=1e-3)
    assert np.max(rec.voltage) == pytest.approx(325.0, rel=1e-3)


def test_bad_settings_and_counts_exit_2(capsys):
    assert main(["bench", "--fs", "500", "--duration", "1"]) == 2     # < 8 samples per 65 Hz cycle
    with pytest.raises(SystemExit) as exc:
        main(["match", "lib.json", "rec.npz", "-k", "0"])
    assert exc.value.code == 2
