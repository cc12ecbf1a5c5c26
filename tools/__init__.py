"""The book's developer tools; run each from the repository root as ``python -m tools.NAME``."""
