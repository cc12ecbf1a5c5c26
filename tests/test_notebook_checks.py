"""tools/notebooks.py: the stored-output and prose checks, and proof that the guards can fail."""

import ast

import nbformat
import pytest

from tests.conftest import NOTEBOOKS, ROOT
from tools import notebooks as checks

# Modules that import TensorFlow: rnn_lib must come first, to import it quietly.
HEAVY_IMPORTS = {"rnn_lib", "tensorflow", "keras", "tf_keras"}
CHAPTER_01 = ROOT / "notebooks" / "01_outputs_vs_state.ipynb"


def _read(path=CHAPTER_01):
    return nbformat.read(path, as_version=4)


def _first(nb, cell_type, needle):
    for cell in nb.cells:
        if cell.cell_type != cell_type:
            continue
        if cell_type == "markdown" and needle in cell.source:
            return cell
        for output in cell.get("outputs", []):
            if needle in output.get("text", ""):
                return cell, output
    raise AssertionError(f"no {cell_type} cell contains {needle!r}")


def test_there_are_notebooks():
    assert CHAPTER_01 in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_stored_outputs_are_clean(path):
    assert checks.stored_output_problems(_read(path)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_code_lines_fit_the_page(path):
    assert checks.source_problems(_read(path)) == []


def test_a_long_code_line_is_reported():
    nb = nbformat.v4.new_notebook()
    long_line = "y = " + "1 + " * 30 + "1"
    nb.cells = [nbformat.v4.new_code_cell("x = 1\n" + long_line)]
    problems = checks.source_problems(nb)
    assert len(problems) == 1
    assert f"code cell 1 has a line of {len(long_line)} characters" in problems[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_prose_matches_stored_outputs(path):
    assert checks.prose_problems(_read(path)) == []


def _imported_modules(source):
    """Top-level module names imported by a cell, in order."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_opens_with_a_question_and_imports_rnn_lib_first(path):
    nb = _read(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "question" in nb.cells[0].source.lower()
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    heavy = [name for name in _imported_modules(first_code.source) if name in HEAVY_IMPORTS]
    assert heavy and heavy[0] == "rnn_lib", f"the first code cell imports {heavy}"


def test_import_order_check_sees_tensorflow_before_rnn_lib():
    source = "import os\nimport tensorflow as tf\nimport rnn_lib\n"
    assert next(n for n in _imported_modules(source) if n in HEAVY_IMPORTS) == "tensorflow"


# ----- the prose check fails on a wrong shape or value -----


def test_prose_check_fails_on_a_wrong_shape_in_markdown():
    nb = _read()
    cell = _first(nb, "markdown", "(3, 5, 4)")
    cell.source = cell.source.replace("(3, 5, 4)", "(3, 4, 5)", 1)
    problems = checks.prose_problems(nb)
    assert len(problems) == 1
    assert "shape (3, 4, 5) is in no stored output" in problems[0]


def test_prose_check_fails_on_a_wrong_value_in_markdown():
    nb = _read()
    cell = _first(nb, "markdown", "`112`")
    cell.source = cell.source.replace("`112`", "`113`")
    assert any("value `113` is in no stored output" in p for p in checks.prose_problems(nb))


def test_prose_check_fails_when_the_output_changes_under_the_prose():
    nb = _read()
    for cell in nb.cells:  # remove every stored (3, 5, 4): the prose still names it
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = output["text"].replace("(3, 5, 4)", "(3, 5, 9)")
    assert any("shape (3, 5, 4)" in p for p in checks.prose_problems(nb))


def test_prose_check_ignores_symbolic_shapes_math_and_names():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "Shapes are `(batch, time, units)`; the gate is in $(0, 1)$; "
            "call `LSTM(4, return_state=True)` with `units=4`."
        )
    ]
    assert checks.prose_problems(nb) == []


# ----- the stored-output check fails on stderr, errors, counts and noise -----


def _notebook_with_output(output, tags=()):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1", execution_count=1)
    cell.outputs = [output]
    if tags:
        cell.metadata["tags"] = list(tags)
    nb.cells = [cell]
    return nb


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (nbformat.v4.new_output("stream", name="stderr", text="W0000 oops\n"), "stores stderr"),
        (nbformat.v4.new_output("error", ename="ValueError", evalue="x"), "raises-exception"),
        (nbformat.v4.new_output("stream", name="stdout", text="/root/x.py\n"), "'/root/'"),
        (nbformat.v4.new_output("stream", name="stdout", text="1/1 - 0s 12ms/step\n"), "12ms/step"),
        (
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "<Layer at 0x7f3a2b1c9d30>"}
            ),
            "at 0x7f3a2b1c9d30",
        ),
    ],
)
def test_stored_output_check_catches(output, problem):
    problems = checks.stored_output_problems(_notebook_with_output(output))
    assert len(problems) == 1 and problem in problems[0], problems


def test_an_error_in_a_raises_exception_cell_is_allowed():
    output = nbformat.v4.new_output("error", ename="ValueError", evalue="x")
    nb = _notebook_with_output(output, tags=["raises-exception"])
    assert checks.stored_output_problems(nb) == []


def test_execution_counts_must_run_top_to_bottom():
    nb = _read()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    code[0].execution_count, code[1].execution_count = 2, 1
    assert any("execution counts" in p for p in checks.stored_output_problems(nb))


def test_check_command_exit_status(tmp_path, capsys):
    assert checks.main(["check", str(CHAPTER_01)]) == 0
    broken = _read()
    _first(broken, "markdown", "(3, 5, 4)").source += "\n\nIt returns (7, 7, 7)."
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    assert checks.main(["check", str(path)]) == 1
    assert "shape (7, 7, 7) is in no stored output" in capsys.readouterr().out


def test_merge_streams_joins_consecutive_chunks_of_one_stream():
    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)

    result = nbformat.v4.new_output("execute_result", data={"text/plain": "1"})
    outputs = [stream("stdout", "a\n"), stream("stdout", "b\n"), result, stream("stdout", "c\n")]
    merged = checks.merge_streams(outputs)
    assert [output.get("text") for output in merged] == ["a\nb\n", None, "c\n"]
    assert checks.merge_streams([stream("stdout", "a"), stream("stderr", "b")]) == [
        stream("stdout", "a"),
        stream("stderr", "b"),
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_stored_streams_are_merged(path):
    for cell in _read(path).cells:
        if cell.cell_type == "code":
            assert checks.merge_streams(cell.outputs) == cell.outputs


# ----- nbval, strict, fails on a copy whose stored shape was changed -----


@pytest.mark.slow
def test_nbval_fails_when_a_stored_shape_is_changed(pytester):
    """Chapter 01 up to its first (3, 5, 4), with that stored shape changed to (3, 4, 5).

    nbval runs as `make test` runs it (strict, this environment's kernel), in this process
    (pytester), on the copy in a temporary folder.
    """
    nb = _read()
    cell, output = _first(nb, "code", "(3, 5, 4)\n")
    output["text"] = output["text"].replace("(3, 5, 4)", "(3, 4, 5)")
    nb.cells = nb.cells[: nb.cells.index(cell) + 1]  # the rest would only cost time
    nbformat.write(nb, pytester.path / CHAPTER_01.name)

    result = pytester.runpytest_inprocess(
        "--nbval", "--nbval-current-env", "-p", "no:cacheprovider", CHAPTER_01.name
    )
    report = result.stdout.str()
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    result.assert_outcomes(passed=code_cells - 1, failed=1)
    assert "(3, 4, 5)" in report and "(3, 5, 4)" in report, report


# ----- every chapter ends with "Predict first" exercises, answers hidden until clicked -----


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_chapter_ends_with_predict_first_exercises(path):
    assert checks.exercise_problems(_read(path)) == []


def _exercises(count=3):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Summary\n\nText."),
                nbformat.v4.new_markdown_cell(checks.EXERCISES_HEADING + "\n\nPredict.")]  # fmt: skip
    for number in range(1, count + 1):
        answer = nbformat.v4.new_code_cell("print((2, 7, 3))", execution_count=number)
        answer.metadata["tags"] = ["hide-cell"]
        answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="(2, 7, 3)\n")]
        nb.cells += [nbformat.v4.new_markdown_cell(f"**Exercise {number}.** What?"), answer]
    return nb


def _untagged(nb):
    nb.cells[3].metadata["tags"] = []


def _no_output(nb):
    nb.cells[5].outputs = []


def _heading_after(nb):
    nb.cells.append(nbformat.v4.new_markdown_cell("## More"))


def _renumbered(nb):
    nb.cells[4].source = "**Exercise 7.** What?"


def _answer_missing(nb):
    del nb.cells[3]


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (_untagged, "exercise 1: expected the answer tagged ['hide-cell']"),
        (_no_output, "exercise 2: the answer cell stores no output"),
        (_heading_after, "a heading after '## Predict first': '## More'"),
        (_renumbered, "exercise 2: expected a markdown cell '**Exercise 2.**'"),
        (_answer_missing, "expected exercise and answer cells in pairs, got 5 cells"),
    ],
)
def test_the_exercise_check_sees(fault, problem):
    nb = _exercises()
    assert checks.exercise_problems(nb) == []
    fault(nb)
    assert any(found.startswith(problem) for found in checks.exercise_problems(nb))


@pytest.mark.parametrize(("count", "found"), [(1, ["expected 2 to 4 exercises, found 1"]), (5, ["expected 2 to 4 exercises, found 5"]), (0, ["expected 2 to 4 exercises, found 0"])])  # fmt: skip
def test_the_exercise_check_counts(count, found):
    assert checks.exercise_problems(_exercises(count)) == found


def test_a_chapter_without_the_section_is_reported():
    nb = _exercises()
    del nb.cells[1:]
    assert checks.exercise_problems(nb) == ["expected one '## Predict first' section, found 0"]
