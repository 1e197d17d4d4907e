"""spdx_demo: a package whose metadata carries an SPDX license expression."""

__version__ = "0.2.0"


def license_expression() -> str:
    return "MIT"
