"""The ledger's enrolled-power prior (``ApplianceTracker(power_prior=True)``): measured and enrolled power combined."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import currentprint as cp
from currentprint.circuits import Circuit
from currentprint.detectors.ledger import _combine, _power_prior

FS = 6400.0
N = 128
LAG = int(round(35.0 / 360.0 * N))          # a lagging load: the voltage delayed by 35°


def _mains(duration_s, scale=1.0):
    t = np.arange(int(round(duration_s * FS))) / FS
    w = 2 * np.pi * 50.0 * t
    return scale * 325.0 * (np.sin(w) + 0.03 * np.sin(3 * w + 0.4))


def _small(v, s=1.0):
    """~44 W lagging load (W scale ``1/s``)."""
    return np.roll(v, LAG) / (1000.0 * s)


def _heater(v, g=1.0 / 35.0):
    return v * g


def _library():
    """The small load enrolled from 5 standalone recordings whose power scatters by ~3 %; the heater from
    3 recordings on a mains 2 % low whose conductance is 2-4 % above the one on the circuit (the prior is
    3 % off: the measurement must still win)."""
    lib = cp.FingerprintLibrary()
    vs = _mains(1.0)
    for s in (0.97, 0.99, 1.0, 1.01, 1.03):
        lib.enroll("small", cp.fingerprint(_small(vs, s), vs, fs=FS))
    low = _mains(1.0, 0.98)
    for g in (1.02, 1.03, 1.04):
        lib.enroll("heater", cp.fingerprint(_heater(low, g / 35.0), low, fs=FS))
    return lib


def _circuit(seed):
    """A 500 W background with 0.3 A of white noise per sample, a 1.5 kW heater (1-9 s), the small load (3-12 s)."""
    v = _mains(14.0)
    rng = np.random.default_rng(seed)
    c = Circuit(v, FS)
    c.add_branch(v / 105.0 + 0.3 * rng.normal(size=v.shape[0]), label="base", on_s=0.0)
    c.add_branch(_heater(v)[int(1 * FS):int(9 * FS)], label="heater", on_s=1.0, off_s=9.0)
    c.add_branch(_small(v)[int(3 * FS):int(12 * FS)], label="small", on_s=3.0, off_s=12.0)
    return c


def _rows(c, lib, prior):
    tr = cp.ApplianceTracker(power_prior=prior)
    mon = cp.Monitor(fs=FS, detectors=[tr], library=lib)
    mon.run(c.current, c.voltage, chunk=int(0.2 * FS))
    mon.flush()
    return tr, {r["label"]: r for r in tr.timeline()}


def test_combine_is_the_inverse_variance_mean():
    p, var = _combine(10.0, 4.0, 6.0, 1.0)
    assert p == pytest.approx((10.0 / 4.0 + 6.0 / 1.0) / (1 / 4.0 + 1 / 1.0))
    assert var == pytest.approx(1.0 / (1 / 4.0 + 1 / 1.0))
    # a precise measurement is hardly moved; an equal pair meets halfway with half the variance
    assert _combine(100.0, 1e-4, 50.0, 100.0)[0] == pytest.approx(100.0, abs=1e-4)
    assert _combine(4.0, 2.0, 6.0, 2.0) == pytest.approx((5.0, 1.0))


def test_power_prior_from_the_enrolment():
    lib = _library()
    small = [fp.features["p"] for lab, fp, _ in lib.entries() if lab == "small"]
    mean, var = _power_prior(lib, "small", None)
    assert mean == pytest.approx(np.mean(small))
    assert var == pytest.approx(np.var(small, ddof=1) * (1 + 1 / 5))
    # a heater: each enrolled power scaled to the voltage now by its conductance (P = G V²)
    heat = [(fp.features["p"], fp.features["v_rms"]) for lab, fp, _ in lib.entries() if lab == "heater"]
    v_now = 231.0
    want = [p * (v_now / v) ** 2 for p, v in heat]
    mean, var = _power_prior(lib, "heater", v_now)
    assert mean == pytest.approx(np.mean(want))
    assert var == pytest.approx(np.var(want, ddof=1) * (1 + 1 / 3))
    assert _power_prior(lib, "heater", None) is None          # no voltage measured: no prior
    # fewer than 3 fingerprints, or powers that do not scatter, are no spread
    two = cp.FingerprintLibrary()
    vs = _mains(1.0)
    for s in (1.0, 1.1):
        two.enroll("x", cp.fingerprint(_small(vs, s), vs, fs=FS))
    assert _power_prior(two, "x", None) is None
    for _ in range(2):
        two.enroll("y", cp.fingerprint(_small(vs), vs, fs=FS))
    two.enroll("y", cp.fingerprint(_small(vs), vs, fs=FS))
    assert _power_prior(two, "y", None) is None
    assert _power_prior(lib, "nobody", None) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_load_over_noise_is_pulled_to_its_enrolment_and_a_large_one_keeps_its_measurement(seed):
    c = _circuit(seed)
    truth = {t["label"]: t for t in c.truth()}
    lib = _library()
    _, meas = _rows(c, lib, False)
    tr, comb = _rows(c, lib, True)
    assert set(meas) == set(comb) == {"heater", "small"}
    for r in meas.values():
        assert r["energy_source"] == "measured" and r["energy_wh"] == r["energy_measured_wh"]
    small, heater = comb["small"], comb["heater"]
    assert small["energy_source"] == heater["energy_source"] == "combined"
    # the measured energy is the same with and without the prior
    assert small["energy_measured_wh"] == meas["small"]["energy_wh"]
    # the small load: the enrolled power (known to ~2.5 %) narrows a measurement of ~4-5 %, and the
    # truth is within 2 of the combined standard deviations
    t = truth["small"]["energy_wh"]
    assert small["energy_sd_wh"] < 0.7 * meas["small"]["energy_sd_wh"]
    assert abs(small["energy_wh"] - t) <= 2.0 * small["energy_sd_wh"]
    # the heater: measured to ~0.3 %, its prior 3 % off: the measurement dominates (weight >= 0.9)
    m, e = meas["heater"]["energy_wh"], heater["energy_wh"]
    p0 = _power_prior(lib, "heater", tr._runs[0]["v_rms"])[0] * heater["duration_s"] / 3600.0
    assert abs(e - m) <= 0.1 * abs(p0 - m)
    assert abs(e - truth["heater"]["energy_wh"]) / truth["heater"]["energy_wh"] < 0.005
    assert heater["energy_sd_wh"] <= meas["heater"]["energy_sd_wh"]
    # the ledger and a restored state say the same
    assert tr.ledger()["small"]["energy_wh"] == pytest.approx(small["energy_wh"])
    back = cp.ApplianceTracker(lib, power_prior=True).load_state(json.loads(json.dumps(tr.state_dict())))
    assert back.timeline() == tr.timeline()


def test_states_without_the_voltage_load_and_a_heater_then_keeps_its_measurement():
    c = _circuit(0)
    lib = _library()
    tr, rows = _rows(c, lib, True)
    from currentprint._state import decode, encode
    st = decode(tr.state_dict()["state"])
    st["runs"] = [{k: x for k, x in r.items() if k not in ("v_rms", "calibrated")} for r in st["runs"]]
    old = cp.ApplianceTracker(lib, power_prior=True).load_state({"state": encode(st)})
    got = {r["label"]: r for r in old.timeline()}
    assert got["heater"]["energy_source"] == "measured"
    assert got["heater"]["energy_wh"] == rows["heater"]["energy_measured_wh"]
    assert got["small"] == rows["small"]
    # a voltage that is no number is not measured
    st["runs"][0]["v_rms"] = "x"
    with pytest.raises(cp.errors.InputError):
        cp.ApplianceTracker(lib).load_state({"state": encode(st)})
    st["runs"][0]["v_rms"] = -5.0
    assert cp.ApplianceTracker(lib, power_prior=True).load_state({"state": encode(st)}).timeline()[0][
        "energy_source"] == "measured"
    assert math.isfinite(rows["small"]["energy_sd_wh"])


def test_to_pandas_says_where_each_energy_came_from():
    pytest.importorskip("pandas")
    import datetime as dt
    c = _circuit(1)
    tr = cp.ApplianceTracker(power_prior=True)
    mon = cp.Monitor(fs=FS, detectors=[tr], library=_library(),
                     start_time=dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc))
    mon.run(c.current, c.voltage)
    mon.flush()
    df = tr.to_pandas()
    assert list(df["energy_source"]) == [r["energy_source"] for r in tr.timeline()] == ["combined", "combined"]
