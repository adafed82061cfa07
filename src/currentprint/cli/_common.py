"""Helpers shared by the command-line modules (no imports from them, so no circle)."""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BUILTIN_DETECTORS", "machine_info"]

BUILTIN_DETECTORS = ("events", "arc_fault", "resistive_load", "phase_chopper", "overload")


def machine_info() -> dict[str, Any]:
    """Version, compiled core, CPU and library versions (also used by ``bench``)."""
    import importlib.util

    import currentprint as cp
    from .. import _core
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    extras = {name: importlib.util.find_spec(name) is not None
              for name in ("matplotlib", "tqdm", "soundfile", "pandas", "sklearn", "hypothesis")}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "currentprint": cp.__version__,
        "core": _core.__file__,
        "core_compiled": Path(_core.__file__).suffix in (".so", ".pyd"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "extras": extras,
        # other work on the machine during a benchmark makes its numbers pessimistic
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# argument types shared by the sub-command modules
def _positive(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (x > 0 and x < float("inf")):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return x


def _positive_int(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return k
