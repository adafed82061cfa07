"""Import aliases for the module paths of version 0.1.

Version 0.2 groups the modules into families (``core``, ``detectors``,
``fingerprints``, ``cli``). Code written for 0.1 that imports, say,
``currentprint.events`` keeps working: the old name is an alias module that
forwards every attribute to the new place, with a :class:`DeprecationWarning`
naming it. The attribute access ``cp.events`` (the package's documented
sub-module names) resolves to the new module directly, without a warning.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings
from typing import Any

# old dotted name -> new module(s); several new modules when one old module was split
MOVED: dict[str, tuple[str, ...]] = {
    "currentprint.signal": ("currentprint.core.signal",),
    "currentprint.framing": ("currentprint.core.framing",),
    "currentprint.analyzer": ("currentprint.core.analyzer",),
    "currentprint.cycles": ("currentprint.core.cycles",),
    "currentprint._reference": ("currentprint.core._reference",),
    "currentprint.alerts": ("currentprint.detectors.alerts",),
    "currentprint.testing": ("currentprint.detectors.testing",),
    "currentprint.events": ("currentprint.detectors.events",),
    "currentprint._events_reference": ("currentprint.detectors._events_reference",),
    "currentprint.arc": ("currentprint.detectors.arc",),
    "currentprint._arc_reference": ("currentprint.detectors._arc_reference",),
    "currentprint.loads": ("currentprint.detectors.resistive", "currentprint.detectors.chopper",
                           "currentprint.detectors.overload", "currentprint.detectors._switch_on"),
    "currentprint.vi": ("currentprint.fingerprints.vi",),
    "currentprint.library": ("currentprint.fingerprints.library",),
    "currentprint.classify": ("currentprint.fingerprints.classify",),
    "currentprint.sklearn": ("currentprint.fingerprints.sklearn",),
    "currentprint.cli_bench": ("currentprint.cli.bench",),
}


def alias_module(old: str) -> types.ModuleType:
    """A module named ``old`` whose attributes are looked up in its new module(s)."""
    targets = [importlib.import_module(name) for name in MOVED[old]]
    alias = types.ModuleType(old, f"Moved: use {' / '.join(MOVED[old])}.")

    def __getattr__(name: str) -> Any:
        for module in targets:
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {old!r} (moved to {', '.join(MOVED[old])}) has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({n for module in targets for n in dir(module)})

    alias.__getattr__ = __getattr__  # type: ignore[method-assign]
    alias.__dir__ = __dir__  # type: ignore[method-assign]
    return alias


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the 0.1 module paths; loads them as forwarding aliases."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        warnings.warn(f"{spec.name} moved to {' / '.join(MOVED[spec.name])} in currentprint 0.2; "
                      "import it from there (the old path will be removed in a later version)",
                      DeprecationWarning, stacklevel=2)
        return alias_module(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def install() -> None:
    """Put the alias finder on :data:`sys.meta_path` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
