"""rnn_lib.reference: NumPy recurrences against Keras itself, for random sizes and weights."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib import reference, shapes

LAYERS = [
    ("SimpleRNN", {}),
    ("GRU", {"reset_after": True}),
    ("GRU", {"reset_after": False}),
    ("LSTM", {}),
]


def _random_layer(kind, options, units, features, seed):
    layer = shapes.LAYER_KINDS[kind](units, return_sequences=True, return_state=True, **options)
    layer.build((None, None, features))
    rng = np.random.default_rng(seed)
    # Random weights everywhere, biases included, so that no term can hide behind a zero.
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    return layer


@settings(max_examples=25, deadline=None)
@given(
    case=st.sampled_from(LAYERS),
    batch=st.integers(1, 4),
    timesteps=st.integers(1, 6),
    features=st.integers(1, 5),
    units=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_numpy_recurrence_reproduces_keras(case, batch, timesteps, features, units, seed):
    kind, options = case
    layer = _random_layer(kind, options, units, features, seed)
    inputs = (
        np.random.default_rng(seed + 1).normal(size=(batch, timesteps, features)).astype("float32")
    )
    keras_result = shapes.run_named(layer, inputs)
    numpy_result = reference.reproduce(layer, inputs)
    assert set(numpy_result) == set(keras_result)
    for name in keras_result:
        np.testing.assert_allclose(numpy_result[name], keras_result[name], atol=1e-5, err_msg=name)


def test_reset_after_changes_the_result():
    """The two GRU variants really differ: the test above would catch a swapped formula."""
    inputs = np.random.default_rng(0).normal(size=(2, 4, 3))
    layer = _random_layer("GRU", {"reset_after": False}, 4, 3, seed=0)
    kernel, recurrent, bias = layer.get_weights()
    after = reference.gru(
        inputs, kernel, recurrent, np.stack([bias, np.zeros_like(bias)]), reset_after=True
    )
    before = reference.gru(inputs, kernel, recurrent, bias, reset_after=False)
    assert not np.allclose(after[1], before[1])


@settings(max_examples=30, deadline=None)
@given(
    case=st.sampled_from(LAYERS),
    features=st.integers(1, 9),
    units=st.integers(1, 9),
)
def test_parameter_count_matches_keras(case, features, units):
    kind, options = case
    layer = shapes.LAYER_KINDS[kind](units, **options)
    layer.build((None, None, features))
    expected = layer.count_params()
    assert reference.parameter_count(kind, units, features, **options) == expected


def test_the_gru_example_of_the_chapter():
    assert reference.parameter_count("GRU", 5, 4, reset_after=True) == 165
    assert reference.parameter_count("GRU", 5, 4, reset_after=False) == 150


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: reference.reproduce(keras.layers.Dense(3), np.zeros((1, 2, 3))), TypeError,
         "layer: expected a Keras SimpleRNN, GRU or LSTM, got Dense"),
        (lambda: reference.reproduce(keras.layers.LSTM(3), np.zeros((1, 2, 3))), ValueError,
         "layer: expected a built layer"),
        (lambda: reference.reproduce(_built(keras.layers.LSTM(3, activation="relu")), np.zeros((1, 2, 3))), ValueError,
         "layer: expected activation='tanh', recurrent_activation='sigmoid' and use_bias=True, got 'relu'"),
        (lambda: reference.lstm(np.zeros((1, 2)), np.zeros((3, 12)), np.zeros((3, 12)), np.zeros(12)), ValueError,
         r"inputs: expected a rank-3 tensor \(batch, time, features\), got shape \(1, 2\)"),
        (lambda: reference.lstm(np.zeros((1, 2, 4)), np.zeros((3, 12)), np.zeros((3, 12)), np.zeros(12)), ValueError,
         r"kernel: expected 4 rows, one per input feature of inputs \(1, 2, 4\), got shape \(3, 12\)"),
        (lambda: reference.lstm(np.zeros((1, 2, 3)), np.zeros((3, 12)), np.zeros((3, 3)), np.zeros(12)), ValueError,
         r"recurrent_kernel: expected shape \(3, 12\), got \(3, 3\)"),
        (lambda: reference.gru(np.zeros((1, 2, 3)), np.zeros((3, 9)), np.zeros((3, 9)), np.zeros(9)), ValueError,
         r"bias: expected shape \(2, 9\) with reset_after=True, got \(9,\)"),
        (lambda: reference.parameter_count("RNN", 3, 2), ValueError, "kind: expected one of"),
        (lambda: reference.parameter_count("GRU", 0, 2), ValueError, "units: expected a positive int, got 0"),
    ],
)  # fmt: skip
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _built(layer):
    layer.build((None, 2, 3))
    return layer
