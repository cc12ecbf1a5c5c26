"""Fill the shape explorer page's form in headless Chromium and compare it with the CLI.

    python -m tools.explorer_check _build/html

For each configuration of ``CONFIGURATIONS`` (arguments of ``python -m rnn_lib``), the
check sets the page's controls as a reader would, then compares what the page shows with
what ``python -m rnn_lib`` prints for the same arguments (run in this process: the same
code, one TensorFlow import), and the command line the page prints with those arguments.
It also drives the form with the keyboard alone (Tab, arrow keys, typing, Space), and as a
reader does otherwise (``_reader``: a pasted tuple, a layer too big for the command line, a
shape typed key by key, a 320-pixel-wide screen).
Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import sys
from pathlib import Path
from typing import Any

from tools import site_check

PAGE = "book/explorer.html"

#: Every layer, flag and merge mode, both paddings, and sizes far beyond memory.
CONFIGURATIONS: list[list[str]] = [
    ["LSTM", "--units", "4"],
    ["LSTM", "--units", "4", "--return-sequences", "--return-state"],
    ["GRU", "--units", "6", "--return-state", "--merge-mode", "none",
     "--input-shape", "2", "9", "3"],
    ["SimpleRNN", "--units", "3", "--return-sequences", "--merge-mode", "concat"],
    ["GRU", "--units", "5", "--return-sequences", "--return-state", "--merge-mode", "ave"],
    ["LSTM", "--units", "7", "--return-state", "--merge-mode", "mul",
     "--input-shape", "1", "1", "1"],
    ["SimpleRNN", "--units", "2", "--return-state", "--merge-mode", "sum"],
    ["LSTM", "--units", "8", "--return-sequences", "--input-shape",
     "100000", "1000000000000", "3"],
    ["ConvLSTM1D", "--units", "2", "--kernel-size", "2", "--padding", "valid", "--return-state"],
    ["ConvLSTM2D", "--units", "4", "--return-state", "--merge-mode", "none",
     "--input-shape", "3", "5", "6", "7", "2"],
    ["ConvLSTM2D", "--units", "3", "--padding", "valid", "--return-sequences",
     "--merge-mode", "concat"],
    ["ConvLSTM3D", "--units", "5", "--kernel-size", "1", "--return-sequences", "--return-state"],
]  # fmt: skip

#: Typed with the keyboard alone: GRU, 7 units, return_sequences=True.
KEYBOARD_CONFIGURATION = [
    "GRU",
    "--units",
    "7",
    "--return-sequences",
    "--input-shape",
    "3",
    "5",
    "2",
]


def command_line_output(arguments: list[str]) -> str:
    """What ``python -m rnn_lib ARGUMENTS`` prints (rnn_lib.cli run in this process)."""
    from rnn_lib import cli

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = cli.main(arguments)
    if status != 0:
        raise RuntimeError(f"python -m rnn_lib {' '.join(arguments)} exited {status}")
    return output.getvalue().rstrip("\n")


def _page_command(arguments: list[str]) -> str:
    """The command the page prints for ``arguments``: conv options and input shape explicit."""
    from rnn_lib import explorer, shapes

    config = explorer.cli_configuration(arguments)
    parts = ["python -m rnn_lib", config["kind"], "--units", str(config["units"])]
    parts += ["--return-sequences"] * config["return_sequences"]
    parts += ["--return-state"] * config["return_state"]
    if config["merge_mode"] != "no Bidirectional":
        parts += ["--merge-mode", config["merge_mode"].lower()]
    if config["kind"] in shapes.CONV_LSTM_KINDS:
        parts += ["--kernel-size", str(config["kernel_size"]), "--padding", config["padding"]]
    return " ".join([*parts, "--input-shape", *map(str, config["input_shape"])])


async def _fill(page: Any, arguments: list[str]) -> None:
    from rnn_lib import explorer, shapes

    config = explorer.cli_configuration(arguments)
    await page.select_option("#explorer-layer", config["kind"])
    await page.fill("#explorer-units", str(config["units"]))
    await page.set_checked("#explorer-return-sequences", config["return_sequences"])
    await page.set_checked("#explorer-return-state", config["return_state"])
    await page.select_option("#explorer-merge", config["merge_mode"])
    await page.fill("#explorer-input-shape", " ".join(map(str, config["input_shape"])))
    if config["kind"] in shapes.CONV_LSTM_KINDS:
        await page.fill("#explorer-kernel-size", str(config["kernel_size"]))
        await page.select_option("#explorer-padding", config["padding"])


async def _shown(page: Any) -> tuple[str, str, str]:
    return (
        await page.inner_text("#explorer-result"),
        await page.inner_text("#explorer-command"),
        await page.inner_text("#explorer-error"),
    )


def _compare(arguments: list[str], shown: tuple[str, str, str]) -> list[str]:
    result, command, error = shown
    label = " ".join(arguments)
    if error:
        return [f"{label}: the page shows an error: {error}"]
    problems = []
    expected = command_line_output(arguments)
    if result.rstrip("\n") != expected:
        problems.append(f"{label}: the page shows\n{result}\npython -m rnn_lib prints\n{expected}")
    if command != _page_command(arguments):
        problems.append(f"{label}: the page's command is {command!r}")
    return problems


async def _keyboard(page: Any) -> list[str]:
    """Reach the form with Tab, pick GRU with the arrow keys, type the units, tick a box."""
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "explorer-layer":
            break
    else:
        return ["keyboard: Tab never reaches the layer menu"]
    # SimpleRNN, GRU, LSTM (selected) ...: one step up is GRU.
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("7")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    return _compare(KEYBOARD_CONFIGURATION, await _shown(page))


async def _reader(page: Any) -> list[str]:
    """What a reader does besides picking options: paste a tuple, ask for a layer too big for
    the command line, type a shape key by key (the status a screen reader reads changes once,
    when the field is left, not at every key), read it on a phone 320 pixels wide."""
    problems = []
    await _fill(page, ["LSTM", "--units", "4"])
    await page.fill("#explorer-input-shape", "(3, 5, 2)")
    if not (await _shown(page))[1].endswith("--input-shape 3 5 2"):
        problems.append(f"a pasted tuple: the command is {(await _shown(page))[1]!r}")
    await page.fill("#explorer-units", "20000")
    if not await page.is_visible("#explorer-too-big"):
        problems.append("units 20000 (1,600,240,000 weights): no note that the CLI refuses it")
    await page.fill("#explorer-units", "4")
    if await page.is_visible("#explorer-too-big"):
        problems.append("units 4: the note that the CLI refuses the layer is shown")
    await page.fill("#explorer-input-shape", "")
    before = await page.inner_text("#explorer-status")
    statuses = set()
    for key in "10 20 3":
        await page.keyboard.type(key)
        statuses.add(await page.inner_text("#explorer-status"))
    if statuses != {before}:
        problems.append(f"typing a shape announced {len(statuses)} statuses: {sorted(statuses)}")
    await page.keyboard.press("Tab")
    status = await page.inner_text("#explorer-status")
    if not status.startswith("Returns one tensor: output (10, 4)"):
        problems.append(f"after typing (10, 20, 3) the status is {status!r}")
    await page.set_viewport_size({"width": 320, "height": 700})
    await _fill(page, ["ConvLSTM3D", "--units", "4", "--merge-mode", "none"])
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"320 pixels wide: the page scrolls sideways by {overflow} pixels")
    return problems


async def _run(base: str, configurations: list[list[str]], screenshot: Path | None) -> list[str]:
    from playwright.async_api import async_playwright

    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=site_check.chromium_executable(), args=site_check.CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            await page.goto(base + PAGE, wait_until="networkidle")
            for arguments in configurations:
                await _fill(page, arguments)
                problems += _compare(arguments, await _shown(page))
            if screenshot is not None:
                await page.locator("article").screenshot(path=str(screenshot))
            await page.goto(base + PAGE, wait_until="networkidle")
            problems += await _keyboard(page)
            problems += await _reader(page)
        finally:
            await browser.close()
    return problems


def check_explorer(
    directory: Path,
    configurations: list[list[str]] | None = None,
    screenshot: Path | None = None,
) -> list[str]:
    """Every difference between the explorer page in ``directory`` and ``python -m rnn_lib``.

    With ``screenshot``, a PNG of the page after the last configuration goes there.
    """
    configurations = CONFIGURATIONS if configurations is None else configurations
    with site_check.serve(Path(directory)) as base:
        return asyncio.run(_run(base, configurations, screenshot))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    args = parser.parse_args(argv)
    problems = check_explorer(args.site)
    for problem in problems:
        print(problem)
    print(f"{len(CONFIGURATIONS) + 1} configurations checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
