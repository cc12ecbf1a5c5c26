"""The site, built fresh and opened in headless Chromium as a reader opens it.

The module builds the book first (tools/build_book.py, what `make book` runs): warnings
are errors, so a broken link or anchor fails here. Under `make test` this file runs on one
pytest-xdist worker while the notebooks run on the other.
"""

import hashlib
import re
import shutil

import pytest

from tests.conftest import NOTEBOOKS, ROOT
from tools import build_book, site_check

SITE = ROOT / "_build" / "html"

needs_chromium = pytest.mark.skipif(
    not site_check.chromium_available(),
    reason=f"browser check skipped: no Chromium at {site_check.CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def site():
    build_book.build(capture=True)  # raises with the builder's output if it fails
    return SITE


def test_the_book_builds_with_a_page_per_chapter(site):
    pages = site_check.site_pages(site)
    for notebook in NOTEBOOKS:
        assert f"notebooks/{notebook.stem}.html" in pages
    assert {"index.html", "search.html", "book/shape_reference.html"} <= set(pages)


# ----- a reproducible build: the same sources give the same bytes -----


def _digests(folder) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def changed_files(first: dict[str, str], second: dict[str, str]) -> list[str]:
    return sorted(
        name for name in first.keys() | second.keys() if first.get(name) != second.get(name)
    )


def test_no_page_carries_a_build_date(site):
    dated = [
        str(path.relative_to(site))
        for path in site.rglob("*.html")
        if re.search(r"Last updated|Built on", path.read_text())
    ]
    assert dated == []


def test_two_builds_give_byte_identical_pages(site, tmp_path):
    """Builds the site again in place: before the browser check, whose screenshots stay."""
    first = _digests(site)
    build_book.build(capture=True)
    assert first, "the first build is empty"
    assert changed_files(first, _digests(SITE)) == []


def test_the_comparison_sees_a_changed_page(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, footer in ((one, "same"), (two, "Last updated on Dec 07, 2026.")):
        (folder / "book").mkdir(parents=True)
        (folder / "index.html").write_text("<p>same</p>")
        (folder / "book" / "page.html").write_text(f"<footer>{footer}</footer>")
    assert changed_files(_digests(one), _digests(two)) == ["book/page.html"]


@needs_chromium
def test_every_page_loads_cleanly_passes_the_audit_and_search_finds_the_chapter(site):
    """Every page in light and dark: no console or HTTP error, every figure decodes, and no
    WCAG 2.1 A/AA violation found by axe-core (tools/a11y_audit.py)."""
    screenshots = ROOT / "_build" / "screenshots"
    problems = site_check.check_site(site, screenshots)
    assert problems == []
    pages = site_check.site_pages(site)
    assert "notebooks/04_bidirectional_merges.html" in pages
    for scheme in ("light", "dark"):
        assert len(list(screenshots.glob(f"*.{scheme}.png"))) == len(pages)


@needs_chromium
def test_the_check_fails_on_a_deleted_figure_and_on_a_console_error(site, tmp_path):
    """A copy of the site, broken three times: a figure file deleted, a console error added,
    a script that throws (as sphinx-thebe's did, declaring THEBE_JS_URL twice on every page
    until tools/sphinx_scripts.py)."""
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    figure_page = "notebooks/02_padding_and_masking.html"
    figures = re.findall(r'<img[^>]*\bsrc="([^"]*_images/[^"]+)"', (copy / figure_page).read_text())
    assert figures, "the padding chapter should have figures"
    deleted = figures[0]
    (copy / "notebooks" / deleted).resolve().unlink()
    error_page = copy / "book" / "glossary.html"
    error_page.write_text(
        error_page.read_text().replace("</body>", "<script>console.error('boom')</script></body>")
    )
    throwing_page = copy / "book" / "intro.html"
    throwing_page.write_text(
        throwing_page.read_text().replace("</body>", "<script>let x; let x;</script></body>")
    )

    problems = site_check.check_site(
        copy,
        pages=[figure_page, "book/glossary.html", "book/intro.html"],
        search=False,
        accessibility=False,
    )
    on_figure_page = [p for p in problems if p.startswith(figure_page)]
    assert any("figure does not decode" in p and deleted in p for p in on_figure_page), problems
    assert any("HTTP 404" in p for p in on_figure_page), problems
    assert [p for p in problems if p.startswith("book/")] == [
        "book/glossary.html: console error: boom",
        "book/intro.html: script error: Identifier 'x' has already been declared",
    ]


@needs_chromium
def test_the_audit_fails_on_planted_violations_in_either_scheme(site, tmp_path):
    """A copy of the site with three planted faults: an image without alt text (both schemes),
    a paragraph unreadable in the dark scheme only, and code names unreadable in the light
    scheme only (a kind of repeated text, audited once per page: still found)."""
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    glossary, chapter = "book/glossary.html", "notebooks/01_outputs_vs_state.html"
    planted = {
        glossary: '<img src="../_static/file.png"><style>html[data-theme="dark"] .planted'
        ' { color: #333 }</style><p class="planted">Hard to read in the dark</p>',
        chapter: '<style>html[data-theme="light"] .highlight .n { color: #ddd }</style>',
    }
    for name, html in planted.items():
        page = copy / name
        article = '<article class="bd-article">'
        page.write_text(page.read_text().replace(article, html + article, 1))
    problems = site_check.check_site(copy, pages=[*planted, "book/intro.html"], search=False)
    found = sorted(p.split(" elements")[0].rsplit(":", 1)[0] for p in problems)
    assert found == [
        f"{glossary}: dark: color-contrast",
        f"{glossary}: dark: image-alt",
        f"{glossary}: light: image-alt",
        f"{chapter}: light: color-contrast",
    ], problems


@needs_chromium
def test_the_audit_reads_imported_stylesheets_where_the_browser_does(site, monkeypatch):
    """axe-core alone fetches the theme's @import "../basic.css" from the wrong folder
    (dequelabs/axe-core#5268): without the fix in tools/a11y_audit.py the check sees a 404."""
    from tools import a11y_audit

    monkeypatch.setattr(a11y_audit, "_IMPORT_HREF_FIX", "undefined")
    problems = site_check.check_site(site, pages=["book/intro.html"], search=False)
    assert "book/intro.html: HTTP 404: basic.css" in problems


def test_the_api_page_renders_every_public_name(site):
    """Each name of rnn_lib.__all__ has its rendered entry (autodoc ran, not raw text)."""
    import rnn_lib

    page = (site / "book" / "api.html").read_text()
    missing = [name for name in rnn_lib.__all__ if f'id="rnn_lib.{name}"' not in page]
    assert missing == []
    assert ".. autofunction::" not in page and ".. py:function::" not in page


# ----- accessibility: figures say what they show -----


def test_every_figure_has_alt_text_saying_what_it_shows(site):
    """Not a file path: the alt text of each figure is a sentence set in the notebook."""
    figures = []
    for path in sorted((site / "notebooks").glob("*.html")):
        figures += [
            (path.name, alt)
            for alt in re.findall(
                r'<img[^>]*\balt="([^"]*)"[^>]*src="[^"]*_images/', path.read_text()
            )
        ]
    assert len(figures) >= 9
    bad = [(page, alt) for page, alt in figures if alt.endswith(".png") or len(alt.split()) < 8]
    assert bad == []


# ----- the shape explorer page and the "Predict first" exercises -----


@needs_chromium
def test_the_explorer_page_shows_what_the_command_line_prints(site):
    """Each configuration of tools/explorer_check.py set in the form, then with the keyboard
    alone: the page shows what `python -m rnn_lib` prints, and its command line."""
    from tools import explorer_check

    screenshot = ROOT / "_build" / "screenshots" / "explorer.filled.png"
    assert explorer_check.check_explorer(site, screenshot=screenshot) == []
    assert screenshot.stat().st_size > 10_000


@needs_chromium
def test_the_explorer_check_fails_when_the_data_file_is_altered(site, tmp_path):
    """A copy of the site whose rules say `concat` keeps `units`: the check sees it."""
    from tools import explorer_check

    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    data = copy / "_static" / "explorer-data.js"
    assert '["units",2,0]' in data.read_text()
    data.write_text(data.read_text().replace('["units",2,0]', '["units",1,0]'))
    concat = ["GRU", "--units", "5", "--merge-mode", "concat"]
    problems = explorer_check.check_explorer(copy, configurations=[concat])
    assert len(problems) == 1, problems
    assert problems[0].startswith("GRU --units 5 --merge-mode concat: the page shows")
    assert "  output  (3, 5)" in problems[0] and "  output  (3, 10)" in problems[0]


def test_every_exercise_answer_is_hidden_until_clicked(site):
    """On every chapter's page, one closed "Show the answer" toggle per exercise."""
    from tools import notebooks

    for path in NOTEBOOKS:
        page = (site / "notebooks" / f"{path.stem}.html").read_text()
        exercises = len(re.findall(r"<strong>Exercise \d+\.</strong>", page))
        toggles = re.findall(r'<details class="admonition hide above-input"( open)?>', page)
        assert exercises in notebooks.EXERCISES_PER_CHAPTER, path.name
        assert toggles == [""] * exercises, path.name  # none open
        assert page.count('"collapsed admonition-title">Show the answer<') == exercises


@needs_chromium
def test_an_answer_opens_with_a_click_and_its_output_shows(site):
    import asyncio

    from playwright.async_api import async_playwright

    async def open_first_answer(base):
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=site_check.chromium_executable(), args=site_check.CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            await page.goto(base + "notebooks/04_bidirectional_merges.html")
            answer = page.locator("div.tag_hide-cell").first
            output = answer.locator("div.cell_output")
            hidden_before = not await output.is_visible()
            await answer.locator("summary").click()
            await output.wait_for(state="visible")
            await answer.screenshot(path=str(ROOT / "_build" / "screenshots" / "exercise.open.png"))
            text = await output.inner_text()
            await browser.close()
            return hidden_before, text

    with site_check.serve(site) as base:
        hidden_before, text = asyncio.run(open_first_answer(base))
    assert hidden_before
    assert "(2, 7, 5)" in text


def _section_ids(html: str) -> set[str]:
    return set(re.findall(r'<section id="([^"]+)"', html))


def test_every_section_the_explorer_links_to_is_on_the_built_page(site):
    """The page's script writes its links itself, so MyST does not translate them: each anchor
    must be the id Sphinx gives the section (not MyST's slug, which has no target)."""
    from rnn_lib import explorer

    for page, anchor, _ in explorer.SECTIONS.values():
        ids = _section_ids((site / f"{page}.html").read_text())
        assert anchor in ids, f"{page}#{anchor}"
    chapter = (site / "notebooks" / "01_outputs_vs_state.html").read_text()
    assert "return_sequencestrue-the-output-at-every-step" not in _section_ids(chapter)


@needs_chromium
def test_the_explorer_reader_checks_fail_on_a_chatty_status_and_a_page_too_wide(site, tmp_path):
    """A copy whose status is announced at every key and whose form keeps two columns on a
    phone: the check reports both."""
    from tools import explorer_check

    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    script = copy / "_static" / "explorer.js"
    script.write_text(script.read_text().replace("if (announce)", "if (true)"))
    page = copy / "book" / "explorer.html"
    page.write_text(page.read_text().replace("grid-template-columns: minmax(0, 1fr); }", "}"))
    problems = explorer_check.check_explorer(copy, configurations=[])
    assert [problem.split(":")[0] for problem in problems] == [
        "typing a shape announced 3 statuses",  # 1 sizes, 2 sizes, 3 sizes
        "320 pixels wide",
    ], problems
