"""The shape explorer: ``python -m rnn_lib LAYER [options]``.

Builds the layer you describe, traces a call on a symbolic input of the shape
you give (``rnn_lib.symbolic_named``: no input is allocated, no value computed,
so any size is answered), and prints what it returns, named and with shapes, and
the layer's parameter count (Keras' ``count_params()``).
Keras does the computing; nothing is looked up in a table. The layer's weights
are allocated, so a layer of more than ``MAX_WEIGHTS`` weights is refused.

    python -m rnn_lib LSTM --units 4 --return-sequences --return-state
    python -m rnn_lib GRU --units 8 --merge-mode concat --input-shape 2 7 3
    python -m rnn_lib ConvLSTM2D --filters 4 --input-shape 3 5 6 7 2 --return-state
    python -m rnn_lib --reference > book/shape_reference.md

For ``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D``, ``--units`` (or its other
name ``--filters``) is the number of filters, ``--kernel-size`` (default 3) and
``--padding`` (default ``same``) shape the convolutions, and ``--input-shape``
takes 4, 5 or 6 sizes: ``BATCH TIME``, the spatial sizes, ``CHANNELS``.

Bad arguments (and a layer too big to build) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from rnn_lib import _checks, reference, shapes

MERGE_CHOICES = ["concat", "sum", "ave", "mul", "none"]

#: The largest layer the explorer builds: 250 million float32 weights (1 GB).
MAX_WEIGHTS = 250_000_000

#: The input's shape when ``--input-shape`` is not given, by layer.
DEFAULT_INPUT_SHAPES: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(shapes.LAYER_KINDS, (3, 5, 2)),
    "ConvLSTM1D": (3, 5, 8, 2),
    "ConvLSTM2D": (3, 5, 8, 9, 2),
    "ConvLSTM3D": (3, 5, 12, 8, 9, 2),
}

_CONV_ONLY = ("--filters", "--kernel-size", "--padding")


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m rnn_lib",
        description="Show what a Keras recurrent layer returns, named and with shapes, "
        "by building it and tracing a call on a symbolic input of any size.",
        epilog="Examples: python -m rnn_lib LSTM --units 4 --return-sequences --return-state; "
        "python -m rnn_lib ConvLSTM2D --filters 4 --input-shape 3 5 6 7 2 --return-state",
    )
    parser.add_argument(
        "layer",
        nargs="?",
        choices=[*shapes.LAYER_KINDS, *shapes.CONV_LSTM_KINDS],
        help="the recurrent layer type",
    )
    parser.add_argument(
        "--units", type=int, help="units of the layer, filters of a ConvLSTM (default 4)"
    )
    parser.add_argument(
        "--filters", type=int, help="ConvLSTM1D/2D/3D only: another name for --units"
    )
    parser.add_argument(
        "--return-sequences", action="store_true", help="return the output at every step"
    )
    parser.add_argument(
        "--return-state", action="store_true", help="also return the final state(s)"
    )
    parser.add_argument(
        "--merge-mode",
        choices=MERGE_CHOICES,
        help="wrap the layer in Bidirectional with this merge_mode ('none' means None)",
    )
    parser.add_argument(
        "--kernel-size",
        type=int,
        help="ConvLSTM1D/2D/3D only: the kernel's size along every spatial axis (default 3)",
    )
    parser.add_argument(
        "--padding",
        choices=["same", "valid"],
        help="ConvLSTM1D/2D/3D only: 'same' keeps the spatial sizes, 'valid' shrinks each "
        "by KERNEL_SIZE - 1 (default same; Keras' own default is valid)",
    )
    parser.add_argument(
        "--input-shape",
        type=int,
        nargs="+",
        metavar="SIZE",
        help="shape of the input: BATCH TIME FEATURES (default 3 5 2); for "
        "ConvLSTM1D/2D/3D BATCH TIME, then 1, 2 or 3 spatial sizes (ROWS; ROWS COLS; "
        "DEPTH ROWS COLS), then CHANNELS (default 3 5 8 2; 3 5 8 9 2; 3 5 12 8 9 2)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="print the whole shape reference page (Markdown) instead",
    )
    return parser


def _units(args: argparse.Namespace) -> int:
    """``--units`` or ``--filters`` (not both), default 4, checked."""
    if args.filters is None:
        return _checks.positive_int("--units", 4 if args.units is None else args.units)
    if args.units is not None:
        raise ValueError(
            f"--filters: expected --units or --filters (the same thing), got both "
            f"(--units {args.units}, --filters {args.filters})"
        )
    return _checks.positive_int("--filters", args.filters)


def _input_shape(args: argparse.Namespace, kernel_size: int | None) -> tuple[int, ...]:
    """The ``--input-shape`` sizes (or the default), checked against the axes the layer reads.

    One size per axis, each >= 1, and with ``--padding valid`` each spatial size >= the
    kernel size.
    """
    axes = [axis.upper() for axis in shapes.input_axes(args.layer)]
    shape = DEFAULT_INPUT_SHAPES[args.layer] if args.input_shape is None else args.input_shape
    if len(shape) != len(axes):
        raise ValueError(
            f"argument --input-shape: expected {len(axes)} arguments ({' '.join(axes)}) "
            f"for {args.layer}, got {len(shape)}"
        )
    for name, size in zip(axes, shape, strict=True):
        if size < 1:
            raise ValueError(f"--input-shape: expected {name} >= 1, got {size}")
    if args.padding == "valid":
        for name, size in zip(axes[2:-1], shape[2:-1], strict=True):
            if size < kernel_size:
                raise ValueError(
                    f"--input-shape: expected {name} >= --kernel-size {kernel_size} with "
                    f"--padding valid, got {size}"
                )
    return tuple(shape)


def weight_count(
    kind: str, units: int, input_shape: tuple[int, ...], kernel_size: int | None = None
) -> int:
    """The number of weights of one ``kind`` layer (Keras' ``count_params()``), unbuilt.

    ``reference.parameter_count`` for SimpleRNN, GRU and LSTM (the last input axis is the
    features); for a ConvLSTM, ``4 * filters * (kernel_volume * (channels + filters) + 1)``.
    """
    if kind not in shapes.CONV_LSTM_KINDS:
        return reference.parameter_count(kind, units, input_shape[-1])
    volume = kernel_size ** (len(input_shape) - 3)
    return 4 * units * (volume * (input_shape[-1] + units) + 1)


def _check_size(
    args: argparse.Namespace, units: int, input_shape: tuple[int, ...], kernel_size: int | None
) -> None:
    """Refuse, in one line, a layer whose weights would not fit: it has to be built."""
    weights = weight_count(args.layer, units, input_shape, kernel_size)
    weights *= 1 if args.merge_mode is None else 2
    if weights <= MAX_WEIGHTS:
        return
    option = "--units" if args.filters is None else "--filters"
    last = "CHANNELS" if args.layer in shapes.CONV_LSTM_KINDS else "FEATURES"
    raise ValueError(
        f"{option}: expected a layer of at most {MAX_WEIGHTS:,} weights (it is built to ask "
        f"Keras), got {weights:,} ({weights * 4 / 2**30:,.3g} GiB) for {option} {units} with "
        f"{last} {input_shape[-1]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.reference:
        print(shapes.reference_markdown(), end="")
        return 0
    if args.layer is None:
        kinds = [*shapes.LAYER_KINDS, *shapes.CONV_LSTM_KINDS]
        parser.error("the layer type is required: one of " + ", ".join(kinds))
    try:
        units = _units(args)
        kernel_size = None
        if args.layer in shapes.CONV_LSTM_KINDS:
            kernel_size = 3 if args.kernel_size is None else args.kernel_size
            kernel_size = _checks.positive_int("--kernel-size", kernel_size)
        else:
            given = (args.filters, args.kernel_size, args.padding)
            for option, value in zip(_CONV_ONLY, given, strict=True):
                if value is not None:
                    raise ValueError(
                        f"{option}: expected only with ConvLSTM1D, ConvLSTM2D or ConvLSTM3D, "
                        f"got it with {args.layer}"
                    )
        input_shape = _input_shape(args, kernel_size)
        options = {
            "return_sequences": args.return_sequences,
            "return_state": args.return_state,
            "kernel_size": kernel_size,
            "padding": args.padding,
        }
        _check_size(args, units, input_shape, kernel_size)
        # The values do not matter, only the shapes: zeros are the cheapest to initialise.
        options.update(kernel_initializer="zeros", recurrent_initializer="zeros")
        if args.merge_mode is None:
            layer = shapes.make_layer(args.layer, units, **options)
        else:
            mode = None if args.merge_mode == "none" else args.merge_mode
            layer = shapes.make_bidirectional(args.layer, units, mode, **options)
        print(shapes.symbolic_named(layer, input_shape))
        print(f"parameters: {layer.count_params():,}")
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
