"""What a layer does with a Keras mask that reaches it inside a functional model.

Keras attaches a mask to a tensor (``Embedding(mask_zero=True)``, ``Masking``) and
hands it to the next layer. That layer may read it (its output changes), pass a mask
on to the layers after it, or drop it with a ``UserWarning``; Keras has no function
that says which. :func:`mask_behaviour` finds out by running the layer, and returns a
:class:`MaskBehaviour`.

Example::

    >>> inputs = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], dtype=bool)
    >>> mask_behaviour(keras.layers.Dense(4), inputs, mask)
    MaskBehaviour(layer='Dense', uses_mask=False, passes_on=True, warning=None)
    >>> mask_behaviour(keras.layers.LSTM(4), inputs, mask)
    MaskBehaviour(layer='LSTM', uses_mask=True, passes_on=False, warning=None)
    >>> print(mask_behaviour(keras.layers.Flatten(), inputs, mask).warning)
    Layer 'flatten' (of type Flatten) was passed an input with a mask attached to it. \
However, this layer does not support masking and will therefore destroy the mask \
information. Downstream layers will not see the mask.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from rnn_lib import _checks

__all__ = ["MaskBehaviour", "mask_behaviour"]


class MaskBehaviour(NamedTuple):
    """What one layer does with the mask on its input (see :func:`mask_behaviour`)."""

    layer: str
    """The layer's class name; a wrapper names what it wraps: ``"TimeDistributed(Dense)"``."""
    uses_mask: bool
    """Whether the layer's output changes when only the mask changes."""
    passes_on: bool
    """Whether the layer's output carries a mask for the layers after it."""
    warning: str | None
    """The text of the warning Keras gives when the mask reaches the layer, or None."""


class _AttachMask(keras.layers.Layer):
    """Take ``[inputs, mask]``, return a copy of ``inputs`` with ``mask`` attached as its mask.

    What ``Embedding(mask_zero=True)`` or ``Masking`` do, with any mask and without
    changing the values (``Masking`` zeros the masked steps).
    """

    def call(self, pair: list[Any]) -> Any:
        return ops.copy(pair[0])

    def compute_mask(self, pair: list[Any], mask: Any = None) -> Any:
        return ops.cast(pair[1], "bool")


def _default_name(layer: keras.layers.Layer) -> str:
    """The name Keras gives the first layer of this class, e.g. ``global_average_pooling1d``.

    The same conversion as Keras' own (``keras.src.utils.naming.to_snake_case``).
    """
    name = re.sub(r"\W+", "", type(layer).__name__)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _describe(layer: keras.layers.Layer) -> str:
    """The class name, with the wrapped layer for a wrapper: ``Bidirectional(LSTM)``."""
    name = type(layer).__name__
    if isinstance(layer, keras.layers.Bidirectional):
        return f"{name}({_describe(layer.forward_layer)})"
    if isinstance(layer, keras.layers.Wrapper):
        return f"{name}({_describe(layer.layer)})"
    return name


def _rebuild(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A new, unbuilt layer with ``layer``'s config and Keras' default name for its class."""
    name = _default_name(layer)
    if isinstance(layer, keras.layers.Lambda):
        # Its config holds the function as bytecode, which from_config only loads with
        # safe_mode=False; the function object itself is at hand.
        return keras.layers.Lambda(
            layer.function,
            output_shape=layer._output_shape,
            mask=layer.mask,
            arguments=dict(layer.arguments),
            name=name,
        )
    try:
        config = layer.get_config()
        config["name"] = name
        return type(layer).from_config(config)
    except Exception as error:
        raise ValueError(
            f"layer: expected a layer that type(layer).from_config(layer.get_config()) "
            f"rebuilds, got {type(layer).__name__} which raised "
            f"{type(error).__name__}: {error}"
        ) from error


def _check_inputs(inputs: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    array = _checks.as_rank("inputs", inputs, 3, "(batch, time, features)")
    _checks.nonempty("inputs", array.shape, "(batch, time, features)")
    if array.dtype == np.bool_ or np.iscomplexobj(array):
        raise TypeError(f"inputs: expected a real numeric tensor, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"inputs: expected finite values, got {bad} NaN or infinite values")
    steps = _checks.as_rank("mask", mask, 2, "(batch, time)")
    if steps.dtype != np.bool_:
        raise TypeError(f"mask: expected a bool tensor, got dtype {steps.dtype}")
    if steps.shape != array.shape[:2]:
        raise ValueError(
            f"mask: expected shape (batch, time) = {array.shape[:2]} to match inputs "
            f"{array.shape}, got {steps.shape}"
        )
    if steps.all():
        raise ValueError(
            "mask: expected at least one False (masked) step, got a mask that is all True"
        )
    return array.astype("float32"), steps


def _variants(inputs: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """``inputs``, then with every masked value pushed above, then below, every other value.

    A layer that ignores the mask gives the same output for both masks whatever the
    values; one that reads it may hide it for some values (``GlobalMaxPooling1D`` if the
    maximum sits at a valid step, a sum if the masked values are zeros). The shifts
    make the masked steps stand out.
    """
    shift = 1.0 + 2.0 * float(np.max(np.abs(inputs)))
    masked = (~mask)[..., np.newaxis].astype("float32")  # (batch, time, 1)
    return [inputs, inputs + shift * masked, inputs - shift * masked]


def _flat(outputs: Any) -> list[Any]:
    return list(keras.tree.flatten(outputs))


def _carries_mask(outputs: Any) -> bool:
    return any(getattr(tensor, "_keras_mask", None) is not None for tensor in _flat(outputs))


def mask_behaviour(
    layer: keras.layers.Layer, inputs: Any, mask: Any, *, training: bool = False
) -> MaskBehaviour:
    """Run ``layer`` after a layer that attaches ``mask``, and report what it does with it.

    ``inputs`` is ``(batch, time, features)``; ``mask`` is ``(batch, time)`` bool, True
    for a valid step, with at least one False. The layer is called inside a functional
    model ``[inputs, mask] -> attach mask -> layer``, where the first layer returns
    ``inputs`` unchanged with ``mask`` attached as its Keras mask, as
    ``Embedding(mask_zero=True)`` or ``Masking`` would (without ``Masking``'s zeroing of
    the masked steps). A ``MultiHeadAttention`` is called as self-attention,
    ``layer(x, x)``; every other layer gets the one tensor.

    The layer itself is not called: a new one is built from its config,
    ``type(layer).from_config(layer.get_config())`` (a wrapper rebuilds what it wraps
    the same way; a ``Lambda`` is rebuilt from its function, output shape, mask and
    arguments), so a layer already built for other shapes can be passed, and its
    weights and statistics are left alone. The new layer has fresh weights and Keras'
    default name for its class (``flatten``, ``global_average_pooling1d``), the name that
    appears in ``warning``.

    Returns a :class:`MaskBehaviour`:

    - ``uses_mask``: the model's output (any of them, if the layer returns several)
      differs (not ``np.allclose``) when it runs with ``mask`` rather than an all-True
      mask, on the same inputs and weights. This is tried on ``inputs`` as given and on
      two copies whose masked steps are shifted above and below every other value, so
      that zeros at the padding or a maximum at a valid step cannot hide that the mask
      is read (a layer that needs its inputs in a range, such as ``Embedding``, is not
      for this function: its own error is raised). Before every run the model's
      variables (weights, ``BatchNormalization`` statistics, the seed state of
      ``Dropout``) are put back, so both runs draw the same random numbers; a layer
      whose output still changes between two identical runs raises RuntimeError rather
      than being called mask-using.
    - ``passes_on``: the layer's output in the model carries a Keras mask (for several
      outputs: at least one does), both when the model is built and when it runs.
    - ``warning``: the text of every distinct warning that mentions a mask, raised while
      the model is built and run (several joined by newlines), verbatim; None if none.

    ``training`` is passed to every run of the model: ``Dropout`` then drops and
    ``BatchNormalization`` normalizes with the statistics of the batch (which, in
    Keras 3, skip the masked steps).

    Raises:
        TypeError: ``layer`` is not a Keras layer; ``inputs`` or ``mask`` is not an
            array or tensor, ``inputs`` is not real numeric or ``mask`` not bool;
            ``training`` is not a bool.
        ValueError: ``inputs`` is not rank 3 or has an empty axis or a NaN or infinite
            value; ``mask`` is not rank 2, not ``(batch, time)`` of ``inputs`` or all
            True; ``layer`` cannot be rebuilt from its config.
        RuntimeError: the layer's output is not the same over two identical runs, or
            whether its output carries a mask differs between building and running.
    """
    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(f"layer: expected a Keras layer, got {_checks.type_name(layer)}")
    inputs, mask = _check_inputs(inputs, mask)
    training = _checks.boolean("training", training)
    fresh = _rebuild(layer)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = keras.Input(shape=inputs.shape[1:], name="mask_behaviour_inputs")
        steps = keras.Input(shape=mask.shape[1:], dtype="bool", name="mask_behaviour_mask")
        attached = _AttachMask(name="mask_behaviour_attach")([values, steps])
        if isinstance(fresh, keras.layers.MultiHeadAttention):
            outputs = fresh(attached, attached)
        else:
            outputs = fresh(attached)
        model = keras.Model([values, steps], outputs)
        built_passes_on = _carries_mask(outputs)

        saved = [np.array(variable.numpy()) for variable in model.variables]

        def run(values: np.ndarray, steps: np.ndarray) -> tuple[list[np.ndarray], bool]:
            for variable, value in zip(model.variables, saved, strict=True):
                variable.assign(value)
            result = model([values, steps], training=training)
            return [np.asarray(tensor) for tensor in _flat(result)], _carries_mask(result)

        all_valid = np.ones_like(mask)
        uses_mask = False
        for variant in _variants(inputs, mask):
            masked, run_passes_on = run(variant, mask)
            unmasked, _ = run(variant, all_valid)
            again, _ = run(variant, all_valid)
            if not all(np.allclose(a, b) for a, b in zip(unmasked, again, strict=True)):
                raise RuntimeError(
                    f"layer: expected the same output from two identical runs, but "
                    f"{_describe(layer)} gave different outputs (randomness not drawn "
                    f"from the layer's seed state?); cannot tell whether it uses the mask"
                )
            if not all(np.allclose(a, b) for a, b in zip(masked, unmasked, strict=True)):
                uses_mask = True
            if run_passes_on != built_passes_on:
                raise RuntimeError(
                    f"layer: {_describe(layer)}'s output carries a mask when the model is "
                    f"{'built' if built_passes_on else 'run'} but not when it is "
                    f"{'run' if built_passes_on else 'built'}"
                )

    texts = list(dict.fromkeys(str(w.message) for w in caught if "mask" in str(w.message)))
    return MaskBehaviour(
        layer=_describe(layer),
        uses_mask=uses_mask,
        passes_on=built_passes_on,
        warning="\n".join(texts) if texts else None,
    )
