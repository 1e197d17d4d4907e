"""tinyutil: a minimal importable package for goreleaser-pypi's tests."""

__version__ = "0.1.0"


def greet(name: str) -> str:
    return f"hello, {name}"
