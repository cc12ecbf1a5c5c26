"""Open the built site in a real headless browser and report what a reader would hit.

    python tools/site_check.py _build/html

Serves the folder on 127.0.0.1 (a free port), opens every page in Debian's
Chromium driven by Playwright (no browser download), and reports:

* console errors, failed requests and HTTP errors for assets of the site;
* figures that do not decode (``naturalWidth == 0``);
* a search for "Bidirectional" that does not list the Bidirectional chapter.

A full-page screenshot of each page goes to ``_build/screenshots/``.
Exit status 1 if anything is reported; 0 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def chromium_available() -> bool:
    return CHROMIUM.is_file() or shutil.which("chromium") is not None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 on a free port; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


def check_site(
    directory: Path, screenshots: Path | None = None, pages: list[str] | None = None
) -> list[str]:
    """Every problem found on ``pages`` (default: all) of the site in ``directory``."""
    from playwright.sync_api import sync_playwright

    directory = Path(directory)
    if not (directory / "index.html").is_file():
        return [f"{directory}: no index.html; build the site first (make book)"]
    pages = site_pages(directory) if pages is None else pages
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    executable = str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium"))
    with serve(directory) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for name in pages:
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                found: list[str] = []
                page.on(
                    "console",
                    lambda message, found=found: (
                        found.append(f"console error: {message.text}")
                        if message.type == "error"
                        else None
                    ),
                )
                page.on(
                    "requestfailed",
                    lambda request, found=found: (
                        found.append(f"request failed: {request.url.removeprefix(base)}")
                        if request.url.startswith(base)
                        else None
                    ),
                )
                page.on(
                    "response",
                    lambda response, found=found: (
                        found.append(f"HTTP {response.status}: {response.url.removeprefix(base)}")
                        if response.url.startswith(base) and response.status >= 400
                        else None
                    ),
                )
                page.goto(base + name, wait_until="networkidle")
                broken = page.evaluate(
                    "Array.from(document.images)"
                    ".filter(image => !image.complete || image.naturalWidth === 0)"
                    ".map(image => image.getAttribute('src'))"
                )
                found += [f"figure does not decode: {src}" for src in broken]
                if screenshots is not None:
                    target = screenshots / (name.replace("/", "__").removesuffix(".html") + ".png")
                    page.screenshot(path=str(target), full_page=True)
                problems += [f"{name}: {problem}" for problem in found]
                page.close()
            problems += _check_search(browser, base)
        finally:
            browser.close()
    return problems


def _check_search(browser: object, base: str) -> list[str]:
    page = browser.new_page()
    try:
        page.goto(f"{base}search.html?q={SEARCH_TERM}", wait_until="networkidle")
        page.wait_for_selector("#search-results li a", timeout=15000)
        links = page.evaluate(
            "Array.from(document.querySelectorAll('#search-results li a'))"
            ".map(a => a.getAttribute('href'))"
        )
    except Exception as error:  # a timeout: the search listed nothing
        return [f"search for {SEARCH_TERM!r}: no results ({type(error).__name__})"]
    finally:
        page.close()
    if not any(link.split("#")[0].endswith(SEARCH_EXPECTED) for link in links):
        return [f"search for {SEARCH_TERM!r} does not list {SEARCH_EXPECTED}: {links[:5]}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument(
        "--screenshots", type=Path, default=Path("_build/screenshots"), help="where to save"
    )
    args = parser.parse_args(argv)
    if not chromium_available():
        print(f"site check skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
        return 0
    problems = check_site(args.site, args.screenshots)
    for problem in problems:
        print(problem)
    print(f"{len(site_pages(args.site))} pages checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
