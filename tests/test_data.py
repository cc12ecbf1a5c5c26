"""rnn_lib.data: seeded padded batches."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
