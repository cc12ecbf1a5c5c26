"""Build the static site into _build/html from the notebooks' stored outputs.

    python -m tools.build_book        (what `make book` runs after the notebook check)

Runs ``jupyter-book build`` with warnings as errors and nitpicky references, so a broken
link, a missing anchor or a notebook the table of contents lacks fails the build. The old
``_build`` is removed first: Sphinx would otherwise keep pages of deleted sources.
The browser check (tests/site) calls :func:`build` too, so it always checks a fresh build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools.notebooks import ANSI, ROOT

BUILD = ROOT / "_build"
COMMAND = ["build", ".", "--warningiserror", "--nitpick", "--keep-going", "--quiet"]


# jupyter-book's own entry point, after tools.skip_slow_iri_parsers (about 4 s saved).
LAUNCH = (
    "import sys; from tools import skip_slow_iri_parsers; skip_slow_iri_parsers(); "
    "from jupyter_book.cli.main import main; sys.argv[0] = 'jupyter-book'; sys.exit(main())"
)


def build(capture: bool = False) -> Path:
    """Build the book; return the path of its index page.

    With ``capture``, the builder's output is collected and, if the build fails, raised in
    the error message instead of being printed as it comes.
    """
    shutil.rmtree(BUILD, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, *COMMAND],
        cwd=ROOT,
        capture_output=capture,
        text=True,
        check=False,
    )
    index = BUILD / "html" / "index.html"
    if result.returncode != 0 or not index.is_file():
        # Sphinx colours its warnings even when its output is piped.
        output = ANSI.sub("", (result.stdout or "") + (result.stderr or ""))
        raise RuntimeError(
            f"jupyter-book build failed (exit {result.returncode})"
            + (f":\n{output}" if output else "")
        )
    return index


def main() -> int:
    try:
        index = build()
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Book built: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
