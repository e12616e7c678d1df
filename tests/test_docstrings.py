"""The examples in docstrings run, and say what they return (networkx style: examples are tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import graphsvc
import importers


def _modules() -> list[str]:
    names = []
    for package in (graphsvc, importers):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):  # importing it runs the CLI
                names.append(info.name)
    return sorted(names)


def _with_examples(name: str) -> bool:
    module = importlib.import_module(name)
    return any(test.examples for test in doctest.DocTestFinder().find(module))


MODULES = [name for name in _modules() if _with_examples(name)]


def test_the_examples_are_found() -> None:
    assert "graphsvc.service" in MODULES and "graphsvc.analytics.strength" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
