"""Seeded toy batches of sequences with different lengths, padded post or pre.

Example::

    >>> batch = padded_batch([5, 3, 2], features=2, padding="post", seed=0)
    >>> batch.inputs.shape, batch.lengths, batch.mask.astype(int)
    ((3, 5, 2), array([5, 3, 2]), array([[1, 1, 1, 1, 1],
                                        [1, 1, 1, 0, 0],
                                        [1, 1, 0, 0, 0]]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.extract import lengths_to_mask

__all__ = ["PaddedBatch", "padded_batch", "padded_tokens"]


@dataclass(frozen=True)
class PaddedBatch:
    """A padded batch and what describes its padding.

    Attributes:
        inputs: ``(batch, time, features)`` float32, or ``(batch, time)`` int32
            token ids for :func:`padded_tokens`; padded steps hold zeros.
        lengths: ``(batch,)`` int, the number of valid steps of each row.
        mask: ``(batch, time)`` bool, True at valid steps.
        padding: ``"post"`` or ``"pre"``.
    """

    inputs: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray
    padding: str

    def unpadded(self, row: int) -> np.ndarray:
        """Row ``row`` without its padding: ``(1, length, ...)``, ready to feed a layer."""
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row: expected an int, got {_checks.type_name(row)}")
        if not 0 <= row < len(self.lengths):
            raise ValueError(f"row: expected an int in [0, {len(self.lengths) - 1}], got {row}")
        return self.inputs[row][self.mask[row]][np.newaxis]

    def each_row_alone(self, function: Callable[[np.ndarray], Any]) -> np.ndarray:
        """``function`` applied to each row without its padding, results stacked on axis 0.

        ``function`` takes a ``(1, length, ...)`` batch of one (see :meth:`unpadded`) and
        returns an array or tensor with a leading batch axis of 1, e.g. a model or
        ``lambda row: rnn_lib.run_named(layer, row)["h"]``. The result, ``(batch, ...)``,
        is what each row gives with no padding at all: the reference a padded batch
        must reproduce.
        """
        if not callable(function):
            raise TypeError(f"function: expected a callable, got {_checks.type_name(function)}")
        results = [np.asarray(function(self.unpadded(row))) for row in range(len(self.lengths))]
        if any(result.ndim == 0 or result.shape[0] != 1 for result in results):
            shapes = [tuple(result.shape) for result in results]
            raise ValueError(
                f"function: expected results with a leading batch axis of 1, got shapes {shapes}"
            )
        return np.concatenate(results, axis=0)


def padded_batch(
    lengths: Sequence[int],
    features: int = 2,
    *,
    timesteps: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> PaddedBatch:
    """A seeded ``(batch, time, features)`` float32 batch, zero-padded to ``timesteps``.

    Valid steps are drawn from a standard normal (never exactly zero, so
    ``keras.layers.Masking(0.0)`` masks exactly the padding). ``timesteps``
    defaults to the longest length. Row ``i`` holds the same values whatever
    the padding, so post- and pre-padded batches can be compared.
    """
    features = _checks.positive_int("features", features)
    lengths_array, timesteps, padding, rng = _layout(lengths, timesteps, padding, seed)
    values = rng.normal(size=(len(lengths_array), timesteps, features)).astype("float32")
    values[values == 0] = 1e-3  # keep every valid step distinguishable from padding
    return _place(values, lengths_array, timesteps, padding)


def padded_tokens(
    lengths: Sequence[int],
    vocab_size: int,
    *,
    timesteps: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> PaddedBatch:
    """A seeded ``(batch, time)`` int32 batch of token ids in ``[1, vocab_size)``, 0 = padding.

    Made for ``keras.layers.Embedding(vocab_size, ..., mask_zero=True)``.
    """
    vocab_size = _checks.positive_int("vocab_size", vocab_size)
    if vocab_size < 2:
        raise ValueError(f"vocab_size: expected at least 2 (0 is padding), got {vocab_size}")
    lengths_array, timesteps, padding, rng = _layout(lengths, timesteps, padding, seed)
    values = rng.integers(1, vocab_size, size=(len(lengths_array), timesteps)).astype("int32")
    return _place(values, lengths_array, timesteps, padding)


def _layout(
    lengths: Any, timesteps: Any, padding: Any, seed: Any
) -> tuple[np.ndarray, int, str, np.random.Generator]:
    """Validate the arguments both batch makers share."""
    padding = _checks.padding(padding)
    lengths_array = _checks.lengths(lengths)
    if timesteps is None:
        timesteps = int(lengths_array.max())
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths_array, timesteps)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an int, got {_checks.type_name(seed)}")
    return lengths_array, timesteps, padding, np.random.default_rng(seed)


def _place(values: np.ndarray, lengths: np.ndarray, timesteps: int, padding: str) -> PaddedBatch:
    """Move each row's first ``length`` values to its valid steps; zeros elsewhere."""
    mask = lengths_to_mask(lengths, timesteps, padding)  # (batch, time)
    placed = np.zeros_like(values)
    placed[mask] = values[lengths_to_mask(lengths, timesteps, "post")]
    return PaddedBatch(placed, lengths, mask, padding)
