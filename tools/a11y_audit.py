"""Audit the built site for accessibility: axe-core's WCAG 2.1 A and AA rules, light and dark.

    python -m tools.a11y_audit _build/html

Serves the folder as tools/site_check does, opens every page in Debian's Chromium in the light
and in the dark colour scheme (the theme follows ``prefers-color-scheme``), runs axe-core
(bundled by the pinned ``axe-playwright-python``: no CDN, no download) and reports every
violation as ``page (scheme): rule: N elements``. With ``screenshots``, it also saves each
audited page's first screen per scheme (``<page>.<scheme>.png``).
Exit status 1 if anything is reported; 0 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from tools import site_check

SCHEMES = ("light", "dark")
#: axe-core rule tags for WCAG 2.1 levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def audit_site(
    directory: Path, pages: list[str] | None = None, screenshots: Path | None = None
) -> list[str]:
    """Every WCAG 2.1 A/AA violation of every page, in both colour schemes (empty if none)."""
    pages = site_check.site_pages(directory) if pages is None else pages
    with site_check.serve(directory) as base:
        return asyncio.run(_audit(base, pages, screenshots))


async def _audit(base: str, pages: list[str], screenshots: Path | None) -> list[str]:
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    axe, problems = Axe(), []
    executable = str(site_check.CHROMIUM)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=site_check.CHROMIUM_ARGS
        )
        try:
            for scheme in SCHEMES:
                tab = await browser.new_page(
                    viewport={"width": 1300, "height": 900}, color_scheme=scheme
                )
                for name in pages:
                    await tab.goto(base + name, wait_until="networkidle")
                    problems += _violations(await axe.run(tab, options=_OPTIONS), name, scheme)
                    if screenshots is not None:
                        target = screenshots / f"{name.removesuffix('.html')}.{scheme}.png"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        await tab.screenshot(path=str(target))
                await tab.close()
        finally:
            await browser.close()
    return problems


def _violations(results: Any, name: str, scheme: str) -> list[str]:
    return [
        f"{name} ({scheme}): {violation['id']}: {len(violation['nodes'])} elements"
        f" ({violation['help']})"
        for violation in results.response["violations"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--screenshots", type=Path, help="folder for light and dark screenshots")
    args = parser.parse_args(argv)
    problems = audit_site(args.site, screenshots=args.screenshots)
    print("\n".join(problems) or "no WCAG 2.1 A/AA violation, light or dark")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
