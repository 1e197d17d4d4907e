"""badrst."""
