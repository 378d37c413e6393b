"""The examples in the docstrings of every admodes module run and print what they show, and
the README's Python examples run."""

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import admodes

MODULES = sorted(["admodes"] + [m.name for m in pkgutil.walk_packages(admodes.__path__,
                                                                      "admodes.")])


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


README = Path(__file__).resolve().parents[1] / "README.md"
README_BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


@pytest.mark.parametrize("index", range(len(README_BLOCKS)))
def test_readme_examples_run(index):
    assert len(README_BLOCKS) >= 2  # the Use and the ODE examples
    code = compile(README_BLOCKS[index], f"README.md python block {index}", "exec")
    exec(code, {})  # noqa: S102 - the README's own example code
