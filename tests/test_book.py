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
    "page",
    [
        "misconceptions.md",
        "intro.md",
        "glossary.md",
        "shape_reference.md",
        "questions.md",
        "errors.md",
    ],
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_chapter_opening_links_the_shape_explorer(path):
    import nbformat

    first = nbformat.read(path, as_version=4).cells[0].source
    assert "](../book/explorer.md)" in first


def test_the_intro_and_the_shape_reference_link_the_shape_explorer():
    for page in ("intro.md", "shape_reference.md", "questions.md"):
        assert "](explorer.md)" in (ROOT / "book" / page).read_text(), page


# ----- the pages for a reader who arrives with one question -----


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_chapter_answers_a_question_on_the_question_page(path):
    page = (ROOT / "book" / "questions.md").read_text()
    assert f"](../notebooks/{path.name}#" in page, f"no question links to {path.name}"


def _stored_output_text(notebook_path) -> str:
    """Every stored stream and error output of a notebook, whitespace folded."""
    import nbformat

    texts = []
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output.get("text", ""))
            elif output.get("output_type") == "error":
                texts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return re.sub(r"\s+", " ", "\n".join(texts))


def error_entries(text: str) -> list[tuple[str, str]]:
    """(quoted message, the first notebook its section links to) for each `### ``...``` entry."""
    entries = []
    for section in text.split("\n### ")[1:]:
        heading, _, body = section.partition("\n")
        message = heading.strip().removeprefix("``").removesuffix("``").strip()
        link = re.search(r"\]\(\.\./notebooks/([^)#]+\.ipynb)", body)
        entries.append((message, link.group(1) if link else ""))
    return entries


def _missing_messages(text: str) -> list[str]:
    return [
        f"{message!r} is not in the stored outputs of {notebook or 'a linked chapter'}"
        for message, notebook in error_entries(text)
        if not notebook
        or re.sub(r"\s+", " ", message) not in _stored_output_text(ROOT / "notebooks" / notebook)
    ]


def test_every_quoted_error_message_is_produced_by_the_chapter_it_links_to():
    text = (ROOT / "book" / "errors.md").read_text()
    assert len(error_entries(text)) >= 15
    assert _missing_messages(text) == []


def test_the_error_page_has_the_messages_readers_paste_most():
    messages = " ".join(message for message, _ in error_entries(
        (ROOT / "book" / "errors.md").read_text()
    ))  # fmt: skip
    for expected in (
        "expected ndim=3, found ndim=2",  # a missing return_sequences=True
        "`LSTMCell` is not available with Keras 3",
        "will therefore destroy the mask information",
        "Too few leaves for PyTreeSpec",
    ):
        assert expected in messages


def test_the_message_check_sees_a_changed_message():
    text = (ROOT / "book" / "errors.md").read_text()
    first_message, _ = error_entries(text)[0]
    changed = text.replace(first_message, first_message.replace("ndim=3", "ndim=4"), 1)
    assert _missing_messages(text) == []
    assert len(_missing_messages(changed)) == 1


def test_verification_page_is_generated_from_the_project_files():
    """book/verification.md must be exactly what tools/verification.py writes now."""
    from tools import verification

    committed = (ROOT / "book" / "verification.md").read_text()
    assert committed == verification.page(), "run `make verification`"


def test_verification_page_states_the_pinned_versions():
    from tools import verification

    pins = dict(verification.pinned_versions())
    page = (ROOT / "book" / "verification.md").read_text()
    requirements = (ROOT / "requirements.txt").read_text()
    for name in ("tensorflow", "keras", "jupyter-book", "nbval"):
        assert f"{name}=={pins[name]}" in requirements
        assert f"| `{name}` | {pins[name]} |" in page


def api_names_missing(page: str, names) -> list[str]:
    """The public names without an autodoc directive on the API page."""
    documented = set(re.findall(r"^\.\. auto(?:function|class):: rnn_lib\.(\w+)$", page, re.M))
    return sorted(set(names) - documented)


def test_the_api_page_documents_every_public_name():
    import rnn_lib

    page = (ROOT / "book" / "api.md").read_text()
    assert api_names_missing(page, rnn_lib.__all__) == []
    documented = re.findall(r"^\.\. auto(?:function|class):: rnn_lib\.(\w+)$", page, re.M)
    assert sorted(documented) == sorted(rnn_lib.__all__)  # nothing extra, nothing twice
    one_less = page.replace(".. autofunction:: rnn_lib.last_valid_step\n", "")
    assert api_names_missing(one_less, rnn_lib.__all__) == ["last_valid_step"]
