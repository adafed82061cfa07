"""The core's real FFT against ``numpy.fft.rfft`` (and ``scipy.fft.rfft`` when importable),
and against a direct DFT of just the 25 harmonics.

Batches of 30,000 rows (ten minutes of 50 Hz cycles) of 128, 256, 512 and
1024 points: the sizes a cycle is resampled to at 6.4, 10/12.8, 20 and
30 kHz.
"""

from __future__ import annotations

import numpy as np
import pytest

from currentprint import _core

from conftest import peak_memory_mb, record

ROWS = 30000
H = 25
_DATA: dict[int, np.ndarray] = {}


def _batch(n: int) -> np.ndarray:
    if n not in _DATA:
        _DATA[n] = np.ascontiguousarray(np.random.default_rng(n).normal(size=(ROWS, n)))
    return _DATA[n]


def _impls(n: int) -> dict:
    plan = _core.FFTPlan(n)
    j = np.arange(n)
    # direct DFT of bins 0..H as one matrix product (what NumPy users write)
    basis = np.exp(-2j * np.pi * np.outer(j, np.arange(H + 1)) / n)
    impls = {
        "kernel": lambda x: _core.rfft_batch(x, plan),
        "reference": lambda x: np.fft.rfft(x, axis=1),
        "kernel DFT 0..25": lambda x: _core.dft_harmonics_batch(x, H),
        "numpy DFT 0..25 (matmul)": lambda x: x @ basis,
    }
    try:
        import scipy.fft
    except ImportError:  # scipy is optional here
        pass
    else:
        impls["scipy.fft.rfft"] = lambda x: scipy.fft.rfft(x, axis=1)
    return impls


IMPLS = ["kernel", "reference", "kernel DFT 0..25", "numpy DFT 0..25 (matmul)", "scipy.fft.rfft"]


@pytest.mark.parametrize("n", [128, 256, 512, 1024])
@pytest.mark.parametrize("impl", IMPLS)
def test_fft_batch(benchmark, n, impl):
    impls = _impls(n)
    if impl not in impls:
        pytest.skip("scipy not importable")
    x = _batch(n)
    fn = impls[impl]
    # every path gives numpy's answer on the bins it computes
    got, want = fn(x[:4]), np.fft.rfft(x[:4], axis=1)
    np.testing.assert_allclose(got, want[:, :got.shape[1]], atol=1e-10 * n)
    benchmark.group = f"fft {n} points x {ROWS}"
    benchmark.pedantic(fn, args=(x,), rounds=5, iterations=1, warmup_rounds=1)
    record("fft", float(n), f"{n}-point rows x{ROWS}", impl, benchmark, peak_mb=peak_memory_mb(fn, x))
