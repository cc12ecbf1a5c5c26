"""tools/lab.py: `make lab` for root and other users, every notebook link under the folder
it serves, and a notebook saved by JupyterLab equal to the one `make refresh` stores."""

import json
import re
import shutil

import nbformat
import pytest

from tests.conftest import NOTEBOOKS, ROOT
from tools import lab


def test_make_lab_runs_this_tool():
    recipe = re.search(r"^lab:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and "-m tools.lab" in recipe.group(1)


def test_the_server_serves_the_repository_and_opens_on_the_notebooks():
    command = lab.lab_command(as_root=False)
    assert command[0].endswith("jupyter-lab") and f"--ServerApp.root_dir={ROOT}" in command
    assert "--LabApp.default_url=/lab/tree/notebooks" in command
    assert (lab.SERVED / lab.OPEN_AT).resolve() == (ROOT / "notebooks").resolve()


def test_root_gets_allow_root_and_other_users_do_not():
    assert "--allow-root" in lab.lab_command(as_root=True)
    assert "--allow-root" not in lab.lab_command(as_root=False)
    assert lab.lab_command(["--no-browser"], as_root=True)[-1] == "--no-browser"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_link_in_a_notebook_opens_under_make_lab(path):
    assert lab.broken_links(path) == []


def test_the_link_check_sees_a_link_the_server_cannot_open(tmp_path):
    """The chapters' glossary link was dead when the server's top folder was notebooks/."""
    chapter = NOTEBOOKS[0]
    assert "../book/glossary.md" in chapter.read_text()
    assert lab.broken_links(chapter, served=ROOT / "notebooks") == [
        f"{chapter.name}: ../book/glossary.md: outside notebooks/, which is served",
        f"{chapter.name}: ../book/explorer.md: outside notebooks/, which is served",
        f"{chapter.name}: ../book/backends.md: outside notebooks/, which is served",
    ]
    copy = tmp_path / "notebooks"
    shutil.copytree(chapter.parent, copy)  # the chapters without the book's pages
    assert f"{chapter.name}: ../book/glossary.md: no such file" in lab.broken_links(
        copy / chapter.name, served=tmp_path
    )


# ----- saving in JupyterLab leaves `git diff` empty -----


def save_as_jupyterlab(path, folder):
    """Write ``path`` into ``folder`` as JupyterLab saves an opened notebook.

    JupyterLab puts the running kernel's ``language_info`` (its kernel_info reply) into the
    notebook's metadata and sends the notebook to the server, whose contents manager writes
    it (jupyter_server's FileContentsManager, as installed).
    """
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_server.services.contents.filemanager import FileContentsManager

    notebook = json.loads(path.read_text())
    notebook["metadata"]["language_info"] = dict(IPythonKernel.language_info)
    manager = FileContentsManager(root_dir=str(folder))
    manager.save({"type": "notebook", "format": "json", "content": notebook}, path.name)
    return folder / path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_saved_by_jupyterlab_is_the_stored_one(path, tmp_path):
    assert save_as_jupyterlab(path, tmp_path).read_bytes() == path.read_bytes()


def test_the_save_check_sees_metadata_refresh_would_drop(tmp_path):
    """The stored metadata without the kernel's Python version (what `make refresh` used to
    store): JupyterLab's save adds it back, a one-line `git diff`."""
    stored = nbformat.read(NOTEBOOKS[0], as_version=4)
    del stored.metadata.language_info["version"]
    old = tmp_path / "old" / NOTEBOOKS[0].name
    old.parent.mkdir()
    nbformat.write(stored, old)
    assert save_as_jupyterlab(old, tmp_path).read_bytes() != old.read_bytes()
