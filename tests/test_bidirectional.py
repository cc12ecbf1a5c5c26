"""Bidirectional support in rnn_lib.shapes and rnn_lib.extract, compared with Keras itself."""

from itertools import product

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib import data, extract, shapes
from tests.conftest import BATCH, TIME, UNITS

CASES = list(
    product(["SimpleRNN", "GRU", "LSTM"], shapes.MERGE_MODES, [False, True], [False, True])
)


def _expected_names(kind, mode, sequences, state):
    """The order Keras documents: outputs (two for merge_mode=None), then forward, backward states."""
    first = "sequence" if sequences else "output"
    names = [first] if mode is not None else [f"forward_{first}", f"backward_{first}"]
    if state:
        per_direction = ["h", "c"] if kind == "LSTM" else ["h"]
        names += [f"forward_{n}" for n in per_direction] + [f"backward_{n}" for n in per_direction]
    return tuple(names)


@pytest.mark.parametrize(("kind", "mode", "sequences", "state"), CASES)
def test_naming_matches_keras(inputs, kind, mode, sequences, state):
    layer = shapes.make_bidirectional(
        kind, UNITS, mode, return_sequences=sequences, return_state=state
    )
    named = shapes.run_named(layer, inputs)
    assert tuple(named) == _expected_names(kind, mode, sequences, state)

    direct = layer(inputs)
    direct = list(direct) if isinstance(direct, (list, tuple)) else [direct]
    assert len(direct) == len(named)
    for array, tensor in zip(named.values(), direct, strict=True):
        np.testing.assert_array_equal(array, keras.ops.convert_to_numpy(tensor))

    width = 2 * UNITS if mode == "concat" else UNITS
    output_shape = (BATCH, TIME, width) if sequences else (BATCH, width)
    for name, shape in named.shapes.items():
        is_output = name.endswith(("sequence", "output"))
        assert shape == (output_shape if is_output else (BATCH, UNITS)), name


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_state_names_are_the_directions_states(inputs, kind):
    """forward_h is what the forward layer alone returns as h; backward_h likewise."""
    layer = shapes.make_bidirectional(
        kind, UNITS, "concat", return_sequences=True, return_state=True
    )
    named = shapes.run_named(layer, inputs)
    forward = [keras.ops.convert_to_numpy(t) for t in layer.forward_layer(inputs)]
    backward = [keras.ops.convert_to_numpy(t) for t in layer.backward_layer(inputs)]
    np.testing.assert_allclose(named["forward_h"], forward[1], atol=1e-6)
    np.testing.assert_allclose(named["backward_h"], backward[1], atol=1e-6)
    if kind == "LSTM":
        np.testing.assert_allclose(named["forward_c"], forward[2], atol=1e-6)
        np.testing.assert_allclose(named["backward_c"], backward[2], atol=1e-6)


def test_describe_bidirectional():
    layer = shapes.make_bidirectional("GRU", 4, None, return_sequences=True)
    assert shapes.describe_layer(layer) == (
        "Bidirectional(GRU(4), merge_mode=None, return_sequences=True, return_state=False)"
    )


def test_bidirectional_grid(inputs):
    grid = shapes.bidirectional_grid(inputs, UNITS, kinds=["GRU"])
    assert len(grid.rows) == len(shapes.MERGE_MODES) * 2
    assert str(grid).splitlines()[0].split() == [
        "layer",
        "merge_mode",
        "return_sequences",
        "returns",
    ]


def test_bad_merge_mode():
    with pytest.raises(
        ValueError,
        match=r"merge_mode: expected one of \['concat', 'sum', 'ave', 'mul', None\], got 'max'",
    ):
        shapes.make_bidirectional("LSTM", 4, "max")


# ----- split_directions and bidirectional_final_steps -----


def test_split_concat_and_none_give_the_same_directions(inputs):
    concat = shapes.make_bidirectional("LSTM", UNITS, "concat", return_sequences=True)
    separate = shapes.make_bidirectional("LSTM", UNITS, None, return_sequences=True)
    concat_output = keras.ops.convert_to_numpy(concat(inputs))
    separate(inputs)  # build
    separate.set_weights(concat.get_weights())
    forward, backward = extract.split_directions(concat_output)
    none_forward, none_backward = extract.split_directions(
        [keras.ops.convert_to_numpy(t) for t in separate(inputs)], merge_mode=None
    )
    np.testing.assert_allclose(forward, none_forward, atol=1e-6)
    np.testing.assert_allclose(backward, none_backward, atol=1e-6)


def brute_force_final_steps(outputs, mask):
    """Walk each row: the forward half's last valid step, the backward half's first."""
    units = outputs.shape[-1] // 2
    forward = np.zeros((outputs.shape[0], units), outputs.dtype)
    backward = np.zeros_like(forward)
    for row in range(outputs.shape[0]):
        valid_steps = [step for step in range(outputs.shape[1]) if mask[row, step]]
        forward[row] = outputs[row, valid_steps[-1], :units]
        backward[row] = outputs[row, valid_steps[0], units:]
    return forward, backward


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 7), min_size=1, max_size=5),
    extra=st.integers(0, 2),
    padding=st.sampled_from(["post", "pre"]),
    units=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_final_steps_match_brute_force(lengths, extra, padding, units, seed):
    timesteps = max(lengths) + extra
    batch = data.padded_batch(lengths, timesteps=timesteps, padding=padding, seed=seed)
    outputs = np.random.default_rng(seed).normal(size=(len(lengths), timesteps, 2 * units))
    expected = brute_force_final_steps(outputs, batch.mask)
    for found in (
        extract.bidirectional_final_steps(outputs, mask=batch.mask),
        extract.bidirectional_final_steps(outputs, lengths=batch.lengths, padding=padding),
    ):
        np.testing.assert_array_equal(found[0], expected[0])
        np.testing.assert_array_equal(found[1], expected[1])


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_final_steps_are_the_states_of_a_masked_bidirectional_lstm(padding):
    batch = data.padded_batch([5, 3, 2], padding=padding, seed=3)
    layer = shapes.make_bidirectional(
        "LSTM", UNITS, "concat", return_sequences=True, return_state=True
    )
    named = shapes.run_named(layer, batch.inputs, mask=batch.mask)
    forward, backward = extract.bidirectional_final_steps(named["sequence"], mask=batch.mask)
    np.testing.assert_allclose(forward, named["forward_h"], atol=1e-6)
    np.testing.assert_allclose(backward, named["backward_h"], atol=1e-6)


def test_without_padding_forward_ends_last_and_backward_at_step_zero(inputs):
    layer = shapes.make_bidirectional("GRU", UNITS, None, return_sequences=True, return_state=True)
    named = shapes.run_named(layer, inputs)
    forward, backward = extract.bidirectional_final_steps(
        [named["forward_sequence"], named["backward_sequence"]], merge_mode=None
    )
    np.testing.assert_allclose(forward, named["forward_sequence"][:, -1])
    np.testing.assert_allclose(backward, named["backward_sequence"][:, 0])
    np.testing.assert_allclose(backward, named["backward_h"], atol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: extract.split_directions(np.zeros((3, 5, 7))), ValueError,
         r"outputs: expected an even last axis \(2 \* units\) for merge_mode='concat', got shape \(3, 5, 7\)"),
        (lambda: extract.split_directions(np.zeros((3, 5, 8)), merge_mode="ave"), ValueError,
         "merge_mode: 'ave' adds, averages or multiplies the two directions element by element, so they cannot be split back"),
        (lambda: extract.split_directions(np.zeros((3, 5, 8)), merge_mode="sum"), ValueError, "cannot be split back"),
        (lambda: extract.split_directions(np.zeros((3, 5, 8)), merge_mode="mul"), ValueError, "cannot be split back"),
        (lambda: extract.split_directions(np.zeros((3, 5, 8)), merge_mode="max"), ValueError,
         "merge_mode: expected 'concat' or None, got 'max'"),
        (lambda: extract.split_directions(np.zeros((3, 5, 8)), merge_mode=None), TypeError,
         r"outputs: expected the two tensors \[forward, backward\] of merge_mode=None, got ndarray"),
        (lambda: extract.split_directions([np.zeros((3, 4))] * 2), TypeError,
         "outputs: expected one tensor for merge_mode='concat', got a list of 2"),
        (lambda: extract.split_directions(np.zeros(8)), ValueError, r"got shape \(8,\)"),
        (lambda: extract.bidirectional_final_steps(np.zeros((3, 8))), ValueError,
         r"outputs: expected a rank-3 tensor \(batch, time, units\), got shape \(3, 4\)"),
        (lambda: extract.bidirectional_final_steps(np.zeros((3, 5, 8)), mask=np.ones((3, 4), bool)), ValueError,
         r"mask: expected shape \(3, 5\) \(batch, time\) to match outputs, got \(3, 4\)"),
        (lambda: extract.bidirectional_final_steps(np.zeros((3, 5, 8)), lengths=[5, 3]), ValueError,
         "lengths: expected 3 lengths, one per row of outputs, got 2"),
    ],
)  # fmt: skip
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
