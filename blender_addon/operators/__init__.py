"""Operators of the Depth panel, one per module."""
