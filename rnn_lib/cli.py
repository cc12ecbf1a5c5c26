"""The shape explorer: ``python -m rnn_lib LAYER [options]``.

Builds the layer you describe, calls it on a random input of the shape you
give, and prints what it returns, named and with shapes. Keras does the
computing; nothing is looked up in a table.

    python -m rnn_lib LSTM --units 4 --return-sequences --return-state
    python -m rnn_lib GRU --units 8 --merge-mode concat --input-shape 2 7 3
    python -m rnn_lib --reference > book/shape_reference.md

Bad arguments print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

import numpy as np

from rnn_lib import _checks, shapes

MERGE_CHOICES = ["concat", "sum", "ave", "mul", "none"]


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m rnn_lib",
        description="Show what a Keras recurrent layer returns, named and with shapes, "
        "by building it and calling it on a random input.",
        epilog="Example: python -m rnn_lib LSTM --units 4 --return-sequences --return-state",
    )
    parser.add_argument(
        "layer", nargs="?", choices=list(shapes.LAYER_KINDS), help="the recurrent layer type"
    )
    parser.add_argument("--units", type=int, default=4, help="units of the layer (default 4)")
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
        "--input-shape",
        type=int,
        nargs=3,
        default=[3, 5, 2],
        metavar=("BATCH", "TIME", "FEATURES"),
        help="shape of the random input (default 3 5 2)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="print the whole shape reference page (Markdown) instead",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.reference:
        print(shapes.reference_markdown(), end="")
        return 0
    if args.layer is None:
        parser.error("the layer type is required: one of " + ", ".join(shapes.LAYER_KINDS))
    try:
        _checks.positive_int("--units", args.units)
        for name, size in zip(("BATCH", "TIME", "FEATURES"), args.input_shape, strict=True):
            if size < 1:
                raise ValueError(f"--input-shape: expected {name} >= 1, got {size}")
        if args.merge_mode is None:
            layer = shapes.make_layer(
                args.layer,
                args.units,
                return_sequences=args.return_sequences,
                return_state=args.return_state,
            )
        else:
            mode = None if args.merge_mode == "none" else args.merge_mode
            layer = shapes.make_bidirectional(
                args.layer,
                args.units,
                mode,
                return_sequences=args.return_sequences,
                return_state=args.return_state,
            )
        inputs = np.random.default_rng(0).normal(size=args.input_shape).astype("float32")
        print(shapes.run_named(layer, inputs))
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
