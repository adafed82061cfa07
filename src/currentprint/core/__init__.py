"""The per-cycle core: input checks and calibration, framing on the voltage
zero crossings, the streaming analyzer over the compiled kernel, and the
columnar :class:`CycleTable` it returns.

``reference`` holds the plain NumPy version of every kernel (used by tests
and benchmarks).
"""

from .analyzer import CycleAnalyzer, analyze, analyze_many
from .cycles import COLUMNS, CycleTable
from .signal import Calibration

__all__ = ["Calibration", "COLUMNS", "CycleAnalyzer", "CycleTable", "analyze", "analyze_many"]
