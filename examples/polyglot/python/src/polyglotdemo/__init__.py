"""The Python half of the goreleaser-pypi polyglot example."""

__version__ = "0.1.0"


def hello(name: str = "world") -> str:
    """Greet name, like the Go CLI does."""
    return f"hello, {name} (from Python, polyglotdemo {__version__})"
