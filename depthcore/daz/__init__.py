"""``depthcore daz``: a drop-in for daz_depthmap_processor's ``format_depthmap.py``.

Same flags, same output names next to the input, same pixels and printed text for every input the original
handles; a one-line error or a documented sane result where the original crashes, loops or misbehaves.
"""

from .rules import DazOptions, default_plan, parse_cutoff
from .run import run_daz
from .source import DazInput, read_daz_input

__all__ = ["DazInput", "DazOptions", "default_plan", "parse_cutoff", "read_daz_input", "run_daz"]
