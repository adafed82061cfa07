"""The ledger's per-run energy uncertainty (``energy_sd_wh``) and the power-step standard error behind it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import currentprint as cp
from currentprint.circuits import Circuit
from currentprint.detectors.ledger import _energy_sd

FS = 6400.0
N = 128


def _mains(duration_s):
    t = np.arange(int(round(duration_s * FS))) / FS
    w = 2 * np.pi * 50.0 * t
    return 325.0 * (np.sin(w) + 0.03 * np.sin(3 * w + 0.4))


def _tracker_with_powers(p: np.ndarray) -> cp.ApplianceTracker:
    """A tracker whose buffered cycles (from absolute cycle 0) have the active powers ``p`` (W)."""
    tr = cp.ApplianceTracker()
    tr._buf = {"p": np.asarray(p, float), "start": np.arange(p.shape[0]) * float(N),
               "period": np.full(p.shape[0], float(N)), "h": np.zeros((p.shape[0], 30))}
    return tr


def _step_se_reference(p, pre, post, period):
    """Plain restatement: batch means of whole periods (>= 2 cycles), pooled scatter, random-walk wander."""
    b = period if period > 1 else 2
    x = [float(np.mean(p[k:k + b])) for k in range(pre[1] + 1 - ((pre[1] + 1 - pre[0]) // b) * b, pre[1] + 1, b)]
    y = [float(np.mean(p[k:k + b])) for k in range(post[0], post[0] + ((post[1] + 1 - post[0]) // b) * b, b)]
    if len(x) < 2 or len(y) < 1:
        return math.nan
    mx, my = len(x), len(y)
    var = (sum((u - np.mean(x)) ** 2 for u in x) + sum((u - np.mean(y)) ** 2 for u in y)) / (mx + my - 2)
    se2 = var * (1 / mx + 1 / my)
    half = mx // 2
    if half >= 2:
        d = np.mean(x[-half:]) - np.mean(x[:half])
        w2 = d * d - 2 * var / half
        if w2 > 0:
            centre_pre = pre[1] + 1 - mx * b / 2
            centre_post = post[0] + my * b / 2
            se2 += w2 * ((centre_post - centre_pre) / b) / (mx - half)
    return math.sqrt(se2)


@given(st.integers(0, 2**31 - 1), st.integers(4, 30), st.integers(2, 16), st.integers(1, 4), st.floats(0.0, 3.0))
def test_step_se_equals_its_plain_reference(seed, n_pre, n_post, period, ramp):
    rng = np.random.default_rng(seed)
    n = n_pre + 1 + n_post
    p = 100.0 + rng.normal(size=n) + ramp * np.arange(n) / n
    p[n_pre + 1:] += 7.0
    pre, post = (0, n_pre - 1), (n_pre + 1, n - 1)
    got = _tracker_with_powers(p)._step_se(pre, post, period)
    want = _step_se_reference(p, pre, post, period)
    if math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_step_se_sees_through_an_alternating_load_and_grows_with_noise_and_wander():
    rng = np.random.default_rng(3)
    n_pre, n_post = 24, 8
    k = np.arange(n_pre + 1 + n_post)
    pre, post = (0, n_pre - 1), (n_pre + 1, n_pre + n_post)
    # a capacitor-input supply alternating by +-2.4 W from one cycle to the next: its 2-cycle
    # means do not move, so the step is known far better than its cycle scatter says
    alternating = 1000.0 + 2.4 * (-1.0) ** k
    white = 1000.0 + 2.4 * rng.normal(size=k.shape[0])
    se_alt = _tracker_with_powers(alternating)._step_se(pre, post, 1)
    se_white = _tracker_with_powers(white)._step_se(pre, post, 1)
    assert se_alt < 1e-9
    # batch means of 2 white cycles: 2.4 / sqrt(2) each, 12 before and 4 after
    assert se_white == pytest.approx(2.4 / math.sqrt(2.0) * math.sqrt(1 / 12 + 1 / 4), rel=0.5)
    # a background drifting by 10 W over the "before" window: the step is less sure
    drifting = white + np.where(k < n_pre, 10.0 * k / n_pre, 10.0)
    assert _tracker_with_powers(drifting)._step_se(pre, post, 1) > 2.0 * se_white
    # windows not buffered, or too short: not measured
    assert math.isnan(_tracker_with_powers(white)._step_se((0, 1), post, 1))
    assert math.isnan(_tracker_with_powers(white)._step_se(pre, (n_pre + 1, n_pre + 40), 1))


def _noisy_schedule(seed=0):
    """A 1.5 kW heater and a ~70 W lagging load on a mains with cycle noise from a 500 W background."""
    v = _mains(12.0)
    rng = np.random.default_rng(seed)
    c = Circuit(v, FS)
    c.add_branch(v / 105.0 + 0.2 * rng.normal(size=v.shape[0]), label="base", on_s=0.0)
    c.add_branch((v / 35.0)[int(1.0 * FS):int(8.0 * FS)], label="heater", on_s=1.0, off_s=8.0)
    lag = int(round(35.0 / 360.0 * N))
    c.add_branch((np.roll(v, lag) / 600.0)[int(3.0 * FS):int(10.5 * FS)], label="small", on_s=3.0, off_s=10.5)
    return c


def test_every_row_carries_an_energy_uncertainty_that_covers_its_error():
    c = _noisy_schedule()
    tr = cp.ApplianceTracker()
    mon = cp.Monitor(fs=FS, detectors=[tr])
    alerts = mon.run(c.current, c.voltage, chunk=int(0.2 * FS)) + mon.flush()
    rows = tr.timeline()
    truth = [t for t in c.truth() if t["label"] != "base"]
    # every switch-off alert says how sure its energy is
    offs = [a for a in alerts if a.kind == "appliance" and a.detail["state"] == "off"]
    assert len(offs) == 2 and [a.detail["energy_sd_wh"] for a in offs] == [r["energy_sd_wh"] for r in tr.timeline()]
    assert len(rows) == 2
    rel = []
    for row, t in zip(rows, truth):
        sd = row["energy_sd_wh"]
        assert sd is not None and math.isfinite(sd) and sd > 0
        assert abs(row["energy_wh"] - t["energy_wh"]) <= 3.0 * sd
        rel.append(sd / row["energy_wh"])
    # a small load under the same noise is the less certain one
    assert rel[1] > 3.0 * rel[0]
    # per label: independent runs add in quadrature
    book = tr.ledger()["unknown"]
    assert book["energy_sd_wh"] == pytest.approx(math.hypot(rows[0]["energy_sd_wh"], rows[1]["energy_sd_wh"]))
    # the same in any chunking and after a save and restore
    other = cp.ApplianceTracker()
    mon2 = cp.Monitor(fs=FS, detectors=[other])
    mon2.run(c.current, c.voltage, chunk=777)
    mon2.flush()
    assert other.timeline() == rows
    back = cp.ApplianceTracker().load_state(json.loads(json.dumps(tr.state_dict())))
    assert back.timeline() == rows


def test_energy_sd_of_one_run():
    period_s = 0.02
    run = {"on_power_w": 100.0, "off_power_w": 100.0, "off_sample": 10, "sd_on_w": 3.0, "sd_off_w": 4.0}
    # each step's error counts half; the two switchings' times +-1 cycle each
    want = math.sqrt((10.0 * 2.5) ** 2 + 2 * (100.0 * period_s) ** 2 / 3) / 3600
    assert _energy_sd(run, 10.0, period_s) == pytest.approx(want)
    # a real change between the two measurements (beyond their noise) leaves the path unknown
    moved = dict(run, off_power_w=130.0)
    assert _energy_sd(moved, 10.0, period_s) > _energy_sd(run, 10.0, period_s)
    # a run still on: its one measurement counts whole
    on = dict(run, off_power_w=None, off_sample=None, sd_off_w=None)
    assert _energy_sd(on, 10.0, period_s) == pytest.approx(math.sqrt(30.0 ** 2 + (100 * period_s) ** 2 / 3) / 3600)
    assert _energy_sd(dict(on, sd_on_w=None), 10.0, period_s) is None


def test_states_without_the_uncertainty_load_and_say_it_is_unknown():
    c = _noisy_schedule()
    tr = cp.ApplianceTracker()
    cp.Monitor(fs=FS, detectors=[tr]).run(c.current, c.voltage)
    from currentprint._state import decode, encode
    st_ = decode(tr.state_dict()["state"])
    st_["runs"] = [{k: x for k, x in r.items() if k not in ("sd_on_w", "sd_off_w")} for r in st_["runs"]]
    old = cp.ApplianceTracker().load_state({"state": encode(st_)})
    rows = old.timeline()
    assert rows and all(r["energy_sd_wh"] is None for r in rows)
    assert old.ledger()["unknown"]["energy_sd_wh"] is None
    assert [r["energy_wh"] for r in rows] == [r["energy_wh"] for r in tr.timeline()]
    # a negative or non-finite standard error in a state is no number: treated as not measured
    st_["runs"][0]["sd_on_w"] = -1.0
    assert cp.ApplianceTracker().load_state({"state": encode(st_)}).timeline()[0]["energy_sd_wh"] is None
