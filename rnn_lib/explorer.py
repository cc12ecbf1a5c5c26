"""The rules behind the in-page shape explorer, read off real Keras calls.

TensorFlow does not run in a browser, so the book's shape explorer page
(``book/explorer.md``) answers from a data file, ``book/_static/explorer-data.js``, that
this module writes (``python -m rnn_lib.explorer > book/_static/explorer-data.js``,
or ``make explorer``). Nothing in it is typed by hand:

* for every layer, ``return_sequences``, ``return_state``, ``Bidirectional`` merge mode
  (or none) and, for a ConvLSTM, ``padding``, Keras builds the layer and traces a call
  (:func:`rnn_lib.symbolic_named`) on an input whose sizes are all different
  (:data:`PROBE_SIZES`); each returned axis is then *named* by the one input size it can
  come from: ``["units", 2, 0]`` reads "2 x units", ``["rows", 1, 1]`` reads
  "rows - (kernel_size - 1)". A size that two rules could explain is an error, not a guess;
* the parameter count of each layer is ``gates * units * (volume * (features + units) +
  bias_terms)`` per direction, with ``gates`` and ``bias_terms`` read off Keras'
  ``count_params()`` at two sizes and checked at a third.

:func:`explain` applies the rules to any sizes, as the page's script does; the tests check
it against Keras for random configurations, and the browser check compares the page with
``python -m rnn_lib``. Example::

    >>> print(explain(explorer_data(), "GRU", 6, (2, 9, 3), merge_mode="sum"))
    Bidirectional(GRU(6), merge_mode='sum', return_sequences=False,
                  return_state=False)
    returns one tensor:
      output  (2, 6)
    parameters: 396
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from rnn_lib import _checks, shapes
from rnn_lib.runtime import import_keras_quietly

import_keras_quietly()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = [
    "PROBE_SIZES",
    "Explained",
    "data_script",
    "explain",
    "explorer_data",
]

#: Input sizes of the traced calls: every size, and every size a rule can make from one,
#: differs from every other (a ConvLSTM's spatial sizes shrink by 2 with ``padding="valid"``).
PROBE_SIZES: dict[str, int] = {
    "batch": 3,
    "time": 5,
    "depth": 11,
    "rows": 17,
    "cols": 23,
    "features": 2,
    "units": 4,
    "kernel_size": 3,
}

# The candidate rules for one returned axis: (input axis or "units", multiplier, shrinks by
# kernel_size - 1). A merge mode "concat" doubles units; "valid" padding shrinks a spatial axis.
_SPATIAL = ("depth", "rows", "cols")
_CANDIDATES: tuple[tuple[str, int, int], ...] = (
    ("batch", 1, 0),
    ("time", 1, 0),
    ("units", 1, 0),
    ("units", 2, 0),
    *((axis, 1, shrink) for axis in _SPATIAL for shrink in (0, 1)),
)

#: The merge-mode choices of the page, in its order: no Bidirectional, then Keras' modes.
MERGE_CHOICES: tuple[str, ...] = ("no Bidirectional", "concat", "sum", "ave", "mul", "None")

# The chapter sections the page links to, by topic: (page, anchor, title).
SECTIONS: dict[str, tuple[str, str, str]] = {
    "default": (
        "notebooks/01_outputs_vs_state",
        "the-default-one-tensor-the-last-step",
        "The default: one tensor, the last step",
    ),
    "sequences": (
        "notebooks/01_outputs_vs_state",
        "return-sequences-true-the-output-at-every-step",
        "return_sequences=True: the output at every step",
    ),
    "state": (
        "notebooks/01_outputs_vs_state",
        "return-state-true-a-tuple-with-the-final-state-appended",
        "return_state=True: a tuple, with the final state appended",
    ),
    "bidirectional": (
        "notebooks/04_bidirectional_merges",
        "every-merge-mode-with-and-without-return-sequences",
        "Bidirectional: every merge mode, with and without return_sequences",
    ),
    "bidirectional_state": (
        "notebooks/04_bidirectional_merges",
        "the-state-order-shown",
        "Bidirectional: the state order, shown",
    ),
    "conv": (
        "notebooks/12_cells_wrappers_and_options",
        "convlstm-a-recurrent-layer-over-images",
        "ConvLSTM: a recurrent layer over images",
    ),
    "parameters": (
        "notebooks/08_inside_the_cell",
        "parameter-counts-explained",
        "Parameter counts, explained",
    ),
}


def _kinds() -> tuple[str, ...]:
    return (*shapes.LAYER_KINDS, *shapes.CONV_LSTM_KINDS)


def _probe_shape(kind: str) -> tuple[int, ...]:
    return tuple(
        PROBE_SIZES["features" if axis in ("features", "channels") else axis]
        for axis in shapes.input_axes(kind)
    )


def _rule(kind: str, size: int) -> list[Any]:
    """The one rule of :data:`_CANDIDATES` that gives ``size`` from the probe sizes."""
    axes = shapes.input_axes(kind)
    shrink_by = PROBE_SIZES["kernel_size"] - 1
    matches = [
        [axis, times, shrink]
        for axis, times, shrink in _CANDIDATES
        if (axis == "units" or axis in axes)
        and times * PROBE_SIZES[axis] - shrink * shrink_by == size
    ]
    if len(matches) != 1:
        raise RuntimeError(f"{kind}: a returned size {size} matches {len(matches)} rules")
    return matches[0]


def _build(kind: str, merge: str, **options: Any) -> Any:
    options.update(kernel_initializer="zeros", recurrent_initializer="zeros")
    if merge == "no Bidirectional":
        return shapes.make_layer(kind, PROBE_SIZES["units"], **options)
    mode = None if merge == "None" else merge
    return shapes.make_bidirectional(kind, PROBE_SIZES["units"], mode, **options)


def _returns(kind: str) -> dict[str, Any]:
    """``"<seq>|<state>|<merge>|<padding>"`` -> ``[container, [[name, [rule, ...]], ...]]``."""
    conv = kind in shapes.CONV_LSTM_KINDS
    table = {}
    for sequences, state, merge, padding in product(
        (False, True), (False, True), MERGE_CHOICES, ("same", "valid") if conv else ("",)
    ):
        options: dict[str, Any] = {"return_sequences": sequences, "return_state": state}
        if conv:
            options.update(kernel_size=PROBE_SIZES["kernel_size"], padding=padding)
        named = shapes.symbolic_named(_build(kind, merge, **options), _probe_shape(kind))
        key = f"{int(sequences)}|{int(state)}|{merge}|{padding}"
        table[key] = [
            named.container,
            [[name, [_rule(kind, size) for size in shape]] for name, shape in named.shapes.items()],
        ]
    return table


def _count(kind: str, units: int, features: int) -> int:
    options: dict[str, Any] = {}
    shape = list(_probe_shape(kind))
    shape[-1] = features
    if kind in shapes.CONV_LSTM_KINDS:
        options.update(kernel_size=PROBE_SIZES["kernel_size"], padding="same")
    layer = shapes.make_layer(kind, units, **options)
    layer.build(tuple(shape))
    return layer.count_params()


def _parameters(kind: str) -> dict[str, int]:
    """``gates`` and ``bias_terms`` of ``gates * units * (volume * (features + units) + bias)``.

    Read off Keras' ``count_params()`` at features 2 and 3 (the difference is
    ``gates * units * volume``), then checked at other sizes.
    """
    volume = PROBE_SIZES["kernel_size"] ** (len(shapes.input_axes(kind)) - 3)
    units = PROBE_SIZES["units"]
    two, three = _count(kind, units, 2), _count(kind, units, 3)
    gates = (three - two) // (units * volume)
    bias_terms = two // (gates * units) - volume * (2 + units)
    rule = {
        "gates": gates,
        "volume_axes": len(shapes.input_axes(kind)) - 3,
        "bias_terms": bias_terms,
    }
    for check_units, check_features in ((7, 5), (1, 1)):
        expected = _count(kind, check_units, check_features)
        got = gates * check_units * (volume * (check_features + check_units) + bias_terms)
        if got != expected:
            raise RuntimeError(f"{kind}: the parameter rule gives {got}, Keras {expected}")
    return rule


def explorer_data() -> dict[str, Any]:
    """Everything the page's script needs, read off Keras (see the module docstring).

    ``layers`` maps each layer name to its input axes, default input shape, Keras call
    name and argument names, parameter rule and ``returns`` table.
    """
    from rnn_lib import cli  # its defaults are the page's defaults

    layers = {}
    # Variables created in a stateless scope are not initialised: only shapes are needed here,
    # and the layers are built a third faster.
    with keras.StatelessScope():
        for kind in _kinds():
            layers[kind] = {
                "axes": list(shapes.input_axes(kind)),
                "default_input_shape": list(cli.DEFAULT_INPUT_SHAPES[kind]),
                "conv": kind in shapes.CONV_LSTM_KINDS,
                "parameters": _parameters(kind),
                "returns": _returns(kind),
            }
    return {
        "kinds": list(_kinds()),
        "merge_choices": list(MERGE_CHOICES),
        "line_width": shapes.LINE_WIDTH,
        "max_weights": cli.MAX_WEIGHTS,
        "layers": layers,
        "sections": {
            topic: {"page": page, "anchor": anchor, "title": title}
            for topic, (page, anchor, title) in SECTIONS.items()
        },
    }


def data_script(data: dict[str, Any] | None = None) -> str:
    """``book/_static/explorer-data.js``: the data as one JavaScript assignment.

    A script, not a JSON file to fetch, so the page also works opened from disk
    (``file://``), where a browser refuses ``fetch``.
    """
    data = explorer_data() if data is None else data
    # One line per configuration, so that a change shows as the lines of what changed.
    placeholders = {}
    layers = {}
    for kind, layer in data["layers"].items():
        returns = {}
        for key, value in layer["returns"].items():
            placeholders[f"@{kind}@{key}@"] = json.dumps(value, separators=(",", ":"))
            returns[key] = f"@{kind}@{key}@"
        layers[kind] = {**layer, "returns": returns}
    body = json.dumps({**data, "layers": layers}, indent=1, sort_keys=True)
    for placeholder, value in placeholders.items():
        body = body.replace(json.dumps(placeholder), value)
    return (
        "// Generated by `python -m rnn_lib.explorer` from real Keras calls: do not edit.\n"
        f"window.RNN_EXPLORER_DATA = {body};\n"
    )


@dataclass(frozen=True)
class Explained:
    """What :func:`explain` computed: the text ``python -m rnn_lib`` prints, and its parts."""

    description: str
    container: str
    shapes: dict[str, tuple[int, ...]]
    parameters: int
    sections: tuple[str, ...]

    def __str__(self) -> str:
        table = shapes.returns_text(self.description, self.container, self.shapes)
        return f"{table}\nparameters: {self.parameters:,}"


def explain(
    data: dict[str, Any],
    kind: str,
    units: int,
    input_shape: Sequence[int],
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    merge_mode: str = "no Bidirectional",
    kernel_size: int = 3,
    padding: str = "same",
) -> Explained:
    """Apply the rules of ``data`` (:func:`explorer_data`) to one configuration, no Keras call.

    Args:
        data: the rules.
        kind: ``SimpleRNN``, ``GRU``, ``LSTM``, ``ConvLSTM1D``, ``ConvLSTM2D`` or ``ConvLSTM3D``.
        units: units (a ConvLSTM's filters), >= 1.
        input_shape: ``(batch, time, features)``, or ``(batch, time, *spatial, channels)``.
        merge_mode: one of :data:`MERGE_CHOICES` (``"None"`` is ``merge_mode=None``).
        kernel_size, padding: a ConvLSTM's (one size for every spatial axis).

    Returns:
        :class:`Explained`: named shapes in Keras' order, parameter count, section topics.

    Raises:
        ValueError: an unknown ``kind``, ``merge_mode`` or ``padding``; a size < 1; an
            ``input_shape`` of the wrong length; a spatial size < ``kernel_size`` with
            ``padding="valid"``.
    """
    if kind not in data["layers"]:
        raise ValueError(f"kind: expected one of {list(data['layers'])}, got {kind!r}")
    layer = data["layers"][kind]
    units = _checks.positive_int("units", units)
    if merge_mode not in data["merge_choices"]:
        raise ValueError(f"merge_mode: expected one of {data['merge_choices']}, got {merge_mode!r}")
    axes = layer["axes"]
    if len(input_shape) != len(axes) or any(int(size) < 1 for size in input_shape):
        raise ValueError(
            f"input_shape: expected {len(axes)} sizes >= 1 ({', '.join(axes)}), "
            f"got {tuple(input_shape)}"
        )
    sizes = dict(zip(axes, (int(size) for size in input_shape), strict=True))
    sizes["units"] = units
    if layer["conv"]:
        kernel_size = _checks.positive_int("kernel_size", kernel_size)
        if padding not in ("same", "valid"):
            raise ValueError(f"padding: expected 'same' or 'valid', got {padding!r}")
        if padding == "valid" and min(sizes[axis] for axis in axes[2:-1]) < kernel_size:
            raise ValueError(
                f"input_shape: expected every spatial size >= kernel_size {kernel_size} with "
                f"padding 'valid', got {tuple(input_shape)}"
            )
    key = f"{int(return_sequences)}|{int(return_state)}|{merge_mode}|"
    key += padding if layer["conv"] else ""
    container, returned = layer["returns"][key]
    named = {
        name: tuple(
            times * sizes[axis] - shrink * (kernel_size - 1) for axis, times, shrink in rules
        )
        for name, rules in returned
    }
    rule = layer["parameters"]
    volume = kernel_size ** rule["volume_axes"] if layer["conv"] else 1
    features = sizes[axes[-1]]
    count = rule["gates"] * units * (volume * (features + units) + rule["bias_terms"])
    count *= 1 if merge_mode == "no Bidirectional" else 2
    return Explained(
        _description(
            kind,
            units,
            layer["conv"],
            kernel_size,
            len(axes) - 3,
            padding,
            merge_mode,
            return_sequences,
            return_state,
        ),
        container,
        named,
        count,
        _topics(layer["conv"], return_sequences, return_state, merge_mode),
    )


def cli_configuration(arguments: Sequence[str]) -> dict[str, Any]:
    """The configuration ``python -m rnn_lib ARGUMENTS`` asks about, as :func:`explain`'s
    keyword arguments (the CLI's defaults filled in: units 4, its default input shape, for a
    ConvLSTM kernel 3 and ``padding="same"``). Bad arguments exit as the CLI does."""
    from rnn_lib import cli

    args = cli.build_parser().parse_args(list(arguments))
    conv = args.layer in shapes.CONV_LSTM_KINDS
    return {
        "kind": args.layer,
        "units": cli._units(args),
        "input_shape": tuple(args.input_shape or cli.DEFAULT_INPUT_SHAPES[args.layer]),
        "return_sequences": args.return_sequences,
        "return_state": args.return_state,
        "merge_mode": {None: "no Bidirectional", "none": "None"}.get(
            args.merge_mode, args.merge_mode
        ),
        "kernel_size": (args.kernel_size or 3) if conv else 3,
        "padding": (args.padding or "same") if conv else "same",
    }


def _description(
    kind: str,
    units: int,
    conv: bool,
    kernel_size: int,
    rank: int,
    padding: str,
    merge_mode: str,
    return_sequences: bool,
    return_state: bool,
) -> str:
    """``shapes.describe_layer``'s text for this configuration."""
    arguments = [str(units)]
    if conv:
        kernel = "(" + ", ".join([str(kernel_size)] * rank) + ("," if rank == 1 else "") + ")"
        arguments += [f"kernel_size={kernel}", f"padding={padding!r}"]
    flags = f"return_sequences={return_sequences}, return_state={return_state})"
    inner = f"{kind}({', '.join(arguments)}"
    if merge_mode == "no Bidirectional":
        return f"{inner}, {flags}"
    mode = "None" if merge_mode == "None" else repr(merge_mode)
    return f"Bidirectional({inner}), merge_mode={mode}, {flags}"


def _topics(conv: bool, sequences: bool, state: bool, merge_mode: str) -> tuple[str, ...]:
    if merge_mode != "no Bidirectional":
        topics = ["bidirectional", *(["bidirectional_state"] if state else [])]
    else:
        topics = ["sequences" if sequences else "default", *(["state"] if state else [])]
    return (*(["conv"] if conv else []), *topics, "parameters")


if __name__ == "__main__":
    sys.stdout.write(data_script())
