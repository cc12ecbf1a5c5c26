"""The shape explorer, run as `python -m rnn_lib ...` runs it: through rnn_lib/__main__.py.

The module runs in this process (runpy), which saves a TensorFlow import per case. That a
fresh process importing rnn_lib writes nothing to stderr is tested in test_runtime.py.
"""

import runpy
import sys
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_lib import cli, shapes


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*arguments: str, capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Result:
    """``python -m rnn_lib ARGUMENTS``: exit status and what reached file descriptors 1 and 2."""
    monkeypatch.setattr(sys, "argv", ["python -m rnn_lib", *arguments])
    capfd.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("rnn_lib", run_name="__main__", alter_sys=True)
    captured = capfd.readouterr()
    return Result(exit_info.value.code, captured.out, captured.err)


@pytest.fixture
def python_m_rnn_lib(capfd, monkeypatch):
    return lambda *arguments: run(*arguments, capfd=capfd, monkeypatch=monkeypatch)


def test_lstm_with_everything(python_m_rnn_lib):
    result = python_m_rnn_lib("LSTM", "--units", "4", "--return-sequences", "--return-state")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "LSTM(4, return_sequences=True, return_state=True)",
        "returns a tuple of 3:",
        "  sequence  (3, 5, 4)",
        "  h         (3, 4)",
        "  c         (3, 4)",
        "parameters: 112",
    ]


def test_bidirectional_gru_with_merge_mode_none_and_input_shape(python_m_rnn_lib):
    result = python_m_rnn_lib(
        "GRU", "--units", "6", "--merge-mode", "none", "--input-shape", "2", "7", "3"
    )
    assert result.returncode == 0, result.stderr
    assert "  forward_output   (2, 6)" in result.stdout
    assert "  backward_output  (2, 6)" in result.stdout


def test_conv_lstm_2d_with_units_as_filters(python_m_rnn_lib):
    result = python_m_rnn_lib(
        "ConvLSTM2D", "--units", "4", "--input-shape", "3", "5", "6", "7", "2", "--return-state"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # padding "same" (the default here) keeps rows 6 and cols 7; 4 filters
    assert result.stdout.splitlines() == [
        "ConvLSTM2D(4, kernel_size=(3, 3), padding='same', return_sequences=False,",
        "           return_state=True)",
        "returns a tuple of 3:",
        "  output  (3, 6, 7, 4)",
        "  h       (3, 6, 7, 4)",
        "  c       (3, 6, 7, 4)",
        "parameters: 880",
    ]


def test_conv_lstm_filters_kernel_size_padding_and_merge_mode(python_m_rnn_lib):
    result = python_m_rnn_lib(
        "ConvLSTM1D", "--filters", "6", "--kernel-size", "2", "--padding", "valid",
        "--merge-mode", "concat", "--return-sequences", "--input-shape", "3", "4", "9", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # valid: rows 9 - (2 - 1) = 8; concat joins the directions on the channel axis: 2 * 6
    assert result.stdout.splitlines() == [
        "Bidirectional(ConvLSTM1D(6, kernel_size=(2,), padding='valid'),",
        "              merge_mode='concat', return_sequences=True, return_state=False)",
        "returns one tensor:",
        "  sequence  (3, 4, 8, 12)",
        "parameters: 816",
    ]


def test_conv_lstm_default_input_shape(capsys):
    assert cli.main(["ConvLSTM1D"]) == 0
    assert capsys.readouterr().out.splitlines()[-2] == "  output  (3, 8, 4)"
    assert cli.DEFAULT_INPUT_SHAPES["ConvLSTM1D"] == (3, 5, 8, 2)


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--units", "--filters", "--return-sequences", "--return-state",
                   "--merge-mode", "--kernel-size", "--padding", "--input-shape", "--reference",
                   "SimpleRNN,GRU,LSTM,ConvLSTM1D,ConvLSTM2D,ConvLSTM3D"):  # fmt: skip
        assert option in shown, option


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["Transformer"], "argument layer: invalid choice: 'Transformer'"),
        (["GRU", "--units", "0"], "--units: expected a positive int, got 0"),
        (["GRU", "--units", "four"], "argument --units: invalid int value: 'four'"),
        (["LSTM", "--merge-mode", "max"], "argument --merge-mode: invalid choice: 'max'"),
        (["LSTM", "--input-shape", "3", "5"], "argument --input-shape: expected 3 arguments"),
        (["LSTM", "--input-shape", "3", "0", "2"], "--input-shape: expected TIME >= 1, got 0"),
        ([], "the layer type is required"),
        (["ConvLSTM2D", "--input-shape", "3", "5", "2"],
         "argument --input-shape: expected 5 arguments (BATCH TIME ROWS COLS CHANNELS) for ConvLSTM2D, got 3"),
        (["ConvLSTM1D", "--input-shape", "3", "5", "6", "7", "2"],
         "argument --input-shape: expected 4 arguments (BATCH TIME ROWS CHANNELS) for ConvLSTM1D, got 5"),
        (["LSTM", "--input-shape", "3", "5", "6", "2"],
         "argument --input-shape: expected 3 arguments (BATCH TIME FEATURES) for LSTM, got 4"),
        (["ConvLSTM3D", "--input-shape", "3", "5", "4", "0", "4", "2"],
         "--input-shape: expected ROWS >= 1, got 0"),
        (["ConvLSTM2D", "--padding", "valid", "--input-shape", "3", "5", "6", "2", "2"],
         "--input-shape: expected COLS >= --kernel-size 3 with --padding valid, got 2"),
        (["ConvLSTM1D", "--padding", "valid", "--kernel-size", "5", "--input-shape", "3", "5", "4", "2"],
         "--input-shape: expected ROWS >= --kernel-size 5 with --padding valid, got 4"),
        (["ConvLSTM2D", "--kernel-size", "0"], "--kernel-size: expected a positive int, got 0"),
        (["ConvLSTM2D", "--padding", "causal"], "argument --padding: invalid choice: 'causal'"),
        (["ConvLSTM2D", "--filters", "0"], "--filters: expected a positive int, got 0"),
        (["ConvLSTM2D", "--units", "4", "--filters", "6"],
         "--filters: expected --units or --filters (the same thing), got both (--units 4, --filters 6)"),
        (["LSTM", "--filters", "4"],
         "--filters: expected only with ConvLSTM1D, ConvLSTM2D or ConvLSTM3D, got it with LSTM"),
        (["GRU", "--kernel-size", "3"],
         "--kernel-size: expected only with ConvLSTM1D, ConvLSTM2D or ConvLSTM3D, got it with GRU"),
        (["SimpleRNN", "--padding", "same"],
         "--padding: expected only with ConvLSTM1D, ConvLSTM2D or ConvLSTM3D, got it with SimpleRNN"),
    ],
)  # fmt: skip
def test_bad_arguments_get_one_line_and_status_2(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(arguments)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err  # no usage block, no traceback
    assert lines[0].startswith("python -m rnn_lib: error: ") and message in lines[0]


def test_a_bad_argument_from_the_command_line_is_one_line_and_status_2(python_m_rnn_lib):
    result = python_m_rnn_lib("GRU", "--units", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "python -m rnn_lib: error: --units: expected a positive int, got 0 (see --help)"
    ]


# ----- any size: shapes traced on a symbolic input, layers too big to build refused -----


def test_a_huge_input_is_answered_without_allocating_it(python_m_rnn_lib):
    """7 PiB of input (the size a reader tried): traced, not allocated."""
    result = python_m_rnn_lib(
        "LSTM",
        "--return-sequences",
        "--return-state",
        "--input-shape",
        "100000",
        "100000",
        "100000",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-4:] == [
        "  sequence  (100000, 100000, 4)",
        "  h         (100000, 4)",
        "  c         (100000, 4)",
        f"parameters: {4 * 4 * (100_000 + 4 + 1):,}",  # 4 gates x 4 units x (features + units + 1)
    ]


def test_a_layer_too_big_to_build_is_one_line_and_status_2(python_m_rnn_lib):
    """The units a reader tried: an 18-line ResourceExhaustedError before, one line now."""
    units = 99999999999
    weights = 4 * units * (2 + units + 1)  # an LSTM's, on the default 2 features
    result = python_m_rnn_lib("LSTM", "--units", str(units))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "python -m rnn_lib: error: --units: expected a layer of at most 250,000,000 weights "
        f"(it is built to ask Keras), got {weights:,} (1.49e+14 GiB) for --units {units} with "
        "FEATURES 2 (see --help)"
    ]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    kind=st.sampled_from(["SimpleRNN", "GRU", "LSTM", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]),
    units=st.integers(1, 12),
    channels=st.integers(1, 6),
    kernel_size=st.integers(1, 3),
    bidirectional=st.booleans(),
)
def test_the_weight_count_is_keras_count_params(kind, units, channels, kernel_size, bidirectional):
    conv = kind.startswith("ConvLSTM")
    shape = (2, 3, *([4] * (int(kind[-2]) if conv else 0)), channels)
    options = {"kernel_size": kernel_size} if conv else {}
    if bidirectional:
        layer = shapes.make_bidirectional(kind, units, "concat", **options)
    else:
        layer = shapes.make_layer(kind, units, **options)
    layer.build(shape)
    expected = cli.weight_count(kind, units, shape, kernel_size if conv else None)
    assert layer.count_params() == expected * (2 if bidirectional else 1)


# capsys is read (and so emptied) at every example.
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kind=st.sampled_from(["SimpleRNN", "GRU", "LSTM"]),
    batch=st.integers(1, 10**15),
    time=st.integers(1, 10**15),
    features=st.integers(1, 10**4),
    units=st.one_of(st.integers(1, 64), st.integers(10**5, 10**12)),
)
def test_any_size_gets_its_shapes_or_one_line(kind, batch, time, features, units, capsys):
    """Sizes far beyond memory: the shapes Keras traces, or a one-line refusal (never a
    traceback), decided by the layer's weight count."""
    arguments = [kind, "--units", str(units), "--return-state", "--input-shape"]
    try:
        status = cli.main([*arguments, str(batch), str(time), str(features)])
    except SystemExit as exit_info:
        status = exit_info.code
    captured = capsys.readouterr()
    if cli.weight_count(kind, units, (batch, time, features)) <= cli.MAX_WEIGHTS:
        assert status == 0, captured.err
        *_, h, c, parameters = captured.out.splitlines()
        assert [h.split(maxsplit=1)[1], c.split(maxsplit=1)[1]] == [f"({batch}, {units})"] * 2
        assert parameters == f"parameters: {cli.weight_count(kind, units, (1, 1, features)):,}"
    else:
        assert status == 2 and len(captured.err.splitlines()) == 1, captured.err
        assert "expected a layer of at most 250,000,000 weights" in captured.err
