"""Write book/verification.md, "How this book is verified", from the project's own files.

    python -m tools.verification > book/verification.md      (what `make verification` runs)

Every version, step and count on the page is read here from requirements.in/.txt, the
Makefile, README.md, tests/ and book/, never typed by hand; tests/test_book.py checks that
the committed page is exactly what this module produces now.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pinned_versions() -> list[tuple[str, str]]:
    """(package, exact version) for each direct dependency named in requirements.in."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    direct = []
    for line in (ROOT / "requirements.in").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==", line)
        if match:
            name = match.group(1)
            direct.append((name, pins[name.lower().replace("_", "-")]))
    return direct


def python_version() -> str:
    """The Python the Makefile asks for (``PYTHON ?= ... python3.11 ...``)."""
    makefile = (ROOT / "Makefile").read_text()
    return re.search(r"command -v python(3\.\d+)", makefile).group(1)


def test_recipe() -> list[str]:
    """The commands of the Makefile's ``test`` target, as `make test` runs them."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("test:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        command = line.strip()
        if command.startswith("@"):
            continue  # comments and guards
        recipe.append(command.replace("$(BIN)/", "").replace("$(NOTEBOOKS)", "notebooks/*.ipynb"))
    return recipe


def readme_commands() -> list[str]:
    """The commands of the README's quick start."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S).group(1)
    return [line.rstrip() for line in block.splitlines() if line.strip()]


def test_files() -> list[tuple[str, str]]:
    """(file, the first paragraph of its docstring) for each tests/test_*.py."""
    files = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        first_paragraph = " ".join(docstring.split("\n\n")[0].split())
        files.append((path.name, first_paragraph))
    return files


def claim_count() -> int:
    """How many claim tests (``@stated_in(...)``) the claims files hold."""
    return sum(
        len(re.findall(r"^@stated_in\(", path.read_text(), re.M))
        for path in (ROOT / "tests").glob("test_claims*.py")
    )


def counts() -> dict[str, int]:
    book = ROOT / "book"
    return {
        "notebooks": len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))),
        "claims": claim_count(),
        "errors": len(re.findall(r"^### ", (book / "errors.md").read_text(), re.M)),
        "misconceptions": len(re.findall(r"^## ", (book / "misconceptions.md").read_text(), re.M)),
        "questions": len(re.findall(r"^- ", (book / "questions.md").read_text(), re.M)),
    }


def page() -> str:
    n = counts()
    lines = [
        "# How this book is verified",
        "",
        "This page is generated from the project's own files by `tools/verification.py`; a test",
        "fails when it no longer matches them.",
        "",
        "## What is checked",
        "",
        f"- **Every printed value.** The {n['notebooks']} chapter notebooks are executed again,",
        "  top to bottom in a fresh kernel, and every output is compared with the stored one",
        "  (nbval). A changed number, shape or message fails the run.",
        f"- **Every general claim.** {n['claims']} claim tests run each general sentence of the",
        "  book over every case it covers (layer types, padding sides, options), and check that",
        "  the sentence is stated word for word on the pages that make it.",
        f"- **Every pasted error.** The {n['errors']} messages on [error messages](errors.md)",
        "  must appear in the stored outputs of the chapter each one links to.",
        f"- **Every link.** The {n['questions']} questions of [find your question](questions.md),",
        f"  the {n['misconceptions']} [misconceptions](misconceptions.md) and the other reference",
        "  pages link to sections that exist; the site is built with warnings as errors.",
        "- **The site as readers see it.** The built pages are opened in headless Chromium: no",
        "  console error, no missing figure, search finds the chapters.",
        "- **The helpers.** `rnn_lib` is tested against Keras itself and brute-force loops.",
        "",
        "## Pinned versions",
        "",
        f"Python {python_version()}, and the direct dependencies, installed exactly:",
        "",
        "| package | version |",
        "| --- | --- |",
        *[f"| `{name}` | {version} |" for name, version in pinned_versions()],
        "",
        "## What `make test` runs",
        "",
        "```bash",
        *test_recipe(),
        "```",
        "",
        "The test files, each with what it checks:",
        "",
        "| file | checks |",
        "| --- | --- |",
        *[f"| `tests/{name}` | {summary.replace('|', '/')} |" for name, summary in test_files()],
        "",
        "## Run it yourself",
        "",
        "From a clone, with Python and `make`:",
        "",
        "```bash",
        *readme_commands(),
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    print(page(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
