"""rnn_lib.masks: what a layer does with the mask on its input, against Keras' own mechanics.

Each case is checked against ground truths the test computes another way:

- uses the mask: Keras hands the mask only to a ``call`` with a ``mask`` (or ``query_mask``,
  ``value_mask``) argument (``Layer.__call__``, step 6); for one that has it, the layer is
  called directly with the mask and with an all-True mask;
- passes a mask on: Keras calls ``compute_mask`` only for a layer with
  ``supports_masking`` (``Layer.__call__``, step 7), and a model built here with
  ``keras.layers.Masking`` in front shows the mask on the layer's output, or not;
- the warning: what that ``Masking`` model raises, the layer's name made the default one.
"""

from __future__ import annotations

import doctest
import functools
import inspect
import warnings

import keras
import numpy as np
import pytest
from keras import ops
from keras.src.utils.naming import to_snake_case  # Keras' own default-name conversion

from rnn_lib import masks
from rnn_lib.masks import MaskBehaviour, mask_behaviour

L = keras.layers

INPUTS = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")  # no zero anywhere
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=bool)  # post, none, pre
ALL_VALID = np.ones_like(MASK)

FLATTEN_WARNING = (
    "Layer 'flatten' (of type Flatten) was passed an input with a mask attached to it. "
    "However, this layer does not support masking and will therefore destroy the mask "
    "information. Downstream layers will not see the mask."
)


def zero_masked_steps(x, mask=None):
    """A Lambda function that reads the mask: zeros at the masked steps."""
    if mask is None:
        return x
    return x * ops.expand_dims(ops.cast(mask, x.dtype), -1)


# id: (a function making the layer, training)
CASES = {
    "simple_rnn_sequences": (lambda: L.SimpleRNN(4, return_sequences=True), False),
    "simple_rnn_last": (lambda: L.SimpleRNN(4), False),
    "gru_sequences": (lambda: L.GRU(4, return_sequences=True), False),
    "gru_last": (lambda: L.GRU(4), False),
    "lstm_sequences": (lambda: L.LSTM(4, return_sequences=True), False),
    "lstm_last": (lambda: L.LSTM(4), False),
    "lstm_last_with_states": (lambda: L.LSTM(4, return_state=True), False),
    "bidirectional_lstm_sequences": (
        lambda: L.Bidirectional(L.LSTM(4, return_sequences=True)),
        False,
    ),
    "dense": (lambda: L.Dense(4), False),
    "dropout_inference": (lambda: L.Dropout(0.5), False),
    "dropout_training": (lambda: L.Dropout(0.5), True),
    "layer_normalization": (lambda: L.LayerNormalization(), False),
    "batch_normalization_inference": (lambda: L.BatchNormalization(), False),
    "batch_normalization_training": (lambda: L.BatchNormalization(), True),
    "activation": (lambda: L.Activation("tanh"), False),
    "time_distributed_dense": (lambda: L.TimeDistributed(L.Dense(4)), False),
    "conv1d": (lambda: L.Conv1D(4, 2), False),
    "flatten": (lambda: L.Flatten(), False),
    "reshape": (lambda: L.Reshape((10,)), False),
    "global_average_pooling1d": (lambda: L.GlobalAveragePooling1D(), False),
    "global_max_pooling1d": (lambda: L.GlobalMaxPooling1D(), False),
    "lambda": (lambda: L.Lambda(lambda x: 2.0 * x), False),
    "lambda_with_mask": (lambda: L.Lambda(lambda x: 2.0 * x, mask=lambda x, m: m), False),
    "lambda_reading_the_mask": (lambda: L.Lambda(zero_masked_steps), False),
    "multi_head_attention": (lambda: L.MultiHeadAttention(2, 3), False),
    "masking": (lambda: L.Masking(), False),
}


@functools.cache
def behaviour(case: str) -> MaskBehaviour:
    """mask_behaviour of a case, computed once for all the tests below."""
    make, training = CASES[case]
    return mask_behaviour(make(), INPUTS, MASK, training=training)


def call_directly(layer, x, mask, training):
    """Call ``layer`` on a tensor (no model), handing it ``mask`` explicitly if not None."""
    kwargs = (
        {"training": training} if "training" in inspect.signature(layer.call).parameters else {}
    )
    if isinstance(layer, L.MultiHeadAttention):
        return layer(x, x, query_mask=mask, value_mask=mask, **kwargs)
    if mask is not None:
        kwargs["mask"] = mask
    return layer(x, **kwargs)


def flat(outputs):
    return [np.asarray(tensor) for tensor in keras.tree.flatten(outputs)]


def reads_mask_directly(layer, training) -> bool:
    """Ground truth for uses_mask, from direct calls of the layer."""
    parameters = inspect.signature(layer.call).parameters
    if not any(name == "mask" or name.endswith("_mask") for name in parameters):
        return False  # Keras never hands the mask to such a call
    x = ops.convert_to_tensor(INPUTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a Lambda without mask= warns when handed one
        masked = flat(call_directly(layer, x, ops.convert_to_tensor(MASK), training))
        unmasked = flat(call_directly(layer, x, ops.convert_to_tensor(ALL_VALID), training))
    return not all(np.allclose(a, b) for a, b in zip(masked, unmasked, strict=True))


def masking_model(layer, training):
    """Keras' Masking in front of ``layer``: (symbolic mask?, run mask?, mask warnings)."""
    padded = np.where(MASK[..., np.newaxis], INPUTS, 0.0).astype("float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = keras.Input((5, 2))
        masked = L.Masking(mask_value=0.0)(values)
        outputs = (
            layer(masked, masked) if isinstance(layer, L.MultiHeadAttention) else layer(masked)
        )
        model = keras.Model(values, outputs)
        result = model(padded, training=training)
    symbolic = [getattr(t, "_keras_mask", None) is not None for t in keras.tree.flatten(outputs)]
    run = [getattr(t, "_keras_mask", None) is not None for t in keras.tree.flatten(result)]
    default = f"'{to_snake_case(type(layer).__name__)}'"
    texts = {str(w.message).replace(f"'{layer.name}'", default) for w in caught}
    return any(symbolic), any(run), sorted(text for text in texts if "mask" in text)


# ----- each case against the ground truths -----


@pytest.mark.parametrize("case", CASES)
def test_uses_mask_matches_a_direct_call_with_and_without_the_mask(case):
    make, training = CASES[case]
    assert behaviour(case).uses_mask == reads_mask_directly(make(), training)


@pytest.mark.parametrize("case", CASES)
def test_passes_on_matches_supports_masking_and_compute_mask(case):
    make, training = CASES[case]
    layer = make()
    call_directly(layer, ops.convert_to_tensor(INPUTS), None, training)  # build it
    if layer.supports_masking:
        output_masks = keras.tree.flatten(layer.compute_mask(INPUTS, MASK))
        expected = any(m is not None for m in output_masks)
    else:
        expected = False  # Keras does not call compute_mask: the mask is dropped
    assert behaviour(case).passes_on == expected


@pytest.mark.parametrize("case", CASES)
def test_passes_on_and_warning_match_a_model_with_masking_in_front(case):
    make, training = CASES[case]
    symbolic, run, texts = masking_model(make(), training)
    assert symbolic == run
    result = behaviour(case)
    assert result.passes_on == symbolic
    assert result.warning == ("\n".join(texts) if texts else None)
    assert (result.warning is None) == make().supports_masking


@pytest.mark.parametrize("case", CASES)
def test_the_layer_is_named_by_its_class(case):
    make, _ = CASES[case]
    layer = make()
    expected = type(layer).__name__
    if isinstance(layer, L.Bidirectional):
        expected += f"({type(layer.forward_layer).__name__})"
    elif isinstance(layer, L.Wrapper):
        expected += f"({type(layer.layer).__name__})"
    assert behaviour(case).layer == expected


# ----- well-known facts -----


def test_well_known_facts():
    assert behaviour("dense") == MaskBehaviour("Dense", False, True, None)
    assert behaviour("lstm_last") == MaskBehaviour("LSTM", True, False, None)
    assert behaviour("lstm_sequences") == MaskBehaviour("LSTM", True, True, None)
    assert behaviour("flatten") == MaskBehaviour("Flatten", False, False, FLATTEN_WARNING)
    assert behaviour("global_average_pooling1d") == MaskBehaviour(
        "GlobalAveragePooling1D", True, False, None
    )
    assert behaviour("time_distributed_dense").layer == "TimeDistributed(Dense)"
    assert behaviour("bidirectional_lstm_sequences").layer == "Bidirectional(LSTM)"


def test_dropout_in_training_does_not_fake_a_use_of_the_mask():
    # Dropout draws a new pattern on every call; the function replays the same draws.
    assert behaviour("dropout_training") == MaskBehaviour("Dropout", False, True, None)


def test_batch_normalization_reads_the_mask_only_for_batch_statistics():
    assert behaviour("batch_normalization_training").uses_mask
    assert not behaviour("batch_normalization_inference").uses_mask


def test_a_lambda_reading_the_mask_still_drops_it_without_mask_argument():
    reading = behaviour("lambda_reading_the_mask")
    assert reading.uses_mask and not reading.passes_on and reading.warning is not None
    assert "Layer 'lambda' (of type Lambda)" in reading.warning
    assert behaviour("lambda_with_mask") == MaskBehaviour("Lambda", False, True, None)


def test_an_lstm_last_output_is_the_valid_steps_alone():
    """The mechanics behind uses_mask for a recurrent layer: masked rows ignore padding."""
    layer = L.LSTM(4)
    masked = np.asarray(layer(INPUTS, mask=MASK))
    np.testing.assert_allclose(masked[0], np.asarray(layer(INPUTS[:1, :3]))[0], atol=1e-6)
    np.testing.assert_allclose(masked[2], np.asarray(layer(INPUTS[2:, 1:]))[0], atol=1e-6)
    assert not np.allclose(masked, np.asarray(layer(INPUTS)))
    assert mask_behaviour(layer, INPUTS, MASK).uses_mask


class MaskedMax(keras.layers.Layer):
    """The maximum over the valid steps: reads the mask, drops the time axis."""

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = ops.where(ops.expand_dims(mask, -1), inputs, -1e9)
        return ops.max(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


def test_uses_mask_is_found_when_the_padding_hides_it():
    # Masked steps below every valid value: the masked max equals the plain max here.
    inputs = np.where(MASK[..., np.newaxis], np.abs(INPUTS) + 1.0, -5.0).astype("float32")
    layer = MaskedMax()
    assert np.allclose(layer(inputs, mask=MASK), layer(inputs))
    raised = inputs + 20.0 * ~MASK[..., np.newaxis]  # masked steps above the valid ones
    assert not np.allclose(layer(raised, mask=MASK), layer(raised))
    assert mask_behaviour(layer, inputs, MASK) == MaskBehaviour("MaskedMax", True, False, None)
    zeros = np.where(MASK[..., np.newaxis], INPUTS, 0.0)  # Masking-style zero padding
    assert mask_behaviour(L.GlobalAveragePooling1D(), zeros, MASK).uses_mask


def test_multi_head_attention_is_called_as_self_attention():
    result = behaviour("multi_head_attention")
    assert result == MaskBehaviour("MultiHeadAttention", True, True, None)


# ----- the layer passed is left alone -----


def test_a_layer_built_for_other_shapes_is_rebuilt_and_left_unchanged():
    dense = L.Dense(4)
    dense(np.zeros((2, 7, 3), "float32"))  # built for 3 features
    kernel = np.array(dense.kernel.numpy())
    assert mask_behaviour(dense, INPUTS, MASK).passes_on
    np.testing.assert_array_equal(dense.kernel.numpy(), kernel)

    norm = L.BatchNormalization()
    norm(INPUTS)
    moving = [np.array(v.numpy()) for v in norm.non_trainable_variables]
    assert mask_behaviour(norm, INPUTS, MASK, training=True).uses_mask
    for variable, before in zip(norm.non_trainable_variables, moving, strict=True):
        np.testing.assert_array_equal(variable.numpy(), before)

    fresh = L.LSTM(4)
    mask_behaviour(fresh, INPUTS, MASK)
    assert not fresh.built


def test_the_warning_names_the_default_name_whatever_the_layer_is_called():
    result = mask_behaviour(L.Flatten(name="my_flatten"), INPUTS, MASK)
    assert result.warning == FLATTEN_WARNING


def test_randomness_outside_the_layer_seed_state_is_refused():
    noisy = L.Lambda(lambda x: x + keras.random.normal(ops.shape(x)), mask=lambda x, m: m)
    with pytest.raises(
        RuntimeError, match="layer: expected the same output from two identical runs"
    ):
        mask_behaviour(noisy, INPUTS, MASK)


class ReturnsItsInput(keras.layers.Layer):
    """No masking support, and returns the very tensor it got, mask attribute included."""

    def call(self, inputs):
        return inputs


def test_a_mask_kept_at_run_time_but_not_when_built_is_refused():
    # Built, the output is a new symbolic tensor without a mask (and Keras warns); run,
    # it is the input tensor itself, which still carries the mask.
    with pytest.raises(
        RuntimeError, match="carries a mask when the model is run but not when it is built"
    ):
        mask_behaviour(ReturnsItsInput(), INPUTS, MASK)


def test_the_docstring_examples_hold():
    result = doctest.testmod(masks)
    assert result.attempted >= 4 and result.failed == 0


# ----- bad inputs -----


class NeedsTable(keras.layers.Layer):
    """A layer without a config: Keras cannot record an array argument by itself."""

    def __init__(self, table, **kwargs):
        super().__init__(**kwargs)
        self.table = table

    def call(self, inputs):
        return inputs * 1.0


@pytest.mark.parametrize(
    ("layer", "inputs", "mask", "training", "error", "match"),
    [
        ("dense", INPUTS, MASK, False, TypeError, "layer: expected a Keras layer, got str"),
        (
            None,
            INPUTS.tolist(),
            MASK,
            False,
            TypeError,
            "inputs: expected a NumPy array or a tensor, got list",
        ),
        (
            None,
            INPUTS[0],
            MASK,
            False,
            ValueError,
            r"inputs: expected a rank-3 tensor \(batch, time, features\), got shape \(5, 2\)",
        ),
        (
            None,
            INPUTS > 0,
            MASK,
            False,
            TypeError,
            "inputs: expected a real numeric tensor, got dtype bool",
        ),
        (
            None,
            INPUTS[:, :, :0],
            MASK,
            False,
            ValueError,
            r"inputs: expected at least one entry on every axis",
        ),
        (
            None,
            np.where(MASK[..., None], INPUTS, np.nan),
            MASK,
            False,
            ValueError,
            "inputs: expected finite values, got 6 NaN",
        ),
        (
            None,
            INPUTS,
            MASK[..., None],
            False,
            ValueError,
            r"mask: expected a rank-2 tensor \(batch, time\), got shape \(3, 5, 1\)",
        ),
        (
            None,
            INPUTS,
            MASK.astype("float32"),
            False,
            TypeError,
            "mask: expected a bool tensor, got dtype float32",
        ),
        (
            None,
            INPUTS,
            MASK[:, :4],
            False,
            ValueError,
            r"mask: expected shape \(batch, time\) = \(3, 5\) to match inputs \(3, 5, 2\), got \(3, 4\)",
        ),
        (None, INPUTS, ALL_VALID, False, ValueError, "mask: expected at least one False"),
        (None, INPUTS, MASK, "yes", TypeError, "training: expected True or False, got str"),
        (
            NeedsTable(np.ones(2)),
            INPUTS,
            MASK,
            False,
            ValueError,
            r"layer: expected a layer that type\(layer\).from_config",
        ),
    ],
)
def test_bad_inputs(layer, inputs, mask, training, error, match):
    layer = L.Dense(4) if layer is None else layer
    with pytest.raises(error, match=match):
        mask_behaviour(layer, inputs, mask, training=training)
