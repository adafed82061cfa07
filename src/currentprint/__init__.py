"""currentprint: mains current fingerprints on the edge.

Per-cycle analysis of sampled current (and voltage) with a compiled core,
switching events, appliance fingerprints and electrical-fire detectors.

The core names are imported at once; the others on first use, so that
``import currentprint`` stays fast on a terminal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _compat, errors
from .core.analyzer import CycleAnalyzer, analyze, analyze_many
from .core.cycles import COLUMNS, CycleTable
from .core.signal import Calibration
from .detectors.alerts import Alert
from .detectors.base import BaseDetector, available_detectors, get_detector, register_detector
from ._version import __version__
from .errors import CurrentprintError

if TYPE_CHECKING:  # the lazily imported names, typed for checkers (keep in step with _LAZY)
    from .core.aggregate import Aggregates as Aggregates, aggregate as aggregate
    from .detectors.arc import ArcFaultDetector as ArcFaultDetector
    from .detectors.chopper import PhaseChopperDetector as PhaseChopperDetector
    from .detectors.events import Event as Event, EventDetector as EventDetector
    from .detectors.events import SteadyState as SteadyState, detect_events as detect_events
    from .detectors.ledger import ApplianceTracker as ApplianceTracker
    from .detectors.overload import OverloadDetector as OverloadDetector
    from .detectors.resistive import ResistiveLoadDetector as ResistiveLoadDetector
    from .fingerprints.classify import LoadClass as LoadClass, classify_load as classify_load
    from .fingerprints.fingerprint import Fingerprint as Fingerprint, fingerprint as fingerprint
    from .fingerprints.library import FingerprintLibrary as FingerprintLibrary, Match as Match
    from .monitor import Monitor as Monitor

# public name -> module that defines it (imported lazily)
_LAZY = {
    "detect_events": "detectors.events", "Event": "detectors.events", "EventDetector": "detectors.events",
    "SteadyState": "detectors.events",
    "fingerprint": "fingerprints.fingerprint", "Fingerprint": "fingerprints.fingerprint",
    "FingerprintLibrary": "fingerprints.library", "Match": "fingerprints.library",
    "classify_load": "fingerprints.classify", "LoadClass": "fingerprints.classify",
    "aggregate": "core.aggregate", "Aggregates": "core.aggregate",
    "Monitor": "monitor",
    "ArcFaultDetector": "detectors.arc",
    "ResistiveLoadDetector": "detectors.resistive", "PhaseChopperDetector": "detectors.chopper",
    "OverloadDetector": "detectors.overload", "ApplianceTracker": "detectors.ledger",
}
# sub-module names reachable as attributes (``cp.synth``); the families, and
# the 0.1 names of modules that moved into them
_SUBMODULES = {
    "synth": "synth", "evaluate": "evaluate", "plot": "plot", "io": "io", "monitor": "monitor",
    "core": "core", "detectors": "detectors", "fingerprints": "fingerprints", "cli": "cli",
    "circuits": "circuits", "fleet": "fleet",
    "testing": "detectors.testing", "events": "detectors.events", "arc": "detectors.arc",
    "library": "fingerprints.library", "classify": "fingerprints.classify",
    "alerts": "detectors.alerts", "analyzer": "core.analyzer", "cycles": "core.cycles",
    "signal": "core.signal", "framing": "core.framing",
}

__all__ = [
    "Alert", "BaseDetector", "Calibration", "COLUMNS", "CurrentprintError", "CycleAnalyzer", "CycleTable",
    "analyze", "analyze_many", "available_detectors", "errors", "get_detector", "register_detector",
    "__version__", *_LAZY,
]

_compat.install()


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    if f"{__name__}.{name}" in _compat.MOVED:     # cp.loads: the 0.1 module, split since
        return _compat.alias_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'currentprint' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES) | {"loads"})
