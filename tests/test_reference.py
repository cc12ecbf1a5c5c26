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


# ----- lstm_internals, gru_internals: every step's gates -----

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4


def _inputs(seed):
    return np.random.default_rng(seed).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_internals_against_keras(go_backwards):
    from rnn_lib.cells import states_over_time

    layer = _random_layer("LSTM", {"go_backwards": go_backwards}, UNITS, FEATURES, seed=7)
    inputs = _inputs(7)
    internals = reference.lstm_internals(layer, inputs)
    assert list(internals) == ["input_gate", "forget_gate", "candidate", "output_gate", "c", "h"]
    assert {value.shape for value in internals.values()} == {(BATCH, TIME, UNITS)}
    sequence, _, c = (keras.ops.convert_to_numpy(value) for value in layer(inputs))
    np.testing.assert_allclose(internals["h"], sequence, atol=1e-5)
    np.testing.assert_allclose(internals["c"][:, -1], c, atol=1e-5)
    np.testing.assert_allclose(internals["c"], states_over_time(layer, inputs)["c"], atol=1e-5)


def test_lstm_internals_gates_and_the_recurrence():
    layer = _random_layer("LSTM", {}, UNITS, FEATURES, seed=8)
    steps = reference.lstm_internals(layer, _inputs(8))
    for gate in ("input_gate", "forget_gate", "output_gate"):
        assert np.all((steps[gate] > 0) & (steps[gate] < 1)), gate
    assert np.all(np.abs(steps["candidate"]) < 1)
    i, f, g, o, c = (steps[name] for name in ("input_gate", "forget_gate", "candidate",
                                              "output_gate", "c"))  # fmt: skip
    previous = np.concatenate([np.zeros((BATCH, 1, UNITS)), c[:, :-1]], axis=1)  # c_{t-1}, c_0 = 0
    np.testing.assert_allclose(c, f * previous + i * g, atol=1e-12)
    np.testing.assert_allclose(steps["h"], o * np.tanh(c), atol=1e-12)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_internals_against_keras(reset_after, go_backwards):
    options = {"reset_after": reset_after, "go_backwards": go_backwards}
    layer = _random_layer("GRU", options, UNITS, FEATURES, seed=9)
    inputs = _inputs(9)
    steps = reference.gru_internals(layer, inputs)
    assert list(steps) == ["update_gate", "reset_gate", "candidate", "h"]
    sequence, h = (keras.ops.convert_to_numpy(value) for value in layer(inputs))
    np.testing.assert_allclose(steps["h"], sequence, atol=1e-5)
    np.testing.assert_allclose(steps["h"][:, -1], h, atol=1e-5)
    for gate in ("update_gate", "reset_gate"):
        assert np.all((steps[gate] > 0) & (steps[gate] < 1)), gate
    z, n = steps["update_gate"], steps["candidate"]
    previous = np.concatenate([np.zeros((BATCH, 1, UNITS)), steps["h"][:, :-1]], axis=1)
    np.testing.assert_allclose(steps["h"], z * previous + (1 - z) * n, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: reference.lstm_internals(_built(keras.layers.GRU(3)), np.zeros((1, 2, 3))), TypeError,
         "^layer: expected a Keras LSTM, got GRU$"),
        (lambda: reference.gru_internals(_built(keras.layers.LSTM(3)), np.zeros((1, 2, 3))), TypeError,
         "^layer: expected a Keras GRU, got LSTM$"),
        (lambda: reference.lstm_internals(keras.layers.LSTM(3, name="new"), np.zeros((1, 2, 3))), ValueError,
         r"^layer: expected a built layer \(call it once first\), got new unbuilt$"),
        (lambda: reference.gru_internals(_built(keras.layers.GRU(3, recurrent_activation="hard_sigmoid")), np.zeros((1, 2, 3))), ValueError,
         "^layer: expected activation='tanh', recurrent_activation='sigmoid' and use_bias=True, got 'tanh', 'hard_sigmoid', True$"),
        (lambda: reference.lstm_internals(_built(keras.layers.LSTM(3, use_bias=False)), np.zeros((1, 2, 3))), ValueError,
         "^layer: expected activation='tanh', recurrent_activation='sigmoid' and use_bias=True, got 'tanh', 'sigmoid', False$"),
        (lambda: reference.lstm_internals(_built(keras.layers.LSTM(3)), np.zeros((1, 2, 4))), ValueError,
         r"^inputs: expected 3 features on the last axis \(the layer's input size\), got shape \(1, 2, 4\)$"),
        (lambda: reference.lstm_internals(_built(keras.layers.LSTM(3)), np.zeros((2, 3))), ValueError,
         r"^inputs: expected a rank-3 tensor \(batch, time, features\), got shape \(2, 3\)$"),
        (lambda: reference.gru_internals(_built(keras.layers.GRU(3)), np.zeros((1, 0, 3))), ValueError,
         r"^inputs: expected at least one entry on every axis \(batch, time, features\), got shape \(1, 0, 3\)$"),
    ],
)  # fmt: skip
def test_internals_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_reproduce_reads_a_go_backwards_layer_last_to_first(kind, inputs):
    layer = shapes.make_layer(kind, 4, return_sequences=True, return_state=True, go_backwards=True)
    layer.build(inputs.shape)
    expected = shapes.run_named(layer, inputs)
    got = reference.reproduce(layer, inputs)
    for name, value in got.items():
        np.testing.assert_allclose(value, expected[name], atol=1e-5)
