"""A person's first hour (issue 14): readable CLI output, honest units, input that never guesses
silently, wrong fs/mains_hz diagnosed, detector options from the command line, consistent defaults."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
import wave

import numpy as np
import pytest

import currentprint as cp
from currentprint.cli import build_detectors, build_parser, main
from currentprint.errors import InputError, InputWarning, MainsFrequencyError, SampleRateError

from conftest import data_path

FS = 6400.0


def _sig(seconds=3.0, fs=FS, f=50.0, amps=10.0, on_s=None):
    t = np.arange(int(seconds * fs)) / fs
    v = 325.0 * np.sin(2 * np.pi * f * t)
    i = amps / 325.0 * v * 1.0
    if on_s is not None:
        i = i * (t >= on_s)
    return i, v


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def kettle_npz(tmp_path):
    """2.3 kW switched on at 1 s, in A and V (floats)."""
    i, v = _sig(3.0, on_s=1.0)
    p = tmp_path / "kettle.npz"
    np.savez(p, current=i, voltage=v, fs=FS)
    return p


@pytest.fixture()
def counts_npz(tmp_path):
    """The same in int16 counts without scales."""
    i, v = _sig(3.0, on_s=1.0)
    p = tmp_path / "counts.npz"
    np.savez(p, current=np.round(i * 100).astype(np.int16), voltage=np.round(v * 20).astype(np.int16), fs=FS)
    return p


# -- CLI: formats ------------------------------------------------------------------------------
def test_analyze_table_shows_quantities_events_and_units(capsys, kettle_npz):
    code, out, err = run(capsys, "analyze", kettle_npz, "--format", "table")
    assert code == 0, err
    assert "kettle.npz" in out and "units: A, V, W, var" in out
    assert "I [A]" in out and "P [W]" in out and "PF" in out and "THD" in out
    rows = [ln.split() for ln in out.splitlines() if ln.strip().startswith(("0-1", "1-2", "2-3"))]
    assert len(rows) == 3
    p_late = float(rows[2][5])
    assert p_late == pytest.approx(10.0 * 325.0 / 2, rel=0.01)          # 1625 W
    assert float(rows[0][4]) == pytest.approx(0.0, abs=1e-9)             # off in the first second
    assert "switching events (1)" in out and " on " in out and "dP = +1625 W" in out
    assert "{" not in out                                                # no JSON on the terminal form


def test_analyze_counts_never_says_amperes(capsys, counts_npz):
    code, out, err = run(capsys, "analyze", counts_npz, "--format", "table")
    assert code == 0, err
    assert "units: ADC counts" in out and "I [counts]" in out and "P [counts²]" in out
    assert "[A]" not in out and "[W]" not in out and " W " not in out
    assert "counts²" in out.split("switching events")[1]


def test_analyze_jsonl_compact_and_full(capsys, kettle_npz):
    code, out, _ = run(capsys, "analyze", kettle_npz, "--format", "jsonl")
    recs = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    kinds = [r["record"] for r in recs]
    assert kinds.count("event") == 1 and kinds.count("interval") == 3 and kinds[-1] == "summary"
    ev = recs[kinds.index("event")]
    assert "harmonics" not in json.dumps(ev) and len(json.dumps(ev)) < 1500
    summary = recs[-1]
    assert summary["units"]["current"] == "A" and summary["calibrated"] is True
    code, out, _ = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--full")
    ev_full = [json.loads(x) for x in out.splitlines() if '"event"' in x][0]
    assert "harmonics" in ev_full["detail"]["pre"]


def test_analyze_csv_intervals(capsys, counts_npz):
    code, out, _ = run(capsys, "analyze", counts_npz, "--format", "csv", "--interval", "0.5")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 6
    assert "i_rms_counts" in rows[0] and "p_counts2" in rows[0] and "i_rms_a" not in rows[0]
    assert sum(int(r["events"]) for r in rows) == 1


def test_analyze_cycles_csv(tmp_path, capsys, kettle_npz):
    path = tmp_path / "cycles.csv"
    code, _, err = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--cycles", path)
    assert code == 0, err
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert 145 <= len(rows) <= 150
    assert {"time", "i_rms", "p", "pf", "thd"} <= set(rows[0])
    assert float(rows[-1]["p"]) == pytest.approx(1625.0, rel=1e-3)


def test_analyze_cycles_parquet_or_clear_error(tmp_path, capsys, kettle_npz):
    path = tmp_path / "cycles.parquet"
    code, _, err = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--cycles", path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        try:
            import pandas  # noqa: F401
        except ImportError:
            assert code == 4 and "Parquet" in err
            return
        pytest.skip("pandas without pyarrow: engine-dependent")
    assert code == 0, err
    assert pq.read_table(path).num_rows >= 145


# -- CLI: detector options ---------------------------------------------------------------------
def test_detector_options_reach_the_detectors():
    args = build_parser().parse_args(["analyze", "x.npz", "--rated-current", "6", "--nominal-voltage", "230",
                                     "--arc-sensitivity", "high", "--arc-mode", "iec62606",
                                     "--set", "overload.tau_s=5", "--set", "events.window=20"])
    dets = {d.name: d.get_params() for d in build_detectors(args)}
    assert dets["overload"]["rated_current_a"] == 6 and dets["overload"]["tau_s"] == 5
    assert dets["resistive_load"]["nominal_voltage"] == 230 and dets["phase_chopper"]["nominal_voltage"] == 230
    assert dets["arc_fault"]["sensitivity"] == "high" and dets["arc_fault"]["mode"] == "iec62606"
    assert dets["events"]["window"] == 20


def test_rated_current_trips_overload(capsys, kettle_npz):
    # 7.07 A RMS on a 4 A circuit with a 1 s thermal constant trips 0.78 s after switch-on
    code, out, err = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--detectors", "overload",
                         "--rated-current", "4", "--set", "overload.tau_s=1", "--fail-on-alert")
    recs = [json.loads(x) for x in out.splitlines()]
    assert code == 1, err
    assert any(r["record"] == "alert" and r["kind"] == "overload" for r in recs)
    code, out, _ = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--detectors", "overload",
                       "--fail-on-alert")
    assert code == 0                                  # the default 16 A rating is not exceeded


@pytest.mark.parametrize("argv, message", [
    (["--set", "overload.nope=1"], "nope"),
    (["--set", "overload"], "DETECTOR.PARAM=VALUE"),
    (["--set", "nosuch.x=1"], "nosuch"),
    (["--arc-sensitivity", "extreme"], "sensitivity"),
    (["--current-sign", "2"], "current-sign"),
    (["--set", "arc_fault.sensitivity=extreme"], "sensitivity"),
    (["--set", "overload.rated_current_a=-3"], "rated_current_a"),
])
def test_bad_detector_options_are_usage_errors(capsys, kettle_npz, argv, message):
    try:
        code = main(["analyze", str(kettle_npz), "--format", "jsonl", *argv])
    except SystemExit as exc:                      # argparse's own checks
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err


def test_current_sign_and_adc_full_scale(capsys, tmp_path):
    i, v = _sig(2.0)
    p = tmp_path / "flipped.npz"
    np.savez(p, current=-i, voltage=v, fs=FS)
    out = run(capsys, "analyze", p, "--format", "jsonl", "--detectors", "none")[1]
    pf = [json.loads(x) for x in out.splitlines() if '"interval"' in x][0]["pf"]
    out = run(capsys, "analyze", p, "--format", "jsonl", "--detectors", "none", "--current-sign", "-1")[1]
    pf2 = [json.loads(x) for x in out.splitlines() if '"interval"' in x][0]["pf"]
    assert pf == pytest.approx(-1.0, abs=1e-3) and pf2 == pytest.approx(1.0, abs=1e-3)
    q = tmp_path / "counts.npz"
    np.savez(q, current=np.round(i * 100).astype(np.int16), voltage=np.round(v * 20).astype(np.int16), fs=FS)
    code, out, err = run(capsys, "analyze", q, "--format", "jsonl", "--detectors", "none",
                         "--adc-full-scale", "900")
    # 10 A * sqrt(2) * 100 = 1414 counts peak: clipped at 900; still counts, not amperes
    assert "full scale" in err
    assert [json.loads(x) for x in out.splitlines()][-1]["units"]["current"] == "counts"


# -- bench -------------------------------------------------------------------------------------
def test_bench_table_and_json(capsys, tmp_path, monkeypatch):
    # the measurement itself is tested in test_cli.py; here only what is printed
    import currentprint.cli.bench as bench
    from currentprint.cli._common import machine_info
    machine = dict(machine_info(), quick=True, duration_s=2.0, repeats=1)
    rows = [{"stage": "framing+features", "fs": 6400.0, "seconds": 0.01, "real_time_factor": 200.0,
             "reference_ratio": 3.0, "per_cycle_us": 96.0, "peak_memory_mb": 0.1},
            {"stage": "monitor", "fs": 6400.0, "seconds": 0.05, "real_time_factor": 40.0, "reference_ratio": None,
             "per_cycle_us": 480.0, "peak_memory_mb": 0.9, "channels_per_core": 40.0},
            {"stage": "threads", "fs": 6400.0, "seconds": 0.003, "real_time_factor": 600.0,
             "reference_ratio": None, "per_cycle_us": 16.0, "peak_memory_mb": None, "speedup": 1.8}]
    report = {"schema": "currentprint.bench", "version": 1, "currentprint": cp.__version__, "machine": machine,
              "results": rows, "summary": {}}
    monkeypatch.setattr(bench, "run_bench", lambda **kw: report)
    code, out, _ = run(capsys, "bench", "--quick")
    assert code == 0 and "{" not in out
    assert "x real time" in out and "40 channels per core" in out and "3x faster" in out and "1.80x" in out
    code, out, _ = run(capsys, "bench", "--quick", "--json")
    assert code == 0 and json.loads(out)["schema"] == "currentprint.bench"
    path = tmp_path / "b.json"
    code, out, _ = run(capsys, "bench", "--quick", "--json", path)
    assert code == 0 and json.loads(path.read_text())["results"][1]["stage"] == "monitor" and "stage" in out


# -- honest units in the library ---------------------------------------------------------------
def test_units_of_repr_event_and_alerts():
    i, v = _sig(3.0, on_s=1.0)
    ic, vc = np.round(i * 100).astype(np.int16), np.round(v * 20).astype(np.int16)
    t = cp.analyze(ic, vc, fs=FS)
    assert "counts" in repr(t) and " A" not in repr(t)
    assert " A" in repr(cp.analyze(i, v, fs=FS))
    # a sign flip on counts stays counts when said so
    assert not cp.analyze(ic, vc, fs=FS, calibration=cp.Calibration(current_sign=-1, counts=True)).calibrated
    assert cp.analyze(ic, vc, fs=FS, calibration=cp.Calibration(current_scale=0.01)).calibrated
    evs = cp.detect_events(ic, vc, fs=FS)
    assert len(evs) == 1 and "counts²" in str(evs[0]) and " W" not in str(evs[0])
    mon = cp.Monitor(FS, detectors=["events", "resistive_load"])
    alerts = mon.push(ic, vc) + mon.flush()
    assert alerts and all(" W" not in a.explanation and " A," not in a.explanation for a in alerts)
    fp = cp.fingerprint(ic[-3200:], vc[-3200:], fs=FS)
    assert "counts" in repr(fp) and " W" not in repr(fp)
    assert " W" in repr(cp.fingerprint(i[-3200:], v[-3200:], fs=FS))


# -- plots -------------------------------------------------------------------------------------
def test_overview_plot_marks_events_titles_and_units(tmp_path, capsys, counts_npz):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    png = tmp_path / "o.png"
    code, _, err = run(capsys, "analyze", counts_npz, "--format", "jsonl", "--plot", png)
    assert code == 0, err and png.stat().st_size > 10_000
    from currentprint import plot
    import matplotlib.pyplot as plt
    i, v = _sig(3.0, on_s=1.0)
    ic, vc = np.round(i * 100).astype(np.int16), np.round(v * 20).astype(np.int16)
    mon = cp.Monitor(FS, detectors=["events"])
    table, alerts = mon.process(ic, vc)
    alerts += mon.flush()
    fig = plot.plot_overview(table, alerts, current=ic, voltage=vc, fs=FS, title="counts.npz")
    labels = " ".join(ax.get_ylabel() for ax in fig.axes)
    assert "counts" in labels and "[A]" not in labels and "[W]" not in labels
    assert fig._suptitle.get_text() == "counts.npz"
    wave_ax = [ax for ax in fig.axes if "waveform around" in ax.get_title(loc="left")][0]
    lo, hi = wave_ax.get_xlim()
    assert lo < 1.0 < hi                                   # centred on the switch-on, not the first cycles
    assert any(t.get_text() == "on" for t in fig.axes[0].texts)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for ax in fig.axes:                                    # nothing cut off
        tb = ax.get_tightbbox(renderer)
        assert tb.x0 >= box.x0 - 1 and tb.x1 <= box.x1 + 1 and tb.y0 >= box.y0 - 1 and tb.y1 <= box.y1 + 1
    plt.close("all")


# -- input -------------------------------------------------------------------------------------
def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_unit_headers_keep_the_voltage(tmp_path):
    i, v = _sig(0.5)
    p = _write(tmp_path, "a.csv", "I_A,U_V\n" + "\n".join(f"{a!r},{b!r}" for a, b in zip(i.tolist(), v.tolist())))
    rec = cp.io.load_recording(p, fs=FS)
    assert rec.voltage is not None and np.max(rec.voltage) == pytest.approx(325, rel=1e-3)
    p = _write(tmp_path, "b.csv", "time [ms],current [mA],voltage [V]\n" + "\n".join(
        f"{k / FS * 1000!r},{a * 1000!r},{b!r}" for k, (a, b) in enumerate(zip(i.tolist(), v.tolist()))))
    rec = cp.io.load_recording(p)
    assert rec.fs == pytest.approx(FS, rel=1e-9) and np.max(rec.current) == pytest.approx(10, rel=1e-3)


def test_csv_unknown_columns_warn_or_map(tmp_path):
    i, v = _sig(0.5)
    body = "\n".join(f"{a!r},{b!r}" for a, b in zip(i.tolist(), v.tolist()))
    p = _write(tmp_path, "c.csv", "current,chan2\n" + body)
    with pytest.warns(InputWarning, match="chan2"):
        rec = cp.io.load_recording(p, fs=FS)
    assert rec.voltage is None
    rec = cp.io.load_recording(p, fs=FS, columns={"current": "current", "voltage": "chan2"})
    assert rec.voltage is not None
    with pytest.raises(InputError, match="no column named"):
        cp.io.load_recording(p, fs=FS, columns={"current": "x"})
    q = _write(tmp_path, "d.csv", "x,y\n" + body)
    with pytest.raises(InputError, match="--columns"):
        cp.io.load_recording(q, fs=FS)


def test_cli_columns_option(tmp_path, capsys):
    i, v = _sig(2.0)
    p = _write(tmp_path, "e.csv", "a;b\n" + "\n".join(f"{x!r};{y!r}" for x, y in zip(i.tolist(), v.tolist())))
    code, out, err = run(capsys, "analyze", p, "--fs", FS, "--columns", "current=a,voltage=b", "--format",
                         "jsonl", "--detectors", "none")
    assert code == 0, err and json.loads(out.splitlines()[-1])["voltage"] is True


def test_current_only_csv_skips_voltage_detectors(tmp_path, capsys):
    i, _ = _sig(2.0)
    p = _write(tmp_path, "i.csv", "I [A]\n" + "\n".join(repr(x) for x in i.tolist()))
    code, out, err = run(capsys, "analyze", p, "--fs", FS, "--format", "table")
    assert code == 0, err
    assert "resistive_load, phase_chopper skipped" in err and "P [" not in out and "I [A]" in out
    code, _, err = run(capsys, "analyze", p, "--fs", FS, "--detectors", "resistive_load")
    assert code == 2 and "no voltage channel" in err


def test_decimal_comma_csv(tmp_path):
    i, v = _sig(0.5)
    rows = [f"{k / FS:.7f};{a:.5f};{b:.3f}".replace(".", ",") for k, (a, b) in enumerate(zip(i, v))]
    p = _write(tmp_path, "f.csv", "Zeit;Strom;Spannung\n" + "\n".join(rows))
    rec = cp.io.load_recording(p)
    assert rec.fs == pytest.approx(FS, rel=1e-6)
    assert np.max(rec.current) == pytest.approx(10, rel=1e-3) and np.max(rec.voltage) == pytest.approx(325, rel=1e-3)


def test_decimal_comma_found_after_integer_first_rows(tmp_path):
    # a logger that starts at exactly 0 A / 0 V writes integers first: the mark shows only later
    i, v = _sig(0.5)
    rows = ["0;0", "0;0"] + [f"{a:.5f};{b:.3f}".replace(".", ",") for a, b in zip(i, v)]
    p = _write(tmp_path, "f2.csv", "Strom;Spannung\n" + "\n".join(rows))
    rec = cp.io.load_recording(p, fs=FS)
    assert rec.meta["decimal"] == ","
    np.testing.assert_allclose(rec.current[2:], np.round(i, 5), atol=1e-12)


def test_irregular_timestamps_warn_rounded_do_not(tmp_path):
    i, v = _sig(0.5)
    n = i.shape[0]
    t = np.arange(n) / FS
    # stamps rounded to 1 µs: exact fs from the span, no warning (the median step would say 6410 Hz)
    p = _write(tmp_path, "g.csv", "time,current,voltage\n" + "\n".join(
        f"{x:.6f},{a!r},{b!r}" for x, a, b in zip(t.tolist(), i.tolist(), v.tolist())))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = cp.io.load_recording(p)
    assert rec.fs == pytest.approx(FS, rel=1e-5)
    tj = t + np.random.default_rng(1).normal(0, 3e-6, n)
    q = _write(tmp_path, "h.csv", "time,current,voltage\n" + "\n".join(
        f"{x!r},{a!r},{b!r}" for x, a, b in zip(tj.tolist(), i.tolist(), v.tolist())))
    with pytest.warns(InputWarning, match="irregular"):
        cp.io.load_recording(q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cp.io.load_recording(q, fs=FS).fs == FS          # a given fs is not second-guessed


def test_csv_read_in_blocks_with_progress(tmp_path, monkeypatch):
    import currentprint.io as cio
    monkeypatch.setattr(cio, "_CSV_BLOCK_CHARS", 20_000)
    i, v = _sig(1.0)
    p = _write(tmp_path, "k.csv", "current,voltage\n" + "\n".join(
        f"{a!r},{b!r}" for a, b in zip(i.tolist(), v.tolist())))
    seen = []
    rec = cp.io.load_recording(p, fs=FS, progress=seen.append)
    np.testing.assert_array_equal(rec.current, i)
    assert len(seen) >= 6 and seen[-1] == 1.0 and seen == sorted(seen)


def test_wav_and_flac_read_the_same_counts(tmp_path):
    sf = pytest.importorskip("soundfile")
    i, v = _sig(0.5)
    frames = np.column_stack([np.round(i * 1000), np.round(v * 50)]).astype(np.int16)
    w = tmp_path / "r.wav"
    with wave.open(str(w), "wb") as fh:
        fh.setnchannels(2)
        fh.setsampwidth(2)
        fh.setframerate(int(FS))
        fh.writeframes(frames.tobytes())
    f = tmp_path / "r.flac"
    sf.write(str(f), frames, int(FS), subtype="PCM_16")
    a, b = cp.io.load_recording(w), cp.io.load_recording(f)
    assert a.current.dtype == b.current.dtype == np.int16
    np.testing.assert_array_equal(a.current, b.current)
    np.testing.assert_array_equal(a.voltage, b.voltage)
    f24 = tmp_path / "r24.flac"
    sf.write(str(f24), frames.astype(np.int32) * 256, int(FS), subtype="PCM_24")
    c = cp.io.load_recording(f24)
    assert c.current.dtype == np.int32
    # int32 written as 24-bit PCM keeps its top 24 bits: read back as counts of the 24-bit file
    np.testing.assert_array_equal(c.current, frames[:, 0].astype(np.int32))


# -- wrong fs / mains_hz -----------------------------------------------------------------------
def test_wrong_fs_is_named():
    i, v = _sig(1.0)
    with pytest.raises(MainsFrequencyError, match=r"78\.1\d* Hz.*is fs 6400\?"):
        cp.analyze(i, v, fs=10000)
    with pytest.raises(MainsFrequencyError, match=r"78\.1\d* Hz.*is fs 6400\?"):
        cp.analyze(i, fs=10000)                     # framed on the current


def test_wrong_mains_hz_is_named():
    i, v = _sig(1.0)
    with pytest.raises(MainsFrequencyError, match="mains_hz=60.*50 Hz"):
        cp.analyze(i, v, fs=FS, mains_hz=60)
    with pytest.raises(cp.errors.NoZeroCrossingError, match="DC, zero"):
        cp.analyze(i, np.zeros_like(v), fs=FS)


def test_cli_wrong_fs_and_mains_exit_3(capsys, kettle_npz):
    code, _, err = run(capsys, "analyze", kettle_npz, "--fs", "10000", "--format", "jsonl")
    assert code == 3 and "is fs 6400?" in err
    code, _, err = run(capsys, "analyze", kettle_npz, "--mains-hz", "60", "--format", "jsonl")
    assert code == 3 and "mains_hz=60" in err


def test_cli_slightly_wrong_fs_is_warned(capsys, kettle_npz):
    # 6000 Hz given for 6400 Hz data: cycles at 46.9 Hz are framed, but no grid runs there
    code, _, err = run(capsys, "analyze", kettle_npz, "--fs", "6000", "--format", "jsonl", "--detectors", "none")
    assert code == 0 and "46.88 Hz" in err and "6400 Hz" in err
    code, _, err = run(capsys, "analyze", kettle_npz, "--format", "jsonl", "--detectors", "none")
    assert "is fs right" not in err


def test_real_recording_wrong_fs():
    path = data_path("hfhadc", "kettle_01.npz")
    if not path.exists():
        pytest.skip("shared data not available")
    rec = cp.io.load_recording(path)
    with pytest.raises(MainsFrequencyError, match="is fs 6400"):
        cp.analyze(rec.current, rec.voltage, fs=10000)


# -- item 10: consistent defaults and errors ---------------------------------------------------
def test_harmonics_default_follows_fs():
    i, v = _sig(1.0, fs=2000)
    t = cp.analyze(i, v, fs=2000)
    assert t.n_harmonics == 15                        # 2000 / (2 * 65 Hz) -> 15, not an error
    with pytest.raises(SampleRateError, match="harmonics<=15"):
        cp.analyze(i, v, fs=2000, harmonics=25)       # an explicit request is not reduced silently
    assert cp.Monitor(2000).harmonics == 15
    assert cp.detect_events(i, v, fs=2000) == []        # no refusal at 2 kHz either
    assert cp.analyze(*_sig(1.0), fs=FS).n_harmonics == 25


def test_tiny_fs_advice():
    with pytest.raises(SampleRateError) as exc:
        cp.analyze(np.zeros(100), fs=100)
    assert "harmonics<=0" not in str(exc.value) and "1 kHz" in str(exc.value)


def test_unknown_keyword_names_the_public_function():
    with pytest.raises(TypeError, match=r"analyze\(\).*'foo'") as exc:
        cp.analyze(np.zeros(6400), fs=FS, foo=1)
    assert "CycleAnalyzer.__init__" not in str(exc.value)
    with pytest.raises(TypeError, match=r"fingerprint\(\).*'foo'"):
        cp.fingerprint(np.zeros(6400), fs=FS, foo=1)


def test_no_load_thd_is_nan_not_hundreds_of_percent():
    rng = np.random.default_rng(3)
    t = np.arange(int(2 * FS)) / FS
    v = 325 * np.sin(2 * np.pi * 50 * t)
    noise = 0.002 * rng.standard_normal(t.shape)                 # 2 mA of sensor noise, no load
    table = cp.analyze(noise, v, fs=FS)
    assert np.all(np.isnan(table.thd))
    loaded = cp.analyze(noise + 0.5 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t), v, fs=FS)
    assert np.all(np.abs(loaded.thd - 0.2) < 0.01)               # a real 0.35 A load keeps its THD
    counts = cp.analyze(np.round(rng.standard_normal(t.shape)).astype(np.int16),
                        np.round(v * 20).astype(np.int16), fs=FS)
    assert np.all(np.isnan(counts.thd))


def test_interval_aggregation_rules():
    from currentprint.cli._report import IntervalSummary, default_interval
    # 1 s at 10 A RMS then 1 s at 0 A: I is the RMS over the interval, P the mean, PF = mean P / mean S
    i, v = _sig(2.0, on_s=1.0, amps=10.0 * math.sqrt(2))
    table = cp.analyze(i, v, fs=FS)
    s = IntervalSummary(2.0)
    s.add(table[: len(table) // 2])
    s.add(table[len(table) // 2:])                   # chunk boundaries do not matter
    (row,) = s.rows(end_s=2.0)
    on = table.i_rms > 1
    assert row["i_rms"] == pytest.approx(math.sqrt(np.mean(table.i_rms ** 2)), rel=1e-12)
    assert row["i_rms"] == pytest.approx(10 * math.sqrt(on.mean()), rel=1e-9)
    assert row["p"] == pytest.approx(np.mean(table.p), rel=1e-12)
    assert row["pf"] == pytest.approx(np.sum(table.p) / np.sum(table.s), rel=1e-12)
    assert row["cycles"] == len(table) and row["t_end_s"] == 2.0
    assert default_interval(30) == 1 and default_interval(600) == 10 and default_interval(86400) == 1800
