"""Convert weights between TF1's ``LSTMCell``/``GRUCell`` and Keras 3's ``LSTM``/``GRU``.

The two LSTM layers compute the same recurrence but store it differently:

==================  =================================  ====================================
                    TF1 ``tf.compat.v1...LSTMCell``    Keras 3 ``keras.layers.LSTM``
==================  =================================  ====================================
kernel              one ``(features + units, 4u)``     ``kernel`` ``(features, 4u)`` and
                    matrix for ``[x, h]``              ``recurrent_kernel`` ``(units, 4u)``
gate order          i, j, f, o  (j: candidate)         i, f, c, o  (c: candidate)
forget bias         ``forget_bias`` (1.0) added at     in the bias (``unit_forget_bias``
                    run time, not stored               only initialises it to 1)
state               ``LSTMStateTuple(c, h)``           ``return_state``: ``(output, h, c)``
==================  =================================  ====================================

So do the TF1 GRU cell and a Keras 3 GRU built with ``reset_after=False`` (Keras'
default, ``reset_after=True``, applies the reset gate after the recurrent product and
has a ``(2, 3u)`` bias: a different recurrence, with no TF1 ``GRUCell`` equivalent):

==================  =================================  ====================================
                    TF1 ``tf.compat.v1...GRUCell``     Keras 3 ``GRU(reset_after=False)``
==================  =================================  ====================================
kernels             ``gates/kernel``                   ``kernel`` ``(features, 3u)`` and
                    ``(features + units, 2u)`` for     ``recurrent_kernel`` ``(units, 3u)``
                    ``[x, h]``, ``candidate/kernel``
                    ``(features + units, u)`` for
                    ``[x, r * h]``
gate order          r, u, then the candidate           z, r, h  (z is TF1's u; h: candidate)
biases              ``gates/bias`` ``(2u,)``           ``bias`` ``(3u,)``
                    (initialised to 1.0, stored) and
                    ``candidate/bias`` ``(u,)``
state               one tensor, ``h``                  ``return_state``: ``(output, h)``
==================  =================================  ====================================

Only the plain cells are supported: no peepholes, projection or clipping. A ``GRUCell``
built with another ``activation`` needs the same ``activation`` on the Keras ``GRU``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_lib import _checks

__all__ = [
    "KERAS_GATES",
    "KERAS_GRU_GATES",
    "TF1_GATES",
    "TF1_GRU_GATES",
    "keras_gru_to_tf1",
    "keras_lstm_to_tf1",
    "tf1_gru_to_keras",
    "tf1_lstm_to_keras",
]

TF1_GATES = ("i", "j", "f", "o")
KERAS_GATES = ("i", "f", "c", "o")
# Position of each Keras gate block in TF1's order (the candidate is j in TF1, c in Keras).
_TF1_BLOCK_FOR_KERAS = (0, 2, 1, 3)

# GRU: TF1 keeps the candidate in its own kernel; its gate kernel holds r, then u.
TF1_GRU_GATES = ("r", "u")
KERAS_GRU_GATES = ("z", "r", "h")
# Position of Keras' z (TF1's u) and r in TF1's gate kernel. A swap: its own inverse.
_TF1_GRU_BLOCK_FOR_KERAS = (1, 0)


def _float_array(name: str, value: Any, rank: int, axes: str) -> np.ndarray:
    array = _checks.as_rank(name, value, rank, axes)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name}: expected a float array, got dtype {array.dtype}")
    return array


def _forget_bias(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"forget_bias: expected a number, got {_checks.type_name(value)}")
    return float(value)


def _units_from_bias(bias: np.ndarray, blocks: int = 4) -> int:
    if bias.shape[0] % blocks or bias.shape[0] == 0:
        raise ValueError(
            f"bias: expected shape ({blocks} * units,), got {bias.shape}: "
            f"not a multiple of {blocks}"
        )
    return bias.shape[0] // blocks


def _reorder(blocks_last_axis: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    blocks = np.split(blocks_last_axis, len(order), axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1)


def tf1_lstm_to_keras(kernel: Any, bias: Any, forget_bias: float = 1.0) -> list[np.ndarray]:
    """TF1 ``LSTMCell`` weights -> the weight list of a Keras 3 ``LSTM``.

    Args:
        kernel: ``(features + units, 4 * units)``, gates in TF1 order i, j, f, o.
        bias: ``(4 * units,)``.
        forget_bias: the cell's ``forget_bias`` (TF1 default 1.0), which TF1
            adds at run time; it is folded into the Keras forget-gate bias.

    Returns:
        ``[kernel (features, 4u), recurrent_kernel (units, 4u), bias (4u,)]``,
        gates in Keras order i, f, c, o: ready for ``LSTM.set_weights``.
    """
    kernel = _float_array("kernel", kernel, 2, "(features + units, 4 * units)")
    bias = _float_array("bias", bias, 1, "(4 * units,)")
    forget = _forget_bias(forget_bias)
    units = _units_from_bias(bias)
    if kernel.shape[1] != 4 * units or kernel.shape[0] <= units:
        raise ValueError(
            f"kernel: expected shape (features + {units}, {4 * units}) for bias {bias.shape}, "
            f"got {kernel.shape}"
        )
    features = kernel.shape[0] - units
    keras_kernel = _reorder(kernel[:features], _TF1_BLOCK_FOR_KERAS)  # (features, 4u)
    keras_recurrent = _reorder(kernel[features:], _TF1_BLOCK_FOR_KERAS)  # (units, 4u)
    keras_bias = _reorder(bias, _TF1_BLOCK_FOR_KERAS).copy()  # (4u,)
    keras_bias[units : 2 * units] += forget  # Keras' second block is the forget gate
    return [keras_kernel, keras_recurrent, keras_bias]


def keras_lstm_to_tf1(
    kernel: Any, recurrent_kernel: Any, bias: Any, forget_bias: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Keras 3 ``LSTM`` weights -> ``(kernel, bias)`` of a TF1 ``LSTMCell``.

    The inverse of :func:`tf1_lstm_to_keras`: ``forget_bias`` is subtracted
    from the forget-gate bias, because the TF1 cell adds it back at run time.
    """
    kernel = _float_array("kernel", kernel, 2, "(features, 4 * units)")
    recurrent_kernel = _float_array("recurrent_kernel", recurrent_kernel, 2, "(units, 4 * units)")
    bias = _float_array("bias", bias, 1, "(4 * units,)")
    forget = _forget_bias(forget_bias)
    units = _units_from_bias(bias)
    if recurrent_kernel.shape != (units, 4 * units):
        raise ValueError(
            f"recurrent_kernel: expected shape {(units, 4 * units)} for bias {bias.shape}, "
            f"got {recurrent_kernel.shape}"
        )
    if kernel.shape[1] != 4 * units:
        raise ValueError(
            f"kernel: expected shape (features, {4 * units}) for bias {bias.shape}, "
            f"got {kernel.shape}"
        )
    bias = bias.copy()
    bias[units : 2 * units] -= forget
    # The reordering swaps blocks 1 and 2, so it is its own inverse.
    tf1_kernel = _reorder(np.concatenate([kernel, recurrent_kernel], axis=0), _TF1_BLOCK_FOR_KERAS)
    return tf1_kernel, _reorder(bias, _TF1_BLOCK_FOR_KERAS)


def tf1_gru_to_keras(
    gate_kernel: Any, gate_bias: Any, candidate_kernel: Any, candidate_bias: Any
) -> list[np.ndarray]:
    """TF1 ``GRUCell`` weights -> the weight list of a Keras 3 ``GRU(reset_after=False)``.

    The arguments come in the order of the TF1 cell's ``weights``, so
    ``tf1_gru_to_keras(*[weight.numpy() for weight in cell.weights])`` works.

    Args:
        gate_kernel: ``(features + units, 2 * units)``, TF1's ``gates/kernel``,
            which multiplies ``[x, h]``: the reset gate r, then the update gate u.
        gate_bias: ``(2 * units,)``, TF1's ``gates/bias`` (r, then u). TF1
            initialises it to 1.0 and stores it, so it is moved, not changed.
        candidate_kernel: ``(features + units, units)``, TF1's
            ``candidate/kernel``, which multiplies ``[x, r * h]``.
        candidate_bias: ``(units,)``, TF1's ``candidate/bias``.

    Returns:
        ``[kernel (features, 3u), recurrent_kernel (units, 3u), bias (3u,)]``,
        gates in Keras order z (TF1's u), r, h (the candidate): ready for
        ``GRU(units, reset_after=False).set_weights``. Keras' default
        ``reset_after=True`` is a different recurrence and cannot take them.
    """
    gate_kernel = _float_array("gate_kernel", gate_kernel, 2, "(features + units, 2 * units)")
    gate_bias = _float_array("gate_bias", gate_bias, 1, "(2 * units,)")
    candidate_kernel = _float_array(
        "candidate_kernel", candidate_kernel, 2, "(features + units, units)"
    )
    candidate_bias = _float_array("candidate_bias", candidate_bias, 1, "(units,)")
    units = candidate_bias.shape[0]
    if units == 0:
        raise ValueError(
            f"candidate_bias: expected shape (units,) with units >= 1, got {candidate_bias.shape}"
        )
    if gate_bias.shape != (2 * units,):
        raise ValueError(
            f"gate_bias: expected shape {(2 * units,)} for candidate_bias "
            f"{candidate_bias.shape}, got {gate_bias.shape}"
        )
    if candidate_kernel.shape[1] != units or candidate_kernel.shape[0] <= units:
        raise ValueError(
            f"candidate_kernel: expected shape (features + {units}, {units}) for "
            f"candidate_bias {candidate_bias.shape}, got {candidate_kernel.shape}"
        )
    rows = candidate_kernel.shape[0]
    if gate_kernel.shape != (rows, 2 * units):
        raise ValueError(
            f"gate_kernel: expected shape {(rows, 2 * units)} for candidate_kernel "
            f"{candidate_kernel.shape}, got {gate_kernel.shape}"
        )
    features = rows - units
    # (features + units, 3u): u, r, candidate = Keras' z, r, h
    stacked = np.concatenate(
        [_reorder(gate_kernel, _TF1_GRU_BLOCK_FOR_KERAS), candidate_kernel], axis=1
    )
    keras_bias = np.concatenate(
        [_reorder(gate_bias, _TF1_GRU_BLOCK_FOR_KERAS), candidate_bias]
    )  # (3u,)
    # Rows for x go to the kernel, rows for h (r * h for the candidate) to the recurrent kernel.
    return [stacked[:features].copy(), stacked[features:].copy(), keras_bias]


def keras_gru_to_tf1(
    kernel: Any, recurrent_kernel: Any, bias: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras 3 ``GRU(reset_after=False)`` weights -> a TF1 ``GRUCell``'s weights.

    The inverse of :func:`tf1_gru_to_keras`.

    Args:
        kernel: ``(features, 3 * units)``, gates z, r, h.
        recurrent_kernel: ``(units, 3 * units)``.
        bias: ``(3 * units,)``. A ``reset_after=True`` GRU's ``(2, 3 * units)``
            bias is refused: that recurrence has no TF1 ``GRUCell`` equivalent.

    Returns:
        ``(gate_kernel (features + units, 2u), gate_bias (2u,),
        candidate_kernel (features + units, u), candidate_bias (u,))``, the order
        of the TF1 cell's ``weights``, gates in TF1 order r, u.
    """
    kernel = _float_array("kernel", kernel, 2, "(features, 3 * units)")
    recurrent_kernel = _float_array("recurrent_kernel", recurrent_kernel, 2, "(units, 3 * units)")
    bias = _float_array("bias", bias, 1, "(3 * units,) of a GRU(reset_after=False)")
    units = _units_from_bias(bias, blocks=3)
    if recurrent_kernel.shape != (units, 3 * units):
        raise ValueError(
            f"recurrent_kernel: expected shape {(units, 3 * units)} for bias {bias.shape}, "
            f"got {recurrent_kernel.shape}"
        )
    if kernel.shape[1] != 3 * units or kernel.shape[0] == 0:
        raise ValueError(
            f"kernel: expected shape (features, {3 * units}) with features >= 1 for bias "
            f"{bias.shape}, got {kernel.shape}"
        )
    stacked = np.concatenate([kernel, recurrent_kernel], axis=0)  # (features + units, 3u)
    gate_kernel = _reorder(stacked[:, : 2 * units], _TF1_GRU_BLOCK_FOR_KERAS)  # r, u
    gate_bias = _reorder(bias[: 2 * units], _TF1_GRU_BLOCK_FOR_KERAS)
    return gate_kernel, gate_bias, stacked[:, 2 * units :].copy(), bias[2 * units :].copy()
