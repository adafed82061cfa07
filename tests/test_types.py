"""Columns and features are discoverable attributes (the static side: tests/typecheck_public_api.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import currentprint as cp


def test_every_column_is_a_declared_typed_property():
    notes = cp.CycleTable.__annotations__
    for name in cp.COLUMNS:
        assert isinstance(getattr(cp.CycleTable, name), property), name
        assert notes.get(name) == "_F", f"CycleTable.{name} has no float64 array annotation"
    # nothing declared that the kernel does not produce
    declared = {n for n, a in notes.items() if a == "_F"}
    assert declared == set(cp.COLUMNS)


def test_columns_in_dir_and_help():
    t = np.arange(1280) / 6400
    v = 325 * np.sin(2 * np.pi * 50 * t)
    table = cp.analyze(v / 50, v, fs=6400)
    assert set(cp.COLUMNS) <= set(dir(table))
    assert "A" in cp.CycleTable.i_rms.__doc__


def test_fingerprint_features_in_dir():
    t = np.arange(1280) / 6400
    v = 325 * np.sin(2 * np.pi * 50 * t)
    fp = cp.fingerprint(v / 50, v, fs=6400)
    names = dir(fp)
    assert set(fp.features) <= set(names)
    assert {"p", "thd", "h3_mag", "vector", "waveform"} <= set(names)
    assert isinstance(fp.h3_mag, float)


def test_lazy_names_are_declared_for_type_checkers():
    src = (Path(cp.__file__)).read_text(encoding="utf-8")
    block = src.split("if TYPE_CHECKING:", 1)[1].split("\n\n", 1)[0]
    for name in cp._LAZY:
        assert f" {name}" in block, f"{name} is lazy in currentprint/__init__.py but not in its TYPE_CHECKING imports"
