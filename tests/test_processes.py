"""No kernel outlives its notebook: refresh shuts it down and reaps it before returning.

`make refresh` refreshes the notebooks one after another in one process, and `make bench`
times each notebook with the same refresh; a kernel left alive per notebook (about 740 MB
once TensorFlow is imported) would pile up, and slow down every later measurement.
"""

import os

import nbformat
import psutil
import pytest
from nbclient.exceptions import CellExecutionError

from tools.notebooks import refresh

pytestmark = pytest.mark.slow  # each test starts one kernel

# The kernel notes its own process id and its parent's, so the test knows what to look for.
RECORD_KERNEL = (
    "import os, pathlib\npathlib.Path('kernel.pid').write_text(f'{os.getpid()} {os.getppid()}')"
)


def _one_cell_notebook(folder, source):
    path = folder / "00_tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def _children() -> dict[int, psutil.Process]:
    """This process's children and theirs, zombies (exited, not yet reaped) included."""
    return {child.pid: child for child in psutil.Process().children(recursive=True)}


def _assert_nothing_left(folder, before: dict[int, psutil.Process]) -> None:
    kernel_pid, kernel_parent = map(int, (folder / "kernel.pid").read_text().split())
    assert kernel_parent == os.getpid(), "the kernel was not started by this process"
    # Children that were there before the refresh (another test's, under xdist) are not its.
    left = [child for pid, child in _children().items() if pid not in before]
    assert not left, "left behind: " + ", ".join(
        f"{child.pid} {child.name()} ({child.status()})" for child in left
    )
    assert not psutil.pid_exists(kernel_pid), f"kernel {kernel_pid} is still running"


def test_refresh_leaves_no_kernel_behind(tmp_path):
    path = _one_cell_notebook(tmp_path, RECORD_KERNEL)
    before = _children()
    refresh(path, timeout=60)
    assert nbformat.read(path, as_version=4).cells[0].execution_count == 1
    _assert_nothing_left(tmp_path, before)


def test_refresh_leaves_no_kernel_behind_when_a_cell_raises(tmp_path):
    path = _one_cell_notebook(tmp_path, RECORD_KERNEL + "\nraise ValueError('on purpose')")
    before = _children()
    with pytest.raises(CellExecutionError, match="on purpose"):
        refresh(path, timeout=60)
    _assert_nothing_left(tmp_path, before)
