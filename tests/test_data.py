"""rnn_lib.data: seeded padded batches, and windows of a series against brute-force loops."""

import dataclasses
import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnn_lib
from rnn_lib import data


def test_post_padding_layout():
    batch = data.padded_batch([5, 3, 2], features=2, padding="post", seed=0)
    assert batch.inputs.shape == (3, 5, 2) and batch.inputs.dtype == np.float32
    assert batch.lengths.tolist() == [5, 3, 2]
    assert batch.mask.astype(int).tolist() == [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
        [1, 1, 0, 0, 0],
    ]
    assert np.all(batch.inputs[~batch.mask] == 0)
    assert np.all(np.any(batch.inputs[batch.mask] != 0, axis=-1))


def test_pre_padding_holds_the_same_values_at_the_end_of_each_row():
    post = data.padded_batch([5, 3, 2], padding="post", seed=4)
    pre = data.padded_batch([5, 3, 2], padding="pre", seed=4)
    assert pre.mask.astype(int).tolist()[2] == [0, 0, 0, 1, 1]
    for row in range(3):
        np.testing.assert_array_equal(post.unpadded(row), pre.unpadded(row))
    assert np.all(pre.inputs[~pre.mask] == 0)


def test_same_seed_same_batch_other_seed_other_batch():
    first = data.padded_batch([4, 2], seed=1).inputs
    np.testing.assert_array_equal(first, data.padded_batch([4, 2], seed=1).inputs)
    assert not np.array_equal(first, data.padded_batch([4, 2], seed=2).inputs)


def test_timesteps_longer_than_every_row():
    batch = data.padded_batch([2, 1], timesteps=4)
    assert batch.inputs.shape == (2, 4, 2)
    assert batch.mask.sum(axis=1).tolist() == [2, 1]


def test_padded_tokens_for_embedding_mask_zero():
    batch = data.padded_tokens([5, 3, 2], vocab_size=10, padding="pre", seed=0)
    assert batch.inputs.shape == (3, 5) and batch.inputs.dtype == np.int32
    assert np.all((batch.inputs != 0) == batch.mask)
    assert batch.inputs.max() < 10


def test_unpadded_row():
    batch = data.padded_batch([5, 3, 2], padding="pre")
    assert batch.unpadded(1).shape == (1, 3, 2)
    with pytest.raises(ValueError, match=r"row: expected an int in \[0, 2\], got 3"):
        batch.unpadded(3)
    with pytest.raises(TypeError, match="row: expected an int, got str"):
        batch.unpadded("1")


@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    extra=st.integers(0, 3),
    padding=st.sampled_from(["post", "pre"]),
    features=st.integers(1, 4),
)
def test_shape_contract(lengths, extra, padding, features):
    timesteps = max(lengths) + extra
    batch = data.padded_batch(lengths, features, timesteps=timesteps, padding=padding)
    assert batch.inputs.shape == (len(lengths), timesteps, features)
    assert batch.mask.shape == (len(lengths), timesteps)
    assert batch.mask.sum(axis=1).tolist() == lengths
    assert np.all(batch.inputs[~batch.mask] == 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lengths": [3, 0]}, ValueError, r"lengths: expected every length in \[1, 3\], got \[0\]"),
        ({"lengths": [3, 2], "timesteps": 2}, ValueError, r"in \[1, 2\], got \[3\]"),
        ({"lengths": [2.0, 1.0]}, TypeError, "lengths: expected integers, got dtype float64"),
        ({"lengths": 3}, TypeError, "lengths: expected a sequence or 1-D array of ints, got int"),
        ({"lengths": []}, ValueError, r"lengths: expected a non-empty 1-D sequence \(batch,\)"),
        ({"lengths": [3], "padding": "both"}, ValueError, "padding: expected 'post' or 'pre', got 'both'"),
        ({"lengths": [3], "features": 0}, ValueError, "features: expected a positive int, got 0"),
        ({"lengths": [3], "seed": 1.5}, TypeError, "seed: expected an int, got float"),
    ],
)  # fmt: skip
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        data.padded_batch(**kwargs)


def test_bad_vocab_size():
    with pytest.raises(
        ValueError, match=r"vocab_size: expected at least 2 \(0 is padding\), got 1"
    ):
        data.padded_tokens([2], vocab_size=1)


def test_each_row_alone_applies_the_function_to_the_unpadded_rows():
    batch = data.padded_batch([5, 3, 2], padding="pre", seed=7)
    sums = batch.each_row_alone(lambda row: row.sum(axis=1))  # (1, features) per row
    expected = np.stack([batch.inputs[row][batch.mask[row]].sum(axis=0) for row in range(3)])
    np.testing.assert_allclose(sums, expected)
    lengths_seen = batch.each_row_alone(lambda row: np.array([row.shape[1]]))
    assert lengths_seen.tolist() == [5, 3, 2]


def test_each_row_alone_rejects_bad_functions():
    batch = data.padded_batch([2, 1])
    with pytest.raises(TypeError, match="function: expected a callable, got int"):
        batch.each_row_alone(3)
    with pytest.raises(
        ValueError,
        match=r"function: expected results with a leading batch axis of 1, got shapes \[\(2,\), \(1,\)\]",
    ):
        batch.each_row_alone(lambda row: row[0, :, 0])


# ----- series_windows, random_series_windows -----


def brute_force_windows(series, starts, lengths, timesteps, padding):
    """The obvious loops: copy each window and its next values into its row, step by step."""
    flat = np.asarray(series, dtype=np.float64).reshape(len(series), -1)  # (time, features)
    batch, features = len(starts), flat.shape[1]
    inputs = np.zeros((batch, timesteps, features))
    targets = np.zeros((batch, timesteps, features))
    mask = np.zeros((batch, timesteps), bool)
    next_values = np.zeros((batch, features))
    for row in range(batch):
        start, length = starts[row], lengths[row]
        offset = 0 if padding == "post" else timesteps - length  # where the row's step 0 goes
        for step in range(length):
            inputs[row, offset + step] = flat[start + step]
            targets[row, offset + step] = flat[start + step + 1]
            mask[row, offset + step] = True
        next_values[row] = flat[start + length]
    return inputs, targets, mask, next_values


def assert_matches_brute_force(windows, series, starts, lengths, timesteps, padding):
    inputs, targets, mask, next_values = brute_force_windows(
        series, starts, lengths, timesteps, padding
    )
    features = inputs.shape[-1]
    assert windows.inputs.shape == windows.targets.shape == (len(starts), timesteps, features)
    assert windows.next_values.shape == (len(starts), features)
    for name in ("inputs", "targets", "next_values"):
        assert getattr(windows, name).dtype == np.float32, name
    np.testing.assert_array_equal(windows.inputs, inputs)
    np.testing.assert_array_equal(windows.targets, targets)
    np.testing.assert_array_equal(windows.mask, mask)
    np.testing.assert_array_equal(windows.next_values, next_values)
    assert windows.lengths.tolist() == list(lengths)
    assert windows.starts.tolist() == list(starts)
    assert windows.padding == padding


def distinct_series(time, features):
    """(time,) for features None, else (time, features); values distinct, starting at 0."""
    shape = (time,) if features is None else (time, features)
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 0.5


@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("features", [None, 2])
@pytest.mark.parametrize("extra", [0, 2])
def test_series_windows_match_brute_force(padding, features, extra):
    series = distinct_series(9, features)  # series[0] is all zeros: a valid step like any other
    starts, lengths = [0, 4, 2], [5, 3, 1]
    timesteps = max(lengths) + extra
    windows = data.series_windows(series, starts, lengths, timesteps=timesteps, padding=padding)
    assert_matches_brute_force(windows, series, starts, lengths, timesteps, padding)


@st.composite
def series_and_windows(draw):
    time = draw(st.integers(2, 12))
    features = draw(st.sampled_from([None, 1, 3]))
    dtype = draw(st.sampled_from(["float32", "float64", "int64"]))
    series = distinct_series(time, features).astype(dtype)
    batch = draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, time - 1), min_size=batch, max_size=batch))
    starts = [draw(st.integers(0, time - 1 - length)) for length in lengths]
    timesteps = max(lengths) + draw(st.integers(0, 3))
    padding = draw(st.sampled_from(["post", "pre"]))
    return series, starts, lengths, timesteps, padding


@settings(max_examples=150, deadline=None)
@given(series_and_windows())
def test_series_windows_match_brute_force_for_any_fitting_windows(case):
    series, starts, lengths, timesteps, padding = case
    windows = data.series_windows(series, starts, lengths, timesteps=timesteps, padding=padding)
    assert_matches_brute_force(windows, series, starts, lengths, timesteps, padding)


@settings(max_examples=100, deadline=None)
@given(series_and_windows())
def test_next_values_are_the_targets_at_each_last_valid_step_and_rows_are_slices(case):
    series, starts, lengths, timesteps, padding = case
    windows = data.series_windows(series, starts, lengths, timesteps=timesteps, padding=padding)
    at_last = rnn_lib.last_valid_step(windows.targets, lengths=lengths, padding=padding)
    np.testing.assert_array_equal(windows.next_values, at_last)
    last = timesteps - 1 if padding == "pre" else np.asarray(lengths) - 1  # direct indexing
    np.testing.assert_array_equal(
        windows.next_values, windows.targets[np.arange(len(starts)), last]
    )
    flat = series.reshape(len(series), -1).astype(np.float32)
    for row, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        np.testing.assert_array_equal(
            windows.unpadded(row), flat[np.newaxis, start : start + length]
        )
        targets = windows.targets[row][windows.mask[row]]
        np.testing.assert_array_equal(targets, flat[start + 1 : start + length + 1])
    assert np.all(windows.inputs[~windows.mask] == 0)
    assert np.all(windows.targets[~windows.mask] == 0)


def test_series_windows_is_a_frozen_padded_batch_with_a_default_timesteps():
    windows = data.series_windows(np.arange(6.0), [0, 3], [3, 2], padding="pre")
    assert isinstance(windows, data.PaddedBatch)
    assert windows.inputs.shape == (2, 3, 1)  # timesteps: the longest length
    assert windows.mask.astype(int).tolist() == [[1, 1, 1], [0, 1, 1]]
    with pytest.raises(dataclasses.FrozenInstanceError):
        windows.targets = windows.inputs


def test_the_docstring_examples_hold():
    result = doctest.testmod(data, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_random_series_windows_are_seeded():
    series = distinct_series(30, 2)
    first = data.random_series_windows(series, 6, min_length=2, max_length=9, seed=3)
    again = data.random_series_windows(series, 6, min_length=2, max_length=9, seed=3)
    other = data.random_series_windows(series, 6, min_length=2, max_length=9, seed=4)
    for name in ("inputs", "targets", "mask", "next_values", "starts", "lengths"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not (
        np.array_equal(first.starts, other.starts) and np.array_equal(first.lengths, other.lengths)
    )


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_random_series_windows_fit_and_are_series_windows_of_their_starts(padding):
    series = distinct_series(12, None)
    windows = data.random_series_windows(
        series, 40, min_length=3, max_length=7, timesteps=8, padding=padding, seed=5
    )
    assert windows.inputs.shape == (40, 8, 1)
    assert np.all((windows.lengths >= 3) & (windows.lengths <= 7))
    assert np.all(windows.starts >= 0)
    assert np.all(windows.starts + windows.lengths <= len(series) - 1)
    assert_matches_brute_force(
        windows, series, windows.starts.tolist(), windows.lengths.tolist(), 8, padding
    )


def test_random_series_windows_reach_every_length_and_start():
    series = distinct_series(8, None)
    windows = data.random_series_windows(series, 3000, min_length=1, max_length=7, seed=0)
    assert windows.inputs.shape[1] == 7  # timesteps: the longest length drawn
    assert set(windows.lengths.tolist()) == set(range(1, 8))
    for length in range(1, 8):  # every start where the window and its next value fit
        starts = windows.starts[windows.lengths == length]
        assert set(starts.tolist()) == set(range(8 - length)), length


@pytest.mark.parametrize(
    ("series", "kwargs", "error", "message"),
    [
        ([0.0, 1.0, 2.0], {}, TypeError, "series: expected a NumPy array or a tensor, got list"),
        (np.array(["a", "b", "c"]), {}, TypeError, "series: expected a real numeric array, got dtype <U1"),
        (np.array([True, False, True]), {}, TypeError, "series: expected a real numeric array, got dtype bool"),
        (np.array([0.0, np.nan, 2.0, 3.0]), {}, ValueError, "series: expected finite values, got 1 NaN or infinite values"),
        (np.array([0.0, np.inf, 2.0, 3.0]), {}, ValueError, "series: expected finite values, got 1 NaN"),
        (np.array([0.0, 1e39, 2.0, 3.0]), {}, ValueError, "series: expected values that fit in float32, got 1 beyond it"),
        (np.zeros((4, 2, 1)), {}, ValueError, r"series: expected a rank-1 \(time,\) or rank-2 \(time, features\) array, got shape \(4, 2, 1\)"),
        (np.zeros((4, 0)), {}, ValueError, r"series: expected at least one feature, got shape \(4, 0\)"),
        (np.zeros(1), {}, ValueError, r"series: expected at least 2 steps \(a window and the value after it\), got 1"),
        (np.arange(6.0), {"starts": [0, 3], "lengths": [2, 3]}, ValueError, r"starts: expected start \+ length <= len\(series\) - 1 = 5 \(the value after each window must exist; series has 6 steps\), got row 1 with start 3, length 3 \(sum 6\)$"),
        (np.arange(6.0), {"starts": [4, 3], "lengths": [2, 3]}, ValueError, r"got row 0 with start 4, length 2 \(sum 6\) \(and 1 more rows\)"),
        (np.arange(6.0), {"starts": [0, -1]}, ValueError, r"starts: expected every start >= 0, got \[-1\]"),
        (np.arange(6.0), {"starts": [0]}, ValueError, r"starts: expected one start per length \(2\), got 1"),
        (np.arange(6.0), {"starts": [[0, 1]]}, ValueError, r"starts: expected a 1-D sequence \(batch,\), got shape \(1, 2\)"),
        (np.arange(6.0), {"starts": [0.0, 1.0]}, TypeError, "starts: expected integers, got dtype float64"),
        (np.arange(6.0), {"starts": 0}, TypeError, "starts: expected a sequence or 1-D array of ints, got int"),
        (np.arange(6.0), {"lengths": [3, 0]}, ValueError, r"lengths: expected every length in \[1, 3\], got \[0\]"),
        (np.arange(6.0), {"timesteps": 2}, ValueError, r"lengths: expected every length in \[1, 2\], got \[3\]"),
        (np.arange(6.0), {"timesteps": 0}, ValueError, "timesteps: expected a positive int, got 0"),
        (np.arange(6.0), {"padding": "both"}, ValueError, "padding: expected 'post' or 'pre', got 'both'"),
    ],
)  # fmt: skip
def test_series_windows_bad_arguments(series, kwargs, error, message):
    arguments = {"starts": [0, 2], "lengths": [3, 2], **kwargs}
    with pytest.raises(error, match=message):
        data.series_windows(series, **arguments)


@pytest.mark.parametrize(
    ("series", "kwargs", "error", "message"),
    [
        (np.array([0.0, np.nan, 2.0]), {}, ValueError, "series: expected finite values"),
        (np.zeros((6, 1, 1)), {}, ValueError, r"series: expected a rank-1 \(time,\) or rank-2"),
        (np.arange(6.0), {"count": 0}, ValueError, "count: expected a positive int, got 0"),
        (np.arange(6.0), {"count": 2.0}, TypeError, "count: expected a positive int, got float"),
        (np.arange(6.0), {"min_length": 0}, ValueError, "min_length: expected a positive int, got 0"),
        (np.arange(6.0), {"min_length": 4, "max_length": 3}, ValueError, "min_length: expected at most max_length = 3, got 4"),
        (np.arange(6.0), {"max_length": 6}, ValueError, r"max_length: expected at most len\(series\) - 1 = 5 \(the value after each window must exist; series has 6 steps\), got 6"),
        (np.arange(6.0), {"timesteps": 2}, ValueError, "timesteps: expected at least max_length = 3, got 2"),
        (np.arange(6.0), {"timesteps": True}, TypeError, "timesteps: expected a positive int, got bool"),
        (np.arange(6.0), {"padding": "both"}, ValueError, "padding: expected 'post' or 'pre', got 'both'"),
        (np.arange(6.0), {"seed": True}, TypeError, "seed: expected an int, got bool"),
        (np.arange(6.0), {"seed": -1}, ValueError, "seed: expected a non-negative int, got -1"),
    ],
)  # fmt: skip
def test_random_series_windows_bad_arguments(series, kwargs, error, message):
    arguments = {"count": 2, "min_length": 2, "max_length": 3, **kwargs}
    with pytest.raises(error, match=message):
        data.random_series_windows(series, **arguments)


def test_padded_batch_rejects_a_negative_seed():
    with pytest.raises(ValueError, match="seed: expected a non-negative int, got -1"):
        data.padded_batch([2], seed=-1)
