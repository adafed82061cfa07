"""Shared test set-up: hypothesis profiles and the real recordings.

Hypothesis runs a deterministic profile by default (CI); set
HYPOTHESIS_PROFILE=dev for more, randomised examples while developing.
The real recordings live in ../shared/data beside the checkout (never copied
into the repository); CURRENTPRINT_DATA overrides the location.
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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(os.environ.get("CURRENTPRINT_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def data_path(*parts: str) -> Path:
    """Path to a shared recording; the test is skipped when the data is absent."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared recording {p} not available")
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
        pytest.skip("shared data not available")
    return DATA
