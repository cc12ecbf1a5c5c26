"""The book's configuration: what is built, from what, and the versions the intro states."""

import re

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
