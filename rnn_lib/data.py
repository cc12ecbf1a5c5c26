"""Seeded toy batches of sequences with different lengths, padded post or pre, and windows of
different lengths cut from a real series (:func:`series_windows`, :func:`random_series_windows`).

Example::

    >>> batch = padded_batch([5, 3, 2], features=2, padding="post", seed=0)
    >>> batch.inputs.shape, batch.lengths
    ((3, 5, 2), array([5, 3, 2]))
    >>> batch.mask.astype(int)
    array([[1, 1, 1, 1, 1],
           [1, 1, 1, 0, 0],
           [1, 1, 0, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_lib import _checks
from rnn_lib.extract import lengths_to_mask

__all__ = [
    "PaddedBatch",
    "SeriesWindows",
    "padded_batch",
    "padded_tokens",
    "random_series_windows",
    "series_windows",
]


@dataclass(frozen=True)
class PaddedBatch:
    """A padded batch and what describes its padding.

    Attributes:
        inputs: ``(batch, time, features)`` float32, or ``(batch, time)`` int32
            token ids for :func:`padded_tokens`; padded steps hold zeros.
        lengths: ``(batch,)`` int, the number of valid steps of each row.
        mask: ``(batch, time)`` bool, True at valid steps.
        padding: ``"post"`` or ``"pre"``.
    """

    inputs: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray
    padding: str

    def unpadded(self, row: int) -> np.ndarray:
        """Row ``row`` without its padding: ``(1, length, ...)``, ready to feed a layer."""
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row: expected an int, got {_checks.type_name(row)}")
        if not 0 <= row < len(self.lengths):
            raise ValueError(f"row: expected an int in [0, {len(self.lengths) - 1}], got {row}")
        return self.inputs[row][self.mask[row]][np.newaxis]

    def each_row_alone(self, function: Callable[[np.ndarray], Any]) -> np.ndarray:
        """``function`` applied to each row without its padding, results stacked on axis 0.

        ``function`` takes a ``(1, length, ...)`` batch of one (see :meth:`unpadded`) and
        returns an array or tensor with a leading batch axis of 1, e.g. a model or
        ``lambda row: rnn_lib.run_named(layer, row)["h"]``. The result, ``(batch, ...)``,
        is what each row gives with no padding at all: the reference a padded batch
        must reproduce.
        """
        if not callable(function):
            raise TypeError(f"function: expected a callable, got {_checks.type_name(function)}")
        results = [np.asarray(function(self.unpadded(row))) for row in range(len(self.lengths))]
        if any(result.ndim == 0 or result.shape[0] != 1 for result in results):
            shapes = [tuple(result.shape) for result in results]
            raise ValueError(
                f"function: expected results with a leading batch axis of 1, got shapes {shapes}"
            )
        return np.concatenate(results, axis=0)


@dataclass(frozen=True)
class SeriesWindows(PaddedBatch):
    """Windows of different lengths cut from one series, padded into one batch, with targets.

    Made by :func:`series_windows` and :func:`random_series_windows`. Inherits ``inputs``
    (``(batch, time, features)`` float32, the windows), ``lengths``, ``mask``, ``padding``
    and the methods of :class:`PaddedBatch` (:meth:`~PaddedBatch.unpadded` gives a row's
    window alone, ``(1, length, features)``).

    Padded steps hold zeros in ``inputs`` and ``targets``, but a real series may hold exact
    zeros at valid steps too (yearly sunspots from statsmodels do: 1711, 1712, 1810). So
    tell the model where the padding is with the returned ``mask``, e.g. a second
    ``keras.Input((time,), dtype="bool")`` passed as ``layer(x, mask=mask)``;
    ``keras.layers.Masking(0.0)`` is right only if no valid step has all its features 0.

    Attributes:
        targets: ``(batch, time, features)`` float32, laid out with the same padding as
            ``inputs``: at each valid step, the series' *next* value (the value one step
            after that input); zeros at padded steps. For a many-to-many model
            (``return_sequences=True``) with a loss masked by ``mask``.
        next_values: ``(batch, features)`` float32, the value right after each window's
            last valid step (equal to ``targets`` at each row's last valid step). For a
            many-to-one model predicting from the final state.
        starts: ``(batch,)`` int64, the index in the series of each window's first step.
    """

    targets: np.ndarray
    next_values: np.ndarray
    starts: np.ndarray


def padded_batch(
    lengths: Sequence[int],
    features: int = 2,
    *,
    timesteps: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> PaddedBatch:
    """A seeded ``(batch, time, features)`` float32 batch, zero-padded to ``timesteps``.

    Valid steps are drawn from a standard normal (never exactly zero, so
    ``keras.layers.Masking(0.0)`` masks exactly the padding). ``timesteps``
    defaults to the longest length. Row ``i`` holds the same values whatever
    the padding, so post- and pre-padded batches can be compared.
    """
    features = _checks.positive_int("features", features)
    lengths_array, timesteps, padding, rng = _layout(lengths, timesteps, padding, seed)
    values = rng.normal(size=(len(lengths_array), timesteps, features)).astype("float32")
    values[values == 0] = 1e-3  # keep every valid step distinguishable from padding
    return _place(values, lengths_array, timesteps, padding)


def padded_tokens(
    lengths: Sequence[int],
    vocab_size: int,
    *,
    timesteps: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> PaddedBatch:
    """A seeded ``(batch, time)`` int32 batch of token ids in ``[1, vocab_size)``, 0 = padding.

    Made for ``keras.layers.Embedding(vocab_size, ..., mask_zero=True)``.
    """
    vocab_size = _checks.positive_int("vocab_size", vocab_size)
    if vocab_size < 2:
        raise ValueError(f"vocab_size: expected at least 2 (0 is padding), got {vocab_size}")
    lengths_array, timesteps, padding, rng = _layout(lengths, timesteps, padding, seed)
    values = rng.integers(1, vocab_size, size=(len(lengths_array), timesteps)).astype("int32")
    return _place(values, lengths_array, timesteps, padding)


def series_windows(
    series: Any,
    starts: Sequence[int],
    lengths: Sequence[int],
    *,
    timesteps: int | None = None,
    padding: str = "post",
) -> SeriesWindows:
    """Windows ``series[start : start + length]`` of different lengths, padded into one batch.

    Window ``i`` covers ``series[starts[i] : starts[i] + lengths[i]]``; its ``targets`` are
    ``series[starts[i] + 1 : starts[i] + lengths[i] + 1]`` and its ``next_values`` is
    ``series[starts[i] + lengths[i]]``, so ``start + length <= len(series) - 1`` (the value
    after the window must exist). Windows may overlap. Rows are padded to ``timesteps``
    (default: the longest length), post or pre, with zeros in ``inputs`` and ``targets``:
    use the returned ``mask``, not ``Masking(0.0)``, if a valid step of the series can be
    all zeros (see :class:`SeriesWindows`).

    Training with it: a many-to-many model (``return_sequences=True``) learns ``targets``
    with the padded steps left out of the loss. Either give the recurrent layer the mask
    (Keras then carries it to the output and averages the loss over valid steps only), or
    fit with ``sample_weight=windows.mask``, which is enough only with post-padding (the
    padding comes after every valid step, so it cannot change them) and whose default
    reduction divides by ``batch * time``, padded steps included (valid steps only with
    ``reduction="mean_with_sample_weight"``). A many-to-one model learns ``next_values``
    from its final state, which the mask places at each row's last valid step.

    How this differs from ``keras.utils.timeseries_dataset_from_array``: that function
    cuts windows of one fixed ``sequence_length`` (so no padding and no mask) at regular
    strides, with one target per window that you align yourself (``targets=data[length:]``
    for the next value), and returns a ``tf.data.Dataset``. Here each window has its own
    start and length; the result is one NumPy batch with its mask, and both per-step
    ``targets`` and ``next_values`` come aligned.

    Args:
        series: ``(time, features)``, or ``(time,)`` for one feature; a real numeric
            NumPy array or tensor with finite values. The result is float32.
        starts: ``(batch,)`` ints >= 0, the first step of each window.
        lengths: ``(batch,)`` ints >= 1, the number of steps of each window.
        timesteps: the padded length, at least every length.
        padding: ``"post"`` (zeros after the valid steps) or ``"pre"`` (before).

    Example::

        >>> windows = series_windows(np.arange(6.0), starts=[0, 3], lengths=[3, 2])
        >>> windows.inputs[..., 0]  # (batch, time) of the one feature
        array([[0., 1., 2.],
               [3., 4., 0.]], dtype=float32)
        >>> windows.targets[..., 0]  # each step's next value; 0 at the padded step
        array([[1., 2., 3.],
               [4., 5., 0.]], dtype=float32)
        >>> windows.next_values  # (batch, features): the value after each window
        array([[3.],
               [5.]], dtype=float32)
        >>> windows.mask  # series[0] = 0 is a valid step: Masking(0.0) would hide it
        array([[ True,  True,  True],
               [ True,  True, False]])

    Raises:
        TypeError: ``series`` is not an array or tensor, or not real numeric (bool
            and complex included); ``starts``, ``lengths`` or ``timesteps`` are not ints.
        ValueError: ``series`` is not rank 1 or 2, has no feature, has fewer than 2
            steps, or holds NaN, infinity or values beyond float32; ``starts`` is not
            1-D, has a negative start or not one start per length; a length is not in
            ``[1, timesteps]``; a window and its next value do not fit in ``series``;
            ``padding`` is not "post" or "pre".
    """
    array = _series(series)
    lengths_array, timesteps, padding, _ = _layout(lengths, timesteps, padding, 0)
    starts_array = _starts(starts, len(lengths_array))
    ends = starts_array + lengths_array  # index of each window's next value
    too_long = np.flatnonzero(ends > len(array) - 1)
    if too_long.size:
        row = int(too_long[0])
        more = f" (and {too_long.size - 1} more rows)" if too_long.size > 1 else ""
        raise ValueError(
            f"starts: expected start + length <= len(series) - 1 = {len(array) - 1} (the"
            f" value after each window must exist; series has {len(array)} steps), got row"
            f" {row} with start {starts_array[row]}, length {lengths_array[row]}"
            f" (sum {ends[row]}){more}"
        )
    steps = np.arange(timesteps)[np.newaxis, :]  # (1, time)
    # Row i's step t is series[start + t] (clipped past the window, where _place drops it).
    indices = np.minimum(starts_array[:, np.newaxis] + steps, len(array) - 2)  # (batch, time)
    windows = _place(array[indices], lengths_array, timesteps, padding)
    targets = _place(array[indices + 1], lengths_array, timesteps, padding).inputs
    return SeriesWindows(
        inputs=windows.inputs,
        lengths=windows.lengths,
        mask=windows.mask,
        padding=windows.padding,
        targets=targets,
        next_values=array[ends],
        starts=starts_array,
    )


def random_series_windows(
    series: Any,
    count: int,
    *,
    min_length: int,
    max_length: int,
    timesteps: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> SeriesWindows:
    """``count`` seeded windows of random lengths and starts: :func:`series_windows` of them.

    Each window's length is drawn uniformly in ``[min_length, max_length]``, then its start
    uniformly among the starts where it and the value after it fit, ``[0, len(series) - 1 -
    length]``. ``timesteps`` defaults to the longest length drawn (so it depends on
    ``seed``); give ``timesteps=max_length`` for the same shape whatever the seed.

    Example::

        >>> windows = random_series_windows(np.arange(20.0), 3, min_length=2, max_length=5)
        >>> windows.inputs.shape[0], bool(np.all((windows.lengths >= 2) & (windows.lengths <= 5)))
        (3, True)

    Raises:
        TypeError: as :func:`series_windows`; ``count``, ``min_length``, ``max_length`` or
            ``seed`` is not an int.
        ValueError: as :func:`series_windows`; ``count``, ``min_length`` or ``max_length``
            is below 1; ``min_length > max_length``; ``max_length > len(series) - 1``;
            ``timesteps < max_length``; ``seed`` is negative.
    """
    array = _series(series)
    count = _checks.positive_int("count", count)
    min_length, max_length = _checks.length_range(min_length, max_length)
    if max_length > len(array) - 1:
        raise ValueError(
            f"max_length: expected at most len(series) - 1 = {len(array) - 1} (the value"
            f" after each window must exist; series has {len(array)} steps), got {max_length}"
        )
    if timesteps is not None:
        timesteps = _checks.positive_int("timesteps", timesteps)
        if timesteps < max_length:
            raise ValueError(
                f"timesteps: expected at least max_length = {max_length}, got {timesteps}"
            )
    padding = _checks.padding(padding)
    rng = _rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=count)  # (batch,)
    starts = rng.integers(0, len(array) - lengths)  # high excluded: start + length <= time - 1
    return series_windows(array, starts, lengths, timesteps=timesteps, padding=padding)


def _layout(
    lengths: Any, timesteps: Any, padding: Any, seed: Any
) -> tuple[np.ndarray, int, str, np.random.Generator]:
    """Validate the arguments both batch makers share."""
    padding = _checks.padding(padding)
    lengths_array = _checks.lengths(lengths)
    if timesteps is None:
        timesteps = int(lengths_array.max())
    timesteps = _checks.positive_int("timesteps", timesteps)
    lengths_array = _checks.lengths(lengths_array, timesteps)
    return lengths_array, timesteps, padding, _rng(seed)


def _rng(seed: Any) -> np.random.Generator:
    """A NumPy generator seeded with ``seed``, an int >= 0 (not a bool), or raise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an int, got {_checks.type_name(seed)}")
    if seed < 0:  # NumPy's own message would not name the argument
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    return np.random.default_rng(seed)


def _place(values: np.ndarray, lengths: np.ndarray, timesteps: int, padding: str) -> PaddedBatch:
    """Move each row's first ``length`` values to its valid steps; zeros elsewhere."""
    mask = lengths_to_mask(lengths, timesteps, padding)  # (batch, time)
    placed = np.zeros_like(values)
    placed[mask] = values[lengths_to_mask(lengths, timesteps, "post")]
    return PaddedBatch(placed, lengths, mask, padding)


def _series(series: Any) -> np.ndarray:
    """``series`` as a ``(time, features)`` float32 array with finite values, or raise."""
    array = _checks.series(series)  # (time, features)
    if len(array) < 2:
        raise ValueError(
            f"series: expected at least 2 steps (a window and the value after it), got {len(array)}"
        )
    finite = np.isfinite(array)
    if not np.all(finite):
        bad = int(finite.size - np.count_nonzero(finite))
        raise ValueError(f"series: expected finite values, got {bad} NaN or infinite values")
    with np.errstate(over="ignore"):
        result = array.astype(np.float32)
    if not np.all(np.isfinite(result)):
        bad = int(result.size - np.count_nonzero(np.isfinite(result)))
        raise ValueError(f"series: expected values that fit in float32, got {bad} beyond it")
    return result


def _starts(value: Any, batch: int) -> np.ndarray:
    """``value`` as a ``(batch,)`` int64 array of starts >= 0, or raise."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"starts: expected a sequence or 1-D array of ints, got {_checks.type_name(value)}"
        )
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.ndim != 1:
        raise ValueError(f"starts: expected a 1-D sequence (batch,), got shape {array.shape}")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"starts: expected integers, got dtype {array.dtype}")
    if len(array) != batch:
        raise ValueError(f"starts: expected one start per length ({batch}), got {len(array)}")
    if np.any(array < 0):
        raise ValueError(f"starts: expected every start >= 0, got {array[array < 0].tolist()}")
    return array.astype(np.int64)
