"""Streaming equals batch: ``CycleAnalyzer.push`` over any chunking == ``analyze``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import currentprint as cp
from currentprint.core.cycles import COLUMNS


@st.composite
def signals(draw):
    fs = draw(st.sampled_from([2000.0, 4000.0, 6400.0, 10000.0, 12800.0]))
    f = draw(st.floats(46.0, 64.0))
    n = int(draw(st.floats(0.0, 10.0)) * fs / f)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    th = 2 * np.pi * f * np.arange(n) / fs + draw(st.floats(0, 2 * np.pi))
    v = 325 * np.sin(th) + 10 * np.sin(3 * th + 0.5) + rng.normal(0, 1.0, n)
    i = 5 * np.sin(th - 0.4) + 1.5 * np.sin(5 * th + 2.0) + rng.normal(0, 0.02, n)
    if draw(st.booleans()):                      # a load switching on mid-way
        i[: n // 2] *= 0.05
    dtype = draw(st.sampled_from(["float64", "float32", "int16"]))
    cal = None
    if dtype == "int16":
        i = np.round(i / 0.01).astype(np.int16)
        v = np.round(v / 0.05).astype(np.int16)
        cal = cp.Calibration(current_scale=0.01, voltage_scale=0.05, current_offset=3.0)
    else:
        i, v = i.astype(dtype), v.astype(dtype)
    return i, v, fs, cal


chunk_sizes = st.lists(
    st.one_of(st.integers(1, 3), st.integers(1, 200), st.integers(200, 5000),
              st.lists(st.just(1), min_size=2, max_size=300)),      # runs of 1-sample chunks
    min_size=1, max_size=30)


def _chunks(n: int, spec: list) -> list[tuple[int, int]]:
    sizes = []
    for s in spec:
        sizes.extend(s if isinstance(s, list) else [s])
    out, pos, k = [], 0, 0
    while pos < n:
        step = sizes[k % len(sizes)]
        out.append((pos, min(n, pos + step)))
        pos += step
        k += 1
    return out


def _stream(i, v, fs, cal, spec, **kw) -> cp.CycleTable:
    an = cp.CycleAnalyzer(fs, calibration=cal, **kw)
    parts = [an.push(i[a:b], None if v is None else v[a:b]) for a, b in _chunks(len(i), spec)]
    parts.append(an.push(i[:0], None if v is None else v[:0]))     # empty pushes are fine
    assert an.samples_seen == len(i)
    return cp.CycleTable.concatenate(parts)


def assert_tables_equal(a: cp.CycleTable, b: cp.CycleTable) -> None:
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.start, b.start)
    for name in COLUMNS:
        np.testing.assert_allclose(a.column(name), b.column(name), rtol=1e-9, atol=0, equal_nan=True,
                                   err_msg=name)
    np.testing.assert_allclose(a._harm_i, b._harm_i, rtol=1e-9, atol=0)
    np.testing.assert_allclose(a._harm_v, b._harm_v, rtol=1e-9, atol=0)


@settings(max_examples=150)
@given(signals(), chunk_sizes, st.booleans())
def test_stream_equals_batch(sig, spec, with_voltage):
    i, v, fs, cal = sig
    v = v if with_voltage else None
    h = min(25, int(fs / 130 - 1e-9))
    batch = cp.CycleAnalyzer(fs, harmonics=h, calibration=cal).push(i, v)
    assert_tables_equal(_stream(i, v, fs, cal, spec, harmonics=h), batch)
    if with_voltage and len(i) > 0:
        try:
            assert_tables_equal(cp.analyze(i, v, fs=fs, harmonics=h, calibration=cal), batch)
        except cp.errors.NoZeroCrossingError:
            assert len(batch) == 0


@settings(max_examples=150)
@given(signals(), chunk_sizes)
def test_stream_equals_batch_with_waveforms(sig, spec):
    i, v, fs, cal = sig
    batch = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal, waveforms=True).push(i, v)
    stream = _stream(i, v, fs, cal, spec, harmonics=5, waveforms=True)
    assert_tables_equal(stream, batch)
    np.testing.assert_array_equal(stream._waves[0], batch._waves[0])
    np.testing.assert_array_equal(stream._waves[1], batch._waves[1])


@settings(max_examples=150)
@given(signals(), st.integers(1, 4000), st.integers(0, 10))
def test_state_dict_round_trip_mid_stream(sig, chunk, cut):
    """Saving and restoring the analyzer between pushes changes nothing (every example restores once)."""
    i, v, fs, cal = sig
    batch = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal).push(i, v)
    an = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal)
    starts = list(range(0, len(i), chunk))
    at = cut % max(len(starts), 1)          # restore before this push (0: a fresh analyzer's state)
    parts = []
    restored = False
    for k, a in enumerate(starts):
        if k == at:
            an = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal).load_state(an.state_dict())
            restored = True
        parts.append(an.push(i[a:a + chunk], v[a:a + chunk]))
    assert restored or not starts
    if parts:
        assert_tables_equal(cp.CycleTable.concatenate(parts), batch)


@pytest.mark.parametrize("with_voltage", [True, False])
def test_memory_does_not_grow_with_stream_length(with_voltage):
    """The kept samples stay about one cycle, whatever the stream length."""
    fs = 6400.0
    sig = cp.synth.synth_signal(duration_s=20.0, fs=fs, loads={"k": cp.synth.Resistive(1000.0),
                                "pc": cp.synth.Rectifier(100.0)}, seed=5)
    an = cp.CycleAnalyzer(fs)
    sizes = []
    n_cycles = 0
    for a in range(0, sig.n_samples, 128):        # 20 ms per push
        t = an.push(sig.current[a:a + 128], sig.voltage[a:a + 128] if with_voltage else None)
        n_cycles += len(t)
        st_ = an.state_dict()["stream"]
        sizes.append((st_["buf_i"].shape[0], st_["pending"].shape[0]))
    sizes = np.array(sizes)
    assert n_cycles >= 990
    # at most one period at 45 Hz plus the interpolation margin and a chunk
    assert sizes[:, 0].max() <= fs / 45.0 + 128 + 16
    assert sizes[:, 1].max() <= 3
    # the same bound in the second half as in the first: nothing accumulates
    half = len(sizes) // 2
    assert sizes[half:, 0].max() <= sizes[:half, 0].max() + 16


def test_stream_of_single_samples_long():
    """A whole second pushed one sample at a time equals the batch table."""
    sig = cp.synth.synth_signal(duration_s=1.0, fs=4000.0, loads={"m": cp.synth.Motor(500.0)}, seed=9)
    batch = cp.analyze(sig.current, sig.voltage, fs=4000.0, harmonics=10)
    assert_tables_equal(_stream(sig.current, sig.voltage, 4000.0, None, [1], harmonics=10), batch)


@settings(max_examples=60)
@given(signals(), chunk_sizes)
def test_stream_equals_batch_with_current_waveforms(sig, spec):
    """waveforms="current": every column and the current's cycles as waveforms=True, in any chunking;
    the voltage's cycles a read-only all-NaN view."""
    i, v, fs, cal = sig
    full = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal, waveforms=True).push(i, v)
    batch = cp.CycleAnalyzer(fs, harmonics=5, calibration=cal, waveforms="current").push(i, v)
    stream = _stream(i, v, fs, cal, spec, harmonics=5, waveforms="current")
    for t in (batch, stream):
        assert_tables_equal(t, full)
        assert t.has_waveforms
        np.testing.assert_array_equal(t.raw_waves[0], full.raw_waves[0])
        assert t.raw_waves[1].shape == full.raw_waves[1].shape and np.isnan(t.raw_waves[1]).all()
    if len(batch):
        assert not batch.raw_waves[1].flags.writeable


def test_waveforms_option_is_checked():
    with pytest.raises(cp.errors.InputError, match="waveforms"):
        cp.CycleAnalyzer(6400.0, waveforms="voltage")


def test_current_waveforms_are_refused_where_the_voltage_cycles_are_read():
    """A table with the current's cycles alone is not silently read as if it had the voltage's."""
    sig = cp.synth.synth_signal(duration_s=1.0, fs=6400, loads={"kettle": cp.synth.Resistive(2000.0)}, seed=2)
    full = cp.analyze(sig.current, sig.voltage, fs=6400, waveforms=True)
    cur = cp.analyze(sig.current, sig.voltage, fs=6400, waveforms="current")
    assert full.has_voltage_waveforms and not cur.has_voltage_waveforms
    assert not cp.analyze(sig.current, sig.voltage, fs=6400).has_voltage_waveforms
    assert not cp.CycleTable.concatenate([full, cur]).has_voltage_waveforms
    with pytest.raises(cp.errors.InputError, match="current"):
        cp.detectors.EventDetector().update(cur)
    assert cp.detectors.EventDetector().update(full) == []
