"""Structure-aware detectors: they look at line shapes, not at exact wordings."""
