"""Name what a recurrent layer returns, and show it as a small table.

Keras returns either one tensor or, with ``return_state=True``, a tuple
``(output, *states)``, and leaves the reader to remember which position is
which. Here every returned tensor
gets a name:

``sequence``  the output at every step, ``(batch, time, units)``
              (``return_sequences=True``)
``output``    the output at the last step, ``(batch, units)``
              (``return_sequences=False``)
``h``         the final hidden state, ``(batch, units)``  (``return_state=True``)
``c``         the final cell state of an LSTM, ``(batch, units)``

For ``Bidirectional`` the states are ``forward_h``, ``forward_c``,
``backward_h``, ``backward_c``; with ``merge_mode=None`` the output comes as
two tensors, ``forward_sequence`` and ``backward_sequence`` (or
``forward_output`` and ``backward_output``).

Example::

    >>> layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> named = run_named(layer, inputs)            # inputs: (3, 5, 2)
    >>> print(named)
    LSTM(4, return_sequences=True, return_state=True)
    returns a tuple of 3:
      sequence  (3, 5, 4)
      h         (3, 4)
      c         (3, 4)
    >>> named["h"].shape
    (3, 4)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.runtime import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "LAYER_KINDS",
    "MERGE_MODES",
    "NamedOutputs",
    "OutputGrid",
    "bidirectional_grid",
    "describe_layer",
    "make_bidirectional",
    "make_layer",
    "output_grid",
    "output_names",
    "reference_markdown",
    "run_named",
]

#: The recurrent layer classes this module builds by name.
LAYER_KINDS: dict[str, type] = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "GRU": keras.layers.GRU,
    "LSTM": keras.layers.LSTM,
}

#: Widest printed line: what a code cell's output shows on the built site without scrolling.
LINE_WIDTH = 77

#: Every ``merge_mode`` of ``keras.layers.Bidirectional``.
MERGE_MODES: tuple[str | None, ...] = ("concat", "sum", "ave", "mul", None)

# State names by cell class; any other cell gets state_0, state_1, ...
_STATE_NAMES: dict[type, tuple[str, ...]] = {
    keras.layers.LSTMCell: ("h", "c"),
    keras.layers.GRUCell: ("h",),
    keras.layers.SimpleRNNCell: ("h",),
}


def _wrap(items: Sequence[str], first: str, indent: int, width: int = LINE_WIDTH) -> list[str]:
    """Join ``items`` with ", " after ``first``; wrap at item boundaries, indenting ``indent``."""
    lines = [first]
    for position, item in enumerate(items):
        piece = item + ("," if position < len(items) - 1 else "")
        if lines[-1] == first:
            lines[-1] += piece
        elif len(lines[-1]) + 1 + len(piece) > width:
            lines.append(" " * indent + piece)
        else:
            lines[-1] += " " + piece
    return lines


def _check_recurrent(layer: Any) -> keras.layers.Layer:
    if not isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)):
        raise TypeError(
            "layer: expected a Keras recurrent layer (SimpleRNN, GRU, LSTM, RNN or "
            f"Bidirectional), got {_checks.type_name(layer)}"
        )
    return layer


def _state_names(cell: Any) -> tuple[str, ...]:
    for cell_class, names in _STATE_NAMES.items():
        if isinstance(cell, cell_class):
            return names
    state_size = cell.state_size
    count = len(state_size) if isinstance(state_size, (list, tuple)) else 1
    return ("h",) if count == 1 else tuple(f"state_{i}" for i in range(count))


def output_names(layer: Any) -> tuple[str, ...]:
    """Name, in order, the tensors ``layer(inputs)`` returns, from its configuration.

    ``("sequence",)`` or ``("output",)``, followed by the state names
    (``"h"``, and ``"c"`` for an LSTM) when ``return_state=True``. For a
    ``Bidirectional`` layer the states are prefixed ``forward_`` then
    ``backward_``, and ``merge_mode=None`` gives two outputs first.
    """
    layer = _check_recurrent(layer)
    first = "sequence" if layer.return_sequences else "output"
    if isinstance(layer, keras.layers.Bidirectional):
        outputs = (first,) if layer.merge_mode is not None else (f"forward_{first}",
                                                                 f"backward_{first}")  # fmt: skip
        if not layer.return_state:
            return outputs
        states = _state_names(layer.forward_layer.cell)
        return (
            *outputs,
            *(f"forward_{name}" for name in states),
            *(f"backward_{name}" for name in _state_names(layer.backward_layer.cell)),
        )
    if not layer.return_state:
        return (first,)
    return (first, *_state_names(layer.cell))


def describe_layer(layer: Any) -> str:
    """A one-line description, e.g. ``GRU(4, return_sequences=True, return_state=False)``."""
    layer = _check_recurrent(layer)
    if isinstance(layer, keras.layers.Bidirectional):
        inner = layer.forward_layer
        return (
            f"Bidirectional({type(inner).__name__}({getattr(inner.cell, 'units', '?')}), "
            f"merge_mode={layer.merge_mode!r}, return_sequences={layer.return_sequences}, "
            f"return_state={layer.return_state})"
        )
    return (
        f"{type(layer).__name__}({getattr(layer.cell, 'units', '?')}, "
        f"return_sequences={layer.return_sequences}, return_state={layer.return_state})"
    )


@dataclass(frozen=True)
class NamedOutputs(Mapping[str, np.ndarray]):
    """The tensors a layer returned, by name, in the order Keras returned them.

    Behaves as a read-only mapping from name to NumPy array; ``str()`` gives
    a small table of names and shapes; ``shapes`` maps names to shape tuples.
    ``container`` is what the call returned: ``"tensor"`` for a single
    tensor, else the Python type of the collection (``"tuple"`` in Keras 3).
    """

    description: str
    names: tuple[str, ...]
    arrays: tuple[np.ndarray, ...]
    container: str

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(f"{name!r}: this layer returned {list(self.names)}")
        return self.arrays[self.names.index(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each returned tensor's shape, by name."""
        return {
            name: tuple(value.shape) for name, value in zip(self.names, self.arrays, strict=True)
        }

    def summary(self) -> str:
        """One line: ``tensor: output (3, 4)`` or ``tuple of 2: sequence (3, 5, 4), h (3, 4)``."""
        parts = ", ".join(f"{name} {shape}" for name, shape in self.shapes.items())
        if self.container == "tensor":
            return f"tensor: {parts}"
        return f"{self.container} of {len(self)}: {parts}"

    def __str__(self) -> str:
        kind = "one tensor" if self.container == "tensor" else f"a {self.container} of {len(self)}"
        width = max(len(name) for name in self.names)
        rows = [f"  {name:<{width}}  {shape}" for name, shape in self.shapes.items()]
        name, _, arguments = self.description.partition("(")
        header = _wrap(arguments.split(", "), f"{name}(", indent=len(name) + 1)
        return "\n".join([*header, f"returns {kind}:", *rows])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython display
        printer.text(str(self))


def run_named(layer: Any, inputs: Any, **call_kwargs: Any) -> NamedOutputs:
    """Call ``layer(inputs, **call_kwargs)`` and name every returned tensor.

    Args:
        layer: a Keras recurrent layer (``SimpleRNN``, ``GRU``, ``LSTM`` or ``RNN``),
            or a ``Bidirectional`` wrapping one.
        inputs: a rank-3 array or tensor ``(batch, time, features)``.
        call_kwargs: passed on to the layer call (e.g. ``mask=``, ``initial_state=``).

    Returns:
        A :class:`NamedOutputs` mapping each name of :func:`output_names` to
        the NumPy value of the tensor Keras returned in that position.
    """
    layer = _check_recurrent(layer)
    array = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _checks.nonempty("inputs", array.shape, "(batch, time, features)")
    names = output_names(layer)
    returned = layer(array.astype("float32", copy=False), **call_kwargs)
    several = isinstance(returned, (list, tuple))
    tensors = list(returned) if several else [returned]
    if len(tensors) != len(names):  # a custom cell whose states we cannot name
        raise ValueError(
            f"layer: expected {len(names)} returned tensors {list(names)}, got {len(tensors)}"
        )
    values = tuple(keras.ops.convert_to_numpy(tensor) for tensor in tensors)
    container = type(returned).__name__ if several else "tensor"
    return NamedOutputs(describe_layer(layer), names, values, container)


def make_layer(
    kind: str,
    units: int,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    **layer_kwargs: Any,
) -> keras.layers.RNN:
    """Build ``SimpleRNN``, ``GRU`` or ``LSTM`` by name, checking the arguments."""
    if not isinstance(kind, str):
        raise TypeError(f"kind: expected one of {list(LAYER_KINDS)}, got {_checks.type_name(kind)}")
    if kind not in LAYER_KINDS:
        raise ValueError(f"kind: expected one of {list(LAYER_KINDS)}, got {kind!r}")
    return LAYER_KINDS[kind](
        _checks.positive_int("units", units),
        return_sequences=_checks.boolean("return_sequences", return_sequences),
        return_state=_checks.boolean("return_state", return_state),
        **layer_kwargs,
    )


def make_bidirectional(
    kind: str,
    units: int,
    merge_mode: str | None = "concat",
    *,
    return_sequences: bool = False,
    return_state: bool = False,
) -> keras.layers.Bidirectional:
    """``Bidirectional(kind(units, ...), merge_mode=merge_mode)``, checking the arguments."""
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode: expected one of {list(MERGE_MODES)}, got {merge_mode!r}")
    inner = make_layer(kind, units, return_sequences=return_sequences, return_state=return_state)
    return keras.layers.Bidirectional(inner, merge_mode=merge_mode)


@dataclass(frozen=True)
class OutputGrid:
    """A table: some columns describing each configuration, then what it returned.

    ``rows`` holds ``(labels, NamedOutputs)`` pairs, ``labels`` matching
    ``headers``; ``str()`` aligns the columns and adds a last column,
    ``returns``, with each :meth:`NamedOutputs.summary`.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], NamedOutputs], ...]

    def __str__(self) -> str:
        cells = [self.headers] + [labels for labels, _ in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.headers))]
        lines = []
        for row, named in zip(cells, [None] + [named for _, named in self.rows], strict=True):
            left = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            if named is None:
                lines.append(f"{left}  returns")
                continue
            kind = named.summary().partition(": ")[0]
            items = [f"{name} {shape}" for name, shape in named.shapes.items()]
            first = f"{left}  {kind}: "
            lines += _wrap(items, first, indent=len(first))
        return "\n".join(line.rstrip() for line in lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython display
        printer.text(str(self))


def _check_kinds(kinds: Any) -> None:
    if isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds:
        raise TypeError(f"kinds: expected a non-empty list of layer names, got {kinds!r}")


def output_grid(
    inputs: Any, units: int, kinds: Sequence[str] = ("SimpleRNN", "GRU", "LSTM")
) -> OutputGrid:
    """Run every ``kind`` with every ``return_sequences`` x ``return_state`` on ``inputs``.

    ``inputs`` is ``(batch, time, features)``; each row names what came back.
    """
    _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _check_kinds(kinds)
    rows = []
    for kind, sequences, state in product(kinds, (False, True), (False, True)):
        layer = make_layer(kind, units, return_sequences=sequences, return_state=state)
        rows.append(((kind, str(sequences), str(state)), run_named(layer, inputs)))
    return OutputGrid(("layer", "return_sequences", "return_state"), tuple(rows))


def bidirectional_grid(
    inputs: Any,
    units: int,
    kinds: Sequence[str] = ("LSTM",),
    merge_modes: Sequence[str | None] = MERGE_MODES,
    return_state: bool = True,
) -> OutputGrid:
    """Run ``Bidirectional(kind)`` for every merge mode x ``return_sequences`` on ``inputs``."""
    _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _check_kinds(kinds)
    rows = []
    for kind, mode, sequences in product(kinds, merge_modes, (False, True)):
        layer = make_bidirectional(
            kind, units, mode, return_sequences=sequences, return_state=return_state
        )
        rows.append(((kind, repr(mode), str(sequences)), run_named(layer, inputs)))
    return OutputGrid(("layer", "merge_mode", "return_sequences"), tuple(rows))


_REFERENCE_INTRO = """\
# Shape reference

Every configuration of `SimpleRNN`, `GRU` and `LSTM`, alone and inside `Bidirectional`, with
what a call returns: one tensor, or a tuple whose elements are named in order. The shapes are
for an input of shape `{input_shape}` (batch {batch}, time {time}, features {features}) and
`units={units}`.

This page is generated by `rnn_lib.shapes.reference_markdown()`, which builds and calls each
layer with Keras {keras_version}; `make reference` writes it, and `make test` fails if it
differs from what the code produces now. Nothing here is typed by hand. To ask about another
configuration, run the shape explorer, e.g.
`python -m rnn_lib GRU --units 8 --merge-mode concat --input-shape 2 7 3`.

Names: `sequence` is the output at every step `(batch, time, units)`, `output` the output at
the last step `(batch, units)`, `h` the final hidden state, `c` an LSTM's final cell state.
Inside `Bidirectional` the states are prefixed `forward_` and `backward_`, and
`merge_mode=None` returns the two directions' outputs separately.
"""


def _returns_cell(named: NamedOutputs) -> str:
    items = ", ".join(f"`{name}` {shape}" for name, shape in named.shapes.items())
    return items if named.container == "tensor" else f"{named.container}: {items}"


def reference_markdown(
    batch: int = 3, timesteps: int = 5, features: int = 2, units: int = 4
) -> str:
    """The shape reference page (Markdown), generated by running every configuration."""
    for name, value in (("batch", batch), ("timesteps", timesteps), ("features", features),
                        ("units", units)):  # fmt: skip
        _checks.positive_int(name, value)
    inputs = np.random.default_rng(0).normal(size=(batch, timesteps, features)).astype("float32")
    lines = [
        _REFERENCE_INTRO.format(
            input_shape=(batch, timesteps, features),
            batch=batch,
            time=timesteps,
            features=features,
            units=units,
            keras_version=keras.__version__,
        ),
        "## SimpleRNN, GRU and LSTM",
        "",
        "| layer | return_sequences | return_state | returns |",
        "| --- | --- | --- | --- |",
    ]
    for kind, sequences, state in product(LAYER_KINDS, (False, True), (False, True)):
        named = run_named(make_layer(kind, units, return_sequences=sequences,
                                     return_state=state), inputs)  # fmt: skip
        lines.append(f"| `{kind}` | {sequences} | {state} | {_returns_cell(named)} |")
    lines += [
        "",
        "## Bidirectional",
        "",
        "| layer | merge_mode | return_sequences | return_state | returns |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, mode, sequences, state in product(
        LAYER_KINDS, MERGE_MODES, (False, True), (False, True)
    ):
        layer = make_bidirectional(
            kind, units, mode, return_sequences=sequences, return_state=state
        )
        named = run_named(layer, inputs)
        lines.append(
            f"| `Bidirectional({kind})` | `{mode!r}` | {sequences} | {state} | "
            f"{_returns_cell(named)} |"
        )
    lines += _encoder_decoder_lines(inputs, units)
    return "\n".join(lines) + "\n"


_ENCODER_DECODER_INTRO = """\
A `Bidirectional` encoder's states, joined for a one-direction decoder of `2 * units` by
`rnn_lib.concat_bidirectional_states` (each forward state concatenated with its backward
state), and attention over a recurrent encoder's sequence. The decoder reads a target of
{target_time} steps; the attention layers are called on `[query, value]`, the query being a
decoder's sequence, {query}, and the value the encoder's, {value}. Where these come from:
[Encoder-decoder beyond one layer](../notebooks/10_encoder_decoder_beyond_one_layer.ipynb)."""


def _encoder_decoder_lines(inputs: np.ndarray, units: int) -> list[str]:
    """The encoder-to-decoder section of the shape reference, from real Keras calls."""
    from rnn_lib.seq2seq import concat_bidirectional_states

    batch, timesteps, features = inputs.shape
    rng = np.random.default_rng(1)
    target = rng.normal(size=(batch, timesteps + 1, features)).astype("float32")
    query = make_layer("LSTM", units, return_sequences=True)(target)
    value = make_layer("LSTM", units, return_sequences=True)(inputs)
    lines = [
        "",
        "## Encoder to decoder",
        "",
        _ENCODER_DECODER_INTRO.format(
            target_time=timesteps + 1, query=tuple(query.shape), value=tuple(value.shape)
        ),
        "",
        "| encoder | states handed over | decoder | decoder returns |",
        "| --- | --- | --- | --- |",
    ]
    for kind in LAYER_KINDS:
        encoder = make_bidirectional(kind, units, "concat", return_state=True)
        names = output_names(encoder)[1:]
        states = list(encoder(inputs))[1:]
        joined = concat_bidirectional_states(states)
        joined_names = [name.removeprefix("forward_") for name in names[: len(joined)]]
        decoder = make_layer(kind, 2 * units, return_sequences=True)
        returned = decoder(target, initial_state=joined)
        handed = ", ".join(
            f"`{name}` {tuple(state.shape)}"
            for name, state in zip(joined_names, joined, strict=True)
        )
        lines.append(
            f"| `Bidirectional({kind})`, `return_state=True` | {handed} | "
            f"`{kind}({2 * units}, return_sequences=True)` | `sequence` {tuple(returned.shape)} |"
        )
    lines += [
        "",
        "| layer | return_attention_scores | returns |",
        "| --- | --- | --- |",
    ]
    for name, scores in product(("Attention", "AdditiveAttention"), (False, True)):
        returned = getattr(keras.layers, name)()([query, value], return_attention_scores=scores)
        if scores:
            context, weights = returned
            cell = f"tuple: `context` {tuple(context.shape)}, `scores` {tuple(weights.shape)}"
        else:
            cell = f"`context` {tuple(returned.shape)}"
        lines.append(f"| `{name}` | {scores} | {cell} |")
    return lines
