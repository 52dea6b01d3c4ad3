"""Metrics: one module per family, pure numpy (no torch), frozen results with to_dict()."""
