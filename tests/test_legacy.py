"""rnn_lib.legacy: TF1 LSTMCell/GRUCell <-> Keras 3 LSTM/GRU weights, checked against the real
layers."""

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


# Runs in a fresh process with TF_USE_LEGACY_KERAS=1, where tf.compat.v1 has TF1's own cells
# and dynamic_rnn; it reads a list of runs on stdin (a padded batch and a cell class name each),
# sets each cell's weights to seeded random values (so that no two gate blocks start out
# equal, as TF1's initial biases do) and prints what TF1 computed, one JSON line per run.
# One process for every run: importing TensorFlow is most of the cost.
TF1_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, tensorflow as tf
tf.get_logger().setLevel("ERROR")

def run(given):
  inputs = np.asarray(given["inputs"], "float32")
  cell = getattr(tf.compat.v1.nn.rnn_cell, given["cell"])(given["units"], **given["options"])
  cell.build(tf.TensorShape([None, inputs.shape[-1]]))
  initial = [weight.numpy().tolist() for weight in cell.weights]
  rng = np.random.default_rng(given["seed"])
  for weight in cell.weights:
      weight.assign(rng.normal(scale=0.5, size=weight.shape).astype("float32"))
  outputs, state = tf.compat.v1.nn.dynamic_rnn(
      cell, inputs, sequence_length=given["lengths"], dtype=tf.float32)
  states = state._asdict() if hasattr(state, "_asdict") else {"h": state}
  print(json.dumps({
      "state_type": type(state).__name__,
      "names": [weight.name for weight in cell.weights],
      "initial_weights": initial,
      "weights": [weight.numpy().tolist() for weight in cell.weights],
      "outputs": outputs.numpy().tolist(),
      "state": {name: value.numpy().tolist() for name, value in states.items()},
  }))

for given in json.load(sys.stdin):
    run(given)
"""


def run_tf1(runs):
    """TF1's own cell classes (``"LSTMCell"``, ``"GRUCell"``) run by ``dynamic_rnn``, one process.

    ``runs``: ``(cell, batch, units, seed, options)`` each; returns one result per run.
    """
    given = [{"cell": cell, "units": units, "options": options, "seed": seed,
              "inputs": batch.inputs.tolist(), "lengths": batch.lengths.tolist()}
             for cell, batch, units, seed, options in runs]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", TF1_SCRIPT], input=json.dumps(given), capture_output=True,
        text=True, env={**os.environ, "TF_USE_LEGACY_KERAS": "1"}, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()[-len(runs) :]
    return [_tf1_result(json.loads(line)) for line in lines]


def _tf1_result(tf1):
    assert tf1["weights"] != tf1["initial_weights"]  # dynamic_rnn kept the seeded weights
    return {
        "state_type": tf1["state_type"],
        "names": tf1["names"],
        "initial_weights": [np.asarray(weight, "float32") for weight in tf1["initial_weights"]],
        "weights": [np.asarray(weight, "float32") for weight in tf1["weights"]],
        "outputs": np.asarray(tf1["outputs"]),
        "state": {name: np.asarray(value) for name, value in tf1["state"].items()},
    }


BATCH = data.padded_batch([5, 3, 2], features=2, seed=1)  # (3, 5, 2)
UNITS, FORGET_BIAS = 4, 0.7


@pytest.fixture(scope="module")
def tf1_runs():
    """TF1's LSTMCell and GRUCell on the same padded batch, in one TensorFlow process."""
    lstm, gru = run_tf1(
        [
            ("LSTMCell", BATCH, UNITS, 2, {"forget_bias": FORGET_BIAS}),
            ("GRUCell", BATCH, UNITS, 3, {}),
        ]
    )
    return {"LSTMCell": lstm, "GRUCell": gru}


@pytest.mark.slow
def test_real_tf1_dynamic_rnn_matches_keras_with_converted_weights(tf1_runs):
    """TF1's own LSTMCell + dynamic_rnn (tf-keras), then its weights converted into Keras 3."""
    batch, units, forget_bias = BATCH, UNITS, FORGET_BIAS
    tf1 = tf1_runs["LSTMCell"]
    assert tf1["state_type"] == "LSTMStateTuple"

    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer.build((None, 5, 2))
    layer.set_weights(legacy.tf1_lstm_to_keras(*tf1["weights"], forget_bias))
    sequence, h, c = [keras.ops.convert_to_numpy(t) for t in layer(batch.inputs, mask=batch.mask)]
    np.testing.assert_allclose(h, tf1["state"]["h"], atol=1e-5)
    np.testing.assert_allclose(c, tf1["state"]["c"], atol=1e-5)
    np.testing.assert_allclose(sequence[batch.mask], tf1["outputs"][batch.mask], atol=1e-5)
    assert np.all(tf1["outputs"][~batch.mask] == 0)  # TF1 zeroes steps past sequence_length


@pytest.mark.slow
def test_real_tf1_gru_cell_matches_keras_gru_reset_after_false(tf1_runs):
    """TF1's own GRUCell + dynamic_rnn, then its weights converted into GRU(reset_after=False)."""
    batch, units = BATCH, UNITS
    tf1 = tf1_runs["GRUCell"]
    assert tf1["state_type"] == "EagerTensor"  # the state is one tensor: h
    assert ["/".join(name.split("/")[-2:]) for name in tf1["names"]] == [
        "gates/kernel:0", "gates/bias:0", "candidate/kernel:0", "candidate/bias:0",
    ]  # fmt: skip
    initial_gate_bias, initial_candidate_bias = tf1["initial_weights"][1], tf1["initial_weights"][3]
    assert initial_gate_bias.tolist() == [1.0] * 2 * units  # stored, unlike LSTM's forget_bias
    assert initial_candidate_bias.tolist() == [0.0] * units

    layer = keras.layers.GRU(units, reset_after=False, return_sequences=True, return_state=True)
    layer.build((None, 5, 2))
    layer.set_weights(legacy.tf1_gru_to_keras(*tf1["weights"]))
    sequence, h = [keras.ops.convert_to_numpy(t) for t in layer(batch.inputs, mask=batch.mask)]
    np.testing.assert_allclose(h, tf1["state"]["h"], atol=1e-5)
    np.testing.assert_allclose(sequence[batch.mask], tf1["outputs"][batch.mask], atol=1e-5)
    assert np.all(tf1["outputs"][~batch.mask] == 0)


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


def random_tf1_gru_weights(features, units, seed):
    rng = np.random.default_rng(seed)
    shapes = [(features + units, 2 * units), (2 * units,), (features + units, units), (units,)]
    return [rng.normal(scale=0.5, size=shape).astype("float32") for shape in shapes]


@settings(max_examples=50, deadline=None)
@given(features=st.integers(1, 5), units=st.integers(1, 6), seed=st.integers(0, 1000))
def test_gru_round_trip(features, units, seed):
    tf1_weights = random_tf1_gru_weights(features, units, seed)
    keras_weights = legacy.tf1_gru_to_keras(*tf1_weights)
    assert [w.shape for w in keras_weights] == [
        (features, 3 * units),
        (units, 3 * units),
        (3 * units,),
    ]
    for back, original in zip(legacy.keras_gru_to_tf1(*keras_weights), tf1_weights, strict=True):
        np.testing.assert_array_equal(back, original)


def test_converted_gru_weights_need_reset_after_false():
    keras_weights = legacy.tf1_gru_to_keras(*random_tf1_gru_weights(2, 4, seed=0))
    layer = keras.layers.GRU(4, reset_after=False)
    layer.build((None, 5, 2))
    layer.set_weights(keras_weights)
    default = keras.layers.GRU(4)  # reset_after=True: bias (2, 3 * units), another recurrence
    default.build((None, 5, 2))
    with pytest.raises(ValueError, match=r"\(2, 12\) is not compatible"):
        default.set_weights(keras_weights)


def test_numpy_tf1_gru_cell_matches_keras_with_converted_weights():
    """A direct NumPy transcription of TF1's GRUCell.call, against Keras 3."""
    features, units = 2, 4
    gate_kernel, gate_bias, candidate_kernel, candidate_bias = random_tf1_gru_weights(
        features, units, seed=5
    )
    inputs = np.random.default_rng(1).normal(size=(3, 5, features)).astype("float32")

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    h = np.zeros((3, units))
    for step in range(5):
        x = inputs[:, step]
        gates = sigmoid(np.concatenate([x, h], axis=1) @ gate_kernel + gate_bias)
        r, u = np.split(gates, 2, axis=1)  # TF1's gate order
        candidate = np.tanh(np.concatenate([x, r * h], axis=1) @ candidate_kernel + candidate_bias)
        h = u * h + (1 - u) * candidate

    layer = keras.layers.GRU(units, reset_after=False)
    layer.build((None, 5, features))
    layer.set_weights(
        legacy.tf1_gru_to_keras(gate_kernel, gate_bias, candidate_kernel, candidate_bias)
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(inputs)), h, atol=1e-5)


def test_gru_gate_blocks_are_reordered():
    gate_kernel = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")  # features 1, units 1: r u
    candidate_kernel = np.array([[5.0], [6.0]], "float32")
    gate_bias = np.array([7.0, 8.0], "float32")
    candidate_bias = np.array([9.0], "float32")
    kernel, recurrent, bias = legacy.tf1_gru_to_keras(
        gate_kernel, gate_bias, candidate_kernel, candidate_bias
    )
    assert kernel.tolist() == [[2.0, 1.0, 5.0]]  # z (TF1's u), r, h (the candidate)
    assert recurrent.tolist() == [[4.0, 3.0, 6.0]]
    assert bias.tolist() == [8.0, 7.0, 9.0]


# Valid GRU weights (features 2, units 4) for the bad-input table: one argument is spoiled.
GRU_TF1 = random_tf1_gru_weights(2, 4, seed=0)
GRU_KERAS = legacy.tf1_gru_to_keras(*GRU_TF1)


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
        (lambda: legacy.tf1_gru_to_keras(*GRU_TF1[:3], np.zeros(0, "float32")),
         ValueError, r"candidate_bias: expected shape \(units,\) with units >= 1, got \(0,\)"),
        (lambda: legacy.tf1_gru_to_keras(GRU_TF1[0], np.zeros(6, "float32"), *GRU_TF1[2:]),
         ValueError, r"gate_bias: expected shape \(8,\) for candidate_bias \(4,\), got \(6,\)"),
        (lambda: legacy.tf1_gru_to_keras(*GRU_TF1[:2], np.zeros((4, 4), "float32"), GRU_TF1[3]),
         ValueError, r"candidate_kernel: expected shape \(features \+ 4, 4\) for candidate_bias \(4,\), got \(4, 4\)"),
        (lambda: legacy.tf1_gru_to_keras(*GRU_TF1[:2], np.zeros((6, 3), "float32"), GRU_TF1[3]),
         ValueError, r"candidate_kernel: expected shape \(features \+ 4, 4\)"),
        (lambda: legacy.tf1_gru_to_keras(np.zeros((6, 6), "float32"), *GRU_TF1[1:]),
         ValueError, r"gate_kernel: expected shape \(6, 8\) for candidate_kernel \(6, 4\), got \(6, 6\)"),
        (lambda: legacy.tf1_gru_to_keras(np.zeros((5, 8), "float32"), *GRU_TF1[1:]),
         ValueError, r"gate_kernel: expected shape \(6, 8\) for candidate_kernel \(6, 4\), got \(5, 8\)"),
        (lambda: legacy.tf1_gru_to_keras(GRU_TF1[0].astype("int32"), *GRU_TF1[1:]),
         TypeError, "gate_kernel: expected a float array, got dtype int32"),
        (lambda: legacy.tf1_gru_to_keras(GRU_TF1[0].tolist(), *GRU_TF1[1:]),
         TypeError, "gate_kernel: expected a NumPy array or a tensor, got list"),
        (lambda: legacy.tf1_gru_to_keras(*GRU_TF1[:3], np.zeros((1, 4), "float32")),
         ValueError, r"candidate_bias: expected a rank-1 tensor \(units,\), got shape \(1, 4\)"),
        (lambda: legacy.keras_gru_to_tf1(*GRU_KERAS[:2], np.zeros((2, 12), "float32")),
         ValueError, r"bias: expected a rank-1 tensor \(3 \* units,\) of a GRU\(reset_after=False\), got shape \(2, 12\)"),
        (lambda: legacy.keras_gru_to_tf1(*GRU_KERAS[:2], np.zeros(11, "float32")),
         ValueError, r"bias: expected shape \(3 \* units,\), got \(11,\): not a multiple of 3"),
        (lambda: legacy.keras_gru_to_tf1(GRU_KERAS[0], np.zeros((3, 12), "float32"), GRU_KERAS[2]),
         ValueError, r"recurrent_kernel: expected shape \(4, 12\) for bias \(12,\), got \(3, 12\)"),
        (lambda: legacy.keras_gru_to_tf1(np.zeros((2, 9), "float32"), *GRU_KERAS[1:]),
         ValueError, r"kernel: expected shape \(features, 12\) with features >= 1 for bias \(12,\), got \(2, 9\)"),
        (lambda: legacy.keras_gru_to_tf1(np.zeros((0, 12), "float32"), *GRU_KERAS[1:]),
         ValueError, r"kernel: expected shape \(features, 12\) with features >= 1"),
        (lambda: legacy.keras_gru_to_tf1(GRU_KERAS[0].astype("int8"), *GRU_KERAS[1:]),
         TypeError, "kernel: expected a float array, got dtype int8"),
    ],
)  # fmt: skip
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
