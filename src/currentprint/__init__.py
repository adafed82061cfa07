"""currentprint: mains current fingerprints on the edge.

Per-cycle analysis of sampled current (and voltage) with a compiled core,
switching events, appliance fingerprints and electrical-fire detectors.
"""

from __future__ import annotations

from . import errors
from .analyzer import CycleAnalyzer, analyze, analyze_many
from .cycles import COLUMNS, CycleTable
from .errors import CurrentprintError
from .signal import Calibration

__version__ = "0.1.0"

__all__ = [
    "Calibration",
    "CycleAnalyzer",
    "CycleTable",
    "COLUMNS",
    "CurrentprintError",
    "analyze",
    "analyze_many",
    "errors",
    "__version__",
]
