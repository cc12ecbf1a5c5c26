"""rnn_lib/explorer.py: the in-page shape explorer's rules, read off Keras and checked against it.

The page's script (book/_static/explorer.js) is checked in a browser by tests/site.
"""

import copy
import difflib

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_lib import cli, explorer, shapes
from tests.conftest import ROOT

DATA_FILE = ROOT / "book" / "_static" / "explorer-data.js"
KINDS = [*shapes.LAYER_KINDS, *shapes.CONV_LSTM_KINDS]


@pytest.fixture(scope="module")
def data():
    return explorer.explorer_data()


def test_the_data_file_is_what_keras_gives_now(data):
    """book/_static/explorer-data.js must be exactly what the code produces now."""
    committed, generated = DATA_FILE.read_text(), explorer.data_script(data)
    difference = "\n".join(
        difflib.unified_diff(committed.splitlines(), generated.splitlines(), lineterm="", n=0)
    )
    assert committed == generated, f"run `make explorer`; differences:\n{difference[:3000]}"


def test_the_data_covers_every_configuration(data):
    assert data["kinds"] == KINDS
    for kind in KINDS:
        paddings = 2 if kind in shapes.CONV_LSTM_KINDS else 1
        # return_sequences x return_state x (no Bidirectional + 5 merge modes) x padding
        assert len(data["layers"][kind]["returns"]) == 2 * 2 * 6 * paddings


def _layer(kind, units, sequences, state, merge, kernel_size, padding):
    options = {"return_sequences": sequences, "return_state": state}
    if kind in shapes.CONV_LSTM_KINDS:
        options.update(kernel_size=kernel_size, padding=padding)
    if merge == "no Bidirectional":
        return shapes.make_layer(kind, units, **options)
    return shapes.make_bidirectional(kind, units, None if merge == "None" else merge, **options)


def _input_shape(kind, batch, time, spatial, features):
    return (batch, time, *spatial[: len(shapes.input_axes(kind)) - 3], features)


def assert_explains_like_keras(data, kind, units, input_shape, sequences, state, merge, kernel,
                               padding):  # fmt: skip
    """explain() against Keras: the call traced on a symbolic input, and count_params()."""
    explained = explorer.explain(
        data,
        kind,
        units,
        input_shape,
        return_sequences=sequences,
        return_state=state,
        merge_mode=merge,
        kernel_size=kernel,
        padding=padding,
    )
    with keras.StatelessScope():  # the weights' shapes are needed, not their values
        layer = _layer(kind, units, sequences, state, merge, kernel, padding)
        named = shapes.symbolic_named(layer, input_shape)
        assert explained.container == named.container
        assert explained.shapes == named.shapes
        assert explained.parameters == layer.count_params()
        assert explained.description == shapes.describe_layer(layer)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    kind=st.sampled_from(KINDS),
    units=st.one_of(st.integers(1, 9), st.integers(100, 300)),
    batch=st.one_of(st.integers(1, 9), st.integers(10**6, 10**15)),
    time=st.one_of(st.integers(1, 9), st.integers(10**6, 10**15)),
    spatial=st.lists(st.integers(3, 40), min_size=3, max_size=3),
    features=st.integers(1, 6),
    sequences=st.booleans(),
    state=st.booleans(),
    merge=st.sampled_from(explorer.MERGE_CHOICES),
    kernel=st.integers(1, 3),
    padding=st.sampled_from(["same", "valid"]),
)
def test_the_rules_give_what_keras_gives_for_random_configurations(
    data, kind, units, batch, time, spatial, features, sequences, state, merge, kernel, padding
):
    shape = _input_shape(kind, batch, time, spatial, features)
    assert_explains_like_keras(data, kind, units, shape, sequences, state, merge, kernel, padding)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    kind=st.sampled_from(KINDS),
    units=st.integers(1, 10**12),
    features=st.integers(1, 10**6),
    kernel=st.integers(1, 9),
    merge=st.sampled_from(explorer.MERGE_CHOICES),
)
def test_parameter_counts_of_any_size_are_the_command_line_weight_count(
    data, kind, units, features, kernel, merge
):
    """Layers too big to build: the count the command line refuses them by, which
    test_cli.py checks against Keras' count_params()."""
    shape = _input_shape(kind, 3, 5, [kernel] * 3, features)
    explained = explorer.explain(data, kind, units, shape, merge_mode=merge, kernel_size=kernel)
    directions = 1 if merge == "no Bidirectional" else 2
    assert explained.parameters == directions * cli.weight_count(kind, units, shape, kernel)


def test_a_changed_rule_is_caught(data):
    """The check can fail: a planted rule (concat keeping units) disagrees with Keras, and the
    file written from it differs from the committed one."""
    altered = copy.deepcopy(data)
    _, returned = altered["layers"]["GRU"]["returns"]["1|1|concat|"]
    returned[0][1][-1] = ["units", 1, 0]
    with pytest.raises(AssertionError):
        assert_explains_like_keras(altered, "GRU", 4, (3, 5, 2), True, True, "concat", 3, "same")
    assert explorer.data_script(altered) != DATA_FILE.read_text()


@pytest.mark.parametrize(
    "arguments",
    [
        ["LSTM", "--units", "4", "--return-sequences", "--return-state"],
        ["GRU", "--units", "6", "--merge-mode", "none", "--input-shape", "2", "9", "3"],
        ["SimpleRNN", "--units", "3", "--return-state", "--merge-mode", "concat"],
        ["ConvLSTM1D", "--units", "2", "--padding", "valid", "--kernel-size", "2"],
        ["ConvLSTM3D", "--units", "5", "--return-state", "--merge-mode", "ave"],
    ],
)
def test_the_text_is_what_the_command_line_prints(data, arguments, capsys):
    explained = explorer.explain(data, **explorer.cli_configuration(arguments))
    assert cli.main(arguments) == 0
    assert str(explained) + "\n" == capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("Conv2D", 4, (3, 5, 2)), "kind: expected one of"),
        (("LSTM", 0, (3, 5, 2)), "units"),
        (("LSTM", 4, (3, 5)), "input_shape: expected 3 sizes >= 1 (batch, time, features)"),
        (("LSTM", 4, (3, 0, 2)), "input_shape: expected 3 sizes"),
        (("ConvLSTM1D", 4, (3, 5, 2, 2)), "expected every spatial size >= kernel_size 3"),
    ],
)
def test_explain_rejects_what_it_cannot_answer(data, arguments, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explorer.explain(data, *arguments, padding="valid")


def test_explain_rejects_an_unknown_merge_mode(data):
    with pytest.raises(ValueError, match="merge_mode: expected one of"):
        explorer.explain(data, "LSTM", 4, (3, 5, 2), merge_mode="max")
