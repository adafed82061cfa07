"""The framing scan of a long chunk runs as two lanes side by side (``cp_scan_split`` in _cycle_tmpl.h):
lane B starts at the middle from an empty state and is used from the first checkpoint where lane A's
state equals it. These tests hold it to the one-lane scan, which chunks shorter than the split
threshold get: same crossings and same final state, bit for bit, on both SIMD paths."""
import math

import numpy as np
import pytest

from currentprint import _core
from currentprint.core.framing import ZeroCrossingScanner

from _signals import faded_amplitude

FS = 6400.0
SPLIT_MIN = 32768           # CP_SCAN_SPLIT_MIN in _cycle.h
CHUNK = 4096                # below it: the one-lane scan


@pytest.fixture(params=["auto", "baseline"])
def simd(request):
    before = _core.simd_path()
    _core.set_simd(request.param)
    yield request.param
    _core.set_simd("auto" if before != "baseline" else "baseline")


def _voltage(seconds, fade=None, sag=None, seed=0):
    """50 Hz +- drift with a little noise; ``fade`` (start s, end s): the amplitude falls 6 % per cycle
    (faster than the scan's peak decay, so the lanes cannot meet there); ``sag`` (start s, end s): 40 %."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    ph = 2 * np.pi * np.cumsum(50.0 + 0.2 * np.sin(2 * np.pi * t / 5.0)) / FS
    amp = faded_amplitude(t, fade)
    if sag is not None:
        amp[(t >= sag[0]) & (t < sag[1])] *= 0.4
    return amp * (np.sin(ph) + 0.01 * np.sin(3 * ph)) + rng.normal(0, 0.5, t.size)


def _scan(x, pieces, cap_factor=1.0):
    sc = ZeroCrossingScanner(FS)
    st = _core.new_scan_state()
    found = []
    for k in range(0, len(x), pieces):
        part = x[k:k + pieces]
        cap = max(1, int((len(part) // max(1, int(sc.min_period)) + 2) * cap_factor))
        out = np.empty(cap)
        n = _core.scan_crossings(part, st, out, sc.decay, sc.hysteresis, sc.min_period, sc.sos, False,
                                 offset=0.0)
        if n < 0:
            return None, st
        found.append(out[:n].copy())
    return np.concatenate(found), st


def _same(a, b):
    (ca, sa), (cb, sb) = a, b
    assert ca is not None and cb is not None
    np.testing.assert_array_equal(ca, cb)
    np.testing.assert_array_equal(sa, sb)       # NaN == NaN here: 'last' may be NaN


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16])
@pytest.mark.parametrize("case", ["steady", "fade", "sag_at_split", "short_of_split"])
def test_two_lane_scan_equals_one_lane(simd, dtype, case):
    seconds = 12.0
    kw = {"steady": {}, "fade": {"fade": (5.0, 9.0)}, "sag_at_split": {"sag": (5.9, 6.3)},
          "short_of_split": {}}[case]
    x = _voltage(seconds, **kw)
    if case == "short_of_split":
        x = x[:SPLIT_MIN - 4]
    if dtype is np.int16:
        x = np.round(x * (32767 / 400.0)).astype(np.int16)
    else:
        x = x.astype(dtype)
    assert case == "short_of_split" or len(x) >= 2 * SPLIT_MIN
    whole = _scan(x, len(x))
    _same(whole, _scan(x, CHUNK))
    assert len(whole[0]) > 0.9 * 50 * len(x) / FS


def test_two_lane_scan_chunk_boundaries_and_carried_state(simd):
    # a long chunk after a short one: the carried state (not an empty one) starts lane A
    x = _voltage(14.0, seed=3)
    a = _scan(x[:1000], 1000)
    sc = ZeroCrossingScanner(FS)
    st = a[1].copy()
    out = np.empty(len(x) // int(sc.min_period) + 2)
    n = _core.scan_crossings(x[1000:], st, out, sc.decay, sc.hysteresis, sc.min_period, sc.sos, False)
    got = (np.concatenate([a[0], out[:n]]), st)
    _same(got, _scan(x, CHUNK))


def test_two_lane_scan_full_output_is_reported(simd):
    # an output too small for the chunk's crossings: -1, as the one-lane scan (state left alone)
    x = _voltage(12.0)
    sc = ZeroCrossingScanner(FS)
    one, _ = _scan(x, CHUNK)
    for cap in (len(one) - 1, len(one) // 2 - 1, 3):
        st = _core.new_scan_state()
        before = st.copy()
        out = np.empty(cap)
        assert _core.scan_crossings(x, st, out, sc.decay, sc.hysteresis, sc.min_period, sc.sos, False) == -1
        np.testing.assert_array_equal(st, before)
    st = _core.new_scan_state()
    out = np.empty(len(one))
    assert _core.scan_crossings(x, st, out, sc.decay, sc.hysteresis, sc.min_period, sc.sos, False) == len(one)
    np.testing.assert_array_equal(out, one)


def test_decay_matches_scanner():
    # the tests above use the analyzer's own scanner constants
    sc = ZeroCrossingScanner(FS)
    assert sc.decay == math.exp(-1.0 / (0.5 * FS))
