"""rnn_lib.legacy: TF1 LSTMCell <-> Keras 3 LSTM weights, checked against both real layers."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib import data, legacy
from tests.conftest import ROOT


def random_tf1_weights(features, units, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(scale=0.5, size=(features + units, 4 * units)).astype("float32")
    bias = rng.normal(scale=0.5, size=(4 * units,)).astype("float32")
    return kernel, bias


@settings(max_examples=50, deadline=None)
@given(
    features=st.integers(1, 5),
    units=st.integers(1, 6),
    forget_bias=st.floats(-2, 2, allow_nan=False),
    seed=st.integers(0, 1000),
)
def test_round_trip(features, units, forget_bias, seed):
    kernel, bias = random_tf1_weights(features, units, seed)
    keras_weights = legacy.tf1_lstm_to_keras(kernel, bias, forget_bias=forget_bias)
    assert [w.shape for w in keras_weights] == [
        (features, 4 * units),
        (units, 4 * units),
        (4 * units,),
    ]
    back_kernel, back_bias = legacy.keras_lstm_to_tf1(*keras_weights, forget_bias=forget_bias)
    np.testing.assert_array_equal(back_kernel, kernel)
    np.testing.assert_allclose(back_bias, bias, atol=1e-5)


def test_converted_weights_load_into_a_keras_lstm():
    kernel, bias = random_tf1_weights(2, 4, seed=0)
    layer = keras.layers.LSTM(4)
    layer.build((None, 5, 2))
    layer.set_weights(legacy.tf1_lstm_to_keras(kernel, bias))


def test_numpy_tf1_cell_matches_keras_with_converted_weights():
    """A direct NumPy transcription of TF1's LSTMCell.call, against Keras 3."""
    features, units, forget_bias = 2, 4, 1.0
    kernel, bias = random_tf1_weights(features, units, seed=5)
    inputs = np.random.default_rng(1).normal(size=(3, 5, features)).astype("float32")

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    c = np.zeros((3, units))
    h = np.zeros((3, units))
    for step in range(5):
        z = np.concatenate([inputs[:, step], h], axis=1) @ kernel + bias
        i, j, f, o = np.split(z, 4, axis=1)  # TF1's gate order
        c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
        h = sigmoid(o) * np.tanh(c)

    layer = keras.layers.LSTM(units, return_state=True)
    layer.build((None, 5, features))
    layer.set_weights(legacy.tf1_lstm_to_keras(kernel, bias, forget_bias))
    _, keras_h, keras_c = layer(inputs)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_h), h, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_c), c, atol=1e-5)


# Runs in a fresh process with TF_USE_LEGACY_KERAS=1, where tf.compat.v1 has TF1's own
# LSTMCell and dynamic_rnn; it reads a padded batch on stdin and prints what TF1 computed.
TF1_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, tensorflow as tf
tf.get_logger().setLevel("ERROR")
given = json.load(sys.stdin)
inputs = np.asarray(given["inputs"], "float32")
cell = tf.compat.v1.nn.rnn_cell.LSTMCell(given["units"], forget_bias=given["forget_bias"])
outputs, state = tf.compat.v1.nn.dynamic_rnn(
    cell, inputs, sequence_length=given["lengths"], dtype=tf.float32)
kernel, bias = [weight.numpy() for weight in cell.weights]
print(json.dumps({
    "state_type": type(state).__name__,
    "kernel": kernel.tolist(), "bias": bias.tolist(),
    "outputs": outputs.numpy().tolist(), "c": state.c.numpy().tolist(),
    "h": state.h.numpy().tolist(),
}))
"""


@pytest.mark.slow
def test_real_tf1_dynamic_rnn_matches_keras_with_converted_weights():
    """TF1's own LSTMCell + dynamic_rnn (tf-keras), then its weights converted into Keras 3."""
    batch = data.padded_batch([5, 3, 2], features=2, seed=1)  # (3, 5, 2)
    units, forget_bias = 4, 0.7
    given = {"inputs": batch.inputs.tolist(), "lengths": batch.lengths.tolist(),
             "units": units, "forget_bias": forget_bias}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", TF1_SCRIPT], input=json.dumps(given), capture_output=True,
        text=True, env={**os.environ, "TF_USE_LEGACY_KERAS": "1"}, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tf1 = {name: np.asarray(value) if isinstance(value, list) else value
           for name, value in json.loads(result.stdout.strip().splitlines()[-1]).items()}  # fmt: skip
    assert tf1["state_type"] == "LSTMStateTuple"

    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer.build((None, 5, 2))
    layer.set_weights(legacy.tf1_lstm_to_keras(tf1["kernel"], tf1["bias"], forget_bias))
    sequence, h, c = [keras.ops.convert_to_numpy(t) for t in layer(batch.inputs, mask=batch.mask)]
    np.testing.assert_allclose(h, tf1["h"], atol=1e-5)
    np.testing.assert_allclose(c, tf1["c"], atol=1e-5)
    np.testing.assert_allclose(sequence[batch.mask], tf1["outputs"][batch.mask], atol=1e-5)
    assert np.all(tf1["outputs"][~batch.mask] == 0)  # TF1 zeroes steps past sequence_length


def test_forget_bias_lands_in_the_keras_forget_gate():
    kernel = np.zeros((3, 8), "float32")  # features 1, units 2
    bias = np.zeros(8, "float32")
    _, _, keras_bias = legacy.tf1_lstm_to_keras(kernel, bias, forget_bias=1.0)
    assert keras_bias.tolist() == [0, 0, 1, 1, 0, 0, 0, 0]  # i, f, c, o blocks of 2


def test_gate_blocks_are_reordered():
    units = 1
    kernel = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], "float32")  # i j f o
    bias = np.zeros(4, "float32")
    keras_kernel, keras_recurrent, _ = legacy.tf1_lstm_to_keras(kernel, bias, forget_bias=0)
    assert keras_kernel.tolist() == [[1.0, 3.0, 2.0, 4.0]]  # i f c o
    assert keras_recurrent.tolist() == [[5.0, 7.0, 6.0, 8.0]]
    assert units == keras_recurrent.shape[0]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: legacy.tf1_lstm_to_keras(np.zeros((6, 16), "float32"), np.zeros(15, "float32")),
         ValueError, r"bias: expected shape \(4 \* units,\), got \(15,\)"),
        (lambda: legacy.tf1_lstm_to_keras(np.zeros((6, 12), "float32"), np.zeros(16, "float32")),
         ValueError, r"kernel: expected shape \(features \+ 4, 16\) for bias \(16,\), got \(6, 12\)"),
        (lambda: legacy.tf1_lstm_to_keras(np.zeros((4, 16), "float32"), np.zeros(16, "float32")),
         ValueError, r"kernel: expected shape \(features \+ 4, 16\)"),
        (lambda: legacy.tf1_lstm_to_keras(np.zeros((6, 16), "int32"), np.zeros(16, "float32")),
         TypeError, "kernel: expected a float array, got dtype int32"),
        (lambda: legacy.tf1_lstm_to_keras(np.zeros(16, "float32"), np.zeros(16, "float32")),
         ValueError, r"kernel: expected a rank-2 tensor \(features \+ units, 4 \* units\)"),
        (lambda: legacy.tf1_lstm_to_keras(np.zeros((6, 16), "float32"), np.zeros(16, "float32"),
                                          forget_bias="1"),
         TypeError, "forget_bias: expected a number, got str"),
        (lambda: legacy.keras_lstm_to_tf1(np.zeros((2, 16), "float32"), np.zeros((3, 16), "float32"),
                                          np.zeros(16, "float32")),
         ValueError, r"recurrent_kernel: expected shape \(4, 16\) for bias \(16,\), got \(3, 16\)"),
    ],
)  # fmt: skip
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
