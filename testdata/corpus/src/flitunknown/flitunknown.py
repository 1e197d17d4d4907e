"""flit 3.8 output with a classifier no trove-classifiers release has."""

__version__ = "0.1.0"
