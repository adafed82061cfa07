"""The detector contract: BaseDetector, the registry and currentprint.detectors.testing.check_detector."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import currentprint as cp
from currentprint.detectors.base import _BUILTIN
from currentprint.detectors.testing import check_detector, conformance_signal

DOCS = Path(__file__).resolve().parents[1] / "docs"


class HighCurrent(cp.BaseDetector):
    """Alerts once each time i_rms rises above a level (with hysteresis)."""

    name = "test_high_current"

    def __init__(self, level_a: float = 5.0, release: float = 0.9):
        self.level_a = level_a
        self.release = release
        self._above = False

    def update(self, cycles):
        out = []
        for start, rms in zip(cycles.start, cycles.i_rms):
            if not self._above and rms > self.level_a:
                self._above = True
                out.append(cp.Alert(kind="high_current", sample=int(start),
                                    detail={"i_rms": float(rms)}, explanation=f"i_rms {rms:.2f} A"))
            elif self._above and rms < self.release * self.level_a:
                self._above = False
        return out


# -- detectors that break one rule each -------------------------------------
class RowIndices(HighCurrent):
    name = "test_row_indices"

    def update(self, cycles):
        out = []
        for k, rms in enumerate(cycles.i_rms):
            if not self._above and rms > self.level_a:
                self._above = True
                out.append(cp.Alert(kind="x", sample=k))       # row number, not a sample
            elif self._above and rms < self.release * self.level_a:
                self._above = False
        return out


class Forgetful(HighCurrent):
    name = "test_forgetful"

    def update(self, cycles):
        self._above = False                                  # loses state between chunks
        return super().update(cycles)


class ConvertsParams(HighCurrent):
    name = "test_converts"

    def __init__(self, level_a: float = 5.0, release: float = 0.9):
        super().__init__(level_a=float(level_a), release=[release])   # not stored unchanged


class Mutates(HighCurrent):
    name = "test_mutates"

    def update(self, cycles):
        cycles.i_rms[:] *= 1.0 + 1e-3
        return super().update(cycles)


class NumpyDetail(HighCurrent):
    name = "test_numpy_detail"

    def update(self, cycles):
        out = super().update(cycles)
        for a in out:
            a.detail["n"] = np.int64(3)
        return out


class Unnamed(HighCurrent):
    name = "base"


class Stateful(HighCurrent):
    """State in a custom object that the default state_dict cannot save."""

    name = "test_stateful_obj"

    def __init__(self, level_a: float = 5.0, release: float = 0.9):
        super().__init__(level_a, release)
        self._obj = object()


class EmptyNotList(HighCurrent):
    name = "test_empty_tuple"

    def update(self, cycles):
        return tuple(super().update(cycles))


class Silent(HighCurrent):
    name = "test_silent"

    def update(self, cycles):
        super().update(cycles)
        return []


def test_conforming_detector_passes_and_finds_something():
    report = check_detector(HighCurrent())
    assert report["alerts"] >= 1       # the heater switch-on crosses 5 A


@pytest.mark.parametrize("bad, rule", [
    (RowIndices(), "streaming|absolute-samples"),
    (Forgetful(), "streaming"),
    (ConvertsParams(), "params"),
    (Mutates(), "no-mutation"),
    (NumpyDetail(), "json-detail"),
    (Unnamed(), "name"),
    (Stateful(), "state"),
    (EmptyNotList(), "empty|returns-list"),
    (Silent(), "alerts-found"),
])
def test_check_detector_catches_broken_detectors(bad, rule):
    with pytest.raises(AssertionError, match=rf"\[({rule})\]"):
        check_detector(bad)


def test_check_detector_rejects_non_detector():
    with pytest.raises(AssertionError, match="BaseDetector"):
        check_detector(object())


def test_check_detector_leaves_instance_untouched():
    det = HighCurrent(level_a=3.0)
    det._above = True
    check_detector(det)
    assert det._above is True and det.level_a == 3.0


def test_check_detector_on_own_signal():
    sig = cp.synth.synth_signal(duration_s=3.0, loads={"k": cp.synth.Resistive(1500.0)},
                                schedule=[(1.0, "k", "on")], seed=1)
    assert check_detector(HighCurrent(), signal=(sig.current, sig.voltage, sig.fs))["alerts"] == 1
    assert check_detector(HighCurrent(), signal=sig)["alerts"] == 1


def test_params_and_set_params():
    det = HighCurrent(level_a=2.0)
    assert det.get_params() == {"level_a": 2.0, "release": 0.9}
    assert det.set_params(release=0.5) is det and det.release == 0.5
    with pytest.raises(ValueError, match="no parameter"):
        det.set_params(nope=1)
    assert "HighCurrent(level_a=2.0" in repr(det)


def test_registry_round_trip(monkeypatch):
    from currentprint.detectors import base as detectors
    monkeypatch.setattr(detectors, "_registry", dict(detectors._registry))   # leave no trace
    cp.register_detector(HighCurrent, replace=True)
    assert "test_high_current" in cp.available_detectors()
    det = cp.get_detector("test_high_current", level_a=7.0)
    assert isinstance(det, HighCurrent) and det.level_a == 7.0
    with pytest.raises(KeyError, match="no detector named"):
        cp.get_detector("surely_not_registered")
    with pytest.raises(ValueError, match="already registered"):
        cp.register_detector(RowIndices, name="test_high_current")


def _builtin_params():
    out = []
    for name, target in sorted(_BUILTIN.items()):
        out.append(pytest.param(name, target, id=name))
    return out


@pytest.mark.parametrize("name, target", _builtin_params())
def test_builtin_detectors_conform(name, target):
    module = target.partition(":")[0]
    pytest.importorskip(module, reason=f"{module} is not written yet")
    det = cp.get_detector(name)
    assert det.name == name
    # overload must stay silent on the conformance signal (no overload of a 16 A
    # circuit); test_loads checks it where it fires. The others find something there.
    silent = name == "overload"
    assert check_detector(det, min_alerts=0 if silent else 1)["alerts"] == 0 if silent else True


def test_default_signal_has_what_detectors_need():
    sig = conformance_signal()
    assert sig.fs == 6400.0 and len(sig.events) == 5 and sig.arc_segments


# -- the "Writing a detector" page is executed -----------------------------
def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_writing_a_detector_page_runs(monkeypatch):
    from currentprint.detectors import base as detectors
    monkeypatch.setattr(detectors, "_registry", dict(detectors._registry))   # the page registers a class
    page = (DOCS / "writing-a-detector.md").read_text(encoding="utf-8")
    blocks = _python_blocks(page)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "writing_a_detector_doc"}
    for k, block in enumerate(blocks):
        code = compile(block, f"writing-a-detector.md[block {k}]", "exec")
        exec(code, namespace)  # noqa: S102 - executing our own documentation
    # the page's detector found the charger and passed the conformance check
    assert namespace["alerts"], "the worked example should raise an alert"
    assert all(a.kind == "ebike_charger" for a in namespace["alerts"])
