"""The book's general claims about Keras recurrent layers, each checked over every case it covers.

One test per claim. The first paragraph of each test's docstring is the claim, word for word as
the book states it; `test_every_claim_is_stated_where_the_book_says` checks that the sentence is
on every page named by its ``@stated_in(...)``, so the prose and the tested condition cannot drift
apart. Each test computes what the claim predicts from a rule of its own (never from the output
it checks) and compares it with what Keras returns, over every case the claim covers: every layer
type, post- and pre-padding (and a mask with a gap), ``go_backwards``, ``unroll``,
``zero_output_for_mask`` and, where relevant, every ``Bidirectional`` merge mode.

All of it runs on the generic (non-cuDNN) kernel: the machine has no GPU. The cuDNN kernel is
described, from Keras' source, in the padding chapter.
"""

from __future__ import annotations

import functools
import re
import sys
import warnings
from itertools import pairwise, product

import keras
import nbformat
import numpy as np
import pytest

from rnn_lib import data, shapes
from tests.conftest import FEATURES, ROOT, TIME, UNITS

KINDS = ["SimpleRNN", "GRU", "LSTM"]
MERGE_MODES = ["concat", "sum", "ave", "mul", None]
LENGTHS = [5, 3, 2]
ATOL = 1e-6

pytestmark = pytest.mark.slow  # about 330 small Keras layers: scheduled with the long files


def stated_in(*pages: str):
    """Mark a claim test with the pages (relative to the repository) that state its claim."""

    def mark(test):
        test.pages = pages
        return test

    return mark


# ----- the cases -----


def _masks(padding: str) -> np.ndarray:
    """The (batch, time) mask of lengths 5, 3, 2, padded post or pre; "gap": post with a hole in
    row 0; "empty": post with row 2 all padding."""
    if padding in ("gap", "empty"):
        mask = data.padded_batch(LENGTHS, FEATURES, padding="post").mask.copy()
        if padding == "gap":
            mask[0, 2] = False
        else:
            mask[2] = False  # a row with no valid step at all
        return mask
    return data.padded_batch(LENGTHS, FEATURES, padding=padding).mask


def _inputs(mask: np.ndarray, seed: int = 0) -> np.ndarray:
    """Random (batch, time, features) inputs, zeros at masked steps.

    Row r's valid steps hold the same values, in the same order, whatever the mask, so a row
    cut to its valid steps is the same sequence for post-, pre- and gapped padding.
    """
    values = np.random.default_rng(seed).normal(size=(mask.shape[0], TIME, FEATURES))
    inputs = np.zeros((*mask.shape, FEATURES), "float32")
    for row, valid in enumerate(mask):
        inputs[row, valid] = values[row, : valid.sum()]
    return inputs


def _with_random_weights(layer, seed: int = 1):
    """Build ``layer`` and give it random weights, biases included (a fresh layer's are 0)."""
    layer.build((None, TIME, FEATURES))
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    return layer


# Built with zeros, then given random weights: Keras' default initializers (the orthogonal one
# runs a QR decomposition) cost more CPU than the calls these tests make, for nothing.
ZEROS = dict.fromkeys(("kernel_initializer", "recurrent_initializer", "bias_initializer"), "zeros")


def _layer(kind: str, **options):
    return _with_random_weights(shapes.make_layer(kind, UNITS, **{**ZEROS, **options}))


def _twin(layer, **changes):
    """A layer with ``layer``'s configuration changed by ``changes``, and the same weights."""
    config = {**layer.get_config(), **changes}
    config.pop("name")
    twin = type(layer).from_config(config)
    twin.build((None, TIME, FEATURES))
    twin.set_weights(layer.get_weights())
    return twin


def _numpy(tensors):
    return [keras.ops.convert_to_numpy(t) for t in tensors]


def _processing_order(mask: np.ndarray, go_backwards: bool) -> np.ndarray:
    return mask[:, ::-1] if go_backwards else mask


def _zeroed_steps(mask: np.ndarray, go_backwards: bool, unroll: bool) -> np.ndarray:
    """Where `zero_output_for_mask=True` writes zeros in the sequence output, (batch, time)."""
    processing_mask = _processing_order(mask, go_backwards)
    if unroll and go_backwards:
        # keras/src/backend/tensorflow/rnn.py, unrolled branch: `outputs` (processing order) is
        # zeroed with the input-order mask; masked steps before the first valid one are zeros.
        leading = ~np.logical_or.accumulate(processing_mask, axis=1)
        return ~mask | leading
    return ~processing_mask


def _nonzero_start(kind: str) -> list:
    """An ``initial_state`` of 0.5 everywhere: ``[h, c]`` for an LSTM, ``[h]`` otherwise."""
    return [np.full((len(LENGTHS), UNITS), 0.5, "float32")] * (2 if kind == "LSTM" else 1)


@functools.cache
def _run(kind: str, padding: str, go_backwards: bool, unroll: bool, zero_output_for_mask: bool):
    """(sequence, states) of one layer on the batch, from a non-zero start; "none": no mask.

    Cached: several claims read the same call. The weights depend on the layer type only.
    """
    mask = _masks("post" if padding == "none" else padding)
    layer = _layer(
        kind,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        unroll=unroll,
        zero_output_for_mask=zero_output_for_mask,
    )
    call = {"initial_state": _nonzero_start(kind)}
    if padding != "none":
        call["mask"] = mask
    sequence, *states = _numpy(layer(_inputs(mask), **call))
    return sequence, states


@functools.cache
def _alone(kind: str, go_backwards: bool, unroll: bool, row: int, length: int) -> list:
    """The states the layer reaches on row ``row``'s ``length`` valid steps alone (no padding)."""
    layer = _layer(kind, return_state=True, go_backwards=go_backwards, unroll=unroll)
    values = _inputs(np.ones((len(LENGTHS), TIME), bool))[row : row + 1, :length]
    start = [state[:1] for state in _nonzero_start(kind)]
    return _numpy(layer(values, initial_state=start)[1:])


GENERIC = list(product(KINDS, ["post", "pre", "gap"], [False, True], [False, True]))
GENERIC_IDS = [
    f"{k}-{p}-{'backwards' if g else 'forwards'}-{'unroll' if u else 'loop'}"
    for k, p, g, u in GENERIC
]


# ----- what a call returns -----


@stated_in("notebooks/01_outputs_vs_state.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", [*KINDS, "RNN(LSTMCell)", "RNN([GRUCell, GRUCell])"])
@pytest.mark.parametrize("merge_mode", ["no wrapper", "concat", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_returns_a_tuple(kind, merge_mode, return_sequences):
    """With `return_state=True`, every recurrent layer returns a tuple, `Bidirectional` included."""
    options = {"return_sequences": return_sequences, "return_state": True}
    if kind == "RNN(LSTMCell)":
        layer = keras.layers.RNN(keras.layers.LSTMCell(UNITS), **options)
    elif kind == "RNN([GRUCell, GRUCell])":  # stacked cells
        layer = keras.layers.RNN(
            [keras.layers.GRUCell(UNITS), keras.layers.GRUCell(UNITS)], **options
        )
    else:
        layer = shapes.make_layer(kind, UNITS, **options)
    if merge_mode != "no wrapper":
        layer = keras.layers.Bidirectional(layer, merge_mode=merge_mode)
    eager = layer(_inputs(_masks("post")))
    symbolic = layer(keras.Input((TIME, FEATURES)))
    assert type(eager) is tuple and type(symbolic) is tuple


# ----- masked steps, on the generic kernel -----


@stated_in("notebooks/02_padding_and_masking.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize(("kind", "padding", "go_backwards", "unroll"), GENERIC, ids=GENERIC_IDS)
def test_masked_steps_repeat_the_last_output_or_are_zero(kind, padding, go_backwards, unroll):
    """On the generic kernel, in processing order, a masked step after a valid one repeats the previous output, and masked steps before the first valid one are zeros."""
    mask = _masks(padding)
    sequence, _ = _run(kind, padding, go_backwards, unroll, False)  # processing order
    processing_mask = _processing_order(mask, go_backwards)
    for row, step in zip(*np.nonzero(~processing_mask), strict=True):
        earlier = np.flatnonzero(processing_mask[row, :step])
        expected = sequence[row, earlier[-1]] if earlier.size else np.zeros(UNITS)
        np.testing.assert_allclose(sequence[row, step], expected, atol=ATOL)


@stated_in("notebooks/02_padding_and_masking.ipynb")
@pytest.mark.parametrize(("kind", "padding", "go_backwards", "unroll"), GENERIC, ids=GENERIC_IDS)
def test_zero_output_for_mask_zeroes_every_masked_step(kind, padding, go_backwards, unroll):
    """With `zero_output_for_mask=True`, every masked step of the sequence output is zero, except with `unroll=True` and `go_backwards=True` together: then Keras 3.15.1 zeroes the steps where the input-order mask is False, so valid steps can be zeros and masked steps can keep the carried output."""
    mask = _masks(padding)
    sequence, _ = _run(kind, padding, go_backwards, unroll, True)
    is_zero = np.all(sequence == 0, axis=-1)  # (batch, time)
    np.testing.assert_array_equal(is_zero, _zeroed_steps(mask, go_backwards, unroll))
    processing_mask = _processing_order(mask, go_backwards)
    if unroll and go_backwards and padding == "pre":  # the exception, as stated
        assert np.any(is_zero & processing_mask) and np.any(~is_zero & ~processing_mask)


@stated_in("notebooks/02_padding_and_masking.ipynb")
@pytest.mark.parametrize(("kind", "padding", "go_backwards", "unroll"), GENERIC, ids=GENERIC_IDS)
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_with_a_mask_the_state_is_that_of_the_row_alone(
    kind, padding, go_backwards, unroll, zero_output_for_mask
):
    """With a mask, each row's final state equals the state the layer reaches on that row alone, without padding."""
    mask = _masks(padding)
    _, states = _run(kind, padding, go_backwards, unroll, zero_output_for_mask)
    for row, valid in enumerate(mask):
        alone = _alone(kind, go_backwards, unroll, row, int(valid.sum()))
        for state, state_alone in zip(states, alone, strict=True):
            np.testing.assert_allclose(state[row : row + 1], state_alone, atol=ATOL)


# ----- the last step, the default output and h -----

LAST_STEP = [
    case
    for case in product(
        KINDS, ["none", "post", "pre", "empty"], [False, True], [False, True], [False, True]
    )
    if not (case[1] == "none" and case[4])  # without a mask, zero_output_for_mask does nothing
]
LAST_STEP_IDS = [
    f"{k}-mask_{p}-{'backwards' if g else 'forwards'}-{'unroll' if u else 'loop'}-{'zero' if z else 'carry'}"
    for k, p, g, u, z in LAST_STEP
]


def _last_processed_step_masked(padding: str, go_backwards: bool) -> np.ndarray:
    """Per row: is the last step the layer processes a masked one? (Never without a mask.)"""
    if padding == "none":
        return np.zeros(len(LENGTHS), bool)
    return ~_processing_order(_masks(padding), go_backwards)[:, -1]


@stated_in(
    "notebooks/01_outputs_vs_state.ipynb",
    "notebooks/02_padding_and_masking.ipynb",
    "notebooks/03_tf1_dynamic_rnn.ipynb",
    "book/glossary.md",
)
@pytest.mark.parametrize(
    ("kind", "padding", "go_backwards", "unroll", "zero_output_for_mask"),
    LAST_STEP,
    ids=LAST_STEP_IDS,
)
def test_the_default_output_equals_h_except_zeroed_rows(
    kind, padding, go_backwards, unroll, zero_output_for_mask
):
    """On the generic kernel, the default output equals `h`, with or without a mask, except in two cases: with `zero_output_for_mask=True`, a row whose last processed step is masked gets zeros; and a row with no valid step at all gets zeros while `h` is the state the layer started from.

    The same holds for `sequence[:, -1]`, except where `zero_output_for_mask=True` writes zeros
    at that step (see `_zeroed_steps`, which differs with `unroll=True` and `go_backwards=True`).
    Every case starts from a non-zero `initial_state`, so a row's "starting state" is not zeros.
    """
    mask = _masks("post" if padding == "none" else padding)
    sequence, (h, *_) = _run(kind, padding, go_backwards, unroll, zero_output_for_mask)
    options = {
        "go_backwards": go_backwards,
        "unroll": unroll,
        "zero_output_for_mask": zero_output_for_mask,
    }
    default = _layer(kind, **options)  # return_sequences=False; the same weights as _run's
    call = {"initial_state": _nonzero_start(kind)}
    if padding != "none":
        call["mask"] = mask
    (output,) = _numpy([default(_inputs(mask), **call)])

    empty = ~mask.any(axis=1) if padding != "none" else np.zeros(len(LENGTHS), bool)
    np.testing.assert_allclose(h[empty], 0.5, atol=ATOL)  # the starting state, untouched
    zeroed = (zero_output_for_mask & _last_processed_step_masked(padding, go_backwards)) | empty
    np.testing.assert_allclose(output, np.where(zeroed[:, None], 0.0, h), atol=ATOL)
    if zero_output_for_mask and padding != "none":
        zeroed = _zeroed_steps(mask, go_backwards, unroll)[:, -1] | empty
    np.testing.assert_allclose(sequence[:, -1], np.where(zeroed[:, None], 0.0, h), atol=ATOL)


VALID_STEP = [
    case
    for case in product(KINDS, ["post", "pre"], [False, True], [False, True], [False, True])
    if not (case[2] and case[3] and case[4])  # the Keras bug of _zeroed_steps: stated apart
]


@stated_in("book/glossary.md")
@pytest.mark.parametrize(
    ("kind", "padding", "go_backwards", "unroll", "zero_output_for_mask"), VALID_STEP
)
def test_the_output_at_a_valid_step_is_h_at_that_step(
    kind, padding, go_backwards, unroll, zero_output_for_mask
):
    """On the generic kernel, a layer's output at a valid step is its `h` after that step; at a masked step it is the carried output or zeros, which need not be the state."""
    mask = _masks(padding)
    inputs = _inputs(mask)
    options = {
        "go_backwards": go_backwards,
        "unroll": unroll,
        "zero_output_for_mask": zero_output_for_mask,
    }
    layer = _layer(kind, return_state=True, **options)  # the same weights as _run's
    start = _nonzero_start(kind)
    sequence, (h_at_the_end, *_) = _run(kind, padding, go_backwards, unroll, zero_output_for_mask)
    processing_mask = _processing_order(mask, go_backwards)
    for step in range(TIME):  # a step in processing order
        read = slice(TIME - 1 - step, None) if go_backwards else slice(None, step + 1)
        if step == TIME - 1:
            h_after_step = h_at_the_end
        else:
            call = layer(inputs[:, read], mask=mask[:, read], initial_state=start)
            h_after_step = keras.ops.convert_to_numpy(call[1])
        valid = processing_mask[:, step]
        np.testing.assert_allclose(sequence[valid, step], h_after_step[valid], atol=ATOL)
        before = processing_mask[:, :step].any(axis=1)
        for row in np.flatnonzero(~valid):  # carried (or zeroed), or zeros before any valid step
            carried = sequence[row, step - 1] if before[row] and not zero_output_for_mask else 0.0
            np.testing.assert_allclose(sequence[row, step], carried, atol=ATOL)
        leading = ~processing_mask[:, : step + 1].any(axis=1)  # masked so far: output 0, state 0.5
        np.testing.assert_allclose(h_after_step[leading], 0.5, atol=ATOL)
    # Leading masked steps (output 0, state 0.5) came up whenever the padding is read first:
    assert np.any(~processing_mask[:, 0]) == ((padding == "pre") != go_backwards)


# ----- go_backwards -----


@stated_in("notebooks/01_outputs_vs_state.ipynb", "notebooks/02_padding_and_masking.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("unroll", [False, True])
def test_go_backwards_returns_the_sequence_reversed_in_time(kind, unroll):
    """`go_backwards=True` returns the sequence in processing order, that is reversed in time: the output of a forward layer with the same weights on the time-reversed input."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    backwards = _layer(kind, return_sequences=True, go_backwards=True, unroll=unroll)
    forwards = _twin(backwards, go_backwards=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(backwards(inputs)),
        keras.ops.convert_to_numpy(forwards(inputs[:, ::-1])),
        atol=ATOL,
    )


@stated_in("notebooks/02_padding_and_masking.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_the_mask_passed_on_after_go_backwards_is_not_reversed(kind, padding):
    """The mask a `go_backwards=True` layer passes on is the input's mask, not reversed, so it does not line up with the reversed sequence."""
    mask = _masks(padding)
    layer = _layer(kind, return_sequences=True, go_backwards=True)
    passed_on = keras.ops.convert_to_numpy(layer.compute_mask(_inputs(mask), mask))
    np.testing.assert_array_equal(passed_on, mask)


# ----- Bidirectional -----

BIDIRECTIONAL = list(product(KINDS, MERGE_MODES, ["post", "pre"]))


def _bidirectional(kind, merge_mode, **options):
    layer = keras.layers.Bidirectional(
        shapes.make_layer(kind, UNITS, **options), merge_mode=merge_mode
    )
    return _with_random_weights(layer)


BIDIRECTIONAL_PADDINGS = ["post", "pre", "gap"]


# The wrapped layer's own flag, False (the default, which Bidirectional overrides) for every
# merge mode, and True once: the claim is that it makes no difference.
WRAPPED_FLAGS = [(merge_mode, False) for merge_mode in MERGE_MODES] + [("concat", True)]


@stated_in("notebooks/04_bidirectional_merges.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", BIDIRECTIONAL_PADDINGS)
@pytest.mark.parametrize(("merge_mode", "wrapped_zero_output_for_mask"), WRAPPED_FLAGS)
def test_bidirectional_writes_zeros_at_masked_steps(
    kind, merge_mode, padding, wrapped_zero_output_for_mask
):
    """Inside `Bidirectional` with `return_sequences=True` and the default `unroll=False`, every masked step of the output is zero, for every merge mode, whatever the wrapped layer's `zero_output_for_mask`."""
    mask = _masks(padding)
    layer = _bidirectional(
        kind, merge_mode, return_sequences=True, zero_output_for_mask=wrapped_zero_output_for_mask
    )
    outputs = layer(_inputs(mask), mask=mask)
    for output in _numpy(outputs if merge_mode is None else [outputs]):
        assert np.all(output[~mask] == 0)


@stated_in("notebooks/04_bidirectional_merges.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", BIDIRECTIONAL_PADDINGS)
def test_bidirectional_unrolled_puts_the_backward_zeros_at_the_wrong_steps(kind, padding):
    """With `unroll=True`, Keras 3.15.1 writes the backward direction's zeros at the wrong steps of a masked `Bidirectional` sequence output, valid steps included; the states and the default output stay right."""
    mask = _masks(padding)
    inputs = _inputs(mask)
    unrolled = _bidirectional(kind, None, return_sequences=True, return_state=True, unroll=True)
    looped = keras.layers.Bidirectional(
        shapes.make_layer(kind, UNITS, return_sequences=True, return_state=True), merge_mode=None
    )
    looped.build((None, TIME, FEATURES))
    looped.set_weights(unrolled.get_weights())
    forward, backward, *states = _numpy(unrolled(inputs, mask=mask))
    looped_forward, _, *looped_states = _numpy(looped(inputs, mask=mask))
    np.testing.assert_allclose(forward, looped_forward, atol=ATOL)
    # The backward layer (go_backwards=True, zero_output_for_mask=True, unrolled), flipped back:
    backward_zeros = _zeroed_steps(mask, go_backwards=True, unroll=True)[:, ::-1]
    np.testing.assert_array_equal(np.all(backward == 0, axis=-1), backward_zeros)
    assert np.any(backward_zeros & mask)  # valid steps zeroed: the bug
    for state, looped_state in zip(states, looped_states, strict=True):
        np.testing.assert_allclose(state, looped_state, atol=ATOL)
    default = keras.layers.Bidirectional(shapes.make_layer(kind, UNITS, unroll=True))
    default.build((None, TIME, FEATURES))
    default.set_weights(unrolled.get_weights())
    half = len(states) // 2
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(default(inputs, mask=mask)),
        np.concatenate([states[0], states[half]], axis=-1),
        atol=ATOL,
    )


@stated_in("notebooks/04_bidirectional_merges.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["none", *BIDIRECTIONAL_PADDINGS])
def test_bidirectional_directions_end_at_the_last_and_first_valid_steps(kind, padding):
    """In the sequence output of a `Bidirectional` layer given the mask, with the default `unroll=False`, the forward direction ends at each row's last valid step and the backward direction at its first valid step."""
    mask = _masks("post" if padding == "none" else padding)
    if padding == "none":
        mask = np.ones_like(mask)
    inputs = _inputs(mask)
    layer = _bidirectional(kind, None, return_sequences=True, return_state=True)
    returned = _numpy(layer(inputs, mask=mask))
    forward, backward = returned[:2]
    states = returned[2:]
    forward_h, backward_h = states[0], states[len(states) // 2]
    rows = np.arange(len(LENGTHS))
    last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    first = np.argmax(mask, axis=1)
    np.testing.assert_allclose(forward[rows, last], forward_h, atol=ATOL)
    np.testing.assert_allclose(backward[rows, first], backward_h, atol=ATOL)


@stated_in("notebooks/04_bidirectional_merges.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["none", "post", "pre"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
def test_bidirectional_default_output_is_both_final_states(kind, padding, merge_mode):
    """The default output of `Bidirectional` is the forward and backward final states merged: with `merge_mode="concat"`, side by side."""
    mask = _masks("post" if padding == "none" else padding)
    call = {} if padding == "none" else {"mask": mask}
    inputs = _inputs(mask)
    layer = _bidirectional(kind, merge_mode, return_state=True)
    output, *states = _numpy(layer(inputs, **call))
    forward_h, backward_h = states[0], states[len(states) // 2]
    merged = {
        "concat": np.concatenate([forward_h, backward_h], axis=-1),
        "sum": forward_h + backward_h,
        "ave": (forward_h + backward_h) / 2,
        "mul": forward_h * backward_h,
    }[merge_mode]
    np.testing.assert_allclose(output, merged, atol=ATOL)


# ----- masks through other layers -----


def _mask_after(layer):
    inputs = keras.Input((TIME, FEATURES))
    with warnings.catch_warnings(record=True) as caught:  # a layer that drops it warns
        warnings.simplefilter("always")
        output = layer(keras.layers.Masking()(inputs))
    mask = getattr(output, "_keras_mask", None)
    assert any("destroy the mask" in str(w.message) for w in caught) == (
        mask is None and layer.supports_masking is False
    )
    return mask


@stated_in("notebooks/02_padding_and_masking.ipynb")
@pytest.mark.parametrize(
    ("layer", "passes_it_on"),
    [
        (lambda: keras.layers.Dense(3), True),
        (lambda: keras.layers.Dropout(0.5), True),
        (lambda: keras.layers.LayerNormalization(), True),
        (lambda: keras.layers.LSTM(UNITS, return_sequences=True), True),
        (lambda: keras.layers.Conv1D(3, 2, padding="same"), False),
        (lambda: keras.layers.LSTM(UNITS), False),
    ],
    ids=["Dense", "Dropout", "LayerNormalization", "LSTM-sequences", "Conv1D", "LSTM-default"],
)
def test_a_mask_travels_only_through_layers_that_pass_it_on(layer, passes_it_on):
    """A mask reaches a layer only if every layer in between passes it on."""
    assert (_mask_after(layer()) is not None) == passes_it_on


@stated_in("notebooks/05_custom_layers.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("padding", ["post", "pre", "gap"])
def test_global_average_pooling_reads_the_mask_and_global_max_pooling_does_not(padding):
    """`GlobalAveragePooling1D` reads the mask; `GlobalMaxPooling1D` does not."""
    mask = _masks(padding)
    sequence = -np.abs(np.random.default_rng(2).normal(size=(*mask.shape, UNITS))).astype("float32")
    sequence[~mask] = 0.0  # padding that holds zeros, as after zero_output_for_mask
    average = keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling1D()(sequence, mask=mask))
    expected = np.stack([sequence[row, mask[row]].mean(axis=0) for row in range(len(LENGTHS))])
    np.testing.assert_allclose(average, expected, atol=ATOL)

    # In a model, the mask reaches GlobalMaxPooling1D, which warns, drops it and takes the max
    # over every step: the padding's zeros win over the (negative) valid values.
    inputs = keras.Input((TIME, UNITS))
    with pytest.warns(UserWarning, match="does not support masking"):
        pooled = keras.layers.GlobalMaxPooling1D()(keras.layers.Masking()(inputs))
    assert getattr(pooled, "_keras_mask", None) is None
    with pytest.warns(UserWarning, match="does not support masking"):  # again, when called
        maximum = keras.ops.convert_to_numpy(keras.Model(inputs, pooled)(sequence))
    np.testing.assert_allclose(maximum, sequence.max(axis=1), atol=ATOL)
    assert np.all(maximum[~mask.all(axis=1)] == 0)


# ----- structure and state across calls -----


@stated_in("notebooks/01_outputs_vs_state.ipynb")
@pytest.mark.parametrize("kind", KINDS)
def test_in_a_sequential_the_layer_after_return_state_gets_the_whole_tuple(kind):
    """In a `Sequential`, the layer after one with `return_state=True` receives the whole tuple, so a single-input layer such as `Dense` fails there."""
    layer = shapes.make_layer(kind, UNITS, return_state=True)
    last = keras.Sequential([keras.Input((TIME, FEATURES)), layer])
    assert type(last(_inputs(_masks("post")))) is tuple
    take_h = keras.layers.Lambda(lambda returned: returned[1])  # takes the tuple: fine
    picked = keras.Sequential(
        [keras.Input((TIME, FEATURES)), shapes.make_layer(kind, UNITS, return_state=True), take_h]
    )
    assert picked.output_shape == (None, UNITS)
    with pytest.raises(ValueError, match="expects 1 input"):
        keras.Sequential(
            [
                keras.Input((TIME, FEATURES)),
                shapes.make_layer(kind, UNITS, return_state=True),
                keras.layers.Dense(1),
            ]
        )


@stated_in("notebooks/01_outputs_vs_state.ipynb")
@pytest.mark.parametrize("kind", KINDS)
def test_a_layer_keeps_no_state_between_calls_unless_stateful(kind):
    """A recurrent layer keeps no state between calls unless it is built with `stateful=True`."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    plain = _layer(kind)
    np.testing.assert_array_equal(plain(inputs), plain(inputs))

    stateful = shapes.make_layer(kind, UNITS, stateful=True)
    stateful.build((len(LENGTHS), TIME, FEATURES))
    stateful.set_weights(plain.get_weights())
    first = keras.ops.convert_to_numpy(stateful(inputs))
    second = keras.ops.convert_to_numpy(stateful(inputs))
    np.testing.assert_allclose(first, keras.ops.convert_to_numpy(plain(inputs)), atol=ATOL)
    assert not np.allclose(first, second)
    stateful.reset_state()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stateful(inputs)), first, atol=ATOL)


# ----- long sequences in chunks -----

CHUNKINGS = {"2+3": [2, 3], "1+1+1+1+1": [1, 1, 1, 1, 1], "4+1": [4, 1]}


def _chunks(inputs, sizes):
    edges = np.cumsum([0, *sizes])
    return [inputs[:, start:end] for start, end in pairwise(edges)]


@stated_in("notebooks/09_stateful_and_chunks.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("unroll", [False, True])
def test_carrying_the_state_across_chunks_equals_one_call(kind, chunking, unroll):
    """Passing each chunk's final states as `initial_state` to the next chunk gives the same outputs and final states as one call on the whole sequence (for a layer that reads forward, without a mask)."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    layer = _layer(kind, return_sequences=True, return_state=True, unroll=unroll)
    whole, *whole_states = _numpy(layer(inputs))
    outputs, states = [], None
    for chunk in _chunks(inputs, CHUNKINGS[chunking]):  # (batch, chunk_time, features)
        sequence, *states = layer(chunk, initial_state=states)
        outputs.append(keras.ops.convert_to_numpy(sequence))
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), whole, atol=ATOL)
    for state, whole_state in zip(_numpy(states), whole_states, strict=True):
        np.testing.assert_allclose(state, whole_state, atol=ATOL)


@stated_in("notebooks/09_stateful_and_chunks.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_a_stateful_layer_over_chunks_equals_one_call(kind, chunking):
    """A `stateful=True` layer called on consecutive chunks gives the same outputs as one call on the whole sequence, and after `reset_state()` it starts again from zeros."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    plain = _layer(kind, return_sequences=True)
    whole = keras.ops.convert_to_numpy(plain(inputs))
    stateful = shapes.make_layer(kind, UNITS, return_sequences=True, stateful=True)
    stateful.build((len(LENGTHS), None, FEATURES))
    stateful.set_weights(plain.get_weights())
    for _ in range(2):  # the second time after reset_state()
        chunks = _chunks(inputs, CHUNKINGS[chunking])
        outputs = [keras.ops.convert_to_numpy(stateful(chunk)) for chunk in chunks]
        np.testing.assert_allclose(np.concatenate(outputs, axis=1), whole, atol=ATOL)
        stateful.reset_state()


@stated_in("notebooks/09_stateful_and_chunks.ipynb")
@pytest.mark.parametrize("kind", KINDS)
def test_without_stateful_a_rows_result_does_not_depend_on_the_other_rows(kind):
    """Without `stateful=True`, a row's result does not depend on the other rows of the batch."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    layer = _layer(kind, return_sequences=True, return_state=True)
    together = _numpy(layer(inputs))
    for row in range(len(LENGTHS)):
        alone = _numpy(layer(inputs[row : row + 1]))
        for tensor, tensor_alone in zip(together, alone, strict=True):
            np.testing.assert_allclose(tensor[row : row + 1], tensor_alone, atol=ATOL)


# ----- encoder-decoder: states handed over, attention over the encoder's outputs -----


def _states_for(kind: str) -> tuple[int, list[np.ndarray]]:
    """How many states ``kind`` keeps, and 4 random (batch, units) states to hand it."""
    rng = np.random.default_rng(2)
    states = [rng.normal(size=(len(LENGTHS), UNITS)).astype("float32") for _ in range(4)]
    return (2 if kind == "LSTM" else 1), states


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("extra", [1, 2])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_a_decoder_handed_too_many_states(kind, extra, go_backwards):
    """With the default `unroll=False`, handed more states than its cell keeps, an `LSTM` or a `SimpleRNN` builds into a model and fails when data runs through it, and a `GRU` starts from the first state and ignores the others."""
    keeps, states = _states_for(kind)
    handed, own = states[: keeps + extra], states[:keeps]
    layer = _layer(kind, return_sequences=True, go_backwards=go_backwards)
    symbolic = [keras.Input((UNITS,)) for _ in handed]
    built = layer(keras.Input((None, FEATURES)), initial_state=symbolic)  # builds: no error
    assert built.shape == (None, None, UNITS)
    inputs = _inputs(_masks("post"))
    if kind == "GRU":
        ignored = _numpy([layer(inputs, initial_state=handed)])[0]
        np.testing.assert_allclose(ignored, _numpy([layer(inputs, initial_state=own)])[0])
        changed = _numpy([layer(inputs, initial_state=[states[3], *handed[1:]])])[0]
        assert not np.allclose(changed, ignored)  # the first state is the one it reads
    else:
        with pytest.raises(ValueError, match="Too few leaves"):
            layer(inputs, initial_state=handed)


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("extra", [1, 2])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_unrolled_and_unmasked_extra_states_are_ignored(kind, extra, go_backwards):
    """With `unroll=True` and no mask, all three ignore the extra states."""
    keeps, states = _states_for(kind)
    layer = _layer(kind, return_sequences=True, go_backwards=go_backwards, unroll=True)
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    handed = _numpy([layer(inputs, initial_state=states[: keeps + extra])])[0]
    np.testing.assert_allclose(handed, _numpy([layer(inputs, initial_state=states[:keeps])])[0])
    if kind != "GRU":  # with a mask, the unrolled LSTM and SimpleRNN refuse them
        with pytest.raises(ValueError):
            mask = _masks("post")
            layer(_inputs(mask), mask=mask, initial_state=states[: keeps + extra])


ATTENTIONS = {
    "Attention": lambda: keras.layers.Attention(),
    "Attention(use_scale=True)": lambda: keras.layers.Attention(use_scale=True),
    "Attention(score_mode='concat')": lambda: keras.layers.Attention(score_mode="concat"),
    "AdditiveAttention": lambda: keras.layers.AdditiveAttention(),
    "AdditiveAttention(use_scale=False)": lambda: keras.layers.AdditiveAttention(use_scale=False),
}


def _attention_weights(attention, mask, query_mask=None, seed=3):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(len(mask), 6, UNITS)).astype("float32")  # (batch, target, units)
    value = rng.normal(size=(*mask.shape, UNITS)).astype("float32")  # (batch, source, units)
    _, weights = attention([query, value], mask=[query_mask, mask], return_attention_scores=True)
    return keras.ops.convert_to_numpy(weights)  # (batch, target_time, source_time)


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb")
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("padding", ["post", "pre", "gap", "empty"])
@pytest.mark.parametrize("query_masked", [False, True])
def test_attention_weights_on_a_masked_source(attention, padding, query_masked):
    """With the source masked, the weights on padded source steps are exactly zero and each row sums to 1, except for a source with no valid step at all, whose weights are spread over its padded steps."""
    mask = _masks(padding)  # (batch, source_time); "empty": row 2 has no valid step
    query_mask = np.array([[True] * 6, [True] * 4 + [False] * 2, [True] + [False] * 5])
    weights = _attention_weights(
        ATTENTIONS[attention](), mask, query_mask if query_masked else None
    )
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=ATOL)
    for row, valid in enumerate(mask):
        if valid.any():
            assert np.all(weights[row][:, ~valid] == 0.0)
            assert np.all(weights[row][:, valid] > 0.0)
        else:
            assert np.all(weights[row] > 0.0)  # spread over the padding


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb")
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_a_masked_query_zeroes_the_context_not_the_weights(attention, padding):
    """the context is zero at the padded target steps, but their rows of weights are not, and still sum to 1 over the source."""
    query_mask = _masks(padding)  # (batch, target_time): the padded target
    source_mask = np.ones((len(LENGTHS), 4), bool)
    rng = np.random.default_rng(6)
    query = rng.normal(size=(*query_mask.shape, UNITS)).astype("float32")
    value = rng.normal(size=(len(LENGTHS), 4, UNITS)).astype("float32")
    context, weights = _numpy(
        ATTENTIONS[attention]()(
            [query, value], mask=[query_mask, source_mask], return_attention_scores=True
        )
    )
    assert np.all(context[~query_mask] == 0.0) and np.all(np.abs(context[query_mask]).sum(-1) > 0)
    assert np.all(weights[~query_mask] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=ATOL)


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("attention", ["Attention", "AdditiveAttention"])
def test_in_a_functional_model_the_encoder_mask_reaches_the_attention_layer(
    kind, padding, attention
):
    """No mask was passed by hand: in a functional model the mask that `Embedding(mask_zero=True)` puts on the encoder's sequence travels with it, and `Attention` reads it as the mask of its value."""
    tokens = data.padded_tokens(LENGTHS, 11, padding=padding, seed=0)
    source = keras.Input((None,), dtype="int32")
    encoded = keras.layers.Embedding(11, 3, mask_zero=True)(source)
    encoded = shapes.make_layer(kind, UNITS, return_sequences=True)(encoded)
    query = keras.Input((None, UNITS))
    layer = ATTENTIONS[attention]()
    _, weights = layer([query, encoded], return_attention_scores=True)
    model = keras.Model([source, query], weights)
    queries = np.random.default_rng(4).normal(size=(len(LENGTHS), 6, UNITS)).astype("float32")
    weights = keras.ops.convert_to_numpy(model([tokens.inputs, queries]))
    padded = np.broadcast_to(~tokens.mask[:, None, :], weights.shape)
    assert np.all(weights[padded] == 0.0) and np.all(weights[~padded] > 0.0)


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb")
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_attention_layers_have_no_projection_matrices(attention):
    """`Attention` and `AdditiveAttention` have no projection matrices: their query and key (by default the value) must have the same last dimension."""
    layer = ATTENTIONS[attention]()
    query = np.ones((3, 6, UNITS), "float32")
    same, wide = np.ones((3, 5, UNITS), "float32"), np.ones((3, 5, 2 * UNITS), "float32")
    assert layer([query, same]).shape == (3, 6, UNITS)  # the same size: fine
    assert all(len(weight.shape) <= 1 for weight in layer.weights)  # a scale, never a matrix
    with pytest.raises(Exception, match=r"[Ii]ncompatible"):
        layer([query, wide])  # the key is the value: too wide
    assert layer([query, wide, same]).shape == (3, 6, 2 * UNITS)  # a key of the query's size
    with pytest.raises(Exception, match=r"[Ii]ncompatible"):
        layer([query, same, wide])
    symbolic = layer([keras.Input((None, UNITS)), keras.Input((None, 2 * UNITS))])
    assert symbolic.shape == (None, None, 2 * UNITS)  # a mismatch builds into a model


@stated_in("notebooks/11_seq2seq_that_decodes.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize(
    "make",
    [
        keras.layers.Attention,
        keras.layers.AdditiveAttention,
        lambda: keras.layers.MultiHeadAttention(num_heads=2, key_dim=2),
    ],
    ids=["Attention", "AdditiveAttention", "MultiHeadAttention"],
)
@pytest.mark.parametrize("first_asks", [False, True])
def test_attention_scores_on_a_later_call(make, first_asks):
    """On the pinned Keras 3.15.1, an `Attention`, `AdditiveAttention` or `MultiHeadAttention` layer whose first functional call did not ask for the scores returns, on a later functional call that asks for them, scores that a model can neither output nor pass to another layer."""
    layer = make()

    def call(query, value, scores):
        if isinstance(layer, keras.layers.MultiHeadAttention):
            return layer(query, value, return_attention_scores=scores)
        return layer([query, value], return_attention_scores=scores)

    arrays = [np.ones((3, 6, UNITS), "float32"), np.ones((3, 5, UNITS), "float32")]
    call(*arrays, False)  # an eager call first: it does not count
    query, value = keras.Input((6, UNITS)), keras.Input((5, UNITS))  # fixed: Dense reads the last
    call(query, value, first_asks)
    context, scores = call(query, value, True)
    consumed = keras.layers.Dense(2)(scores)
    if first_asks:
        keras.Model([query, value], [context, scores])  # fine
        keras.Model([query, value], consumed)
    else:
        for outputs in ([context, scores], consumed):
            with pytest.raises(ValueError, match="is not connected to `inputs`"):
                keras.Model([query, value], outputs)
    keras.Model([query, value], context)  # the context itself is fine either way
    assert len(call(*arrays, True)) == 2  # eager calls return usable scores either way


@stated_in("notebooks/11_seq2seq_that_decodes.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "operation",
    [
        lambda x: keras.ops.concatenate([x, x], axis=-1),
        lambda x: keras.ops.add(x, x),
        lambda x: keras.ops.multiply(x, 2.0),
        keras.ops.tanh,
    ],
    ids=["concatenate", "add", "multiply", "tanh"],
)
def test_a_keras_ops_call_drops_the_mask(kind, operation):
    """A `keras.ops` call between the masked layers drops the mask without a warning."""
    source = keras.Input((None,), dtype="int32")
    sequence = keras.layers.Embedding(11, 3, mask_zero=True)(source)
    sequence = shapes.make_layer(kind, UNITS, return_sequences=True)(sequence)
    assert getattr(sequence, "_keras_mask", None) is not None  # masked up to here
    joined = keras.layers.Concatenate()([sequence, sequence])
    assert getattr(joined, "_keras_mask", None) is not None  # the layer keeps it
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        dropped = operation(sequence)
        following = keras.layers.Dense(2)(dropped)
    assert getattr(dropped, "_keras_mask", None) is None
    assert getattr(following, "_keras_mask", None) is None


@stated_in("notebooks/10_encoder_decoder_beyond_one_layer.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("depth", [2, 3])
def test_a_stacked_step_decoder_reproduces_teacher_forcing(kind, depth):
    """Fed the same inputs one step at a time, a one-step decoder that takes and returns every layer's states reproduces the teacher-forced outputs of a stacked decoder."""
    keeps = 2 if kind == "LSTM" else 1
    layers = [
        _with_random_weights(
            shapes.make_layer(kind, UNITS, return_sequences=True, return_state=True), seed=k
        )
        if k == 0
        else shapes.make_layer(kind, UNITS, return_sequences=True, return_state=True)
        for k in range(depth)
    ]
    rng = np.random.default_rng(5)
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    starts = [
        [rng.normal(size=(len(LENGTHS), UNITS)).astype("float32") for _ in range(keeps)]
        for _ in range(depth)
    ]
    sequence = inputs  # teacher forcing: every layer reads the whole sequence
    for layer, start in zip(layers, starts, strict=True):
        sequence, *_ = layer(sequence, initial_state=start)
    teacher_forced = keras.ops.convert_to_numpy(sequence)
    states, steps = starts, []
    for t in range(TIME):  # one step at a time, every layer's states carried
        step, new_states = inputs[:, t : t + 1], []
        for layer, state in zip(layers, states, strict=True):
            step, *state = layer(step, initial_state=state)
            new_states.append(state)
        states = new_states
        steps.append(keras.ops.convert_to_numpy(step))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), teacher_forced, atol=ATOL)


@stated_in("notebooks/11_seq2seq_that_decodes.ipynb")
@pytest.mark.parametrize("kind", KINDS)
def test_the_loss_of_a_masked_decoder_averages_over_valid_steps(kind):
    """With `Embedding(mask_zero=True)` on the decoder's input, Keras' loss averages over the valid target steps only."""
    task = _reversal(kind)
    model, inputs, targets = task
    keras_loss = model.evaluate(inputs, targets, verbose=0)
    predicted = keras.ops.convert_to_numpy(model(inputs))
    picked = np.take_along_axis(predicted, targets[..., None], axis=-1)[..., 0]
    valid = targets != 0
    np.testing.assert_allclose(keras_loss, -np.log(picked[valid]).mean(), rtol=1e-4)
    assert not np.isclose(keras_loss, -np.log(picked).mean(), rtol=1e-3)  # not over all steps


def _reversal(kind):
    """An untrained decoder over reversal-task targets, 12 rows of 2 to 5 digits."""
    from rnn_lib import seq2seq

    task = seq2seq.reversal_task(12, min_length=2, max_length=5, seed=0)
    decoder_ids = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(task.vocab_size, 3, mask_zero=True)(decoder_ids)
    sequence = shapes.make_layer(kind, UNITS, return_sequences=True)(embedded)
    to_vocab = keras.layers.Dense(task.vocab_size, activation="softmax")
    probabilities = to_vocab(sequence)
    bias = np.zeros(task.vocab_size, "float32")
    bias[0] = -5.0  # the padding id improbable: counting padded steps would change the mean
    to_vocab.bias.assign(bias)
    model = keras.Model(decoder_ids, probabilities)
    model.compile(loss="sparse_categorical_crossentropy")
    return model, task.decoder_inputs, task.targets


# ----- cells, wrappers and options -----

CELLS = {"SimpleRNN": "SimpleRNNCell", "GRU": "GRUCell", "LSTM": "LSTMCell"}
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


def _assert_same_returns(layer, other, padding: str) -> None:
    """Both layers return the same tensors on one batch: unmasked ("none") or masked."""
    mask = None if padding == "none" else _masks(padding)
    inputs = _inputs(_masks("post") if mask is None else mask)
    for a, b in zip(
        _numpy(layer(inputs, mask=mask)), _numpy(other(inputs, mask=mask)), strict=True
    ):
        np.testing.assert_allclose(a, b, atol=ATOL)


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["none", "post", "pre"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_a_cell_in_rnn_equals_the_built_in_layer(kind, padding, go_backwards):
    """With the same weights, the cell wrapped in `RNN` and the built-in layer return the same sequence and states, masked or not."""
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    built_in = _layer(kind, **options)
    wrapped = keras.layers.RNN(getattr(keras.layers, CELLS[kind])(UNITS), **options)
    wrapped.build((None, TIME, FEATURES))
    wrapped.set_weights(built_in.get_weights())
    _assert_same_returns(built_in, wrapped, padding)


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb")
@pytest.mark.parametrize(
    "stack", [("LSTM", "GRU"), ("GRU", "SimpleRNN"), ("LSTM", "LSTM"), ("SimpleRNN", "LSTM")]
)
def test_rnn_over_a_list_of_cells_nests_its_states(stack):
    """It returns the *last* cell's output, and one list of states per cell, bottom first."""
    sizes = [UNITS, 3]
    cells = [getattr(keras.layers, CELLS[k])(n) for k, n in zip(stack, sizes, strict=True)]
    layer = keras.layers.RNN(cells, return_sequences=True, return_state=True)
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    sequence, *per_cell = layer(inputs)
    assert tuple(sequence.shape) == (len(LENGTHS), TIME, sizes[-1])  # the last cell's
    assert [len(states) for states in per_cell] == [2 if k == "LSTM" else 1 for k in stack]
    assert [tuple(states[0].shape) for states in per_cell] == [(len(LENGTHS), n) for n in sizes]
    nested = [[np.ones((len(LENGTHS), n), "float32")] * len(states) for n, states in
              zip(sizes, per_cell, strict=True)]  # fmt: skip
    nested_result = _numpy([layer(inputs, initial_state=nested)[0]])[0]  # nested: fine
    flat = [state for states in nested for state in states]
    if len(flat) > len(nested):  # a cell keeps two states: a flat list fails
        with pytest.raises(IndexError):
            layer(inputs, initial_state=flat)
    else:  # one state per cell: flat and nested are the same list shape
        np.testing.assert_allclose(_numpy([layer(inputs, initial_state=flat)[0]])[0], nested_result)


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("unroll", [False, True])
def test_go_backwards_alone_is_a_forward_layer_on_the_reversed_input(kind, unroll):
    """So it equals a forward layer (the same weights) run on the time-reversed input, and its last step, as for any layer, is its final state `h`."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    options = dict(return_sequences=True, return_state=True, unroll=unroll)
    backward = _layer(kind, go_backwards=True, **options)
    forward = _twin(backward, go_backwards=False)
    sequence, h, *_ = _numpy(backward(inputs))
    np.testing.assert_allclose(sequence, _numpy(forward(inputs[:, ::-1]))[0], atol=ATOL)
    np.testing.assert_allclose(sequence[:, -1], h, atol=ATOL)


def _seeded_call(layer, inputs):
    """The layer's training output, and its seed state from before the call (to draw again)."""
    seed = keras.ops.convert_to_numpy(layer.cell.seed_generator.state)
    return _numpy([layer(inputs, training=True)])[0], seed


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb", "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
def test_one_dropout_mask_per_call(kind):
    """With `dropout` alone, one mask over the input features per call is shared by every gate and reused at every step; with `recurrent_dropout` set, `GRU` and `LSTM` draw one mask per gate for the inputs and one per gate for `h`, each reused at every step."""
    inputs = _inputs(np.ones((len(LENGTHS), TIME), bool))
    # dropout alone: the training output is the plain layer's on inputs times one mask
    layer = _layer(kind, return_sequences=True, dropout=0.5)
    trained, seed = _seeded_call(layer, inputs)
    layer.cell.seed_generator.state.assign(seed)  # draw the same mask again
    mask = keras.ops.convert_to_numpy(layer.cell.get_dropout_mask(inputs[:, 0]))
    layer.cell.reset_dropout_mask()
    assert mask.shape == (len(LENGTHS), FEATURES)  # one mask, every gate
    plain = _twin(layer, dropout=0.0)
    np.testing.assert_allclose(trained, _numpy([plain(inputs * mask[:, None, :])])[0], atol=1e-5)
    # both: one mask per gate for the inputs and for h, folded into the two kernels, row by row
    layer = _layer(kind, return_sequences=True, dropout=0.5, recurrent_dropout=0.5)
    trained, seed = _seeded_call(layer, inputs)
    layer.cell.seed_generator.state.assign(seed)
    gates = GATES[kind]
    input_masks = keras.ops.convert_to_numpy(layer.cell.get_dropout_mask(inputs[:, 0]))
    state_masks = keras.ops.convert_to_numpy(
        layer.cell.get_recurrent_dropout_mask(np.zeros((len(LENGTHS), UNITS), "float32"))
    )
    layer.cell.reset_dropout_mask()
    layer.cell.reset_recurrent_dropout_mask()
    input_masks = input_masks.reshape(gates, len(LENGTHS), FEATURES)
    state_masks = state_masks.reshape(gates, len(LENGTHS), UNITS)
    if gates > 1:  # per gate: not all the same
        assert not all(np.array_equal(input_masks[0], m) for m in input_masks[1:])
    kernel, recurrent, *rest = layer.get_weights()
    plain = _twin(layer, dropout=0.0, recurrent_dropout=0.0)
    for row in range(len(LENGTHS)):
        folded_kernel, folded_recurrent = kernel.copy(), recurrent.copy()
        for gate in range(gates):
            block = slice(gate * UNITS, (gate + 1) * UNITS)
            folded_kernel[:, block] = input_masks[gate, row][:, None] * kernel[:, block]
            folded_recurrent[:, block] = state_masks[gate, row][:, None] * recurrent[:, block]
        plain.set_weights([folded_kernel, folded_recurrent, *rest])
        alone = _numpy([plain(inputs[row : row + 1])])[0]
        np.testing.assert_allclose(trained[row : row + 1], alone, atol=1e-5)


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["fit", "predict", "evaluate"])
def test_unroll_with_any_length_fails_on_the_second_length(kind, method):
    """A direct call runs every length, but each of `fit`, `evaluate` and `predict` fails at the second length it is given, when it traces the model again with the length left unknown."""
    any_length = keras.Input(shape=(None, FEATURES))
    model = keras.Model(any_length, shapes.make_layer(kind, UNITS, unroll=True)(any_length))
    model.compile(loss="mse")
    rows = len(LENGTHS)
    for steps in (TIME, TIME + 2):
        model(np.ones((rows, steps, FEATURES), "float32"))  # a direct call: fine
    run = {
        "predict": lambda x: model.predict(x, verbose=0),
        "evaluate": lambda x: model.evaluate(x, np.zeros((rows, UNITS)), verbose=0),
        "fit": lambda x: model.fit(x, np.zeros((rows, UNITS)), verbose=0),
    }[method]
    run(np.ones((rows, TIME, FEATURES), "float32"))
    with pytest.raises(ValueError, match="Cannot unroll a RNN if the time dimension is undefined"):
        run(np.ones((rows, TIME + 2, FEATURES), "float32"))


@stated_in("notebooks/12_cells_wrappers_and_options.ipynb")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["none", "post", "pre", "gap"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_unrolled_equals_looped(kind, padding, go_backwards):
    """The numbers are the same, masked or not."""
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    looped = _layer(kind, **options)
    _assert_same_returns(looped, _twin(looped, unroll=True), padding)


# ----- the shape explorer page's reading notes (every layer, traced: shapes only) -----

ALL_KINDS = [*shapes.LAYER_KINDS, *shapes.CONV_LSTM_KINDS]


def _conv_shape(kind: str) -> tuple[int, ...]:
    return (3, 5, *[7] * (len(shapes.input_axes(kind)) - 3), 2)


@stated_in("book/explorer.md")
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_concat_doubles_the_output_axis_and_states_are_never_merged(kind):
    """`concat` doubles the last axis of the output (units, or a ConvLSTM's filters); `sum`,
    `ave` and `mul` keep it; the states are never merged."""
    with keras.StatelessScope():
        for mode, sequences in product(["concat", "sum", "ave", "mul"], [False, True]):
            layer = shapes.make_bidirectional(
                kind, UNITS, mode, return_sequences=sequences, return_state=True
            )
            named = shapes.symbolic_named(layer, _conv_shape(kind))
            first, *states = named.shapes.values()
            assert first[-1] == (2 * UNITS if mode == "concat" else UNITS), (mode, sequences)
            assert [shape[-1] for shape in states] == [UNITS] * len(states)
            assert len(states) == (2 if kind in ("SimpleRNN", "GRU") else 4)


@stated_in("book/explorer.md")
def test_the_explorer_defaults_to_same_padding_and_keras_to_valid(capsys):
    """This page and `python -m rnn_lib` default to `same`; Keras' own default is `valid`."""
    from rnn_lib import cli, explorer

    for kind, layer_class in shapes.CONV_LSTM_KINDS.items():
        assert layer_class(UNITS, 3).padding == "valid"
        assert cli.main([kind]) == 0
        assert "padding='same'" in capsys.readouterr().out
        assert explorer.explain.__kwdefaults__["padding"] == "same"
    page = (ROOT / "book" / "explorer.md").read_text()
    assert '<option value="same" selected>' in page


@stated_in("book/explorer.md")
@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_parameter_count_formula(kind, bidirectional):
    """The parameter count is Keras' `count_params()`: per direction, gates x units x (kernel
    volume x (features + units) + bias terms), with 1 gate for `SimpleRNN`, 3 for `GRU` (2 bias
    terms with the default `reset_after=True`) and 4 for `LSTM` and the ConvLSTMs."""
    gates = {"SimpleRNN": 1, "GRU": 3}.get(kind, 4)
    bias_terms = 2 if kind == "GRU" else 1
    with keras.StatelessScope():
        for units, features, kernel in [(UNITS, FEATURES, 3), (7, 5, 2)]:
            options = {"kernel_size": kernel} if kind in shapes.CONV_LSTM_KINDS else {}
            make = shapes.make_bidirectional if bidirectional else shapes.make_layer
            layer = make(kind, units, **options)
            shape = list(_conv_shape(kind))
            shape[-1] = features
            layer.build(tuple(shape))
            volume = kernel ** (len(shape) - 3)
            per_direction = gates * units * (volume * (features + units) + bias_terms)
            assert layer.count_params() == (2 if bidirectional else 1) * per_direction


# ----- the claims as the book states them -----


def _page_text(relative: str) -> str:
    path = ROOT / relative
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    else:
        text = path.read_text()
    return _normalize(text)


def _normalize(text: str) -> str:
    """Whitespace folded and bold/italic markers dropped, so line breaks and emphasis may vary."""
    return re.sub(r"\s+", " ", re.sub(r"(?<!\w)[*_]{1,2}(?=\S)|(?<=\S)[*_]{1,2}(?!\w)", "", text))


def claim_tests() -> list:
    """Every claim test, here, in `test_claims_masks.py` (split off so that the two long
    files run on different pytest-xdist workers) and in `test_backends.py` (the claims about
    TensorFlow and JAX, read off the two backends' documents)."""
    from tests import test_backends, test_claims_masks

    return [
        value
        for module in (sys.modules[__name__], test_claims_masks, test_backends)
        for name, value in vars(module).items()
        if name.startswith("test_") and hasattr(value, "pages")
    ]


def claim_of(test) -> str:
    """The docstring's first paragraph, without its final full stop (a link may follow it)."""
    return _normalize(test.__doc__.strip().split("\n\n")[0]).removesuffix(".")


def is_stated(claim: str, text: str) -> bool:
    """The claim as a whole sentence: it ends there (a full stop, a colon or a link may follow)."""
    return re.search(re.escape(claim) + r"(?=[.:]| \(|$)", text) is not None


def test_every_claim_is_stated_where_the_book_says():
    missing = [
        f"{test.__name__}: not in {page}: {claim_of(test)!r}"
        for test in claim_tests()
        for page in test.pages
        if not is_stated(claim_of(test), _page_text(page))
    ]
    assert missing == []


def test_every_claim_test_names_a_page():
    tests = claim_tests()
    assert len(tests) >= 15
    assert all(test.pages for test in tests)


def test_the_wording_check_sees_a_changed_sentence():
    test = test_masked_steps_repeat_the_last_output_or_are_zero
    page = _page_text("book/misconceptions.md")
    assert is_stated(claim_of(test), page)
    assert not is_stated(claim_of(test), page.replace("repeats the previous output", "is zero"))
    assert not is_stated(claim_of(test), page.replace(claim_of(test), claim_of(test) + ", or not"))
