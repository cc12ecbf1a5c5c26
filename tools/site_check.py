"""Open the built site in a real headless browser and report what a reader would hit.

    python -m tools.site_check _build/html

Serves the folder on 127.0.0.1 (a free port), opens every page in Debian's
Chromium driven by Playwright (no browser download), and reports:

* console errors, uncaught script errors, failed requests and HTTP errors for assets of the
  site;
* figures that do not decode (``naturalWidth == 0``);
* every WCAG 2.1 A/AA violation axe-core finds, in the light and in the dark colour scheme
  (tools/a11y_audit.py);
* a search for "Bidirectional" that does not list the Bidirectional chapter.

A screenshot of each page in each scheme (its first screen; ``--full-page`` for all of it)
goes to ``_build/screenshots/<page>.<scheme>.png``.
Exit status 1 if anything is reported; 0 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import a11y_audit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEARCH_TERM = "Bidirectional"
SEARCH_EXPECTED = "notebooks/04_bidirectional_merges.html"
_SEARCH = f"search.html?q={SEARCH_TERM}"
_IN_DARK = "matchMedia('(prefers-color-scheme: dark)').matches"


def chromium_available() -> bool:
    return CHROMIUM.is_file() or shutil.which("chromium") is not None


def chromium_executable() -> str:
    return str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A tab that moves on cancels its unfinished downloads; the browser reports those
        # itself (the "requestfailed" listener), so the server need not print a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 on a free port; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(directory: Path) -> list[str]:
    """Every HTML page of the site, relative to its root (assets excluded)."""
    return sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*.html")
        if not path.relative_to(directory).parts[0].startswith("_")
    )


@dataclass(frozen=True)
class _Options:
    screenshots: Path | None
    full_page: bool
    accessibility: bool


def check_site(
    directory: Path,
    screenshots: Path | None = None,
    pages: list[str] | None = None,
    *,
    tabs: int = 2,
    search: bool = True,
    full_page: bool = False,
    accessibility: bool = True,
) -> list[str]:
    """Every problem found on ``pages`` (default: all) of the site in ``directory``.

    With ``screenshots``, a PNG of each page goes there: what a reader first sees
    (1300 x 900), or with ``full_page`` the whole page, which costs a few times more.
    With ``search``, also search for "Bidirectional" on the search page. With
    ``accessibility``, run axe-core on each page in the light, then the dark colour scheme
    (the page is loaded once; the scheme is switched as a reader's system setting would).

    The pages are shared among ``tabs`` browser tabs that each load one page after another.
    A tab is reused because opening a new one starts a renderer process, which cost more CPU
    than loading the page itself (measured: 15.8 against 3.7 CPU seconds for the 15 pages).
    """
    directory = Path(directory)
    if not (directory / "index.html").is_file():
        return [f"{directory}: no index.html; build the site first (make book)"]
    pages = site_pages(directory) if pages is None else pages
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    jobs = [*pages, _SEARCH] if search else list(pages)
    with serve(directory) as base:
        found = asyncio.run(_run(base, jobs, tabs, _Options(screenshots, full_page, accessibility)))
    return [problem for job in jobs for problem in found[job]]


async def _run(base: str, jobs: list[str], tabs: int, options: _Options) -> dict[str, list[str]]:
    from playwright.async_api import async_playwright

    executable = chromium_executable()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    found: dict[str, list[str]] = {}

    async def tab(browser: Any) -> None:
        page = await browser.new_page(viewport={"width": 1300, "height": 900})
        problems: list[str] = []
        _listen(page, base, problems)
        while not queue.empty():
            job = queue.get_nowait()
            problems.clear()
            if job == _SEARCH:
                search_problems = await _check_search(page, base)
                found[job] = [f"search.html: {problem}" for problem in problems]
                found[job] += search_problems
            else:
                await _check_page(page, base, job, problems, options)
                found[job] = [f"{job}: {problem}" for problem in problems]
        await page.close()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(tab(browser) for _ in range(max(1, min(tabs, len(jobs))))))
        finally:
            await browser.close()
    return found


def _listen(page: Any, base: str, found: list[str]) -> None:
    """Record console errors and failed requests for the site's own URLs into ``found``."""

    def on_console(message: Any) -> None:
        if message.type == "error":
            found.append(f"console error: {message.text}")

    def on_request_failed(request: Any) -> None:
        # A request the browser itself cancelled (net::ERR_ABORTED: e.g. the favicon, when the
        # tab moves on to the next page first, as it does on a loaded machine) is no fault
        # of the site; a missing file shows as an HTTP error below.
        if request.url.startswith(base) and "ERR_ABORTED" not in (request.failure or ""):
            found.append(f"request failed: {request.url.removeprefix(base)} ({request.failure})")

    def on_response(response: Any) -> None:
        if response.url.startswith(base) and response.status >= 400:
            found.append(f"HTTP {response.status}: {response.url.removeprefix(base)}")

    def on_page_error(error: Any) -> None:  # an uncaught exception: not a console message
        found.append(f"script error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)


async def _check_page(page: Any, base: str, name: str, found: list[str], options: _Options) -> None:
    await page.goto(base + name, wait_until="networkidle")
    broken = await page.evaluate(
        "Array.from(document.images)"
        ".filter(image => !image.complete || image.naturalWidth === 0)"
        ".map(image => image.getAttribute('src'))"
    )
    found += [f"figure does not decode: {src}" for src in broken]
    schemes = a11y_audit.SCHEMES if options.accessibility else a11y_audit.SCHEMES[:1]
    if options.accessibility and await page.evaluate(_IN_DARK):
        schemes = schemes[::-1]  # the tab is still dark from its last page: start there
    for scheme in schemes:
        await a11y_audit.use_scheme(page, scheme)
        if options.accessibility:
            found += [f"{scheme}: {rule}" for rule in await a11y_audit.violations(page)]
        if options.screenshots is not None:
            stem = name.replace("/", "__").removesuffix(".html")
            target = options.screenshots / f"{stem}.{scheme}.png"
            await page.screenshot(path=str(target), full_page=options.full_page)


async def _check_search(page: Any, base: str) -> list[str]:
    try:
        await page.goto(base + _SEARCH, wait_until="networkidle")
        await page.wait_for_selector("#search-results li a", timeout=15000)
        links = await page.evaluate(
            "Array.from(document.querySelectorAll('#search-results li a'))"
            ".map(a => a.getAttribute('href'))"
        )
    except Exception as error:  # a timeout: the search listed nothing
        return [f"search for {SEARCH_TERM!r}: no results ({type(error).__name__})"]
    if not any(link.split("#")[0].endswith(SEARCH_EXPECTED) for link in links):
        return [f"search for {SEARCH_TERM!r} does not list {SEARCH_EXPECTED}: {links[:5]}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument(
        "--screenshots", type=Path, default=Path("_build/screenshots"), help="where to save"
    )
    parser.add_argument(
        "--full-page", action="store_true", help="screenshot whole pages, not the first screen"
    )
    args = parser.parse_args(argv)
    if not chromium_available():
        print(f"site check skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
        return 0
    problems = check_site(args.site, args.screenshots, full_page=args.full_page)
    for problem in problems:
        print(problem)
    print(f"{len(site_pages(args.site))} pages checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
