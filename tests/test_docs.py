"""The examples in the docstrings of every admodes module run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import admodes

MODULES = sorted(["admodes"] + [m.name for m in pkgutil.walk_packages(admodes.__path__,
                                                                      "admodes.")])


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
