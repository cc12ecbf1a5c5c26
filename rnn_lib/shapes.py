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

``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D`` read ``(batch, time, *spatial, channels)``
(``ConvLSTM2D``: ``(batch, time, rows, cols, channels)``) and return the same names: a
``sequence`` ``(batch, time, *spatial', filters)`` or an ``output``
``(batch, *spatial', filters)``, then ``h`` and ``c`` of the output's shape. ``spatial'`` is
``spatial`` with ``padding="same"`` and shrinks by ``kernel_size - 1`` per axis with
``padding="valid"``.

For ``Bidirectional`` the states are ``forward_h``, ``forward_c``,
``backward_h``, ``backward_c``; with ``merge_mode=None`` the output comes as
two tensors, ``forward_sequence`` and ``backward_sequence`` (or
``forward_output`` and ``backward_output``).

Example::

    >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    >>> layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> named = run_named(layer, inputs)
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
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "CONV_LSTM_CONFIGURATIONS",
    "CONV_LSTM_KINDS",
    "LAYER_KINDS",
    "MERGE_MODES",
    "NamedOutputs",
    "OutputGrid",
    "bidirectional_grid",
    "describe_layer",
    "input_axes",
    "make_bidirectional",
    "make_layer",
    "output_grid",
    "output_names",
    "reference_markdown",
    "run_named",
    "symbolic_named",
]

#: The recurrent layer classes this module builds by name.
LAYER_KINDS: dict[str, type] = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "GRU": keras.layers.GRU,
    "LSTM": keras.layers.LSTM,
}

#: The convolutional LSTM layers this module builds by name; their ``units`` is ``filters``.
CONV_LSTM_KINDS: dict[str, type] = {
    "ConvLSTM1D": keras.layers.ConvLSTM1D,
    "ConvLSTM2D": keras.layers.ConvLSTM2D,
    "ConvLSTM3D": keras.layers.ConvLSTM3D,
}

# The names of each ConvLSTM's spatial input axes (Keras calls them *spatial_dims).
_SPATIAL_AXES: dict[str, tuple[str, ...]] = {
    "ConvLSTM1D": ("rows",),
    "ConvLSTM2D": ("rows", "cols"),
    "ConvLSTM3D": ("depth", "rows", "cols"),
}

_ALL_KINDS: tuple[str, ...] = (*LAYER_KINDS, *CONV_LSTM_KINDS)

#: Widest printed line: what a code cell's output shows on the built site without scrolling.
LINE_WIDTH = 77

#: Every ``merge_mode`` of ``keras.layers.Bidirectional``.
MERGE_MODES: tuple[str | None, ...] = ("concat", "sum", "ave", "mul", None)

# State names by cell class, or by layer class for ConvLSTM (Keras 3 does not export its cell
# class, and the cell's state_size is -1); any other cell gets state_0, state_1, ...
_STATE_NAMES: dict[type, tuple[str, ...]] = {
    keras.layers.LSTMCell: ("h", "c"),
    keras.layers.GRUCell: ("h",),
    keras.layers.SimpleRNNCell: ("h",),
    **dict.fromkeys(CONV_LSTM_KINDS.values(), ("h", "c")),
}


def _split_arguments(text: str) -> list[str]:
    """Split ``text`` at the commas outside brackets: ``"4, k=(3, 3)"`` -> ``["4", "k=(3, 3)"]``."""
    items, depth, start = [], 0, 0
    for position, character in enumerate(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        elif character == "," and depth == 0:
            items.append(text[start:position].strip())
            start = position + 1
    return [*items, text[start:].strip()]


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
            "layer: expected a Keras recurrent layer (SimpleRNN, GRU, LSTM, ConvLSTM1D/2D/3D, "
            f"RNN or Bidirectional), got {_checks.type_name(layer)}"
        )
    return layer


def _check_kind(kind: Any) -> str:
    if not isinstance(kind, str):
        raise TypeError(f"kind: expected one of {list(_ALL_KINDS)}, got {_checks.type_name(kind)}")
    if kind not in _ALL_KINDS:
        raise ValueError(f"kind: expected one of {list(_ALL_KINDS)}, got {kind!r}")
    return kind


def _conv_kind(layer: Any) -> str | None:
    """``"ConvLSTM2D"`` etc. for a ConvLSTM layer (or a Bidirectional around one), else None."""
    if isinstance(layer, keras.layers.Bidirectional):
        layer = layer.forward_layer
    for kind, layer_class in CONV_LSTM_KINDS.items():
        if isinstance(layer, layer_class):
            return kind
    return None


def _kind_axes(kind: str, data_format: str = "channels_last") -> tuple[str, ...]:
    """The input axes of a layer ``kind``, e.g. ``("batch", "time", "rows", "channels")``."""
    if kind not in CONV_LSTM_KINDS:
        return ("batch", "time", "features")
    spatial = _SPATIAL_AXES[kind]
    if data_format == "channels_first":
        return ("batch", "time", "channels", *spatial)
    return ("batch", "time", *spatial, "channels")


def input_axes(kind: str) -> tuple[str, ...]:
    """Name, in order, the axes of the input a layer ``kind`` reads (channels last).

    ``("batch", "time", "features")`` for ``SimpleRNN``, ``GRU`` and ``LSTM``;
    ``("batch", "time", *spatial, "channels")`` for a ConvLSTM, the spatial axes being
    ``rows``; ``rows, cols``; ``depth, rows, cols`` for ``ConvLSTM1D``, ``2D``, ``3D``.

    Example::

        >>> input_axes("ConvLSTM2D")
        ('batch', 'time', 'rows', 'cols', 'channels')
    """
    return _kind_axes(_check_kind(kind))


def _input_axes(layer: keras.layers.Layer) -> tuple[str, ...]:
    kind = _conv_kind(layer)
    if kind is None:
        return _kind_axes("LSTM")
    inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    return _kind_axes(kind, inner.data_format)


def _axes_text(axes: Sequence[str]) -> str:
    return "(" + ", ".join(axes) + ")"


def _check_kernel_fits(layer: keras.layers.Layer, shape: tuple[int, ...]) -> None:
    """With ``padding="valid"``, every spatial size must hold the (dilated) kernel once."""
    kind = _conv_kind(layer)
    inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    if kind is None or inner.padding != "valid":
        return
    axes = _input_axes(layer)
    sizes = dict(zip(axes, shape, strict=True))
    extents = {
        axis: dilation * (kernel - 1) + 1
        for axis, kernel, dilation in zip(
            _SPATIAL_AXES[kind], inner.kernel_size, inner.dilation_rate, strict=True
        )
    }
    if all(sizes[axis] >= extent for axis, extent in extents.items()):
        return
    needed = " and ".join(f"{axis} >= {extent}" for axis, extent in extents.items())
    dilated = "" if set(inner.dilation_rate) == {1} else f", dilation_rate {inner.dilation_rate}"
    raise ValueError(
        f"inputs: expected {needed} for kernel_size {inner.kernel_size}{dilated} with "
        f"padding='valid', got shape {tuple(shape)}"
    )


def _state_names(layer: Any) -> tuple[str, ...]:
    cell = layer.cell
    for owner_class, names in _STATE_NAMES.items():
        if isinstance(cell, owner_class) or isinstance(layer, owner_class):
            return names
    state_size = cell.state_size
    count = len(state_size) if isinstance(state_size, (list, tuple)) else 1
    return ("h",) if count == 1 else tuple(f"state_{i}" for i in range(count))


def _check_one_list_of_states(layer: Any) -> None:
    """``RNN([cell, cell], return_state=True)`` returns a list of states per cell: refuse it."""
    inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    if layer.return_state and isinstance(inner.cell, keras.layers.StackedRNNCells):
        cells = ", ".join(type(cell).__name__ for cell in inner.cell.cells)
        raise ValueError(
            f"layer: expected one cell with return_state=True, got a list of cells ({cells}), "
            "whose call returns the output then one list of states per cell, e.g. "
            "(output, [h], [h, c]): not one tensor per name. Index that nested result "
            "directly, or stack one recurrent layer per cell"
        )


def output_names(layer: Any) -> tuple[str, ...]:
    """Name, in order, the tensors ``layer(inputs)`` returns, from its configuration.

    ``("sequence",)`` or ``("output",)``, followed by the state names
    (``"h"``, and ``"c"`` for an LSTM or a ConvLSTM) when ``return_state=True``. For a
    ``Bidirectional`` layer the states are prefixed ``forward_`` then
    ``backward_``, and ``merge_mode=None`` gives two outputs first.

    Raises:
        TypeError: ``layer`` is not recurrent.
        ValueError: ``RNN([cell, ...], return_state=True)``: Keras returns one list of states
            per cell, not one tensor per name.
    """
    layer = _check_recurrent(layer)
    _check_one_list_of_states(layer)
    first = "sequence" if layer.return_sequences else "output"
    if isinstance(layer, keras.layers.Bidirectional):
        outputs = (first,) if layer.merge_mode is not None else (f"forward_{first}",
                                                                 f"backward_{first}")  # fmt: skip
        if not layer.return_state:
            return outputs
        states = _state_names(layer.forward_layer)
        return (
            *outputs,
            *(f"forward_{name}" for name in states),
            *(f"backward_{name}" for name in _state_names(layer.backward_layer)),
        )
    if not layer.return_state:
        return (first,)
    return (first, *_state_names(layer))


def _size_arguments(layer: keras.layers.Layer) -> list[str]:
    """``["4"]`` (units), or for a ConvLSTM ``["4", "kernel_size=(3, 3)", "padding='same'"]``."""
    if _conv_kind(layer) is not None:
        return [
            str(layer.filters),
            f"kernel_size={layer.kernel_size}",
            f"padding={layer.padding!r}",
        ]
    return [str(getattr(layer.cell, "units", "?"))]


def describe_layer(layer: Any) -> str:
    """A one-line description, e.g. ``GRU(4, return_sequences=True, return_state=False)``.

    A ConvLSTM shows ``filters``, ``kernel_size`` and ``padding``:
    ``ConvLSTM2D(4, kernel_size=(3, 3), padding='same', return_sequences=...)``.
    """
    layer = _check_recurrent(layer)
    flags = f"return_sequences={layer.return_sequences}, return_state={layer.return_state})"
    if isinstance(layer, keras.layers.Bidirectional):
        inner = layer.forward_layer
        return (
            f"Bidirectional({type(inner).__name__}({', '.join(_size_arguments(inner))}), "
            f"merge_mode={layer.merge_mode!r}, {flags}"
        )
    return f"{type(layer).__name__}({', '.join(_size_arguments(layer))}, {flags}"


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
        return returns_text(self.description, self.container, self.shapes)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython display
        printer.text(str(self))


def returns_text(description: str, container: str, shapes: Mapping[str, tuple[int, ...]]) -> str:
    """The table ``str(NamedOutputs)`` prints (and ``python -m rnn_lib``): the description,
    wrapped between arguments, then ``returns one tensor:`` or ``returns a tuple of N:`` and a
    row per name. Shared with ``rnn_lib.explorer``, which computes it without Keras."""
    kind = "one tensor" if container == "tensor" else f"a {container} of {len(shapes)}"
    width = max(len(name) for name in shapes)
    rows = [f"  {name:<{width}}  {shape}" for name, shape in shapes.items()]
    name, _, arguments = description.partition("(")
    header = _wrap(_split_arguments(arguments), f"{name}(", indent=len(name) + 1)
    return "\n".join([*header, f"returns {kind}:", *rows])


def run_named(layer: Any, inputs: Any, **call_kwargs: Any) -> NamedOutputs:
    """Call ``layer(inputs, **call_kwargs)`` and name every returned tensor.

    Args:
        layer: a Keras recurrent layer (``SimpleRNN``, ``GRU``, ``LSTM``,
            ``ConvLSTM1D``/``2D``/``3D`` or ``RNN``), or a ``Bidirectional`` wrapping one.
        inputs: an array or tensor ``(batch, time, features)``; for a ConvLSTM
            ``(batch, time, *spatial, channels)``, e.g. ``(batch, time, rows, cols, channels)``
            for ``ConvLSTM2D``.
        call_kwargs: passed on to the layer call (e.g. ``mask=``, ``initial_state=``).

    Returns:
        A :class:`NamedOutputs` mapping each name of :func:`output_names` to
        the NumPy value of the tensor Keras returned in that position.

    Raises:
        TypeError: ``layer`` is not recurrent; ``inputs`` is not a numeric array or tensor.
        ValueError: ``inputs`` has the wrong rank or an empty axis; with ``padding="valid"``,
            a spatial size is smaller than the (dilated) kernel.
    """
    layer = _check_recurrent(layer)
    axes = _input_axes(layer)
    array = _checks.as_rank("inputs", inputs, len(axes), _axes_text(axes))
    _checks.nonempty("inputs", array.shape, _axes_text(axes))
    _check_kernel_fits(layer, array.shape)
    returned = layer(array.astype("float32", copy=False), **call_kwargs)
    return _named(layer, returned, keras.ops.convert_to_numpy)


def symbolic_named(layer: Any, input_shape: Sequence[int]) -> NamedOutputs:
    """What ``layer`` returns for an input of ``input_shape``, traced, with no value computed.

    Keras builds the layer (its weights are allocated) and traces the call on a symbolic input
    (``keras.KerasTensor``): the shapes are Keras' own, for any batch, time or spatial size,
    and no input is allocated. :func:`run_named` computes real values; this answers sizes that
    would not fit in memory. The mapping's values are ``KerasTensor`` s: shapes, no numbers.

    Args:
        layer: as for :func:`run_named`.
        input_shape: one positive int per input axis: ``(batch, time, features)``, or for a
            ConvLSTM ``(batch, time, *spatial, channels)``.

    Raises:
        TypeError: ``layer`` is not recurrent; ``input_shape`` is not a sequence of ints.
        ValueError: ``input_shape`` has the wrong length or a size < 1; with
            ``padding="valid"``, a spatial size is smaller than the (dilated) kernel.

    Example::

        >>> layer = make_layer("GRU", 4, return_sequences=True, return_state=True)
        >>> symbolic_named(layer, (10**6, 10**9, 3)).shapes
        {'sequence': (1000000, 1000000000, 4), 'h': (1000000, 4)}
    """
    layer = _check_recurrent(layer)
    axes = _input_axes(layer)
    shape = _check_input_shape(input_shape, axes)
    _check_kernel_fits(layer, shape)
    return _named(layer, layer(keras.KerasTensor(shape, dtype="float32")), lambda tensor: tensor)


def _check_input_shape(input_shape: Any, axes: Sequence[str]) -> tuple[int, ...]:
    expected = f"{len(axes)} ints >= 1 {_axes_text(axes)}"
    if not isinstance(input_shape, (tuple, list)) or not all(_is_int(n) for n in input_shape):
        raise TypeError(f"input_shape: expected {expected}, got {input_shape!r}")
    if len(input_shape) != len(axes) or min(input_shape) < 1:
        raise ValueError(f"input_shape: expected {expected}, got {tuple(input_shape)}")
    return tuple(int(size) for size in input_shape)


def _named(layer: Any, returned: Any, convert: Any) -> NamedOutputs:
    names = output_names(layer)
    several = isinstance(returned, (list, tuple))
    tensors = list(returned) if several else [returned]
    if len(tensors) != len(names):  # a custom cell whose states we cannot name
        raise ValueError(
            f"layer: expected {len(names)} returned tensors {list(names)}, got {len(tensors)}"
        )
    values = tuple(convert(tensor) for tensor in tensors)
    container = type(returned).__name__ if several else "tensor"
    return NamedOutputs(describe_layer(layer), names, values, container)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_kernel_size(kind: str, value: Any) -> int | tuple[int, ...]:
    rank = len(_SPATIAL_AXES[kind])
    expected = f"a positive int or a tuple of {rank} positive ints for {kind}"
    if _is_int(value):
        if value < 1:
            raise ValueError(f"kernel_size: expected {expected}, got {value}")
        return int(value)
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"kernel_size: expected {expected}, got {_checks.type_name(value)}")
    if not all(_is_int(size) for size in value):
        raise TypeError(f"kernel_size: expected {expected}, got {value!r}")
    if len(value) != rank or any(size < 1 for size in value):
        raise ValueError(f"kernel_size: expected {expected}, got {value!r}")
    return tuple(int(size) for size in value)


def make_layer(
    kind: str,
    units: int,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    kernel_size: int | Sequence[int] | None = None,
    padding: str | None = None,
    **layer_kwargs: Any,
) -> keras.layers.RNN:
    """Build ``SimpleRNN``, ``GRU``, ``LSTM`` or ``ConvLSTM1D``/``2D``/``3D`` by name, checked.

    For a ConvLSTM, ``units`` is its ``filters``, ``kernel_size`` (an int, or one per
    spatial axis) defaults to 3 and ``padding`` (``"same"`` or ``"valid"``) to ``"same"``,
    which keeps the spatial sizes (Keras' own default is ``"valid"``). The other kinds take
    neither. ``layer_kwargs`` go to the Keras constructor unchecked.

    Example::

        >>> make_layer("ConvLSTM2D", 4, return_state=True).kernel_size
        (3, 3)
    """
    kind = _check_kind(kind)
    units = _checks.positive_int("units", units)
    flags = {
        "return_sequences": _checks.boolean("return_sequences", return_sequences),
        "return_state": _checks.boolean("return_state", return_state),
    }
    if kind in LAYER_KINDS:
        for name, value in (("kernel_size", kernel_size), ("padding", padding)):
            if value is not None:
                raise ValueError(
                    f"{name}: expected None for kind {kind!r} (only ConvLSTM1D, ConvLSTM2D "
                    f"and ConvLSTM3D take one), got {value!r}"
                )
        return LAYER_KINDS[kind](units, **flags, **layer_kwargs)
    return CONV_LSTM_KINDS[kind](
        units,
        _check_kernel_size(kind, 3 if kernel_size is None else kernel_size),
        padding=_checks.one_of(
            "padding", "same" if padding is None else padding, ("same", "valid")
        ),
        **flags,
        **layer_kwargs,
    )


def make_bidirectional(
    kind: str,
    units: int,
    merge_mode: str | None = "concat",
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    kernel_size: int | Sequence[int] | None = None,
    padding: str | None = None,
    **layer_kwargs: Any,
) -> keras.layers.Bidirectional:
    """``Bidirectional(kind(units, ...), merge_mode=merge_mode)``, checking the arguments.

    ``kernel_size`` and ``padding`` are for a ConvLSTM, as in :func:`make_layer`; its
    ``"concat"`` joins the two directions on the channel axis (``2 * filters`` channels).
    ``layer_kwargs`` go to the wrapped layer's Keras constructor unchecked.
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode: expected one of {list(MERGE_MODES)}, got {merge_mode!r}")
    inner = make_layer(
        kind,
        units,
        return_sequences=return_sequences,
        return_state=return_state,
        kernel_size=kernel_size,
        padding=padding,
        **layer_kwargs,
    )
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


def _check_grid_inputs(inputs: Any, kinds: Sequence[str]) -> None:
    """``inputs`` must have the rank every kind reads (3, or 4 to 6 for ConvLSTM1D/2D/3D)."""
    _check_kinds(kinds)
    for kind in kinds:
        axes = input_axes(kind)
        _checks.as_rank("inputs", inputs, len(axes), _axes_text(axes))


def output_grid(
    inputs: Any, units: int, kinds: Sequence[str] = ("SimpleRNN", "GRU", "LSTM")
) -> OutputGrid:
    """Run every ``kind`` with every ``return_sequences`` x ``return_state`` on ``inputs``.

    ``inputs`` is ``(batch, time, features)``, or what the ConvLSTM kinds read, e.g.
    ``(batch, time, rows, cols, channels)`` for ``["ConvLSTM2D"]`` (kernel 3, ``"same"``);
    each row names what came back.
    """
    _check_grid_inputs(inputs, kinds)
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
    _check_grid_inputs(inputs, kinds)
    rows = []
    for kind, mode, sequences in product(kinds, merge_modes, (False, True)):
        layer = make_bidirectional(
            kind, units, mode, return_sequences=sequences, return_state=return_state
        )
        rows.append(((kind, repr(mode), str(sequences)), run_named(layer, inputs)))
    return OutputGrid(("layer", "merge_mode", "return_sequences"), tuple(rows))


_REFERENCE_INTRO = """\
# Shape reference

Every configuration of `SimpleRNN`, `GRU` and `LSTM`, alone and inside `Bidirectional`, and of
`ConvLSTM1D`, `ConvLSTM2D` and `ConvLSTM3D`, with what a call returns: one tensor, or a tuple
whose elements are named in order. The shapes are for an input of shape `{input_shape}`
(batch {batch}, time {time}, features {features}) and `units={units}`; the ConvLSTM section
gives its own inputs.

This page is generated by `rnn_lib.shapes.reference_markdown()`, which builds each layer with
Keras {keras_version} and traces its call on a symbolic input of that shape
(`rnn_lib.symbolic_named`: Keras' own shapes, no value computed); `make reference` writes it,
and `make test` fails if it differs from what the code produces now. Nothing here is typed by
hand. To ask about another configuration, use the [shape explorer](explorer.md) on this site,
or the command-line one, e.g.
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
    batch: int = 3,
    timesteps: int = 5,
    features: int = 2,
    units: int = 4,
    *,
    rows: int = 8,
    cols: int = 9,
    depth: int = 12,
    kernel_size: int = 3,
) -> str:
    """The shape reference page (Markdown), generated by tracing every configuration.

    The ConvLSTM rows read ``features`` channels with the spatial sizes ``rows``, ``cols``
    and ``depth`` (as many as each layer needs), and use ``filters=units`` and
    ``kernel_size``; each spatial size must be at least ``kernel_size``, for the
    ``padding="valid"`` rows.
    """
    for name, value in (("batch", batch), ("timesteps", timesteps), ("features", features),
                        ("units", units), ("kernel_size", kernel_size)):  # fmt: skip
        _checks.positive_int(name, value)
    spatial = {"rows": rows, "cols": cols, "depth": depth}
    for name, value in spatial.items():
        if _checks.positive_int(name, value) < kernel_size:
            raise ValueError(
                f"{name}: expected at least kernel_size {kernel_size} (for padding='valid'), "
                f"got {value}"
            )
    inputs = np.zeros((batch, timesteps, features), "float32")  # only its shape is used
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
    # Variables made in a stateless scope are not initialised: shapes are all the page needs.
    with keras.StatelessScope():
        for kind, sequences, state in product(LAYER_KINDS, (False, True), (False, True)):
            named = symbolic_named(make_layer(kind, units, return_sequences=sequences,
                                              return_state=state), inputs.shape)  # fmt: skip
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
            named = symbolic_named(layer, inputs.shape)
            lines.append(
                f"| `Bidirectional({kind})` | `{mode!r}` | {sequences} | {state} | "
                f"{_returns_cell(named)} |"
            )
        lines += _conv_lstm_lines(batch, timesteps, features, units, spatial, kernel_size)
        lines += _encoder_decoder_lines(inputs, units)
    return "\n".join(lines) + "\n"


_CONV_LSTM_INTRO = """\
A ConvLSTM is an LSTM whose input, state and output at each step are feature maps, and whose
matrix products are convolutions. Its input is `(batch, time, *spatial, channels)`:
`(batch, time, rows, channels)` for `ConvLSTM1D`, `(batch, time, rows, cols, channels)` for
`ConvLSTM2D`, `(batch, time, depth, rows, cols, channels)` for `ConvLSTM3D` (Keras calls the
spatial axes `*spatial_dims`; the names here are a convention). The table below uses
{sizes},
`filters={filters}` and `kernel_size={kernel}`.

`filters` plays the part of `units`: a `sequence` is `(batch, time, *spatial', filters)`, an
`output` `(batch, *spatial', filters)`, and `h` and `c` have the output's shape (`h` is the
last step of the sequence, `c` the cell state). With `padding="same"` and the default
`strides=1`, `spatial'` is `spatial`; `padding="valid"`, Keras' default, shrinks each spatial
size by `kernel_size - 1`, here
{shrunk}.
Inside `Bidirectional` every `merge_mode` works; `"concat"` joins the two directions on the
channel axis (`2 * filters` channels)."""


#: The ConvLSTM rows of the shape reference, ``(kind, padding, return_sequences,
#: return_state)``: every flag with ``"same"``, and ``"valid"`` once per layer (rnn_lib.backends
#: re-checks the same rows on JAX).
CONV_LSTM_CONFIGURATIONS: list[tuple[str, str, bool, bool]] = [
    *product(CONV_LSTM_KINDS, ["same"], (False, True), (False, True)),
    *product(CONV_LSTM_KINDS, ["valid"], [True], [True]),
]


def _conv_lstm_lines(
    batch: int, timesteps: int, channels: int, filters: int, spatial: dict[str, int], kernel: int
) -> list[str]:
    """The ConvLSTM section of the shape reference, from Keras calls traced on symbolic inputs."""
    inputs = {
        kind: np.zeros((batch, timesteps, *(spatial[axis] for axis in axes), channels), "float32")
        for kind, axes in _SPATIAL_AXES.items()
    }
    sizes = {"batch": batch, "time": timesteps, **spatial, "channels": channels}
    lines = [
        "",
        "## ConvLSTM1D, ConvLSTM2D and ConvLSTM3D",
        "",
        _CONV_LSTM_INTRO.format(
            sizes=", ".join(f"{axis} {size}" for axis, size in sizes.items()),
            filters=filters,
            kernel=kernel,
            shrunk=", ".join(
                f"{axis} {size} -> {size - kernel + 1}" for axis, size in spatial.items()
            ),
        ),
        "",
        "| layer | input | padding | return_sequences | return_state | returns |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind, padding, sequences, state in CONV_LSTM_CONFIGURATIONS:
        layer = make_layer(
            kind,
            filters,
            return_sequences=sequences,
            return_state=state,
            kernel_size=kernel,
            padding=padding,
        )
        named = symbolic_named(layer, inputs[kind].shape)
        lines.append(
            f"| `{kind}` | {inputs[kind].shape} | `{padding!r}` | {sequences} | {state} | "
            f"{_returns_cell(named)} |"
        )
    return lines


_ENCODER_DECODER_INTRO = """\
A `Bidirectional` encoder's states, joined for a one-direction decoder of `2 * units` by
`rnn_lib.concat_bidirectional_states` (each forward state concatenated with its backward
state), and attention over a recurrent encoder's sequence. The decoder reads a target of
{target_time} steps; the attention layers are called on `[query, value]`, the query being a
decoder's sequence, {query}, and the value the encoder's, {value}. Where these come from:
[Encoder-decoder beyond one layer](../notebooks/10_encoder_decoder_beyond_one_layer.ipynb)."""


def _encoder_decoder_lines(inputs: np.ndarray, units: int) -> list[str]:
    """The encoder-to-decoder section of the shape reference, from Keras calls traced on symbolic
    inputs."""
    from rnn_lib.seq2seq import concat_bidirectional_states

    batch, timesteps, features = inputs.shape
    target = keras.KerasTensor((batch, timesteps + 1, features), dtype="float32")
    inputs = keras.KerasTensor(inputs.shape, dtype="float32")
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
