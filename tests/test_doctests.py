"""The examples in the package's docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest
from test_package_shape import MODULES

# mauqif.__main__ runs the command line when imported as a script; nothing to test there.
WITH_DOCSTRINGS = [name for name in MODULES if name != "mauqif.__main__"]


@pytest.mark.parametrize("name", WITH_DOCSTRINGS)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_there_are_examples_to_run():
    attempted = 0
    for name in WITH_DOCSTRINGS:
        finder = doctest.DocTestFinder()
        module = importlib.import_module(name)
        attempted += sum(len(t.examples) for t in finder.find(module))
    assert attempted >= 5
