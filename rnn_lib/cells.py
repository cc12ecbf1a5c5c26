"""The states of a recurrent layer at every time step, not only the last.

Keras returns the hidden state ``h`` at every step (``return_sequences=True``) but the
other states, an LSTM's cell state ``c``, only at the last step (``return_state=True``):
Keras 3's ``RNN``, ``SimpleRNN``, ``GRU`` and ``LSTM`` have no option for more.
:class:`StatesEveryStep` wraps a cell so that its output at each step is its new states,
side by side; ``keras.layers.RNN(StatesEveryStep(cell), return_sequences=True)`` then
returns every step's states, ``(batch, time, sum of state sizes)``.
:func:`states_over_time` does this for a built ``SimpleRNN``, ``GRU`` or ``LSTM``
with the layer's own cell and weights, and names the states like
``rnn_lib.shapes``: ``h``, and ``c`` for an LSTM.

Example::

    >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    >>> layer = keras.layers.LSTM(4)
    >>> layer.build((None, None, 2))
    >>> states = states_over_time(layer, inputs)    # inputs: (batch, time, features)
    >>> {name: value.shape for name, value in states.items()}
    {'h': (3, 5, 4), 'c': (3, 5, 4)}
    >>> bool(np.allclose(states["h"][:, -1], layer(inputs)))  # the last h: the layer's output
    True
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

# Keras' RNN layer prepares the dropout masks of a cell that is a DropoutRNNCell before
# its loop, once per call, so that every step uses the same masks; the class has no
# public name (keras.layers does not export it).
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: E402

__all__ = ["StatesEveryStep", "states_over_time"]


def _state_sizes(name: str, state_size: Any) -> list[int]:
    """``state_size`` as a list of ints (one per state), or raise ValueError."""
    sizes = list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]
    if not sizes or not all(
        isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0
        for size in sizes
    ):
        raise ValueError(
            f"{name}: expected a state_size that is a positive int or a flat list of "
            f"positive ints (one per state), got {state_size!r}"
        )
    return [int(size) for size in sizes]


@keras.saving.register_keras_serializable(package="rnn_lib")
class StatesEveryStep(DropoutRNNCell, keras.layers.Layer):
    """A cell wrapper whose output at each step is the wrapped cell's new states.

    ``cell`` is any Keras RNN cell: ``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``, or a
    custom cell layer with a ``state_size`` (an int, or a flat list of ints). The
    wrapper has the same ``state_size`` and the same state updates; its output at a
    step is the cell's new states concatenated along the last axis, ``(batch, sum of
    state sizes)`` (``output_size``), in the order of ``state_size``: ``[h, c]`` for an
    ``LSTMCell``. So ``keras.layers.RNN(StatesEveryStep(cell), return_sequences=True)``
    returns ``(batch, time, sum of state sizes)``: every step's states side by side.

    The wrapped cell keeps its weights (no copy): wrapping the cell of a built layer
    reads that layer's weights. ``training`` is passed on to the cell, and the RNN
    layer's once-per-call dropout masks reach the wrapped cell, so dropout behaves as
    in the cell's own layer. Saved and loaded with ``.keras`` files (registered as
    ``rnn_lib>StatesEveryStep``).

    Masked steps: the RNN layer keeps the states of a masked step unchanged and
    repeats the previous step's output, so the wrapper's output there repeats the
    states of the last unmasked step; before the first unmasked step it is zeros (not
    the initial state), as for any RNN output. :func:`states_over_time` corrects that.

    Example::

        >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
        >>> rnn = keras.layers.RNN(StatesEveryStep(keras.layers.LSTMCell(4)),
        ...                        return_sequences=True)
        >>> tuple(rnn(inputs).shape)                 # h and c side by side: 4 + 4
        (3, 5, 8)

    Raises:
        TypeError: ``cell`` is not a Keras layer with a ``state_size``, or is a
            recurrent layer (``LSTM``, ``RNN``...: wrap its ``.cell``).
        ValueError: its ``state_size`` is not a positive int or a flat list of them
            (e.g. ``StackedRNNCells`` of LSTM cells: wrap each cell instead).
    """

    def __init__(self, cell: keras.layers.Layer, **kwargs: Any) -> None:
        if (
            not isinstance(cell, keras.layers.Layer)
            or not hasattr(cell, "state_size")
            or isinstance(cell, keras.layers.RNN)  # a layer, not a cell: wrap its .cell
        ):
            raise TypeError(
                "cell: expected a Keras RNN cell (a layer with a state_size, e.g. "
                f"keras.layers.LSTMCell), got {_checks.type_name(cell)}"
            )
        _state_sizes("cell", cell.state_size)
        kwargs.setdefault("dtype", cell.dtype_policy)
        super().__init__(**kwargs)
        self.cell = cell
        self._pass_training = "training" in inspect.signature(cell.call).parameters

    @property
    def state_size(self) -> Any:
        """The wrapped cell's ``state_size``."""
        return self.cell.state_size

    @property
    def output_size(self) -> int:
        """The sum of the state sizes: the width of one step's output."""
        return sum(_state_sizes("cell", self.cell.state_size))

    def build(self, input_shape: tuple) -> None:
        if not self.cell.built:
            self.cell.build(input_shape)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, Any]:
        kwargs = {"training": training} if self._pass_training else {}
        _, new_states = self.cell(inputs, states, **kwargs)
        flat = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        output = flat[0] if len(flat) == 1 else keras.ops.concatenate(flat, axis=-1)
        return output, new_states

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        """The wrapped cell's initial states (zeros if it defines none), a list."""
        if hasattr(self.cell, "get_initial_state"):
            states = self.cell.get_initial_state(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [
            keras.ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in _state_sizes("cell", self.cell.state_size)
        ]

    # The RNN layer calls these on a DropoutRNNCell: hand them to the wrapped cell.
    def get_dropout_mask(self, step_input: Any) -> Any:
        if isinstance(self.cell, DropoutRNNCell):
            return self.cell.get_dropout_mask(step_input)
        return None

    def get_recurrent_dropout_mask(self, step_input: Any) -> Any:
        if isinstance(self.cell, DropoutRNNCell):
            return self.cell.get_recurrent_dropout_mask(step_input)
        return None

    def reset_dropout_mask(self) -> None:
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self) -> None:
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_recurrent_dropout_mask()

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["cell"] = keras.saving.serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> StatesEveryStep:
        config = dict(config)
        cell = keras.saving.deserialize_keras_object(
            config.pop("cell"), custom_objects=custom_objects
        )
        return cls(cell, **config)


_LAYERS = (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM)


def states_over_time(
    layer: Any,
    inputs: Any,
    *,
    mask: Any = None,
    initial_state: Any = None,
    training: bool = False,
) -> dict[str, np.ndarray]:
    """Every step's states of a built ``SimpleRNN``, ``GRU`` or ``LSTM`` over ``inputs``.

    Runs the layer's own cell (its weights, no copy) wrapped in :class:`StatesEveryStep`
    inside a ``keras.layers.RNN`` with the layer's ``go_backwards`` and ``unroll``, over
    ``inputs`` ``(batch, time, features)``. Returns ``{"h": (batch, time, units)}``, and
    ``"c"`` ``(batch, time, units)`` too for an LSTM: entry ``[:, t]`` is the state after
    the ``t``-th step processed.

    - Order: steps are in processing order, like the layer's own sequence output: for
      ``go_backwards=True``, ``[:, 0]`` is the state after the LAST time step and
      ``[:, -1]`` the final state (reverse the time axis to align with ``inputs``).
    - So ``h`` equals the layer's ``return_sequences=True`` output, and ``[:, -1]`` of
      each state equals the final states of ``return_state=True``.
    - Masked steps (``mask`` False) leave the states unchanged: there each state repeats
      its value at the previous step, as Keras does (a masked step repeats the previous
      step's output and keeps the previous states). Before a row's first unmasked step
      (in processing order: pre-padding, or post-padding with ``go_backwards``), the
      states are the initial states. That is one place where ``h`` differs from the
      layer's sequence output: Keras outputs zeros there, which equals ``h`` only when
      the initial state is zero (the default).
    - The states start from ``initial_state`` (a list of ``(batch, units)`` arrays,
      ``[h]`` or ``[h, c]``) or zeros, never from a stateful layer's kept states (pass
      ``initial_state=[keras.ops.convert_to_numpy(s) for s in layer.states]`` for
      those); a stateful layer's kept states are not changed.
    - ``training=True`` applies the layer's dropout, with fresh masks, as a call of the
      layer with ``training=True`` would.

    Raises:
        TypeError: ``layer`` is not a ``SimpleRNN``, ``GRU`` or ``LSTM`` (for a
            ``Bidirectional``, pass its ``forward_layer`` and ``backward_layer``);
            ``inputs``, ``mask`` or an initial state is not an array or tensor;
            ``mask`` is not bool; ``initial_state`` is not a list or tuple;
            ``training`` is not a bool.
        ValueError: ``layer`` is not built; ``inputs`` is not rank 3, is empty, or its
            last axis is not the layer's number of input features; ``mask`` is not
            ``(batch, time)`` of ``inputs``; ``initial_state`` does not hold one
            ``(batch, units)`` array per state.
    """
    if not isinstance(layer, _LAYERS):
        extra = (
            " (for a Bidirectional, pass its forward_layer and backward_layer)"
            if isinstance(layer, keras.layers.Bidirectional)
            else ""
        )
        raise TypeError(
            f"layer: expected a Keras SimpleRNN, GRU or LSTM{extra}, got {_checks.type_name(layer)}"
        )
    if not layer.built:
        raise ValueError(
            f"layer: expected a built layer (call it once first), got {layer.name} unbuilt"
        )
    array = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _checks.nonempty("inputs", array.shape, "(batch, time, features)")
    features = int(layer.cell.kernel.shape[0])
    if array.shape[2] != features:
        raise ValueError(
            f"inputs: expected {features} features on the last axis (the layer's input "
            f"size), got shape {tuple(array.shape)}"
        )
    batch, time = array.shape[:2]
    names = ("h", "c") if isinstance(layer, keras.layers.LSTM) else ("h",)
    sizes = _state_sizes("layer", layer.cell.state_size)
    if mask is not None:
        mask = _checks.as_rank("mask", mask, 2, "(batch, time)")
        if mask.dtype != np.bool_:
            raise TypeError(f"mask: expected a bool array (batch, time), got dtype {mask.dtype}")
        if mask.shape != (batch, time):
            raise ValueError(
                f"mask: expected shape {(batch, time)}, (batch, time) of inputs, "
                f"got {tuple(mask.shape)}"
            )
    if initial_state is None:
        initial = [np.zeros((batch, size), dtype=layer.compute_dtype) for size in sizes]
    else:
        initial = _initial_state(initial_state, names, batch, sizes)
        initial = [state.astype(layer.compute_dtype) for state in initial]
    training = _checks.boolean("training", training)

    rnn = keras.layers.RNN(
        StatesEveryStep(layer.cell),
        return_sequences=True,
        go_backwards=layer.go_backwards,
        unroll=layer.unroll,
    )
    output = keras.ops.convert_to_numpy(
        rnn(array, mask=mask, initial_state=initial, training=training)
    )  # (batch, time, sum(sizes)), in processing order
    states = np.split(output, np.cumsum(sizes)[:-1], axis=-1)
    if mask is not None:  # before the first unmasked step: the initial state, not zeros
        order = mask[:, ::-1] if layer.go_backwards else mask
        started = np.cumsum(order, axis=1) > 0  # (batch, time)
        states = [
            np.where(started[..., np.newaxis], state, start[:, np.newaxis, :])
            for state, start in zip(states, initial, strict=True)
        ]
    return {name: np.ascontiguousarray(state) for name, state in zip(names, states, strict=True)}


def _initial_state(
    value: Any, names: tuple[str, ...], batch: int, sizes: list[int]
) -> list[np.ndarray]:
    plural = "s" if len(names) > 1 else ""
    expected = f"a list of {len(names)} array{plural} [{', '.join(names)}]"
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"initial_state: expected {expected}, got {_checks.type_name(value)}")
    if len(value) != len(names):
        raise ValueError(f"initial_state: expected {expected}, got {len(value)}")
    arrays = []
    for position, (state, size) in enumerate(zip(value, sizes, strict=True)):
        name = f"initial_state[{position}]"
        array = _checks.as_rank(name, state, 2, "(batch, units)")
        if array.shape != (batch, size):
            raise ValueError(
                f"{name}: expected shape {(batch, size)}, (batch, units), got {tuple(array.shape)}"
            )
        arrays.append(array)
    return arrays
