"""The NumPy reference checked against its own definitions.

The kernel is tested against ``_reference``; these tests make sure the
reference itself means what the column docs say (so that kernel ==
reference is worth something): the vectorised crossing scan equals the
per-sample loop, the interpolator is exact on polynomials of degree <= 5,
and the features agree with direct time-domain formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import currentprint as cp
from currentprint.core import _reference as ref


@st.composite
def framing_signal(draw):
    fs = draw(st.sampled_from([1000.0, 2000.0, 6400.0, 10000.0, 30000.0]))
    f = draw(st.floats(45.0, 65.0))
    n = int(draw(st.floats(0.0, 12.0)) * fs / f)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    th = 2 * np.pi * f * np.arange(n) / fs + draw(st.floats(0, 2 * np.pi))
    x = np.sin(th) + draw(st.floats(0, 0.3)) * np.sin(3 * th + 1.0) + draw(st.floats(0, 0.2)) * np.sin(
        draw(st.integers(5, 15)) * th)
    x = x + rng.normal(0, draw(st.sampled_from([0.0, 0.01, 0.1, 0.3])), n)
    x = np.clip(x, -draw(st.floats(0.3, 2.0)), 2.0)      # flat tops
    if draw(st.booleans()):
        x = np.round(x * 1000).astype(np.int16)
    offset = draw(st.sampled_from([0.0, 0.05, -3.0]))
    return x, fs, offset


@given(framing_signal(), st.sampled_from([None, 50.0, 60.0]), st.sampled_from([0.0, 0.1, 0.4]))
def test_vectorised_scan_equals_loop(sig, mains_hz, hyst):
    x, fs, offset = sig
    a = ref.scan_crossings_loop(x, fs, mains_hz, hyst, offset=offset)
    b = ref.scan_crossings_reference(x, fs, mains_hz, hyst, offset=offset)
    np.testing.assert_array_equal(a, b)
    # block boundaries carry the scan state exactly
    c = ref.scan_crossings_reference(x, fs, mains_hz, hyst, offset=offset, block=37)
    np.testing.assert_array_equal(a, c)


@given(framing_signal())
def test_crossings_are_rising_and_spaced(sig):
    x, fs, offset = sig
    c = ref.scan_crossings_reference(x, fs, offset=offset)
    assert np.all(np.diff(c) >= fs / 65.0)
    y = np.asarray(x, float) - offset
    j = np.floor(c).astype(int)
    assert np.all(y[j] <= 0) and np.all(y[j + 1] > 0)
    assert np.all((c - j >= 0) & (c - j < 1))


def test_crossings_of_a_sine_are_where_the_sine_rises():
    fs, f, ph = 6400.0, 50.0, 0.7
    x = np.sin(2 * np.pi * f * np.arange(6400) / fs + ph)
    c = ref.scan_crossings_loop(x, fs)
    truth = ((2 * np.pi - ph) / (2 * np.pi) + np.arange(len(c))) * fs / f
    # linear interpolation of a sine's zero: error ~ h^3, tiny
    np.testing.assert_allclose(c, truth[:len(c)], atol=1e-4)
    assert len(c) == 50


def test_chatter_is_suppressed():
    """Noise around the zero produces one crossing per cycle, not several."""
    fs, f = 10000.0, 50.0
    rng = np.random.default_rng(0)
    x = np.sin(2 * np.pi * f * np.arange(10000) / fs) + rng.normal(0, 0.02, 10000)
    c = ref.scan_crossings_reference(x, fs)
    assert len(c) == 49          # rising zeros at 200, 400, ..., 9800 (the one at sample 0 has no sample before it)
    np.testing.assert_allclose(np.diff(c), 200, atol=2)


@pytest.mark.parametrize("mu", [0.0, 0.1, 0.5, 0.999])
def test_lagrange_exact_on_quintics(mu):
    w = ref.lagrange6_weights(np.array([mu]))[:, 0]
    nodes = np.arange(-2, 4)
    for deg in range(6):
        np.testing.assert_allclose(w @ nodes.astype(float) ** deg, mu ** deg, atol=1e-13)
    if mu == 0.0:
        np.testing.assert_array_equal(w, [0, 0, 1, 0, 0, 0])


def test_resample_integer_period_is_the_samples():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    t0 = np.array([10.3, 300.7])
    r = ref.resample_reference(x, t0, t0 + 128, 128, scale=2.0, offset=0.5)
    for c in range(2):
        n0 = int(np.ceil(t0[c]))
        np.testing.assert_allclose(r[c], (x[n0:n0 + 128] - 0.5) * 2.0, rtol=1e-15)


def test_features_match_time_domain_definitions():
    rng = np.random.default_rng(2)
    ri = rng.normal(size=(5, 64)) + 1.0
    rv = rng.normal(size=(5, 64))
    fi, fv = ref.spectra_reference(ri), ref.spectra_reference(rv)
    out = ref.features_reference(ri, rv, fi, fv, harmonics=31)
    np.testing.assert_allclose(out["p"], np.mean(ri * rv, axis=1), rtol=1e-12)
    np.testing.assert_allclose(out["i_dc"], ri.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(out["s"], np.sqrt(np.mean(ri ** 2, 1) * np.mean(rv ** 2, 1)), rtol=1e-12)
    # all harmonics kept up to n/2 - 1: only the Nyquist bin is left over
    nyq = np.abs(fi[:, -1]) / 64
    np.testing.assert_allclose(out["i_residual"], nyq, rtol=1e-6, atol=1e-9)


def test_analyze_reference_loop_and_vectorised_framing_agree():
    fs = 6400.0
    t = np.arange(3200) / fs
    v = 325 * np.sin(2 * np.pi * 50.2 * t + 0.3)
    i = 10 * np.sin(2 * np.pi * 50.2 * t - 0.2) + np.sin(2 * np.pi * 150.6 * t)
    for volt in (v, None):
        a = ref.analyze_reference(i, volt, fs=fs)
        b = ref.analyze_reference(i, volt, fs=fs, loop_framing=True)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    r = ref.analyze_reference(i, v, fs=fs)
    np.testing.assert_allclose(r["dpf"], math.cos(0.5), rtol=1e-4)
    np.testing.assert_allclose(r["thd"], 0.1, rtol=1e-4)


@settings(max_examples=15)
@given(framing_signal(), st.lists(st.integers(1, 700), min_size=1, max_size=8), st.booleans())
def test_reference_stream_equals_reference_batch(sig, sizes, with_voltage):
    x, fs, offset = sig
    if fs < 2000.0 or len(x) == 0:
        return
    rng = np.random.default_rng(len(x))
    v = (x.astype(float) * 300 if x.dtype != np.int16 else x.astype(float) * 0.3) + 10 * offset
    i = 0.02 * v + rng.normal(0, 0.5, len(v))
    v = v if with_voltage else None
    h = int(fs / 130 - 1e-9) if fs < 3250 else 25
    cal = cp.Calibration(voltage_offset=10 * offset)
    batch = ref.analyze_reference(i, v, fs=fs, harmonics=h, calibration=cal)
    stream = ref.ReferenceStream(fs, harmonics=h, calibration=cal)
    parts, pos, k = [], 0, 0
    while pos < len(i):
        step = sizes[k % len(sizes)]
        out = stream.push(i[pos:pos + step], None if v is None else v[pos:pos + step])
        if out is not None:
            parts.append(out)
        pos += step
        k += 1
    n = batch["start"].shape[0]
    assert sum(p["start"].shape[0] for p in parts) == n
    for key in batch:
        got = np.concatenate([p[key] for p in parts]) if parts else batch[key][:0]
        np.testing.assert_allclose(got, batch[key], rtol=1e-12, atol=1e-12 * max(1.0, np.abs(i).max() * 300),
                                   equal_nan=True, err_msg=key)
