"""Does this hold on JAX? The book's facts about Keras, observed on TensorFlow and on JAX.

Keras 3 runs on TensorFlow or JAX (the backend is fixed when ``keras`` is imported, by
``KERAS_BACKEND``). Each fact the book states about what a recurrent layer does is written
here once, as a small backend-neutral check (``keras``, ``keras.ops`` and NumPy only) on toy
inputs that returns what it *observed*: a short string, a bool, a number or a list, which
prints the same on both backends unless the behaviour differs. The facts:

- what a call returns (container, names and shapes), for every configuration of the
  shape reference, traced on a symbolic input;
- what masked steps hold, with post and pre padding, from a zero and from a non-zero
  ``initial_state``; ``zero_output_for_mask``, with ``unroll`` and ``go_backwards``;
  the default output against ``h``; the mask passed on after ``go_backwards``;
- ``Bidirectional``: masked steps, where each direction's final step sits, its default
  output, the order of its states and of its ``initial_state``;
- the order of ``return_state`` and of ``initial_state``; weight shapes and parameter
  counts; the numbers against NumPy recurrences (:mod:`rnn_lib.reference`);
- state between calls, ``stateful=True``, chunks; cells in ``RNN``, ``unroll``, a decoder
  handed too many states, ``return_state`` inside a ``Sequential``.

Then a model with recurrent layers and ``rnn_lib``'s layers, saved to ``.keras`` on one
backend, is loaded on the other and must give the same outputs on the same inputs.

Commands (the module needs nothing else)::

    python -m rnn_lib.backends                 # this process' backend: one JSON document
    python -m rnn_lib.backends --page > book/backends.md   # both backends, the page

``--page`` runs :func:`run_both`: one process per backend (``KERAS_BACKEND=tensorflow``,
``KERAS_BACKEND=jax`` with ``JAX_PLATFORMS=cpu``), side by side, which exchange their saved
models through a temporary folder, and :func:`render_page` writes the Markdown table.
``tests/test_backends.py`` fails if the committed page differs from a fresh one.

Inputs are ``(batch, time, features)`` = ``(7, 5, 2)``: three rows post-padded to lengths
5, 3, 2, the same three rows pre-padded, and a row with no valid step (with a mask; without
one, every step is valid). Layers have ``units=4`` and seeded weights. On JAX the facts run op by op
(``jax.disable_jit()``): the same Keras code, without compiling every call, which takes
about half the CPU; ``--compiled`` runs them compiled (the documents are the same). The
facts whose outcome may be an error run compiled in any case (op by op, JAX's ``scan`` does
not check the structure of its states), as does ``model.predict`` in the portability check.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import error_line, import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

from rnn_lib import reference, shapes  # noqa: E402

__all__ = [
    "BACKENDS",
    "FACTS",
    "Fact",
    "differences",
    "document",
    "load_and_compare",
    "observe",
    "portable_model",
    "render_page",
    "run_backend",
    "run_both",
    "save_portable",
]

#: The Keras backends compared, in the page's column order, with their column titles.
BACKENDS: dict[str, str] = {"tensorflow": "TensorFlow", "jax": "JAX"}

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4
KINDS = tuple(shapes.LAYER_KINDS)
ATOL = 1e-5
#: What every initializer is while a layer is built: weights are then set from NumPy (seeded).
ZEROS = {
    "kernel_initializer": "zeros",
    "recurrent_initializer": "zeros",
    "bias_initializer": "zeros",
}

# ----- the facts -----


@dataclass(frozen=True)
class Fact:
    """One fact the book states: ``check()`` returns what this process' Keras does.

    ``id`` is unique and stable (the key in the JSON documents), ``text`` says in a few words
    what is observed (Markdown), ``where`` is the link to the section that states it,
    ``(title, target)``, ``target`` relative to ``book/``.
    """

    id: str
    group: str
    text: str
    where: tuple[str, str]
    check: Callable[[], Any]


FACTS: dict[str, Fact] = {}

_CH = "../notebooks/{}.ipynb#{}"


def _where(chapter: str, anchor: str, title: str) -> tuple[str, str]:
    return (title, _CH.format(chapter, anchor))


def _fact(fact_id: str, group: str, text: str, where: tuple[str, str]):
    """Register ``check`` (a function of no arguments) as the fact ``fact_id``."""

    def register(check: Callable[[], Any]) -> Callable[[], Any]:
        if fact_id in FACTS:
            raise ValueError(f"fact_id: expected a new id, got {fact_id!r} twice")
        FACTS[fact_id] = Fact(fact_id, group, text, where, check)
        return check

    return register


def _variant(
    base_id: str, fact_id: str, text: str, where: tuple[str, str] | None = None, **arguments: Any
) -> None:
    """Register the check of ``base_id`` called with ``arguments`` as the fact ``fact_id``: in the
    same group, stated in the same section unless ``where`` says another."""
    base = FACTS[base_id]
    check = functools.partial(base.check, **arguments)
    _fact(fact_id, base.group, text, base.where if where is None else where)(check)


def _numpy(tensors: Any) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(t) for t in tensors]


def _close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=ATOL))


# ----- toy inputs and layers -----

#: (batch, time) masks: three rows post-padded to lengths 5, 3, 2, the same three pre-padded,
#: and a row with no valid step.
MASK = np.array(
    [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0],
     [1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1],
     [0, 0, 0, 0, 0]],
    dtype=bool,
)  # fmt: skip
POST, PRE, EMPTY = slice(0, 3), slice(3, 6), 6


def _inputs(mask: np.ndarray = MASK, seed: int = 0) -> np.ndarray:
    """``(batch, time, features)``: zeros at masked steps; row r's valid steps hold the same
    values in the same order, whatever its padding (rows 0-2 and 3-5 are the same sequences)."""
    values = np.random.default_rng(seed).normal(size=(BATCH, TIME, FEATURES))
    inputs = np.zeros((*mask.shape, FEATURES), "float32")
    for row, valid in enumerate(mask):
        inputs[row, valid] = values[row % BATCH, : valid.sum()]
    return inputs


def _seeded(layer: keras.layers.Layer, input_shape: tuple, seed: int = 1) -> keras.layers.Layer:
    """Build ``layer`` and set every weight from a seeded normal (biases too: not zeros)."""
    layer.build(input_shape)
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    return layer


def _layer(kind: str, batch: int | None = None, **options: Any) -> keras.layers.Layer:
    """``kind(4, **options)`` built on ``(batch, time, 2)``, seeded weights (by kind only)."""
    layer = shapes.make_layer(kind, UNITS, **ZEROS, **options)
    return _seeded(layer, (batch, None, FEATURES))


@functools.cache
def _full_layer(kind: str, **options: Any) -> keras.layers.Layer:
    """``_layer(kind, return_sequences=True, return_state=True, **options)``, built once."""
    return _layer(kind, return_sequences=True, return_state=True, **options)


@functools.cache
def _unmasked(kind: str, **options: Any) -> tuple[np.ndarray, ...]:
    """``(sequence, *states)`` of :func:`_full_layer` on the 7-row batch, no padding."""
    return tuple(_numpy(_full_layer(kind, **options)(_inputs(np.ones_like(MASK)))))


def _bidirectional(kind: str, merge_mode: str | None, **options: Any) -> keras.layers.Layer:
    layer = shapes.make_bidirectional(kind, UNITS, merge_mode, **ZEROS, **options)
    return _seeded(layer, (None, TIME, FEATURES))


def _start(kind: str, rows: int, value: float = 0.5) -> list[np.ndarray]:
    """An ``initial_state`` of ``value`` everywhere: ``[h, c]`` for an LSTM, else ``[h]``."""
    return [np.full((rows, UNITS), value, "float32")] * (2 if kind == "LSTM" else 1)


@functools.cache
def _masked(kind: str, start: float = 0.0, **options: Any) -> tuple[np.ndarray, ...]:
    """``(sequence, *states)`` of ``kind(return_sequences=True, return_state=True, **options)``
    on the 7-row batch with :data:`MASK`, from states ``start`` everywhere."""
    layer = _full_layer(kind, **options)
    return tuple(_numpy(layer(_inputs(), mask=MASK, initial_state=_start(kind, len(MASK), start))))


@functools.cache
def _alone(kind: str, **options: Any) -> tuple[dict[str, np.ndarray], ...]:
    """NumPy's recurrence (rnn_lib.reference) over each row's valid steps alone, from zeros."""
    layer = _full_layer(kind, **options)
    inputs = _inputs()
    return tuple(
        reference.reproduce(layer, inputs[row : row + 1, valid])
        for row, valid in enumerate(MASK[:EMPTY])
    )


def _codes(
    sequence: np.ndarray,
    mask: np.ndarray,
    *,
    start: np.ndarray | None = None,
    expected: np.ndarray | None = None,
) -> str:
    """One letter per step and row, rows separated by spaces, in the order Keras returned them.

    ``0`` zeros; ``v`` a valid step (equal to ``expected`` there, if given, else ``?``);
    at a masked step: ``s`` the ``initial_state`` ``h`` (``start``), ``r`` a repeat of the
    step before, ``?`` anything else.
    """
    rows = []
    for row in range(len(sequence)):
        letters = ""
        for step in range(sequence.shape[1]):
            value = sequence[row, step]
            if _close(value, np.zeros_like(value)):
                letters += "0"
            elif mask[row, step]:
                good = expected is None or _close(value, expected[row, step])
                letters += "v" if good else "?"
            elif start is not None and _close(value, start[row]):
                letters += "s"
            elif step > 0 and _close(value, sequence[row, step - 1]):
                letters += "r"
            else:
                letters += "?"
        rows.append(letters)
    return " ".join(rows)


def _expected_sequences(kind: str, **options: Any) -> np.ndarray:
    """The row-alone sequences of :func:`_alone` put back at each row's valid steps."""
    expected = np.zeros((EMPTY, TIME, UNITS), "float32")
    for row, alone in enumerate(_alone(kind, **options)):
        expected[row, MASK[row]] = alone["sequence"][0]
    return expected


def _nonzero(sequence: np.ndarray) -> str:
    """``0`` at a step of zeros, ``x`` elsewhere; rows separated by spaces."""
    return " ".join(
        "".join("0" if _close(step, np.zeros_like(step)) else "x" for step in row)
        for row in sequence
    )


# ----- what a call returns: every configuration of the shape reference -----

_REFERENCE = ("Shape reference", "shape_reference.md#{}")


def _stateless(check: Callable[[], Any]) -> Callable[[], Any]:
    """``check`` run in a ``keras.StatelessScope``: shapes need no initialised weights."""

    @functools.wraps(check)
    def run() -> Any:
        with keras.StatelessScope():
            return check()

    return run


def _returns(named: shapes.NamedOutputs) -> str:
    items = ", ".join(f"{name} {shape}" for name, shape in named.shapes.items())
    return items if named.container == "tensor" else f"{named.container}: {items}"


def _register_shapes() -> None:
    inputs = (BATCH, TIME, FEATURES)
    for kind, sequences, state in itertools.product(KINDS, (False, True), (False, True)):
        flags = f"return_sequences={sequences}, return_state={state}"

        def check(kind=kind, sequences=sequences, state=state):
            layer = shapes.make_layer(
                kind, UNITS, return_sequences=sequences, return_state=state, **ZEROS
            )
            return _returns(shapes.symbolic_named(layer, inputs))

        where = (_REFERENCE[0], _REFERENCE[1].format("simplernn-gru-and-lstm"))
        _fact(
            f"returns {kind} {flags}", "What a call returns", f"`{kind}({UNITS}, {flags})`", where
        )(_stateless(check))
    for kind, mode, sequences, state in itertools.product(
        KINDS, shapes.MERGE_MODES, (False, True), (False, True)
    ):
        flags = f"return_sequences={sequences}, return_state={state}"

        def check(kind=kind, mode=mode, sequences=sequences, state=state):
            layer = shapes.make_bidirectional(
                kind, UNITS, mode, return_sequences=sequences, return_state=state, **ZEROS
            )
            return _returns(shapes.symbolic_named(layer, inputs))

        where = (_REFERENCE[0], _REFERENCE[1].format("bidirectional"))
        _fact(
            f"returns Bidirectional({kind}) merge_mode={mode!r} {flags}",
            "What a call returns",
            f"`Bidirectional({kind}({UNITS}, {flags}), merge_mode={mode!r})`",
            where,
        )(_stateless(check))
    spatial = {"ConvLSTM1D": (8,), "ConvLSTM2D": (8, 9), "ConvLSTM3D": (12, 8, 9)}
    for kind, padding, sequences, state in shapes.CONV_LSTM_CONFIGURATIONS:
        shape = (BATCH, TIME, *spatial[kind], FEATURES)
        flags = f"padding={padding!r}, return_sequences={sequences}, return_state={state}"

        def check(kind=kind, padding=padding, sequences=sequences, state=state, shape=shape):
            layer = shapes.make_layer(
                kind,
                UNITS,
                return_sequences=sequences,
                return_state=state,
                kernel_size=3,
                padding=padding,
                **ZEROS,
            )
            return _returns(shapes.symbolic_named(layer, shape))

        where = (_REFERENCE[0], _REFERENCE[1].format("convlstm1d-convlstm2d-and-convlstm3d"))
        _fact(
            f"returns {kind} {flags}",
            "What a call returns",
            f"`{kind}({UNITS}, kernel_size=3, {flags})` on {shape}",
            where,
        )(_stateless(check))
    for kind in KINDS:

        def check(kind=kind):
            from rnn_lib.seq2seq import concat_bidirectional_states

            source = keras.KerasTensor(inputs, dtype="float32")
            target = keras.KerasTensor((BATCH, TIME + 1, FEATURES), dtype="float32")
            encoder = shapes.make_bidirectional(kind, UNITS, "concat", return_state=True, **ZEROS)
            joined = concat_bidirectional_states(list(encoder(source))[1:])
            decoder = shapes.make_layer(kind, 2 * UNITS, return_sequences=True, **ZEROS)
            returned = decoder(target, initial_state=joined)
            return f"states {[tuple(s.shape) for s in joined]}, sequence {tuple(returned.shape)}"

        where = (_REFERENCE[0], _REFERENCE[1].format("encoder-to-decoder"))
        _fact(
            f"returns encoder Bidirectional({kind}) to decoder {kind}({2 * UNITS})",
            "What a call returns",
            f"`Bidirectional({kind})` states joined for `{kind}({2 * UNITS})`, its sequence",
            where,
        )(_stateless(check))
    for name, scores in itertools.product(("Attention", "AdditiveAttention"), (False, True)):

        def check(name=name, scores=scores):
            query = keras.KerasTensor((BATCH, TIME + 1, UNITS), dtype="float32")
            value = keras.KerasTensor((BATCH, TIME, UNITS), dtype="float32")
            layer = getattr(keras.layers, name)()
            returned = layer([query, value], return_attention_scores=scores)
            if scores:
                return f"{type(returned).__name__}: {[tuple(t.shape) for t in returned]}"
            return f"tensor {tuple(returned.shape)}"

        where = (_REFERENCE[0], _REFERENCE[1].format("encoder-to-decoder"))
        _fact(
            f"returns {name} return_attention_scores={scores}",
            "What a call returns",
            f"`{name}()([query, value], return_attention_scores={scores})`",
            where,
        )(_stateless(check))


_register_shapes()

# ----- outputs and state (chapter 01) -----

_C01 = "01_outputs_vs_state"
_C02 = "02_padding_and_masking"
_C04 = "04_bidirectional_merges"
_C08 = "08_inside_the_cell"
_C09 = "09_stateful_and_chunks"
_C12 = "12_cells_wrappers_and_options"

for _kind in KINDS:

    @_fact(
        f"return_state order {_kind}",
        "Outputs and state",
        f"`{_kind}(return_sequences=True, return_state=True)`: the container, and each "
        "returned tensor named by its value (NumPy's recurrence)",
        _where(
            _C01, "return_statetrue-a-tuple-with-the-final-state-appended", "01 Outputs vs state"
        ),
    )
    def _return_state_order(kind=_kind):
        layer = _layer(kind, return_sequences=True, return_state=True)
        inputs = _inputs(np.ones_like(MASK))  # no padding
        returned = layer(inputs)  # not cached: its container is observed
        numbers = reference.reproduce(layer, inputs)
        names = []
        for tensor in _numpy(returned):
            found = [name for name, value in numbers.items() if _close(tensor, value)]
            names.append(found[0] if found else "?")
        return f"{type(returned).__name__}: {', '.join(names)}"

    @_fact(
        f"default output with a mask {_kind}",
        "Outputs and state",
        f"`{_kind}(return_state=True)` from `initial_state` 0.5, masked: per row (post 5, 3, "
        "2; pre 5, 3, 2; no valid step), is the default output `h` (`h`) or zeros (`0`)?",
        _where(_C01, "when-the-last-output-is-not-h", "01 Outputs vs state"),
    )
    def _default_output(kind=_kind, zero_output_for_mask=False, unroll=False):
        layer = _layer(
            kind, return_state=True, zero_output_for_mask=zero_output_for_mask, unroll=unroll
        )
        output, h, *_ = _numpy(layer(_inputs(), mask=MASK, initial_state=_start(kind, len(MASK))))
        letters = []
        for row in range(len(MASK)):
            if _close(output[row], h[row]):
                letters.append("h")
            else:
                letters.append("0" if _close(output[row], 0 * output[row]) else "?")
        return " ".join(letters)

    _base = f"default output with a mask {_kind}"
    _variant(
        _base,
        f"default output with zero_output_for_mask {_kind}",
        "The same with `zero_output_for_mask=True`",
        _where(_C02, "zero_output_for_masktrue", "02 Padding and masking"),
        zero_output_for_mask=True,
    )
    _variant(_base, f"default output with a mask unroll {_kind}", "The same with `unroll=True`",
             unroll=True)  # fmt: skip

    @_fact(
        f"go_backwards {_kind}",
        "Outputs and state",
        f"`{_kind}(go_backwards=True, return_sequences=True)`: the sequence is NumPy's "
        "recurrence over the reversed input, in processing order",
        _where(_C01, "go_backwards-the-sequence-comes-out-reversed", "01 Outputs vs state"),
    )
    def _go_backwards(kind=_kind):
        layer = _layer(kind, return_sequences=True, return_state=True, go_backwards=True)
        inputs = _inputs(np.ones_like(MASK))
        sequence = _numpy(layer(inputs))[0]
        return _close(sequence, reference.reproduce(layer, inputs)["sequence"])

    @_fact(
        f"state between calls {_kind}",
        "Outputs and state",
        f"`{_kind}` called twice on the same batch: the same output both times "
        "(stateless); with `stateful=True`, a different second output?",
        _where(_C01, "state-between-calls", "01 Outputs vs state"),
    )
    def _state_between_calls(kind=_kind):
        inputs = _inputs(np.ones_like(MASK))
        plain = _layer(kind)
        stateful = _layer(kind, batch=len(MASK), stateful=True)
        same = _close(*_numpy([plain(inputs), plain(inputs)]))
        first, second = _numpy([stateful(inputs), stateful(inputs)])
        return {"stateless same": same, "stateful differs": not _close(first, second)}


# ----- padding and masking (chapter 02) -----

for _kind in KINDS:
    _LEGEND = "per row: `v` valid, `r` repeats the step before, `0` zeros, `s` the initial `h`"

    @_fact(
        f"masked steps post {_kind}",
        "Masks",
        f"`{_kind}` sequence, post-padded rows 5, 3, 2, masked, from zeros; {_LEGEND} "
        "(`v`: equal to the row run alone)",
        _where(_C02, "with-a-mask-the-layer-skips-the-padding", "02 Padding and masking"),
    )
    def _masked_post(kind=_kind, rows=POST):
        sequence = _masked(kind)[0]
        expected = _expected_sequences(kind)
        return _codes(sequence[rows], MASK[rows], expected=expected[rows])

    _variant(
        f"masked steps post {_kind}",
        f"masked steps pre {_kind}",
        "The same, pre-padded",
        _where(_C02, "pre-padding-with-a-mask", "02 Padding and masking"),
        rows=PRE,
    )

    @_fact(
        f"masked steps pre from initial_state {_kind}",
        "Masks",
        "The same, pre-padded, from `initial_state` 0.5: the masked steps before the first "
        "valid one",
        _where(_C02, "pre-padding-with-a-mask", "02 Padding and masking"),
    )
    def _masked_pre_start(kind=_kind, unroll=False, zero_output_for_mask=False):
        options = {"unroll": unroll, "zero_output_for_mask": zero_output_for_mask}
        options = {name: value for name, value in options.items() if value}  # one cache key
        sequence = _masked(kind, start=0.5, **options)[0]
        start = _start(kind, len(MASK))[0]
        return _codes(sequence[PRE], MASK[PRE], start=start[PRE])

    _base = f"masked steps pre from initial_state {_kind}"
    _variant(_base, f"masked steps pre from initial_state unroll {_kind}",
             "The same with `unroll=True`", unroll=True)  # fmt: skip
    _variant(_base, f"masked steps pre from initial_state zero_output_for_mask {_kind}",
             "The same with `zero_output_for_mask=True` (the loop)",
             zero_output_for_mask=True)  # fmt: skip

    @_fact(
        f"state with a mask is the row alone {_kind}",
        "Masks",
        f"`{_kind}` masked, post and pre: each row's final states equal NumPy's recurrence "
        "over its valid steps alone",
        _where(_C02, "with-a-mask-the-layer-skips-the-padding", "02 Padding and masking"),
    )
    def _state_alone(kind=_kind):
        _, *states = _masked(kind)
        alone = _alone(kind)
        names = ["h", "c"][: len(states)]
        return all(
            _close(state[row], alone[row][name][0])
            for row in range(EMPTY)
            for name, state in zip(names, states, strict=True)
        )

    @_fact(
        f"zero_output_for_mask post {_kind}",
        "Masks",
        f"`{_kind}(zero_output_for_mask=True)` sequence, post-padded rows; {_LEGEND}",
        _where(_C02, "zero_output_for_masktrue", "02 Padding and masking"),
    )
    def _zero_output(kind=_kind, rows=POST):
        sequence = _masked(kind, zero_output_for_mask=True)[0]
        return _codes(sequence[rows], MASK[rows], expected=_expected_sequences(kind)[rows])

    _variant(f"zero_output_for_mask post {_kind}", f"zero_output_for_mask pre {_kind}",
             "The same, pre-padded", rows=PRE)  # fmt: skip

    @_fact(
        f"zero_output_for_mask unroll {_kind}",
        "Masks",
        f"`{_kind}(zero_output_for_mask=True, unroll=True)`, post-padded rows",
        _where(_C02, "zero_output_for_masktrue", "02 Padding and masking"),
    )
    def _zero_output_unrolled(kind=_kind):
        sequence = _masked(kind, zero_output_for_mask=True, unroll=True)[0]
        return _codes(sequence[POST], MASK[POST])

    @_fact(
        f"zero_output_for_mask unroll go_backwards {_kind}",
        "Masks",
        f"`{_kind}(zero_output_for_mask=True, unroll=True, go_backwards=True)`, post-padded "
        "rows, in processing order",
        _where(_C02, "zero_output_for_masktrue", "02 Padding and masking"),
    )
    def _zero_output_unrolled_backwards(kind=_kind):
        options = {"zero_output_for_mask": True, "unroll": True, "go_backwards": True}
        sequence = _masked(kind, **options)[0]
        return _codes(sequence[POST], MASK[POST][:, ::-1])

    @_fact(
        f"mask after go_backwards {_kind}",
        "Masks",
        f"The mask `{_kind}(go_backwards=True, return_sequences=True)` passes on: "
        "the input's, or reversed?",
        _where(_C02, "go_backwards-a-sequence-in-reversed-time-order", "02 Padding and masking"),
    )
    def _mask_after_go_backwards(kind=_kind):
        layer = _layer(kind, return_sequences=True, go_backwards=True)
        passed = layer.compute_mask(keras.ops.convert_to_tensor(_inputs()), MASK)
        passed = keras.ops.convert_to_numpy(passed)
        if np.array_equal(passed, MASK):
            return "the input's mask"
        return "reversed" if np.array_equal(passed, MASK[:, ::-1]) else "other"


@_fact(
    "global pooling and the mask",
    "Masks",
    "Given the mask, does `GlobalAveragePooling1D` average the valid steps only? Does "
    "`GlobalMaxPooling1D.call` take a mask at all?",
    _where("05_custom_layers", "globalmaxpooling1d-does-not-read-the-mask", "05 Custom layers"),
)
def _pooling() -> dict[str, bool]:
    import inspect

    sequence = _inputs()[:EMPTY] + 3.0  # (6, 5, 2), no zeros: padding would count
    mask = MASK[:EMPTY]
    average = keras.layers.GlobalAveragePooling1D()(sequence, mask=mask)
    valid_mean = np.stack([sequence[row, mask[row]].mean(axis=0) for row in range(EMPTY)])
    maximum = keras.layers.GlobalMaxPooling1D()
    return {
        "average of the valid steps": _close(keras.ops.convert_to_numpy(average), valid_mean),
        "GlobalMaxPooling1D.call takes a mask": "mask"
        in inspect.signature(maximum.call).parameters,
    }


# ----- Bidirectional (chapter 04) -----


@functools.cache
def _bidirectional_run(kind: str, merge_mode: str | None, **options: Any) -> tuple:
    """``Bidirectional(kind(return_sequences=True, return_state=True))`` on the masked batch."""
    layer = _bidirectional(kind, merge_mode, return_sequences=True, return_state=True, **options)
    return tuple(_numpy(layer(_inputs(), mask=MASK)))


for _kind in KINDS:

    @_fact(
        f"Bidirectional masked steps {_kind}",
        "Bidirectional",
        f"`Bidirectional({_kind}, merge_mode=None, return_sequences=True)`, masked, rows "
        "post 5, 3, 2 then pre 5, 3, 2: `0` zeros, `x` not",
        _where(_C04, "why-the-masked-steps-are-zeros", "04 Bidirectional"),
    )
    def _bidirectional_masked(kind=_kind):
        forward, backward = _bidirectional_run(kind, None)[:2]
        return {"forward": _nonzero(forward[:EMPTY]), "backward": _nonzero(backward[:EMPTY])}

    @_fact(
        f"Bidirectional final steps {_kind}",
        "Bidirectional",
        "The same layer: the step where each direction's final `h` sits in its sequence, per row",
        _where(_C04, "where-each-directions-final-step-sits", "04 Bidirectional"),
    )
    def _final_steps(kind=_kind):
        forward, backward, *states = _bidirectional_run(kind, None)
        forward_h, backward_h = states[0], states[len(states) // 2]

        def step(sequence, h, row):
            found = [t for t in range(TIME) if _close(sequence[row, t], h[row])]
            return found[0] if len(found) == 1 else found

        rows = range(EMPTY)
        return {
            "forward": [step(forward, forward_h, row) for row in rows],
            "backward": [step(backward, backward_h, row) for row in rows],
        }

    @_fact(
        f"Bidirectional default output {_kind}",
        "Bidirectional",
        f"`Bidirectional({_kind}, return_state=True)`, masked: the default output is the "
        "forward and backward final `h` side by side",
        _where(_C04, "the-summary-of-a-whole-sequence", "04 Bidirectional"),
    )
    def _bidirectional_default(kind=_kind):
        layer = _bidirectional(kind, "concat", return_state=True)
        output, *states = _numpy(layer(_inputs(), mask=MASK))
        forward_h, backward_h = states[0], states[len(states) // 2]
        return _close(output, np.concatenate([forward_h, backward_h], axis=-1))

    @_fact(
        f"Bidirectional state order {_kind}",
        "Bidirectional",
        f"`Bidirectional({_kind}, return_state=True)`: each returned state named by its "
        "value (NumPy's recurrence of each direction)",
        _where(_C04, "the-state-order-shown", "04 Bidirectional"),
    )
    def _bidirectional_state_order(kind=_kind):
        layer = _bidirectional(kind, "concat", return_state=True)
        inputs = _inputs(np.ones_like(MASK))
        _, *states = _numpy(layer(inputs))
        numbers = {
            f"forward_{name}": value
            for name, value in reference.reproduce(layer.forward_layer, inputs).items()
        }
        numbers |= {
            f"backward_{name}": value
            for name, value in reference.reproduce(layer.backward_layer, inputs).items()
        }
        names = []
        for state in states:
            found = [
                name
                for name, value in numbers.items()
                if "sequence" not in name and _close(state, value)
            ]
            names.append(found[0] if found else "?")
        return names


for _mode in ("concat", "sum", "ave", "mul"):

    @_fact(
        f"Bidirectional masked steps merge_mode={_mode!r}",
        "Bidirectional",
        f"`Bidirectional(LSTM, merge_mode={_mode!r}, return_sequences=True)`, masked: "
        "`0` zeros, `x` not",
        _where(_C04, "why-the-masked-steps-are-zeros", "04 Bidirectional"),
    )
    def _bidirectional_masked_mode(mode=_mode):
        return _nonzero(_bidirectional_run("LSTM", mode)[0][:EMPTY])


@_fact(
    "Bidirectional unroll masked steps",
    "Bidirectional",
    "`Bidirectional(LSTM, merge_mode=None, return_sequences=True, unroll=True)`, masked: "
    "`0` zeros, `x` not",
    _where(_C04, "unrolltrue-zeros-at-the-wrong-backward-steps", "04 Bidirectional"),
)
def _bidirectional_unrolled() -> dict[str, str]:
    forward, backward = _bidirectional_run("LSTM", None, unroll=True)[:2]
    return {"forward": _nonzero(forward[:EMPTY]), "backward": _nonzero(backward[:EMPTY])}


def _lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, weights: list) -> tuple:
    """One LSTM step in NumPy (gates i, f, c, o): the new ``(h, c)``."""
    kernel, recurrent, bias = weights
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def _initial_state_roles(layer_weights: list[list], initial: list, returned: list) -> str:
    """Which entry of ``initial`` each direction used as ``h`` and as ``c``, found by trying
    every assignment with NumPy's LSTM step; ``returned`` is the states Keras returned."""
    x = _inputs()[:BATCH, 0]  # one step
    directions = ["forward", "backward"][: len(layer_weights)]
    for order in itertools.permutations(range(len(initial))):
        ok = True
        for index, weights in enumerate(layer_weights):
            h_at, c_at = order[2 * index : 2 * index + 2]
            h, c = _lstm_step(x, initial[h_at], initial[c_at], weights)
            ok &= _close(h, returned[2 * index]) and _close(c, returned[2 * index + 1])
        if ok:
            roles = {}
            for index, direction in enumerate(directions):
                prefix = "" if len(directions) == 1 else f"{direction}_"
                roles[order[2 * index]] = f"{prefix}h"
                roles[order[2 * index + 1]] = f"{prefix}c"
            return "[" + ", ".join(roles[i] for i in range(len(initial))) + "]"
    return "no assignment matches"


@_fact(
    "initial_state order LSTM",
    "Outputs and state",
    "`LSTM(return_state=True)` one step from `initial_state=[a, b]`: which is `h`, which `c` "
    "(NumPy's LSTM step)",
    _where(
        "06_stacked_and_encoder_decoder",
        "an-encoder-decoder-with-lstm-handing-over-h-c",
        "06 Stacked, encoder-decoder",
    ),
)
def _initial_state_order() -> str:
    layer = _layer("LSTM", return_state=True)
    initial = [np.full((BATCH, UNITS), value, "float32") for value in (0.3, -0.7)]
    _, *returned = _numpy(layer(_inputs()[:BATCH, :1], initial_state=initial))
    return _initial_state_roles([layer.get_weights()], initial, returned)


@_fact(
    "Bidirectional initial_state order",
    "Bidirectional",
    "`Bidirectional(LSTM, return_state=True)` one step from `initial_state=[a, b, c, d]`: "
    "what each entry is (NumPy's LSTM step)",
    _where(_C04, "initial_state-for-a-bidirectional-layer", "04 Bidirectional"),
)
def _bidirectional_initial_state_order() -> str:
    layer = _bidirectional("LSTM", "concat", return_state=True)
    initial = [np.full((BATCH, UNITS), v, "float32") for v in (0.3, -0.7, 0.9, -0.2)]
    _, *returned = _numpy(layer(_inputs()[:BATCH, :1], initial_state=initial))
    weights = [layer.forward_layer.get_weights(), layer.backward_layer.get_weights()]
    return _initial_state_roles(weights, initial, returned)


# ----- inside the cell (chapter 08) -----

_COUNTED = {
    "SimpleRNN": ("SimpleRNN", {}),
    "GRU": ("GRU", {}),
    "GRU(reset_after=False)": ("GRU", {"reset_after": False}),
    "LSTM": ("LSTM", {}),
}

for _name, (_kind, _options) in _COUNTED.items():

    @_fact(
        f"weights {_name}",
        "Inside the cell",
        f"`{_name.replace(')', ', ') if '(' in _name else _name + '('}units={UNITS})` on "
        f"{FEATURES} features: the weight shapes, and `count_params()`",
        _where(_C08, "parameter-counts-explained", "08 Inside the cell"),
    )
    def _weights(kind=_kind, options=_options):
        layer = _layer(kind, **options)
        return {
            "shapes": [list(w.shape) for w in layer.get_weights()],
            "count_params": layer.count_params(),
        }

    @_fact(
        f"numbers equal NumPy {_name}",
        "Inside the cell",
        f"`{_name}` sequence and states equal NumPy's recurrence (rnn_lib.reference)",
        _where(_C08, "the-weights-keras-stores", "08 Inside the cell"),
    )
    def _numbers(kind=_kind, options=_options):
        returned = _unmasked(kind, **options)
        expected = reference.reproduce(_full_layer(kind, **options), _inputs(np.ones_like(MASK)))
        return all(_close(a, b) for a, b in zip(returned, expected.values(), strict=True))


@_fact(
    "parameters Bidirectional and ConvLSTM2D",
    "Inside the cell",
    f"`count_params()` of `Bidirectional(LSTM({UNITS}))` and of "
    f"`ConvLSTM2D({UNITS}, kernel_size=3)`, on {FEATURES} features or channels",
    ("Shape explorer", "explorer.md"),
)
def _more_parameters() -> dict[str, int]:
    bidirectional = _bidirectional("LSTM", "concat")
    conv = shapes.make_layer("ConvLSTM2D", UNITS, kernel_size=3, **ZEROS)
    conv.build((None, TIME, 8, 9, FEATURES))
    return {
        "Bidirectional(LSTM)": bidirectional.count_params(),
        "ConvLSTM2D": conv.count_params(),
    }


# ----- stateful layers and chunks (chapter 09) -----


def _chunks(inputs: np.ndarray) -> list[np.ndarray]:
    return [inputs[:, :2], inputs[:, 2:]]


for _kind in KINDS:

    @_fact(
        f"chunks by hand {_kind}",
        "Stateful and chunks",
        f"`{_kind}` on chunks of 2 + 3 steps, each from the last chunk's final states: "
        "the same outputs and states as one call",
        _where(_C09, "carrying-the-state-by-hand", "09 Stateful and chunks"),
    )
    def _by_hand(kind=_kind):
        layer = _full_layer(kind)
        inputs = _inputs(np.ones_like(MASK))
        whole, *whole_states = _unmasked(kind)
        outputs, states = [], None
        for chunk in _chunks(inputs):
            sequence, *states = layer(chunk, initial_state=states)
            outputs.append(keras.ops.convert_to_numpy(sequence))
        same_states = all(_close(a, b) for a, b in zip(_numpy(states), whole_states, strict=True))
        return _close(np.concatenate(outputs, axis=1), whole) and same_states

    @_fact(
        f"stateful {_kind}",
        "Stateful and chunks",
        f"`{_kind}(stateful=True)` on chunks of 2 + 3 steps: equal to one call; after "
        "`reset_state()`, equal again",
        _where(
            _C09,
            "stateful-chunks-chunks-by-hand-one-call-the-same-numbers",
            "09 Stateful and chunks",
        ),
    )
    def _stateful(kind=_kind):
        inputs = _inputs(np.ones_like(MASK))
        whole = _unmasked(kind)[0]
        stateful = _layer(kind, batch=len(MASK), return_sequences=True, stateful=True)
        observed = {}
        for label in ("chunks equal one call", "after reset_state() too"):
            outputs = _numpy([stateful(chunk) for chunk in _chunks(inputs)])
            observed[label] = _close(np.concatenate(outputs, axis=1), whole)
            stateful.reset_state()
        return observed

    @_fact(
        f"rows are independent {_kind}",
        "Stateful and chunks",
        f"`{_kind}` without `stateful`: row 1's outputs and states stay the same when the "
        "other rows change",
        _where(_C09, "stateless-every-call-starts-from-zeros", "09 Stateful and chunks"),
    )
    def _rows_independent(kind=_kind):
        inputs = _inputs(np.ones_like(MASK))
        others = _inputs(np.ones_like(MASK), seed=9)
        others[1] = inputs[1]
        together, changed = _unmasked(kind), _numpy(_full_layer(kind)(others))
        return all(_close(a[1], b[1]) for a, b in zip(together, changed, strict=True))


@_fact(
    "Model.reset_states",
    "Stateful and chunks",
    "Does `keras.Model` have a `reset_states` method?",
    _where(
        _C09,
        "what-replaced-keras-2s-batch_input_shape-and-modelreset_states",
        "09 Stateful and chunks",
    ),
)
def _model_reset_states() -> bool:
    return hasattr(keras.Model, "reset_states")


@_fact(
    "stateful short last batch",
    "Stateful and chunks",
    "A model with `LSTM(stateful=True)` on batches of 3, given 10 rows (a last batch of 1) or "
    "11 (a last batch of 2): rows `predict` returns, or what it raises; then `evaluate` and "
    "`fit` on 10 rows (a new model for each call)",
    _where(
        _C09, "whole-batches-only-a-smaller-last-batch-is-not-refused", "09 Stateful and chunks"
    ),
)
def _stateful_short_batch() -> dict[str, int | str]:
    rng = np.random.default_rng(4)
    rows = rng.normal(size=(11, TIME, FEATURES)).astype("float32")
    targets = np.zeros((11, UNITS), "float32")

    def model() -> keras.Model:
        inputs = keras.Input(batch_shape=(BATCH, TIME, FEATURES))
        built = keras.Model(inputs, _layer("LSTM", batch=BATCH, stateful=True)(inputs))
        built.compile(optimizer="sgd", loss="mse")
        return built

    calls = {
        "predict, 10 rows": lambda: model().predict(rows[:10], batch_size=BATCH, verbose=0),
        "predict, 11 rows": lambda: model().predict(rows, batch_size=BATCH, verbose=0),
        "evaluate, 10 rows": lambda: model().evaluate(
            rows[:10], targets[:10], batch_size=BATCH, verbose=0
        ),
        "fit, 10 rows": lambda: model().fit(
            rows[:10], targets[:10], batch_size=BATCH, verbose=0, shuffle=False
        ),
    }
    observed: dict[str, int | str] = {}
    with _compiled():
        for name, call in calls.items():
            try:
                result = call()
            except Exception as error:  # what is raised is the observation
                observed[name] = f"raises {type(error).__name__}"
                continue
            if name.startswith("predict"):
                observed[name] = f"{len(result)} rows"
            else:
                observed[name] = "runs"
    return observed


# ----- a decoder handed states; cells and options (chapters 10, 12) -----

for _kind in KINDS:

    @_fact(
        f"too many states {_kind}",
        "Cells and options",
        f"`{_kind}(return_sequences=True)` called with one more `initial_state` than its cell "
        "keeps, without a mask",
        _where(
            "10_encoder_decoder_beyond_one_layer",
            "a-bidirectional-encoder-and-a-one-direction-decoder",
            "10 Encoder-decoder",
        ),
    )
    def _too_many_states(kind=_kind, masked=False, unroll=False):
        keeps = 2 if kind == "LSTM" else 1
        rng = np.random.default_rng(2)
        states = [rng.normal(size=(len(MASK), UNITS)).astype("float32") for _ in range(keeps + 1)]
        layer = _layer(kind, return_sequences=True, unroll=unroll)
        inputs = _inputs(MASK if masked else np.ones_like(MASK))
        mask = MASK if masked else None
        try:
            with _compiled():  # as a user's call runs: op by op, JAX would not check the states
                handed = layer(inputs, mask=mask, initial_state=states)
                handed = keras.ops.convert_to_numpy(handed)
        except Exception as error:  # what is raised is the observation
            return f"raises {type(error).__name__}"
        own = keras.ops.convert_to_numpy(layer(inputs, mask=mask, initial_state=states[:keeps]))
        return "ignores the extra state" if _close(handed, own) else "uses the extra state"

    _base = f"too many states {_kind}"
    _variant(_base, f"too many states masked {_kind}", "The same with a mask", masked=True)
    _variant(_base, f"too many states unroll {_kind}",
             "The same with `unroll=True`, without a mask", unroll=True)  # fmt: skip

    @_fact(
        f"cell in RNN {_kind}",
        "Cells and options",
        f"`RNN({_kind}Cell)` with the same weights, masked: the same sequence and states as "
        f"`{_kind}`",
        _where(_C12, "rnnlstmcelln-is-lstmn", "12 Cells and options"),
    )
    def _cell_in_rnn(kind=_kind):
        cell = getattr(keras.layers, f"{kind}Cell")(UNITS, **ZEROS)
        wrapped = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        wrapped.build((None, TIME, FEATURES))
        wrapped.set_weights(_layer(kind).get_weights())
        returned = _numpy(wrapped(_inputs(), mask=MASK))
        return all(_close(a, b) for a, b in zip(returned, _masked(kind), strict=True))

    @_fact(
        f"unroll equals loop {_kind}",
        "Cells and options",
        f"`{_kind}(unroll=True)`, masked: the same sequence and states as the loop",
        _where(_C12, "unrolltrue", "12 Cells and options"),
    )
    def _unrolled(kind=_kind):
        unrolled = _masked(kind, unroll=True)
        return all(_close(a, b) for a, b in zip(unrolled, _masked(kind), strict=True))

    @_fact(
        f"unroll equals loop from initial_state {_kind}",
        "Cells and options",
        "The same from `initial_state` 0.5: is the sequence the same? the states?",
        _where(_C12, "unrolltrue", "12 Cells and options"),
    )
    def _unrolled_from_start(kind=_kind):
        unrolled, looped = _masked(kind, start=0.5, unroll=True), _masked(kind, start=0.5)
        return {
            "sequence": _close(unrolled[0], looped[0]),
            "states": all(_close(a, b) for a, b in zip(unrolled[1:], looped[1:], strict=True)),
        }


def _structure(value: Any) -> str:
    """``tuple [tensor (3, 4), list [tensor (3, 4)]]``: containers and shapes, nested."""
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} [{', '.join(_structure(v) for v in value)}]"
    return f"tensor {tuple(value.shape)}"


@_fact(
    "list of cells",
    "Cells and options",
    "`RNN([SimpleRNNCell(4), LSTMCell(4)], return_state=True)`: what a call returns",
    _where(_C12, "a-list-of-cells-rnncell-cell", "12 Cells and options"),
)
def _list_of_cells() -> str:
    cells = [keras.layers.SimpleRNNCell(UNITS, **ZEROS), keras.layers.LSTMCell(UNITS, **ZEROS)]
    layer = keras.layers.RNN(cells, return_state=True)
    return _structure(layer(_inputs(np.ones_like(MASK))))


@_fact(
    "return_state in a Sequential",
    "Cells and options",
    "`Sequential([Input, LSTM(4, return_state=True), Dense(1)])`: what happens",
    _where(_C12, "return_statetrue-inside-a-sequential-model", "12 Cells and options"),
)
def _sequential_return_state() -> str:
    try:
        keras.Sequential(
            [
                keras.Input((TIME, FEATURES)),
                keras.layers.LSTM(UNITS, return_state=True, **ZEROS),
                keras.layers.Dense(1),
            ]
        )
    except Exception as error:  # what is raised is the observation
        return f"raises {type(error).__name__}"
    return "builds"


# ----- portability: saved on one backend, loaded on the other -----


def portable_model(seed: int = 5) -> keras.Model:
    """Input ``(batch, 5, 2)`` -> Masking -> Bidirectional(LSTM) -> GRU, then rnn_lib's layers.

    Five outputs: ``ZeroMaskedSteps`` of the GRU's sequence ``(batch, 5, 4)``, then
    ``MaskedTimeAverage``, ``LastValidStep``, ``AttentionPooling`` of it and a
    ``SimpleRNN``'s final output, each ``(batch, 4)``. Weights are set from NumPy (``seed``).
    """
    from rnn_lib.layers import AttentionPooling, LastValidStep, MaskedTimeAverage, ZeroMaskedSteps

    seed = _checks.non_negative_int("seed", seed)
    inputs = keras.Input((TIME, FEATURES))
    masked = keras.layers.Masking(0.0)(inputs)
    both = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True, **ZEROS))
    sequence = keras.layers.GRU(UNITS, return_sequences=True, **ZEROS)(both(masked))
    outputs = [
        ZeroMaskedSteps()(sequence),
        MaskedTimeAverage()(sequence),
        LastValidStep()(sequence),
        AttentionPooling(attention_units=3)(sequence),
        keras.layers.SimpleRNN(UNITS, **ZEROS)(sequence),
    ]
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]
    )
    return model


def _portable_inputs() -> np.ndarray:
    return _inputs()[:EMPTY]  # (6, 5, 2), zeros at the padded steps: Masking(0.0) finds them


def save_portable(folder: str | os.PathLike, backend: str) -> Path:
    """Save :func:`portable_model` as ``folder/<backend>.keras``, with its inputs and outputs
    (``folder/<backend>.npz``), then write ``folder/<backend>.ready``; returns the model path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder: expected an existing folder, got {str(folder)!r}")
    backend = _check_backend(backend)
    model = portable_model()
    inputs = _portable_inputs()
    with _compiled():
        outputs = model.predict(inputs, verbose=0)
    path = folder / f"{backend}.keras"
    model.save(path)
    np.savez(folder / f"{backend}.npz", *outputs, inputs=inputs)
    (folder / f"{backend}.ready").write_text("ready\n")
    return path


def load_and_compare(folder: str | os.PathLike, saved_on: str) -> dict[str, Any]:
    """Load ``folder/<saved_on>.keras`` here and run it on the inputs saved with it.

    Returns ``{"saved on", "loaded on", "outputs", "allclose", "max abs difference"}``:
    ``allclose`` is ``np.allclose`` of every output against the outputs saved with the model
    (``rtol=1e-5``, ``atol=1e-6``), the difference rounded to 5 decimals.
    """
    import rnn_lib.layers  # noqa: F401  (registers rnn_lib's layers for loading)

    folder = Path(folder)
    saved_on = _check_backend(saved_on)
    path = folder / f"{saved_on}.keras"
    if not path.is_file():
        raise ValueError(f"folder: expected {path.name} in it, got {sorted(os.listdir(folder))}")
    stored = np.load(folder / f"{saved_on}.npz")
    expected = [stored[f"arr_{index}"] for index in range(len(stored.files) - 1)]
    model = keras.saving.load_model(path)
    with _compiled():
        outputs = model.predict(stored["inputs"], verbose=0)
    differences = [float(np.max(np.abs(a - b))) for a, b in zip(outputs, expected, strict=True)]
    return {
        "saved on": saved_on,
        "loaded on": keras.backend.backend(),
        "outputs": [list(output.shape) for output in outputs],
        "allclose": all(
            np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(outputs, expected, strict=True)
        ),
        "max abs difference": round(max(differences), 5),
    }


def _wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path.name} after {timeout:.0f} s: did the other process fail?")
        time.sleep(0.05)


# ----- one process: every fact -----


@contextlib.contextmanager
def _compiled() -> Iterator[None]:
    """Inside :func:`_facts_mode`'s op-by-op block, compile again (``predict`` runs compiled)."""
    if keras.backend.backend() != "jax":
        yield
        return
    import jax

    with jax.disable_jit(False):
        yield


@contextlib.contextmanager
def _facts_mode(compiled: bool) -> Iterator[None]:
    """On JAX, unless ``compiled``: every call op by op (the same code, not compiled)."""
    if compiled or keras.backend.backend() != "jax":
        yield
        return
    import jax

    with jax.disable_jit():
        yield


def _check_backend(backend: Any) -> str:
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {list(BACKENDS)}, got {backend!r}")
    return backend


def _imports_tensorflow() -> bool:
    """Whether ``import tensorflow`` succeeds in this process (not in the JAX one: see _command)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _versions() -> dict[str, str]:
    import importlib.metadata

    backend = keras.backend.backend()
    names = ["keras", "tensorflow"] if backend == "tensorflow" else ["keras", "jax", "jaxlib"]
    return {name: importlib.metadata.version(name) for name in names}


def _jsonable(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists, NumPy scalars plain)."""
    return json.loads(json.dumps(value, default=lambda v: v.item()))


def observe(ids: Any = None, compiled: bool = False) -> dict[str, Any]:
    """Run the facts ``ids`` (all by default) in this process: ``{fact id: observed value}``.

    A fact whose check raises is observed as ``"raises <ExceptionType>: <first line>"``.
    """
    if ids is None:
        ids = list(FACTS)
    if isinstance(ids, str) or not all(isinstance(i, str) and i in FACTS for i in ids):
        raise ValueError(f"ids: expected a list of fact ids (rnn_lib.backends.FACTS), got {ids!r}")
    compiled = _checks.boolean("compiled", compiled)
    observed = {}
    keras.utils.set_random_seed(0)
    with _facts_mode(compiled):
        for fact_id in ids:
            try:
                value = FACTS[fact_id].check()
            except Exception as error:  # a failure is an observation too
                value = f"raises {error_line(error)}"
            observed[fact_id] = _jsonable(value)
    return observed


def document(
    exchange: str | os.PathLike | None = None,
    peer: str | None = None,
    compiled: bool = False,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """This process' document: backend, versions, every fact, and, with ``exchange`` and
    ``peer``, the portability check (this backend's model saved there first, then the
    ``peer`` backend's model loaded and compared)."""
    backend = _check_backend(keras.backend.backend())
    result: dict[str, Any] = {"backend": backend, "versions": _versions()}
    if exchange is not None:
        peer = _check_backend(peer)
        save_portable(exchange, backend)
    result["facts"] = observe(compiled=compiled)
    result["imports tensorflow"] = _imports_tensorflow()
    if exchange is not None:
        _wait_for(Path(exchange) / f"{peer}.ready", timeout)
        result["portability"] = load_and_compare(exchange, peer)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_lib.backends", description=__doc__)
    parser.add_argument("--page", action="store_true", help="run both backends, print the page")
    parser.add_argument("--exchange", help="folder where the backends exchange saved models")
    parser.add_argument("--peer", choices=list(BACKENDS), help="the other backend's name")
    parser.add_argument("--compiled", action="store_true", help="JAX: compile every call")
    args = parser.parse_args(argv)
    if args.page:
        print(render_page(run_both(compiled=args.compiled)), end="")
        return 0
    if (args.exchange is None) != (args.peer is None):
        parser.error("--exchange and --peer go together")
    print(json.dumps(document(args.exchange, args.peer, args.compiled), indent=1))
    return 0


# ----- both backends: processes, comparison, page -----


# The process of another backend runs as on a machine without TensorFlow: `import tensorflow`
# fails there (a None in sys.modules), so no fact can use it unseen, and Keras' optional uses
# of it (keras.utils.set_random_seed also seeds TensorFlow when it can import it) are skipped.
_WITHOUT_TENSORFLOW = (
    "import runpy, sys; sys.modules['tensorflow'] = None; "
    "runpy.run_module('rnn_lib.backends', run_name='__main__', alter_sys=True)"
)


def _command(backend: str, exchange: str | None, compiled: bool) -> tuple[list[str], dict]:
    if backend == "tensorflow":
        command = [sys.executable, "-m", "rnn_lib.backends"]
    else:
        command = [sys.executable, "-c", _WITHOUT_TENSORFLOW]
    if exchange is not None:
        peer = next(name for name in BACKENDS if name != backend)
        command += ["--exchange", str(exchange), "--peer", peer]
    if compiled:
        command.append("--compiled")
    environment = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    return command, environment


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout: expected a number of seconds, got {_checks.type_name(timeout)}")
    if not timeout > 0:
        raise ValueError(f"timeout: expected a positive number of seconds, got {timeout}")
    return float(timeout)


def _run(folder: str, backends: list[str], compiled: bool, timeout: float) -> dict[str, dict]:
    """Start one process per backend, side by side, and wait for all; with more than one, they
    exchange their saved models through ``folder``.

    Output goes to files in ``folder`` (no pipe to fill); as soon as one process fails, the
    others are stopped, and the error names the backend with the end of its stderr.
    """
    exchange = folder if len(backends) > 1 else None
    processes = {}
    try:
        for backend in backends:
            command, environment = _command(backend, exchange, compiled)
            out = open(Path(folder) / f"{backend}.out", "w")  # closed below
            err = open(Path(folder) / f"{backend}.err", "w")
            process = subprocess.Popen(command, env=environment, stdout=out, stderr=err)
            processes[backend] = (process, out, err)
        deadline = time.monotonic() + timeout
        while any(process.poll() is None for process, _, _ in processes.values()):
            for backend, (process, _, _) in processes.items():
                if process.poll() not in (None, 0):
                    stderr = (Path(folder) / f"{backend}.err").read_text()[-3000:]
                    raise RuntimeError(f"{backend}: exit status {process.returncode}\n{stderr}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{', '.join(processes)}: not finished after {timeout:.0f} s")
            time.sleep(0.1)
        documents = {}
        for backend, (process, _, _) in processes.items():
            if process.returncode != 0:
                stderr = (Path(folder) / f"{backend}.err").read_text()[-3000:]
                raise RuntimeError(f"{backend}: exit status {process.returncode}\n{stderr}")
            documents[backend] = json.loads((Path(folder) / f"{backend}.out").read_text())
        return documents
    finally:
        for process, out, err in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            out.close()
            err.close()


def run_backend(backend: str, compiled: bool = False, timeout: float = 600.0) -> dict[str, Any]:
    """Run every fact in a new process on ``backend`` ("tensorflow" or "jax"); its document.

    No portability check (that needs both processes: :func:`run_both`).
    """
    backend = _check_backend(backend)
    compiled, timeout = _checks.boolean("compiled", compiled), _check_timeout(timeout)
    with tempfile.TemporaryDirectory(prefix="rnn_lib_backends_") as folder:
        return _run(folder, [backend], compiled, timeout)[backend]


def run_both(compiled: bool = False, timeout: float = 600.0) -> dict[str, dict[str, Any]]:
    """Both backends side by side, one process each, exchanging their saved models.

    Returns ``{backend: document}``; a process that fails stops the other.
    """
    compiled, timeout = _checks.boolean("compiled", compiled), _check_timeout(timeout)
    with tempfile.TemporaryDirectory(prefix="rnn_lib_backends_") as folder:
        return _run(folder, list(BACKENDS), compiled, timeout)


def _check_documents(documents: Any) -> Mapping[str, dict[str, Any]]:
    if not isinstance(documents, Mapping) or set(documents) != set(BACKENDS):
        got = sorted(documents) if isinstance(documents, Mapping) else type(documents).__name__
        raise ValueError(
            f"documents: expected one document per backend {list(BACKENDS)}, got {got}"
        )
    for backend, doc in documents.items():
        if not isinstance(doc, Mapping) or not isinstance(doc.get("facts"), Mapping):
            raise ValueError(f"documents: expected {backend!r} to hold 'facts', got {doc!r:.80}")
    return documents


def differences(documents: Mapping[str, dict[str, Any]]) -> list[str]:
    """The ids of the facts observed differently (or missing) on the backends, in FACTS order."""
    documents = _check_documents(documents)
    facts = [doc["facts"] for doc in documents.values()]
    ids = list(dict.fromkeys([*FACTS, *(i for f in facts for i in f)]))
    missing = object()
    return [i for i in ids if len({json.dumps(f.get(i, missing), default=str) for f in facts}) > 1]


def _cell(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        text = "; ".join(f"{key}: {json.dumps(item)}" for key, item in value.items())
    else:
        text = json.dumps(value)
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


_PAGE_INTRO = """\
# Backends: TensorFlow and JAX

Keras 3 runs on several backends: TensorFlow, JAX and PyTorch (and NumPy or OpenVINO, for
inference only). This book runs on TensorFlow; does what it says hold on JAX? Each fact the
book states about Keras' recurrent layers is checked here on both backends, by the same small
check on toy inputs (`rnn_lib.backends`: `keras`, `keras.ops` and NumPy only), and the value
each one observed is printed side by side. Where they differ, the last column says
**differs**.

**{count} of {total} facts differ**{groups}

Run with Keras {keras}: TensorFlow {tensorflow}; JAX {jax} (jaxlib {jaxlib}), on CPU. Each
backend runs in its own process (`KERAS_BACKEND` is read once, when `keras` is imported),
the JAX one as on a machine without TensorFlow (`import tensorflow` fails there). The inputs
are 7 rows of 5 steps of 2 features with a mask: rows of lengths 5, 3 and 2 post-padded, the
same three pre-padded, and a row with no valid step. Layers have `units=4` and one seeded set
of weights per layer type, shared by every fact; a starting state, where a fact names one, is
`initial_state` 0.5 in every row. On JAX the facts run op by op (`jax.disable_jit()`: the same
Keras code, not compiled for every call), except those whose outcome may be an error, and the
portability check's `predict`: these run compiled, as a user's call does.

Masked steps are shown as one letter per step, rows separated by spaces, in the order Keras
returns the steps (for `go_backwards=True`, the order the layer reads them, reversed in time):
`v` a valid step (equal to the row run alone where the fact says so), `r` the same as the step
before, `s` the initial `h`, `0` zeros, `x` not zeros, `?` anything else.

This page is generated by `python -m rnn_lib.backends --page` (`make backends`), and `make test`
fails if it differs from what the code observes now. Nothing here is typed by hand.
{listing}"""

_PORTABILITY_INTRO = """\
## Saved on one backend, loaded on the other

A model `Input -> Masking -> Bidirectional(LSTM, return_sequences=True) -> GRU`, then
`rnn_lib`'s `ZeroMaskedSteps`, `MaskedTimeAverage`, `LastValidStep`, `AttentionPooling` and
a `SimpleRNN` (five outputs), saved to `.keras` with its outputs on six padded rows, is
loaded on the other backend (once `rnn_lib` is imported) and run on the same rows.
"""


def _anchor(heading: str) -> str:
    """The id Sphinx (MyST) gives a heading: lower case, words joined by hyphens."""
    return "-".join(re.sub(r"[^\w\s-]", "", heading.lower()).split())


def render_page(documents: Mapping[str, dict[str, Any]]) -> str:
    """The page "Backends: TensorFlow and JAX" (Markdown) from one document per backend.

    One table row per fact: what is observed, where the book states it, the value on each
    backend, and ``**differs**`` where they differ; then the portability results.
    """
    documents = _check_documents(documents)
    versions = {k: v for doc in documents.values() for k, v in doc.get("versions", {}).items()}
    differing = differences(documents)
    groups, listing = ".", ""
    if differing:
        counts: dict[str, int] = {}
        for fact_id in differing:
            group = FACTS[fact_id].group if fact_id in FACTS else "(not a fact)"
            counts[group] = counts.get(group, 0) + 1
        groups = ", in " + ", ".join(
            f"[{group}](#{_anchor(group)}) ({count})" for group, count in counts.items()
        )
        groups += "; they are listed below."
        listing = "\nThe facts that differ:\n\n" + "\n".join(f"- `{i}`" for i in differing) + "\n"
    lines = [
        _PAGE_INTRO.format(
            keras=versions.get("keras", "?"),
            tensorflow=versions.get("tensorflow", "?"),
            jax=versions.get("jax", "?"),
            jaxlib=versions.get("jaxlib", "?"),
            count=len(differing),
            total=len(FACTS),
            groups=groups,
            listing=listing,
        )
    ]
    groups = list(dict.fromkeys(fact.group for fact in FACTS.values()))
    titles = " | ".join(BACKENDS.values())
    for group in groups:
        lines += [
            f"## {group}",
            "",
            f"| fact | stated in | {titles} | |",
            "| --- | --- | " + "--- | " * len(BACKENDS) + "--- |",
        ]
        for fact in FACTS.values():
            if fact.group != group:
                continue
            values = " | ".join(
                _cell(doc["facts"].get(fact.id, "(not observed)")) for doc in documents.values()
            )
            mark = "**differs**" if fact.id in differing else "same"
            lines.append(
                f"| {fact.text} | [{fact.where[0]}]({fact.where[1]}) | {values} | {mark} |"
            )
        lines.append("")
    lines += [
        _PORTABILITY_INTRO,
        "| saved on | loaded on | output shapes | np.allclose | max abs difference |",
        "| --- | --- | --- | --- | --- |",
    ]
    for doc in documents.values():
        result = doc.get("portability")
        if result is None:
            continue
        lines.append(
            f"| {BACKENDS[result['saved on']]} | {BACKENDS[result['loaded on']]} | "
            f"{_cell(result['outputs'])} | `{result['allclose']}` | "
            f"`{result['max abs difference']}` |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
