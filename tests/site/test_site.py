"""The built site, opened in headless Chromium as a reader opens it (runs after `make book`)."""

import re
import shutil

import pytest

from tests.conftest import ROOT
from tools import site_check

SITE = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(
    not site_check.chromium_available(),
    reason=f"browser check skipped: no Chromium at {site_check.CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail("the site is not built: run `make book` first (make test does)")
    return SITE


def test_every_page_loads_cleanly_and_search_finds_the_chapter(site):
    screenshots = ROOT / "_build" / "screenshots"
    problems = site_check.check_site(site, screenshots)
    assert problems == []
    pages = site_check.site_pages(site)
    assert "notebooks/04_bidirectional_merges.html" in pages
    assert len(list(screenshots.glob("*.png"))) == len(pages)


def test_the_check_fails_when_a_figure_file_is_deleted(site, tmp_path):
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    page = "notebooks/02_padding_and_masking.html"
    figures = re.findall(r'<img[^>]*\bsrc="([^"]*_images/[^"]+)"', (copy / page).read_text())
    assert figures, "the padding chapter should have figures"
    deleted = figures[0]
    (copy / "notebooks" / deleted).resolve().unlink()
    problems = site_check.check_site(copy, pages=[page])
    assert any("figure does not decode" in p and deleted in p for p in problems), problems
    assert any("HTTP 404" in p for p in problems), problems


def test_the_check_fails_on_a_console_error(site, tmp_path):
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    index = copy / "book" / "glossary.html"
    index.write_text(
        index.read_text().replace("</body>", "<script>console.error('boom')</script></body>")
    )
    problems = site_check.check_site(copy, pages=["book/glossary.html"])
    assert problems == ["book/glossary.html: console error: boom"]
