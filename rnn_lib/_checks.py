"""Input validation shared by the public functions of ``rnn_lib``.

Every message names the argument, what was received and what was expected,
e.g. ``inputs: expected a rank-3 tensor (batch, time, features), got shape (3, 4)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def type_name(value: Any) -> str:
    """The short type name used in error messages."""
    return type(value).__name__


def as_array(name: str, value: Any) -> np.ndarray:
    """Convert a NumPy array or a tensor to a NumPy array, or raise TypeError."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy") and hasattr(value, "shape"):  # an eager tf.Tensor
        return np.asarray(value.numpy())
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "__array__"):
        return np.asarray(value)
    raise TypeError(f"{name}: expected a NumPy array or a tensor, got {type_name(value)}")


def as_rank(name: str, value: Any, rank: int, axes: str) -> np.ndarray:
    """Return ``value`` as a numeric array of the given rank, or raise.

    ``axes`` names the expected axes for the message, e.g. ``"(batch, time, features)"``.
    """
    array = as_array(name, value)
    if array.ndim != rank:
        raise ValueError(
            f"{name}: expected a rank-{rank} tensor {axes}, got shape {tuple(array.shape)}"
        )
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name}: expected a numeric tensor, got dtype {array.dtype}")
    return array


def nonempty(name: str, shape: tuple, axes: str) -> None:
    """Raise ValueError if any axis of ``shape`` has size 0."""
    if any(size == 0 for size in shape):
        raise ValueError(
            f"{name}: expected at least one entry on every axis {axes}, got shape {tuple(shape)}"
        )


def shape_of(name: str, value: Any, rank: int, axes: str) -> tuple[int | None, ...]:
    """Check rank and numeric dtype from ``.shape``/``.dtype`` alone: no copy of the data.

    For large tensors, where :func:`as_rank` would copy everything to NumPy.
    """
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise TypeError(f"{name}: expected a NumPy array or a tensor, got {type_name(value)}")
    shape = tuple(None if size is None else int(size) for size in value.shape)
    if len(shape) != rank:
        raise ValueError(f"{name}: expected a rank-{rank} tensor {axes}, got shape {shape}")
    dtype = np.dtype(getattr(value.dtype, "as_numpy_dtype", value.dtype))
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise TypeError(f"{name}: expected a numeric tensor, got dtype {dtype}")
    return shape


def _int_at_least(name: str, value: Any, lowest: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a {what} int, got {type_name(value)}")
    if value < lowest:
        raise ValueError(f"{name}: expected a {what} int, got {value}")
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int >= 1 (not a bool), or raise."""
    return _int_at_least(name, value, 1, "positive")


def non_negative_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int >= 0 (not a bool), or raise."""
    return _int_at_least(name, value, 0, "non-negative")


def boolean(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, or raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type_name(value)}")
    return bool(value)


def one_of(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the strings ``choices``, or raise."""
    expected = " or ".join(repr(choice) for choice in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected {expected}, got {type_name(value)}")
    if value not in choices:
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return value


def series(value: Any) -> np.ndarray:
    """``value`` as a ``(time, features)`` real array (a ``(time,)`` series gets one feature).

    Checks rank, dtype (not bool or complex) and at least one feature; the caller checks
    the length and finiteness it needs.
    """
    array = as_array("series", value)
    if array.ndim not in (1, 2):
        raise ValueError(
            "series: expected a rank-1 (time,) or rank-2 (time, features) array, "
            f"got shape {tuple(array.shape)}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):  # nor is bool
        raise TypeError(f"series: expected a real numeric array, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[:, np.newaxis]  # (time, 1)
    if array.shape[1] == 0:
        raise ValueError(f"series: expected at least one feature, got shape {array.shape}")
    return array


def length_range(min_length: Any, max_length: Any) -> tuple[int, int]:
    """``(min_length, max_length)``, both positive ints with ``min_length <= max_length``."""
    min_length = positive_int("min_length", min_length)
    max_length = positive_int("max_length", max_length)
    if min_length > max_length:
        raise ValueError(
            f"min_length: expected at most max_length = {max_length}, got {min_length}"
        )
    return min_length, max_length


def padding(value: Any) -> str:
    """Return ``value`` if it is "post" or "pre", or raise."""
    return one_of("padding", value, ("post", "pre"))


def lengths(value: Any, timesteps: int | None = None) -> np.ndarray:
    """Return ``value`` as a ``(batch,)`` int64 array, each in ``[1, timesteps]``, or raise."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"lengths: expected a sequence or 1-D array of ints, got {type_name(value)}"
        )
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"lengths: expected a non-empty 1-D sequence (batch,), got shape {array.shape}"
        )
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"lengths: expected integers, got dtype {array.dtype}")
    upper = timesteps if timesteps is not None else int(array.max())
    if int(array.min()) < 1 or int(array.max()) > upper:
        bad = array[(array < 1) | (array > upper)].tolist()
        raise ValueError(f"lengths: expected every length in [1, {upper}], got {bad}")
    return array.astype(np.int64)
