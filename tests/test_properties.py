"""Property-based contracts for every public rnn_lib function that takes tensors.

For random inputs of random rank, dtype and shape, each function either keeps its documented
shape contract, or raises ValueError/TypeError whose message starts with the name of one of its
arguments. Any other exception (an IndexError from deep inside NumPy, a Keras error) fails.
"""

import re

import keras
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib.figure import Figure

import rnn_lib
from rnn_lib import layers, legacy, reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_])
ANY_ARRAY = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
FLOAT_ARRAY = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
                         elements=st.floats(-3, 3, width=32))  # fmt: skip
MAYBE_ARRAY = st.one_of(ANY_ARRAY, st.none(), st.integers(), st.text(max_size=3),
                        st.lists(st.integers(0, 6), max_size=4))  # fmt: skip


def holds(call, argument_names, contract):
    """Run ``call``; on success check ``contract(result)``; on error check the message names an argument."""
    try:
        result = call()
    except (ValueError, TypeError) as error:
        # Keras wraps a layer's error ("Exception encountered when calling ..."), so the line
        # naming the argument may come later in the message.
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
        prefixes = [line.split(":")[0] for line in lines if ":" in line]
        assert any(name in prefix.split(", ") for prefix in prefixes for name in argument_names), (
            str(error)
        )
        return
    contract(result)


def rank3(value):
    return hasattr(value, "shape") and len(value.shape) == 3


@SETTINGS
@given(
    outputs=ANY_ARRAY,
    mask=MAYBE_ARRAY,
    use_lengths=st.booleans(),
    padding=st.sampled_from(["post", "pre", "x"]),
)
def test_last_valid_step(outputs, mask, use_lengths, padding):
    arguments = {"lengths": mask} if use_lengths else {"mask": mask}

    def contract(result):
        assert result.shape == (outputs.shape[0], outputs.shape[2])

    holds(lambda: rnn_lib.last_valid_step(outputs, padding=padding, **arguments),
          ["outputs", "lengths", "mask", "padding", "timesteps"], contract)  # fmt: skip


@SETTINGS
@given(
    outputs=ANY_ARRAY, mask=MAYBE_ARRAY, merge_mode=st.sampled_from(["concat", None, "ave", "max"])
)
def test_split_directions_and_final_steps(outputs, mask, merge_mode):
    def split_contract(result):
        forward, backward = result
        assert forward.shape == backward.shape == (*outputs.shape[:-1], outputs.shape[-1] // 2)

    holds(lambda: rnn_lib.split_directions(outputs, merge_mode=merge_mode),
          ["outputs", "merge_mode"], split_contract)  # fmt: skip

    def final_contract(result):
        forward, backward = result
        assert forward.shape == backward.shape == (outputs.shape[0], outputs.shape[2] // 2)

    holds(lambda: rnn_lib.bidirectional_final_steps(outputs, mask=mask),
          ["outputs", "mask", "lengths", "merge_mode"], final_contract)  # fmt: skip


@SETTINGS
@given(lengths=MAYBE_ARRAY, timesteps=st.one_of(st.integers(-1, 6), st.none(), st.text(max_size=2)),
       padding=st.sampled_from(["post", "pre", "both"]), mask=MAYBE_ARRAY)  # fmt: skip
def test_mask_and_lengths_helpers(lengths, timesteps, padding, mask):
    holds(lambda: rnn_lib.lengths_to_mask(lengths, timesteps, padding),
          ["lengths", "timesteps", "padding"],
          lambda result: (result.dtype == np.bool_ and result.shape == (len(lengths), timesteps)) or None)  # fmt: skip
    holds(lambda: rnn_lib.mask_to_lengths(mask), ["mask"],
          lambda result: (result.shape == (mask.shape[0],)) or None)  # fmt: skip
    for function in (rnn_lib.first_valid_indices, rnn_lib.last_valid_indices):
        holds(lambda function=function: function(mask=mask), ["mask", "lengths"],
              lambda result: (result.shape == (mask.shape[0],)) or None)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inputs=ANY_ARRAY, kind=st.sampled_from(["SimpleRNN", "GRU", "LSTM"]), sequences=st.booleans()
)
def test_run_named(inputs, kind, sequences):
    layer = rnn_lib.make_layer(kind, 3, return_sequences=sequences, return_state=True)

    def contract(named):
        assert rank3(inputs)
        batch, time, _ = inputs.shape
        first = (batch, time, 3) if sequences else (batch, 3)
        assert next(iter(named.shapes.values())) == first
        assert all(shape == (batch, 3) for shape in list(named.shapes.values())[1:])

    holds(lambda: rnn_lib.run_named(layer, inputs), ["inputs", "layer"], contract)


@SETTINGS
@given(
    kernel=ANY_ARRAY,
    recurrent=ANY_ARRAY,
    bias=ANY_ARRAY,
    forget_bias=st.one_of(st.floats(-2, 2), st.text(max_size=1)),
)
def test_legacy_conversions(kernel, recurrent, bias, forget_bias):
    def to_keras_contract(weights):
        units = bias.shape[0] // 4
        assert [w.shape for w in weights] == [
            (kernel.shape[0] - units, 4 * units),
            (units, 4 * units),
            (4 * units,),
        ]

    holds(lambda: legacy.tf1_lstm_to_keras(kernel, bias, forget_bias),
          ["kernel", "bias", "forget_bias"], to_keras_contract)  # fmt: skip
    holds(lambda: legacy.keras_lstm_to_tf1(kernel, recurrent, bias, forget_bias),
          ["kernel", "recurrent_kernel", "bias", "forget_bias"],
          lambda result: (result[0].shape == (kernel.shape[0] + recurrent.shape[0], kernel.shape[1])) or None)  # fmt: skip


@SETTINGS
@given(
    inputs=ANY_ARRAY,
    kernel=ANY_ARRAY,
    recurrent=ANY_ARRAY,
    bias=ANY_ARRAY,
    reset_after=st.booleans(),
)
def test_reference_recurrences(inputs, kernel, recurrent, bias, reset_after):
    def contract(result):
        sequence, *states = result
        assert sequence.shape[:2] == inputs.shape[:2]
        assert all(state.shape == (inputs.shape[0], sequence.shape[2]) for state in states)

    names = ["inputs", "kernel", "recurrent_kernel", "bias", "reset_after"]
    holds(lambda: reference.simple_rnn(inputs, kernel, recurrent, bias), names, contract)
    holds(lambda: reference.gru(inputs, kernel, recurrent, bias, reset_after), names, contract)
    holds(lambda: reference.lstm(inputs, kernel, recurrent, bias), names, contract)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=ANY_ARRAY, mask=MAYBE_ARRAY)
def test_plots(sequence, mask):
    holds(lambda: rnn_lib.plot_sequence(sequence, mask=mask), ["sequence", "mask"],
          lambda figure: isinstance(figure, Figure) or None)  # fmt: skip
    holds(lambda: rnn_lib.plot_directions(sequence, sequence, mask=mask),
          ["forward", "backward", "mask"], lambda figure: isinstance(figure, Figure) or None)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=FLOAT_ARRAY, mask=st.one_of(st.none(), hnp.arrays(np.bool_, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))),
       layer_class=st.sampled_from([layers.MaskedTimeAverage, layers.LastValidStep,
                                    layers.AttentionPooling, layers.ZeroMaskedSteps]))  # fmt: skip
def test_layers(inputs, mask, layer_class):
    def contract(result):
        assert rank3(inputs)
        expected = (
            inputs.shape
            if layer_class is layers.ZeroMaskedSteps
            else (inputs.shape[0], inputs.shape[2])
        )
        assert tuple(keras.ops.convert_to_numpy(result).shape) == expected

    holds(lambda: layer_class()(inputs, mask=mask), ["inputs", "mask"], contract)


def test_the_harness_rejects_an_unnamed_error():
    """holds() itself must fail when a message does not name an argument."""
    import pytest

    def bad():
        raise ValueError("something went wrong")

    with pytest.raises(AssertionError):
        holds(bad, ["inputs"], lambda result: None)


@SETTINGS
@given(
    a=ANY_ARRAY,
    b=ANY_ARRAY,
    c=ANY_ARRAY,
    d=ANY_ARRAY,
    e=st.one_of(ANY_ARRAY, st.none(), st.lists(st.integers())),
)
def test_gru_conversions(a, b, c, d, e):
    def to_keras(weights):
        units = d.shape[0]
        assert [w.shape for w in weights] == [
            (c.shape[0] - units, 3 * units),
            (units, 3 * units),
            (3 * units,),
        ]

    holds(
        lambda: legacy.tf1_gru_to_keras(a, b, c, d),
        ["gate_kernel", "gate_bias", "candidate_kernel", "candidate_bias"],
        to_keras,
    )
    holds(
        lambda: legacy.tf1_gru_to_keras(a, b, c, e),
        ["gate_kernel", "gate_bias", "candidate_kernel", "candidate_bias"],
        to_keras if hasattr(e, "shape") else (lambda r: None),
    )

    def to_tf1(result):
        units = c.shape[0] // 3
        assert [w.shape for w in result] == [
            (a.shape[0] + units, 2 * units),
            (2 * units,),
            (a.shape[0] + units, units),
            (units,),
        ]

    holds(lambda: legacy.keras_gru_to_tf1(a, b, c), ["kernel", "recurrent_kernel", "bias"], to_tf1)
