"""demo_py: the polyglot example's Python package."""

__version__ = "0.1.0"


def answer() -> int:
    return 42
