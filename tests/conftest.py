"""Shared test set-up: hypothesis profiles and the real recordings.

Hypothesis runs a deterministic profile by default (CI); set
HYPOTHESIS_PROFILE=dev for more, randomised examples while developing.
The real recordings live in ../shared/data beside the checkout (never copied
into the repository); CURRENTPRINT_DATA overrides the location. Without them
the real-data tests skip, unless CURRENTPRINT_REQUIRE_DATA=1 (set by CI, or
``pytest --require-data``): then a missing folder stops the run and a
missing recording fails its test.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
# a few examples each, for slow instrumented runs (benchmarks/kernel_coverage.py)
settings.register_profile("quick", derandomize=True, max_examples=8, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(os.environ.get("CURRENTPRINT_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
# the phrase every "recording missing" skip uses; with the data required it is a failure
MISSING = "not available"
# optional packages the `test` extra installs; under the same switch their absence fails
REQUIRED_EXTRAS = ("matplotlib", "sklearn")


def pytest_addoption(parser):
    parser.addoption("--require-data", action="store_true", default=False,
                     help="fail (do not skip) when the shared recordings are missing "
                          "(also CURRENTPRINT_REQUIRE_DATA=1)")


def _require_data(config) -> bool:
    return bool(config.getoption("--require-data")) or os.environ.get("CURRENTPRINT_REQUIRE_DATA") == "1"


def pytest_sessionstart(session):
    if _require_data(session.config) and not DATA.is_dir():
        raise pytest.UsageError(f"the shared recordings are required (CURRENTPRINT_REQUIRE_DATA=1 or --require-data) "
                                f"but {DATA} does not exist; put them there or set CURRENTPRINT_DATA.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.skipped and _require_data(item.config) and call.excinfo is not None:
        reason = str(call.excinfo.value)
        if MISSING in reason:
            rep.outcome = "failed"
            rep.longrepr = f"required shared data missing: {reason}"
        elif any(f"could not import '{m}'" in reason for m in REQUIRED_EXTRAS):
            # CI installs the test extra, which brings these: their tests must run there
            rep.outcome = "failed"
            rep.longrepr = f"required test dependency missing: {reason}"
    return rep


def data_path(*parts: str) -> Path:
    """Path to a shared recording; the test is skipped when the data is absent (fails when required)."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared recording {p} {MISSING}")
    return p


def hfhadc_files() -> list[Path]:
    return sorted((DATA / "hfhadc").glob("*.npz"))


def tabanelli_files() -> list[Path]:
    return sorted((DATA / "tabanelli").glob("*.npz"))


def load_hfhadc(path: Path):
    """(current counts, voltage counts, fs, Calibration, label) of one HFHAD-C file."""
    import currentprint as cp
    d = np.load(path)
    cal = cp.Calibration(current_scale=float(d["current_scale"]), voltage_scale=float(d["voltage_scale"]))
    return d["current"], d["voltage"], float(d["fs"]), cal, str(d["label"])


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.exists():
        pytest.skip(f"shared data {MISSING}")
    return DATA


def arc_scan_in_chunks(sh, stp, pk, hf, par, cuts):
    """``_core.arc_scan`` over whole-cycle chunks split near ``cuts``, checked against its reference.

    Asserts that the codes and the final state equal one call of the NumPy
    reference over everything; returns the codes.
    """
    from currentprint import _core
    from currentprint.detectors._arc_reference import arc_scan_reference
    ref_state = _core.new_arc_state()
    ref = arc_scan_reference(sh, stp, pk, hf, ref_state, par)
    n = len(sh)
    state = _core.new_arc_state()
    # chunks hold whole cycles (a positive and a negative half each)
    bounds = sorted({0, n, *[min(2 * (c // 2), n) for c in cuts]})
    got = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        code = np.zeros(b - a, dtype=np.int32)
        assert _core.arc_scan(sh[a:b].copy(), stp[a:b].copy(), pk[a:b].copy(), hf[a:b].copy(), state, par, code) == 0
        got.append(code)
    codes = np.concatenate(got) if got else np.zeros(0, np.int32)
    np.testing.assert_array_equal(codes, ref)
    np.testing.assert_array_equal(np.isnan(state), np.isnan(ref_state))
    np.testing.assert_array_equal(np.nan_to_num(state), np.nan_to_num(ref_state))
    return codes
