"""Fortress: an MLOps platform for a cyber-security ML ensemble."""

__version__ = "0.1.0"
