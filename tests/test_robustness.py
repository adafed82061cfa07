"""Hostile or mistaken input at every public entry: a currentprint ValueError with advice, never another error.

Each case is one of the failures found by fuzzing (issue 10): sizes and rates that
would hang or exhaust memory, values that overflow, noise taken for a voltage,
damaged files, parameters of the wrong type.
"""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

import currentprint as cp
from currentprint.errors import CorruptFileError, CurrentprintError, InputWarning, MissingFileError

FS = 6400
T = np.arange(FS) / FS
V = 325 * np.sin(2 * np.pi * 50 * T)


def _refused(call, *args, **kw):
    with pytest.raises(CurrentprintError) as info:
        call(*args, **kw)
    assert isinstance(info.value, ValueError), type(info.value)
    return info.value


@pytest.mark.parametrize("call", [
    lambda: cp.analyze(V, V, fs=1e9),
    lambda: cp.analyze(V, V, fs=FS, n_points=2 ** 30),
    lambda: cp.analyze(V, V, fs=FS, n_points=100.5),
    lambda: cp.analyze(V, V, fs=FS, mains_hz=[50]),
    lambda: cp.analyze(V, V, fs=FS, hysteresis=None),
    lambda: cp.analyze(V, V, fs=FS, shoulder_fraction="0.05"),
    lambda: cp.analyze(V, V, fs="6400"),
    lambda: cp.analyze(V, V, fs=np.array([6400, 1])),
    lambda: cp.Calibration(current_scale="1"),
    lambda: cp.Calibration(phase_deg=None),
    lambda: cp.detect_events(V / 50, V, fs=FS, window=10 ** 9),
    lambda: cp.detect_events(V / 50, V, fs=FS, settle=10 ** 9),
    lambda: cp.detect_events(V / 50, V, fs=FS, threshold="3"),
    lambda: cp.FingerprintLibrary(unknown_factor="3"),
    lambda: cp.FingerprintLibrary().enroll("", cp.fingerprint(V / 50, V, fs=FS)),
    lambda: cp.fingerprint(table=[1, 2, 3]),
    lambda: cp.fingerprint(V / 50 * 1e-200, V, fs=FS),
    lambda: cp.fingerprint(V / 50, V, fs=FS, n_points=2 ** 30),
    lambda: cp.get_detector("overload", rated_current_a="16"),
    lambda: cp.get_detector("overload", trip_ratio=1e308),
])
def test_bad_parameters_raise_value_errors(call):
    _refused(call)


@pytest.mark.parametrize("scale", [1e151, 1e200, 1e300])
def test_values_that_would_overflow_are_refused(scale):
    e = _refused(cp.analyze, V / 50 * scale, V, fs=FS)
    assert "overflow" in str(e)
    e = _refused(cp.analyze, (V * 10).astype(np.int16), V, fs=FS, calibration=cp.Calibration(current_scale=scale))
    assert "calibration" in str(e)


def test_large_but_safe_values_are_exact():
    t = cp.analyze(V / 50 * 1e140, V, fs=FS)
    assert np.isfinite(t.i_rms).all() and np.isfinite(t.p).all()
    assert np.allclose(t.pf, 1.0)


@pytest.mark.parametrize("fs", [1000, 6400, 20000, 50000])
def test_white_noise_is_not_a_mains_voltage(fs):
    rng = np.random.default_rng(fs)
    n = 3 * fs
    _refused(cp.analyze, rng.normal(size=n), rng.normal(size=n), fs=fs, harmonics=5)
    # streaming: the noise "cycles" are dropped, chunk by chunk alike
    # and after its first second without a cycle, the stream says why (once)
    an = cp.CycleAnalyzer(fs, harmonics=5)
    with pytest.warns(InputWarning, match="voltage has no usable rising zero crossings") as got:
        assert sum(len(an.push(rng.normal(size=fs // 10), rng.normal(size=fs // 10))) for _ in range(30)) == 0
    assert sum(issubclass(w.category, InputWarning) for w in got) == 1


def test_real_mains_shapes_are_kept():
    """A flat-topped or square-ish voltage is still a mains voltage (fundamental >= 90 % of the RMS)."""
    flat = np.clip(V, -280, 280)
    assert len(cp.analyze(V / 50, flat, fs=FS)) >= 45
    square = np.sign(V) * 230
    assert len(cp.analyze(V / 50, square, fs=FS)) >= 45


def _wav(rate, frames=b"\0" * 16, fmt_len=16):
    fmt = struct.pack("<HHIIHH", 1, 2, rate, rate * 4 & 0xFFFFFFFF, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_len) + fmt + b"data" + struct.pack("<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize("name,data,error", [
    ("rate.wav", _wav(0xFFFFEC00), cp.errors.SampleRateError),
    ("zero.wav", _wav(0), ValueError),
    ("fmt.wav", _wav(6400, fmt_len=4000), ValueError),
    ("short.wav", b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0", ValueError),
    ("empty.npz", b"", CorruptFileError),
    ("trunc.npz", _npz(current=np.zeros(1000), fs=6400.0)[:300], CorruptFileError),
    ("junk.npz", b"PK\x03\x04" + b"\0" * 60, CorruptFileError),
    ("fs.npz", _npz(current=np.zeros(100), fs=np.array([6400, 1])), CorruptFileError),
    ("text.npz", _npz(current=np.array(["a", "b"]), fs=6400.0), ValueError),
    ("object.npz", None, ValueError),
])
def test_damaged_recordings(tmp_path, name, data, error):
    path = tmp_path / name
    if data is None:
        np.savez(path, current=np.array([{"a": 1}], dtype=object), fs=6400.0, allow_pickle=True)
    else:
        path.write_bytes(data)
    e = _refused(cp.io.load_recording, path)
    assert isinstance(e, error)


def test_directory_and_missing_file_are_named(tmp_path):
    e = _refused(cp.io.load_recording, tmp_path)
    assert "directory" in str(e)
    with pytest.raises(MissingFileError):
        cp.io.load_recording(tmp_path / "none.npz")
    with pytest.raises(FileNotFoundError):      # still a FileNotFoundError for existing code
        cp.Monitor.load(tmp_path / "none.json")
    e = _refused(cp.FingerprintLibrary.load, tmp_path)
    assert "directory" in str(e)
    e = _refused(cp.Monitor(FS).save, tmp_path / "no" / "such" / "folder.json")
    assert "does not exist" in str(e)


def test_cli_bad_files_exit_3_and_usage_2(tmp_path, capsys):
    from currentprint.cli import main
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04" + b"\0" * 60)
    (tmp_path / "rate.wav").write_bytes(_wav(0xFFFFEC00))
    for path in (tmp_path / "bad.npz", tmp_path / "rate.wav", tmp_path):
        assert main(["analyze", str(path)]) == 3
    good = tmp_path / "good.npz"
    np.savez(good, current=V / 50, voltage=V, fs=float(FS))
    assert main(["enroll", str(tmp_path / "lib.json"), str(good), "--label", ""]) == 2
    assert main(["enroll", str(tmp_path / "missing" / "lib.json"), str(good), "--label", "x"]) == 2
    capsys.readouterr()
