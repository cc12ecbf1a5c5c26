"""A quiet, deterministic TensorFlow for the book's notebooks.

Importing TensorFlow writes C++ log lines straight to file descriptor 2
(absl, oneDNN and CUDA-stub messages). A Jupyter kernel forwards that
descriptor into the cell that happened to import TensorFlow, so without
care every chapter would open with log spam, and nbval would see a
``stderr`` output that it cannot reproduce under pytest.

This module is the one place that prevents it. ``import rnn_lib`` calls
:func:`import_keras_quietly`, which on the TensorFlow backend (the default) calls
:func:`import_tensorflow_quietly` before anything else imports TensorFlow:

1. it sets ``TF_CPP_MIN_LOG_LEVEL=3`` and ``TF_ENABLE_ONEDNN_OPTS=0``
   (only where the environment does not set them already), which silences
   TensorFlow's own logger and keeps oneDNN from changing float round-off;
2. it imports TensorFlow with descriptor 2 pointed at a temporary file, so
   the lines written before TensorFlow's logger reads those variables (the
   ``cudart_stub`` line of the full ``tensorflow`` wheel) are caught too;
3. it writes back to ``sys.stderr`` every caught line that is *not* known
   start-up noise, so a real import problem is still shown.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

__all__ = [
    "QUIET_ENVIRONMENT",
    "RETRACING_NOTE",
    "captured_warnings",
    "error_line",
    "import_keras_quietly",
    "import_tensorflow_quietly",
    "is_startup_noise",
    "keras_backend_name",
    "setup_notebook",
    "startup_lines_dropped",
    "version_table",
    "versions",
]

#: Environment defaults applied before TensorFlow is imported.
QUIET_ENVIRONMENT: dict[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
}

# Lines TensorFlow prints at import on a CPU-only machine. Anything else
# captured during the import is passed on to the user.
_NOISE = re.compile(
    r"""^(
        WARNING:\ All\ log\ messages\ before\ absl::InitializeLog\(\).*
      | [IWE]\d{4}\ [\d:.]+\s+\d+\ [\w.]+:\d+\].*     # absl/TSL log line
      | To\ enable\ the\ following\ instructions:.*     # cpu_feature_guard tail
      | \s*
    )$""",
    re.VERBOSE,
)


# What the quiet import caught and dropped, for startup_lines_dropped().
_dropped: tuple[str, ...] = ()


def is_startup_noise(line: str) -> bool:
    """Return True if ``line`` is one of TensorFlow's known start-up log lines."""
    if not isinstance(line, str):
        raise TypeError(f"line: expected a str, got {type(line).__name__}")
    return _NOISE.match(line) is not None


def import_tensorflow_quietly() -> ModuleType:
    """Import and return ``tensorflow`` without its start-up log lines.

    Safe to call more than once: if TensorFlow is already imported, the
    module is returned as it is (its start-up lines, if any, are long gone).
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)

    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
    global _dropped
    lines = text.splitlines()
    _dropped = tuple(line for line in lines if line.strip() and is_startup_noise(line))
    kept = [line for line in lines if not is_startup_noise(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return tensorflow


def keras_backend_name() -> str:
    """The backend ``import keras`` uses (or used): ``"tensorflow"``, ``"jax"``, ...

    Once ``keras`` is imported, the one it runs on. Before, what Keras will read: the
    ``KERAS_BACKEND`` environment variable, else ``"backend"`` in ``keras.json`` (in
    ``$KERAS_HOME``, default ``~/.keras``), else ``"tensorflow"``.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return _configured_backend(os.environ)


def _configured_backend(environ: Mapping[str, str]) -> str:
    """The backend Keras would read from ``environ`` and ``keras.json`` (before its import)."""
    if environ.get("KERAS_BACKEND"):
        return environ["KERAS_BACKEND"]
    home = environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as file:
            backend = json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    return backend if isinstance(backend, str) and backend else "tensorflow"


def import_keras_quietly() -> ModuleType:
    """Import and return ``keras``; on the TensorFlow backend, TensorFlow quietly first.

    On another backend (``KERAS_BACKEND=jax``) TensorFlow is not imported at all: Keras
    does not need it there, and importing it costs several seconds.
    """
    if keras_backend_name() == "tensorflow":
        import_tensorflow_quietly()
    import keras

    return keras


def startup_lines_dropped() -> tuple[str, ...]:
    """The start-up log lines :func:`import_tensorflow_quietly` kept off ``stderr``.

    Empty if TensorFlow was already imported when it was called, or printed nothing.
    """
    return _dropped


class _DropRetracingNotes(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" note, and nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING_NOTE not in record.getMessage()


#: The text of TensorFlow's performance note that :func:`setup_notebook` keeps out of outputs.
RETRACING_NOTE = "triggered tf.function retracing"
_RETRACING_FILTER = _DropRetracingNotes()


def setup_notebook(seed: int = 0, precision: int = 3) -> None:
    """Make a notebook's printed results reproducible.

    Seeds Python, NumPy and TensorFlow (``keras.utils.set_random_seed``),
    turns on TensorFlow op determinism, and prints NumPy floats with
    ``precision`` decimals and no scientific notation. It also drops one
    TensorFlow log line, the "N out of the last M calls to <function ... at
    0x...> triggered tf.function retracing" performance note: it names a memory
    address and depends on how many models a notebook has traced so far, so it
    could never be compared between runs. Every other TensorFlow log line is kept.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise TypeError(f"precision: expected an int, got {type(precision).__name__}")
    if not 0 <= precision <= 8:
        raise ValueError(f"precision: expected an int in [0, 8], got {precision}")

    import keras
    import numpy as np

    tensorflow = import_tensorflow_quietly()
    keras.utils.set_random_seed(seed)
    tensorflow.config.experimental.enable_op_determinism()
    np.set_printoptions(precision=precision, suppress=True)
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)


def versions() -> dict[str, str]:
    """Return the versions this process runs with, for the book's version cell.

    Python is given as ``major.minor`` (the version the project supports);
    the packages pinned in ``requirements.txt`` are given exactly.
    """
    import keras
    import numpy as np

    tensorflow = import_tensorflow_quietly()
    return {
        "Python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "TensorFlow": tensorflow.__version__,
        "Keras": keras.__version__,
        "NumPy": np.__version__,
    }


def version_table() -> str:
    """The versions of :func:`versions` as aligned lines, for each chapter's version cell."""
    return "\n".join(f"{name:<11}{version}" for name, version in versions().items())


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__()
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        first_line = record.getMessage().strip().splitlines()[0]
        # Deprecation notices start "From <file>:<line>: "; the file is a temporary
        # path in a notebook, so it is dropped to keep the output reproducible.
        first_line = re.sub(r"^From .+?:\d+: ", "", first_line)
        self.messages.append(f"{record.levelname} (tensorflow): {first_line}")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_HEADER = re.compile(r"^Exception encountered when calling .+\.$")
_GRAPH_HEADER = "Graph execution error:"
_GRAPH_NODE = re.compile(r"^\[\[\{\{node ")


def error_line(error: BaseException) -> str:
    """An exception as the one line a reader would paste into a search box.

    ``"<ExceptionType>: <message>"``, where the message is the first non-empty line of
    ``str(error)`` once terminal colour codes are removed, skipping the
    ``Exception encountered when calling X.call().`` header that Keras puts before
    the message of an error raised inside a layer call. For TensorFlow's
    ``Graph execution error:`` (an error inside ``fit``/``predict``), whose message
    comes after a traceback, it is the line before the ``[[{{node ...}}]]`` marker.
    Example::

        >>> error_line(ValueError("units: expected a positive int, got -1"))
        'ValueError: units: expected a positive int, got -1'
        >>> error_line(ValueError("Exception encountered when calling LSTM.call().\\n\\n"
        ...                       "\\x1b[1mToo few leaves.\\x1b[0m\\n\\nArguments received ..."))
        'ValueError: Too few leaves.'
    """
    if not isinstance(error, BaseException):
        raise TypeError(f"error: expected an exception, got {type(error).__name__}")
    lines = [line.strip() for line in _ANSI.sub("", str(error)).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and _KERAS_HEADER.match(lines[0]):
        lines = lines[1:]
    if len(lines) > 1 and lines[0] == _GRAPH_HEADER:
        markers = [index for index, line in enumerate(lines) if _GRAPH_NODE.match(line)]
        if markers and markers[0] > 1:
            lines = lines[markers[0] - 1 :]
    message = lines[0] if lines else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """Collect the warnings raised inside the block instead of printing them to stderr.

    Catches Python warnings (``warnings.warn``, as Keras uses) and the
    records of TensorFlow's Python logger (its deprecation notices). Yields
    a list that holds one line per message, in the order they were raised:
    ``"UserWarning: <first line>"`` or ``"WARNING (tensorflow): <first line>"``
    (without the ``From <file>:<line>:`` prefix of TensorFlow's deprecation notices).
    A notebook prints that list on purpose, so readers see the warning and
    the stored output holds no stderr.
    """
    messages: list[str] = []

    def record_warning(message: Warning | str, category: type, *args: Any, **kwargs: Any) -> None:
        first_line = str(message).strip().splitlines()[0]
        messages.append(f"{category.__name__}: {first_line}")

    logger = logging.getLogger("tensorflow")
    saved_handlers, saved_propagate = logger.handlers[:], logger.propagate
    logger.handlers = [_ListHandler(messages)]
    logger.propagate = False
    try:
        with warnings.catch_warnings():  # restores showwarning and the filters on exit
            warnings.simplefilter("always")
            warnings.showwarning = record_warning
            yield messages
    finally:
        logger.handlers, logger.propagate = saved_handlers, saved_propagate
