"""rnn_lib.plot: figures build without error on padded batches, and reject bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnn_lib import data, plot


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_plot_sequence_on_a_padded_batch(padding):
    batch = data.padded_batch([5, 3, 2], padding=padding)
    sequence = np.random.default_rng(0).normal(size=(3, 5, 4))
    before = plt.get_fignums()
    figure = plot.plot_sequence(sequence, mask=batch.mask, title="t")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 3 + 1  # one panel per row, and the colour bar
    assert plt.get_fignums() == before  # nothing left open in pyplot
    # one outlined last-valid rectangle per row, plus one hatch per padded step
    patches = [len(axis.patches) for axis in figure.axes[:3]]
    assert patches == [1 + 0, 1 + 2, 1 + 3]
    figure.canvas.draw()


def test_plot_sequence_from_lengths_and_without_mask():
    sequence = np.zeros((2, 4, 3))
    assert len(plot.plot_sequence(sequence, lengths=[4, 1]).axes[1].patches) == 1 + 3
    assert len(plot.plot_sequence(sequence).axes[0].patches) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sequence": np.zeros((3, 5))}, ValueError, r"sequence: expected a rank-3 tensor"),
        ({"mask": np.ones((3, 4), bool)}, ValueError,
         r"mask: expected shape \(3, 5\) \(batch, time\), got \(3, 4\)"),
        ({"mask": np.ones((3, 5), bool), "lengths": [5, 5, 5]}, ValueError, "got both"),
        ({"title": 3}, TypeError, "title: expected a str, got int"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, error, message):
    arguments = {"sequence": np.zeros((3, 5, 4)), **kwargs}
    with pytest.raises(error, match=message):
        plot.plot_sequence(arguments.pop("sequence"), **arguments)


def test_plot_directions_marks_each_final_step():
    forward = np.random.default_rng(0).normal(size=(5, 4))
    backward = np.random.default_rng(1).normal(size=(5, 4))
    mask = np.array([False, True, True, True, False])  # valid steps 1..3
    figure = plot.plot_directions(forward, backward, mask=mask, title="row")
    forward_axis, backward_axis = figure.axes[:2]
    outlines = [
        [p.get_x() + 0.5 for p in axis.patches if p.get_edgecolor()[:3] == (0, 0, 0)]
        for axis in (forward_axis, backward_axis)
    ]
    assert outlines == [[3.0], [1.0]]  # forward ends at the last valid step, backward at the first
    assert len(forward_axis.patches) == 1 + 2  # outline + two hatched padded steps
    figure.canvas.draw()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"backward": np.zeros((4, 4))}, ValueError, r"backward: expected shape \(5, 4\) like forward, got \(4, 4\)"),
        ({"mask": np.ones(4, bool)}, ValueError, r"mask: expected a bool array of shape \(5,\) \(time,\)"),
        ({"mask": np.zeros(5, bool)}, ValueError, "mask: expected at least one valid step, got none"),
        ({"forward": np.zeros((2, 5, 4))}, ValueError, r"forward: expected a rank-2 tensor \(time, units\)"),
    ],
)  # fmt: skip
def test_plot_directions_bad_input(kwargs, error, message):
    arguments = {"forward": np.zeros((5, 4)), "backward": np.zeros((5, 4)), **kwargs}
    with pytest.raises(error, match=message):
        plot.plot_directions(arguments.pop("forward"), arguments.pop("backward"), **arguments)


def test_plot_history_from_a_real_fit():
    import keras

    model = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    model.compile("adam", "mse", metrics=["mae"], run_eagerly=True)  # nothing to trace: faster
    inputs = np.random.default_rng(0).normal(size=(8, 5, 2))
    history = model.fit(inputs, np.zeros((8, 1)), epochs=3, validation_split=0.25, verbose=0)
    figure = plot.plot_history(history, metrics=("loss", "mae"))
    assert len(figure.axes) == 2
    assert [len(line.get_xdata()) for line in figure.axes[0].lines] == [
        3,
        3,
    ]  # training + validation


def test_plot_forecast_draws_truth_and_each_forecast():
    x = np.arange(10)
    figure = plot.plot_forecast(x, x * 1.0, {"model": x + 0.5, "baseline": x - 1.0})
    assert [line.get_label() for line in figure.axes[0].lines] == ["observed", "model", "baseline"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: plot.plot_history([1, 2]), TypeError, "history: expected a keras History or a dict of lists, got list"),
        (lambda: plot.plot_history({"loss": [1]}, metrics=("acc",)), ValueError, r"metrics: \['acc'\] not in the history, which has \['loss'\]"),
        (lambda: plot.plot_history({"loss": [1]}, metrics="loss"), TypeError, "metrics: expected a non-empty tuple of names"),
        (lambda: plot.plot_forecast(np.arange(3), np.zeros(4), {"m": np.zeros(3)}), ValueError, r"truth: expected shape \(3,\) like x, got \(4,\)"),
        (lambda: plot.plot_forecast(np.arange(3), np.zeros(3), {}), TypeError, "predictions: expected a non-empty dict"),
        (lambda: plot.plot_forecast(np.arange(3), np.zeros(3), {"m": np.zeros(2)}), ValueError, r"predictions\['m'\]: expected shape \(3,\) like x, got \(2,\)"),
    ],
)  # fmt: skip
def test_history_and_forecast_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----- plot_attention -----


def attention_scores(target_time=4, source_time=5, valid=5):
    """Softmax rows over the first ``valid`` source steps, zeros on the padded ones."""
    logits = np.random.default_rng(0).normal(size=(target_time, valid))
    weights = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return np.pad(weights, [(0, 0), (0, source_time - valid)])


def hatched_columns(axis):
    return sorted(p.get_x() + 0.5 for p in axis.patches if p.get_hatch())


def test_plot_attention_hatches_exactly_the_padded_source_steps():
    scores = attention_scores(valid=3)  # (target_time 4, source_time 5)
    mask = np.array([True, True, True, False, False])
    before = plt.get_fignums()
    figure = plot.plot_attention(scores, source_mask=mask, title="example 0")
    assert isinstance(figure, Figure)
    assert plt.get_fignums() == before  # nothing left open in pyplot
    axis, colorbar = figure.axes
    assert hatched_columns(axis) == [3.0, 4.0]
    assert all(p.get_height() == 4 for p in axis.patches)  # each over every target step
    (image,) = axis.images
    np.testing.assert_array_equal(image.get_array(), scores)
    assert image.get_clim() == (0.0, 1.0)
    assert colorbar.get_ylabel() == "attention weight"
    assert [label.get_text() for label in axis.get_xticklabels()] == ["0", "1", "2", "pad", "pad"]
    assert [label.get_text() for label in axis.get_yticklabels()] == ["0", "1", "2", "3"]
    assert axis.get_xlabel() == "source step  (hatched: padding)"
    assert axis.get_ylabel() == "target step"
    assert figure.texts[0].get_text() == "example 0"  # the suptitle
    figure.canvas.draw()


def test_plot_attention_labels_and_no_mask():
    scores = attention_scores(target_time=3, source_time=4, valid=4)
    figure = plot.plot_attention(
        scores, source_labels=["7", "3", "1", "<pad>"], target_labels=("1", "3", "7")
    )
    axis = figure.axes[0]
    assert hatched_columns(axis) == []
    assert axis.get_xlabel() == "source step"
    assert [label.get_text() for label in axis.get_xticklabels()] == ["7", "3", "1", "<pad>"]
    assert [label.get_text() for label in axis.get_yticklabels()] == ["1", "3", "7"]
    # the same hatching from a mask given as a tensor
    import tensorflow as tf

    masked = plot.plot_attention(scores, source_mask=tf.constant([True, False, True, False]))
    assert hatched_columns(masked.axes[0]) == [1.0, 3.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scores": np.zeros((2, 3, 5))}, ValueError, r"^scores: expected a rank-2 tensor \(target_time, source_time\), got shape \(2, 3, 5\)$"),
        ({"scores": np.zeros((0, 5))}, ValueError, r"^scores: expected at least one entry on every axis"),
        ({"scores": [[0.5]]}, TypeError, "^scores: expected a NumPy array or a tensor, got list$"),
        ({"scores": np.full((4, 5), np.nan)}, ValueError, "^scores: expected finite attention weights, got NaN or infinity$"),
        ({"scores": np.full((4, 5), 1.5)}, ValueError, r"^scores: expected attention weights in \[0, 1\], got values from 1.5 to 1.5$"),
        ({"scores": np.full((4, 5), -0.2)}, ValueError, r"^scores: expected attention weights in \[0, 1\], got values from -0.2 to -0.2$"),
        ({"source_mask": np.ones(4, bool)}, ValueError, r"^source_mask: expected a bool array of shape \(5,\) \(source_time,\), got bool \(4,\)$"),
        ({"source_mask": np.ones(5)}, ValueError, r"^source_mask: expected a bool array of shape \(5,\) \(source_time,\), got float64 \(5,\)$"),
        ({"source_mask": np.zeros(5, bool)}, ValueError, "^source_mask: expected at least one valid step, got none$"),
        ({"source_labels": list("abcd")}, ValueError, "^source_labels: expected 5 labels, one per source step, got 4$"),
        ({"target_labels": list("abcde")}, ValueError, "^target_labels: expected 4 labels, one per target step, got 5$"),
        ({"source_labels": "abcde"}, TypeError, "^source_labels: expected a sequence of str, got str$"),
        ({"target_labels": [1, 2, 3, 4]}, TypeError, "^target_labels: expected a sequence of str, got items of type int$"),
        ({"title": 3}, TypeError, "^title: expected a str, got int$"),
    ],
)  # fmt: skip
def test_plot_attention_bad_input(kwargs, error, message):
    arguments = {"scores": attention_scores(), **kwargs}
    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        plot.plot_attention(arguments.pop("scores"), **arguments)
    assert plt.get_fignums() == before


def test_plot_sequence_labels_its_colour_bar():
    values = np.zeros((3, 5, 4))
    default = plot.plot_sequence(values)
    named = plot.plot_sequence(values, value_label="cell state c")
    labels = [[axis.get_ylabel() for axis in figure.axes] for figure in (default, named)]
    assert "output value" in labels[0] and "cell state c" in labels[1]
    with pytest.raises(TypeError, match=r"^value_label: expected a str, got int$"):
        plot.plot_sequence(values, value_label=3)


# ----- plot_error_by_length -----


def error_table():
    """Lengths in shuffled order with uneven counts (5: 3 rows, 2: 1 row, 4: 2 rows)."""
    lengths = np.array([5, 2, 4, 5, 4, 5])
    errors = {
        "masked": np.array([0.5, 1.0, 0.25, 1.5, 0.75, 2.5]),
        "unmasked": np.array([3.0, 0.0, 1.0, 2.0, 5.0, 7.0]),
        "persistence": np.array([1, 4, 2, 1, 2, 4]),  # ints are fine
    }
    return lengths, errors


def brute_force_means(lengths, values):
    means = {}
    for length in sorted(set(lengths.tolist())):
        rows = [
            value
            for row, value in zip(lengths.tolist(), values.tolist(), strict=True)
            if row == length
        ]
        means[length] = sum(rows) / len(rows)
    return means


def test_plot_error_by_length_plots_the_mean_per_length():
    lengths, errors = error_table()
    before = plt.get_fignums()
    figure = plot.plot_error_by_length(lengths, errors, title="by length")
    assert isinstance(figure, Figure)
    assert plt.get_fignums() == before  # nothing left open in pyplot
    axis, counts_axis = figure.axes
    lines = {line.get_label(): line.get_xydata() for line in axis.lines}
    assert list(lines) == list(errors)
    for label, values in errors.items():
        expected = brute_force_means(lengths, values)
        np.testing.assert_array_equal(lines[label][:, 0], [2, 4, 5])  # sorted distinct lengths
        np.testing.assert_allclose(lines[label][:, 1], list(expected.values()))
    assert [text.get_text() for text in axis.get_legend().get_texts()] == list(errors)
    assert axis.get_xticks().tolist() == [2, 4, 5]
    assert (axis.get_xlabel(), axis.get_ylabel()) == (
        "window length (steps)",
        "mean absolute error",
    )
    assert figure.texts[0].get_text() == "by length"
    # each line distinguishable without colour: its own dash pattern and marker
    styles = {(str(line.get_linestyle()), line.get_marker()) for line in axis.lines}
    assert len(styles) == len(axis.lines)
    # the grey bars count the rows per length
    bars = {
        patch.get_x() + patch.get_width() / 2: patch.get_height() for patch in counts_axis.patches
    }
    assert bars == {2: 1, 4: 2, 5: 3}
    figure.canvas.draw()


def test_plot_error_by_length_from_lists_and_tensors():
    import tensorflow as tf

    figure = plot.plot_error_by_length(
        tf.constant([3, 3, 20]), {"LSTM": [1.0, 2.0, 4.0]}, ylabel="MAE", xlabel="years"
    )
    axis = figure.axes[0]
    assert axis.lines[0].get_xydata().tolist() == [[3.0, 1.5], [20.0, 4.0]]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("years", "MAE")


def test_plot_error_by_length_docstring_example():
    import doctest

    (example,) = doctest.DocTestFinder().find(plot.plot_error_by_length, globs=vars(plot))
    result = doctest.DocTestRunner().run(example)
    assert result.attempted == 2 and result.failed == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lengths": np.array([5, 2, 4, 5, 4])}, ValueError, r"^errors\['masked'\]: expected shape \(5,\) like lengths, got \(6,\)$"),
        ({"lengths": np.zeros((6, 1), int)}, ValueError, r"^lengths: expected a rank-1 tensor \(batch,\), got shape \(6, 1\)$"),
        ({"lengths": np.array([], int)}, ValueError, r"^lengths: expected at least one entry on every axis \(batch,\), got shape \(0,\)$"),
        ({"lengths": np.ones(6, bool)}, TypeError, "^lengths: expected positive ints, got dtype bool$"),
        ({"lengths": np.full(6, 5.0)}, TypeError, "^lengths: expected positive ints, got dtype float64$"),
        ({"lengths": np.array([5, 0, 4, 5, -1, 5])}, ValueError, r"^lengths: expected positive ints, got \[0, -1\]$"),
        ({"lengths": "abc"}, TypeError, r"^lengths: expected a list, an array or a tensor \(batch,\), got str$"),
        ({"lengths": [[1], [2, 3]]}, ValueError, r"^lengths: expected a rank-1 sequence \(batch,\), got a ragged one$"),
        ({"errors": []}, TypeError, "^errors: expected a non-empty dict of label -> \\(batch,\\) values, got list$"),
        ({"errors": {}}, ValueError, "^errors: expected a non-empty dict of label -> \\(batch,\\) values, got \\{\\}$"),
        ({"errors": {1: np.zeros(6)}}, TypeError, "^errors: expected str labels, got int$"),
        ({"errors": {"_hidden": np.zeros(6)}}, ValueError, "^errors: expected labels not empty or starting with '_', got '_hidden'$"),
        ({"errors": {"LSTM": 0.5}}, TypeError, r"^errors\['LSTM'\]: expected a list, an array or a tensor \(batch,\), got float$"),
        ({"errors": {"LSTM": np.zeros((6, 1))}}, ValueError, r"^errors\['LSTM'\]: expected a rank-1 tensor \(batch,\), got shape \(6, 1\)$"),
        ({"errors": {"LSTM": np.array([0.0, np.nan, 1, 1, np.inf, 1])}}, ValueError, r"^errors\['LSTM'\]: expected finite values, got NaN or infinity at rows \[1, 4\]$"),
        ({"errors": {"LSTM": np.ones(6, bool)}}, TypeError, r"^errors\['LSTM'\]: expected real numbers, got dtype bool$"),
        ({"errors": {"LSTM": np.array(["a"] * 6)}}, TypeError, r"^errors\['LSTM'\]: expected a numeric tensor, got dtype <U1$"),
        ({"errors": {"LSTM": np.ones(6, complex)}}, TypeError, r"^errors\['LSTM'\]: expected real numbers, got dtype complex128$"),
        ({"ylabel": 1}, TypeError, "^ylabel: expected a str, got int$"),
        ({"xlabel": None}, TypeError, "^xlabel: expected a str, got NoneType$"),
        ({"title": 3}, TypeError, "^title: expected a str, got int$"),
    ],
)  # fmt: skip
def test_plot_error_by_length_bad_input(kwargs, error, message):
    lengths, errors = error_table()
    arguments = {"lengths": lengths, "errors": errors, **kwargs}
    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        plot.plot_error_by_length(arguments.pop("lengths"), arguments.pop("errors"), **arguments)
    assert plt.get_fignums() == before
