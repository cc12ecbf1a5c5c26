"""Take the last *valid* step of each row of a padded sequence output.

``outputs[:, -1, :]`` is the last step of the padded batch, which for a
post-padded row is padding. :func:`last_valid_step` takes, for every row,
the output at its own last real step, from either the lengths or the mask:

    post-padding, length L:  step L - 1
    pre-padding:             step time - 1 (the valid steps end the row)
    any mask:                the last step where the mask is True

A layer built with ``go_backwards=True`` returns its sequence in *processing*
order (reversed in time), while the lengths, the padding side and the mask
Keras passes on all describe the *input* order. Say so with
``go_backwards=True``: the step taken is then the last valid step in
processing order, which is where the layer's final state ``h`` sits.

For ``Bidirectional`` outputs, :func:`split_directions` separates the two
directions of a ``concat`` (or ``merge_mode=None``) output, and
:func:`bidirectional_final_steps` takes each direction's *true* final step:
the forward direction ends at each row's last valid step, the backward
direction at its first valid step (step 0 without pre-padding).

Example::

    >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    >>> mask = lengths_to_mask([5, 3, 2], timesteps=5)          # post-padding
    >>> layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> sequence, h, c = layer(inputs, mask=mask)               # sequence: (3, 5, 4)
    >>> last = last_valid_step(sequence, lengths=[5, 3, 2])     # (batch, units)
    >>> tuple(last.shape), bool(np.allclose(last, h))           # each row's final h
    ((3, 4), True)
    >>> bi = keras.layers.Bidirectional(
    ...     keras.layers.LSTM(4, return_sequences=True, return_state=True))
    >>> bi_sequence, forward_h, _, backward_h, _ = bi(inputs, mask=mask)  # (3, 5, 8)
    >>> forward, backward = bidirectional_final_steps(bi_sequence, mask=mask)
    >>> tuple(forward.shape), tuple(backward.shape)
    ((3, 4), (3, 4))
    >>> bool(np.allclose(forward, forward_h)), bool(np.allclose(backward, backward_h))
    (True, True)
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "SPLITTABLE_MERGE_MODES",
    "bidirectional_final_steps",
    "first_valid_indices",
    "gather_steps",
    "last_valid_indices",
    "last_valid_step",
    "lengths_to_mask",
    "mask_to_lengths",
    "split_directions",
]

#: Merge modes whose output still holds each direction separately.
SPLITTABLE_MERGE_MODES = ("concat", None)


def _check_mask(mask: Any, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Return ``mask`` as a ``(batch, time)`` bool array with a valid step in every row."""
    array = _checks.as_array("mask", mask)
    if array.ndim != 2:
        raise ValueError(f"mask: expected a rank-2 tensor (batch, time), got shape {array.shape}")
    if array.dtype != np.bool_:
        raise TypeError(f"mask: expected dtype bool, got dtype {array.dtype}")
    _checks.nonempty("mask", array.shape, "(batch, time)")
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


def _refuse_symbolic(name: str, value: Any) -> None:
    """Raise TypeError for a symbolic KerasTensor (a model being built), which has no values."""
    if isinstance(value, keras.KerasTensor):
        raise TypeError(
            f"{name}: expected a NumPy array or an eager tensor, got a symbolic KerasTensor of "
            f"shape {tuple(value.shape)}; inside a model, use the layer rnn_lib.LastValidStep"
        )


def _exactly_one(lengths: Any, mask: Any) -> None:
    if (lengths is None) == (mask is None):
        raise ValueError(
            "lengths, mask: expected exactly one of them, got "
            + ("both" if lengths is not None else "neither")
        )


def lengths_to_mask(lengths: Any, timesteps: int, padding: str = "post") -> np.ndarray:
    """The ``(batch, time)`` bool mask of a batch with these ``lengths``, padded post or pre.

    For post-padding, TensorFlow's ``tf.sequence_mask(lengths, timesteps)`` gives the same
    mask; this one also does pre-padding and checks that every length is in ``[1, time]``.
    """
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths, timesteps)
    padding = _checks.padding(padding)
    steps = np.arange(timesteps)[np.newaxis, :]  # (1, time)
    if padding == "post":
        return steps < lengths_array[:, np.newaxis]
    return steps >= (timesteps - lengths_array)[:, np.newaxis]


def mask_to_lengths(mask: Any) -> np.ndarray:
    """The ``(batch,)`` number of valid steps of each row of a ``(batch, time)`` mask.

    A row with no valid step raises ``ValueError`` (a length is at least 1 here).
    """
    return _check_mask(mask).sum(axis=1).astype(np.int64)


def last_valid_indices(
    *, lengths: Any = None, mask: Any = None, timesteps: int | None = None, padding: str = "post"
) -> np.ndarray:
    """The ``(batch,)`` time index of each row's last valid step.

    Give exactly one of ``lengths`` (with ``timesteps`` and ``padding``) or
    ``mask``. From a mask, the index is that of the last True step, whatever
    the padding. A mask row with no True step raises ``ValueError``.
    """
    _exactly_one(lengths, mask)
    if mask is not None:
        array = _check_mask(mask)
        return array.shape[1] - 1 - np.argmax(array[:, ::-1], axis=1)
    if timesteps is None:
        raise ValueError("timesteps: expected an int with lengths=, got None")
    timesteps = _checks.positive_int("timesteps", timesteps)
    return _last_from_lengths(_checks.lengths(lengths, timesteps), timesteps, padding)


#: The padding side of a row once its time axis is reversed.
_REVERSED_PADDING = {"post": "pre", "pre": "post"}


def _last_from_lengths(lengths_array: np.ndarray, timesteps: int, padding: str) -> np.ndarray:
    """Post-padding: step ``length - 1``; pre-padding: the last step, ``time - 1``."""
    if _checks.padding(padding) == "post":
        return lengths_array - 1
    return np.full_like(lengths_array, timesteps - 1)


def last_valid_step(
    outputs: Any,
    *,
    lengths: Any = None,
    mask: Any = None,
    padding: str = "post",
    go_backwards: bool = False,
) -> Any:
    """The output at each row's last valid step: ``(batch, time, units)`` -> ``(batch, units)``.

    For the sequence output of a masked recurrent layer this is the layer's
    final state ``h``, which the layer also returns directly (``return_state=True``,
    or its default ``return_sequences=False`` output): use those when you have the
    layer. (Not with ``zero_output_for_mask=True``, which may put zeros at that
    step.) This function is for a sequence you only have as a NumPy array or an
    eager tensor; inside a model, use :class:`rnn_lib.LastValidStep`.

    Args:
        outputs: a sequence, ``(batch, time, units)``, in input time order unless
            ``go_backwards``. Not a ``Bidirectional`` output: its backward half ends
            at the *first* valid step (use :func:`bidirectional_final_steps`).
        lengths: ``(batch,)`` ints in ``[1, time]``; with ``padding`` ("post" or "pre").
        mask: ``(batch, time)`` bool, True at valid steps. Give ``lengths`` or ``mask``.
            Both describe the input order, as Keras passes the mask on.
        go_backwards: True if ``outputs`` comes from a layer built with
            ``go_backwards=True``, whose sequence is reversed in time: the lengths or
            mask are then read in reverse, and the step taken is the last valid step
            in processing order (where that layer's ``h`` sits).

    Returns:
        ``(batch, units)``: a NumPy array for a NumPy ``outputs``, else a tensor.

    Raises:
        ValueError: a row with no valid step (there is no last valid step to take).
    """
    _refuse_symbolic("outputs", outputs)
    is_numpy = isinstance(outputs, np.ndarray)
    if isinstance(outputs, (list, tuple)):
        raise TypeError(
            f"outputs: expected a NumPy array or a tensor, got {type(outputs).__name__}"
        )
    batch, timesteps, units = _checks.shape_of("outputs", outputs, 3, "(batch, time, units)")
    _checks.nonempty("outputs", (batch, timesteps, units), "(batch, time, units)")
    _exactly_one(lengths, mask)
    go_backwards = _checks.boolean("go_backwards", go_backwards)
    if lengths is not None:
        lengths_array = _checks.lengths(lengths, timesteps)
        if len(lengths_array) != batch:
            raise ValueError(
                f"lengths: expected {batch} lengths, one per row of outputs "
                f"{(batch, timesteps, units)}, got {len(lengths_array)}"
            )
        if go_backwards:  # reversed in time: post-padding comes first, and pre last
            padding = _REVERSED_PADDING[_checks.padding(padding)]
        indices = _last_from_lengths(lengths_array, timesteps, padding)
    else:
        array = _check_mask(mask, (batch, timesteps))
        indices = last_valid_indices(mask=array[:, ::-1] if go_backwards else array)
    taken = gather_steps(outputs, indices.astype(np.int32))
    return keras.ops.convert_to_numpy(taken) if is_numpy else taken


def gather_steps(outputs: Any, indices: Any) -> Any:
    """``outputs[b, indices[b], :]`` for every row: ``(batch, time, units)`` -> ``(batch, units)``.

    No validation: this is the tensor operation behind :func:`last_valid_step`,
    one ``tf.gather`` with ``batch_dims=1``, usable inside a Keras layer's
    ``call`` (TensorFlow backend). ``keras.ops.take_along_axis`` gives the
    same result but is hundreds of times slower on large outputs, because it
    broadcasts the indices to the full output shape (``make bench`` measures
    both, in benchmarks/bench_extract.py). On another Keras backend (JAX), a tensor of that
    backend is gathered with ``keras.ops.take_along_axis``, so that a model holding
    :class:`rnn_lib.LastValidStep` runs, and loads from ``.keras``, there too.
    """
    tf = sys.modules.get("tensorflow")  # imported on the TensorFlow backend (may be elsewhere)
    if tf is None or (
        keras.backend.backend() != "tensorflow" and not isinstance(outputs, (np.ndarray, tf.Tensor))
    ):
        steps = keras.ops.reshape(keras.ops.cast(indices, "int32"), (-1, 1, 1))  # (batch, 1, 1)
        return keras.ops.take_along_axis(outputs, steps, axis=1)[:, 0]
    if not isinstance(indices, np.ndarray):
        indices = tf.cast(indices, "int32")  # (batch,)
    return tf.gather(outputs, indices, axis=1, batch_dims=1)


def first_valid_indices(
    *, lengths: Any = None, mask: Any = None, timesteps: int | None = None, padding: str = "post"
) -> np.ndarray:
    """The ``(batch,)`` time index of each row's first valid step.

    Arguments as for :func:`last_valid_indices`.
    """
    _exactly_one(lengths, mask)
    if mask is not None:
        return np.argmax(_check_mask(mask), axis=1)
    if timesteps is None:
        raise ValueError("timesteps: expected an int with lengths=, got None")
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths, timesteps)
    if _checks.padding(padding) == "post":
        return np.zeros_like(lengths_array)
    return timesteps - lengths_array


def split_directions(outputs: Any, merge_mode: str | None = "concat") -> tuple[Any, Any]:
    """Split a ``Bidirectional`` output into ``(forward, backward)``.

    Args:
        outputs: with ``merge_mode="concat"``, one tensor ``(batch, time, 2 * units)``
            or ``(batch, 2 * units)``: the forward half comes first on the last axis.
            With ``merge_mode=None``, the two tensors Keras returned, ``(forward, backward)``.
        merge_mode: the layer's merge mode. ``"sum"``, ``"ave"`` and ``"mul"``
            combine the directions element by element and cannot be split.
    """
    if merge_mode not in SPLITTABLE_MERGE_MODES:
        if merge_mode in ("sum", "ave", "mul"):
            raise ValueError(
                f"merge_mode: {merge_mode!r} adds, averages or multiplies the two directions "
                "element by element, so they cannot be split back; expected 'concat' or None "
                "(use merge_mode=None to get both directions)"
            )
        raise ValueError(f"merge_mode: expected 'concat' or None, got {merge_mode!r}")
    if merge_mode is None:
        if not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
            raise TypeError(
                "outputs: expected the two tensors [forward, backward] of merge_mode=None, "
                f"got {_checks.type_name(outputs)}"
            )
        return outputs[0], outputs[1]
    if isinstance(outputs, (list, tuple)):
        raise TypeError(
            "outputs: expected one tensor for merge_mode='concat', "
            f"got a {type(outputs).__name__} of {len(outputs)}"
        )
    shape = _checks.shape_of("outputs", outputs, len(outputs.shape), "")
    if len(shape) not in (2, 3):
        raise ValueError(
            "outputs: expected a rank-3 tensor (batch, time, 2 * units) or a rank-2 tensor "
            f"(batch, 2 * units), got shape {shape}"
        )
    if shape[-1] is None or shape[-1] % 2:
        raise ValueError(
            f"outputs: expected an even last axis (2 * units) for merge_mode='concat', "
            f"got shape {shape}"
        )
    units = shape[-1] // 2
    return outputs[..., :units], outputs[..., units:]


def bidirectional_final_steps(
    outputs: Any,
    *,
    merge_mode: str | None = "concat",
    lengths: Any = None,
    mask: Any = None,
    padding: str = "post",
) -> tuple[Any, Any]:
    """Each direction's true final step of a ``Bidirectional`` sequence output.

    The forward direction finishes at each row's last valid step; the
    backward direction, which reads the row from its end, finishes at the
    row's first valid step. With neither ``lengths`` nor ``mask``, every step
    is valid: the forward final step is the last step, the backward one step 0.

    This holds for a layer that was given the mask (a padded batch called
    without it reads the padding), with the default ``unroll=False``: with
    ``unroll=True``, Keras 3.15.1 zeroes valid steps of the backward half. The
    wrapper's ``return_state=True`` states, or its ``return_sequences=False``
    output, give the same summary directly.

    Returns:
        ``(forward, backward)``, each ``(batch, units)``. Concatenated, they
        are the Bidirectional summary of each sequence.
    """
    forward, backward = split_directions(outputs, merge_mode)
    batch, timesteps, units = _checks.shape_of("outputs", forward, 3, "(batch, time, units)")
    _checks.nonempty("outputs", (batch, timesteps, units), "(batch, time, units)")
    if lengths is None and mask is None:
        mask = np.ones((batch, timesteps), dtype=bool)
    if mask is not None and lengths is None:
        _check_mask(mask, (batch, timesteps))
    last = last_valid_indices(lengths=lengths, mask=mask, timesteps=timesteps, padding=padding)
    first = first_valid_indices(lengths=lengths, mask=mask, timesteps=timesteps, padding=padding)
    if len(last) != batch:
        raise ValueError(
            f"lengths: expected {batch} lengths, one per row of outputs, got {len(last)}"
        )
    is_numpy = isinstance(forward, np.ndarray)
    taken = (
        gather_steps(forward, last.astype(np.int32)),
        gather_steps(backward, first.astype(np.int32)),
    )
    return tuple(t.numpy() for t in taken) if is_numpy else taken
