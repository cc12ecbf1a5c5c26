"""Convert LSTM weights between TF1's ``LSTMCell`` and Keras 3's ``LSTM``.

The two layers compute the same recurrence but store it differently:

==================  =================================  ====================================
                    TF1 ``tf.compat.v1...LSTMCell``    Keras 3 ``keras.layers.LSTM``
==================  =================================  ====================================
kernel              one ``(features + units, 4u)``     ``kernel`` ``(features, 4u)`` and
                    matrix for ``[x, h]``              ``recurrent_kernel`` ``(units, 4u)``
gate order          i, j, f, o  (j: candidate)         i, f, c, o  (c: candidate)
forget bias         ``forget_bias`` (1.0) added at     in the bias (``unit_forget_bias``
                    run time, not stored               only initialises it to 1)
state               ``LSTMStateTuple(c, h)``           ``return_state``: ``[output, h, c]``
==================  =================================  ====================================

Only the plain cell is supported: no peepholes, projection or clipping.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_lib import _checks

__all__ = ["KERAS_GATES", "TF1_GATES", "keras_lstm_to_tf1", "tf1_lstm_to_keras"]

TF1_GATES = ("i", "j", "f", "o")
KERAS_GATES = ("i", "f", "c", "o")
# Position of each Keras gate block in TF1's order (the candidate is j in TF1, c in Keras).
_TF1_BLOCK_FOR_KERAS = (0, 2, 1, 3)


def _float_array(name: str, value: Any, rank: int, axes: str) -> np.ndarray:
    array = _checks.as_rank(name, value, rank, axes)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name}: expected a float array, got dtype {array.dtype}")
    return array


def _forget_bias(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"forget_bias: expected a number, got {_checks.type_name(value)}")
    return float(value)


def _units_from_bias(bias: np.ndarray) -> int:
    if bias.shape[0] % 4 or bias.shape[0] == 0:
        raise ValueError(
            f"bias: expected shape (4 * units,), got {bias.shape}: not a multiple of 4"
        )
    return bias.shape[0] // 4


def _reorder(blocks_last_axis: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    blocks = np.split(blocks_last_axis, 4, axis=-1)
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
