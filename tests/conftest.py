"""Shared fixtures: repository paths and a small seeded input batch."""

import numpy as np
import pytest
from hypothesis import settings

from tools.notebooks import ROOT, notebook_paths

# The same examples on every run, so that `make test` and CI are deterministic. Explore new
# ones with `pytest --hypothesis-seed=N` (the property tests pass for random seeds too).
settings.register_profile("book", derandomize=True, deadline=None)
settings.load_profile("book")

pytest_plugins = ["pytester"]  # runs nbval on a tampered notebook (test_notebook_checks.py)

NOTEBOOKS = notebook_paths()

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4


@pytest.fixture
def inputs() -> np.ndarray:
    """A seeded (batch, time, features) = (3, 5, 2) float32 batch."""
    return np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


def _file_rank(item: pytest.Item) -> int:
    """0 the browser check, 1 a file with slow tests, 2 a notebook, 3 the rest."""
    if item.path.is_relative_to(ROOT / "tests" / "site"):
        return 0
    if item.path.suffix == ".ipynb":
        return 2
    return 1 if item.get_closest_marker("slow") else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long files first and the many short ones last.

    `make test` gives each pytest-xdist worker whole files (``--dist loadfile``) in this
    order, so short files fill the gaps at the end and the two workers finish together.
    Tests within a file keep their order (a notebook's cells must run top to bottom).
    """
    rank: dict[object, int] = {}
    for item in items:
        rank[item.path] = min(rank.get(item.path, 3), _file_rank(item))
    items.sort(key=lambda item: rank[item.path])  # stable
