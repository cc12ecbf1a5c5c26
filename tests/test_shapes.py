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
            r"kind: expected one of \['SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM1D', 'ConvLSTM2D', "
            r"'ConvLSTM3D'\], got 'Transformer'",
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


# ----- ConvLSTM1D/2D/3D: (batch, time, *spatial, channels) in, filters channels out -----

CONV_KINDS = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
# Spatial sizes by axis, distinct from BATCH, TIME, FEATURES and UNITS, and after a "valid"
# kernel of 3 too (6, 7, 10), so that a swapped or unshrunk axis cannot pass.
SIZES = {"rows": 8, "cols": 9, "depth": 12}
SPATIAL = {"ConvLSTM1D": ("rows",), "ConvLSTM2D": ("rows", "cols"),
           "ConvLSTM3D": ("depth", "rows", "cols")}  # fmt: skip
KERNEL = 3


def conv_inputs(kind):
    """A seeded (batch, time, *spatial, channels) float32 batch for a ConvLSTM kind."""
    shape = (BATCH, TIME, *(SIZES[axis] for axis in SPATIAL[kind]), FEATURES)
    return np.random.default_rng(1).normal(size=shape).astype("float32")


def expected_spatial(kind, padding, kernel_size=KERNEL):
    """The rule: "same" keeps each spatial size, "valid" shrinks it by kernel_size - 1."""
    axes = SPATIAL[kind]
    kernels = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * len(axes)
    return tuple(
        SIZES[axis] - (kernel - 1 if padding == "valid" else 0)
        for axis, kernel in zip(axes, kernels, strict=True)
    )


CONV_GRID = list(product(CONV_KINDS, ["same", "valid"], [False, True], [False, True]))


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "padding", "sequences", "state"), CONV_GRID)
def test_conv_lstm_returns_what_keras_returns_in_the_documented_shapes(
    kind, padding, sequences, state
):
    layer = shapes.make_layer(
        kind, UNITS, return_sequences=sequences, return_state=state, padding=padding
    )
    inputs = conv_inputs(kind)
    named = shapes.run_named(layer, inputs)

    direct = layer(inputs)  # the same layer, called by Keras directly
    direct = list(direct) if isinstance(direct, (list, tuple)) else [direct]
    assert len(named) == len(direct)
    for array, tensor in zip(named.values(), direct, strict=True):
        np.testing.assert_array_equal(array, keras.ops.convert_to_numpy(tensor))

    final = (BATCH, *expected_spatial(kind, padding), UNITS)
    expected = {"sequence": (BATCH, TIME, *final[1:])} if sequences else {"output": final}
    if state:
        expected |= {"h": final, "c": final}
    assert named.shapes == expected
    assert named.container == ("tuple" if state else "tensor")


def test_conv_lstm_kernel_size_per_axis_shrinks_each_axis_by_its_own_kernel():
    layer = shapes.make_layer("ConvLSTM2D", UNITS, kernel_size=(3, 2), padding="valid")
    named = shapes.run_named(layer, conv_inputs("ConvLSTM2D"))
    assert named.shapes == {
        "output": (BATCH, *expected_spatial("ConvLSTM2D", "valid", (3, 2)), UNITS)
    }
    assert named.shapes["output"] == (BATCH, 6, 8, UNITS)


def test_conv_lstm_h_is_the_last_step_and_c_the_cell_state():
    layer = shapes.make_layer("ConvLSTM1D", UNITS, return_sequences=True, return_state=True)
    named = shapes.run_named(layer, conv_inputs("ConvLSTM1D"))
    assert np.allclose(named["sequence"][:, -1], named["h"])
    assert not np.allclose(named["sequence"][:, -1], named["c"])
    assert np.all(np.abs(named["h"]) <= np.tanh(np.abs(named["c"])) + 1e-6)


@pytest.mark.parametrize("kind", CONV_KINDS)
@pytest.mark.parametrize(
    ("sequences", "state", "names"),
    [
        (False, False, ("output",)),
        (False, True, ("output", "h", "c")),
        (True, False, ("sequence",)),
        (True, True, ("sequence", "h", "c")),
    ],
)
def test_output_names_of_conv_lstm(kind, sequences, state, names):
    # Keras 3 gives the ConvLSTM cell state_size -1, so the names cannot come from it
    layer = shapes.make_layer(kind, UNITS, return_sequences=sequences, return_state=state)
    assert layer.cell.state_size == -1
    assert shapes.output_names(layer) == names


def test_output_names_of_a_bidirectional_conv_lstm():
    layer = shapes.make_bidirectional("ConvLSTM3D", UNITS, None, return_state=True)
    assert shapes.output_names(layer) == (
        "forward_output",
        "backward_output",
        "forward_h",
        "forward_c",
        "backward_h",
        "backward_c",
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", shapes.MERGE_MODES)
def test_bidirectional_conv_lstm_every_merge_mode(mode):
    layer = shapes.make_bidirectional("ConvLSTM1D", UNITS, mode, return_sequences=True,
                                      return_state=True, padding="valid")  # fmt: skip
    inputs = conv_inputs("ConvLSTM1D")
    named = shapes.run_named(layer, inputs)
    direct = layer(inputs)
    for array, tensor in zip(named.values(), direct, strict=True):
        np.testing.assert_array_equal(array, keras.ops.convert_to_numpy(tensor))

    spatial = expected_spatial("ConvLSTM1D", "valid")
    channels = 2 * UNITS if mode == "concat" else UNITS  # concat: on the channel axis
    outputs = ["sequence"] if mode is not None else ["forward_sequence", "backward_sequence"]
    expected = dict.fromkeys(outputs, (BATCH, TIME, *spatial, channels))
    for name in ("forward_h", "forward_c", "backward_h", "backward_c"):
        expected[name] = (BATCH, *spatial, UNITS)
    assert named.shapes == expected


def test_conv_lstm_defaults_same_padding_and_kernel_3_where_keras_defaults_valid():
    layer = shapes.make_layer("ConvLSTM3D", UNITS)
    assert (layer.filters, layer.kernel_size, layer.padding) == (UNITS, (3, 3, 3), "same")
    assert keras.layers.ConvLSTM3D(UNITS, 3).padding == "valid"
    built = shapes.make_layer("ConvLSTM1D", UNITS, kernel_size=[2], padding="valid", strides=2)
    assert (built.kernel_size, built.padding, built.strides) == ((2,), "valid", (2,))


def test_describe_conv_lstm_and_its_printed_table_wraps_between_arguments():
    layer = shapes.make_layer("ConvLSTM2D", UNITS, return_sequences=True, return_state=True)
    assert shapes.describe_layer(layer) == (
        "ConvLSTM2D(4, kernel_size=(3, 3), padding='same', return_sequences=True, "
        "return_state=True)"
    )
    bidirectional = shapes.make_bidirectional("ConvLSTM1D", UNITS, "sum", padding="valid")
    assert shapes.describe_layer(bidirectional) == (
        "Bidirectional(ConvLSTM1D(4, kernel_size=(3,), padding='valid'), merge_mode='sum', "
        "return_sequences=False, return_state=False)"
    )
    table = str(shapes.run_named(layer, conv_inputs("ConvLSTM2D"))).splitlines()
    assert table == [
        "ConvLSTM2D(4, kernel_size=(3, 3), padding='same', return_sequences=True,",
        "           return_state=True)",
        "returns a tuple of 3:",
        "  sequence  (3, 5, 8, 9, 4)",
        "  h         (3, 8, 9, 4)",
        "  c         (3, 8, 9, 4)",
    ]
    assert all(len(line) <= shapes.LINE_WIDTH for line in table)


def test_output_grid_runs_conv_lstm_kinds_on_their_inputs():
    grid = shapes.output_grid(conv_inputs("ConvLSTM1D"), UNITS, kinds=["ConvLSTM1D"])
    assert [labels for labels, _ in grid.rows] == [
        ("ConvLSTM1D", str(s), str(r)) for s, r in product([False, True], [False, True])
    ]
    assert grid.rows[-1][1].shapes["c"] == (BATCH, SIZES["rows"], UNITS)
    with pytest.raises(
        ValueError, match=r"^inputs: expected a rank-3 tensor \(batch, time, features\)"
    ):
        shapes.output_grid(conv_inputs("ConvLSTM1D"), UNITS, kinds=["ConvLSTM1D", "GRU"])


@pytest.mark.parametrize(
    ("kind", "axes"),
    [
        ("LSTM", ("batch", "time", "features")),
        ("ConvLSTM1D", ("batch", "time", "rows", "channels")),
        ("ConvLSTM2D", ("batch", "time", "rows", "cols", "channels")),
        ("ConvLSTM3D", ("batch", "time", "depth", "rows", "cols", "channels")),
    ],
)
def test_input_axes(kind, axes):
    assert shapes.input_axes(kind) == axes


def test_input_axes_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match=r"^kind: expected one of .*, got 'ConvLSTM4D'$"):
        shapes.input_axes("ConvLSTM4D")


# ----- ConvLSTM bad input -----


@pytest.mark.parametrize(
    ("kind", "shape", "message"),
    [
        ("ConvLSTM2D", (BATCH, TIME, FEATURES),
         "inputs: expected a rank-5 tensor (batch, time, rows, cols, channels), got shape (3, 5, 2)"),
        ("ConvLSTM1D", (BATCH, TIME, 8, 9, FEATURES),
         "inputs: expected a rank-4 tensor (batch, time, rows, channels), got shape (3, 5, 8, 9, 2)"),
        ("ConvLSTM3D", (BATCH, TIME, 8, 9, FEATURES),
         "inputs: expected a rank-6 tensor (batch, time, depth, rows, cols, channels), got shape (3, 5, 8, 9, 2)"),
        ("ConvLSTM2D", (BATCH, TIME, 8, 0, FEATURES),
         "inputs: expected at least one entry on every axis (batch, time, rows, cols, channels), got shape (3, 5, 8, 0, 2)"),
    ],
)  # fmt: skip
def test_conv_lstm_wrong_input_shape_is_a_value_error(kind, shape, message):
    layer = shapes.make_layer(kind, UNITS)
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        shapes.run_named(layer, np.zeros(shape, "float32"))


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (shapes.make_layer("ConvLSTM2D", UNITS, padding="valid"), (BATCH, TIME, 8, 2, FEATURES),
         "inputs: expected rows >= 3 and cols >= 3 for kernel_size (3, 3) with padding='valid', got shape (3, 5, 8, 2, 2)"),
        (shapes.make_layer("ConvLSTM1D", UNITS, padding="valid", dilation_rate=3), (BATCH, TIME, 6, FEATURES),
         "inputs: expected rows >= 7 for kernel_size (3,), dilation_rate (3,) with padding='valid', got shape (3, 5, 6, 2)"),
        (shapes.make_bidirectional("ConvLSTM3D", UNITS, padding="valid", kernel_size=(1, 2, 4)), (BATCH, TIME, 8, 9, 3, FEATURES),
         "inputs: expected depth >= 1 and rows >= 2 and cols >= 4 for kernel_size (1, 2, 4) with padding='valid', got shape (3, 5, 8, 9, 3, 2)"),
    ],
)  # fmt: skip
def test_a_kernel_that_does_not_fit_with_valid_padding_is_a_value_error(layer, shape, message):
    # Keras itself fails deep inside the call ("Computed output size would be zero or negative")
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        shapes.run_named(layer, np.zeros(shape, "float32"))


def test_a_kernel_that_just_fits_with_valid_padding_runs():
    layer = shapes.make_layer("ConvLSTM1D", UNITS, padding="valid", dilation_rate=3)
    named = shapes.run_named(layer, np.zeros((BATCH, TIME, 7, FEATURES), "float32"))
    assert named.shapes == {"output": (BATCH, 1, UNITS)}


@pytest.mark.parametrize(
    ("kind", "kwargs", "error", "message"),
    [
        ("LSTM", {"kernel_size": 3}, ValueError,
         "kernel_size: expected None for kind 'LSTM' (only ConvLSTM1D, ConvLSTM2D and ConvLSTM3D take one), got 3"),
        ("GRU", {"padding": "same"}, ValueError,
         "padding: expected None for kind 'GRU' (only ConvLSTM1D, ConvLSTM2D and ConvLSTM3D take one), got 'same'"),
        ("ConvLSTM2D", {"kernel_size": 0}, ValueError,
         "kernel_size: expected a positive int or a tuple of 2 positive ints for ConvLSTM2D, got 0"),
        ("ConvLSTM2D", {"kernel_size": (3, 3, 3)}, ValueError,
         "kernel_size: expected a positive int or a tuple of 2 positive ints for ConvLSTM2D, got (3, 3, 3)"),
        ("ConvLSTM3D", {"kernel_size": (3, 0, 3)}, ValueError,
         "kernel_size: expected a positive int or a tuple of 3 positive ints for ConvLSTM3D, got (3, 0, 3)"),
        ("ConvLSTM1D", {"kernel_size": "3"}, TypeError,
         "kernel_size: expected a positive int or a tuple of 1 positive ints for ConvLSTM1D, got str"),
        ("ConvLSTM1D", {"kernel_size": True}, TypeError,
         "kernel_size: expected a positive int or a tuple of 1 positive ints for ConvLSTM1D, got bool"),
        ("ConvLSTM2D", {"kernel_size": (3, 2.0)}, TypeError,
         "kernel_size: expected a positive int or a tuple of 2 positive ints for ConvLSTM2D, got (3, 2.0)"),
        ("ConvLSTM2D", {"padding": "causal"}, ValueError,
         "padding: expected 'same' or 'valid', got 'causal'"),
        ("ConvLSTM2D", {"padding": None, "kernel_size": 3, "return_state": "no"}, TypeError,
         "return_state: expected True or False, got str"),
        ("ConvLSTM2D", {"padding": 1}, TypeError, "padding: expected 'same' or 'valid', got int"),
    ],
)  # fmt: skip
def test_make_layer_rejects_bad_conv_lstm_arguments(kind, kwargs, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        shapes.make_layer(kind, UNITS, **kwargs)


def test_make_layer_checks_filters_of_a_conv_lstm():
    with pytest.raises(ValueError, match=r"^units: expected a positive int, got 0$"):
        shapes.make_layer("ConvLSTM2D", 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 2}, "rows: expected at least kernel_size 3 (for padding='valid'), got 2"),
        ({"depth": 4, "kernel_size": 5}, "depth: expected at least kernel_size 5 (for padding='valid'), got 4"),
        ({"cols": 0}, "cols: expected a positive int, got 0"),
        ({"kernel_size": 0}, "kernel_size: expected a positive int, got 0"),
    ],
)  # fmt: skip
def test_reference_markdown_rejects_spatial_sizes_the_kernel_cannot_fit(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        shapes.reference_markdown(**kwargs)


# ----- symbolic_named: the same answer as a real call, for any size -----

SYMBOLIC_CASES = [
    *[(kind, sequences, state, None) for kind, sequences, state in GRID],
    ("GRU", True, True, "none"),
    ("LSTM", False, True, "concat"),
    ("SimpleRNN", True, False, "sum"),
]


@pytest.mark.parametrize(("kind", "sequences", "state", "merge"), SYMBOLIC_CASES)
def test_symbolic_named_answers_what_a_real_call_returns(inputs, kind, sequences, state, merge):
    options = {"return_sequences": sequences, "return_state": state}

    def layer():
        if merge is None:
            return shapes.make_layer(kind, UNITS, **options)
        mode = None if merge == "none" else merge
        return shapes.make_bidirectional(kind, UNITS, mode, **options)

    real = shapes.run_named(layer(), inputs)
    traced = shapes.symbolic_named(layer(), inputs.shape)
    assert (traced.names, traced.container, traced.shapes) == (
        real.names,
        real.container,
        real.shapes,
    )
    assert str(traced) == str(real)


def test_symbolic_named_for_a_conv_lstm_with_valid_padding():
    inputs = np.zeros((BATCH, TIME, 6, 7, FEATURES), "float32")
    layer = shapes.make_layer("ConvLSTM2D", UNITS, padding="valid", return_state=True)
    real = shapes.run_named(layer, inputs)
    traced = shapes.symbolic_named(
        shapes.make_layer("ConvLSTM2D", UNITS, padding="valid", return_state=True), inputs.shape
    )
    assert traced.shapes == real.shapes == {name: (BATCH, 4, 5, UNITS) for name in real.names}


@pytest.mark.parametrize(
    ("input_shape", "error", "message"),
    [
        ("3 5 2", TypeError, "input_shape: expected 3 ints >= 1 (batch, time, features), got '3 5 2'"),
        ((3, 5.0, 2), TypeError, "input_shape: expected 3 ints >= 1 (batch, time, features), got (3, 5.0, 2)"),
        ((3, 5), ValueError, "input_shape: expected 3 ints >= 1 (batch, time, features), got (3, 5)"),
        ((3, 0, 2), ValueError, "input_shape: expected 3 ints >= 1 (batch, time, features), got (3, 0, 2)"),
    ],
)  # fmt: skip
def test_symbolic_named_rejects_a_bad_input_shape(input_shape, error, message):
    with pytest.raises(error, match=re.escape(message)):
        shapes.symbolic_named(shapes.make_layer("GRU", UNITS), input_shape)


@pytest.mark.parametrize("wrap", [False, True])
def test_a_list_of_cells_with_return_state_is_refused_not_flattened(inputs, wrap):
    """Keras returns (output, [h], [h, c]) for RNN([GRUCell, LSTMCell]): naming each list as
    one tensor stacked [h, c] into a fake batch axis (state_0 (2, 3, 4)); it is refused."""
    cells = [keras.layers.GRUCell(6), keras.layers.LSTMCell(2)]
    layer = keras.layers.RNN(cells, return_state=True)
    if wrap:
        layer = keras.layers.Bidirectional(layer)
    message = r"expected one cell with return_state=True, got a list of cells \(GRUCell, LSTMCell\)"
    with pytest.raises(ValueError, match=message):
        shapes.run_named(layer, inputs)
    with pytest.raises(ValueError, match=message):
        shapes.symbolic_named(layer, inputs.shape)
    returned = layer(inputs)
    assert [type(part).__name__ for part in returned[-2:]] == ["list", "list"]


def test_a_list_of_cells_without_states_is_named(inputs):
    layer = keras.layers.RNN([keras.layers.GRUCell(6), keras.layers.LSTMCell(2)])
    assert shapes.run_named(layer, inputs).shapes == {"output": (inputs.shape[0], 2)}
