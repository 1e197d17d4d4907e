__version__ = "0.1.0"


def ok() -> bool:
    return True
