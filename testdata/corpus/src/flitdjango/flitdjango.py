"""flit 3.8 output with a classifier added to trove-classifiers in 2024."""

__version__ = "0.1.0"
