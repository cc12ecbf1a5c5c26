"""The book's configuration: what is built, from what, and the versions the intro states."""

import re

import pytest
import yaml

from tests.conftest import NOTEBOOKS, ROOT


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    files = list(_toc_files(toc))
    for entry in files:
        candidates = [ROOT / f"{entry}{suffix}" for suffix in ("", ".md", ".ipynb")]
        assert any(path.is_file() for path in candidates), f"_toc.yml entry {entry} is missing"
    for notebook in NOTEBOOKS:
        entry = notebook.relative_to(ROOT).with_suffix("").as_posix()
        assert entry in files, f"{notebook.name} is not listed in _toc.yml"


def test_the_book_renders_stored_outputs_and_executes_nothing():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    assert ".venv" in config["exclude_patterns"]


def _pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version.strip()
    return pins


def test_requirements_pin_every_package_exactly():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "-e ." in lines
    unpinned = [line for line in lines if line != "-e ." and "==" not in line]
    assert unpinned == []
    pins = _pins()
    assert pins["jupyter-book"].startswith("1.")
    assert pins["tensorflow"] == "2.21.0" and pins["tf-keras"] == "2.21.0"
    assert pins["nbval"] == "0.11.0"


def test_intro_states_the_pinned_versions():
    intro = (ROOT / "book" / "intro.md").read_text()
    stated = dict(re.findall(r"(TensorFlow|Keras|NumPy) (\d+\.\d+\.\d+)", intro))
    pins = _pins()
    assert stated == {
        "TensorFlow": pins["tensorflow"],
        "Keras": pins["keras"],
        "NumPy": pins["numpy"],
    }


def test_shape_reference_page_is_generated_from_keras():
    """book/shape_reference.md must be exactly what the code produces now (`make reference`)."""
    import difflib

    from rnn_lib import shapes

    committed = (ROOT / "book" / "shape_reference.md").read_text()
    generated = shapes.reference_markdown()
    difference = "\n".join(
        difflib.unified_diff(committed.splitlines(), generated.splitlines(), lineterm="", n=0)
    )
    assert committed == generated, f"run `make reference`; differences:\n{difference}"


def test_shape_reference_covers_every_configuration():
    page = (ROOT / "book" / "shape_reference.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    # recurrent layers, Bidirectional, ConvLSTM1D/2D/3D ("same" x flags, then "valid" once
    # each), Bidirectional states to a decoder, attention layers
    assert len(rows) == 3 * 2 * 2 + 3 * 5 * 2 * 2 + (3 * 2 * 2 + 3) + 3 + 2 * 2


def _heading_anchors(notebook_path):
    """The anchors MyST makes for a notebook's headings (levels 1-3, myst_heading_anchors: 3)."""
    import nbformat
    from myst_parser.mdit_to_docutils.base import default_slugify

    anchors = set()
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^(#{1,3}) (.+)$", line)
            if match:
                text = re.sub(r"`([^`]*)`", r"\1", match.group(2))  # rendered text, no backticks
                anchors.add(default_slugify(text))
    return anchors


def _links(page):
    return re.findall(r"\]\((\.\./notebooks/[^)#]+\.ipynb)(?:#([^)]+))?\)", page.read_text())


@pytest.mark.parametrize(
    "page", ["misconceptions.md", "intro.md", "glossary.md", "shape_reference.md"]
)
def test_links_from_book_pages_lead_to_existing_sections(page):
    path = ROOT / "book" / page
    for target, anchor in _links(path):
        notebook = (path.parent / target).resolve()
        assert notebook.is_file(), f"{page} links to missing {target}"
        if anchor:
            assert anchor in _heading_anchors(notebook), f"{page}: no section #{anchor} in {target}"


def test_every_misconception_links_to_evidence():
    page = (ROOT / "book" / "misconceptions.md").read_text()
    sections = page.split("\n## ")[1:]
    assert len(sections) >= 6
    for section in sections:
        assert re.search(r"\.ipynb#[\w-]+\)", section), section.splitlines()[0]


def test_the_link_check_sees_a_missing_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[x](../notebooks/02_padding_and_masking.ipynb#no-such-section)")
    (target,) = _links(page)
    notebook = ROOT / "notebooks" / "02_padding_and_masking.ipynb"
    assert target[1] not in _heading_anchors(notebook)
    assert "without-a-mask-padding-is-data" in _heading_anchors(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_chapter_links_the_glossary(path):
    import nbformat

    first = nbformat.read(path, as_version=4).cells[0].source
    assert "](../book/glossary.md)" in first
