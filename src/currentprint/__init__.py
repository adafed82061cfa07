"""currentprint: mains current fingerprints on the edge.

Per-cycle analysis of sampled current (and voltage) with a compiled core,
switching events, appliance fingerprints and electrical-fire detectors.

The core names are imported at once; the others on first use, so that
``import currentprint`` stays fast on a terminal.
"""

from __future__ import annotations

import importlib

from . import errors
from .alerts import Alert
from .analyzer import CycleAnalyzer, analyze, analyze_many
from .cycles import COLUMNS, CycleTable
from .detectors import BaseDetector, available_detectors, get_detector, register_detector
from .errors import CurrentprintError
from .signal import Calibration

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily)
_LAZY = {
    "detect_events": "events", "Event": "events", "EventDetector": "events", "SteadyState": "events",
    "fingerprint": "fingerprints", "Fingerprint": "fingerprints",
    "FingerprintLibrary": "library", "Match": "library",
    "classify_load": "classify", "LoadClass": "classify",
    "Monitor": "monitor",
    "ArcFaultDetector": "arc",
    "ResistiveLoadDetector": "loads", "PhaseChopperDetector": "loads", "OverloadDetector": "loads",
}
_SUBMODULES = {"synth", "evaluate", "plot", "testing", "events", "fingerprints", "library", "monitor",
               "arc", "loads", "classify", "io"}

__all__ = [
    "Alert", "BaseDetector", "Calibration", "COLUMNS", "CurrentprintError", "CycleAnalyzer", "CycleTable",
    "analyze", "analyze_many", "available_detectors", "errors", "get_detector", "register_detector",
    "__version__", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'currentprint' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
