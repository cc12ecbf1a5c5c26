"""Run every chapter in a real JupyterLab, as a reader does, and check what it saves.

    python -m tools.lab_check [NOTEBOOK ...]      (part of `make reliability`)

The notebooks, without their outputs, and the book's pages are copied to a temporary folder
(the working tree is never written; every output saved is one JupyterLab produced).
JupyterLab is started on it with `make lab`'s own command (tools/lab.py), headless, on
127.0.0.1 with a random token and its own settings, workspaces and runtime folders. For each
chapter, Debian's Chromium opens it through JupyterLab's UI and runs *Kernel > Restart Kernel
and Run All Cells*; once every code cell has run, the notebook is saved (Ctrl+S) and its
kernel shut down. The saved file is then compared with the stored one:

* an error in a cell not tagged ``raises-exception``, or a ``stderr`` stream, is a failure;
* so is a text output that differs from the stored one (nbval's comparison, in the client
  people use);
* so is any other byte that differs: `git diff` would not be empty after saving.

Prints each chapter's time and exits 1 on any failure. The server is shut down through its API
(which shuts its kernels down), then stopped; every process it started is checked gone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from tools import lab, site_check
from tools.notebooks import ROOT, _output_text, notebook_paths

#: JupyterLab settings for the run: every cell in the page (no windowing), so that the check
#: can see each cell's prompt; no news or update checks (no network).
_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
RUN_ALL = "Restart Kernel and Run All Cells"
CELL_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def jupyterlab(folder: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab serving ``folder``; yields (base URL, token). Leaves nothing running."""
    import psutil

    token, port = secrets.token_hex(16), _free_port()
    state = folder.parent / "jupyter"
    for name, settings in _SETTINGS.items():
        target = state / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTER_CONFIG_DIR": str(state / "config"),
    }
    command = lab.lab_command(
        [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
        ],
        served=folder,
    )
    log = (state / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    started: list[Any] = []
    try:
        _wait_for(base + f"api/status?token={token}", server)
        yield base, token
    finally:
        try:
            started = psutil.Process(server.pid).children(recursive=True)
            _api(base, token, "api/shutdown", "POST")
            server.wait(timeout=30)
        except Exception:
            server.terminate()
            server.wait(timeout=30)
        log.close()
        _, alive = psutil.wait_procs(started, timeout=15)
        for process in alive:
            process.kill()
        if alive:
            raise RuntimeError(f"processes left running by JupyterLab (now killed): {alive}")


def _api(base: str, token: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(
        base + path, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait_for(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer {url} in {timeout} s")


async def _run_in_lab(base: str, token: str, names: list[str]) -> dict[str, float]:
    """Run each notebook through the UI and save it; return the seconds each run took."""
    from playwright.async_api import async_playwright

    seconds = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(site_check.CHROMIUM), args=site_check.CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            for name in names:
                seconds[name] = await _run_one(page, base, token, name)
        finally:
            await browser.close()
    return seconds


async def _run_one(page: Any, base: str, token: str, name: str) -> float:
    await page.goto(f"{base}lab/tree/notebooks/{name}?reset&token={token}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    await notebook.wait_for(timeout=60_000)
    await page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    await page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    start = time.perf_counter()
    await page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    await page.locator(".lm-Menu-itemLabel", has_text=RUN_ALL).click()
    await page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart"
    await page.wait_for_function(
        """() => {
          const cells = document.querySelectorAll(".jp-Notebook .jp-CodeCell");
          const prompts = [...cells].map(cell => cell.querySelector(".jp-InputPrompt").textContent);
          return cells.length > 0 && prompts.every(text => /^\\[\\d+\\]:$/.test(text.trim()))
            && document.querySelector(".jp-Notebook-ExecutionIndicator")
                 .getAttribute("data-status") === "idle";
        }""",
        timeout=CELL_TIMEOUT_S * 1000,
        polling=250,
    )
    seconds = time.perf_counter() - start
    await page.keyboard.press("Control+s")
    await page.wait_for_function(
        "!document.querySelector('.jp-DocumentWidget:not(.lm-mod-hidden).jp-mod-dirty')"
        " && !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
        timeout=30_000,
    )
    sessions = _api(base, token, "api/sessions")
    for session in sessions:
        _api(base, token, f"api/sessions/{session['id']}", "DELETE")
    return seconds


def compare(saved: Path, stored: Path) -> list[str]:
    """What is wrong with ``saved`` (run and saved in JupyterLab) against ``stored``."""
    problems = []
    new, old = nbformat.read(saved, as_version=4), nbformat.read(stored, as_version=4)
    for number, (cell, before) in enumerate(zip(new.cells, old.cells, strict=True), start=1):
        if cell.cell_type != "code":
            continue
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        for output in cell.outputs:
            if output.output_type == "error" and not tagged:
                problems.append(f"cell {number}: {output.ename}: {output.evalue}")
            if output.get("name") == "stderr":
                problems.append(f"cell {number}: stderr: {output.text.strip()[:200]}")
        texts = [_output_text(output) for output in cell.outputs]
        if texts != [_output_text(output) for output in before.outputs]:
            problems.append(f"cell {number}: the text output differs from the stored one")
    if not problems and saved.read_bytes() != stored.read_bytes():
        problems.append("saved file differs from the stored one (git diff is not empty)")
    return problems


def _write_without_outputs(path: Path, target: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(notebook, target)


def check(paths: list[Path]) -> int:
    with tempfile.TemporaryDirectory(prefix="lab_check_") as temporary:
        folder = Path(temporary) / "book_copy"
        (folder / "notebooks").mkdir(parents=True)
        shutil.copytree(ROOT / "book", folder / "book")
        for path in paths:  # without outputs: whatever is saved, JupyterLab produced
            _write_without_outputs(path, folder / "notebooks" / path.name)
        with jupyterlab(folder) as (base, token):
            seconds = asyncio.run(_run_in_lab(base, token, [path.name for path in paths]))
        failures = 0
        for path in paths:
            problems = compare(folder / "notebooks" / path.name, path)
            failures += bool(problems)
            status = "ok" if not problems else f"{len(problems)} problem(s)"
            print(f"{path.name}: {seconds[path.name]:.1f} s in JupyterLab, {status}")
            for problem in problems:
                print(f"  {problem}")
    print(f"{len(paths)} notebook(s) run in JupyterLab, {failures} with problems")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, metavar="NOTEBOOK")
    args = parser.parse_args(argv)
    if not site_check.chromium_available():
        print(f"JupyterLab check skipped: no Chromium at {site_check.CHROMIUM}")
        return 0
    return check([path.resolve() for path in args.paths] or notebook_paths())


if __name__ == "__main__":
    sys.exit(main())
