"""Say hello from a flit-built wheel."""

__version__ = "0.3.0"


def hello(name: str = "world") -> str:
    return f"Hello, {name}!"
