"""richmeta: a test package that uses most core metadata fields."""

__version__ = "1.2.0"


def describe() -> dict:
    return {"name": "richmeta", "version": __version__}
