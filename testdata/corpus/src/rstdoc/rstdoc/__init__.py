"""rstdoc."""
