"""Readers for public dataset formats and synthetic corpus generators."""
