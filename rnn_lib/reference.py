"""The SimpleRNN, GRU and LSTM recurrences in NumPy, reading a Keras layer's weights.

Each function runs one layer over ``inputs`` ``(batch, time, features)``
from zero states and returns the sequence output ``(batch, time, units)``
and the final states ``(batch, units)``, exactly as Keras 3 computes them
with its default activations (``tanh``, and ``sigmoid`` for the gates):

SimpleRNN   h = tanh(x W + h R + b)
GRU         z, r = sigmoid(...);  candidate uses r;  h = z * h + (1 - z) * candidate
            reset_after=True  (Keras default): r multiplies (h R + b_recurrent)
            reset_after=False: r multiplies h before R
LSTM        i, f, o = sigmoid(...);  c = f * c + i * tanh(...);  h = o * tanh(c)

Weights are Keras' own: ``kernel`` ``(features, k * units)``,
``recurrent_kernel`` ``(units, k * units)`` and ``bias``, with the gate
blocks side by side in Keras' order (GRU: z, r, h; LSTM: i, f, c, o).
:func:`reproduce` reads them from a layer and names the results like
``rnn_lib.run_named``; :func:`lstm_internals` and :func:`gru_internals` also
return every step's gates (and an LSTM's ``c``), which Keras never returns;
:func:`parameter_count` explains ``count_params()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "gru",
    "gru_internals",
    "lstm",
    "lstm_internals",
    "parameter_count",
    "reproduce",
    "simple_rnn",
]


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _weights(
    inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any, gates: int
) -> tuple[np.ndarray, ...]:
    x = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)").astype(np.float64)
    w = _checks.as_rank("kernel", kernel, 2, f"(features, {gates} * units)").astype(np.float64)
    units = w.shape[1] // gates
    if w.shape[1] != gates * units or units == 0:
        raise ValueError(
            f"kernel: expected shape (features, {gates} * units), got {tuple(w.shape)}"
        )
    if w.shape[0] != x.shape[2]:
        raise ValueError(
            f"kernel: expected {x.shape[2]} rows, one per input feature of inputs "
            f"{tuple(x.shape)}, got shape {tuple(w.shape)}"
        )
    r = _checks.as_array("recurrent_kernel", recurrent_kernel).astype(np.float64)
    if r.shape != (units, gates * units):
        raise ValueError(
            f"recurrent_kernel: expected shape {(units, gates * units)}, got {tuple(r.shape)}"
        )
    b = _checks.as_array("bias", bias).astype(np.float64)
    return x, w, r, b, units


def simple_rnn(
    inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``(sequence (batch, time, units), h (batch, units))`` of a Keras ``SimpleRNN``."""
    x, w, r, b, units = _weights(inputs, kernel, recurrent_kernel, bias, gates=1)
    if b.shape != (units,):
        raise ValueError(f"bias: expected shape {(units,)}, got {tuple(b.shape)}")
    h = np.zeros((x.shape[0], units))
    outputs = []
    for step in range(x.shape[1]):
        h = np.tanh(x[:, step] @ w + h @ r + b)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def gru(
    inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any, reset_after: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(sequence, h)`` of a Keras ``GRU``.

    ``bias`` is ``(2, 3 * units)`` (input and recurrent rows) if ``reset_after``,
    else ``(3 * units,)``.
    """
    x, w, r, b, units = _weights(inputs, kernel, recurrent_kernel, bias, gates=3)
    reset_after = _checks.boolean("reset_after", reset_after)
    expected_bias = (2, 3 * units) if reset_after else (3 * units,)
    if b.shape != expected_bias:
        raise ValueError(
            f"bias: expected shape {expected_bias} with reset_after={reset_after}, "
            f"got {tuple(b.shape)}"
        )
    steps = _gru_steps(x, w, r, b, units, reset_after)
    return steps["h"], steps["h"][:, -1].copy()


def _gru_steps(
    x: np.ndarray, w: np.ndarray, r: np.ndarray, b: np.ndarray, units: int, reset_after: bool
) -> dict[str, np.ndarray]:
    """Every step's gates, candidate and ``h`` of a GRU, each ``(batch, time, units)``."""
    input_bias, recurrent_bias = (b[0], b[1]) if reset_after else (b, np.zeros(3 * units))
    h = np.zeros((x.shape[0], units))
    names = ("update_gate", "reset_gate", "candidate", "h")
    steps: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for step in range(x.shape[1]):
        x_z, x_r, x_h = np.split(x[:, step] @ w + input_bias, 3, axis=1)
        if reset_after:
            h_z, h_r, h_h = np.split(h @ r + recurrent_bias, 3, axis=1)
            z, reset = _sigmoid(x_z + h_z), _sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + reset * h_h)  # reset applied after the matmul
        else:
            r_z, r_r, r_h = np.split(r, 3, axis=1)
            z, reset = _sigmoid(x_z + h @ r_z), _sigmoid(x_r + h @ r_r)
            candidate = np.tanh(x_h + (reset * h) @ r_h)  # reset applied before it
        h = z * h + (1.0 - z) * candidate
        for name, value in zip(steps, (z, reset, candidate, h), strict=True):
            steps[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in steps.items()}


def lstm(
    inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sequence, h, c)`` of a Keras ``LSTM`` (gates i, f, c, o)."""
    x, w, r, b, units = _weights(inputs, kernel, recurrent_kernel, bias, gates=4)
    if b.shape != (4 * units,):
        raise ValueError(f"bias: expected shape {(4 * units,)}, got {tuple(b.shape)}")
    steps = _lstm_steps(x, w, r, b, units)
    return steps["h"], steps["h"][:, -1].copy(), steps["c"][:, -1].copy()


def _lstm_steps(
    x: np.ndarray, w: np.ndarray, r: np.ndarray, b: np.ndarray, units: int
) -> dict[str, np.ndarray]:
    """Every step's gates, candidate, ``c`` and ``h`` of an LSTM, each ``(batch, time, units)``."""
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    names = ("input_gate", "forget_gate", "candidate", "output_gate", "c", "h")
    steps: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for step in range(x.shape[1]):
        i, f, g, o = np.split(x[:, step] @ w + h @ r + b, 4, axis=1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(steps, (i, f, g, o, c, h), strict=True):
            steps[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in steps.items()}


def _layer_weights(layer: Any, kinds: tuple[type, ...]) -> list[np.ndarray]:
    """``layer.get_weights()``, if ``layer`` is one of ``kinds``, built, with the defaults."""
    if not isinstance(layer, kinds):
        names = [kind.__name__ for kind in kinds]
        expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise TypeError(f"layer: expected a Keras {expected}, got {_checks.type_name(layer)}")
    if not layer.built:
        raise ValueError(
            f"layer: expected a built layer (call it once first), got {layer.name} unbuilt"
        )
    cell = layer.cell
    activation = cell.activation.__name__
    gate_activation = getattr(cell, "recurrent_activation", keras.activations.sigmoid).__name__
    if activation != "tanh" or gate_activation != "sigmoid" or not cell.use_bias:
        raise ValueError(
            "layer: expected activation='tanh', recurrent_activation='sigmoid' and "
            f"use_bias=True, got {activation!r}, {gate_activation!r}, {cell.use_bias}"
        )
    return layer.get_weights()


def reproduce(layer: Any, inputs: Any) -> dict[str, np.ndarray]:
    """Run ``layer``'s recurrence in NumPy with its own weights: ``{"sequence", "h"[, "c"]}``.

    ``layer`` must be a built ``SimpleRNN``, ``GRU`` or ``LSTM`` with the default
    activations and a bias; the result can be compared with
    ``rnn_lib.run_named`` of a layer with ``return_sequences=True, return_state=True``.
    A ``go_backwards=True`` layer reads the steps last to first and its sequence comes out
    in that (reversed) order, as Keras returns it.
    """
    weights = _layer_weights(layer, (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM))
    cell = layer.cell
    if layer.go_backwards:
        inputs = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")[:, ::-1]
    if isinstance(layer, keras.layers.LSTM):
        sequence, h, c = lstm(inputs, *weights)
        return {"sequence": sequence, "h": h, "c": c}
    if isinstance(layer, keras.layers.GRU):
        sequence, h = gru(inputs, *weights, reset_after=cell.reset_after)
    else:
        sequence, h = simple_rnn(inputs, *weights)
    return {"sequence": sequence, "h": h}


def _internals(layer: Any, inputs: Any, kind: type) -> tuple[np.ndarray, ...]:
    """The checked NumPy input and weights of ``layer``, inputs in processing order."""
    weights = _layer_weights(layer, (kind,))
    array = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _checks.nonempty("inputs", array.shape, "(batch, time, features)")
    features = weights[0].shape[0]
    if array.shape[2] != features:
        raise ValueError(
            f"inputs: expected {features} features on the last axis (the layer's input "
            f"size), got shape {tuple(array.shape)}"
        )
    x, w, r, b, units = _weights(array, *weights, gates=4 if kind is keras.layers.LSTM else 3)
    if layer.go_backwards:
        x = x[:, ::-1]  # Keras reads the steps last to first
    return x, w, r, b, units


def lstm_internals(layer: Any, inputs: Any) -> dict[str, np.ndarray]:
    """Every step's gates and states of a built Keras ``LSTM`` over ``inputs``, in NumPy.

    Runs the recurrence with the layer's weights over ``inputs`` ``(batch, time,
    features)`` from zero states (a stateful layer's kept states are not used), in
    inference mode (no dropout), without a mask, and returns, each ``(batch, time,
    units)`` in float64:

    ``input_gate`` i, ``forget_gate`` f, ``output_gate`` o  sigmoid(...), in (0, 1)
    ``candidate`` g  tanh(...), in (-1, 1)
    ``c``  c_t = f_t * c_{t-1} + i_t * g_t
    ``h``  h_t = o_t * tanh(c_t)   (the layer's ``return_sequences=True`` output)

    Steps are in processing order, like the layer's output: last step first for
    ``go_backwards=True``. Default activations only (``tanh``, gates ``sigmoid``) and a
    bias; other layers are refused.

    Example::

        >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
        >>> layer = keras.layers.LSTM(4)
        >>> layer.build((None, None, 2))
        >>> internals = lstm_internals(layer, inputs)
        >>> sorted(internals)
        ['c', 'candidate', 'forget_gate', 'h', 'input_gate', 'output_gate']
        >>> internals["c"].shape
        (3, 5, 4)

    Raises:
        TypeError: ``layer`` is not a Keras ``LSTM``; ``inputs`` is not an array or
            tensor.
        ValueError: ``layer`` is not built, or has other activations or no bias;
            ``inputs`` is not rank 3, is empty, or does not match the layer's input size.
    """
    return _lstm_steps(*_internals(layer, inputs, keras.layers.LSTM))


def gru_internals(layer: Any, inputs: Any) -> dict[str, np.ndarray]:
    """Every step's gates and state of a built Keras ``GRU`` over ``inputs``, in NumPy.

    As :func:`lstm_internals` (zero states, no dropout, no mask, processing order,
    default activations only, float64), for either ``reset_after``; each ``(batch,
    time, units)``:

    ``update_gate`` z, ``reset_gate`` r  sigmoid(...), in (0, 1)
    ``candidate`` n  tanh(...) with r applied to the recurrent part
    ``h``  h_t = z_t * h_{t-1} + (1 - z_t) * n_t   (the layer's sequence output)

    Raises:
        TypeError: ``layer`` is not a Keras ``GRU``; ``inputs`` is not an array or tensor.
        ValueError: as :func:`lstm_internals`.
    """
    x, w, r, b, units = _internals(layer, inputs, keras.layers.GRU)
    return _gru_steps(x, w, r, b, units, layer.cell.reset_after)


def parameter_count(kind: str, units: int, features: int, reset_after: bool = True) -> int:
    """The number of weights of ``kind`` (``"SimpleRNN"``, ``"GRU"``, ``"LSTM"``).

    ``gates * units * (features + units + 1)``, with 1, 3 and 4 gate blocks;
    a GRU with ``reset_after=True`` has a second bias row, ``3 * units`` more.
    """
    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
    if kind not in gates:
        raise ValueError(f"kind: expected one of {list(gates)}, got {kind!r}")
    units = _checks.positive_int("units", units)
    features = _checks.positive_int("features", features)
    count = gates[kind] * units * (features + units + 1)
    if kind == "GRU" and _checks.boolean("reset_after", reset_after):
        count += 3 * units
    return count
