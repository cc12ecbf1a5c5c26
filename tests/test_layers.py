"""rnn_lib.layers: shapes, masks, padded == unpadded, serialization, bad input."""

import keras
import numpy as np
import pytest

from rnn_lib import data, extract, layers
from tests.conftest import BATCH, FEATURES, TIME, UNITS

REDUCERS = [layers.MaskedTimeAverage, layers.LastValidStep, layers.AttentionPooling]
ALL_LAYERS = [*REDUCERS, layers.ZeroMaskedSteps]


def _model(layer_class, padding_mask=True):
    inputs = keras.Input((None, FEATURES))
    x = keras.layers.Masking()(inputs) if padding_mask else inputs
    sequence = keras.layers.LSTM(UNITS, return_sequences=True)(x)
    return keras.Model(inputs, layer_class()(sequence))


@pytest.mark.parametrize("layer_class", ALL_LAYERS)
@pytest.mark.parametrize("with_mask", [False, True])
def test_output_shape(layer_class, with_mask):
    sequence = np.random.default_rng(0).normal(size=(BATCH, TIME, UNITS)).astype("float32")
    mask = data.padded_batch([5, 3, 2]).mask if with_mask else None
    layer = layer_class()
    output = keras.ops.convert_to_numpy(layer(sequence, mask=mask))
    expected = (BATCH, TIME, UNITS) if layer_class is layers.ZeroMaskedSteps else (BATCH, UNITS)
    assert output.shape == expected
    assert layer.compute_output_shape((None, TIME, UNITS)) == (None, *expected[1:])


@pytest.mark.parametrize("layer_class", REDUCERS)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_a_padded_row_gives_the_same_result_as_the_row_alone(layer_class, padding):
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=1)
    model = _model(layer_class)
    padded = keras.ops.convert_to_numpy(model(batch.inputs))
    for row in range(BATCH):
        alone = keras.ops.convert_to_numpy(model(batch.unpadded(row)))
        np.testing.assert_allclose(padded[row : row + 1], alone, atol=1e-5)


def test_masked_time_average_is_the_mean_over_valid_steps():
    batch = data.padded_batch([5, 3, 2], seed=2)
    sequence = np.random.default_rng(2).normal(size=(BATCH, TIME, UNITS)).astype("float32")
    found = keras.ops.convert_to_numpy(layers.MaskedTimeAverage()(sequence, mask=batch.mask))
    expected = [sequence[row, batch.mask[row]].mean(axis=0) for row in range(BATCH)]
    np.testing.assert_allclose(found, np.stack(expected), atol=1e-6)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_last_valid_step_layer_agrees_with_extract(padding):
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=3)
    sequence = np.random.default_rng(3).normal(size=(BATCH, TIME, UNITS)).astype("float32")
    found = keras.ops.convert_to_numpy(layers.LastValidStep()(sequence, mask=batch.mask))
    np.testing.assert_array_equal(found, extract.last_valid_step(sequence, mask=batch.mask))
    no_mask = keras.ops.convert_to_numpy(layers.LastValidStep()(sequence))
    np.testing.assert_array_equal(no_mask, sequence[:, -1])


def test_attention_weights_ignore_padding_and_sum_to_one():
    batch = data.padded_batch([5, 3, 2], seed=4)
    sequence = np.random.default_rng(4).normal(size=(BATCH, TIME, UNITS)).astype("float32")
    layer = layers.AttentionPooling(attention_units=6)
    weights = keras.ops.convert_to_numpy(layer.attention_weights(sequence, mask=batch.mask))
    assert weights.shape == (BATCH, TIME)
    assert np.all(weights[~batch.mask] == 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    pooled = keras.ops.convert_to_numpy(layer(sequence, mask=batch.mask))
    np.testing.assert_allclose(pooled, np.einsum("bt,btu->bu", weights, sequence), atol=1e-5)


def test_zero_masked_steps_zeroes_and_passes_the_mask_on():
    batch = data.padded_batch([5, 3, 2], seed=5)
    sequence = np.ones((BATCH, TIME, UNITS), "float32")
    layer = layers.ZeroMaskedSteps()
    output = keras.ops.convert_to_numpy(layer(sequence, mask=batch.mask))
    np.testing.assert_array_equal(output[..., 0], batch.mask.astype("float32"))
    passed_on = layer.compute_mask(sequence, batch.mask)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(passed_on), batch.mask)
    for reducer in REDUCERS:
        assert reducer().compute_mask(sequence, batch.mask) is None


@pytest.mark.parametrize("layer_class", ALL_LAYERS)
def test_save_and_load_give_identical_outputs(layer_class, tmp_path):
    batch = data.padded_batch([5, 3, 2], seed=6)
    model = _model(layer_class)
    before = keras.ops.convert_to_numpy(model(batch.inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    after = keras.ops.convert_to_numpy(loaded(batch.inputs))
    np.testing.assert_array_equal(before, after)
    assert type(loaded.layers[-1]) is layer_class


def test_config_round_trip():
    layer = layers.AttentionPooling(attention_units=5, name="pool")
    clone = layers.AttentionPooling.from_config(layer.get_config())
    assert clone.attention_units == 5 and clone.name == "pool"


# ----- bad input -----


@pytest.mark.parametrize("layer_class", ALL_LAYERS)
def test_rank_2_input_is_rejected(layer_class):
    layer = layer_class(name="under_test")
    with pytest.raises(
        ValueError,
        match=r"inputs: expected a rank-3 tensor \(batch, time, units\) for under_test, got shape \(3, 4\)",
    ):
        layer(np.zeros((3, 4), "float32"))


@pytest.mark.parametrize("layer_class", ALL_LAYERS)
def test_mask_of_the_wrong_shape_is_rejected(layer_class):
    with pytest.raises(
        ValueError,
        match=r"mask: expected shape \(batch, time\) = \(3, 5\) to match inputs \(3, 5, 4\), got \(3, 4\)",
    ):
        layer_class()(np.zeros((3, 5, 4), "float32"), mask=np.ones((3, 4), bool))


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_bad_attention_units(value, error):
    with pytest.raises(error, match="attention_units: expected a positive int"):
        layers.AttentionPooling(attention_units=value)


# ----- against Keras' own built-ins -----


def _masked_sequence_model(head, padding="post", **lstm_options):
    """Masking -> LSTM(return_sequences=True, **lstm_options) -> head; and the batch."""
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=7)
    inputs = keras.Input((None, FEATURES))
    lstm = keras.layers.LSTM(UNITS, return_sequences=True, **lstm_options)
    sequence = lstm(keras.layers.Masking()(inputs))
    return keras.Model(inputs, head(sequence)), batch


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_masked_time_average_equals_global_average_pooling_1d(padding):
    sequence = np.random.default_rng(8).normal(size=(BATCH, TIME, UNITS)).astype("float32")
    mask = data.padded_batch([5, 3, 2], padding=padding).mask
    mask[0, 2] = False  # a gap, too
    ours = layers.MaskedTimeAverage()(sequence, mask=mask)
    keras_own = keras.layers.GlobalAveragePooling1D()(sequence, mask=mask)
    np.testing.assert_allclose(ours, keras_own, atol=1e-6)


def test_masked_time_average_differs_from_keras_only_on_a_row_with_no_valid_step():
    sequence = np.ones((2, TIME, UNITS), "float32")
    mask = np.array([[True] * TIME, [False] * TIME])
    ours = keras.ops.convert_to_numpy(layers.MaskedTimeAverage()(sequence, mask=mask))
    keras_own = keras.ops.convert_to_numpy(
        keras.layers.GlobalAveragePooling1D()(sequence, mask=mask)
    )
    np.testing.assert_array_equal(ours[0], keras_own[0])
    assert np.all(ours[1] == 0) and np.all(np.isnan(keras_own[1]))


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_last_valid_step_equals_the_recurrent_layers_default_output(padding):
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=9)
    lstm = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    sequence, h, _ = lstm(batch.inputs, mask=batch.mask)
    default = keras.layers.LSTM(UNITS)  # return_sequences=False
    default.build(batch.inputs.shape)
    default.set_weights(lstm.get_weights())
    last = layers.LastValidStep()(sequence, mask=batch.mask)
    np.testing.assert_allclose(last, h, atol=1e-6)
    np.testing.assert_allclose(last, default(batch.inputs, mask=batch.mask), atol=1e-6)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_zero_masked_steps_equals_zero_output_for_mask(padding):
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=10)
    lstm = keras.layers.LSTM(UNITS, return_sequences=True)
    zeroing = keras.layers.LSTM(UNITS, return_sequences=True, zero_output_for_mask=True)
    for layer in (lstm, zeroing):
        layer.build(batch.inputs.shape)
    zeroing.set_weights(lstm.get_weights())
    ours = layers.ZeroMaskedSteps()(lstm(batch.inputs, mask=batch.mask), mask=batch.mask)
    np.testing.assert_array_equal(ours, zeroing(batch.inputs, mask=batch.mask))


# ----- go_backwards and Bidirectional inputs -----


@pytest.mark.parametrize("layer_class", ALL_LAYERS)
def test_a_go_backwards_sequence_is_refused_when_the_model_is_built(layer_class):
    with pytest.raises(ValueError, match=r"inputs: .* built with go_backwards=True: .* reversed"):
        _masked_sequence_model(layer_class(), go_backwards=True)


def _flip_keeping_the_mask():
    return keras.layers.Lambda(lambda x: keras.ops.flip(x, axis=1), mask=lambda inputs, mask: mask)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_flipped_back_with_its_mask_a_go_backwards_sequence_pools_like_keras(padding):
    def head(sequence):
        flipped = _flip_keeping_the_mask()(sequence)  # (batch, time, units), input order
        return [layers.MaskedTimeAverage()(flipped), keras.layers.GlobalAveragePooling1D()(flipped)]

    model, batch = _masked_sequence_model(head, padding=padding, go_backwards=True)
    ours, keras_own = (keras.ops.convert_to_numpy(x) for x in model(batch.inputs))
    np.testing.assert_allclose(ours, keras_own, atol=1e-6)
    for row in range(BATCH):
        alone = keras.ops.convert_to_numpy(model(batch.unpadded(row))[0])
        np.testing.assert_allclose(ours[row : row + 1], alone, atol=1e-5)


def test_last_valid_step_refuses_a_bidirectional_sequence_but_the_average_takes_it():
    inputs = keras.Input((None, FEATURES))
    bidirectional = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True))
    sequence = bidirectional(keras.layers.Masking()(inputs))
    with pytest.raises(ValueError, match=r"inputs: LastValidStep .* Bidirectional .* first valid"):
        layers.LastValidStep()(sequence)
    layers.MaskedTimeAverage()(sequence)  # time order, mask aligned: accepted


@pytest.mark.parametrize("layer_class", REDUCERS)
def test_a_row_with_no_valid_step_gives_zeros(layer_class):
    sequence = np.random.default_rng(11).normal(size=(2, TIME, UNITS)).astype("float32")
    mask = np.array([[True] * TIME, [False] * TIME])
    found = keras.ops.convert_to_numpy(layer_class()(sequence, mask=mask))
    assert np.all(found[1] == 0) and not np.all(found[0] == 0)


def test_last_valid_step_refusal_of_go_backwards_points_to_h():
    with pytest.raises(ValueError, match=r"take that layer's h .* go_backwards=True\)"):
        _masked_sequence_model(layers.LastValidStep(), go_backwards=True)
