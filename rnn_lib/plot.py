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

__all__ = ["plot_sequence"]


def plot_sequence(
    sequence: Any,
    *,
    mask: Any = None,
    lengths: Any = None,
    padding: str = "post",
    title: str | None = None,
) -> Figure:
    """Heatmaps of a sequence output, one panel per row, padding hatched.

    Args:
        sequence: ``(batch, time, units)``, e.g. a layer's ``return_sequences`` output.
        mask: ``(batch, time)`` bool, True at valid steps; or give ``lengths``
            (and ``padding``). With neither, every step is treated as valid.
        title: the figure's title.

    Each panel shows units (rows) over time (columns) on a shared colour
    scale. Padded steps are hatched (the values stay visible), and each row's last valid step is
    outlined in black.
    """
    values = _checks.as_rank("sequence", sequence, 3, "(batch, time, units)").astype(float)
    batch, timesteps, units = values.shape
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

    limit = float(np.abs(values).max()) or 1.0
    figure, axes = plt.subplots(
        batch, 1, figsize=(1.2 + 0.9 * timesteps, 0.9 + 1.0 * batch), sharex=True, squeeze=False
    )
    for row, axis in enumerate(axes[:, 0]):
        image = axis.imshow(
            values[row].T, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto"
        )  # (units, time)
        for step in np.flatnonzero(~mask[row]):  # see-through hatch: values stay visible
            axis.add_patch(
                Rectangle(
                    (step - 0.5, -0.5), 1, units, fill=False, hatch="///",
                    edgecolor=(0.3, 0.3, 0.3, 0.6), linewidth=0,
                )
            )  # fmt: skip
        axis.add_patch(
            Rectangle(
                (last[row] - 0.5, -0.5), 1, units, fill=False, edgecolor="black", linewidth=2.5
            )
        )
        axis.set_yticks([])
        axis.set_ylabel(f"row {row}\n{int(mask[row].sum())} valid", rotation=0, ha="right",
                        va="center")  # fmt: skip
    axes[-1, 0].set_xticks(range(timesteps))
    axes[-1, 0].set_xlabel("time step  (hatched: padding; outlined: last valid step)")
    figure.colorbar(image, ax=axes[:, 0].tolist(), shrink=0.8, label="output value")
    if title:
        figure.suptitle(title)
    plt.close(figure)
    return figure
