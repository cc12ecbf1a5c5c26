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
