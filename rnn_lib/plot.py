"""Figures for the chapters: a sequence output over time, with its padding drawn in.

The functions return a ``matplotlib.figure.Figure`` and leave no figure open
in pyplot, so a notebook cell that ends with the returned figure shows it once.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rnn_lib import _checks
from rnn_lib.extract import last_valid_indices, lengths_to_mask

__all__ = [
    "plot_attention",
    "plot_directions",
    "plot_error_by_length",
    "plot_forecast",
    "plot_history",
    "plot_sequence",
]


def _valid_steps(name: str, mask: Any, length: int, axis: str) -> np.ndarray:
    """A ``(length,)`` bool mask with at least one True step; all True if ``mask`` is None."""
    valid = np.ones(length, dtype=bool) if mask is None else _checks.as_array(name, mask)
    if valid.shape != (length,) or valid.dtype != np.bool_:
        raise ValueError(
            f"{name}: expected a bool array of shape {(length,)} ({axis},), "
            f"got {valid.dtype} {tuple(valid.shape)}"
        )
    if not valid.any():
        raise ValueError(f"{name}: expected at least one valid step, got none")
    return valid


def _draw_panel(axis: Any, values: np.ndarray, valid: np.ndarray, marked: int, limit: float) -> Any:
    """One ``(units, time)`` heatmap: padding hatched, step ``marked`` outlined."""
    units = values.shape[0]
    image = axis.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for step in np.flatnonzero(~valid):  # see-through hatch: values stay visible
        axis.add_patch(
            Rectangle(
                (step - 0.5, -0.5), 1, units, fill=False, hatch="///",
                edgecolor=(0.3, 0.3, 0.3, 0.6), linewidth=0,
            )
        )  # fmt: skip
    axis.add_patch(
        Rectangle((marked - 0.5, -0.5), 1, units, fill=False, edgecolor="black", linewidth=2.5)
    )
    axis.set_yticks([])
    return image


def plot_sequence(
    sequence: Any,
    *,
    mask: Any = None,
    lengths: Any = None,
    padding: str = "post",
    title: str | None = None,
    value_label: str = "output value",
) -> Figure:
    """Heatmaps of a sequence output, one panel per row, padding hatched.

    Args:
        sequence: ``(batch, time, units)``, e.g. a layer's ``return_sequences`` output.
        mask: ``(batch, time)`` bool, True at valid steps; or give ``lengths``
            (and ``padding``). With neither, every step is treated as valid.
        title: the figure's title.
        value_label: the colour bar's label, e.g. ``"c"`` for a cell state over time.

    Each panel shows units (rows) over time (columns) on a shared colour
    scale. Padded steps are hatched (the values stay visible), and each row's last valid step is
    outlined in black.
    """
    values = _checks.as_rank("sequence", sequence, 3, "(batch, time, units)").astype(float)
    _checks.nonempty("sequence", values.shape, "(batch, time, units)")
    batch, timesteps, _ = values.shape
    if mask is not None and lengths is not None:
        raise ValueError("lengths, mask: expected at most one of them, got both")
    if lengths is not None:
        mask = lengths_to_mask(lengths, timesteps, padding)
    if mask is None:
        mask = np.ones((batch, timesteps), dtype=bool)
    mask = _checks.as_array("mask", mask)
    if mask.shape != (batch, timesteps):
        raise ValueError(
            f"mask: expected shape {(batch, timesteps)} (batch, time), got {tuple(mask.shape)}"
        )
    last = last_valid_indices(mask=mask)  # also checks dtype and empty rows
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a str, got {_checks.type_name(title)}")
    if not isinstance(value_label, str):
        raise TypeError(f"value_label: expected a str, got {_checks.type_name(value_label)}")

    limit = float(np.abs(values).max()) or 1.0
    figure, axes = plt.subplots(
        batch, 1, figsize=(1.2 + 0.9 * timesteps, 0.9 + 1.0 * batch), sharex=True, squeeze=False
    )
    for row, axis in enumerate(axes[:, 0]):
        image = _draw_panel(axis, values[row].T, mask[row], last[row], limit)  # (units, time)
        axis.set_ylabel(f"row {row}\n{int(mask[row].sum())} valid", rotation=0, ha="right",
                        va="center")  # fmt: skip
    axes[-1, 0].set_xticks(range(timesteps))
    axes[-1, 0].set_xlabel("time step  (hatched: padding; outlined: last valid step)")
    figure.colorbar(image, ax=axes[:, 0].tolist(), shrink=0.8, label=value_label)
    if title:
        figure.suptitle(title)
    plt.close(figure)
    return figure


def plot_directions(
    forward: Any, backward: Any, *, mask: Any = None, title: str | None = None
) -> Figure:
    """Both directions of one ``Bidirectional`` row over time, each final step outlined.

    Args:
        forward, backward: ``(time, units)``, one row of each direction's
            sequence output (see ``rnn_lib.extract.split_directions``).
        mask: ``(time,)`` bool, True at valid steps; all valid if omitted.

    The forward direction reads left to right and finishes at the last valid
    step; the backward direction reads right to left and finishes at the
    first valid step. Padded steps are hatched.
    """
    forward_values = _checks.as_rank("forward", forward, 2, "(time, units)").astype(float)
    backward_values = _checks.as_rank("backward", backward, 2, "(time, units)").astype(float)
    if backward_values.shape != forward_values.shape:
        raise ValueError(
            f"backward: expected shape {forward_values.shape} like forward, "
            f"got {backward_values.shape}"
        )
    _checks.nonempty("forward", forward_values.shape, "(time, units)")
    timesteps = forward_values.shape[0]
    valid = _valid_steps("mask", mask, timesteps, "time")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a str, got {_checks.type_name(title)}")

    valid_steps = np.flatnonzero(valid)
    limit = float(max(np.abs(forward_values).max(), np.abs(backward_values).max())) or 1.0
    figure, axes = plt.subplots(2, 1, figsize=(1.2 + 0.9 * timesteps, 2.6), sharex=True)
    panels = [
        (axes[0], forward_values, valid_steps[-1], "forward →"),
        (axes[1], backward_values, valid_steps[0], "← backward"),
    ]
    for axis, values, final_step, label in panels:
        image = _draw_panel(axis, values.T, valid, final_step, limit)
        axis.set_ylabel(label, rotation=0, ha="right", va="center")
    axes[1].set_xticks(range(timesteps))
    axes[1].set_xlabel("time step  (hatched: padding; outlined: each direction's final step)")
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="output value")
    if title:
        figure.suptitle(title)
    plt.close(figure)
    return figure


def _labels(name: str, labels: Any, size: int, axis: str) -> list[str] | None:
    """``labels`` as a list of ``size`` strings (one per ``axis`` step), or None if omitted."""
    if labels is None:
        return None
    if isinstance(labels, str) or not isinstance(labels, (list, tuple, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of str, got {_checks.type_name(labels)}")
    if len(labels) != size:
        raise ValueError(f"{name}: expected {size} labels, one per {axis}, got {len(labels)}")
    wrong = [_checks.type_name(label) for label in labels if not isinstance(label, str)]
    if wrong:
        raise TypeError(f"{name}: expected a sequence of str, got items of type {wrong[0]}")
    return list(labels)


def plot_attention(
    scores: Any,
    *,
    source_mask: Any = None,
    source_labels: Any = None,
    target_labels: Any = None,
    title: str | None = None,
) -> Figure:
    """One example's attention weights: a heatmap of decoder steps over source steps.

    Args:
        scores: ``(target_time, source_time)`` attention weights in ``[0, 1]``: row ``t``
            is how decoder step ``t`` spreads its attention over the source steps (e.g.
            one row of the scores of ``keras.layers.Attention(...,
            return_attention_scores=True)``, or of :func:`rnn_lib.greedy_decode`'s extras).
        source_mask: ``(source_time,)`` bool, True at valid source steps; all valid if
            omitted. Padded source steps are hatched and their tick labelled ``"pad"``.
        source_labels: ``source_time`` strings, e.g. the source tokens; step numbers if
            omitted (``"pad"`` at padded steps).
        target_labels: ``target_time`` strings, e.g. the decoded tokens; step numbers
            if omitted.
        title: the figure's title.

    The colour scale is fixed to ``[0, 1]``, so figures of different examples compare.
    """
    values = _checks.as_rank("scores", scores, 2, "(target_time, source_time)").astype(float)
    _checks.nonempty("scores", values.shape, "(target_time, source_time)")
    if not np.all(np.isfinite(values)):
        raise ValueError("scores: expected finite attention weights, got NaN or infinity")
    if values.min() < -1e-6 or values.max() > 1 + 1e-6:
        raise ValueError(
            "scores: expected attention weights in [0, 1], "
            f"got values from {values.min():.3g} to {values.max():.3g}"
        )
    target_time, source_time = values.shape
    valid = _valid_steps("source_mask", source_mask, source_time, "source_time")
    columns = _labels("source_labels", source_labels, source_time, "source step")
    rows = _labels("target_labels", target_labels, target_time, "target step")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a str, got {_checks.type_name(title)}")

    figure, axis = plt.subplots(figsize=(2.2 + 0.55 * source_time, 1.2 + 0.45 * target_time))
    image = axis.imshow(values, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for step in np.flatnonzero(~valid):  # see-through hatch: the weights stay visible
        axis.add_patch(
            Rectangle(
                (step - 0.5, -0.5), 1, target_time, fill=False, hatch="///",
                edgecolor=(0.3, 0.3, 0.3, 0.6), linewidth=0,
            )
        )  # fmt: skip
    if columns is None:
        columns = [str(step) if valid[step] else "pad" for step in range(source_time)]
    axis.set_xticks(range(source_time), columns)
    axis.set_yticks(range(target_time), rows or [str(step) for step in range(target_time)])
    padded = "" if valid.all() else "  (hatched: padding)"
    axis.set_xlabel(f"source step{padded}")
    axis.set_ylabel("target step")
    figure.colorbar(image, ax=axis, label="attention weight")
    return _finish(figure, title)


def plot_history(
    history: Any, metrics: tuple[str, ...] = ("loss",), title: str | None = None
) -> Figure:
    """Training curves: each metric and its ``val_`` twin per epoch, one panel per metric.

    Args:
        history: what ``model.fit`` returned (a ``keras.callbacks.History``), or its
            ``.history`` dict of lists.
        metrics: names in the history, e.g. ``("loss", "accuracy")``.
    """
    curves = getattr(history, "history", history)
    if not isinstance(curves, dict):
        received = _checks.type_name(history)
        raise TypeError(f"history: expected a keras History or a dict of lists, got {received}")
    if isinstance(metrics, str) or not metrics:
        raise TypeError(f"metrics: expected a non-empty tuple of names, got {metrics!r}")
    missing = [name for name in metrics if name not in curves]
    if missing:
        raise ValueError(f"metrics: {missing} not in the history, which has {sorted(curves)}")
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3), squeeze=False)
    for axis, name in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(curves[name]) + 1)
        axis.plot(epochs, curves[name], label="training")
        if f"val_{name}" in curves:
            axis.plot(epochs, curves[f"val_{name}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.legend()
    return _finish(figure, title)


def plot_forecast(
    x: Any, truth: Any, predictions: dict[str, Any], *, ylabel: str = "value",
    title: str | None = None,
) -> Figure:  # fmt: skip
    """A series and one or more forecasts of it, on one axis.

    Args:
        x: ``(time,)`` positions, e.g. years.
        truth: ``(time,)`` the observed values.
        predictions: label -> ``(time,)`` forecast, e.g. ``{"LSTM": ..., "persistence": ...}``.
    """
    x_values = _checks.as_rank("x", x, 1, "(time,)")
    truth_values = _checks.as_rank("truth", truth, 1, "(time,)")
    if truth_values.shape != x_values.shape:
        raise ValueError(f"truth: expected shape {x_values.shape} like x, got {truth_values.shape}")
    if not isinstance(predictions, dict) or not predictions:
        raise TypeError(
            f"predictions: expected a non-empty dict of label -> values, got {predictions!r}"
        )
    figure, axis = plt.subplots(figsize=(8, 3))
    axis.plot(x_values, truth_values, color="black", linewidth=2, label="observed")
    for label, values in predictions.items():
        array = _checks.as_rank(f"predictions[{label!r}]", values, 1, "(time,)")
        if array.shape != x_values.shape:
            raise ValueError(
                f"predictions[{label!r}]: expected shape {x_values.shape} like x, got {array.shape}"
            )
        axis.plot(x_values, array, label=label)
    axis.set_ylabel(ylabel)
    axis.legend()
    return _finish(figure, title)


# Colour-blind-safe colours (Okabe-Ito), each line also with its own dash pattern and marker.
_LINE_STYLES = [
    ("#0072B2", "-", "o"),
    ("#D55E00", "--", "s"),
    ("#009E73", ":", "^"),
    ("#CC79A7", "-.", "D"),
    ("#E69F00", (0, (5, 1, 1, 1, 1, 1)), "v"),
    ("#56B4E9", (0, (1, 1)), "P"),
    ("#000000", (0, (8, 2)), "X"),
]


def _vector(name: str, value: Any, axes: str) -> np.ndarray:
    """A non-empty rank-1 array from a list, a tuple, an array or a tensor, or raise."""
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError:
            raise ValueError(
                f"{name}: expected a rank-1 sequence {axes}, got a ragged one"
            ) from None
    elif not hasattr(value, "shape"):
        raise TypeError(
            f"{name}: expected a list, an array or a tensor {axes}, got {_checks.type_name(value)}"
        )
    array = _checks.as_rank(name, value, 1, axes)
    _checks.nonempty(name, array.shape, axes)
    return array


def plot_error_by_length(
    lengths: Any, errors: dict[str, Any], *, ylabel: str = "mean absolute error",
    xlabel: str = "window length (steps)", title: str | None = None,
) -> Figure:  # fmt: skip
    """Mean error per sequence length, one line (with markers) per model.

    Args:
        lengths: ``(batch,)`` positive ints, each row's number of valid steps.
        errors: label -> ``(batch,)`` finite per-row errors (e.g. the absolute error of
            each row's forecast), e.g. ``{"masked LSTM": ..., "persistence": ...}``.
        ylabel, xlabel: the axis labels; title: the figure's title.

    For every distinct length (sorted), each line plots the mean error of the rows with
    that length; the x ticks are the lengths present. Lines differ in colour, dash
    pattern and marker. Pale grey bars behind the lines, on a right-hand axis, show how
    many rows each length has (a mean over few rows is noisy).

    ``figure.axes[0]`` holds the lines (in the order of ``errors``), ``figure.axes[1]``
    the count bars.

    Example::

        >>> figure = plot_error_by_length(np.array([5, 3, 5]), {"LSTM": np.array([1.0, 4.0, 2.0])})
        >>> figure.axes[0].lines[0].get_xydata().tolist()  # (length, mean error)
        [[3.0, 4.0], [5.0, 1.5]]
    """
    row_lengths = _vector("lengths", lengths, "(batch,)")
    if row_lengths.dtype == np.bool_ or not np.issubdtype(row_lengths.dtype, np.integer):
        raise TypeError(f"lengths: expected positive ints, got dtype {row_lengths.dtype}")
    if row_lengths.min() < 1:
        bad = row_lengths[row_lengths < 1].tolist()
        raise ValueError(f"lengths: expected positive ints, got {bad}")
    if not isinstance(errors, dict):
        raise TypeError(
            f"errors: expected a non-empty dict of label -> (batch,) values, "
            f"got {_checks.type_name(errors)}"
        )
    if not errors:
        raise ValueError("errors: expected a non-empty dict of label -> (batch,) values, got {}")
    columns = {}
    for label, values in errors.items():
        name = f"errors[{label!r}]"
        if not isinstance(label, str):
            raise TypeError(f"errors: expected str labels, got {_checks.type_name(label)}")
        if not label or label.startswith("_"):  # matplotlib leaves "_..." out of the legend
            raise ValueError(
                f"errors: expected labels not empty or starting with '_', got {label!r}"
            )
        array = _vector(name, values, "(batch,)")
        if array.dtype == np.bool_ or np.iscomplexobj(array):
            raise TypeError(f"{name}: expected real numbers, got dtype {array.dtype}")
        if array.shape != row_lengths.shape:
            raise ValueError(
                f"{name}: expected shape {row_lengths.shape} like lengths, got {array.shape}"
            )
        if not np.all(np.isfinite(array)):
            rows = np.flatnonzero(~np.isfinite(array)).tolist()
            raise ValueError(f"{name}: expected finite values, got NaN or infinity at rows {rows}")
        columns[label] = array.astype(float)
    for argument, text in (("ylabel", ylabel), ("xlabel", xlabel)):
        if not isinstance(text, str):
            raise TypeError(f"{argument}: expected a str, got {_checks.type_name(text)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a str, got {_checks.type_name(title)}")

    distinct, group, counts = np.unique(row_lengths, return_inverse=True, return_counts=True)
    figure, axis = plt.subplots(figsize=(max(6.0, 1.5 + 0.4 * len(distinct)), 3.6))
    counts_axis = axis.twinx()
    counts_axis.bar(distinct, counts, width=0.7, color="0.88", edgecolor="0.7", linewidth=0.5)
    counts_axis.set_ylim(0, 2.5 * counts.max())  # bars fill the lower part of the panel
    counts_axis.set_ylabel("rows per length (grey bars)", color="0.45")
    counts_axis.tick_params(axis="y", colors="0.45")
    axis.set_zorder(counts_axis.get_zorder() + 1)  # lines in front of the bars
    axis.patch.set_visible(False)
    for index, (label, values) in enumerate(columns.items()):
        color, linestyle, marker = _LINE_STYLES[index % len(_LINE_STYLES)]
        means = np.bincount(group, weights=values, minlength=len(distinct)) / counts
        axis.plot(distinct, means, color=color, linestyle=linestyle, marker=marker, label=label)
    axis.set_xticks(distinct.tolist())
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.legend()
    return _finish(figure, title)


def _finish(figure: Figure, title: str | None) -> Figure:
    """Title, tight layout, and close in pyplot so that a notebook shows the figure once."""
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.close(figure)
    return figure
