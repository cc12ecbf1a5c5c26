"""rnn_lib.seq2seq: Bidirectional states against Keras' own layers, greedy decoding against
a hand-written rule and a brute-force loop over a teacher-forced Keras model, and the
digit-reversal task against per-row loops."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib.seq2seq import (
    END,
    PAD,
    START,
    GreedyDecoding,
    ReversalTask,
    concat_bidirectional_states,
    decoding_accuracy,
    greedy_decode,
    reversal_task,
    tokens_to_text,
)

BATCH, TIME, FEATURES, UNITS = 3, 5, 2, 4


def numpy(value):
    return keras.ops.convert_to_numpy(value)


# ----- concat_bidirectional_states -----


@pytest.mark.parametrize(("kind", "state_count"), [("LSTM", 2), ("GRU", 1), ("SimpleRNN", 1)])
def test_concatenates_keras_bidirectional_states(inputs, kind, state_count):
    keras.utils.set_random_seed(0)
    layer = keras.layers.Bidirectional(getattr(keras.layers, kind)(UNITS, return_state=True))
    outputs = layer(inputs)
    assert len(outputs) == 1 + 2 * state_count
    states = outputs[1:]  # a tuple: forward states, then backward states
    forward, backward = states[:state_count], states[state_count:]
    concatenated = concat_bidirectional_states(states)
    assert isinstance(concatenated, list)
    assert len(concatenated) == state_count
    for result, ahead, behind in zip(concatenated, forward, backward, strict=True):
        assert tuple(result.shape) == (BATCH, 2 * UNITS)
        np.testing.assert_array_equal(
            numpy(result), np.concatenate([numpy(ahead), numpy(behind)], axis=-1)
        )
    # The forward half of h is the forward layer alone, run on its own.
    alone = layer.forward_layer(inputs)
    np.testing.assert_allclose(numpy(concatenated[0])[:, :UNITS], numpy(alone[1]), atol=1e-6)


def test_a_decoder_of_twice_the_units_starts_from_the_concatenation(inputs):
    keras.utils.set_random_seed(1)
    target = np.random.default_rng(1).normal(size=(BATCH, 6, 3)).astype("float32")
    encoder = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_state=True))
    decoder = keras.layers.LSTM(2 * UNITS, return_sequences=True)

    source_in = keras.Input((None, FEATURES))
    target_in = keras.Input((None, 3))
    states = encoder(source_in)[1:]
    initial = concat_bidirectional_states(states)  # symbolic KerasTensors
    assert [tuple(state.shape) for state in initial] == [(None, 2 * UNITS)] * 2
    model = keras.Model([source_in, target_in], decoder(target_in, initial_state=initial))
    result = numpy(model([inputs, target]))

    _, forward_h, forward_c, backward_h, backward_c = (numpy(x) for x in encoder(inputs))
    by_hand = [
        np.concatenate([forward_h, backward_h], axis=-1),
        np.concatenate([forward_c, backward_c], axis=-1),
    ]
    np.testing.assert_allclose(result, numpy(decoder(target, initial_state=by_hand)), atol=1e-6)
    # and the order matters: backward first gives another decoder output
    swapped = [
        np.concatenate([backward_h, forward_h], -1),
        np.concatenate([backward_c, forward_c], -1),
    ]
    assert not np.allclose(result, numpy(decoder(target, initial_state=swapped)), atol=1e-4)


def test_numpy_arrays_and_eager_tensors():
    forward = np.arange(12.0).reshape(3, 4)
    backward = -np.arange(12.0).reshape(3, 4)
    expected = np.concatenate([forward, backward], axis=-1)
    for kind in (np.asarray, tf.constant):
        (result,) = concat_bidirectional_states([kind(forward), kind(backward)])
        np.testing.assert_array_equal(numpy(result), expected)


def test_symbolic_states_with_and_without_a_known_batch():
    forward = keras.Input(batch_shape=(BATCH, UNITS))
    backward = keras.Input(shape=(UNITS,))  # batch None: agrees with any batch
    (result,) = concat_bidirectional_states([forward, backward])
    assert result.shape[-1] == 2 * UNITS
    with pytest.raises(
        ValueError, match=r"^states\[1\]: expected batch 3 like states\[0\], got shape \(2, 4\)$"
    ):
        concat_bidirectional_states([forward, keras.Input(batch_shape=(2, UNITS))])


@pytest.mark.parametrize(
    ("states", "error", "message"),
    [
        (np.zeros((2, 3, 4)), TypeError, r"states: expected a list or tuple of \(batch, units\) tensors, got ndarray"),
        (None, TypeError, r"states: expected a list or tuple of \(batch, units\) tensors, got NoneType"),
        ([], ValueError, "states: expected an even, non-zero number of states, got none"),
        ([np.zeros((3, 8)), np.zeros((3, 4)), np.zeros((3, 4))], ValueError,
         r"states: expected an even number of states \(forward, then backward\), got 3; "
         r"Bidirectional\(return_state=True\) returns \[output, \*forward_states, \*backward_states\]; "
         "pass the states only"),
        ([np.zeros((3, 4)), [[0.0] * 4] * 3], TypeError, "states\\[1\\]: expected a NumPy array or a tensor, got list"),
        ([np.zeros((3, 5, 4)), np.zeros((3, 5, 4))], ValueError,
         r"states\[0\]: expected a rank-2 tensor \(batch, units\), got shape \(3, 5, 4\)"),
        ([np.zeros((3, 4)), np.zeros(4)], ValueError,
         r"states\[1\]: expected a rank-2 tensor \(batch, units\), got shape \(4,\)"),
        ([np.zeros((3, 4)), np.zeros((3, 4), dtype=str)], TypeError,
         "states\\[1\\]: expected a numeric tensor, got dtype <U1"),
        ([np.zeros((3, 4)), np.zeros((2, 4))], ValueError,
         r"states\[1\]: expected batch 3 like states\[0\], got shape \(2, 4\)"),
        ([np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((2, 4))], ValueError,
         r"states\[3\]: expected batch 3 like states\[2\], got shape \(2, 4\)"),
    ],
)  # fmt: skip
def test_concat_bad_input(states, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        concat_bidirectional_states(states)


def test_the_output_left_in_is_named():
    x = np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    outputs = keras.layers.Bidirectional(keras.layers.GRU(UNITS, return_state=True))(x)
    with pytest.raises(ValueError, match="pass the states only"):
        concat_bidirectional_states(outputs)  # [output, forward_h, backward_h]
    # an LSTM's whole list is odd too (1 + 4)
    outputs = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_state=True))(x)
    with pytest.raises(ValueError, match="got 5; Bidirectional"):
        concat_bidirectional_states(list(outputs))


# ----- greedy_decode: a step model in plain Python -----

VOCAB = 7


class AddOffset:
    """Next token = (token + offset) % VOCAB, offsets from the context, one per row.

    The state counts the steps of each row; the extra output records (token read, step).
    """

    def __init__(self):
        self.calls = []

    def __call__(self, inputs):
        tokens, offsets, count = inputs  # (batch, 1), (batch,), (batch, 1)
        self.calls.append(np.array(tokens)[:, 0].tolist())
        chosen = (tokens[:, 0] + offsets) % VOCAB
        probabilities = np.eye(VOCAB)[chosen][:, np.newaxis] * 0.5 + 0.5 / VOCAB
        extra = np.stack([tokens[:, 0], count[:, 0]], axis=-1)[:, np.newaxis]  # (batch, 1, 2)
        return [probabilities, count + 1, extra.astype("float32")]


def test_rows_end_at_different_steps_and_decoding_stops_when_all_have():
    model = AddOffset()
    offsets = np.array([1, 2, 3])  # from start 0, end 6: 1..6 (6 steps), 2 4 6, 3 6
    result = greedy_decode(
        model, [np.zeros((BATCH, 1))], start_id=0, steps=8, end_id=6, context=[offsets], pad_id=0
    )
    assert isinstance(result, GreedyDecoding)
    assert result.tokens.dtype == np.int64
    expected_tokens = [
        [1, 2, 3, 4, 5, 6, 0, 0],
        [2, 4, 6, 0, 0, 0, 0, 0],
        [3, 6, 0, 0, 0, 0, 0, 0],
    ]
    assert result.tokens.tolist() == expected_tokens
    assert result.lengths.tolist() == [6, 3, 2]
    # the model's own choices are fed back, also to finished rows (their outputs unused);
    # six calls, not eight: every row had ended
    assert model.calls == [[0, 0, 0], [1, 2, 3], [2, 4, 6], [3, 6, 2], [4, 1, 5], [5, 3, 1]]
    # final states: each row's count after its last step
    assert [state.tolist() for state in result.states] == [[[6.0], [3.0], [2.0]]]
    # probabilities: the model's at each step while active, zeros after
    assert result.probabilities.shape == (BATCH, 8, VOCAB)
    for row, length in enumerate([6, 3, 2]):
        for step in range(8):
            if step < length:
                expected = np.eye(VOCAB)[expected_tokens[row][step]] * 0.5 + 0.5 / VOCAB
            else:
                expected = np.zeros(VOCAB)
            np.testing.assert_allclose(result.probabilities[row, step], expected)
    # extras stacked over steps: (token read, step), zeros after the end
    (extra,) = result.extras
    assert extra.shape == (BATCH, 8, 2)
    assert extra[:, :, 0].tolist() == [
        [0, 1, 2, 3, 4, 5, 0, 0],
        [0, 2, 4, 0, 0, 0, 0, 0],
        [0, 3, 0, 0, 0, 0, 0, 0],
    ]
    assert extra[:, :, 1].tolist() == [
        [0, 1, 2, 3, 4, 5, 0, 0],
        [0, 1, 2, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0, 0],
    ]


def test_a_row_that_never_ends_and_no_end_id():
    offsets = np.array([0, 2, 5])  # row 0 repeats the start token 4 forever
    ended = greedy_decode(
        AddOffset(),
        [np.zeros((BATCH, 1))],
        start_id=4,
        steps=5,
        end_id=1,
        context=[offsets],
        pad_id=9,
    )
    assert ended.tokens.tolist() == [
        [4, 4, 4, 4, 4],
        [6, 1, 9, 9, 9],  # pad_id after the end
        [2, 0, 5, 3, 1],
    ]
    assert ended.lengths.tolist() == [5, 2, 5]
    assert ended.states[0][:, 0].tolist() == [5, 2, 5]

    model = AddOffset()
    endless = greedy_decode(model, [np.zeros((BATCH, 1))], start_id=4, steps=5, context=[offsets])
    assert endless.tokens.tolist() == [[4, 4, 4, 4, 4], [6, 1, 3, 5, 0], [2, 0, 5, 3, 1]]
    assert endless.lengths.tolist() == [5, 5, 5]
    assert len(model.calls) == 5


def test_one_step_and_several_states_and_tensors_in():
    def step(inputs):
        tokens, first, second = inputs
        probabilities = np.eye(VOCAB)[tokens[:, 0] + 1][:, np.newaxis]
        return (probabilities, first * 2, second - 0.5)  # a tuple, no extras

    states = (tf.ones((2, 3)), np.zeros((2, 1, 2), dtype=int))  # int: the result is float
    result = greedy_decode(step, states, start_id=2, steps=1, end_id=3)
    assert result.tokens.tolist() == [[3], [3]]
    assert result.lengths.tolist() == [1, 1]
    assert result.extras == []
    assert [state.shape for state in result.states] == [(2, 3), (2, 1, 2)]
    np.testing.assert_array_equal(result.states[0], np.full((2, 3), 2.0))
    np.testing.assert_array_equal(result.states[1], np.full((2, 1, 2), -0.5))


# ----- greedy_decode: against a Keras seq2seq decoded by brute force -----

SOURCE_VOCAB, TARGET_VOCAB, EMBEDDING, TARGET_STEPS = 11, 7, 3, 6


def seq2seq_models():
    """A teacher-forced seq2seq, its encoder and its one-step decoder, sharing layers.

    Untrained; the encoder and the output layer get wide random weights so that the rows
    decode differently and the top two probabilities are far apart.
    """
    keras.utils.set_random_seed(1)
    wide = keras.initializers.RandomNormal(stddev=2.0)
    source_ids = keras.Input((None,), dtype="int32")
    target_ids = keras.Input((None,), dtype="int32")
    source_embedding = keras.layers.Embedding(
        SOURCE_VOCAB, EMBEDDING, mask_zero=True, embeddings_initializer=wide
    )
    encoder = keras.layers.LSTM(UNITS, return_state=True, kernel_initializer=wide)
    target_embedding = keras.layers.Embedding(TARGET_VOCAB, EMBEDDING)
    decoder = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    to_vocab = keras.layers.Dense(TARGET_VOCAB, activation="softmax", kernel_initializer=wide)

    _, h, c = encoder(source_embedding(source_ids))
    sequence, decoder_h, decoder_c = decoder(target_embedding(target_ids), initial_state=[h, c])
    full = keras.Model(
        [source_ids, target_ids], [to_vocab(sequence), sequence, decoder_h, decoder_c]
    )
    encoder_model = keras.Model(source_ids, [h, c])

    token = keras.Input((1,), dtype="int32")
    state_h, state_c = keras.Input((UNITS,)), keras.Input((UNITS,))
    step_sequence, next_h, next_c = decoder(
        target_embedding(token), initial_state=[state_h, state_c]
    )
    step_model = keras.Model(
        [token, state_h, state_c], [to_vocab(step_sequence), next_h, next_c, step_sequence]
    )  # the decoder's output as an extra
    return full, encoder_model, step_model


def brute_force(full, source, steps, start_id):
    """Call the full teacher-forced model on the growing prefix; append its last argmax."""
    prefix = np.full((len(source), 1), start_id)
    probabilities, states = [], []
    for _ in range(steps):
        distribution, _, h, c = (numpy(x) for x in full([source, prefix]))
        probabilities.append(distribution[:, -1])
        states.append((h, c))  # after reading the prefix: the state of this step
        prefix = np.concatenate([prefix, distribution[:, -1].argmax(-1)[:, np.newaxis]], axis=1)
    return prefix[:, 1:], np.stack(probabilities, axis=1), states


@pytest.mark.slow
def test_greedy_decode_equals_a_brute_force_loop_over_the_teacher_forced_model():
    full, encoder, step_model = seq2seq_models()
    source = np.random.default_rng(0).integers(1, SOURCE_VOCAB, size=(BATCH, TIME))
    tokens, probabilities, states = brute_force(full, source, TARGET_STEPS, START)
    top_two = np.sort(probabilities, axis=-1)[..., -2:]
    assert (top_two[..., 1] - top_two[..., 0]).min() > 1e-4  # no near-tie: float error ~1e-7

    result = greedy_decode(step_model, encoder(source), start_id=START, steps=TARGET_STEPS)
    np.testing.assert_array_equal(result.tokens, tokens)
    assert result.lengths.tolist() == [TARGET_STEPS] * BATCH
    np.testing.assert_allclose(result.probabilities, probabilities, atol=1e-6)
    np.testing.assert_allclose(result.states[0], states[-1][0], atol=1e-6)
    np.testing.assert_allclose(result.states[1], states[-1][1], atol=1e-6)
    # the extra (decoder output) is the teacher-forced decoder's on the decoded tokens
    decoder_inputs = np.concatenate([np.full((BATCH, 1), START), tokens[:, :-1]], axis=1)
    _, sequence, _, _ = full([source, decoder_inputs])
    (extra,) = result.extras
    np.testing.assert_allclose(extra, numpy(sequence), atol=1e-6)

    # With an end id: each row as above up to its first end id, padding after.
    end_id, pad_id = 3, 9  # pad_id outside the decoder's vocabulary: never fed to it
    ends = [np.flatnonzero(row == end_id) for row in tokens]
    lengths = [int(found[0]) + 1 if found.size else TARGET_STEPS for found in ends]
    assert len(set(lengths)) == BATCH and TARGET_STEPS in lengths  # rows end differently
    ended = greedy_decode(
        step_model,
        encoder(source),
        start_id=START,
        steps=TARGET_STEPS,
        end_id=end_id,
        pad_id=pad_id,
    )
    assert ended.lengths.tolist() == lengths
    for row, length in enumerate(lengths):
        np.testing.assert_array_equal(ended.tokens[row, :length], tokens[row, :length])
        assert (ended.tokens[row, length:] == pad_id).all()
        np.testing.assert_allclose(
            ended.probabilities[row, :length], probabilities[row, :length], atol=1e-6
        )
        assert not ended.probabilities[row, length:].any()
        assert not ended.extras[0][row, length:].any()
        for index in range(2):  # [h, c] after the step that produced the end id
            np.testing.assert_allclose(
                ended.states[index][row], states[length - 1][index][row], atol=1e-6
            )


def constant_step(outputs):
    return lambda inputs: outputs


ONE_STATE = [np.zeros((BATCH, UNITS))]
GOOD = np.full((BATCH, 1, VOCAB), 1.0 / VOCAB)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"step_model": "model"}, TypeError, "step_model: expected a callable, got str"),
        ({"states": np.zeros((BATCH, UNITS))}, TypeError, "states: expected a list or tuple of tensors, got ndarray"),
        ({"states": []}, ValueError, "states: expected at least one state, got none"),
        ({"states": [[0.0, 1.0]]}, TypeError, r"states\[0\]: expected a NumPy array or a tensor, got list"),
        ({"states": [np.zeros((BATCH, UNITS)), np.zeros((2, UNITS))]}, ValueError,
         r"states\[1\]: expected a leading batch axis of 3 like states\[0\], got shape \(2, 4\)"),
        ({"states": [np.zeros(())]}, ValueError,
         r"states\[0\]: expected a tensor with a leading batch axis \(batch, ...\), got shape \(\)"),
        ({"states": [np.zeros((0, UNITS))]}, ValueError, "states: expected at least one row, got a batch of 0"),
        ({"start_id": -1}, ValueError, "start_id: expected a non-negative int, got -1"),
        ({"start_id": 1.0}, TypeError, "start_id: expected a non-negative int, got float"),
        ({"pad_id": True}, TypeError, "pad_id: expected a non-negative int, got bool"),
        ({"end_id": "2"}, TypeError, "end_id: expected a non-negative int, got str"),
        ({"end_id": -2}, ValueError, "end_id: expected a non-negative int, got -2"),
        ({"end_id": VOCAB}, ValueError,
         "end_id: expected an id below the vocabulary size 7 of step_model's probabilities, got 7"),
        ({"steps": 0}, ValueError, "steps: expected a positive int, got 0"),
        ({"steps": 2.5}, TypeError, "steps: expected a positive int, got float"),
        ({"context": np.zeros(3)}, TypeError, "context: expected a list or tuple, got ndarray"),
        ({"step_model": constant_step(GOOD)}, ValueError,
         r"step_model: expected a list or tuple \[probabilities, \*new_states, \*extras\] with 1 new states, got ndarray at step 0"),
        ({"step_model": constant_step([GOOD])}, ValueError,
         r"step_model: expected at least 2 outputs \[probabilities, \*new_states, \*extras\] with 1 new states, got 1 at step 0"),
        ({"step_model": constant_step([GOOD[:, 0], *ONE_STATE])}, ValueError,
         r"step_model: expected probabilities of shape \(3, 1, vocab\) \(batch, 1, vocab\), got \(3, 7\) at step 0"),
        ({"step_model": constant_step([GOOD[:2], *ONE_STATE])}, ValueError,
         r"step_model: expected probabilities of shape \(3, 1, vocab\) \(batch, 1, vocab\), got \(2, 1, 7\) at step 0"),
        ({"step_model": constant_step([GOOD[..., :0], *ONE_STATE])}, ValueError,
         r"step_model: expected probabilities of shape \(3, 1, vocab\) \(batch, 1, vocab\), got \(3, 1, 0\) at step 0"),
        ({"step_model": constant_step([GOOD * np.nan, *ONE_STATE])}, ValueError,
         "step_model: expected finite probabilities, got NaN or infinity at step 0"),
        ({"step_model": constant_step([GOOD, np.zeros((BATCH, UNITS + 1))])}, ValueError,
         r"step_model: expected new state 0 of shape \(3, 4\) like states\[0\], got \(3, 5\) at step 0"),
        ({"step_model": constant_step([GOOD, *ONE_STATE, np.zeros((BATCH, 5))])}, ValueError,
         r"step_model: expected extra output 0 of shape \(3, 1, ...\) \(batch, 1, ...\), got \(3, 5\) at step 0"),
        ({"step_model": constant_step([GOOD, *ONE_STATE, np.zeros(BATCH)])}, ValueError,
         r"step_model: expected extra output 0 of shape \(3, 1, ...\) \(batch, 1, ...\), got \(3,\) at step 0"),
    ],
)  # fmt: skip
def test_greedy_decode_bad_input(arguments, error, message):
    arguments = {"step_model": constant_step([GOOD, *ONE_STATE]), "states": ONE_STATE,
                 "start_id": START, "steps": 3, **arguments}  # fmt: skip
    model, states = arguments.pop("step_model"), arguments.pop("states")
    with pytest.raises(error, match=f"^{message}$"):
        greedy_decode(model, states, **arguments)


def test_a_step_model_that_changes_its_outputs_midway():
    def changing(vocab_at, extra_at):
        calls = []

        def step(inputs):
            calls.append(1)
            vocab = vocab_at(len(calls))
            extra = np.zeros((BATCH, 1, extra_at(len(calls))))
            return [np.full((BATCH, 1, vocab), 1.0 / vocab), inputs[1], extra]

        return step

    with pytest.raises(
        ValueError,
        match=r"^step_model: expected probabilities of shape \(3, 1, 7\) like step 0, got \(3, 1, 8\) at step 1$",
    ):
        greedy_decode(changing(lambda n: 6 + n, lambda n: 2), ONE_STATE, start_id=1, steps=3)
    with pytest.raises(
        ValueError,
        match=r"^step_model: expected extra outputs of shapes \[\(3, 1, 2\)\] like step 0, got \[\(3, 1, 3\)\] at step 1$",
    ):
        greedy_decode(changing(lambda n: 7, lambda n: 1 + n), ONE_STATE, start_id=1, steps=3)


# ----- reversal_task -----


def brute_force_task(count, min_length, max_length, digits, seed):
    """Per row with plain lists, drawing in the documented order: all lengths, then digits."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=count)
    values = rng.integers(0, digits, size=(count, max_length))
    source, decoder_inputs, targets = [], [], []
    for row in range(count):
        ids = [int(value) + 3 for value in values[row, : lengths[row]]]
        backwards = ids[::-1]
        source.append(ids + [0] * (max_length - len(ids)))
        decoder_inputs.append([1, *backwards] + [0] * (max_length - len(ids)))
        targets.append([*backwards, 2] + [0] * (max_length - len(ids)))
    return source, decoder_inputs, targets, lengths.tolist()


@pytest.mark.parametrize(
    ("count", "min_length", "max_length", "digits", "seed"),
    [(3, 1, 5, 10, 0), (7, 2, 2, 4, 3), (1, 4, 6, 1, 11), (20, 1, 9, 10, 5)],
)
def test_reversal_task_matches_brute_force(count, min_length, max_length, digits, seed):
    task = reversal_task(
        count, min_length=min_length, max_length=max_length, digits=digits, seed=seed
    )
    assert isinstance(task, ReversalTask)
    source, decoder_inputs, targets, lengths = brute_force_task(
        count, min_length, max_length, digits, seed
    )
    assert task.source.tolist() == source
    assert task.decoder_inputs.tolist() == decoder_inputs
    assert task.targets.tolist() == targets
    assert task.lengths.tolist() == lengths
    assert task.vocab_size == digits + 3
    assert task.source.dtype == task.decoder_inputs.dtype == task.targets.dtype == np.int32
    assert task.lengths.dtype == np.int64
    assert (PAD, START, END) == (0, 1, 2)


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(1, 6),
    bounds=st.tuples(st.integers(1, 7), st.integers(0, 4)),
    digits=st.integers(1, 10),
    seed=st.integers(0, 2**32),
)
def test_reversal_task_properties(count, bounds, digits, seed):
    min_length, extra = bounds
    max_length = min_length + extra
    task = reversal_task(
        count, min_length=min_length, max_length=max_length, digits=digits, seed=seed
    )
    assert task.source.shape == (count, max_length)
    assert task.targets.shape == task.decoder_inputs.shape == (count, max_length + 1)
    assert ((task.lengths >= min_length) & (task.lengths <= max_length)).all()
    for row in range(count):
        length = task.lengths[row]
        source_ids = task.source[row]
        assert (source_ids[:length] >= 3).all() and (source_ids[:length] < digits + 3).all()
        assert (source_ids[length:] == PAD).all()
        target = task.targets[row]
        assert target[target != PAD][:-1][::-1].tolist() == source_ids[source_ids != PAD].tolist()
        assert np.flatnonzero(target == END).tolist() == [length]  # END once, at length
        assert (target[length + 1 :] == PAD).all()
    # teacher forcing: the decoder inputs are the targets shifted right, START in front
    assert (task.decoder_inputs[:, 0] == START).all()
    shifted = np.where(task.targets[:, :-1] == END, PAD, task.targets[:, :-1])
    np.testing.assert_array_equal(task.decoder_inputs[:, 1:], shifted)
    # the same seed, the same data
    again = reversal_task(
        count, min_length=min_length, max_length=max_length, digits=digits, seed=seed
    )
    for mine, theirs in zip(task[:4], again[:4], strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_other_seeds_other_data():
    first = reversal_task(5, min_length=3, max_length=6, seed=0)
    second = reversal_task(5, min_length=3, max_length=6, seed=1)
    assert not np.array_equal(first.source, second.source)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"count": 0}, ValueError, "count: expected a positive int, got 0"),
        ({"count": 2.0}, TypeError, "count: expected a positive int, got float"),
        ({"min_length": 0}, ValueError, "min_length: expected a positive int, got 0"),
        ({"max_length": -3}, ValueError, "max_length: expected a positive int, got -3"),
        ({"max_length": "5"}, TypeError, "max_length: expected a positive int, got str"),
        ({"min_length": 6, "max_length": 5}, ValueError, "min_length: expected at most max_length = 5, got 6"),
        ({"digits": 0}, ValueError, r"digits: expected an int in \[1, 10\], got 0"),
        ({"digits": 11}, ValueError, r"digits: expected an int in \[1, 10\], got 11"),
        ({"digits": True}, TypeError, r"digits: expected an int in \[1, 10\], got bool"),
        ({"seed": -1}, ValueError, "seed: expected a non-negative int, got -1"),
        ({"seed": None}, TypeError, "seed: expected a non-negative int, got NoneType"),
    ],
)  # fmt: skip
def test_reversal_task_bad_input(arguments, error, message):
    arguments = {"count": 3, "min_length": 2, "max_length": 5, **arguments}
    with pytest.raises(error, match=f"^{message}$"):
        reversal_task(**arguments)


# ----- tokens_to_text -----


@pytest.mark.parametrize(
    ("ids", "text"),
    [
        ([6, 4, 2, 0], "31"),
        ([1, 3, 12, 5], "092"),  # START skipped, no END: to the end
        ([0, 7, 0, 8], "45"),  # PAD skipped
        ([2, 5, 6], ""),  # END first
        ([], ""),
        (np.array([12, 11, 2, 3], dtype=np.int64), "98"),
        (tf.constant([4, 4, 2], dtype=tf.int32), "11"),
    ],
)
def test_tokens_to_text(ids, text):
    assert tokens_to_text(ids) == text


def test_tokens_to_text_reads_back_a_task_row():
    task = reversal_task(4, min_length=1, max_length=6, seed=2)
    for row in range(4):
        digits = "".join(str(value - 3) for value in task.source[row, : task.lengths[row]])
        assert tokens_to_text(task.source[row]) == digits
        assert tokens_to_text(task.targets[row]) == digits[::-1]
        assert tokens_to_text(task.decoder_inputs[row]) == digits[::-1]


@pytest.mark.parametrize(
    ("ids", "error", "message"),
    [
        ("312", TypeError, "ids: expected a 1-D sequence of ints, got str"),
        (5, TypeError, "ids: expected a 1-D sequence of ints, got int"),
        (np.zeros((2, 3), dtype=int), ValueError, r"ids: expected a 1-D sequence \(time,\), got shape \(2, 3\)"),
        ([3.0, 4.0], TypeError, "ids: expected integers, got dtype float64"),
        ([True, False], TypeError, "ids: expected integers, got dtype bool"),
        ([3, 13, -1], ValueError, r"ids: expected ids in \[0, 12\], got \[13, -1\]"),
    ],
)  # fmt: skip
def test_tokens_to_text_bad_input(ids, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        tokens_to_text(ids)


# ----- decoding_accuracy -----


def _brute_force_accuracy(tokens, targets, pad_id):
    """Loops: count the valid steps right, and the rows right at all their valid steps."""
    valid_steps = right_steps = right_rows = 0
    for token_row, target_row in zip(tokens, targets, strict=True):
        row_right = True
        for token, target in zip(token_row, target_row, strict=True):
            if target == pad_id:
                continue
            valid_steps += 1
            right_steps += token == target
            row_right = row_right and token == target
        right_rows += row_right
    return right_steps / valid_steps, right_rows / len(targets)


@given(st.data())
@settings(max_examples=40)
def test_decoding_accuracy_matches_loops(draw):
    shape = draw.draw(st.tuples(st.integers(1, 5), st.integers(1, 6)))
    ids = st.integers(0, 3)  # few ids: right and wrong steps, padding everywhere
    targets = np.array(
        draw.draw(st.lists(ids, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]))
    ).reshape(shape)
    targets[0, 0] = 1  # at least one valid step
    tokens = np.array(
        draw.draw(st.lists(ids, min_size=targets.size, max_size=targets.size))
    ).reshape(shape)
    got = decoding_accuracy(tokens, targets, pad_id=0)
    np.testing.assert_allclose(got, _brute_force_accuracy(tokens, targets, 0))


def test_decoding_accuracy_ignores_what_a_row_holds_at_padded_steps():
    targets = np.array([[4, 2, 0, 0]])
    assert decoding_accuracy(np.array([[4, 2, 7, 7]]), targets) == (1.0, 1.0)
    assert decoding_accuracy(np.array([[4, 3, 0, 0]]), targets) == (0.5, 0.0)


@pytest.mark.parametrize(
    "tokens, targets, message",
    [
        (np.zeros((2, 3), int), np.zeros((2, 4), int), r"^tokens: expected the shape of targets"),
        (np.zeros((2, 3), int), np.zeros((2, 3), int), r"^targets: expected at least one valid"),
    ],
)
def test_decoding_accuracy_bad_input(tokens, targets, message):
    with pytest.raises(ValueError, match=message):
        decoding_accuracy(tokens, targets)
