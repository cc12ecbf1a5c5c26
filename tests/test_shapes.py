"""rnn_lib.shapes compared with Keras itself, for every layer x return_sequences x return_state."""

import re
from itertools import product

import keras
import numpy as np
import pytest

from rnn_lib import shapes
from tests.conftest import BATCH, FEATURES, TIME, UNITS

GRID = list(product(["SimpleRNN", "GRU", "LSTM"], [False, True], [False, True]))


@pytest.mark.parametrize(("kind", "sequences", "state"), GRID)
def test_run_named_returns_what_keras_returns(inputs, kind, sequences, state):
    layer = shapes.make_layer(kind, UNITS, return_sequences=sequences, return_state=state)
    named = shapes.run_named(layer, inputs)

    direct = layer(inputs)  # the same layer, called by Keras directly
    direct = list(direct) if isinstance(direct, (list, tuple)) else [direct]
    assert len(named) == len(direct)
    for array, tensor in zip(named.values(), direct, strict=True):
        np.testing.assert_allclose(array, keras.ops.convert_to_numpy(tensor), rtol=0, atol=0)


@pytest.mark.parametrize(("kind", "sequences", "state"), GRID)
def test_names_and_shapes_follow_the_documented_contract(inputs, kind, sequences, state):
    # Keras documents: output (batch, time, units) with return_sequences, else (batch, units);
    # with return_state, the final states follow: one for SimpleRNN/GRU, [h, c] for LSTM.
    layer = shapes.make_layer(kind, UNITS, return_sequences=sequences, return_state=state)
    named = shapes.run_named(layer, inputs)

    first = ("sequence", (BATCH, TIME, UNITS)) if sequences else ("output", (BATCH, UNITS))
    expected = dict([first])
    if state:
        expected["h"] = (BATCH, UNITS)
        if kind == "LSTM":
            expected["c"] = (BATCH, UNITS)
    assert named.shapes == expected
    assert named.container == ("tensor" if not state else "tuple")


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_the_tensor_named_h_is_the_hidden_state(inputs, kind):
    """Semantics, not just shapes: h equals the last output step; an LSTM's c does not."""
    layer = shapes.make_layer(kind, UNITS, return_sequences=True, return_state=True)
    named = shapes.run_named(layer, inputs)
    assert np.allclose(named["sequence"][:, -1], named["h"])
    if kind == "LSTM":
        assert not np.allclose(named["sequence"][:, -1], named["c"])
        assert np.all(np.abs(named["h"]) <= np.tanh(np.abs(named["c"])) + 1e-6)


def test_output_names_of_a_generic_rnn_come_from_its_cell():
    layer = keras.layers.RNN(keras.layers.LSTMCell(UNITS), return_state=True)
    assert shapes.output_names(layer) == ("output", "h", "c")


def test_output_names_of_a_custom_cell_with_two_states():
    class TwoStateCell(keras.layers.Layer):
        state_size = (UNITS, UNITS)
        output_size = UNITS

        def call(self, inputs, states):
            return states[0], states

    layer = keras.layers.RNN(TwoStateCell(), return_sequences=True, return_state=True)
    assert shapes.output_names(layer) == ("sequence", "state_0", "state_1")


def test_named_outputs_table_and_mapping(inputs):
    layer = shapes.make_layer("LSTM", UNITS, return_sequences=True, return_state=True)
    named = shapes.run_named(layer, inputs)
    assert list(named) == ["sequence", "h", "c"]
    assert str(named).splitlines() == [
        "LSTM(4, return_sequences=True, return_state=True)",
        "returns a tuple of 3:",
        "  sequence  (3, 5, 4)",
        "  h         (3, 4)",
        "  c         (3, 4)",
    ]
    assert named.summary() == "tuple of 3: sequence (3, 5, 4), h (3, 4), c (3, 4)"
    with pytest.raises(KeyError, match="'c0'"):
        named["c0"]


def test_single_tensor_summary(inputs):
    named = shapes.run_named(shapes.make_layer("GRU", UNITS), inputs)
    assert named.summary() == "tensor: output (3, 4)"
    assert str(named).splitlines()[1] == "returns one tensor:"


def test_output_grid_has_one_row_per_combination(inputs):
    grid = shapes.output_grid(inputs, UNITS)
    assert [labels for labels, _ in grid.rows] == [(k, str(s), str(r)) for k, s, r in GRID]
    lines = str(grid).splitlines()
    assert lines[0].split() == ["layer", "return_sequences", "return_state", "returns"]
    # each row starts a line with its labels, and wrapped lines hold every named shape
    rows = [line for line in lines[1:] if not line.startswith(" ")]
    assert len(rows) == len(GRID)
    assert " ".join(lines).count("(3, ") == sum(len(named) for _, named in grid.rows)


def test_printed_tables_fit_the_page(inputs):
    tables = [shapes.output_grid(inputs, UNITS), shapes.bidirectional_grid(inputs, UNITS)]
    for kind, mode in product(["GRU", "LSTM"], shapes.MERGE_MODES):
        layer = shapes.make_bidirectional(
            kind, UNITS, mode, return_sequences=True, return_state=True
        )
        tables.append(shapes.run_named(layer, inputs))
    for table in tables:
        for line in str(table).splitlines():
            assert len(line) <= shapes.LINE_WIDTH, line


def test_run_named_accepts_a_tensor_and_passes_call_arguments(inputs):
    import tensorflow as tf

    layer = shapes.make_layer("GRU", UNITS, return_sequences=True)
    mask = np.ones((BATCH, TIME), dtype=bool)
    named = shapes.run_named(layer, tf.constant(inputs), mask=mask)
    assert named.shapes == {"sequence": (BATCH, TIME, UNITS)}


# ----- bad input: the message names the argument, what came in and what was expected -----


@pytest.mark.parametrize("layer", [keras.layers.Dense(4), "LSTM", None])
def test_non_recurrent_layer_is_a_type_error(inputs, layer):
    with pytest.raises(TypeError, match=r"^layer: expected a Keras recurrent layer .* got "):
        shapes.run_named(layer, inputs)
    with pytest.raises(TypeError, match=r"^layer: expected a Keras recurrent layer"):
        shapes.output_names(layer)


@pytest.mark.parametrize("shape", [(BATCH, FEATURES), (BATCH,), (1, BATCH, TIME, FEATURES)])
def test_wrong_rank_is_a_value_error(shape):
    layer = shapes.make_layer("LSTM", UNITS)
    message = f"inputs: expected a rank-3 tensor (batch, time, features), got shape {shape}"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        shapes.run_named(layer, np.zeros(shape, "float32"))


def test_wrong_rank_message_is_exact():
    layer = shapes.make_layer("LSTM", UNITS)
    with pytest.raises(ValueError) as error:
        shapes.run_named(layer, np.zeros((3, 4), "float32"))
    assert str(error.value) == (
        "inputs: expected a rank-3 tensor (batch, time, features), got shape (3, 4)"
    )


@pytest.mark.parametrize(
    ("value", "received"), [([[[1.0]]], "list"), ("abc", "str"), (None, "NoneType")]
)
def test_non_array_inputs_are_a_type_error(value, received):
    layer = shapes.make_layer("LSTM", UNITS)
    with pytest.raises(
        TypeError, match=rf"^inputs: expected a NumPy array or a tensor, got {received}$"
    ):
        shapes.run_named(layer, value)


def test_non_numeric_inputs_are_a_type_error():
    layer = shapes.make_layer("LSTM", UNITS)
    with pytest.raises(TypeError, match=r"^inputs: expected a numeric tensor, got dtype <U1"):
        shapes.run_named(layer, np.full((3, 5, 2), "a"))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            ("Transformer", 4),
            {},
            ValueError,
            r"kind: expected one of \['SimpleRNN', 'GRU', 'LSTM'\], got 'Transformer'",
        ),
        ((keras.layers.LSTM, 4), {}, TypeError, r"kind: expected one of .*, got type"),
        (("LSTM", 0), {}, ValueError, "units: expected a positive int, got 0"),
        (("LSTM", 4.0), {}, TypeError, "units: expected a positive int, got float"),
        (("LSTM", True), {}, TypeError, "units: expected a positive int, got bool"),
        (
            ("LSTM", 4),
            {"return_sequences": "yes"},
            TypeError,
            "return_sequences: expected True or False, got str",
        ),
        (
            ("LSTM", 4),
            {"return_state": 1},
            TypeError,
            "return_state: expected True or False, got int",
        ),
    ],
)
def test_make_layer_rejects_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        shapes.make_layer(*args, **kwargs)


@pytest.mark.parametrize("kinds", ["LSTM", [], None])
def test_output_grid_rejects_bad_kinds(inputs, kinds):
    with pytest.raises(TypeError, match="kinds: expected a non-empty list of layer names"):
        shapes.output_grid(inputs, UNITS, kinds=kinds)


def test_describe_layer():
    layer = shapes.make_layer("SimpleRNN", 6, return_state=True)
    assert shapes.describe_layer(layer) == (
        "SimpleRNN(6, return_sequences=False, return_state=True)"
    )
