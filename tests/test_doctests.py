"""The examples in the library's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import currentprint

# every module of every family; the optional-dependency bridges and the CLI
# (its examples are commands, exercised by test_cli) are left out
_SKIP = ("currentprint.fingerprints.sklearn", "currentprint.plot", "currentprint.cli", "currentprint.__main__")
MODULES = sorted(m.name for m in pkgutil.walk_packages(currentprint.__path__, "currentprint.")
                 if not m.name.startswith(_SKIP))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
