"""A Sphinx extension: each inline script of a page once.

sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = ...``) every time
Sphinx reads the sources, which a Jupyter Book build does twice; the second copy throws
"Identifier 'THEBE_JS_URL' has already been declared" on every page. Scripts with the same
file and attributes are kept once (the first), in their order.
"""

from __future__ import annotations

from typing import Any


def unique_scripts(scripts: list[Any]) -> list[Any]:
    """``scripts`` without repeats: same file (or none) and same attributes (``body`` included)."""
    seen, kept = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        # An inline script's filename is None or "" depending on who added it.
        key = (getattr(script, "filename", script) or None, tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _on_page(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "script_files" in context:
        context["script_files"] = unique_scripts(context["script_files"])


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _on_page, priority=900)  # after the themes add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
