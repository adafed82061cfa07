"""The core's own FFT and direct DFT against ``numpy.fft.rfft``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from currentprint import _core


def _rows(seed: int, rows: int, n: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray(rng.normal(0.0, scale, (rows, n)))


@given(st.integers(2, 12), st.integers(1, 5), st.integers(0, 2**32 - 1),
       st.sampled_from([1e-300, 1e-6, 1.0, 1e6, 1e300]))
def test_rfft_batch_equals_numpy(log2n, rows, seed, scale):
    n = 1 << log2n
    x = _rows(seed, rows, n, scale)
    got = _core.rfft_batch(x)
    want = np.fft.rfft(x, axis=1)
    assert got.shape == want.shape and got.dtype == np.complex128
    # radix-2 rounding grows like log2(n) * eps * ||x||
    tol = 1e-14 * log2n * np.sqrt(n) * np.abs(x).max()
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


@given(st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_rfft_batch_with_plan_and_structure(log2n, seed):
    n = 1 << log2n
    plan = _core.FFTPlan(n)
    assert plan.n == n
    x = _rows(seed, 3, n, 1.0)
    got = _core.rfft_batch(x, plan)
    np.testing.assert_allclose(got, np.fft.rfft(x, axis=1), rtol=0, atol=1e-13 * log2n * np.sqrt(n))
    # a real signal has real DC and Nyquist bins
    np.testing.assert_allclose(got[:, 0].imag, 0, atol=1e-12 * np.sqrt(n))
    np.testing.assert_allclose(got[:, -1].imag, 0, atol=1e-12 * np.sqrt(n))


@pytest.mark.parametrize("n", [4, 8, 128, 256, 512, 1024, 4096])
def test_rfft_of_pure_tones(n):
    """Bin k of cos(2 pi k j / n) is n/2, everything else zero."""
    j = np.arange(n)
    for k in sorted({1, 2, n // 4, n // 2 - 1} & set(range(1, n // 2))):
        x = np.cos(2 * np.pi * k * j / n)[None, :].copy()
        f = _core.rfft_batch(x)[0]
        expect = np.zeros(n // 2 + 1, complex)
        expect[k] = n / 2
        np.testing.assert_allclose(f, expect, atol=1e-12 * n)


def test_rfft_empty_batch_and_errors():
    assert _core.rfft_batch(np.empty((0, 16))).shape == (0, 9)
    for bad in (0, 2, 3, 6, 100):
        with pytest.raises(ValueError):
            _core.FFTPlan(bad)
    with pytest.raises(ValueError):
        _core.rfft_batch(np.zeros((2, 16)), _core.FFTPlan(32))
    with pytest.raises(ValueError):
        _core.rfft_batch(np.zeros((2, 12)))          # not a power of two


@given(st.integers(2, 12), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_dft_harmonics_equals_numpy(log2n, harmonics, seed):
    n = 1 << log2n
    h = min(harmonics, n // 2)
    x = _rows(seed, 2, n, 3.0)
    got = _core.dft_harmonics_batch(x, h)
    want = np.fft.rfft(x, axis=1)[:, :h + 1]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * n * 3.0)


def test_fft_and_dft_agree_on_a_mains_cycle():
    """The two spectral paths of the core agree on a 128-point current cycle."""
    j = np.arange(128)
    x = (10 * np.sin(2 * np.pi * j / 128) + 2 * np.sin(2 * np.pi * 3 * j / 128 + 1)
         + 0.5 * np.cos(2 * np.pi * 25 * j / 128))[None, :].copy()
    np.testing.assert_allclose(_core.dft_harmonics_batch(x, 25), _core.rfft_batch(x)[:, :26], atol=1e-11)
