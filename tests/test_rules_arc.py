"""Boundary tests of the arc-fault counting rules.

The counting rule is checked apart from the evidence: the detector's
``evidence`` is wrapped so that exactly the chosen half-cycles carry the
"counted" bit, and the alarm must appear at exactly ``count_threshold``
counted half-cycles within ``window_s`` (GB 14287.4 practice: 14 in 1 s)
and not one before; under IEC 62606 at the quota the detector states for
each Table 1 current, within that current's break time. The thresholds come
from the detector's own parameters and its alerts, so a legitimate change of
the rule keeps being tested; only the documented defaults are pinned.
"""

from __future__ import annotations

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core

COUNTED = _core.ARC_BITS["counted"]
SKIP = _core.ARC_BITS["skip"]
FS = 6400.0
HC = int(FS / 100)          # samples per half-cycle at 50 Hz


def _table(i_rms: float, seconds: float, *, dark=()):
    """A clean 50 Hz resistive current; ``dark`` half-cycles (index from the start) carry no current."""
    n = int(seconds * FS)
    t = np.arange(n) / FS
    v = 325.0 * np.sin(2 * np.pi * 50 * t)
    i = i_rms * np.sqrt(2) * np.sin(2 * np.pi * 50 * t)
    for h in dark:
        i[h * HC:(h + 1) * HC] = 0.0
    return cp.analyze(i, v, fs=FS)


def _inject(det, counted_halves):
    """Make exactly ``counted_halves`` (indices in time order since the stream start) counted."""
    orig = det.evidence
    seen = [0]

    def evidence(cycles):
        ev = orig(cycles)
        order = np.argsort(ev["sample"], kind="stable")
        code = np.zeros_like(ev["code"])
        idx = np.arange(len(code)) + seen[0]
        mark = np.isin(idx, np.asarray(counted_halves, dtype=int))
        code[order[mark]] = COUNTED
        seen[0] += len(code)
        ev["code"] = code
        return ev

    det.evidence = evidence
    return det


def _half_sample(table, det_like_halves):
    ev = cp.ArcFaultDetector().evidence(table)
    return np.sort(ev["sample"])[det_like_halves]


def test_documented_defaults():
    p = cp.ArcFaultDetector().get_params()
    # GB 14287.4 practice, as documented in the class and README
    assert p["count_threshold"] == 14 and p["window_s"] == 1.0 and p["mode"] == "gb14287"


@pytest.mark.parametrize("spacing", [1, 3, 7])
def test_gb14287_alarm_at_exactly_the_threshold(spacing):
    det0 = cp.ArcFaultDetector()
    need, window_s = det0.count_threshold, det0.window_s
    assert (need - 1) * spacing * 0.01 < window_s      # all inside one window
    table = _table(8.0, 2.0)
    start = 20
    halves = [start + spacing * k for k in range(need)]
    # one fewer than the threshold: silent
    assert _inject(cp.ArcFaultDetector(), halves[:-1]).update(table) == []
    # exactly the threshold: one alarm, at the last counted half-cycle
    alerts = _inject(cp.ArcFaultDetector(), halves).update(table)
    assert len(alerts) == 1
    d = alerts[0].detail
    assert d["counted"] == d["required"] == need
    assert d["rule"] == "gb14287"
    assert alerts[0].sample == int(round(_half_sample(table, halves[-1])))
    assert d["half_cycles"] == [int(round(x)) for x in _half_sample(table, halves)]


def test_gb14287_window_edge():
    """``count_threshold`` counted half-cycles spanning just more than ``window_s`` do not alarm."""
    det0 = cp.ArcFaultDetector()
    need, window_s = det0.count_threshold, det0.window_s
    hc_in_window = int(round(window_s * 100))
    table = _table(8.0, 3.0)
    # first and last exactly one window apart: the window (t - window_s, t] excludes the first
    halves = list(range(10, 10 + need - 1)) + [10 + hc_in_window]
    assert _inject(cp.ArcFaultDetector(), halves).update(table) == []
    # one half-cycle closer: inside
    halves[-1] -= 1
    assert len(_inject(cp.ArcFaultDetector(), halves).update(table)) == 1


def test_threshold_parameter_is_the_rule():
    for need in (3, 9, 20):
        table = _table(8.0, 2.0)
        halves = list(range(30, 30 + need))
        assert _inject(cp.ArcFaultDetector(count_threshold=need), halves[:-1]).update(table) == []
        a = _inject(cp.ArcFaultDetector(count_threshold=need), halves).update(table)
        assert len(a) == 1 and a[0].detail["counted"] == a[0].detail["required"] == need


def test_streaming_does_not_move_the_threshold():
    det0 = cp.ArcFaultDetector()
    need = det0.count_threshold
    table = _table(8.0, 2.0)
    halves = [40 + 2 * k for k in range(need)]
    for cut in (5, 27, 40, 53):
        for n_counted, expect in ((need - 1, 0), (need, 1)):
            det = _inject(cp.ArcFaultDetector(), halves[:n_counted])
            got = det.update(table[:cut]) + det.update(table[cut:])
            assert len(got) == expect, (cut, n_counted)


def test_rearm_suppresses_a_second_alarm():
    det0 = cp.ArcFaultDetector()
    need, rearm = det0.count_threshold, det0.rearm_s
    table = _table(8.0, rearm + 3.0)
    first = list(range(10, 10 + need))
    again = int(round((rearm - 1.0) * 100))           # inside the re-arm time
    late = int(round((rearm + 1.0) * 100))            # after it
    a = _inject(cp.ArcFaultDetector(), first + list(range(again, again + need))).update(table)
    assert len(a) == 1
    a = _inject(cp.ArcFaultDetector(), first + list(range(late, late + need))).update(table)
    assert len(a) == 2


# -- IEC 62606 ------------------------------------------------------------------------
def _iec_table():
    from currentprint.detectors import arc as arc_mod
    return arc_mod._IEC_I, arc_mod._IEC_T


def test_iec_quota_is_the_documented_rule():
    """A share of the break time's half-cycles, clipped (module constants _IEC_SHARE, _IEC_MIN; at most 14)."""
    from currentprint.detectors import arc as arc_mod
    share, low = getattr(arc_mod, "_IEC_SHARE", 0.3), getattr(arc_mod, "_IEC_MIN", 4)
    currents, times = _iec_table()
    for i_a, t_s in zip(currents, times):
        table = _table(float(i_a), 2.0)
        a = _inject(cp.ArcFaultDetector(mode="iec62606"), range(20, 60)).update(table)
        assert len(a) == 1
        d = a[0].detail
        assert d["rule"] == "iec62606"
        assert d["window_s"] == pytest.approx(t_s, rel=1e-3)
        # the quota of the break time the detector used (the measured current is within
        # float rounding of the table's, which decides 7.5 -> 7 or 8)
        expect = int(np.clip(np.round(share * 100 * d["window_s"]), low, 14))
        assert d["required"] == expect, (i_a, d)


@pytest.mark.parametrize("k", range(6))
def test_iec_alarm_at_the_quota_for_each_table_current(k):
    currents, times = _iec_table()
    i_a, t_s = float(currents[k]), float(times[k])
    table = _table(i_a, 2.5)
    probe = _inject(cp.ArcFaultDetector(mode="iec62606"), range(20, 80)).update(table)
    need = probe[0].detail["required"]
    assert 1 <= need <= 14
    start = 60
    # consecutive counted half-cycles: the quota alarms, one fewer does not
    assert _inject(cp.ArcFaultDetector(mode="iec62606"), range(start, start + need - 1)).update(table) == []
    a = _inject(cp.ArcFaultDetector(mode="iec62606"), range(start, start + need)).update(table)
    assert len(a) == 1 and a[0].detail["counted"] == need
    # the alarm comes within the break time of the first counted half-cycle
    t_first = _half_sample(table, start) / FS
    assert a[0].time - t_first <= t_s
    # the same count spread over more than the break time: silent; just inside: alarm
    span_hc = t_s * 100                    # half-cycles in the break time
    gap = span_hc / (need - 1) if need > 1 else span_hc
    wide = [start + int(round(j * gap * 1.08)) for j in range(need)]
    narrow = [start + int(np.floor(j * gap * 0.9)) for j in range(need)]
    assert wide[-1] - wide[0] > span_hc
    assert narrow[-1] - narrow[0] < span_hc
    assert _inject(cp.ArcFaultDetector(mode="iec62606"), wide).update(table) == []
    assert len(_inject(cp.ArcFaultDetector(mode="iec62606"), narrow).update(table)) == 1


# -- the whole chain: dark half-cycles are counted ----------------------------------------
def test_dark_half_cycles_alarm_at_the_threshold():
    need = cp.ArcFaultDetector().count_threshold
    darks = [50 + 5 * k for k in range(need)]
    quiet = cp.ArcFaultDetector().update(_table(8.0, 2.0, dark=darks[:-1]))
    assert quiet == []
    alerts = cp.ArcFaultDetector().update(_table(8.0, 2.0, dark=darks))
    assert len(alerts) == 1
    d = alerts[0].detail
    assert d["counted"] == need and d["criteria"]["skip"] >= need


# -- iec62606: a half-cycle with three independent arc signatures counts twice -------------
def _inject_codes(det, codes_by_half):
    """Give the half-cycles ``codes_by_half`` (index -> code, time order since the stream start) those codes."""
    orig = det.evidence
    seen = [0]

    def evidence(cycles):
        ev = orig(cycles)
        order = np.argsort(ev["sample"], kind="stable")
        code = np.zeros_like(ev["code"])
        for j in range(len(code)):
            code[order[j]] = codes_by_half.get(seen[0] + j, 0)
        seen[0] += len(code)
        ev["code"] = code
        return ev

    det.evidence = evidence
    return det


_B, _M = _core.ARC_BITS, {k: v << _core.ARCEV_MASK_SHIFT for k, v in _core.ARCMASK_BITS.items()}
_MASKED = COUNTED | _M["counted"] | _M["lone"]
_THREE = _MASKED | _B["shoulder"] | _B["irregular"] | _B["loaded"] | _B["hf"]


@pytest.mark.parametrize("cut", [None, 23, 31])
def test_iec_three_signatures_count_twice(cut):
    table = _table(16.0, 2.0)
    need = _inject(cp.ArcFaultDetector(mode="iec62606"), range(20, 60)).update(table)[0].detail["required"]
    assert need == 6                                   # 16 A: 15 % of 0.15 s, at least 6
    start = 20

    def run(det):
        if cut is None:
            return det.update(table)
        return det.update(table[:cut]) + det.update(table[cut:])

    # three half-cycles with all three signatures: six counts, the alarm at the third
    three = {start + 2 * k: _THREE for k in range(3)}
    a = run(_inject_codes(cp.ArcFaultDetector(mode="iec62606"), three))
    assert len(a) == 1
    d = a[0].detail
    assert d["counted"] == 6 and d["counted_twice"] == 3 and len(d["half_cycles"]) == 3
    assert [e["counts"] for e in d["evidence"]] == [2, 2, 2]
    assert "3 arcing half-cycles (3 of them counted twice" in a[0].explanation
    assert a[0].sample == int(round(_half_sample(table, start + 4)))
    # any one signature missing: each counts once, three are not enough
    for drop in (_B["hf"], _B["irregular"], _B["shoulder"], _M["counted"] | _M["lone"]):
        codes = {k: c & ~drop for k, c in three.items()}
        assert run(_inject_codes(cp.ArcFaultDetector(mode="iec62606"), codes)) == [], drop
    # two doubled and one single: five, silent; a sixth count alarms
    mixed = dict(three)
    mixed[start + 4] = _MASKED
    assert run(_inject_codes(cp.ArcFaultDetector(mode="iec62606"), mixed)) == []
    mixed[start + 6] = _MASKED
    assert len(run(_inject_codes(cp.ArcFaultDetector(mode="iec62606"), mixed))) == 1


def test_gb14287_counts_half_cycles_once():
    """GB 14287.4's rule counts arcing half-cycles: no weighting in the default mode."""
    table = _table(16.0, 2.0)
    need = cp.ArcFaultDetector().count_threshold
    codes = {20 + 2 * k: _THREE for k in range(need - 1)}
    assert _inject_codes(cp.ArcFaultDetector(), codes).update(table) == []
    codes[20 + 2 * (need - 1)] = _THREE
    a = _inject_codes(cp.ArcFaultDetector(), codes).update(table)
    assert len(a) == 1 and a[0].detail["counted"] == need and a[0].detail["counted_twice"] == 0


def test_iec_double_count_survives_state_restore():
    """Saved between two doubled half-cycles, restored into a new detector: the same alarm."""
    table = _table(16.0, 2.0)
    codes = {20: _THREE, 22: _THREE, 24: _THREE}
    ref = _inject_codes(cp.ArcFaultDetector(mode="iec62606"), codes).update(table)
    assert len(ref) == 1
    cut = 11                                       # cycles: after half-cycle 22, before 24
    det = _inject_codes(cp.ArcFaultDetector(mode="iec62606"), codes)
    assert det.update(table[:cut]) == []
    seen = len(cp.ArcFaultDetector().evidence(table[:cut])["code"])
    del det.evidence                               # the test's wrapper is not state
    state = det.state_dict()
    again = cp.ArcFaultDetector(mode="iec62606").load_state(state)
    _inject_codes(again, {k - seen: c for k, c in codes.items() if k >= seen})
    got = again.update(table[cut:])
    assert [(a.sample, a.detail["counted"], a.detail["counted_twice"]) for a in got] == \
        [(a.sample, a.detail["counted"], a.detail["counted_twice"]) for a in ref]
