"""One version source: the package metadata, ``cp.__version__`` and the changelog agree."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import currentprint as cp

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_package_metadata():
    assert cp.__version__ == importlib.metadata.version("currentprint")


def test_changelog_has_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = re.match(r"\d+\.\d+\.\d+", cp.__version__).group(0)
    assert re.search(rf"^## {re.escape(release)}\b", text, re.M), f"CHANGELOG.md has no section for {release}"
