"""Panels and lists of the Depth sidebar tab."""
