"""Helpers for tests and examples: tiny tasks and deterministic data (not used at run time)."""
