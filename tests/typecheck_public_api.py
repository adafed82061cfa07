"""Checked by mypy in CI (``[tool.mypy] files``), never run: the public names type as documented.

A user's ``table.i_rms`` must be ``NDArray[np.float64]`` to the type checker, not an error.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type

import currentprint as cp


def _uses(i: NDArray[np.float64], v: NDArray[np.float64]) -> None:
    table = cp.analyze(i, v, fs=6400.0)
    assert_type(table, cp.CycleTable)
    assert_type(table.i_rms, NDArray[np.float64])
    assert_type(table.p, NDArray[np.float64])
    assert_type(table.thd, NDArray[np.float64])
    assert_type(table.harmonics, NDArray[np.complex128])
    assert_type(table.harmonic(3), NDArray[np.complex128])
    assert_type(table[1:5], cp.CycleTable)
    assert_type(len(table), int)

    agg = cp.aggregate(table, "10/12-cycle")
    assert_type(agg.i_rms, NDArray[np.float64])
    assert_type(agg.i_groups, NDArray[np.float64])

    fp = cp.fingerprint(i, v, fs=6400.0)
    assert_type(fp.h3_mag, float)
    assert_type(fp.p, float)
