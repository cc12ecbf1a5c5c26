"""rnn_lib: the small, tested helpers behind the RNN outputs-and-state field guide.

Importing the package first imports TensorFlow quietly (see
:mod:`rnn_lib.runtime`), so a notebook that starts with ``import rnn_lib``
shows no TensorFlow start-up log lines.

Modules:
    runtime  quiet TensorFlow import, seeding, the versions cell
    shapes   name what a recurrent layer returns, with shapes
"""

from rnn_lib.runtime import import_tensorflow_quietly, setup_notebook, versions

import_tensorflow_quietly()

from rnn_lib.shapes import (  # noqa: E402  (after the quiet TensorFlow import)
    NamedOutputs,
    OutputGrid,
    describe_layer,
    make_layer,
    output_grid,
    output_names,
    run_named,
)

__version__ = "0.1.0"

__all__ = [
    "NamedOutputs",
    "OutputGrid",
    "describe_layer",
    "import_tensorflow_quietly",
    "make_layer",
    "output_grid",
    "output_names",
    "run_named",
    "setup_notebook",
    "versions",
]
