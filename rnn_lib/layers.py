"""Keras 3 layers to put after a recurrent layer, all mask-aware and serializable.

Keras has built-ins for most of this; use them first. Each layer here says
which built-in it stands beside and how it differs:

================== ======================== ===========================================
layer              Keras built-in           how this layer differs
================== ======================== ===========================================
MaskedTimeAverage  GlobalAveragePooling1D   the same mean over the valid steps; a row
                   (reads the mask too)     with no valid step gives 0, not NaN
LastValidStep      the recurrent layer's    the same values after a recurrent layer;
                   own output: default      also for a sequence that went through
                   return_sequences=False,  more per-step layers (Dense, ...) after
                   or return_state=True     the recurrent layer
AttentionPooling   none (Attention,         a learned query: (batch, time, units) ->
                   AdditiveAttention and    (batch, units), softmax over the valid
                   MultiHeadAttention read  steps only
                   the mask but keep time)
ZeroMaskedSteps    zero_output_for_mask=    the same tensor, for a sequence from any
                   True on the recurrent    layer, not only a recurrent one
                   layer
================== ======================== ===========================================

Shapes: the reducers take ``(batch, time, units)`` to ``(batch, units)`` and
consume the mask; ``ZeroMaskedSteps`` keeps ``(batch, time, units)`` and
passes the mask on. Without a mask every step counts as valid. Each layer
checks that its input is ``(batch, time, units)`` and that a mask, if any, is
``(batch, time)``.

Reversed time: a recurrent layer built with ``go_backwards=True`` returns its
sequence reversed in time, while the mask Keras passes on stays in input
order, so any mask-aware layer after it (Keras' own included) would read the
wrong steps. These layers refuse such an input when a model is built
(``ValueError``). Use ``Bidirectional``, which flips its backward sequence
back, or flip it back with a layer that passes the mask on:
``Lambda(lambda x: ops.flip(x, axis=1), mask=lambda inputs, mask: mask)``
(a ``Lambda`` without ``mask=`` drops the mask). ``LastValidStep`` also refuses a
``Bidirectional`` output, whose backward half ends at the *first* valid step.
The check sees only the layer that produced the input: it applies in models
built with the functional or ``Sequential`` API, not to eager calls, and a
layer in between (a ``Dense``, a ``Dropout``) hides what came before it. For
``LastValidStep`` a flipped-back ``go_backwards`` sequence is no fix: its last
valid step is the backward layer's *first* output; take that layer's ``h``
(``return_state=True``) or ``rnn_lib.last_valid_step(..., go_backwards=True)``.

A row with no valid step at all gives zeros from every reducer here.

All four are registered with ``keras.saving`` under the package name
``rnn_lib``, so a model saved to ``.keras`` loads back once ``rnn_lib`` is
imported.
"""

from __future__ import annotations

from typing import Any

from rnn_lib.extract import gather_steps
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
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


def _producer(inputs: Any) -> Any:
    """The layer whose output ``inputs`` is, for a symbolic (model-building) tensor, else None."""
    history = getattr(inputs, "_keras_history", None)
    return getattr(history, "operation", None)


class _MaskAware(keras.layers.Layer):
    """Base of this module's layers: accepts a mask, checks for ``(batch, time, units)``.

    Refuses, when a model is built, an input that a ``go_backwards=True``
    recurrent layer returned: reversed in time, it does not line up with its mask.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        self._check_producer(_producer(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def _check_producer(self, producer: Any) -> None:
        if getattr(producer, "go_backwards", False) is True:
            raise ValueError(
                f"inputs: {type(self).__name__} '{self.name}' got the sequence of "
                f"'{producer.name}', built with go_backwards=True: that sequence is reversed "
                "in time while the mask Keras passes on is not, so the steps would not line "
                "up; expected a sequence in input order: use keras.layers.Bidirectional, or "
                "flip it back with a layer that passes the mask on, keras.layers.Lambda("
                "lambda x: keras.ops.flip(x, axis=1), mask=lambda inputs, mask: mask)"
            )

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

    Keras' ``GlobalAveragePooling1D`` reads the mask and gives the same values;
    prefer it. The one difference: a row with no valid step gives 0 here and
    NaN there. (A plain ``ops.mean(inputs, axis=1)`` also averages the padding.)
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        weights = _valid_steps(inputs, mask)  # (batch, time, 1)
        total = ops.sum(inputs * weights, axis=1)  # (batch, units)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (batch, 1)
        return total / count


@keras.saving.register_keras_serializable(package="rnn_lib")
class LastValidStep(_SequenceReducer):
    """The output at each row's last valid step: ``(batch, time, units) -> (batch, units)``.

    After a forward recurrent layer (not ``go_backwards``) with a mask, this
    equals the layer's final state ``h``, for post- and pre-padding alike, and
    so its default (``return_sequences=False``) output (except with
    ``zero_output_for_mask=True``, whose default output is zeros for a row whose
    last step is masked): prefer those when the recurrent layer is at hand. A row
    with no valid step gives zeros. This layer is for a sequence that went through
    more per-step layers first. It refuses a ``Bidirectional`` output (its
    backward half ends at each row's first valid step; use the wrapper's
    ``return_sequences=False`` output or ``rnn_lib.bidirectional_final_steps``).
    """

    def _check_producer(self, producer: Any) -> None:
        if getattr(producer, "go_backwards", False) is True:
            raise ValueError(
                f"inputs: LastValidStep '{self.name}' got the sequence of '{producer.name}', "
                "built with go_backwards=True: that sequence is reversed in time while the mask "
                "Keras passes on is not, so the steps would not line up; expected a sequence in "
                "input order: take that layer's h (return_state=True, or its "
                "return_sequences=False output), or rnn_lib.last_valid_step(sequence, mask=..., "
                "go_backwards=True)"
            )
        if isinstance(producer, keras.layers.Bidirectional):
            raise ValueError(
                f"inputs: LastValidStep '{self.name}' got the sequence of Bidirectional "
                f"'{producer.name}', whose backward half ends at each row's first valid "
                "step, not its last; expected a one-direction sequence: use the "
                "Bidirectional layer's return_sequences=False output, or "
                "rnn_lib.bidirectional_final_steps on its sequence"
            )

    def call(self, inputs: Any, mask: Any = None) -> Any:
        valid = _valid_steps(inputs, mask)[..., 0]  # (batch, time)
        timesteps = ops.shape(inputs)[1]
        steps = ops.cast(ops.arange(timesteps), valid.dtype)  # (time,)
        # The largest step index among the valid steps (valid steps score >= 0).
        last = ops.argmax(valid * (steps + 1.0), axis=1)  # (batch,)
        taken = gather_steps(inputs, last)  # (batch, units)
        has_valid = ops.max(valid, axis=1, keepdims=True) > 0  # (batch, 1)
        return ops.where(has_valid, taken, ops.zeros_like(taken))


@keras.saving.register_keras_serializable(package="rnn_lib")
class AttentionPooling(_SequenceReducer):
    """A weighted sum over time, with weights learned and softmaxed over the valid steps.

    ``score[b, t] = tanh(inputs[b, t] @ W + b) @ v`` for learned ``W``
    ``(units, attention_units)``, ``b`` and ``v``; masked steps get weight 0 and
    each row's weights sum to 1 (0 for a row with no valid step, whose output
    is 0). ``attention_weights(inputs, mask)`` returns the weights, ``(batch, time)``.

    Keras has no built-in for this pooling: its ``Attention``,
    ``AdditiveAttention`` and ``MultiHeadAttention`` read the mask too, but
    attend from one sequence to another and keep a time axis.
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

    Straight after a recurrent layer, use that layer's own
    ``zero_output_for_mask=True`` instead: the same tensor, and the mask is
    passed on too (note that the flag also zeroes the default
    ``return_sequences=False`` output of a row whose last step is masked).
    This layer does the same for a sequence from any other layer.
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        valid = _valid_steps(inputs, mask)  # (batch, time, 1)
        return ops.where(valid > 0, inputs, ops.zeros_like(inputs))  # no -0.0

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _check_input_shape(self, input_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask
