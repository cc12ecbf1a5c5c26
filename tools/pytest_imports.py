"""A pytest plugin loaded first (``-p tools.pytest_imports`` in pyproject.toml's addopts).

It runs :func:`tools.skip_slow_iri_parsers` before nbval, a plugin found through its entry
point, imports nbformat: about 4 s saved in every pytest process (each xdist worker too).
"""

from tools import skip_slow_iri_parsers

skip_slow_iri_parsers()
