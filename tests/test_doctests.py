"""Every docstring example in rnn_lib runs as a doctest, so an example that drifts fails.

Each module's examples run in a copy of that module's namespace, as `python -m doctest`
would run them: an example must define its own inputs. Modules known to show examples
must keep at least one, so that deleting an example is noticed too.
"""

import doctest
import functools
import importlib
import pkgutil
import types

import pytest

import rnn_lib

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# The package itself, then every module in it (`python -m rnn_lib` is the CLI, not run).
SUBMODULES = sorted(
    f"rnn_lib.{info.name}"
    for info in pkgutil.iter_modules(rnn_lib.__path__)
    if info.name != "__main__"
)
MODULES = ["rnn_lib", *SUBMODULES]

# The modules whose docstrings show examples: each must keep at least one.
WITH_EXAMPLES = [
    f"rnn_lib.{name}"
    for name in (
        "cells",
        "data",
        "extract",
        "masks",
        "plot",
        "reference",
        "runtime",
        "seq2seq",
        "shapes",
        "stateful",
    )
]


def run_doctests(module: types.ModuleType) -> doctest.TestResults:
    """Run ``module``'s docstring examples; failures are printed (pytest shows them)."""
    return doctest.testmod(module, optionflags=OPTIONS, report=False)


@functools.cache
def results(name: str) -> doctest.TestResults:
    """The doctest results of one module, run once per process (both tests below read them)."""
    return run_doctests(importlib.import_module(name))


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name):
    assert results(name).failed == 0, f"{name}: an example fails (see captured stdout)"


def test_the_modules_with_examples_keep_them():
    assert set(WITH_EXAMPLES) <= set(MODULES), "a module with examples was not discovered"
    without = [name for name in WITH_EXAMPLES if results(name).attempted == 0]
    assert not without, f"no docstring example left in {without}"


def test_a_drifted_example_is_counted_as_a_failure(capsys):
    # The two ways an example drifts: its output changed, or it uses a name it never defines.
    module = types.ModuleType("drifted")
    module.__doc__ = """
    >>> [1, 2] * 2
    [1, 2, 1, 2]
    >>> len("abc")
    4
    >>> inputs.shape
    (3, 5, 2)
    """
    assert run_doctests(module) == (2, 3)  # (failed, attempted)
    report = capsys.readouterr().out
    assert "Expected:\n    4\nGot:\n    3" in report
    assert "NameError: name 'inputs' is not defined" in report
