"""rnn_lib: the small, tested helpers behind the RNN outputs-and-state field guide.

Importing the package first imports TensorFlow quietly (see
:mod:`rnn_lib.runtime`), so a notebook that starts with ``import rnn_lib``
shows no TensorFlow start-up log lines.

Modules (one concern each):
    runtime  quiet TensorFlow import, seeding, captured warnings, one-line errors, versions
    shapes   name what a recurrent (or Bidirectional) layer returns, with shapes
    cells    every step's states (h, c) of a recurrent layer: the StatesEveryStep wrapper
    data     seeded padded batches (post or pre padding), with lengths and mask; a real
             series cut into windows of different lengths, padded, with next-value targets
    extract  the last valid step of each row; mask <-> lengths; Bidirectional directions
    layers   mask-aware Keras layers to put after a recurrent layer
    masks    what a layer does with a mask that reaches it: uses it, passes it on, warns
    legacy   TF1 LSTMCell/GRUCell <-> Keras 3 LSTM/GRU(reset_after=False) weight conversion
    plot     figures of sequence outputs with their padding drawn in
    reference  NumPy SimpleRNN/GRU/LSTM recurrences reading a Keras layer's weights
    seq2seq    Bidirectional states for a decoder, greedy decoding, the digit-reversal task
    stateful   the batch layout a stateful layer needs; resetting a model's states
"""

from rnn_lib.runtime import (
    captured_warnings,
    error_line,
    import_keras_quietly,
    import_tensorflow_quietly,
    keras_backend_name,
    setup_notebook,
    version_table,
    versions,
)

import_keras_quietly()

# After the quiet TensorFlow import (on the TensorFlow backend):
from rnn_lib.cells import StatesEveryStep, states_over_time  # noqa: E402
from rnn_lib.data import (  # noqa: E402
    PaddedBatch,
    SeriesWindows,
    padded_batch,
    padded_tokens,
    random_series_windows,
    series_windows,
)
from rnn_lib.extract import (  # noqa: E402
    bidirectional_final_steps,
    first_valid_indices,
    last_valid_indices,
    last_valid_step,
    lengths_to_mask,
    mask_to_lengths,
    split_directions,
)
from rnn_lib.layers import (  # noqa: E402
    AttentionPooling,
    LastValidStep,
    MaskedTimeAverage,
    ZeroMaskedSteps,
)
from rnn_lib.legacy import (  # noqa: E402
    keras_gru_to_tf1,
    keras_lstm_to_tf1,
    tf1_gru_to_keras,
    tf1_lstm_to_keras,
)
from rnn_lib.masks import MaskBehaviour, mask_behaviour  # noqa: E402
from rnn_lib.plot import (  # noqa: E402
    plot_attention,
    plot_directions,
    plot_error_by_length,
    plot_forecast,
    plot_history,
    plot_sequence,
)
from rnn_lib.reference import (  # noqa: E402
    gru_internals,
    lstm_internals,
    parameter_count,
    reproduce,
)
from rnn_lib.seq2seq import (  # noqa: E402
    GreedyDecoding,
    ReversalTask,
    concat_bidirectional_states,
    decoding_accuracy,
    greedy_decode,
    reversal_task,
    tokens_to_text,
)
from rnn_lib.shapes import (  # noqa: E402
    NamedOutputs,
    OutputGrid,
    bidirectional_grid,
    describe_layer,
    input_axes,
    make_bidirectional,
    make_layer,
    output_grid,
    output_names,
    run_named,
    symbolic_named,
)
from rnn_lib.stateful import (  # noqa: E402
    ResetStatesCallback,
    reset_states,
    stateful_batches,
)

__version__ = "0.1.0"

__all__ = [
    "AttentionPooling",
    "GreedyDecoding",
    "LastValidStep",
    "MaskBehaviour",
    "MaskedTimeAverage",
    "NamedOutputs",
    "OutputGrid",
    "PaddedBatch",
    "ResetStatesCallback",
    "ReversalTask",
    "SeriesWindows",
    "StatesEveryStep",
    "ZeroMaskedSteps",
    "bidirectional_final_steps",
    "bidirectional_grid",
    "captured_warnings",
    "concat_bidirectional_states",
    "decoding_accuracy",
    "describe_layer",
    "error_line",
    "first_valid_indices",
    "greedy_decode",
    "gru_internals",
    "import_keras_quietly",
    "import_tensorflow_quietly",
    "input_axes",
    "keras_backend_name",
    "keras_gru_to_tf1",
    "keras_lstm_to_tf1",
    "last_valid_indices",
    "last_valid_step",
    "lengths_to_mask",
    "lstm_internals",
    "make_bidirectional",
    "make_layer",
    "mask_behaviour",
    "mask_to_lengths",
    "output_grid",
    "output_names",
    "padded_batch",
    "padded_tokens",
    "parameter_count",
    "plot_attention",
    "plot_directions",
    "plot_error_by_length",
    "plot_forecast",
    "plot_history",
    "plot_sequence",
    "random_series_windows",
    "reproduce",
    "reset_states",
    "reversal_task",
    "run_named",
    "series_windows",
    "setup_notebook",
    "split_directions",
    "stateful_batches",
    "states_over_time",
    "symbolic_named",
    "tf1_gru_to_keras",
    "tf1_lstm_to_keras",
    "tokens_to_text",
    "version_table",
    "versions",
]
