"""Stateful recurrent layers: the batch layout they need, and resetting their states.

A layer built with ``stateful=True`` starts each call from the state the previous call
ended with, row by row: row ``i`` of one batch continues row ``i`` of the batch before.
A long series must therefore be cut so that consecutive batches hold consecutive pieces
of the same rows (:func:`stateful_batches`), and the kept states must be set back to
zeros where a new pass over the data begins (:func:`reset_states`,
:class:`ResetStatesCallback`): Keras 3's ``Model`` has no ``reset_states()``, and ``fit``
does not reset states between epochs.

Example::

    >>> layout = stateful_batches(np.arange(14.0), batch_size=2, timesteps=3)
    >>> layout.shape  # (batches, batch_size, timesteps, features)
    (2, 2, 3, 1)
    >>> layout[..., 0]  # row 0 holds steps 0..5, row 1 steps 6..11; 12, 13 dropped
    array([[[ 0.,  1.,  2.],
            [ 6.,  7.,  8.]],
    <BLANKLINE>
           [[ 3.,  4.,  5.],
            [ 9., 10., 11.]]])
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from rnn_lib import _checks

__all__ = ["ResetStatesCallback", "reset_states", "stateful_batches"]


def stateful_batches(series: Any, batch_size: int, timesteps: int) -> np.ndarray:
    """Cut a long series into ``(batches, batch_size, timesteps, features)`` for a stateful layer.

    ``series`` is ``(time, features)``, or ``(time,)`` for one feature. The series is
    split into ``batch_size`` contiguous segments of equal length, one per row, each
    ``batches * timesteps`` steps long with ``batches = time // (batch_size * timesteps)``;
    each segment is cut into ``batches`` chunks of ``timesteps`` steps. So
    ``result[k, i]`` is ``series[(i * batches + k) * timesteps :][:timesteps]``: row ``i``
    of batch ``k + 1`` continues row ``i`` of batch ``k``, which is what a stateful layer
    assumes when it starts batch ``k + 1`` from the states batch ``k`` ended with.

    What is dropped: the last ``time - batch_size * batches * timesteps`` steps of the
    series (fewer than ``batch_size * timesteps``), the tail that does not fill a whole
    batch. Nothing else is dropped, repeated or reordered.

    Next-step targets: cut ``series[1:]`` the same way as ``series[:-1]``; both have the
    same length, so ``targets[k, i, t]`` is the step after ``inputs[k, i, t]``.

    For ``model.fit`` (with ``batch_size=batch_size, shuffle=False``), reshape the result
    to ``(batches * batch_size, timesteps, features)``: batch ``k`` is then rows
    ``k * batch_size`` to ``(k + 1) * batch_size - 1``.

    Returns a new array with the dtype of ``series``.

    Raises:
        TypeError: ``series`` is not an array or tensor, or not real numeric (bool and
            complex included);
            ``batch_size`` or ``timesteps`` is not an int.
        ValueError: ``series`` is not rank 1 or 2, has no feature, holds NaN or
            infinity, or is shorter than ``batch_size * timesteps``; ``batch_size`` or
            ``timesteps`` is below 1.
    """
    array = _checks.series(series)  # (time, features)
    batch_size = _checks.positive_int("batch_size", batch_size)
    timesteps = _checks.positive_int("timesteps", timesteps)
    time, features = array.shape
    needed = batch_size * timesteps
    if time < needed:
        raise ValueError(
            f"series: expected at least batch_size * timesteps = {batch_size} * {timesteps}"
            f" = {needed} steps, got {time}"
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"series: expected finite values, got {bad} NaN or infinite values")
    batches = time // needed
    kept = array[: needed * batches]  # (batch_size * batches * timesteps, features)
    rows = kept.reshape(batch_size, batches, timesteps, features)  # row i: segment i
    return rows.transpose(1, 0, 2, 3).copy()  # (batches, batch, time, feat), never a view


def reset_states(model: keras.layers.Layer) -> list[str]:
    """Set the kept states of every stateful recurrent layer in ``model`` back to zeros.

    Keras 3's ``Model`` has no ``reset_states()`` (Keras 2's) nor ``reset_state()``;
    each recurrent layer has ``reset_state()``. This calls it on every
    ``keras.layers.RNN`` built with ``stateful=True`` found in ``model``, at any depth:
    layers of nested models, both directions of a ``Bidirectional``, layers tracked by a
    custom layer, and ``model`` itself if it is such a layer. Layers built with
    ``stateful=False`` keep no state and are left alone. A stateful layer not built yet
    has no state variables: nothing to reset (its first call starts from zeros), and it
    is not listed.

    Returns the names of the layers reset, in Keras' traversal order (empty if none).

    Raises:
        TypeError: ``model`` is not a Keras layer or model.
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"model: expected a Keras model or layer, got {_checks.type_name(model)}")
    names = []
    # _flatten_layers: the walk Keras itself uses for summary() and trainable.
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, keras.layers.RNN) and layer.stateful and layer.built:
            layer.reset_state()
            names.append(layer.name)
    return names


class ResetStatesCallback(keras.callbacks.Callback):
    """Reset every stateful recurrent layer at the start of each epoch, and of each evaluation.

    ``fit`` itself never resets states: without this callback, epoch 2 starts from the
    states epoch 1 ended with, and the validation of ``fit`` (``validation_data=``) starts
    from the states training ended with, as if the validation rows continued the last
    training batch. This callback resets at ``on_epoch_begin`` and ``on_test_begin``
    (the validation of ``fit``, or ``evaluate`` when given the callback). Use with
    ``shuffle=False`` and the layout of :func:`stateful_batches`. Resets through
    :func:`reset_states`.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        reset_states(self.model)

    def on_test_begin(self, logs: dict | None = None) -> None:
        reset_states(self.model)
