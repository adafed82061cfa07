"""Synthetic test signals shared by the kernel-path tests (test_simd, test_simd_avx512, test_scan_split).

Synthetic on purpose: they exercise the kernel's code paths (three switching loads, a fading or
sagging voltage), which the real recordings do not do on demand."""
from __future__ import annotations

import numpy as np

import currentprint as cp


def three_loads(fs: float, mains_hz: float, seconds: float, dtype=np.float64, seed: int = 7):
    """A resistive, a rectifier and a phase-cut load switching on at 0.2, 0.5 and 0.8 s (drifting mains)."""
    return cp.synth.synth_signal(duration_s=seconds, fs=fs, mains_hz=mains_hz,
                                 loads={"a": cp.synth.Resistive(800.0), "b": cp.synth.Rectifier(150.0),
                                        "c": cp.synth.PhaseCut(300.0)},
                                 schedule=[(0.2, "a", "on"), (0.5, "b", "on"), (0.8, "c", "on")],
                                 seed=seed, drift_hz=0.3, dtype=dtype)


def faded_amplitude(t: np.ndarray, fade=None, peak: float = 325.0) -> np.ndarray:
    """Voltage amplitude (V) at times ``t`` (s); ``fade`` (start s, end s): it falls 6 % per 50 Hz
    cycle (faster than the framing scan's peak decay) and stays at the faded level after ``end``."""
    amp = np.full(t.size, peak)
    if fade is not None:
        a, b = fade
        m = (t >= a) & (t < b)
        amp[m] = peak * 0.94 ** ((t[m] - a) * 50.0)
        amp[t >= b] = peak * 0.94 ** ((b - a) * 50.0)
    return amp
