"""A Sphinx extension: TensorFlow and Keras mocked for the whole build of the site.

The API page (book/api.md) renders ``rnn_lib``'s docstrings with autodoc, which imports
``rnn_lib``, which imports TensorFlow, Keras and matplotlib: about 6 s that the docstrings do
not need.
``autodoc_mock_imports`` mocks them only while autodoc imports a module; autodoc later reads
the source of a class's base classes (``keras.layers.Layer``), which would import the real
Keras. Mocking them for the whole build keeps `make book` within its budget. Nothing else in
the build runs TensorFlow: the notebooks are rendered from their stored outputs.
"""

from __future__ import annotations

import atexit
from typing import Any

from sphinx.ext.autodoc.mock import mock

MOCKED = ["tensorflow", "keras", "tf_keras", "matplotlib"]
_active: list[Any] = []  # the entered context, kept referenced (collected, it would un-mock)


def setup(app: Any) -> dict[str, Any]:
    if not _active:
        context = mock(MOCKED)
        context.__enter__()  # active until the build process ends
        _active.append(context)
        atexit.register(context.__exit__, None, None, None)  # while sys.meta_path exists
    return {"parallel_read_safe": True, "parallel_write_safe": True}
