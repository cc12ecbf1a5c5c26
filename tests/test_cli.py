"""The shape explorer, run as `python -m rnn_lib ...` runs it: through rnn_lib/__main__.py.

The module runs in this process (runpy), which saves a TensorFlow import per case. That a
fresh process importing rnn_lib writes nothing to stderr is tested in test_runtime.py.
"""

import runpy
import sys
from dataclasses import dataclass

import pytest

from rnn_lib import cli


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
    ]


def test_bidirectional_gru_with_merge_mode_none_and_input_shape(python_m_rnn_lib):
    result = python_m_rnn_lib(
        "GRU", "--units", "6", "--merge-mode", "none", "--input-shape", "2", "7", "3"
    )
    assert result.returncode == 0, result.stderr
    assert "  forward_output   (2, 6)" in result.stdout
    assert "  backward_output  (2, 6)" in result.stdout


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--units", "--return-sequences", "--return-state", "--merge-mode",
                   "--input-shape", "--reference", "SimpleRNN,GRU,LSTM"):  # fmt: skip
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
    ],
)
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
