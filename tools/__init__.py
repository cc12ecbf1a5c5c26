"""The book's developer tools; run each from the repository root as ``python -m tools.NAME``."""

import sys


def skip_slow_iri_parsers() -> None:
    """Keep jsonschema from importing the optional ``rfc3987_syntax`` in this process.

    ``nbformat`` (and so the notebook checks and ``jupyter-book``) imports jsonschema, whose
    format checker imports ``rfc3987_syntax`` when it is installed (JupyterLab's
    dependencies pull it in); that package builds about 35 Earley parsers at import time,
    about 4 s per process on a 2-core CI machine. No notebook or book schema uses the IRI
    formats it checks. Call this before ``nbformat`` is first imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # None: `import` raises ImportError
