"""The ``depthcore`` command line."""
