"""A separately installed package adds a detector through the ``currentprint.detectors.base`` entry point.

The plugin lives in ``tests/plugin_pkg`` (its own pyproject). Each test runs in a fresh interpreter
(subprocess) so the entry points are discovered exactly as on a user's machine, and the running
environment is never modified:

* the fast test writes the ``.dist-info`` metadata an installer would write (``METADATA`` +
  ``entry_points.txt``) beside a copy of the package on a temporary ``sys.path`` entry;
* the pip test really installs the package with ``pip install --target`` (offline: no build
  isolation, no dependencies) into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import currentprint as cp

ROOT = Path(__file__).resolve().parents[1]
# subprocesses import the same currentprint as this process (source tree or installed)
PKG_PARENT = str(Path(cp.__file__).resolve().parents[1])
PLUGIN = Path(__file__).resolve().parent / "plugin_pkg"

CHILD = textwrap.dedent("""
    import json, sys, warnings
    warnings.simplefilter("error")
    import currentprint as cp
    from currentprint.detectors.testing import check_detector

    mode, path = sys.argv[1], sys.argv[2]
    sig = cp.synth.synth_signal(duration_s=6.0, fs=6400, loads={"charger": cp.synth.Rectifier(180.0)},
                                schedule=[(1.0, "charger", "on")], seed=3)
    cut = 17_000                       # mid-cycle (128 samples per cycle)
    out = {}
    if mode == "check":
        assert "ebike_charger" in cp.available_detectors()
        det = cp.get_detector("ebike_charger")
        out["class"] = type(det).__module__ + ":" + type(det).__name__
        out["check"] = check_detector(det, signal=sig)        # a signal on which it fires
        mon = cp.Monitor(fs=sig.fs, detectors=["ebike_charger"])
        out["alerts"] = [a.to_dict() for a in mon.run(sig.current, sig.voltage, chunk=1000)]
    elif mode == "first":
        mon = cp.Monitor(fs=sig.fs, detectors=["ebike_charger"])
        out["alerts"] = [a.to_dict() for a in mon.run(sig.current[:cut], sig.voltage[:cut], chunk=1000)]
        mon.save(path)
    elif mode == "rest":
        mon = cp.Monitor.load(path)
        out["alerts"] = [a.to_dict() for a in mon.run(sig.current[cut:], sig.voltage[cut:], chunk=777)]
    print(json.dumps(out))
""")


def _env(*paths: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] + [PKG_PARENT])
    return env


def _run(site: Path, mode: str, state: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(state)], env=_env(site),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _fake_install(site: Path, dist: str, entry_points: dict[str, str], package: Path | None = None) -> None:
    """What an installer leaves on sys.path: the package and its .dist-info."""
    site.mkdir(parents=True, exist_ok=True)
    if package is not None:
        shutil.copytree(package, site / package.name, dirs_exist_ok=True)
    info = site / f"{dist}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    lines = ["[currentprint.detectors]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


def _check_plugin_works(site: Path, tmp_path: Path) -> None:
    res = _run(site, "check", tmp_path / "unused.json")
    assert res["class"] == "cp_ebike:EBikeChargerDetector"
    assert res["check"] == {"alerts": 1}          # the charger switched on, once
    # the charger switched on at 1 s is reported once, 2 s later (+ a cycle or two)
    assert len(res["alerts"]) == 1
    alert = res["alerts"][0]
    assert alert["detector"] == "ebike_charger" and 3.0 <= alert["time"] <= 3.1
    # save in one process, restore in another: same alerts as the uninterrupted run
    state = tmp_path / "monitor.json"
    first = _run(site, "first", state)["alerts"]
    rest = _run(site, "rest", state)["alerts"]
    assert first + rest == res["alerts"]


def test_entry_point_plugin_via_dist_info(tmp_path):
    site = tmp_path / "site"
    _fake_install(site, "cp_ebike", {"ebike_charger": "cp_ebike:EBikeChargerDetector"},
                  package=PLUGIN / "src" / "cp_ebike")
    _check_plugin_works(site, tmp_path)


@pytest.mark.slow
def test_entry_point_plugin_installed_with_pip(tmp_path):
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed here; the plugin cannot be built offline")
    src = tmp_path / "plugin_src"
    shutil.copytree(PLUGIN, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
           "--target", str(site), str(src)]
    proc = subprocess.run(pip + ["--no-build-isolation", "--no-index"], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        # a fresh venv's own setuptools may be too old to build wheels: let pip
        # build in isolation, fetching a current setuptools from the index
        shutil.rmtree(site, ignore_errors=True)
        proc = subprocess.run(pip, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 and any(s in proc.stderr for s in ("NewConnectionError", "No matching distribution",
                                                                     "Temporary failure in name resolution")):
            pytest.skip("no package index reachable to build the plugin; the dist-info test covers discovery")
    assert proc.returncode == 0, proc.stderr
    assert list(site.glob("cp_ebike-*.dist-info"))
    _check_plugin_works(site, tmp_path)


BROKEN_CHILD = textwrap.dedent("""
    import json, warnings
    warnings.simplefilter("error")          # any warning at import time fails this script
    import currentprint as cp
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = cp.available_detectors()
        mon = cp.Monitor(fs=6400, detectors=["ebike_charger"])
    print(json.dumps({"names": names, "warnings": [[w.category.__name__, str(w.message)] for w in caught]}))
""")


def test_broken_plugin_warns_and_never_breaks_import(tmp_path):
    site = tmp_path / "site"
    _fake_install(site, "cp_ebike", {"ebike_charger": "cp_ebike:EBikeChargerDetector"},
                  package=PLUGIN / "src" / "cp_ebike")
    _fake_install(site, "cp_broken", {"broken_missing": "cp_module_that_does_not_exist:Detector",
                                      "broken_type": "json:dumps"})
    bad = site / "cp_raises"
    bad.mkdir()
    (bad / "__init__.py").write_text("raise RuntimeError('plugin import failed on purpose')\n")
    _fake_install(site, "cp_raises", {"broken_raises": "cp_raises:Detector"})
    proc = subprocess.run([sys.executable, "-c", BROKEN_CHILD], env=_env(site), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert "ebike_charger" in res["names"]
    assert not any(n.startswith("broken") for n in res["names"])
    messages = [m for cat, m in res["warnings"] if cat == "RuntimeWarning"]
    for name in ("broken_missing", "broken_type", "broken_raises"):
        assert any(name in m for m in messages), (name, res["warnings"])


def test_documented_entry_point_group_is_the_one_read():
    """Every entry-point table in the docs and README names the group the registry reads."""
    import re

    from currentprint.detectors.base import ENTRY_POINT_GROUP
    root = Path(__file__).resolve().parents[1]
    groups = []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        groups += re.findall(r'\[project\.entry-points\."([^"]+)"\]', doc.read_text(encoding="utf-8"))
    groups += re.findall(r'\[project\.entry-points\."([^"]+)"\]', (PLUGIN / "pyproject.toml").read_text())
    assert groups and set(groups) == {ENTRY_POINT_GROUP}, groups
