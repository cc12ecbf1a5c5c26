"""axe-core's WCAG 2.1 A and AA audit of a page open in Playwright, in either colour scheme.

Used by tools/site_check.py, which audits every page of the site in the light and in the dark
scheme (``python -m tools.site_check _build/html``). axe-core is the copy bundled by the
pinned ``axe-playwright-python``: no CDN, no download.

Every rule runs on every element but one: the colour-contrast rule, which costs about 2.5 ms
per element of text (measured: 3.0 s for the 1,308 of the padded-batches chapter, 7.2 s for
the 2,680 of the API page), audits each *kind* of repeated text once per page and scheme. The
kinds are the tokens of highlighted code and Sphinx's inline-code words (``REPEATED_TEXT``):
an element whose tag, class, colour, font, opacity, shadow and solid background all equal
those of one already seen is left to that one (``_MARK_REPEATS``). With it, the two schemes
of those two pages take 1.1 and 3.7 s instead of 3.9 and 9.0 s each.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

SCHEMES = ("light", "dark")
#: axe-core rule tags for WCAG 2.1 levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
#: Elements whose kinds repeat by the thousand on a page: code tokens, inline-code words.
REPEATED_TEXT = "div.highlight pre span, span.pre"
_REPEAT = "data-audit-repeat"


@cache
def _axe_script() -> str:
    from axe_playwright_python.async_playwright import Axe

    return Axe().axe_script


async def use_scheme(page: Any, scheme: str) -> None:
    """Switch the page to ``scheme`` as a reader's system setting would, and wait for the theme.

    The theme follows ``prefers-color-scheme`` (its "auto" mode) and marks the scheme it
    applied on ``<html data-theme=...>``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {SCHEMES}, received {scheme!r}")
    await page.emulate_media(color_scheme=scheme)
    await page.wait_for_function(
        f"document.documentElement.dataset.theme === {json.dumps(scheme)}", timeout=10_000
    )
    # The colours may change through CSS transitions: audit the colours they end on.
    await page.evaluate(_TRANSITIONS_DONE)


_TRANSITIONS_DONE = """Promise.allSettled(document.getAnimations()
    .filter(animation => isFinite(animation.effect.getComputedTiming().endTime))
    .map(animation => animation.finished))"""

# axe-core fetches the stylesheets a page @imports (for its css-orientation-lock rule) from the
# URL as written, resolved against the page instead of the stylesheet that imports it:
# https://github.com/dequelabs/axe-core/issues/5268 (the theme's styles/theme.css imports
# ../basic.css, so axe asked for /basic.css, got a 404 and audited the error page as CSS).
# Until a release has the fix (dequelabs/axe-core#5269), the href axe reads is made absolute
# as a browser resolves it; the browser itself does not read this property.
_IMPORT_HREF_FIX = """(() => {
  const own = Object.getOwnPropertyDescriptor(CSSImportRule.prototype, "href");
  if (own.get.fixedForAxe) return;
  const get = function () {
    const base = (this.parentStyleSheet && this.parentStyleSheet.href) || document.baseURI;
    return new URL(own.get.call(this), base).href;
  };
  get.fixedForAxe = true;
  Object.defineProperty(CSSImportRule.prototype, "href", { ...own, get });
})()"""


async def violations(page: Any) -> list[str]:
    """Each WCAG 2.1 A/AA rule the page breaks, as ``rule: N elements (what it asks)``."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_IMPORT_HREF_FIX)
        await page.evaluate(_axe_script())
        await page.evaluate(_CONTRAST_SKIPS_REPEATS)
    await page.evaluate(_MARK_REPEATS, REPEATED_TEXT)  # again in each scheme: colours change
    results = await page.evaluate(f"axe.run(document, {json.dumps(_OPTIONS)})")
    return [
        f"{violation['id']}: {len(violation['nodes'])} elements ({violation['help']})"
        for violation in results["violations"]
    ]


_CONTRAST_SKIPS_REPEATS = f"""axe.configure({{rules: [
    {{id: "color-contrast", selector: "*:not([{_REPEAT}])"}}]}})"""

_MARK_REPEATS = f"""(selector) => {{
  for (const old of document.querySelectorAll("[{_REPEAT}]")) old.removeAttribute("{_REPEAT}");
  const solidBackground = (element) => {{
    for (let node = element; node; node = node.parentElement) {{
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") return null;  // not one colour: audit it
      if (style.backgroundColor !== "rgba(0, 0, 0, 0)") return style.backgroundColor;
    }}
    return "canvas";
  }};
  const seen = new Set();
  for (const element of document.querySelectorAll(selector)) {{
    const style = getComputedStyle(element), background = solidBackground(element);
    if (background === null || element.children.length) continue;
    const kind = [element.tagName, element.className, style.color, style.fontSize,
      style.fontWeight, style.opacity, style.textShadow, background].join("|");
    if (seen.has(kind)) element.setAttribute("{_REPEAT}", "");
    else seen.add(kind);
  }}
}}"""
