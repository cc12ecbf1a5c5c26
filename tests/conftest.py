"""Shared fixtures: repository paths and a small seeded input batch."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# The same examples on every run, so that `make test` and CI are deterministic. Explore new
# ones with `pytest --hypothesis-seed=N` (the property tests pass for random seeds too).
settings.register_profile("book", derandomize=True, deadline=None)
settings.load_profile("book")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4


@pytest.fixture
def inputs() -> np.ndarray:
    """A seeded (batch, time, features) = (3, 5, 2) float32 batch."""
    return np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")
