"""The examples in the library's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import currentprint

MODULES = sorted(m.name for m in pkgutil.iter_modules(currentprint.__path__, "currentprint.")
                 if m.name not in ("currentprint.sklearn", "currentprint.plot", "currentprint.__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
