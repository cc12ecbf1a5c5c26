"""rnn_lib.stateful: the stateful batch layout against explicit loops, and state resets
against Keras' own stateful layers."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib.stateful import ResetStatesCallback, reset_states, stateful_batches

# ----- stateful_batches -----


def brute_force_layout(series, batch_size, timesteps):
    """The obvious loops: give each row one contiguous segment, then deal out its chunks."""
    series = series.reshape(len(series), -1)  # (time, features)
    batches = len(series) // (batch_size * timesteps)
    segment = batches * timesteps  # steps per row
    result = np.zeros((batches, batch_size, timesteps, series.shape[1]), series.dtype)
    for row in range(batch_size):
        start = row * segment
        for batch in range(batches):
            for step in range(timesteps):
                result[batch, row, step] = series[start + batch * timesteps + step]
    return result


@st.composite
def series_and_sizes(draw):
    batch_size = draw(st.integers(1, 5))
    timesteps = draw(st.integers(1, 6))
    time = draw(st.integers(batch_size * timesteps, 4 * batch_size * timesteps + 7))
    features = draw(st.sampled_from([None, 1, 2, 3]))  # None: a (time,) series
    shape = (time,) if features is None else (time, features)
    dtype = draw(st.sampled_from(["float32", "float64", "int64"]))
    series = np.arange(np.prod(shape)).reshape(shape).astype(dtype)  # every value distinct
    return series, batch_size, timesteps


@settings(max_examples=150, deadline=None)
@given(series_and_sizes())
def test_matches_brute_force(case):
    series, batch_size, timesteps = case
    layout = stateful_batches(series, batch_size, timesteps)
    np.testing.assert_array_equal(layout, brute_force_layout(series, batch_size, timesteps))
    assert layout.dtype == series.dtype
    assert layout.flags["C_CONTIGUOUS"]


@settings(max_examples=150, deadline=None)
@given(series_and_sizes())
def test_rows_continue_and_only_the_tail_is_dropped(case):
    series, batch_size, timesteps = case
    layout = stateful_batches(series, batch_size, timesteps)
    batches, features = layout.shape[0], layout.shape[-1]
    assert layout.shape == (batches, batch_size, timesteps, features)
    # Row i, read batch after batch, is one contiguous segment; the rows in order are
    # the series without its tail.
    rows = layout.transpose(1, 0, 2, 3).reshape(batch_size, batches * timesteps, features)
    kept = batch_size * batches * timesteps
    flat = series.reshape(len(series), -1)
    np.testing.assert_array_equal(rows.reshape(kept, features), flat[:kept])
    dropped = len(series) - kept
    assert 0 <= dropped < batch_size * timesteps


@settings(max_examples=100, deadline=None)
@given(series_and_sizes())
def test_next_step_targets_from_the_shifted_series(case):
    series, batch_size, timesteps = case
    if len(series) == batch_size * timesteps:  # one step more for the shift
        extra = series[-1:] + series.size  # distinct from every value
        series = np.concatenate([series, extra])
    inputs = stateful_batches(series[:-1], batch_size, timesteps)
    targets = stateful_batches(series[1:], batch_size, timesteps)
    flat = series.reshape(len(series), -1)
    position = {tuple(value): index for index, value in enumerate(flat)}
    for batch, row, step in np.ndindex(*inputs.shape[:3]):
        here = position[tuple(inputs[batch, row, step])]
        assert position[tuple(targets[batch, row, step])] == here + 1


def test_a_small_example_by_hand():
    layout = stateful_batches(np.arange(14.0), batch_size=2, timesteps=3)
    assert layout.shape == (2, 2, 3, 1)
    assert layout[..., 0].tolist() == [
        [[0, 1, 2], [6, 7, 8]],
        [[3, 4, 5], [9, 10, 11]],
    ]  # 12 and 13 are the dropped tail


def test_accepts_a_tensor_and_a_pandas_series():
    import pandas as pd
    import tensorflow as tf

    values = np.arange(12.0, dtype="float32")
    expected = stateful_batches(values, 2, 3)
    np.testing.assert_array_equal(stateful_batches(tf.constant(values), 2, 3), expected)
    np.testing.assert_array_equal(stateful_batches(pd.Series(values), 2, 3), expected)


def test_a_stateful_layer_fed_the_layout_reads_each_row_as_one_sequence():
    """What the layout is for: batch after batch, a stateful LSTM equals one call per row."""
    batch_size, timesteps, features, units = 3, 5, 2, 4
    series = np.random.default_rng(0).normal(size=(47, features)).astype("float32")
    layout = stateful_batches(series, batch_size, timesteps)  # (3, 3, 5, 2)
    stateful = keras.layers.LSTM(units, return_sequences=True, stateful=True)
    stateful.build((batch_size, timesteps, features))
    chunks = [keras.ops.convert_to_numpy(stateful(batch)) for batch in layout]
    stateless = keras.layers.LSTM(units, return_sequences=True)
    stateless.build((None, None, features))
    stateless.set_weights(stateful.get_weights())
    rows = layout.transpose(1, 0, 2, 3).reshape(batch_size, -1, features)  # (3, 15, 2)
    whole = keras.ops.convert_to_numpy(stateless(rows))
    np.testing.assert_allclose(np.concatenate(chunks, axis=1), whole, atol=1e-6)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((list(range(20)), 2, 3), TypeError,
         "series: expected a NumPy array or a tensor, got list"),
        ((np.zeros((20, 2, 1)), 2, 3), ValueError,
         r"series: expected a rank-1 \(time,\) or rank-2 \(time, features\) array, got shape \(20, 2, 1\)"),
        ((np.zeros(()), 2, 3), ValueError,
         r"series: expected a rank-1 \(time,\) or rank-2 \(time, features\) array, got shape \(\)"),
        ((np.array(["a"] * 20), 2, 3), TypeError, "series: expected a real numeric array, got dtype <U1"),
        ((np.ones(20, bool), 2, 3), TypeError, "series: expected a real numeric array, got dtype bool"),
        ((np.ones(20, complex), 2, 3), TypeError,
         "series: expected a real numeric array, got dtype complex128"),
        ((np.zeros((20, 0)), 2, 3), ValueError,
         r"series: expected at least one feature, got shape \(20, 0\)"),
        ((np.zeros(20), 0, 3), ValueError, "batch_size: expected a positive int, got 0"),
        ((np.zeros(20), 2, -1), ValueError, "timesteps: expected a positive int, got -1"),
        ((np.zeros(20), 2.0, 3), TypeError, "batch_size: expected a positive int, got float"),
        ((np.zeros(20), 2, True), TypeError, "timesteps: expected a positive int, got bool"),
        ((np.zeros(5), 2, 3), ValueError,
         r"series: expected at least batch_size \* timesteps = 2 \* 3 = 6 steps, got 5"),
        ((np.array([0.0, np.nan, 2, 3, 4, np.inf]), 2, 3), ValueError,
         "series: expected finite values, got 2 NaN or infinite values"),
    ],
)  # fmt: skip
def test_bad_input(arguments, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        stateful_batches(*arguments)


# ----- reset_states -----

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4


def inputs_of(seed=0):
    return np.random.default_rng(seed).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


def predict(model, inputs):
    return keras.ops.convert_to_numpy(model(inputs))


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_reset_brings_back_the_first_call(kind):
    layer = getattr(keras.layers, kind)(UNITS, stateful=True, name="kept")
    model = keras.Sequential([keras.Input(batch_shape=(BATCH, TIME, FEATURES)), layer])
    inputs = inputs_of()
    first, second = predict(model, inputs), predict(model, inputs)
    assert not np.allclose(first, second)  # the state was kept
    assert reset_states(model) == ["kept"]
    np.testing.assert_array_equal(predict(model, inputs), first)
    # the same as Keras' own per-layer reset
    predict(model, inputs)
    layer.reset_state()
    np.testing.assert_array_equal(predict(model, inputs), first)


def test_nested_models_and_bidirectional():
    inner = keras.Sequential(
        [keras.Input(batch_shape=(BATCH, TIME, FEATURES)),
         keras.layers.GRU(UNITS, return_sequences=True, stateful=True, name="inner_gru")],
        name="inner",
    )  # fmt: skip
    inputs = keras.Input(batch_shape=(BATCH, TIME, FEATURES))
    sequence = inner(inputs)
    both = keras.layers.Bidirectional(
        keras.layers.LSTM(UNITS, return_sequences=True, stateful=True, name="lstm"),
        name="both",
    )(sequence)
    top = keras.layers.SimpleRNN(UNITS, name="stateless")(both)
    model = keras.Model(inputs, top)

    data = inputs_of(1)
    first = predict(model, data)
    assert not np.allclose(predict(model, data), first)
    names = reset_states(model)
    assert sorted(names) == ["backward_lstm", "forward_lstm", "inner_gru"]
    stateful = [layer for layer in model._flatten_layers() if getattr(layer, "stateful", False)]
    for layer in stateful:
        for state in layer.states or []:
            assert not np.any(keras.ops.convert_to_numpy(state))
    np.testing.assert_array_equal(predict(model, data), first)


def test_a_layer_a_stateless_model_and_an_unbuilt_layer():
    layer = keras.layers.LSTM(UNITS, stateful=True, name="alone")
    layer.build((BATCH, TIME, FEATURES))
    first = predict(layer, inputs_of())
    predict(layer, inputs_of())
    assert reset_states(layer) == ["alone"]
    np.testing.assert_array_equal(predict(layer, inputs_of()), first)

    stateless = keras.Sequential([keras.Input((TIME, FEATURES)), keras.layers.LSTM(UNITS)])
    assert reset_states(stateless) == []
    assert reset_states(keras.layers.GRU(UNITS, stateful=True, name="unbuilt")) == []


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("model", "model: expected a Keras model or layer, got str"),
        (np.zeros(3), "model: expected a Keras model or layer, got ndarray"),
        (None, "model: expected a Keras model or layer, got NoneType"),
        (
            [keras.layers.LSTM(UNITS, stateful=True)],
            "model: expected a Keras model or layer, got list",
        ),
    ],
)
def test_reset_states_bad_input(model, message):
    with pytest.raises(TypeError, match=f"^{message}$"):
        reset_states(model)


# ----- ResetStatesCallback -----


class StateAtFirstBatch(keras.callbacks.Callback):
    """Record the kept h of the stateful layer when each epoch's (or validation's) first batch starts."""

    def __init__(self, layer):
        super().__init__()
        self.layer, self.train, self.validation = layer, [], []

    def _record(self, batch, sums):
        if batch == 0:
            sums.append(float(np.abs(keras.ops.convert_to_numpy(self.layer.states[0])).sum()))

    def on_train_batch_begin(self, batch, logs=None):
        self._record(batch, self.train)

    def on_test_batch_begin(self, batch, logs=None):
        self._record(batch, self.validation)


@pytest.mark.slow
@pytest.mark.parametrize("with_reset", [False, True])
def test_the_callback_resets_at_every_epoch_and_before_validation(with_reset):
    keras.utils.set_random_seed(0)
    layer = keras.layers.LSTM(UNITS, stateful=True)
    model = keras.Sequential([keras.Input(batch_shape=(BATCH, TIME, FEATURES)), layer])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2 * BATCH, TIME, FEATURES)).astype("float32")
    y = rng.normal(size=(2 * BATCH, UNITS)).astype("float32")
    model(x[:BATCH])  # a call before fit leaves a state behind
    peek = StateAtFirstBatch(layer)
    callbacks = [ResetStatesCallback(), peek] if with_reset else [peek]
    model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0,
              validation_data=(x, y), callbacks=callbacks)  # fmt: skip
    if with_reset:
        assert peek.train == [0.0, 0.0, 0.0]  # also before the first epoch
        assert peek.validation == [0.0, 0.0, 0.0]
    else:  # fit itself never resets; validation continues training's state
        assert all(total > 0 for total in peek.train + peek.validation)


@pytest.mark.parametrize(("batch_size", "timesteps"), [(1, 5), (2, 10), (4, 5)])
def test_the_layout_is_never_a_view_of_the_series(batch_size, timesteps):
    series = np.arange(20.0)
    layout = stateful_batches(series, batch_size, timesteps)
    assert not np.shares_memory(layout, series)
