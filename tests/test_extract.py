"""rnn_lib.extract against a brute-force per-row loop, on many random padded batches."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib import data, extract, shapes


def brute_force_last_valid(outputs, mask):
    """The obvious loop: walk each row and keep the last step whose mask is True."""
    result = np.zeros((outputs.shape[0], outputs.shape[2]), outputs.dtype)
    for row in range(outputs.shape[0]):
        for step in range(outputs.shape[1]):
            if mask[row, step]:
                result[row] = outputs[row, step]
    return result


@st.composite
def padded_outputs(draw):
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=5))
    timesteps = max(lengths) + draw(st.integers(0, 3))
    padding = draw(st.sampled_from(["post", "pre"]))
    units = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    batch = data.padded_batch(lengths, timesteps=timesteps, padding=padding, seed=seed)
    outputs = np.random.default_rng(seed).normal(size=(len(lengths), timesteps, units))
    return outputs.astype("float32"), batch


@settings(max_examples=200, deadline=None)
@given(padded_outputs())
def test_last_valid_step_matches_brute_force(case):
    outputs, batch = case
    expected = brute_force_last_valid(outputs, batch.mask)
    from_lengths = extract.last_valid_step(outputs, lengths=batch.lengths, padding=batch.padding)
    from_mask = extract.last_valid_step(outputs, mask=batch.mask)
    np.testing.assert_array_equal(from_lengths, expected)
    np.testing.assert_array_equal(from_mask, expected)


@settings(max_examples=100, deadline=None)
@given(padded_outputs())
def test_mask_and_lengths_convert_both_ways(case):
    outputs, batch = case
    mask = extract.lengths_to_mask(batch.lengths, outputs.shape[1], batch.padding)
    np.testing.assert_array_equal(mask, batch.mask)
    np.testing.assert_array_equal(extract.mask_to_lengths(batch.mask), batch.lengths)


def test_pre_padding_last_valid_is_the_last_step():
    outputs = np.arange(3 * 5 * 1, dtype="float32").reshape(3, 5, 1)
    last = extract.last_valid_step(outputs, lengths=[5, 3, 2], padding="pre")
    np.testing.assert_array_equal(last, outputs[:, -1])


def test_post_padding_picks_step_length_minus_one():
    outputs = np.arange(3 * 5 * 1, dtype="float32").reshape(3, 5, 1)  # value = 5 * row + step
    last = extract.last_valid_step(outputs, lengths=[5, 3, 2])
    assert last[:, 0].tolist() == [4.0, 5 + 2.0, 10 + 1.0]


def test_a_tensor_in_gives_a_tensor_out():
    import tensorflow as tf

    outputs = tf.random.normal((3, 5, 4))
    last = extract.last_valid_step(outputs, lengths=tf.constant([5, 3, 2]))
    assert isinstance(last, tf.Tensor) and tuple(last.shape) == (3, 4)
    np.testing.assert_array_equal(last.numpy()[1], outputs.numpy()[1, 2])


def test_gather_steps_works_in_a_traced_graph():
    import tensorflow as tf

    traced = tf.function(extract.gather_steps).get_concrete_function(
        tf.TensorSpec((None, None, 4)), tf.TensorSpec((None,), tf.int32)
    )
    assert traced.output_shapes.as_list() == [None, 4]


def test_a_large_tensor_is_not_copied_to_validate_it(monkeypatch):
    import tensorflow as tf

    outputs = tf.zeros((3, 5, 4))
    monkeypatch.setattr(type(outputs), "numpy", lambda self: pytest.fail("copied to NumPy"))
    last = extract.last_valid_step(outputs, lengths=[5, 3, 2])
    assert tuple(last.shape) == (3, 4)


def test_equals_the_state_of_a_masked_lstm():
    batch = data.padded_batch([5, 3, 2], seed=0)
    layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    sequence, h, _ = layer(batch.inputs, mask=batch.mask)
    last = extract.last_valid_step(keras.ops.convert_to_numpy(sequence), mask=batch.mask)
    np.testing.assert_allclose(last, keras.ops.convert_to_numpy(h), atol=1e-6)


# ----- bad input: every class the issue names -----

OUTPUTS = np.zeros((3, 5, 4), "float32")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"outputs": np.zeros((3, 5))}, ValueError,
         r"outputs: expected a rank-3 tensor \(batch, time, units\), got shape \(3, 5\)"),
        ({"lengths": [5, 3, 0]}, ValueError, r"lengths: expected every length in \[1, 5\], got \[0\]"),
        ({"lengths": [5, 6, 2]}, ValueError, r"lengths: expected every length in \[1, 5\], got \[6\]"),
        ({"lengths": [5.0, 3.0, 2.0]}, TypeError, "lengths: expected integers, got dtype float64"),
        ({"lengths": [5, 3]}, ValueError,
         r"lengths: expected 3 lengths, one per row of outputs \(3, 5, 4\), got 2"),
        ({"lengths": [5, 3, 2], "mask": np.ones((3, 5), bool)}, ValueError,
         "lengths, mask: expected exactly one of them, got both"),
        ({}, ValueError, "lengths, mask: expected exactly one of them, got neither"),
        ({"mask": np.ones((3, 4), bool)}, ValueError,
         r"mask: expected shape \(3, 5\) \(batch, time\) to match outputs, got \(3, 4\)"),
        ({"mask": np.ones((3, 5, 1), bool)}, ValueError,
         r"mask: expected a rank-2 tensor \(batch, time\), got shape \(3, 5, 1\)"),
        ({"mask": np.ones((3, 5), "float32")}, TypeError,
         "mask: expected dtype bool, got dtype float32"),
        ({"mask": np.array([[1, 1, 0, 0, 0], [0] * 5, [1] * 5], bool)}, ValueError,
         r"mask: expected a valid step in every row, rows \[1\] have none"),
        ({"lengths": [5, 3, 2], "padding": "middle"}, ValueError,
         "padding: expected 'post' or 'pre', got 'middle'"),
        ({"outputs": [[[1.0]]], "lengths": [1]}, TypeError,
         "outputs: expected a NumPy array or a tensor, got list"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, error, message):
    arguments = {"outputs": OUTPUTS, **kwargs}
    outputs = arguments.pop("outputs")
    with pytest.raises(error, match=message):
        extract.last_valid_step(outputs, **arguments)


def test_lengths_to_mask_bad_timesteps():
    with pytest.raises(TypeError, match="timesteps: expected a positive int, got str"):
        extract.lengths_to_mask([1, 2], "5")


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_go_backwards_takes_the_layers_final_state(kind, padding):
    """A go_backwards sequence is reversed in time; lengths and mask are in input order."""
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=4)
    layer = shapes.make_layer(kind, 4, return_sequences=True, return_state=True, go_backwards=True)
    sequence, h = layer(batch.inputs, mask=batch.mask)[:2]
    from_mask = extract.last_valid_step(sequence, mask=batch.mask, go_backwards=True)
    from_lengths = extract.last_valid_step(
        sequence, lengths=batch.lengths, padding=padding, go_backwards=True
    )
    np.testing.assert_allclose(from_mask, h, atol=1e-6)
    np.testing.assert_allclose(from_lengths, h, atol=1e-6)
    # Read in input order, the post-padded short rows give another step than h:
    forward_reading = extract.last_valid_step(sequence, mask=batch.mask)
    rows_equal = np.isclose(forward_reading, h, atol=1e-6).all(axis=-1)
    assert rows_equal.tolist() == ([True, False, False] if padding == "post" else [True] * 3)


def test_go_backwards_must_be_a_bool():
    with pytest.raises(TypeError, match="go_backwards: expected True or False, got str"):
        extract.last_valid_step(np.zeros((3, 5, 4)), lengths=[5, 3, 2], go_backwards="yes")


def test_a_post_padding_mask_equals_tensorflows_sequence_mask():
    import tensorflow as tf

    lengths = [5, 3, 2]
    expected = tf.sequence_mask(lengths, 5).numpy()
    np.testing.assert_array_equal(extract.lengths_to_mask(lengths, 5), expected)


def test_a_symbolic_tensor_is_refused_with_the_layer_to_use():
    with pytest.raises(
        TypeError, match=r"outputs: .* symbolic KerasTensor .* rnn_lib\.LastValidStep"
    ):
        extract.last_valid_step(keras.Input((5, 4)), lengths=[5, 3, 2])
