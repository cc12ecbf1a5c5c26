"""Keras 3 layers to put after a recurrent layer, all mask-aware and serializable.

================== ============================ =============================================
layer              shape                        what it does with the mask
================== ============================ =============================================
MaskedTimeAverage  (batch, time, units) ->      mean over the valid steps only; consumes it
                   (batch, units)
LastValidStep      (batch, time, units) ->      output at each row's last valid step;
                   (batch, units)               consumes it
AttentionPooling   (batch, time, units) ->      softmax over the valid steps only (padding
                   (batch, units)               gets weight 0, weights sum to 1); consumes it
ZeroMaskedSteps    (batch, time, units) ->      writes zeros at masked steps and passes the
                   (batch, time, units)         mask on to the next layer
================== ============================ =============================================

Without a mask every step counts as valid. Each layer checks that its input
is ``(batch, time, units)`` and that a mask, if any, is ``(batch, time)``.
All four are registered with ``keras.saving`` under the package name
``rnn_lib``, so a model saved to ``.keras`` loads back once ``rnn_lib`` is
imported.
"""

from __future__ import annotations

from typing import Any

from rnn_lib.extract import gather_steps
from rnn_lib.runtime import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)
from keras import ops  # noqa: E402

__all__ = ["AttentionPooling", "LastValidStep", "MaskedTimeAverage", "ZeroMaskedSteps"]


def _check_input_shape(layer: keras.layers.Layer, input_shape: Any) -> tuple:
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            f"inputs: expected a rank-3 tensor (batch, time, units) for {layer.name}, "
            f"got shape {shape}"
        )
    return shape


def _valid_steps(inputs: Any, mask: Any) -> Any:
    """The mask as float ``(batch, time, 1)``, all ones without a mask; checks its shape."""
    if mask is None:
        return ops.ones_like(inputs[..., :1])
    input_shape, mask_shape = tuple(inputs.shape), tuple(mask.shape)
    known = [
        (expected, got)
        for expected, got in zip(input_shape[:2], mask_shape, strict=False)
        if expected is not None and got is not None
    ]
    if len(mask_shape) != 2 or any(expected != got for expected, got in known):
        raise ValueError(
            f"mask: expected shape (batch, time) = {input_shape[:2]} to match inputs "
            f"{input_shape}, got {mask_shape}"
        )
    return ops.expand_dims(ops.cast(mask, inputs.dtype), -1)


class _MaskAware(keras.layers.Layer):
    """Base of this module's layers: accepts a mask, checks for ``(batch, time, units)``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        _check_input_shape(self, input_shape)
        super().build(input_shape)


class _SequenceReducer(_MaskAware):
    """Base of the layers that turn ``(batch, time, units)`` into ``(batch, units)``."""

    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch, _, units = _check_input_shape(self, input_shape)
        return (batch, units)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None  # the time axis is gone, and the mask with it


@keras.saving.register_keras_serializable(package="rnn_lib")
class MaskedTimeAverage(_SequenceReducer):
    """Mean over the valid steps only: ``(batch, time, units) -> (batch, units)``.

    A plain ``ops.mean(inputs, axis=1)`` also averages the padding; this layer
    divides the sum of the valid steps by their number.
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        weights = _valid_steps(inputs, mask)  # (batch, time, 1)
        total = ops.sum(inputs * weights, axis=1)  # (batch, units)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (batch, 1)
        return total / count


@keras.saving.register_keras_serializable(package="rnn_lib")
class LastValidStep(_SequenceReducer):
    """The output at each row's last valid step: ``(batch, time, units) -> (batch, units)``.

    For a recurrent layer's sequence output under a mask this equals the
    layer's final state, for post- and pre-padding alike.
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        valid = _valid_steps(inputs, mask)[..., 0]  # (batch, time)
        timesteps = ops.shape(inputs)[1]
        steps = ops.cast(ops.arange(timesteps), valid.dtype)  # (time,)
        # The largest step index among the valid steps (valid steps score >= 0).
        last = ops.argmax(valid * (steps + 1.0), axis=1)  # (batch,)
        return gather_steps(inputs, last)


@keras.saving.register_keras_serializable(package="rnn_lib")
class AttentionPooling(_SequenceReducer):
    """A weighted sum over time, with weights learned and softmaxed over the valid steps.

    ``score[b, t] = tanh(inputs[b, t] @ W + b) @ v`` for learned ``W``
    ``(units, attention_units)``, ``b`` and ``v``; masked steps get weight 0 and
    each row's weights sum to 1. ``attention_weights(inputs, mask)`` returns
    the weights, ``(batch, time)``.
    """

    def __init__(self, attention_units: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(attention_units, bool) or not isinstance(attention_units, int):
            raise TypeError(
                f"attention_units: expected a positive int, got {type(attention_units).__name__}"
            )
        if attention_units < 1:
            raise ValueError(f"attention_units: expected a positive int, got {attention_units}")
        self.attention_units = attention_units

    def build(self, input_shape: Any) -> None:
        _, _, units = _check_input_shape(self, input_shape)
        self.projection = self.add_weight(
            name="projection", shape=(units, self.attention_units), initializer="glorot_uniform"
        )
        self.projection_bias = self.add_weight(
            name="projection_bias", shape=(self.attention_units,), initializer="zeros"
        )
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.attention_units,), initializer="glorot_uniform"
        )
        self.built = True

    def attention_weights(self, inputs: Any, mask: Any = None) -> Any:
        """Softmax weights over time, ``(batch, time)``: 0 at masked steps, rows sum to 1."""
        if not self.built:
            self.build(inputs.shape)
        valid = _valid_steps(inputs, mask)[..., 0]  # (batch, time)
        hidden = ops.tanh(ops.matmul(inputs, self.projection) + self.projection_bias)
        scores = ops.matmul(hidden, self.score_vector)  # (batch, time)
        scores = ops.where(valid > 0, scores, ops.full_like(scores, -1e9))
        return ops.softmax(scores, axis=1) * valid

    def call(self, inputs: Any, mask: Any = None) -> Any:
        weights = self.attention_weights(inputs, mask)  # (batch, time)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)  # (batch, units)

    def get_config(self) -> dict:
        return {**super().get_config(), "attention_units": self.attention_units}


@keras.saving.register_keras_serializable(package="rnn_lib")
class ZeroMaskedSteps(_MaskAware):
    """Zeros at masked steps, mask passed on: ``(batch, time, units)`` in and out.

    A plain recurrent layer carries its last output through masked steps
    (on the CPU path); after this layer those steps hold zeros, whatever the
    code path, and the next layer still receives the mask.
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        valid = _valid_steps(inputs, mask)  # (batch, time, 1)
        return ops.where(valid > 0, inputs, ops.zeros_like(inputs))  # no -0.0

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _check_input_shape(self, input_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask
