"""Encoder-decoder helpers: Bidirectional states for a decoder, greedy decoding, a toy task.

- :func:`concat_bidirectional_states` turns the states of a ``Bidirectional(...,
  return_state=True)`` encoder into the initial states of a one-direction decoder with
  twice the units: ``[concat(forward_h, backward_h), concat(forward_c, backward_c)]``.
- :func:`greedy_decode` runs a one-step decoder (``[token, *context, *states]`` ->
  ``[probabilities, *new_states, *extras]``) on its own predictions, step after step.
- :func:`reversal_task` makes the chapter's toy task (reverse a sequence of digits), with
  the teacher-forcing decoder inputs; :func:`tokens_to_text` reads a decoded row back.

Token ids of the task: ``PAD`` 0, ``START`` 1, ``END`` 2, digit ``d`` is ``d + 3``.

Example::

    >>> task = reversal_task(2, min_length=2, max_length=4, seed=0)
    >>> task.source  # (count, max_length), 0 = padding
    array([[8, 5, 6, 3],
           [3, 3, 4, 0]], dtype=int32)
    >>> task.decoder_inputs  # START, then the reversed source
    array([[1, 3, 6, 5, 8],
           [1, 4, 3, 3, 0]], dtype=int32)
    >>> task.targets  # the reversed source, then END
    array([[3, 6, 5, 8, 2],
           [4, 3, 3, 2, 0]], dtype=int32)
    >>> tokens_to_text(task.source[1]), tokens_to_text(task.targets[1])
    ('001', '100')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from rnn_lib import _checks

__all__ = [
    "END",
    "PAD",
    "START",
    "GreedyDecoding",
    "ReversalTask",
    "concat_bidirectional_states",
    "decoding_accuracy",
    "greedy_decode",
    "reversal_task",
    "tokens_to_text",
]

PAD = 0
"""The padding id of :func:`reversal_task`."""
START = 1
"""The id a decoder reads first (teacher forcing and :func:`greedy_decode`)."""
END = 2
"""The id that ends a target sequence."""

_FIRST_DIGIT = 3  # digit d is id d + 3
_MAX_DIGITS = 10  # decimal digits: tokens_to_text writes one character per id


# ----- Bidirectional encoder -> decoder -----


def concat_bidirectional_states(states: Sequence[Any]) -> list[Any]:
    """Concatenate each forward state with its backward twin, for a decoder of ``2 * units``.

    ``Bidirectional(LSTM(units, return_state=True))(x)`` returns ``[output, forward_h,
    forward_c, backward_h, backward_c]`` (GRU and SimpleRNN: ``[output, forward_h,
    backward_h]``). Pass the states only, ``outputs[1:]``: an even number of
    ``(batch, units)`` tensors, the forward states first. The result is
    ``[concat(forward_h, backward_h), concat(forward_c, backward_c)]`` (one item for a
    GRU), each ``(batch, 2 * units)``, forward first: the ``initial_state`` of a
    one-direction decoder ``LSTM(2 * units)``.

    Works on symbolic ``KerasTensor``\\ s inside a functional model and on eager tensors
    or NumPy arrays (concatenated with ``keras.ops.concatenate``, so the results are
    tensors of the backend).

    Not detectable here: with ``merge_mode=None`` and ``return_sequences=False`` the
    layer returns ``[forward_output, backward_output, *states]``, an even number of
    ``(batch, units)`` tensors; pass ``outputs[2:]`` then.

    Example::

        >>> forward_h, forward_c = np.ones((3, 2)), np.zeros((3, 2))
        >>> backward_h, backward_c = np.full((3, 2), 2.0), np.zeros((3, 2))
        >>> h, c = concat_bidirectional_states([forward_h, forward_c, backward_h, backward_c])
        >>> keras.ops.convert_to_numpy(h)[0], tuple(c.shape)
        (array([1., 1., 2., 2.]), (3, 4))

    Raises:
        TypeError: ``states`` is not a list or tuple; a state is not a numeric tensor.
        ValueError: ``states`` is empty or of odd length (the output was probably left
            in); a state is not rank 2 ``(batch, units)``; the states disagree on batch.
    """
    if not isinstance(states, (list, tuple)):
        raise TypeError(
            f"states: expected a list or tuple of (batch, units) tensors, "
            f"got {_checks.type_name(states)}"
        )
    if not states:
        raise ValueError("states: expected an even, non-zero number of states, got none")
    if len(states) % 2:
        raise ValueError(
            f"states: expected an even number of states (forward, then backward), got "
            f"{len(states)}; Bidirectional(return_state=True) returns "
            "[output, *forward_states, *backward_states]; pass the states only"
        )
    batch, first = None, None
    for index, state in enumerate(states):
        shape = _checks.shape_of(f"states[{index}]", state, 2, "(batch, units)")
        if shape[0] is not None:
            if batch is not None and shape[0] != batch:
                raise ValueError(
                    f"states[{index}]: expected batch {batch} like states[{first}], "
                    f"got shape {shape}"
                )
            batch, first = shape[0], index
    half = len(states) // 2
    return [
        keras.ops.concatenate([forward, backward], axis=-1)
        for forward, backward in zip(states[:half], states[half:], strict=True)
    ]


# ----- greedy decoding -----


class GreedyDecoding(NamedTuple):
    """What :func:`greedy_decode` produced, every array ``steps`` long (padded).

    Attributes:
        tokens: ``(batch, steps)`` int64, the chosen ids, ``end_id`` included where
            produced, ``pad_id`` after it.
        lengths: ``(batch,)`` int64, the number of tokens produced, ``end_id`` included;
            ``steps`` for a row that never produced ``end_id``.
        probabilities: ``(batch, steps, vocab)``, the step model's distribution at each
            step; zeros after a row's end.
        extras: one array per extra output of the step model, ``(batch, steps, ...)``
            (e.g. attention scores ``(batch, steps, source_time)``); zeros after a row's end.
        states: the final states, NumPy, as many as given: each row's state after the
            step that produced ``end_id``, or after the last step.
    """

    tokens: np.ndarray
    lengths: np.ndarray
    probabilities: np.ndarray
    extras: list[np.ndarray]
    states: list[np.ndarray]


def _to_numpy(value: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def _step_outputs(
    outputs: Any, state_count: int, batch: int, shapes: list[tuple[int, ...]], step: int
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Check and split what the step model returned into probabilities, states, extras."""
    expected = f"[probabilities, *new_states, *extras] with {state_count} new states"
    if not isinstance(outputs, (list, tuple)):
        raise ValueError(
            f"step_model: expected a list or tuple {expected}, "
            f"got {_checks.type_name(outputs)} at step {step}"
        )
    if len(outputs) < 1 + state_count:
        raise ValueError(
            f"step_model: expected at least {1 + state_count} outputs {expected}, "
            f"got {len(outputs)} at step {step}"
        )
    arrays = [_to_numpy(output) for output in outputs]
    probabilities = arrays[0]
    if (
        probabilities.ndim != 3
        or probabilities.shape[:2] != (batch, 1)
        or not probabilities.shape[2]
    ):
        raise ValueError(
            f"step_model: expected probabilities of shape ({batch}, 1, vocab) "
            f"(batch, 1, vocab), got {tuple(probabilities.shape)} at step {step}"
        )
    if not np.all(np.isfinite(probabilities)):
        raise ValueError(
            f"step_model: expected finite probabilities, got NaN or infinity at step {step}"
        )
    new_states = arrays[1 : 1 + state_count]
    for index, (new, shape) in enumerate(zip(new_states, shapes, strict=True)):
        if new.shape != shape:
            raise ValueError(
                f"step_model: expected new state {index} of shape {tuple(shape)} "
                f"like states[{index}], got {tuple(new.shape)} at step {step}"
            )
    extras = arrays[1 + state_count :]
    for index, extra in enumerate(extras):
        if extra.ndim < 2 or extra.shape[:2] != (batch, 1):
            raise ValueError(
                f"step_model: expected extra output {index} of shape ({batch}, 1, ...) "
                f"(batch, 1, ...), got {tuple(extra.shape)} at step {step}"
            )
    return probabilities, new_states, extras


def greedy_decode(
    step_model: Callable[[list[Any]], Any],
    states: Sequence[Any],
    *,
    start_id: int,
    steps: int,
    end_id: int | None = None,
    context: Sequence[Any] = (),
    pad_id: int = 0,
) -> GreedyDecoding:
    """Decode greedily: feed back the most probable token, step after step.

    The step model (typically a ``keras.Model`` built from the decoder's layers) takes
    ``[tokens, *context, *states]``, with ``tokens`` ``(batch, 1)`` int32, and returns
    ``[probabilities, *new_states, *extras]``: ``probabilities`` ``(batch, 1, vocab)``,
    ``new_states`` as many as ``states`` and of the same shapes, and ``extras`` anything
    else with a leading ``(batch, 1, ...)`` (e.g. attention scores
    ``(batch, 1, source_time)``). ``context`` is passed unchanged at every step (e.g. the
    encoder's sequence output for attention); ``states`` are carried from step to step.

    Every row starts from ``start_id``. At each step the next token of each row is the
    argmax of its probabilities: the model's own choice, never a known target. A row that
    has produced ``end_id`` is finished: its later tokens are ``pad_id`` and its later
    probabilities and extras zeros. The model still runs on the whole batch (a
    ``stateful`` model keeps its batch size): finished rows are still fed their own
    choices, never ``pad_id`` (which need not be an id the model reads), and what they
    produce is discarded. Decoding stops when every row is finished, or after ``steps``
    steps.

    Args:
        step_model: a callable, e.g. a ``keras.Model``.
        states: the initial states, e.g. the encoder's ``[h, c]``, each ``(batch, ...)``.
        start_id: the first token fed to every row.
        steps: the most tokens to produce.
        end_id: the id that finishes a row; ``None``: rows run for ``steps`` steps.
        context: inputs passed unchanged at every step, between tokens and states.
        pad_id: the token recorded after a row's end.

    Returns:
        A :class:`GreedyDecoding`.

    Example::

        >>> def step(inputs):  # the next token is the previous one + 1; a step counter
        ...     tokens, count = inputs
        ...     probabilities = np.eye(6)[(tokens[:, 0] + 1) % 6][:, np.newaxis]
        ...     return [probabilities, count + 1]
        >>> result = greedy_decode(step, [np.zeros((2, 1))], start_id=1, steps=5, end_id=4)
        >>> result.tokens, result.lengths, result.states[0][:, 0]
        (array([[2, 3, 4, 0, 0],
               [2, 3, 4, 0, 0]]), array([3, 3]), array([3., 3.]))

    Raises:
        TypeError: ``step_model`` is not callable; ``states`` or ``context`` is not a list
            or tuple; a state is not a tensor; an id or ``steps`` is not an int.
        ValueError: ``states`` is empty or its items disagree on batch; an id is negative;
            ``steps`` is below 1; ``end_id`` is not below the vocabulary size; the step
            model returned something other than ``[probabilities, *new_states, *extras]``
            of the shapes above, or non-finite probabilities.
    """
    if not callable(step_model):
        raise TypeError(f"step_model: expected a callable, got {_checks.type_name(step_model)}")
    if not isinstance(states, (list, tuple)):
        raise TypeError(
            f"states: expected a list or tuple of tensors, got {_checks.type_name(states)}"
        )
    if not states:
        raise ValueError("states: expected at least one state, got none")
    start_id = _checks.non_negative_int("start_id", start_id)
    pad_id = _checks.non_negative_int("pad_id", pad_id)
    if end_id is not None:
        end_id = _checks.non_negative_int("end_id", end_id)
    steps = _checks.positive_int("steps", steps)
    if not isinstance(context, (list, tuple)):
        raise TypeError(f"context: expected a list or tuple, got {_checks.type_name(context)}")
    current = [_checks.as_array(f"states[{index}]", state) for index, state in enumerate(states)]
    for index, state in enumerate(current):
        if state.ndim == 0:
            raise ValueError(
                f"states[{index}]: expected a tensor with a leading batch axis (batch, ...), "
                "got shape ()"
            )
        if state.shape[0] != current[0].shape[0]:
            raise ValueError(
                f"states[{index}]: expected a leading batch axis of {current[0].shape[0]} "
                f"like states[0], got shape {tuple(state.shape)}"
            )
    batch = current[0].shape[0]
    if batch == 0:
        raise ValueError("states: expected at least one row, got a batch of 0")

    tokens = np.full((batch, steps), pad_id, dtype=np.int64)
    lengths = np.full(batch, steps, dtype=np.int64)
    shapes = [state.shape for state in current]
    final: list[np.ndarray] = []
    active = np.ones(batch, dtype=bool)
    fed = np.full((batch, 1), start_id, dtype=np.int32)
    probabilities: np.ndarray | None = None
    extras: list[np.ndarray] = []
    for step in range(steps):
        outputs = step_model([fed, *context, *current])
        step_probabilities, current, step_extras = _step_outputs(
            outputs, len(shapes), batch, shapes, step
        )
        if probabilities is None:  # the first step fixes vocab, extras and state dtypes
            final = [state.copy() for state in current]  # every row is active at step 0
            vocab = step_probabilities.shape[2]
            if end_id is not None and end_id >= vocab:
                raise ValueError(
                    f"end_id: expected an id below the vocabulary size {vocab} of "
                    f"step_model's probabilities, got {end_id}"
                )
            dtype = step_probabilities.dtype if step_probabilities.dtype.kind == "f" else float
            probabilities = np.zeros((batch, steps, vocab), dtype=dtype)
            extras = [
                np.zeros((batch, steps, *extra.shape[2:]), dtype=extra.dtype)
                for extra in step_extras
            ]
        if step_probabilities.shape[2] != probabilities.shape[2]:
            raise ValueError(
                f"step_model: expected probabilities of shape ({batch}, 1, "
                f"{probabilities.shape[2]}) like step 0, got "
                f"{tuple(step_probabilities.shape)} at step {step}"
            )
        if [extra.shape[2:] for extra in step_extras] != [extra.shape[2:] for extra in extras]:
            raise ValueError(
                "step_model: expected extra outputs of shapes "
                f"{[(batch, 1, *extra.shape[2:]) for extra in extras]} like step 0, got "
                f"{[tuple(extra.shape) for extra in step_extras]} at step {step}"
            )
        chosen = np.argmax(step_probabilities[:, 0], axis=-1)  # (batch,)
        tokens[active, step] = chosen[active]
        probabilities[active, step] = step_probabilities[active, 0]
        for stacked, extra in zip(extras, step_extras, strict=True):
            stacked[active, step] = extra[active, 0]
        for kept, new in zip(final, current, strict=True):
            kept[active] = new[active]
        if end_id is not None:
            ended = active & (chosen == end_id)
            lengths[ended] = step + 1
            active &= ~ended
            if not active.any():
                break
        fed = chosen.astype(np.int32)[:, np.newaxis]  # never pad_id: maybe not an input id
    assert probabilities is not None  # steps >= 1
    return GreedyDecoding(tokens, lengths, probabilities, extras, final)


# ----- the digit-reversal task -----


class ReversalTask(NamedTuple):
    """A batch of the digit-reversal task (see :func:`reversal_task`).

    Attributes:
        source: ``(count, max_length)`` int32 digit ids, post-padded with ``PAD``.
        decoder_inputs: ``(count, max_length + 1)`` int32, ``[START, *reversed, PAD...]``:
            the targets shifted right by one (teacher forcing).
        targets: ``(count, max_length + 1)`` int32, ``[*reversed, END, PAD...]``.
        lengths: ``(count,)`` int64, the number of digits of each source row.
        vocab_size: ``digits + 3``: ``PAD``, ``START``, ``END`` and the digits.
    """

    source: np.ndarray
    decoder_inputs: np.ndarray
    targets: np.ndarray
    lengths: np.ndarray
    vocab_size: int


def reversal_task(
    count: int, *, min_length: int, max_length: int, digits: int = 10, seed: int = 0
) -> ReversalTask:
    """Random digit sequences and their reversals: the chapter's toy encoder-decoder task.

    Each of the ``count`` source rows holds a length drawn uniformly from
    ``[min_length, max_length]`` and that many digits drawn uniformly from
    ``0 .. digits - 1``, with ``np.random.default_rng(seed)``: the same arguments give
    the same data. The target is the source reversed, then ``END``. Ids: ``PAD`` 0,
    ``START`` 1, ``END`` 2, digit ``d`` is ``d + 3``.

    Raises:
        TypeError: an argument is not an int.
        ValueError: ``count``, ``min_length`` or ``max_length`` is below 1;
            ``min_length > max_length``; ``digits`` is not in ``[1, 10]``; ``seed`` is
            negative.
    """
    count = _checks.positive_int("count", count)
    min_length, max_length = _checks.length_range(min_length, max_length)
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)):
        raise TypeError(
            f"digits: expected an int in [1, {_MAX_DIGITS}], got {_checks.type_name(digits)}"
        )
    if not 1 <= digits <= _MAX_DIGITS:
        raise ValueError(f"digits: expected an int in [1, {_MAX_DIGITS}], got {digits}")
    seed = _checks.non_negative_int("seed", seed)

    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=count)
    values = rng.integers(0, digits, size=(count, max_length)) + _FIRST_DIGIT
    steps = np.arange(max_length)
    valid = steps < lengths[:, np.newaxis]  # (count, max_length)
    source = np.where(valid, values, PAD)
    # Row i reversed: position t holds source[i, length - 1 - t] for t < length.
    backwards = np.clip(lengths[:, np.newaxis] - 1 - steps, 0, None)
    reversed_ids = np.where(valid, np.take_along_axis(source, backwards, axis=1), PAD)
    targets = np.zeros((count, max_length + 1), dtype=np.int32)
    targets[:, :max_length] = reversed_ids
    targets[np.arange(count), lengths] = END
    decoder_inputs = np.zeros_like(targets)
    decoder_inputs[:, 0] = START
    decoder_inputs[:, 1:] = reversed_ids
    return ReversalTask(
        source.astype(np.int32), decoder_inputs, targets, lengths.astype(np.int64),
        digits + _FIRST_DIGIT,
    )  # fmt: skip


def decoding_accuracy(tokens: Any, targets: Any, *, pad_id: int = PAD) -> tuple[float, float]:
    """Token and sequence accuracy of decoded ``tokens`` against padded ``targets``.

    Both are ``(batch, time)`` int arrays. The token accuracy is the share of the targets'
    valid (non-``pad_id``) steps where the token equals the target; the sequence accuracy
    the share of rows right at every valid step (what a row holds at padded target steps
    does not count, so a row decoded right and then padded is right).

    Example::

        >>> targets = np.array([[5, 2, 0], [5, 6, 2]])  # 0: padding
        >>> decoding_accuracy(np.array([[5, 2, 9], [5, 5, 2]]), targets)
        (0.8, 0.5)
    """
    tokens = _checks.as_rank("tokens", tokens, 2, "(batch, time)")
    targets = _checks.as_rank("targets", targets, 2, "(batch, time)")
    if tokens.shape != targets.shape:
        raise ValueError(
            f"tokens: expected the shape of targets {targets.shape}, got {tokens.shape}"
        )
    valid = targets != _checks.non_negative_int("pad_id", pad_id)
    if not valid.any():
        raise ValueError("targets: expected at least one valid (non-padding) step, got none")
    right = tokens == targets
    return float(right[valid].mean()), float((right | ~valid).all(axis=1).mean())


def tokens_to_text(ids: Any) -> str:
    """The digits of one row of ids, as text: stops at ``END``, skips ``PAD`` and ``START``.

    ``ids`` is a 1-D sequence of ids of :func:`reversal_task` (a list, an array, a row
    of :attr:`GreedyDecoding.tokens`), digit ``d`` being id ``d + 3``.

    Example::

        >>> tokens_to_text([6, 4, 2, 0])
        '31'

    Raises:
        TypeError: ``ids`` is not a sequence or array of ints.
        ValueError: ``ids`` is not 1-D; an id is outside ``[0, 12]``.
    """
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
        raise TypeError(f"ids: expected a 1-D sequence of ints, got {_checks.type_name(ids)}")
    array = _to_numpy(ids)
    if array.ndim != 1:
        raise ValueError(f"ids: expected a 1-D sequence (time,), got shape {tuple(array.shape)}")
    if array.size and (array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"ids: expected integers, got dtype {array.dtype}")
    highest = _FIRST_DIGIT + _MAX_DIGITS - 1
    bad = array[(array < 0) | (array > highest)]
    if bad.size:
        raise ValueError(f"ids: expected ids in [0, {highest}], got {bad.tolist()}")
    text = []
    for token in array.tolist():
        if token == END:
            break
        if token >= _FIRST_DIGIT:
            text.append(str(token - _FIRST_DIGIT))
    return "".join(text)
