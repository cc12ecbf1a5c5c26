"""Take the last *valid* step of each row of a padded sequence output.

``outputs[:, -1, :]`` is the last step of the padded batch, which for a
post-padded row is padding. :func:`last_valid_step` takes, for every row,
the output at its own last real step, from either the lengths or the mask:

    post-padding, length L:  step L - 1
    pre-padding:             step time - 1 (the valid steps end the row)
    any mask:                the last step where the mask is True

Example::

    >>> last = last_valid_step(sequence, lengths=[5, 3, 2])   # (batch, units)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "gather_steps",
    "last_valid_indices",
    "last_valid_step",
    "lengths_to_mask",
    "mask_to_lengths",
]


def _check_mask(mask: Any, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Return ``mask`` as a ``(batch, time)`` bool array with a valid step in every row."""
    array = _checks.as_array("mask", mask)
    if array.ndim != 2:
        raise ValueError(f"mask: expected a rank-2 tensor (batch, time), got shape {array.shape}")
    if array.dtype != np.bool_:
        raise TypeError(f"mask: expected dtype bool, got dtype {array.dtype}")
    if shape is not None and array.shape != shape:
        raise ValueError(
            f"mask: expected shape {shape} (batch, time) to match outputs, got {array.shape}"
        )
    empty = np.flatnonzero(~array.any(axis=1))
    if empty.size:
        raise ValueError(
            f"mask: expected a valid step in every row, rows {empty.tolist()} have none"
        )
    return array


def lengths_to_mask(lengths: Any, timesteps: int, padding: str = "post") -> np.ndarray:
    """The ``(batch, time)`` bool mask of a batch with these ``lengths``, padded post or pre."""
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths, timesteps)
    padding = _checks.padding(padding)
    steps = np.arange(timesteps)[np.newaxis, :]  # (1, time)
    if padding == "post":
        return steps < lengths_array[:, np.newaxis]
    return steps >= (timesteps - lengths_array)[:, np.newaxis]


def mask_to_lengths(mask: Any) -> np.ndarray:
    """The ``(batch,)`` number of valid steps of each row of a ``(batch, time)`` mask."""
    return _check_mask(mask).sum(axis=1).astype(np.int64)


def last_valid_indices(
    *, lengths: Any = None, mask: Any = None, timesteps: int | None = None, padding: str = "post"
) -> np.ndarray:
    """The ``(batch,)`` time index of each row's last valid step.

    Give exactly one of ``lengths`` (with ``timesteps`` and ``padding``) or
    ``mask``. From a mask, the index is that of the last True step, whatever
    the padding.
    """
    if (lengths is None) == (mask is None):
        raise ValueError(
            "lengths, mask: expected exactly one of them, got "
            + ("both" if lengths is not None else "neither")
        )
    if mask is not None:
        array = _check_mask(mask)
        return array.shape[1] - 1 - np.argmax(array[:, ::-1], axis=1)
    if timesteps is None:
        raise ValueError("timesteps: expected an int with lengths=, got None")
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths, timesteps)
    if _checks.padding(padding) == "post":
        return lengths_array - 1
    return np.full_like(lengths_array, timesteps - 1)


def last_valid_step(
    outputs: Any, *, lengths: Any = None, mask: Any = None, padding: str = "post"
) -> Any:
    """The output at each row's last valid step: ``(batch, time, units)`` -> ``(batch, units)``.

    Args:
        outputs: the sequence output of a recurrent layer, ``(batch, time, units)``.
        lengths: ``(batch,)`` ints in ``[1, time]``; with ``padding`` ("post" or "pre").
        mask: ``(batch, time)`` bool, True at valid steps. Give ``lengths`` or ``mask``.

    Returns:
        ``(batch, units)``: a NumPy array for a NumPy ``outputs``, else a tensor.
    """
    is_numpy = isinstance(outputs, np.ndarray)
    shape = tuple(_checks.as_rank("outputs", outputs, 3, "(batch, time, units)").shape)
    if lengths is not None and mask is None:
        batch = len(_checks.lengths(lengths, shape[1]))
        if batch != shape[0]:
            raise ValueError(
                f"lengths: expected {shape[0]} lengths, one per row of outputs {shape}, got {batch}"
            )
    if mask is not None and lengths is None:
        _check_mask(mask, shape[:2])
    indices = last_valid_indices(lengths=lengths, mask=mask, timesteps=shape[1], padding=padding)
    taken = gather_steps(outputs, indices)
    return keras.ops.convert_to_numpy(taken) if is_numpy else taken


def gather_steps(outputs: Any, indices: Any) -> Any:
    """``outputs[b, indices[b], :]`` for every row: ``(batch, time, units)`` -> ``(batch, units)``.

    No validation: this is the tensor operation behind :func:`last_valid_step`,
    also usable on symbolic tensors inside a Keras layer.
    """
    indices = keras.ops.cast(keras.ops.reshape(indices, (-1, 1, 1)), "int32")  # (batch, 1, 1)
    return keras.ops.take_along_axis(outputs, indices, axis=1)[:, 0, :]
