"""rnn_lib.runtime: the quiet TensorFlow import, seeding and the versions cell."""

import logging
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from rnn_lib import runtime
from tests.conftest import ROOT

RUNTIME_FILE = str(ROOT / "rnn_lib" / "runtime.py")

# Lines captured from `import tensorflow` (full wheel, 2.21.0) on this CPU machine.
REAL_NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795424151.471430    1910 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "I0000 00:00:1795424151.470608    1910 port.cc:153] oneDNN custom operations are on.",
    "E0000 00:00:1795424155.773700    1910 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
]


@pytest.mark.parametrize("line", REAL_NOISE)
def test_known_startup_lines_are_noise(line):
    assert runtime.is_startup_noise(line)


@pytest.mark.parametrize(
    "line",
    [
        "Traceback (most recent call last):",
        "ImportError: libcudart.so.12: cannot open shared object file",
        "UserWarning: something a reader should see",
    ],
)
def test_other_lines_are_not_noise(line):
    assert not runtime.is_startup_noise(line)


def test_is_startup_noise_rejects_non_strings():
    with pytest.raises(TypeError, match="line: expected a str, got bytes"):
        runtime.is_startup_noise(b"I0000")


def _run(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in runtime.QUIET_ENVIRONMENT}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


@pytest.mark.slow
def test_import_rnn_lib_writes_nothing_to_stderr_although_tensorflow_makes_noise():
    """One fresh process: TensorFlow's import wrote log lines, and none of them reached stderr.

    The dropped lines are the proof that this measurement can fail: they are what a bare
    ``import tensorflow`` prints (this machine: the absl and cudart_stub lines).
    """
    result = _run(
        """
        import rnn_lib, keras, numpy as np
        from rnn_lib import runtime
        rnn_lib.setup_notebook(0)
        keras.layers.LSTM(4)(np.zeros((3, 5, 2), "float32"))
        print(len(runtime.startup_lines_dropped()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert int(result.stdout) > 0, "TensorFlow printed nothing: the check above proves nothing"


NOISE_LINE = "I0000 00:00:1.5 42 cudart_stub.cc:31] Could not find cuda drivers"


def _run_with_fake_tensorflow(tmp_path, fake: str, then: str, env_extra=None):
    """Load runtime.py alone, with ``fake`` as the `tensorflow` module; run ``then`` after."""
    (tmp_path / "tensorflow.py").write_text(fake)
    code = f"""
import importlib.util, os, sys
sys.path.insert(0, {str(tmp_path)!r})
spec = importlib.util.spec_from_file_location("runtime", {RUNTIME_FILE!r})
runtime = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runtime)
"""
    return _run(code + textwrap.dedent(then), env_extra)


def test_unknown_lines_captured_during_import_are_passed_on_and_noise_is_recorded(tmp_path):
    """A fake `tensorflow` writes a noise line, a blank line and a real line to fd 2."""
    fake = f"import os\nos.write(2, b'{NOISE_LINE}\\n\\na real problem\\n')\n"
    result = _run_with_fake_tensorflow(
        tmp_path,
        fake,
        """
        assert runtime.startup_lines_dropped() == ()
        module = runtime.import_tensorflow_quietly()
        print(module.__name__, runtime.startup_lines_dropped())
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tensorflow ('{NOISE_LINE}',)\n"
    assert result.stderr == "a real problem\n"


def test_user_environment_wins(tmp_path):
    result = _run_with_fake_tensorflow(
        tmp_path,
        "",
        """
        runtime.import_tensorflow_quietly()
        print(os.environ["TF_ENABLE_ONEDNN_OPTS"], os.environ["TF_CPP_MIN_LOG_LEVEL"])
        """,
        {"TF_ENABLE_ONEDNN_OPTS": "1"},
    )
    assert result.stdout == "1 3\n", result.stderr


def test_setup_notebook_makes_keras_weights_repeatable():
    import keras

    def first_kernel():
        runtime.setup_notebook(seed=7)
        layer = keras.layers.LSTM(4)
        layer.build((3, 5, 2))
        return layer.get_weights()[0]

    np.testing.assert_array_equal(first_kernel(), first_kernel())


def test_setup_notebook_sets_print_precision():
    runtime.setup_notebook(seed=0, precision=2)
    try:
        assert np.array2string(np.array([1 / 3])) == "[0.33]"
    finally:
        runtime.setup_notebook(seed=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seed": "0"}, TypeError, "seed: expected an int, got str"),
        ({"seed": True}, TypeError, "seed: expected an int, got bool"),
        ({"seed": -1}, ValueError, "seed: expected a non-negative int, got -1"),
        ({"precision": 2.0}, TypeError, "precision: expected an int, got float"),
        ({"precision": 12}, ValueError, r"precision: expected an int in \[0, 8\], got 12"),
    ],
)
def test_setup_notebook_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        runtime.setup_notebook(**kwargs)


def test_versions_match_installed_packages():
    from importlib.metadata import version

    found = runtime.versions()
    assert found["Python"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert found["TensorFlow"] == version("tensorflow")
    assert found["Keras"] == version("keras")
    assert found["NumPy"] == version("numpy")


def test_version_table_lists_every_version():
    lines = runtime.version_table().splitlines()
    assert [line.split()[0] for line in lines] == list(runtime.versions())
    assert [line.split()[1] for line in lines] == list(runtime.versions().values())


def test_captured_warnings_collects_python_warnings_and_tensorflow_log_records(capfd):
    import logging
    import warnings

    logger = logging.getLogger("tensorflow")
    before = (logger.handlers[:], logger.propagate)
    with runtime.captured_warnings() as messages:
        warnings.warn("first line\nsecond line", UserWarning, stacklevel=1)
        logging.getLogger("tensorflow").warning("deprecated thing\nInstructions for updating")
    assert messages == [
        "UserWarning: first line",
        "WARNING (tensorflow): deprecated thing",
    ]
    assert capfd.readouterr().err == ""
    assert (logger.handlers, logger.propagate) == before  # restored afterwards


def test_public_api_is_curated():
    import rnn_lib

    assert (
        sorted(rnn_lib.__all__, key=lambda name: (not name[0].isupper(), name)) == rnn_lib.__all__
    )
    for name in rnn_lib.__all__:
        assert callable(getattr(rnn_lib, name)), name


def test_captured_warnings_drops_the_location_of_deprecation_notices():
    import logging

    with runtime.captured_warnings() as messages:
        logging.getLogger("tensorflow").warning(
            "From /tmp/ipykernel_4242/123.py:3: dynamic_rnn (from x) is deprecated.\nMore"
        )
    assert messages == ["WARNING (tensorflow): dynamic_rnn (from x) is deprecated."]


# ----- error_line -----


def test_error_line_gives_the_message_of_a_real_keras_layer_error():
    """The header Keras puts before an error raised in a layer call, and its colour codes, go."""
    import keras

    states = [np.zeros((3, 4), "float32")] * 4  # a Bidirectional LSTM's four states
    with pytest.raises(ValueError) as caught:
        keras.layers.LSTM(4)(np.zeros((3, 6, 2), "float32"), initial_state=states)
    assert "Exception encountered when calling" in str(caught.value)  # what is dropped
    line = runtime.error_line(caught.value)
    assert line == "ValueError: Too few leaves for PyTreeSpec; expected: 4, got: 2."
    assert "\x1b" not in line and "\n" not in line


def test_error_line_gives_the_message_of_a_graph_execution_error():
    """Inside predict, TensorFlow puts a traceback before the message; the message is kept."""
    import keras

    model = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(10, 4)])
    with pytest.raises(Exception) as caught:  # InvalidArgumentError on this CPU path
        model.predict(np.array([[1, 10, 2]], "int32"), verbose=0)
    assert str(caught.value).startswith("Graph execution error:")  # what is skipped
    line = runtime.error_line(caught.value)
    assert line == "InvalidArgumentError: indices[0,1] = 10 is not in [0, 10)"


@pytest.mark.parametrize(
    "error, expected",
    [
        (ValueError("Graph execution error:\n\nDetected at node x:\n  File a\n\nthe message\n"
                    "\t [[{{node x}}]] [Op:y]"), "ValueError: the message"),
        (ValueError("Graph execution error:\n[[{{node x}}]]"), "ValueError: Graph execution error:"),
        (ValueError("first line\nsecond line"), "ValueError: first line"),
        (TypeError("\n\n  spaced  \n"), "TypeError: spaced"),
        (KeyError(), "KeyError"),
        (ValueError("Exception encountered when calling X.call()."), "ValueError: "
         "Exception encountered when calling X.call()."),  # nothing after it: kept
        (RuntimeError("\x1b[1mbold\x1b[0m"), "RuntimeError: bold"),
    ],
)  # fmt: skip
def test_error_line_keeps_the_first_non_empty_line(error, expected):
    assert runtime.error_line(error) == expected


def test_error_line_rejects_what_is_not_an_exception():
    with pytest.raises(TypeError, match="error: expected an exception, got str"):
        runtime.error_line("ValueError: oops")


# ----- the retracing note -----


def _tensorflow_log_while_retracing() -> list[str]:
    """What TensorFlow's logger emits while one tf.function is traced for 8 shapes."""
    import tensorflow as tf

    messages: list[str] = []
    handler = runtime._ListHandler(messages)
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        for _ in range(2):  # a new function each time, as each new Keras model makes one
            function = tf.function(lambda x: x * 2)
            for length in range(1, 9):
                function(tf.zeros((length,)))
        logger.warning("an unrelated TensorFlow warning")
    finally:
        logger.removeHandler(handler)
    return messages


def test_tensorflow_notes_retracing_without_the_filter():
    """The guard below is not vacuous: TensorFlow really logs the note here."""
    logger = logging.getLogger("tensorflow")
    logger.removeFilter(runtime._RETRACING_FILTER)
    messages = _tensorflow_log_while_retracing()
    assert any(runtime.RETRACING_NOTE in message for message in messages)


def test_setup_notebook_drops_the_retracing_note_and_keeps_other_warnings():
    runtime.setup_notebook(seed=0)
    runtime.setup_notebook(seed=0)  # twice: one filter, not two
    logger = logging.getLogger("tensorflow")
    assert logger.filters.count(runtime._RETRACING_FILTER) == 1
    messages = _tensorflow_log_while_retracing()
    assert not any(runtime.RETRACING_NOTE in message for message in messages)
    assert any("an unrelated TensorFlow warning" in message for message in messages)


# ----- the Keras backend: TensorFlow is imported on its own backend only -----


def test_the_backend_name_is_read_as_keras_reads_it(tmp_path):
    home = tmp_path / "keras_home"
    home.mkdir()
    read = runtime._configured_backend  # what keras_backend_name() reads before Keras' import
    assert read({"KERAS_HOME": str(home)}) == "tensorflow"  # Keras' default: no keras.json
    (home / "keras.json").write_text('{"backend": "jax"}')
    assert read({"KERAS_HOME": str(home)}) == "jax"
    assert read({"KERAS_HOME": str(home), "KERAS_BACKEND": "tensorflow"}) == "tensorflow"
    (home / "keras.json").write_text("{not json")
    assert read({"KERAS_HOME": str(home)}) == "tensorflow"
    assert runtime.keras_backend_name() == keras.backend.backend()  # once Keras is imported


def test_import_rnn_lib_on_jax_does_not_import_tensorflow():
    """(On TensorFlow, test_import_rnn_lib_writes_nothing_to_stderr... imports it quietly.)"""
    code = "import sys, rnn_lib; print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "['keras']", result.stderr[-2000:]
