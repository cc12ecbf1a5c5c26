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
