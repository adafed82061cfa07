"""Detectors: the interface and registry (:mod:`.base`), alerts, the
conformance check (:mod:`.testing`), and one module per built-in detector:

========================  =========================================  ===================
registry name             class                                      module
========================  =========================================  ===================
``events``                :class:`~.events.EventDetector`            :mod:`.events`
``arc_fault``             :class:`~.arc.ArcFaultDetector`            :mod:`.arc`
``resistive_load``        :class:`~.resistive.ResistiveLoadDetector` :mod:`.resistive`
``phase_chopper``         :class:`~.chopper.PhaseChopperDetector`    :mod:`.chopper`
``overload``              :class:`~.overload.OverloadDetector`       :mod:`.overload`
``appliances``            :class:`~.ledger.ApplianceTracker`         :mod:`.ledger`
========================  =========================================  ===================

The detector modules are imported on first use (``import currentprint``
stays light on a terminal).
"""

from __future__ import annotations

import importlib
from typing import Any

from .alerts import Alert
from .base import ENTRY_POINT_GROUP, BaseDetector, available_detectors, get_detector, register_detector

# class name -> module of this package that defines it (imported lazily)
_LAZY = {
    "EventDetector": "events", "ArcFaultDetector": "arc", "ResistiveLoadDetector": "resistive",
    "PhaseChopperDetector": "chopper", "OverloadDetector": "overload", "ApplianceTracker": "ledger",
}

__all__ = ["Alert", "BaseDetector", "ENTRY_POINT_GROUP", "available_detectors", "get_detector",
           "register_detector", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
