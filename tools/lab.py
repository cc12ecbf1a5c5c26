"""Start JupyterLab on the book as `make lab` does: for root and other users alike.

    make lab      (or: python -m tools.lab [more JupyterLab options])

* The server's top folder is the repository (``SERVED``), and JupyterLab opens on
  ``notebooks/`` (``OPEN_AT``): a chapter's links to ``../book/glossary.md`` then lead to a file
  the server can open (with ``notebooks/`` as the top folder they were 404s).
* As root (the usual user in a container), ``--allow-root`` is added: Jupyter refuses to start
  for root unless told to, because code run in a notebook then runs as root.
* JupyterLab is the one installed in this environment (``.venv``), and so is the kernel: the
  notebooks run on exactly the pinned versions.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

from tools.notebooks import ROOT

#: The folder the server serves: every link in a notebook must stay under it.
SERVED = ROOT
#: Where JupyterLab's file browser opens, relative to ``SERVED``.
OPEN_AT = "notebooks"


def lab_command(
    extra: Sequence[str] = (), *, as_root: bool | None = None, served: Path = SERVED
) -> list[str]:
    """The command that starts JupyterLab on ``served``; ``extra`` options go last."""
    as_root = os.geteuid() == 0 if as_root is None else as_root
    command = [
        str(Path(sys.executable).with_name("jupyter-lab")),
        f"--ServerApp.root_dir={served}",
        f"--LabApp.default_url=/lab/tree/{OPEN_AT}",
    ]
    return command + (["--allow-root"] if as_root else []) + list(extra)


# A Markdown link or image target, or an HTML href/src, in a markdown cell.
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=\"([^\"]+)\"")


def broken_links(notebook: Path, served: Path = SERVED) -> list[str]:
    """Each relative link in ``notebook``'s markdown that a server of ``served`` cannot open.

    A link is resolved from the notebook's folder, as JupyterLab resolves it; it is broken when
    it names no file, or a file outside ``served``. Web addresses and in-page anchors are left
    alone (the book's build checks those).
    """
    notebook, served = Path(notebook).resolve(), Path(served).resolve()
    broken = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for match in _LINK.finditer(cell.source):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue
            path = (notebook.parent / target).resolve()
            if not path.is_file():
                broken.append(f"{notebook.name}: {target}: no such file")
            elif not path.is_relative_to(served):
                broken.append(f"{notebook.name}: {target}: outside {served.name}/, which is served")
    return broken


def main(argv: list[str] | None = None) -> int:
    command = lab_command(sys.argv[1:] if argv is None else argv)
    print(" ".join(command[:1] + [c.replace(str(ROOT), ".") for c in command[1:]]), flush=True)
    os.execv(command[0], command)  # JupyterLab takes over this process (Ctrl-C stops it)


if __name__ == "__main__":
    sys.exit(main())
