"""The AVX2 kernel compiled a second time with AVX-512 available (same source, 256-bit vectors; _cycle.h)
against the plain AVX2 copy: same operations, so the same tables bit for bit. ``CURRENTPRINT_SIMD=avx2``
keeps the plain copy when the run-time switch is set; without AVX-512 (or AVX2) both names select the
same copy and the comparison is trivially true."""
from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core

from _signals import three_loads


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return all(f in flags for f in ("avx512f", "avx512vl", "avx512dq", "avx512bw"))


@pytest.fixture
def copies(monkeypatch):
    """``run(fn)``: fn's result on the plain AVX2 copy and on the one compiled with AVX-512."""
    before = _core.simd_path()

    def run(fn):
        out = []
        for env in ("avx2", "auto"):
            monkeypatch.setenv("CURRENTPRINT_SIMD", env)
            _core.set_simd("auto")
            out.append(fn())
        return out
    yield run
    monkeypatch.delenv("CURRENTPRINT_SIMD", raising=False)
    _core.set_simd("auto" if before == "avx2" else "baseline")


def _identical(a, b):
    assert len(a) == len(b) and len(a) > 0
    for name in cp.COLUMNS:
        np.testing.assert_array_equal(a.column(name), b.column(name), err_msg=name)
    np.testing.assert_array_equal(a.harmonics, b.harmonics)
    if a.has_voltage:
        np.testing.assert_array_equal(a.v_harmonics, b.v_harmonics)
    if a.has_waveforms:
        np.testing.assert_array_equal(a.i_wave, b.i_wave)
        np.testing.assert_array_equal(a.v_wave, b.v_wave)


def _signal(fs, mains_hz, seconds, dtype=np.float64):
    return three_loads(fs, mains_hz, seconds, dtype, seed=11)


@pytest.mark.parametrize("fs, mains_hz", [(6400.0, 50.0), (6400.0, 60.0), (10000.0, 50.0), (30000.0, 50.0)])
def test_avx512_build_of_the_avx2_copy_is_identical(fs, mains_hz, copies):
    sig = _signal(fs, mains_hz, 1.5)
    _identical(*copies(lambda: cp.analyze(sig.current, sig.voltage, fs=fs, waveforms=True)))
    _identical(*copies(lambda: cp.analyze(sig.current, fs=fs)))


def test_avx512_build_int16_float32_phase(copies):
    sig = _signal(6400.0, 50.0, 1.5, np.int16)
    cal = cp.Calibration(current_scale=sig.meta["current_scale"], voltage_scale=sig.meta["voltage_scale"],
                         phase_deg=2.0, current_offset=1.5, voltage_offset=-3.0)
    _identical(*copies(lambda: cp.analyze(sig.current, sig.voltage, fs=6400.0, calibration=cal)))
    f = _signal(6400.0, 50.0, 1.5)
    i32, v32 = f.current.astype(np.float32), f.voltage.astype(np.float32)
    _identical(*copies(lambda: cp.analyze(i32, v32, fs=6400.0, harmonics=40, n_points=256)))


def test_switch_reports_avx2_for_both(copies):
    paths = copies(_core.simd_path)
    if _has_avx512():
        assert paths == ["avx2", "avx2"]
