"""Keep the book's notebooks honest: re-execute them, and check what they store.

    python -m tools.notebooks refresh notebooks/*.ipynb   # re-execute in place
    python -m tools.notebooks check notebooks/*.ipynb     # stored outputs + prose

``refresh`` runs each notebook top to bottom in the kernel nbval uses with
``--nbval-current-env`` (this virtual environment's Python), in the
notebook's own folder, and writes it back without timestamps, so running it
twice leaves ``git diff`` empty. Its metadata is what JupyterLab saves (the
kernel's ``language_info``, Python version included), so opening, running and
saving a chapter in `make lab` leaves ``git diff`` empty too. Each notebook
gets a fresh kernel, shut down and reaped as soon as that notebook is done
(also when a cell raises), so refreshing many notebooks holds one kernel at a
time.

``check`` fails (exit 1) on:

* code lines longer than the site shows without scrolling (77 characters,
  measured on the built page);
* stored output problems: a ``stderr`` stream, an error in a cell not tagged
  ``raises-exception``, execution counts that are not 1..n, TensorFlow log
  lines, absolute paths, timings or memory addresses;
* prose problems: a shape such as ``(3, 5, 4)``, or a literal in inline code
  such as ``True`` or ``165``, named in a markdown cell but found in none of
  the notebook's stored outputs. nbval proves the outputs; this proves the
  prose matches them;
* a chapter that does not end with its "Predict first" exercises, each answer a code cell
  tagged ``hide-cell`` that stores its output (``exercise_problems``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from tools import skip_slow_iri_parsers

skip_slow_iri_parsers()
import nbformat  # noqa: E402  (after the line above)

# A tuple of ints or None with at least one comma: (3, 5, 4), (None, 4), (3,)
SHAPE = re.compile(r"\(\s*(?:(?:\d+|None)\s*,\s*)+(?:(?:\d+|None)\s*)?\)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in rich output (model.summary)

ROOT = Path(__file__).resolve().parent.parent
# The book's chapters; the Makefile's NOTEBOOKS uses the same pattern.
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


def notebook_paths() -> list[Path]:
    """Every chapter notebook, ``notebooks/NN_topic.ipynb``, in order."""
    return sorted((ROOT / "notebooks").glob(NOTEBOOK_PATTERN))


INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)  # intervals like $(0, 1)$ are not shapes
NOISE = re.compile(
    r"(^[IWE]\d{4} \d\d:\d\d"  # absl/TSL log line
    r"|oneDNN custom operations|cudart_stub|absl::InitializeLog"
    r"|\d+(?:\.\d+)?m?s/step"  # Keras progress timings
    r"|/(?:root|home|tmp|work)/|site-packages"  # absolute paths
    r"|\bat 0x[0-9a-fA-F]{6,}"  # memory addresses
    r"|Traceback \(most recent call last\))",
    re.M,
)


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join([output.get("ename", ""), output.get("evalue", "")])
    data = output.get("data", {})
    return "".join(
        "".join(value) if isinstance(value, list) else str(value)
        for key, value in data.items()
        if key.startswith("text/") or key.endswith("text/plain")
    )


#: Longest code line that fits a code cell on the built site without scrolling.
MAX_CODE_LINE = 77


def source_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Code lines too long to read on the site without scrolling sideways."""
    problems = []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for line in cell.source.splitlines():
            if len(line) > MAX_CODE_LINE:
                problems.append(
                    f"code cell {number} has a line of {len(line)} characters "
                    f"(at most {MAX_CODE_LINE} fit the page): {line.strip()[:40]!r}..."
                )
    return problems


def stored_output_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a notebook's stored outputs (empty if nothing)."""
    problems = []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code_cells if cell.source.strip()]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts are {counts}, expected 1..{len(counts)} in order")
    for number, cell in enumerate(code_cells, start=1):
        tags = cell.metadata.get("tags", [])
        for output in cell.get("outputs", []):
            text = _output_text(output)
            where = f"code cell {number}"
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"{where} stores stderr: {text.strip()[:100]!r}")
            elif output.get("output_type") == "error" and "raises-exception" not in tags:
                problems.append(f"{where} stores an error without the raises-exception tag")
            elif match := NOISE.search(text):
                problems.append(f"{where} stores log noise, a path or a timing: {match.group(0)!r}")
    return problems


def _canonical_shape(text: str) -> tuple:
    return tuple(None if part == "None" else int(part) for part in re.findall(r"\d+|None", text))


def prose_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Shapes and literals named in markdown that no stored output shows."""
    outputs = "\n".join(
        ANSI.sub("", _output_text(output))
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    output_shapes = {_canonical_shape(match) for match in SHAPE.findall(outputs)}
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "markdown":
            continue
        text = MATH.sub("", cell.source)
        for match in SHAPE.findall(text):
            if _canonical_shape(match) not in output_shapes:
                problems.append(f"cell {number}: shape {match} is in no stored output")
        for literal in INLINE_CODE.findall(FENCE.sub("", text)):
            literal = literal.strip()
            if SHAPE.fullmatch(literal):
                continue  # checked above
            try:
                value = ast.literal_eval(literal)
            except (ValueError, SyntaxError):
                continue  # a name or an expression, not a value
            if isinstance(value, (bool, int, float)):
                pattern = rf"(?<![\w.]){re.escape(literal)}(?![\w.])"
                if not re.search(pattern, outputs):
                    problems.append(f"cell {number}: value `{literal}` is in no stored output")
    return problems


#: The heading of every chapter's last section, and how many exercises it holds.
EXERCISES_HEADING = "## Predict first"
EXERCISES_PER_CHAPTER = range(2, 5)
EXERCISE = re.compile(r"\*\*Exercise (\d+)\.\*\*")
ANSWER_TAGS = ["hide-cell"]


def exercise_problems(nb: nbformat.NotebookNode) -> list[str]:
    """The chapter must end with its "Predict first" section: 2-4 exercises, each a markdown
    cell ``**Exercise k.** ...`` followed by one answer code cell, tagged ``hide-cell`` (hidden
    behind a click on the site) and holding its stored output (re-checked by nbval)."""
    starts = [
        number
        for number, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and cell.source.startswith(EXERCISES_HEADING + "\n")
    ]
    if len(starts) != 1:
        return [f"expected one {EXERCISES_HEADING!r} section, found {len(starts)}"]
    section = nb.cells[starts[0] + 1 :]
    headings = [
        line
        for cell in section
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]
    problems = [f"a heading after {EXERCISES_HEADING!r}: {line!r}" for line in headings]
    if len(section) % 2:
        problems.append(f"expected exercise and answer cells in pairs, got {len(section)} cells")
    pairs = list(zip(section[::2], section[1::2], strict=False))
    if len(pairs) not in EXERCISES_PER_CHAPTER:
        problems.append(f"expected 2 to 4 exercises, found {len(pairs)}")
    for number, (question, answer) in enumerate(pairs, start=1):
        match = EXERCISE.match(question.source) if question.cell_type == "markdown" else None
        if match is None or int(match.group(1)) != number:
            problems.append(f"exercise {number}: expected a markdown cell '**Exercise {number}.**'")
        if answer.cell_type != "code":
            problems.append(f"exercise {number}: expected its answer, a code cell, after it")
            continue
        if answer.metadata.get("tags", []) != ANSWER_TAGS:
            problems.append(
                f"exercise {number}: expected the answer tagged {ANSWER_TAGS} (hidden until "
                f"clicked), got {answer.metadata.get('tags', [])}"
            )
        if not any(_output_text(output).strip() for output in answer.get("outputs", [])):
            problems.append(f"exercise {number}: the answer cell stores no output")
    return problems


def check(paths: Iterable[Path]) -> int:
    """Print every problem of every notebook; return the number of problems."""
    total = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        found = source_problems(nb) + stored_output_problems(nb) + prose_problems(nb)
        for problem in found + exercise_problems(nb):
            print(f"{path}: {problem}")
            total += 1
    return total


def merge_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name into one.

    The kernel flushes stdout on a timer, so how a cell's prints are split
    into chunks depends on timing; merged, the stored output does not.
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def _current_env_kernel_manager_class() -> type:
    """A kernel manager that finds nbval's current-environment kernel spec.

    Handed to NotebookClient as a class, not an instance, so that the client
    owns the manager: nbclient shuts down (and reaps) only a kernel whose
    manager it created itself, never one it was handed with ``km=``.
    """
    from jupyter_client import AsyncKernelManager
    from nbval.kernel import NbvalKernelspecManager
    from traitlets import default

    class CurrentEnvKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> NbvalKernelspecManager:
            return NbvalKernelspecManager(data_dir=self.data_dir)

    return CurrentEnvKernelManager


def refresh(path: Path, timeout: int = 600) -> None:
    """Re-execute ``path`` in place, in the kernel nbval --nbval-current-env uses.

    The kernel is shut down and its process reaped before this returns, also
    when a cell raises (nothing is written then). Shut down "immediate"ly, as
    nbval does: the kernel's process group is killed, which takes about 0.1 s
    where a graceful shutdown of a kernel that imported TensorFlow takes 1.2 s.
    """
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=CURRENT_ENV_KERNEL_NAME,
        kernel_manager_class=_current_env_kernel_manager_class(),
        shutdown_kernel="immediate",
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()  # owns the kernel: shuts it down on the way out
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["refresh", "check"])
    parser.add_argument("paths", nargs="+", type=Path, metavar="NOTEBOOK")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.paths if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.command == "refresh":
        for path in args.paths:
            print(f"refreshing {path}", flush=True)
            refresh(path)
        return 0
    problems = check(args.paths)
    print(f"{len(args.paths)} notebook(s) checked, {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
