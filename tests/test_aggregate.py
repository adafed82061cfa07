"""IEC 61000-4-30 aggregation (cp.aggregate) on signals whose values are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint.errors import InputError

FS = 6400.0
N50 = 128          # samples per 50 Hz cycle at 6.4 kHz


def _signal(seconds: float, *, fs: float = FS, f: float = 50.0, amp=None, h3: float = 1.5, lag: float = 0.3):
    """Voltage 325 V + 10 V 5th harmonic; current of fundamental amplitude ``amp(cycle)``
    (a constant per cycle, cycles counted from the first rising zero at sample 0) lagging
    ``lag`` rad, plus a steady 3rd harmonic ``h3`` A peak."""
    n = np.arange(int(round(seconds * fs)))
    t = n / fs
    per = fs / f
    a = 8.0 if amp is None else amp(np.floor(n / per).astype(int))
    v = 325 * np.sin(2 * np.pi * f * t) + 10 * np.sin(2 * np.pi * 5 * f * t)
    i = a * np.sin(2 * np.pi * f * t - lag) + h3 * np.sin(2 * np.pi * 3 * f * t)
    return i, v


def test_steady_signal_exact_values():
    i, v = _signal(3.0)
    table = cp.analyze(i, v, fs=FS)
    agg = cp.aggregate(table, "10/12-cycle")
    assert agg.interval == "10/12-cycle" and agg.mains_hz == 50
    assert len(agg) == len(table) // 10 == 14
    np.testing.assert_array_equal(agg.n_cycles, 10)
    np.testing.assert_allclose(agg.end - agg.start, 0.2, rtol=1e-12)
    np.testing.assert_allclose(agg.frequency, 50.0, rtol=1e-12)
    np.testing.assert_allclose(agg.i_rms, np.sqrt((8**2 + 1.5**2) / 2), rtol=1e-9)
    np.testing.assert_allclose(agg.v_rms, np.sqrt((325**2 + 10**2) / 2), rtol=1e-9)
    np.testing.assert_allclose(agg.p, 325 * 8 / 2 * np.cos(0.3), rtol=1e-9)
    np.testing.assert_allclose(agg.q, 325 * 8 / 2 * np.sin(0.3), rtol=1e-9)
    np.testing.assert_allclose(agg.pf, agg.p / (agg.i_rms * agg.v_rms), rtol=1e-12)
    # harmonic groups: all the energy sits on the harmonics
    np.testing.assert_allclose(agg.i_groups[:, 0], 8 / np.sqrt(2), rtol=1e-9)
    np.testing.assert_allclose(agg.i_groups[:, 2], 1.5 / np.sqrt(2), rtol=1e-9)
    np.testing.assert_allclose(agg.v_groups[:, 4], 10 / np.sqrt(2), rtol=1e-9)
    assert np.max(agg.i_groups[:, [1, 3, 4, 5]]) < 1e-9
    np.testing.assert_allclose(agg.thd, 1.5 / 8, rtol=1e-9)
    np.testing.assert_allclose(agg.v_thd, 10 / 325, rtol=1e-9)
    # contiguous: each interval starts where the previous ended
    np.testing.assert_allclose(agg.start[1:], agg.end[:-1], rtol=1e-12)


def _iec_groups(x: np.ndarray, first: int, n_cycles: int, per: int, h_max: int) -> np.ndarray:
    """IEC 61000-4-7 5.5.1 harmonic groups from the DFT of one synchronised window of
    ``n_cycles`` cycles (lines every f/n_cycles Hz), written out independently."""
    w = x[first:first + n_cycles * per]
    c = np.abs(np.fft.rfft(w)) * np.sqrt(2) / len(w)       # RMS of each line
    half = n_cycles // 2
    g = []
    for h in range(1, h_max + 1):
        k = n_cycles * h
        inner = np.sum(c[k - half + 1:k + half] ** 2)
        g.append(np.sqrt(c[k - half] ** 2 / 2 + inner + c[k + half] ** 2 / 2))
    return np.array(g)


@pytest.mark.parametrize("f, fs, n", [(50.0, 6400.0, 10), (60.0, 7680.0, 12)])
def test_groups_equal_iec_dft_groups_for_steady_harmonics(f, fs, n):
    i, v = _signal(2.0, fs=fs, f=f)
    table = cp.analyze(i, v, fs=fs)
    agg = cp.aggregate(table, "10/12-cycle")
    assert agg.mains_hz == f and np.all(agg.n_cycles == n)
    per = int(fs / f)
    for k in range(len(agg)):
        first = int(round(agg.start[k] * fs))
        ref = _iec_groups(i, first, n, per, 10)
        np.testing.assert_allclose(agg.i_groups[k, :10], ref, rtol=1e-6, atol=1e-9)


def test_cycle_to_cycle_amplitude_is_rms_aggregated():
    rng = np.random.default_rng(7)
    amps = rng.uniform(2.0, 12.0, 400)
    i, v = _signal(7.0, amp=lambda c: amps[c], h3=0.0, lag=0.0)   # steps at zeros
    table = cp.analyze(i, v, fs=FS)
    # table row r is the cycle starting at sample 128 (r + 1): amplitude amps[r + 1]
    a = amps[1:len(table) + 1]
    np.testing.assert_allclose(table.i_rms, a / np.sqrt(2), rtol=1e-9)

    basic = cp.aggregate(table, "10/12-cycle")
    truth10 = np.sqrt(np.mean((a[:len(basic) * 10].reshape(-1, 10) / np.sqrt(2)) ** 2, axis=1))
    np.testing.assert_allclose(basic.i_rms, truth10, rtol=1e-9)
    np.testing.assert_allclose(basic.i_groups[:, 0], truth10, rtol=1e-9)
    np.testing.assert_allclose(basic.p, 325 / 2 * a[:len(basic) * 10].reshape(-1, 10).mean(axis=1),
                               rtol=1e-9)

    long = cp.aggregate(table, "150/180-cycle")
    assert len(long) == len(table) // 150 == 2
    np.testing.assert_array_equal(long.n_cycles, 150)
    truth150 = np.sqrt(np.mean((a[:300].reshape(2, 150) / np.sqrt(2)) ** 2, axis=1))
    np.testing.assert_allclose(long.i_rms, truth150, rtol=1e-9)
    np.testing.assert_allclose(long.start, basic.start[[0, 15]], rtol=1e-12)
    np.testing.assert_allclose(long.end, basic.end[[14, 29]], rtol=1e-12)


def test_resynchronised_at_the_ten_minute_tick():
    i, v = _signal(3.0)
    table = cp.analyze(i, v, fs=FS)
    # the recording starts 1 s before a 10-minute tick of the clock
    t0 = 1_800_000_000.0 - 1.0
    assert t0 % 600 == 599
    agg = cp.aggregate(table, "10/12-cycle", t0=t0)
    rel = agg.start - t0          # float64 holds POSIX seconds to ~0.2 us
    # cycles start at 0.02, 0.04, ... s; intervals every 10 cycles until the tick at 1.0 s,
    # the one in progress (0.82-1.02 s) runs to its end, a new one starts at the tick
    np.testing.assert_allclose(rel[:7], [0.02, 0.22, 0.42, 0.62, 0.82, 1.0, 1.2], atol=1e-6)
    np.testing.assert_allclose(agg.end[4] - t0, 1.02, atol=1e-6)
    assert np.all(agg.n_cycles == 10)

    ten = cp.aggregate(table, "10min", t0=t0)
    assert len(ten) == 2 and not ten.complete.any()
    np.testing.assert_array_equal(ten.n_cycles, [50, 10 * (len(agg) - 5)])
    np.testing.assert_allclose(ten.start - t0, [0.02, 1.0], atol=1e-6)

    # 150/180-cycle intervals restart at the tick too: 15 intervals = 3 s do not fit either side
    assert len(cp.aggregate(table, "150/180-cycle", t0=t0)) == 0


def test_complete_ten_minutes():
    fs, f = 1600.0, 50.0
    amps = 1.0 + 0.5 * np.sin(np.arange(40_000) / 997.0)   # slow change, known per cycle
    i, v = _signal(605.0, fs=fs, f=f, amp=lambda c: amps[c], h3=0.0, lag=0.0)
    table = cp.analyze(i, v, fs=fs, harmonics=7)
    ten = cp.aggregate(table, "10min")
    assert len(ten) == 2
    assert ten.complete.tolist() == [True, False]
    # the cycles starting in [0, 600 s): rows 0..29998 (first crossing found at 0.02 s), grouped
    # by 10; the last interval (599.82-600.02 s) overlaps the next 10 minutes by one cycle
    assert ten.n_cycles[0] == 30_000
    a = amps[1:30_001] / np.sqrt(2)
    truth = np.sqrt(np.mean(np.mean(a.reshape(-1, 10) ** 2, axis=1)))
    np.testing.assert_allclose(ten.i_rms[0], truth, rtol=1e-9)
    np.testing.assert_allclose(ten.frequency[0], 50.0, rtol=1e-9)
    np.testing.assert_allclose(ten.start[0], 0.02, atol=1e-9)
    np.testing.assert_allclose(ten.end[0], 600.02, atol=1e-9)
    assert len(cp.aggregate(table, "150/180-cycle")) == 3000 // 15 + 1


def test_dropout_breaks_intervals():
    i, v = _signal(2.0)
    table = cp.analyze(i, v, fs=FS)
    gappy = cp.CycleTable.concatenate([table[:25], table[40:]])
    agg = cp.aggregate(gappy, "10/12-cycle")
    # [0-9], [10-19]; 20-24 are left unfinished by the dropout; then [40-49], [50-59], ...
    expected = [table.start[0], table.start[10], table.start[40], table.start[50], table.start[60], table.start[70],
                table.start[80]]
    np.testing.assert_allclose(agg.start, np.array(expected) / FS, rtol=1e-12)


def test_uncalibrated_and_without_voltage():
    i, v = _signal(1.0)
    counts = np.round(i * 40).astype(np.int16)
    table = cp.analyze(counts, np.round(v * 20).astype(np.int16), fs=FS)
    agg = cp.aggregate(table)
    assert not agg.calibrated and "counts" in repr(agg)
    no_v = cp.aggregate(cp.analyze(i, fs=FS), mains_hz=50)
    assert len(no_v) > 0 and np.all(np.isnan(no_v.p)) and np.all(np.isfinite(no_v.i_rms))
    d = agg.to_dict()
    assert {"start", "i_rms", "thd", "i_g1", "v_g25"} <= set(d)


def test_bad_arguments_are_named():
    i, v = _signal(1.0)
    table = cp.analyze(i, v, fs=FS)
    with pytest.raises(InputError, match="unknown interval"):
        cp.aggregate(table, "1min")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="50 or 60"):
        cp.aggregate(table, mains_hz=55)
    with pytest.raises(InputError, match="CycleTable"):
        cp.aggregate(np.zeros(10))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="t0"):
        cp.aggregate(table, t0=float("nan"))
    i60, v60 = _signal(1.0, f=57.0, fs=5700.0)
    assert cp.aggregate(cp.analyze(i60, v60, fs=5700.0)).mains_hz == 60     # the nearer nominal
    assert len(cp.aggregate(table[:0], mains_hz=50)) == 0


def test_spectrum_groups_and_subgroups_with_interharmonics():
    """IEC 61000-4-7 on the 5 Hz lines: an interharmonic at 175 Hz (line 35, midway between
    the 3rd and 4th harmonics) counts half in each group and in no subgroup; one at 155 Hz
    (line 31) is inside the 3rd harmonic's subgroup."""
    n = np.arange(int(2 * FS))
    t = n / FS
    v = 325 * np.sin(2 * np.pi * 50 * t)
    a3, a175, a155 = 1.5, 0.4, 0.3
    i = (8 * np.sin(2 * np.pi * 50 * t) + a3 * np.sin(2 * np.pi * 150 * t + 0.2)
         + a175 * np.sin(2 * np.pi * 175 * t) + a155 * np.sin(2 * np.pi * 155 * t))
    table = cp.analyze(i, v, fs=FS)
    agg = cp.aggregate(table, "10/12-cycle", current=i, voltage=v)
    assert agg.spectrum and len(agg) == 9
    r = 1 / np.sqrt(2)
    np.testing.assert_allclose(agg.i_groups[:, 0], 8 * r, rtol=1e-9)
    np.testing.assert_allclose(agg.i_groups[:, 2], np.sqrt((a3 * r) ** 2 + (a155 * r) ** 2 + (a175 * r) ** 2 / 2),
                               rtol=1e-9)
    np.testing.assert_allclose(agg.i_groups[:, 3], np.sqrt((a175 * r) ** 2 / 2), rtol=1e-9)
    np.testing.assert_allclose(agg.i_subgroups[:, 2], np.sqrt((a3 * r) ** 2 + (a155 * r) ** 2), rtol=1e-9)
    np.testing.assert_allclose(agg.i_subgroups[:, 3], 0.0, atol=1e-9)
    np.testing.assert_allclose(agg.v_subgroups[:, 0], 325 * r, rtol=1e-9)
    # without the samples: no subgroups, and the per-cycle groups cannot split the interharmonics
    # the IEC way (the 175 Hz energy is not shared half and half), so they differ from the above
    cyc = cp.aggregate(table, "10/12-cycle")
    assert not cyc.spectrum and np.all(np.isnan(cyc.i_subgroups))
    assert np.max(np.abs(cyc.i_groups[:, 3] - agg.i_groups[:, 3])) > 0.01
    # longer intervals aggregate the subgroups as RMS too
    i_long = np.tile(i, 2)
    v_long = np.tile(v, 2)
    long = cp.aggregate(cp.analyze(i_long, v_long, fs=FS), "150/180-cycle", current=i_long, voltage=v_long)
    assert len(long) == 1
    np.testing.assert_allclose(long.i_subgroups[0, 2], np.sqrt((a3 * r) ** 2 + (a155 * r) ** 2), rtol=1e-9)


def test_spectrum_with_counts_and_calibration():
    i, v = _signal(1.0)
    cal = cp.Calibration(current_scale=1 / 40, voltage_scale=1 / 20, current_offset=3.0)
    ic = np.round(i * 40 + 3.0).astype(np.int16)
    vc = np.round(v * 20).astype(np.int16)
    table = cp.analyze(ic, vc, fs=FS, calibration=cal)
    agg = cp.aggregate(table, current=ic, voltage=vc, calibration=cal)
    np.testing.assert_allclose(agg.i_groups[:, 0], 8 / np.sqrt(2), rtol=2e-3)   # 1/40 A quantisation
    np.testing.assert_allclose(agg.i_groups[:, 0], agg.i_rms * np.sqrt(64 / (64 + 1.5**2)), rtol=2e-3)
    with pytest.raises(InputError, match="samples"):
        cp.aggregate(table, current=ic[:1000])
    with pytest.raises(InputError, match="both"):
        cp.aggregate(table, voltage=vc)
