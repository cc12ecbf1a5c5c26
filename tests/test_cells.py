"""rnn_lib.cells: every step's states, against Keras' own sequence output and final states."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnn_lib.cells import StatesEveryStep, states_over_time

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4
LENGTHS = np.array([5, 3, 2])  # valid steps per row
KINDS = ["SimpleRNN", "GRU", "LSTM"]
MASKS = {
    None: None,
    "post": np.arange(TIME) < LENGTHS[:, np.newaxis],  # (3, 5): valid steps first
    "pre": np.arange(TIME) >= TIME - LENGTHS[:, np.newaxis],  # padding first
}


def inputs_of(seed=0, batch=BATCH):
    return np.random.default_rng(seed).normal(size=(batch, TIME, FEATURES)).astype("float32")


def random_layer(kind, seed=0, **options):
    """A built layer with random weights everywhere (biases too), returning everything."""
    layer = getattr(keras.layers, kind)(UNITS, return_sequences=True, return_state=True, **options)
    layer.build((None, TIME, FEATURES))
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    return layer


def twin_of(layer, **options):
    """A second layer of the same kind with the same weights: the trusted reference."""
    twin = type(layer)(UNITS, return_sequences=True, return_state=True, **options)
    twin.build((None, TIME, FEATURES))
    twin.set_weights(layer.get_weights())
    return twin


def numpy(values):
    return [keras.ops.convert_to_numpy(value) for value in values]


def state_names(kind):
    return ["h", "c"] if kind == "LSTM" else ["h"]


# ----- states_over_time against the layer itself -----


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("padding", list(MASKS))
@pytest.mark.parametrize("kind", KINDS)
def test_h_is_the_sequence_output_and_the_last_step_the_final_states(
    kind, padding, go_backwards, unroll
):
    options = {"go_backwards": go_backwards, "unroll": unroll}
    layer = random_layer(kind, **options)
    inputs, mask = inputs_of(), MASKS[padding]
    states = states_over_time(layer, inputs, mask=mask)
    assert list(states) == state_names(kind)
    sequence, *finals = numpy(twin_of(layer, **options)(inputs, mask=mask))
    for name in states:
        assert states[name].shape == (BATCH, TIME, UNITS)
        assert states[name].dtype == np.float32
    np.testing.assert_allclose(states["h"], sequence, atol=1e-6)
    for name, final in zip(states, finals, strict=True):
        np.testing.assert_allclose(states[name][:, -1], final, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_each_row_equals_the_row_alone_without_its_padding(kind):
    """Post padding: the valid steps are the row's own run; masked steps repeat the last one."""
    layer = random_layer(kind, seed=1)
    inputs = inputs_of(1)
    states = states_over_time(layer, inputs, mask=MASKS["post"])
    for row, length in enumerate(LENGTHS):
        alone = states_over_time(layer, inputs[row : row + 1, :length])
        for name in states:
            np.testing.assert_allclose(states[name][row, :length], alone[name][0], atol=1e-6)
            carried = np.repeat(states[name][row, length - 1 : length], TIME - length, axis=0)
            np.testing.assert_array_equal(states[name][row, length:], carried)


@pytest.mark.parametrize("kind", KINDS)
def test_go_backwards_reads_the_steps_last_to_first(kind):
    backwards = random_layer(kind, seed=2, go_backwards=True)
    forwards = twin_of(backwards)
    inputs = inputs_of(2)
    expected = states_over_time(forwards, inputs[:, ::-1])
    for name, values in states_over_time(backwards, inputs).items():
        np.testing.assert_allclose(values, expected[name], atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_is_honoured(kind):
    layer = random_layer(kind, seed=3)
    inputs = inputs_of(3)
    rng = np.random.default_rng(33)
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in state_names(kind)]
    states = states_over_time(layer, inputs, initial_state=initial)
    sequence, *finals = numpy(twin_of(layer)(inputs, initial_state=initial))
    np.testing.assert_allclose(states["h"], sequence, atol=1e-6)
    for name, final in zip(states, finals, strict=True):
        np.testing.assert_allclose(states[name][:, -1], final, atol=1e-6)
    zero_start = states_over_time(layer, inputs)
    assert not np.allclose(states["h"][:, 0], zero_start["h"][:, 0])


@pytest.mark.parametrize("kind", KINDS)
def test_before_the_first_valid_step_the_states_are_the_initial_states(kind):
    """Pre padding with an initial state: Keras' sequence output shows zeros there."""
    layer = random_layer(kind, seed=4)
    inputs, mask = inputs_of(4), MASKS["pre"]
    rng = np.random.default_rng(44)
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in state_names(kind)]
    states = states_over_time(layer, inputs, mask=mask, initial_state=initial)
    sequence, *finals = numpy(twin_of(layer)(inputs, mask=mask, initial_state=initial))
    for row, length in enumerate(LENGTHS):
        padding = TIME - length
        for name, start in zip(states, initial, strict=True):
            np.testing.assert_array_equal(
                states[name][row, :padding], np.repeat(start[row : row + 1], padding, axis=0)
            )
        np.testing.assert_array_equal(sequence[row, :padding], 0.0)  # Keras: zeros
        np.testing.assert_allclose(states["h"][row, padding:], sequence[row, padding:], atol=1e-6)
        alone = states_over_time(
            layer,
            inputs[row : row + 1, padding:],
            initial_state=[s[row : row + 1] for s in initial],
        )
        for name in states:
            np.testing.assert_allclose(states[name][row, padding:], alone[name][0], atol=1e-6)
    for name, final in zip(states, finals, strict=True):
        np.testing.assert_allclose(states[name][:, -1], final, atol=1e-6)


def test_a_fully_masked_row_keeps_its_initial_state():
    layer = random_layer("LSTM", seed=5)
    mask = MASKS["post"].copy()
    mask[1] = False
    initial = [np.full((BATCH, UNITS), 0.5, "float32"), np.full((BATCH, UNITS), -0.25, "float32")]
    states = states_over_time(layer, inputs_of(5), mask=mask, initial_state=initial)
    np.testing.assert_array_equal(states["h"][1], 0.5)
    np.testing.assert_array_equal(states["c"][1], -0.25)


def test_the_layer_own_weights_are_used_not_a_copy():
    layer = random_layer("LSTM", seed=6)
    inputs = inputs_of(6)
    before = states_over_time(layer, inputs)
    weights_before = len(layer.weights)
    layer.set_weights([2.0 * w for w in layer.get_weights()])
    after = states_over_time(layer, inputs)
    assert len(layer.weights) == weights_before
    assert not np.allclose(before["c"], after["c"])
    sequence, _, c = numpy(twin_of(layer)(inputs))
    np.testing.assert_allclose(after["c"][:, -1], c, atol=1e-6)
    np.testing.assert_allclose(after["h"], sequence, atol=1e-6)


def test_a_stateful_layer_starts_from_zeros_and_keeps_its_states():
    layer = keras.layers.GRU(UNITS, stateful=True, return_sequences=True)
    inputs = inputs_of(7)
    layer.build((BATCH, TIME, FEATURES))
    layer(inputs)  # leaves a kept state behind
    kept = numpy(layer.states)
    states = states_over_time(layer, inputs)
    np.testing.assert_array_equal(numpy(layer.states)[0], kept[0])
    stateless = keras.layers.GRU(UNITS, return_sequences=True)
    stateless.build((None, TIME, FEATURES))
    stateless.set_weights(layer.get_weights())
    np.testing.assert_allclose(states["h"], numpy([stateless(inputs)])[0], atol=1e-6)
    continued = states_over_time(layer, inputs, initial_state=kept)
    np.testing.assert_allclose(continued["h"], numpy([layer(inputs)])[0], atol=1e-6)


# ----- training: dropout -----


def _dropout_layer(kind):
    layer = getattr(keras.layers, kind)(
        UNITS, dropout=0.5, recurrent_dropout=0.4, return_sequences=True, seed=8
    )
    layer.build((None, TIME, FEATURES))
    return layer


@pytest.mark.parametrize("kind", KINDS)
def test_training_applies_the_same_dropout_as_the_layer(kind):
    """Same seed, same masks: one input and one recurrent mask for all the steps of a call."""
    layer = _dropout_layer(kind)
    inputs = inputs_of(8)
    seed_state = keras.ops.convert_to_numpy(layer.cell.seed_generator.state)
    expected = numpy([layer(inputs, training=True)])[0]
    layer.cell.seed_generator.state.assign(seed_state)
    states = states_over_time(layer, inputs, training=True)
    np.testing.assert_allclose(states["h"], expected, atol=1e-6)
    assert not np.allclose(states["h"], numpy([layer(inputs)])[0])  # dropout did something
    np.testing.assert_allclose(
        states_over_time(layer, inputs)["h"], numpy([layer(inputs)])[0], atol=1e-6
    )


def test_dropout_masks_are_fresh_at_every_call():
    """Masks are made once per call and dropped after it: a new batch size works, and
    inside tf.function no mask leaks out of the loop."""
    layer = _dropout_layer("LSTM")
    first = states_over_time(layer, inputs_of(9), training=True)
    second = states_over_time(layer, inputs_of(9), training=True)
    assert not np.allclose(first["h"], second["h"])
    assert states_over_time(layer, inputs_of(9, batch=2), training=True)["h"].shape == (2, 5, 4)
    rnn = keras.layers.RNN(StatesEveryStep(layer.cell), return_sequences=True)
    run = tf.function(lambda values: rnn(values, training=True))
    assert tuple(run(inputs_of(9)).shape) == (BATCH, TIME, 2 * UNITS)
    assert tuple(run(inputs_of(9, batch=2)).shape) == (2, TIME, 2 * UNITS)
    assert tuple(layer(inputs_of(9), training=True).shape) == (BATCH, TIME, UNITS)


# ----- StatesEveryStep -----


class TwoStateCell(keras.layers.Layer):
    """A custom cell with two states of different sizes and no get_initial_state."""

    state_size = (UNITS, 3)
    output_size = 1

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], UNITS), name="kernel")

    def call(self, inputs, states):
        first = states[0] + keras.ops.matmul(inputs, self.kernel)
        second = states[1] + 1.0
        return keras.ops.sum(first, axis=-1, keepdims=True), [first, second]


@pytest.mark.parametrize(
    ("cell", "state_size", "output_size"),
    [
        (keras.layers.SimpleRNNCell(UNITS), UNITS, UNITS),
        (keras.layers.GRUCell(UNITS), UNITS, UNITS),
        (keras.layers.LSTMCell(UNITS), [UNITS, UNITS], 2 * UNITS),
        (TwoStateCell(), (UNITS, 3), UNITS + 3),
    ],
    ids=["SimpleRNNCell", "GRUCell", "LSTMCell", "custom"],
)
def test_the_output_is_the_new_states_side_by_side(cell, state_size, output_size):
    wrapper = StatesEveryStep(cell)
    assert wrapper.state_size == state_size
    assert wrapper.output_size == output_size
    inputs = inputs_of(10)
    sequence, *finals = numpy(
        keras.layers.RNN(wrapper, return_sequences=True, return_state=True)(inputs)
    )
    assert sequence.shape == (BATCH, TIME, output_size)
    np.testing.assert_allclose(sequence[:, -1], np.concatenate(finals, axis=-1), atol=1e-6)
    # step by step, against the cell called by hand
    states = [np.zeros((BATCH, size), "float32") for size in np.atleast_1d(state_size)]
    for step in range(TIME):
        _, states = cell(inputs[:, step], states)
        states = numpy(states if isinstance(states, (list, tuple)) else [states])
        np.testing.assert_allclose(sequence[:, step], np.concatenate(states, -1), atol=1e-6)


def test_initial_states_come_from_the_cell():
    wrapper = StatesEveryStep(keras.layers.LSTMCell(UNITS))
    states = numpy(wrapper.get_initial_state(BATCH))
    assert [state.shape for state in states] == [(BATCH, UNITS), (BATCH, UNITS)]
    assert not any(np.any(state) for state in states)
    custom = numpy(StatesEveryStep(TwoStateCell()).get_initial_state(BATCH))
    assert [state.shape for state in custom] == [(BATCH, UNITS), (BATCH, 3)]
    assert not any(np.any(state) for state in custom)


def test_config_round_trip():
    wrapper = StatesEveryStep(keras.layers.GRUCell(UNITS, reset_after=False), name="every")
    config = wrapper.get_config()
    assert config["cell"]["class_name"] == "GRUCell"
    copy = StatesEveryStep.from_config(config)
    assert copy.name == "every"
    assert isinstance(copy.cell, keras.layers.GRUCell)
    assert copy.cell.reset_after is False
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(wrapper))
    assert isinstance(restored, StatesEveryStep)


def test_a_model_with_the_wrapper_saves_and_loads(tmp_path):
    inputs = keras.Input((TIME, FEATURES))
    rnn = keras.layers.RNN(StatesEveryStep(keras.layers.LSTMCell(UNITS)), return_sequences=True)
    model = keras.Model(inputs, rnn(inputs))
    rng = np.random.default_rng(11)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    data = inputs_of(11)
    expected = numpy([model(data)])[0]
    path = tmp_path / "states.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the class is registered
    assert isinstance(loaded.layers[-1].cell, StatesEveryStep)
    np.testing.assert_array_equal(numpy([loaded(data)])[0], expected)


@pytest.mark.parametrize(
    ("cell", "error", "message"),
    [
        ("lstm", TypeError,
         r"cell: expected a Keras RNN cell \(a layer with a state_size, e.g. keras.layers.LSTMCell\), got str"),
        (keras.layers.Dense(UNITS), TypeError, "cell: expected a Keras RNN cell .*, got Dense"),
        (keras.layers.LSTM(UNITS), TypeError, "cell: expected a Keras RNN cell .*, got LSTM"),
        (keras.layers.StackedRNNCells([keras.layers.LSTMCell(3), keras.layers.LSTMCell(2)]), ValueError,
         r"cell: expected a state_size that is a positive int or a flat list of positive ints \(one per state\), got \[\[3, 3\], \[2, 2\]\]"),
    ],
)  # fmt: skip
def test_wrapper_bad_input(cell, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        StatesEveryStep(cell)


# ----- states_over_time: bad input -----


def _built(layer):
    layer.build((None, TIME, FEATURES))
    return layer


LSTM = _built(keras.layers.LSTM(UNITS))
GOOD = inputs_of()
GOOD_STATE = np.zeros((BATCH, UNITS), "float32")


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((keras.layers.Dense(UNITS), GOOD), TypeError,
         "layer: expected a Keras SimpleRNN, GRU or LSTM, got Dense"),
        ((keras.layers.Bidirectional(keras.layers.LSTM(UNITS)), GOOD), TypeError,
         r"layer: expected a Keras SimpleRNN, GRU or LSTM \(for a Bidirectional, pass its "
         r"forward_layer and backward_layer\), got Bidirectional"),
        ((keras.layers.RNN(keras.layers.LSTMCell(UNITS)), GOOD), TypeError,
         "layer: expected a Keras SimpleRNN, GRU or LSTM, got RNN"),
        ((keras.layers.GRU(UNITS, name="fresh"), GOOD), ValueError,
         r"layer: expected a built layer \(call it once first\), got fresh unbuilt"),
        ((LSTM, GOOD.tolist()), TypeError, "inputs: expected a NumPy array or a tensor, got list"),
        ((LSTM, GOOD[0]), ValueError,
         r"inputs: expected a rank-3 tensor \(batch, time, features\), got shape \(5, 2\)"),
        ((LSTM, GOOD[:, :0]), ValueError,
         r"inputs: expected at least one entry on every axis \(batch, time, features\), got shape \(3, 0, 2\)"),
        ((LSTM, np.zeros((BATCH, TIME, 3))), ValueError,
         r"inputs: expected 2 features on the last axis \(the layer's input size\), got shape \(3, 5, 3\)"),
    ],
)  # fmt: skip
def test_states_over_time_bad_layer_or_inputs(arguments, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        states_over_time(*arguments)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"mask": MASKS["post"].astype("float32")}, TypeError,
         r"mask: expected a bool array \(batch, time\), got dtype float32"),
        ({"mask": MASKS["post"][:, :4]}, ValueError,
         r"mask: expected shape \(3, 5\), \(batch, time\) of inputs, got \(3, 4\)"),
        ({"mask": MASKS["post"][..., np.newaxis]}, ValueError,
         r"mask: expected a rank-2 tensor \(batch, time\), got shape \(3, 5, 1\)"),
        ({"mask": [[True] * TIME] * BATCH}, TypeError, "mask: expected a NumPy array or a tensor, got list"),
        ({"initial_state": GOOD_STATE}, TypeError,
         r"initial_state: expected a list of 2 arrays \[h, c\], got ndarray"),
        ({"initial_state": [GOOD_STATE]}, ValueError,
         r"initial_state: expected a list of 2 arrays \[h, c\], got 1"),
        ({"initial_state": [GOOD_STATE, GOOD_STATE[:2]]}, ValueError,
         r"initial_state\[1\]: expected shape \(3, 4\), \(batch, units\), got \(2, 4\)"),
        ({"initial_state": [GOOD_STATE[0], GOOD_STATE]}, ValueError,
         r"initial_state\[0\]: expected a rank-2 tensor \(batch, units\), got shape \(4,\)"),
        ({"training": 1}, TypeError, "training: expected True or False, got int"),
    ],
)  # fmt: skip
def test_states_over_time_bad_options(options, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        states_over_time(LSTM, GOOD, **options)


def test_a_one_state_layer_wants_one_initial_state():
    gru = _built(keras.layers.GRU(UNITS))
    with pytest.raises(
        ValueError, match=r"^initial_state: expected a list of 1 array \[h\], got 2$"
    ):
        states_over_time(gru, GOOD, initial_state=[GOOD_STATE, GOOD_STATE])
    states = states_over_time(gru, GOOD, initial_state=(GOOD_STATE,))  # a tuple is fine
    assert list(states) == ["h"]
