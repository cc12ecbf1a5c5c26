"""tools/lab_check.py: what a notebook run and saved in JupyterLab is checked for.

The run itself (a real JupyterLab, every chapter) is in `make reliability`; these tests show
that the comparison it ends with fails on each thing it guards.
"""

import nbformat
import pytest

from tests.conftest import NOTEBOOKS
from tools import lab_check

STORED = NOTEBOOKS[0]


def _saved(tmp_path, change=None):
    notebook = nbformat.read(STORED, as_version=4)
    if change is not None:
        change(notebook)
    path = tmp_path / STORED.name
    nbformat.write(notebook, path)
    return path


def _first_stream(notebook):
    return next(
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def test_the_stored_notebook_saved_again_is_fine(tmp_path):
    assert lab_check.compare(_saved(tmp_path), STORED) == []


def _error(notebook):
    cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
    cell.outputs.append(
        nbformat.v4.new_output("error", ename="ValueError", evalue="boom", traceback=[])
    )


def _stderr(notebook):
    cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
    cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text="warning\n"))


def _changed_text(notebook):
    _first_stream(notebook).text += "one more line\n"


def _metadata(notebook):
    notebook.metadata["widgets"] = {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_error, "ValueError: boom"),
        (_stderr, "stderr: warning"),
        (_changed_text, "the text output differs from the stored one"),
        (_metadata, "saved file differs from the stored one (git diff is not empty)"),
    ],
)
def test_each_difference_is_reported(tmp_path, change, expected):
    problems = lab_check.compare(_saved(tmp_path, change), STORED)
    assert len(problems) >= 1 and any(expected in problem for problem in problems), problems


def test_the_copy_it_runs_has_no_outputs(tmp_path):
    """Whatever JupyterLab saves, it produced: a check that never ran could not pass."""
    target = tmp_path / STORED.name
    lab_check._write_without_outputs(STORED, target)
    cells = [c for c in nbformat.read(target, as_version=4).cells if c.cell_type == "code"]
    assert cells and all(c.outputs == [] and c.execution_count is None for c in cells)
    assert lab_check.compare(target, STORED) != []


def test_make_reliability_runs_it():
    assert '"-m", "tools.lab_check"' in (lab_check.ROOT / "tools" / "reliability.py").read_text()
