"""The book's general claims about masks beyond the recurrent layer and training on padded batches.

Chapters 13 to 15. The conventions are those of `test_claims.py` (one test per claim, its
docstring's first paragraph stated word for word on the pages of its ``@stated_in(...)``,
checked there by `test_every_claim_is_stated_where_the_book_says`); this file is separate only
so that `make test` can run it beside `test_claims.py` on the other worker.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from rnn_lib import data, shapes
from tests.conftest import FEATURES, TIME, UNITS
from tests.test_claims import ATOL, KINDS, _inputs, _masks, stated_in

pytestmark = pytest.mark.slow  # about 120 small Keras models: scheduled with the long files


# ----- masks beyond the recurrent layer -----

CH13 = "notebooks/13_masks_beyond_the_recurrent_layer.ipynb"
CH14 = "notebooks/14_training_on_padded_batches.ipynb"
CH15 = "notebooks/15_variable_length_real_series.ipynb"
DESTROY = "will therefore destroy the mask information"


def _token_ids(padding: str, vocab_size: int = 7) -> np.ndarray:
    """(batch, time) ids in [1, vocab_size), 0 where `_masks(padding)` is False."""
    mask = _masks(padding)
    ids = np.random.default_rng(3).integers(1, vocab_size, size=mask.shape)
    return np.where(mask, ids, 0).astype("int32")


@stated_in(CH13, "book/misconceptions.md")
@pytest.mark.parametrize("padding", ["post", "pre", "gap"])
@pytest.mark.parametrize("input_dim, output_dim", [(7, 2), (12, 3)])
def test_embedding_returns_the_vector_of_id_0_at_padded_steps(padding, input_dim, output_dim):
    """An `Embedding(mask_zero=True)` returns the vector of id 0 at a padded step; only its mask marks the step."""
    ids = _token_ids(padding, input_dim)
    embedding = keras.layers.Embedding(input_dim, output_dim, mask_zero=True)
    embedded = embedding(ids)
    values, table = keras.ops.convert_to_numpy(embedded), embedding.embeddings.numpy()
    np.testing.assert_array_equal(values, table[ids])  # every step, padded ones included
    assert np.abs(table[0]).max() > 0  # the padding's vector is not zeros
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(embedded._keras_mask), ids != 0)


@stated_in(CH13)
@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.layers.Dense(UNITS),
        lambda: keras.layers.TimeDistributed(keras.layers.Dense(UNITS)),
        lambda: keras.layers.LayerNormalization(),
        lambda: keras.layers.Dropout(0.5),
        lambda: keras.layers.Activation("tanh"),
        lambda: keras.layers.BatchNormalization(),
    ],
    ids=["Dense", "TimeDistributed", "LayerNormalization", "Dropout", "Activation", "BatchNorm"],
)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_step_by_step_layers_pass_the_mask_on(make, padding):
    """A layer that works on each step alone passes the mask on and computes the padded steps like any other."""
    ids = _token_ids(padding)
    source = keras.Input((TIME,), dtype="int32")
    embedding = keras.layers.Embedding(7, FEATURES, mask_zero=True)
    layer = make()
    output = layer(embedding(source))
    assert getattr(output, "_keras_mask", None) is not None  # passed on in the model
    model = keras.Model(source, output)
    outputs = keras.ops.convert_to_numpy(model(ids))  # inference
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(ids)._keras_mask), ids != 0)
    alone = keras.ops.convert_to_numpy(layer(embedding.embeddings.numpy()[ids]))  # no mask at all
    np.testing.assert_allclose(outputs, alone, atol=ATOL)  # padded steps computed like the rest


@stated_in(CH13)
@pytest.mark.parametrize("input_dim", [5, 10])
def test_out_of_range_and_negative_ids(input_dim):
    """On this CPU an id at or above `input_dim` raises an error, and a negative id down to `-input_dim` silently reads the row counted from the end of the table."""
    import tensorflow as tf

    embedding = keras.layers.Embedding(input_dim, FEATURES, mask_zero=True)
    model = keras.Sequential([keras.Input((2,), dtype="int32"), embedding])
    table = embedding.embeddings.numpy()
    for bad in (input_dim, input_dim + 3, -input_dim - 1):
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
            embedding(np.array([[1, bad]]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
            model.predict(np.array([[1, bad]]), verbose=0)
    negatives = np.arange(-input_dim, 0)[np.newaxis]  # (1, input_dim)
    expected = table[negatives + input_dim]  # counted from the end
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(embedding(negatives)), expected)
    np.testing.assert_array_equal(model.predict(negatives[:, :2], verbose=0), expected[:, :2])
    assert keras.ops.convert_to_numpy(embedding.compute_mask(negatives)).all()  # "real" tokens


@stated_in(CH13)
@pytest.mark.parametrize(
    "make",
    [
        keras.layers.Flatten,
        lambda: keras.layers.Reshape((TIME * FEATURES,)),
        lambda: keras.layers.Reshape((TIME, FEATURES, 1)),
        lambda: keras.layers.Conv1D(UNITS, 3, padding="valid"),
        lambda: keras.layers.Conv1D(UNITS, 3, padding="same"),
        lambda: keras.layers.Conv1D(UNITS, 3, padding="causal"),
        keras.layers.GlobalMaxPooling1D,
        lambda: keras.layers.Lambda(lambda x: 2 * x),
    ],
    ids=["Flatten", "Reshape-flat", "Reshape-4d", "Conv1D-valid", "Conv1D-same",
         "Conv1D-causal", "GlobalMaxPooling1D", "Lambda"],
)  # fmt: skip
@pytest.mark.parametrize("source", ["Embedding", "Masking"])
def test_layers_that_destroy_the_mask_warn(make, source):
    """`Flatten`, `Reshape`, `Conv1D`, `GlobalMaxPooling1D` and a `Lambda` without `mask=` destroy the mask with a warning."""
    if source == "Embedding":
        inputs = keras.Input((TIME,), dtype="int32")
        masked = keras.layers.Embedding(7, FEATURES, mask_zero=True)(inputs)
    else:
        inputs = keras.Input((TIME, FEATURES))
        masked = keras.layers.Masking(0.0)(inputs)
    assert getattr(masked, "_keras_mask", None) is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = make()(masked)
    assert getattr(output, "_keras_mask", None) is None
    assert any(DESTROY in str(warning.message) for warning in caught)


def _head(kind: str):
    """token ids (batch, TIME) -> Embedding(mask_zero) named "embedding" -> `kind` -> Dense(1)."""
    source = keras.Input((TIME,), dtype="int32")
    embedded = keras.layers.Embedding(7, FEATURES, mask_zero=True, name="embedding")(source)
    if kind == "Flatten":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the warning is the previous test's
            summary = keras.layers.Flatten()(embedded)
    elif kind == "GlobalAveragePooling1D":
        summary = keras.layers.GlobalAveragePooling1D()(embedded)
    elif kind == "Bidirectional":
        summary = keras.layers.Bidirectional(keras.layers.LSTM(UNITS))(embedded)
    else:
        summary = shapes.make_layer(kind, UNITS)(embedded)  # the default output
    return keras.Model(source, keras.layers.Dense(1)(summary))


@stated_in(CH13)
@pytest.mark.parametrize("kind", ["Flatten", "GlobalAveragePooling1D", *KINDS, "Bidirectional"])
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_only_a_head_without_the_mask_sees_the_padding_vector(kind, padding):
    """Changing only the padding's embedding changes a `Flatten` head's prediction for every row with padding, and no prediction of a head that reads the mask."""
    ids = _token_ids(padding)
    model = _head(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = keras.ops.convert_to_numpy(model(ids))[:, 0]
        table = model.get_layer("embedding").embeddings
        table.assign(keras.ops.scatter_update(table, [[0]], [[3.0] * FEATURES]))
        after = keras.ops.convert_to_numpy(model(ids))[:, 0]
    changed = ~np.isclose(before, after, rtol=0, atol=1e-6)
    has_padding = (ids == 0).any(axis=1)
    expected = has_padding if kind == "Flatten" else np.zeros_like(has_padding)
    np.testing.assert_array_equal(changed, expected)


@stated_in(CH13)
@pytest.mark.parametrize("padding", ["post", "pre", "gap"])
def test_batch_normalization_reads_the_mask_only_in_training(padding):
    """`BatchNormalization` reads the mask while training and ignores it at inference."""
    mask = _masks(padding)
    inputs = _inputs(mask) + 3.0 * ~mask[..., None]  # padded steps far from the rest
    layer = keras.layers.BatchNormalization(epsilon=1e-3)
    layer.build((None, TIME, FEATURES))
    trained = keras.ops.convert_to_numpy(layer(inputs, mask=mask, training=True))
    valid = inputs[mask]  # (valid steps, features)
    by_hand = (inputs - valid.mean(axis=0)) / np.sqrt(valid.var(axis=0) + 1e-3)
    np.testing.assert_allclose(trained, by_hand, atol=1e-5)  # statistics of the valid steps
    unmasked = keras.ops.convert_to_numpy(layer(inputs, training=True))
    assert not np.allclose(unmasked, by_hand, atol=1e-3)  # all steps give other statistics
    at_inference = [keras.ops.convert_to_numpy(layer(inputs, mask=m)) for m in (mask, None)]
    np.testing.assert_array_equal(*at_inference)


# ----- training on padded batches -----


def _regression(kind: str, source: str = "Masking", loss: str = "mse", **compile_options):
    """(batch, time, FEATURES) -> mask -> `kind`(return_sequences) -> Dense(1), compiled.

    `source`: "Masking" (from the zero padding), "mask=" (a bool input handed to the layer),
    or "none" (no mask); a model of two inputs [values, mask] for "mask=".
    """
    keras.utils.set_random_seed(0)
    values = keras.Input((None, FEATURES))
    layer = shapes.make_layer(kind, UNITS, return_sequences=True)
    if source == "mask=":
        valid = keras.Input((None,), dtype="bool")
        inputs, sequence = [values, valid], layer(values, mask=valid)
    else:
        hidden = keras.layers.Masking(0.0)(values) if source == "Masking" else values
        inputs, sequence = values, layer(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(sequence))
    model.compile(optimizer="adam", loss=loss, **compile_options)
    return model


def _targets(mask: np.ndarray, seed: int = 1) -> np.ndarray:
    """(batch, time, 1) random targets, 0 at padded steps."""
    targets = np.random.default_rng(seed).normal(size=(*mask.shape, 1)).astype("float32")
    targets[~mask] = 0.0
    return targets


def _feed(model, inputs, mask):
    return [inputs, mask] if isinstance(model.inputs, list) and len(model.inputs) == 2 else inputs


def _errors(model, inputs, mask, targets):
    """Squared and absolute errors per step, (batch, time)."""
    predicted = keras.ops.convert_to_numpy(model(_feed(model, inputs, mask)))
    return ((predicted - targets) ** 2)[..., 0], np.abs(predicted - targets)[..., 0]


@stated_in(CH14)
@pytest.mark.parametrize(
    "kind, padding, source, loss",
    [
        *[(kind, padding, "Masking", "mse") for kind in KINDS for padding in ("post", "pre")],
        ("LSTM", "gap", "Masking", "mse"),
        ("LSTM", "post", "mask=", "mse"),
        ("GRU", "pre", "mask=", "mae"),
        ("SimpleRNN", "post", "Masking", "mae"),
    ],
)
def test_loss_and_metrics_average_over_valid_steps(kind, padding, source, loss):
    """When the mask reaches the output, `evaluate` reports the loss and the mean-type metrics as means over the valid steps only."""
    mask = _masks(padding)
    inputs, targets = _inputs(mask), _targets(mask)
    model = _regression(kind, source, loss, metrics=["mae", "mse"])
    squared, absolute = _errors(model, inputs, mask, targets)
    result = model.evaluate(_feed(model, inputs, mask), targets, verbose=0, return_dict=True)
    expected_loss = (squared if loss == "mse" else absolute)[mask].mean()
    np.testing.assert_allclose(result["loss"], expected_loss, rtol=1e-5)
    np.testing.assert_allclose(result["mae"], absolute[mask].mean(), rtol=1e-5)
    np.testing.assert_allclose(result["mse"], squared[mask].mean(), rtol=1e-5)
    assert not np.isclose(result["mae"], absolute.mean(), rtol=1e-3)  # not over every step


@stated_in(CH14)
@pytest.mark.parametrize("kind", KINDS)
def test_other_metrics_count_the_padded_steps(kind):
    """`RootMeanSquaredError`, `Precision` and `Recall` ignore the mask and count the padded steps."""
    mask = _masks("post")
    inputs = _inputs(mask)
    labels = (np.random.default_rng(6).random((*mask.shape, 1)) < 0.5).astype("float32")
    labels[~mask] = 0.0
    model = _regression(kind, metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
    squared, _ = _errors(model, inputs, mask, labels)
    result = model.evaluate(inputs, labels, verbose=0, return_dict=True)
    np.testing.assert_allclose(result["rmse"], np.sqrt(squared.mean()), rtol=1e-5)
    assert not np.isclose(result["rmse"], np.sqrt(squared[mask].mean()), rtol=1e-3)
    keras.utils.set_random_seed(0)
    values = keras.Input((None, FEATURES))
    sequence = shapes.make_layer(kind, UNITS, return_sequences=True)(
        keras.layers.Masking(0.0)(values)
    )
    classifier = keras.Model(values, keras.layers.Dense(1, activation="sigmoid")(sequence))
    metrics = [keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")]
    classifier.compile(loss="binary_crossentropy", metrics=metrics)
    result = classifier.evaluate(inputs, labels, verbose=0, return_dict=True)
    predicted = keras.ops.convert_to_numpy(classifier(inputs)) > 0.5
    actual = labels.astype(bool)
    for steps in (np.ones_like(mask), mask):  # every step, then valid steps only
        true_positives = (predicted & actual)[steps].sum()
        precision = true_positives / max(predicted[steps].sum(), 1)
        recall = true_positives / max(actual[steps].sum(), 1)
        if steps is mask:
            assert not (np.isclose(result["precision"], precision) and
                        np.isclose(result["recall"], recall))  # fmt: skip
        else:
            np.testing.assert_allclose(result["precision"], precision, rtol=1e-5)
            np.testing.assert_allclose(result["recall"], recall, rtol=1e-5)


@stated_in(CH14)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_a_compiled_loss_function_is_masked_if_it_returns_per_step_values(padding):
    """A function given to `compile` that returns one value per step is masked like a Keras `Loss`; one that returns a single number computed over every step is not."""
    mask = _masks(padding)
    inputs, targets = _inputs(mask), _targets(mask)

    def per_step(y_true, y_pred):  # (batch, time)
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    def over_time(y_true, y_pred):  # one number for the batch
        return keras.ops.mean(keras.ops.square(y_true - y_pred))

    squared = None
    for function, masked in ((per_step, True), (over_time, False)):
        model = _regression("LSTM", loss=function)
        if squared is None:
            squared, _ = _errors(model, inputs, mask, targets)
        loss = model.evaluate(inputs, targets, batch_size=len(mask), verbose=0)
        expected = squared[mask].mean() if masked else squared.mean()
        np.testing.assert_allclose(loss, expected, rtol=1e-5)


@stated_in(CH14)
def test_class_weight_on_a_many_to_many_output_weights_rows_by_their_argmax():
    """On a many-to-many output Keras turns `class_weight` into one weight per row (from the argmax over each row's targets), which then meets the trap above."""
    classes = size = TIME  # as many rows as steps: no error; every step index is a class
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(size, TIME, FEATURES)).astype("float32")
    labels = rng.integers(0, classes, size=(size, TIME))  # (batch, time) class ids
    class_weight = {c: float(c + 1) for c in range(classes)}
    keras.utils.set_random_seed(0)
    values = keras.Input((TIME, FEATURES))
    sequence = keras.layers.LSTM(UNITS, return_sequences=True)(values)
    model = keras.Model(values, keras.layers.Dense(classes, activation="softmax")(sequence))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    probabilities = keras.ops.convert_to_numpy(model(inputs))  # (batch, time, classes)
    losses = -np.log(np.take_along_axis(probabilities, labels[..., None], -1)[..., 0])
    history = model.fit(
        inputs, labels, class_weight=class_weight, shuffle=False, batch_size=size, verbose=0
    )
    weights = np.vectorize(class_weight.get)
    row_weights = weights(labels.argmax(axis=1))  # (batch,): a step index read as a class
    silently = (losses * row_weights[np.newaxis, :]).mean()  # then lined up with time
    intended = (losses * weights(labels)).mean()  # one weight per step, by its class
    np.testing.assert_allclose(history.history["loss"][0], silently, rtol=1e-5)
    assert not np.isclose(history.history["loss"][0], intended, rtol=1e-3)


@stated_in(CH14)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_size", [1, 2])
def test_over_several_batches(kind, batch_size):
    """Over several batches, the loss that `evaluate` reports is the mean of the per-batch losses weighted by rows, while a mean-type metric is the mean over every valid step."""
    mask = _masks("post")
    inputs, targets = _inputs(mask), _targets(mask)
    model = _regression(kind, metrics=["mse"])
    squared, _ = _errors(model, inputs, mask, targets)
    result = model.evaluate(inputs, targets, batch_size=batch_size, verbose=0, return_dict=True)
    starts = range(0, len(mask), batch_size)
    per_batch = [squared[s : s + batch_size][mask[s : s + batch_size]].mean() for s in starts]
    rows = [len(mask[s : s + batch_size]) for s in starts]
    np.testing.assert_allclose(result["loss"], np.average(per_batch, weights=rows), rtol=1e-5)
    np.testing.assert_allclose(result["mse"], squared[mask].mean(), rtol=1e-5)
    assert not np.isclose(result["loss"], result["mse"], rtol=1e-3)  # the two differ here


@stated_in(CH14)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_step_weights_with_a_mask(kind, padding):
    """Keras multiplies a (batch, time) `sample_weight` by the mask and divides the weighted sum by the number of valid steps, not by the sum of the weights."""
    mask = _masks(padding)
    inputs, targets = _inputs(mask), _targets(mask)
    weights = np.random.default_rng(2).uniform(0.5, 3.0, size=mask.shape).astype("float32")
    model = _regression(kind, metrics=["mse"], weighted_metrics=["mae"])
    squared, absolute = _errors(model, inputs, mask, targets)
    result = model.evaluate(inputs, targets, sample_weight=weights, verbose=0, return_dict=True)
    valid_weights = weights * mask
    np.testing.assert_allclose(
        result["loss"], (squared * valid_weights).sum() / mask.sum(), rtol=1e-5
    )
    assert not np.isclose(result["loss"], (squared * valid_weights).sum() / valid_weights.sum())
    np.testing.assert_allclose(result["mse"], squared[mask].mean(), rtol=1e-5)  # unweighted
    weighted_mae = (absolute * valid_weights).sum() / valid_weights.sum()
    np.testing.assert_allclose(result["mae"], weighted_mae, rtol=1e-5)  # weighted_metrics


@stated_in(CH14, "book/misconceptions.md")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["evaluate", "fit"])
def test_row_weights_on_a_many_to_many_output(kind, method):
    """On a many-to-many output, a (batch,) `sample_weight` is lined up with the time axis: an error when a batch has a different number of rows and steps, and one weight per step when they are equal."""
    import tensorflow as tf

    mask = _masks("post")  # 3 rows, 5 steps
    model = _regression(kind)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        getattr(model, method)(
            _inputs(mask), _targets(mask), sample_weight=np.ones(3, "float32"), verbose=0
        )
    square = np.ones((TIME, TIME), bool)  # as many rows as steps
    square[1, 3:] = square[2, 2:] = False
    inputs, targets = _inputs(square), _targets(square)
    weights = np.arange(1.0, TIME + 1, dtype="float32")  # (batch,) = (time,)
    model = _regression(kind)
    squared, _ = _errors(model, inputs, square, targets)  # before any training step
    if method == "evaluate":
        reported = model.evaluate(inputs, targets, sample_weight=weights, verbose=0)
    else:
        model.optimizer.learning_rate.assign(0.0)  # the loss of the weights it started with
        history = model.fit(inputs, targets, sample_weight=weights, shuffle=False, verbose=0)
        reported = history.history["loss"][0]  # (shuffled, the rows' weights go to other steps)
    per_step = (squared * weights[np.newaxis, :] * square).sum() / square.sum()
    per_row = (squared * weights[:, np.newaxis] * square).sum() / square.sum()
    np.testing.assert_allclose(reported, per_step, rtol=1e-5)
    assert not np.isclose(reported, per_row, rtol=1e-3)


@stated_in(CH14)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_the_mask_as_sample_weight_is_not_a_mask(kind, padding):
    """Passing the mask as `sample_weight` to a model whose output carries no mask divides the valid steps' loss by every step, padded ones included."""
    mask = _masks(padding)
    inputs, targets = _inputs(mask), _targets(mask)
    model = _regression(kind, source="none")
    squared, _ = _errors(model, inputs, mask, targets)
    loss = model.evaluate(inputs, targets, sample_weight=mask.astype("float32"), verbose=0)
    np.testing.assert_allclose(loss, squared[mask].sum() / mask.size, rtol=1e-5)


@stated_in(CH14)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["post", "pre", "gap"])
def test_the_gradient_at_padded_steps_is_zero(kind, padding):
    """With the mask, the gradient of the loss is exactly zero at every padded step, with respect to the predictions and to the inputs."""
    import tensorflow as tf

    mask = _masks(padding)
    inputs, targets = tf.constant(_inputs(mask)), _targets(mask)
    for source, zero_at_padding in (("Masking", True), ("none", False)):
        model = _regression(kind, source=source)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(inputs)
            predictions = model(inputs)
            tape.watch(predictions)
            loss = keras.losses.MeanSquaredError()(targets, predictions)
        to_predictions = tape.gradient(loss, predictions).numpy()[..., 0]
        to_inputs = tape.gradient(loss, inputs).numpy()
        padded_gradients = np.abs(to_predictions[~mask]).max(), np.abs(to_inputs[~mask]).max()
        if zero_at_padding:
            assert padded_gradients == (0.0, 0.0)
        else:  # without the mask the padded steps count: the check can fail
            assert max(padded_gradients) > 0
        assert np.abs(to_predictions[mask]).min() > 0


def _pad_time(array: np.ndarray, length: int, padding: str) -> np.ndarray:
    extra = [(0, 0)] * array.ndim
    extra[1] = (0, length - array.shape[1]) if padding == "post" else (length - array.shape[1], 0)
    return np.pad(array, extra)


@stated_in(CH14)
@pytest.mark.parametrize(
    "kind, padding, optimizer, steps",
    [*[(kind, padding, "adam", "eager") for kind in KINDS for padding in ("post", "pre")],
     ("LSTM", "post", "sgd", "eager"), ("GRU", "post", "adam", "train_on_batch")],
)  # fmt: skip
def test_padding_length_does_not_change_training(kind, padding, optimizer, steps):
    """With a mask, training on batches padded to their own length gives the same weights as training on batches padded to the longest sequence of all."""
    import tensorflow as tf

    rng = np.random.default_rng(4)
    batches = []
    for lengths in ([4, 2, 3], [7, 5, 6], [2, 2, 1]):
        batch = data.padded_batch(lengths, FEATURES, padding=padding, seed=int(rng.integers(99)))
        batches.append((batch.inputs, _targets(batch.mask)))
    longest = max(inputs.shape[1] for inputs, _ in batches)
    results = {}
    # Keras' traced step is retraced for every new length and model: the unmasked models,
    # which show that the check can fail, are trained in the eager cases only.
    sources = ("Masking",) if steps == "train_on_batch" else ("Masking", "none")
    for source in sources:
        for name, padded in (
            ("own", batches),
            ("longest", [(_pad_time(x, longest, padding), _pad_time(y, longest, padding))
                         for x, y in batches]),
        ):  # fmt: skip
            model = _regression(kind, source=source)
            model.compile(optimizer=optimizer, loss="mse")
            for inputs, targets in padded:  # one epoch: three steps
                if steps == "train_on_batch":  # Keras' own (traced) training step
                    model.train_on_batch(inputs, targets)
                    continue
                with tf.GradientTape() as tape:  # the same step, eagerly
                    loss = keras.losses.MeanSquaredError()(targets, model(inputs))
                gradients = tape.gradient(loss, model.trainable_weights)
                model.optimizer.apply(gradients, model.trainable_weights)
            results[source, name] = model.get_weights()
    for a, b in zip(results["Masking", "own"], results["Masking", "longest"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    if "none" in sources:
        assert not all(  # without the mask the extra padding changes the training
            np.allclose(a, b, atol=1e-5)
            for a, b in zip(results["none", "own"], results["none", "longest"], strict=True)
        )


@stated_in(CH15)
@pytest.mark.parametrize("features", [1, 3])
def test_masking_zero_masks_real_zeros(features):
    """`Masking(0.0)` marks a valid step as padding when all its features are exactly 0."""
    inputs = np.ones((2, TIME, features), "float32")
    inputs[0, 2] = 0.0  # a real step whose features are all 0
    inputs[1, 2, 0] = 0.0  # a real step with one feature 0 (if there are several)
    mask = keras.ops.convert_to_numpy(keras.layers.Masking(0.0).compute_mask(inputs))
    expected = np.ones((2, TIME), bool)
    expected[0, 2] = False
    expected[1, 2] = features > 1  # one feature alone being 0 is not enough
    np.testing.assert_array_equal(mask, expected)
