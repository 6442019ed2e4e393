"""The interactive shell: edit a span plan over one depth image, inspect it, write grey maps.

Every command of daz_depthmap_processor's shell with its printed text, plus ``save``/``load`` of a plan
(JSON), ``undo`` and ``help`` for each command. A bad command prints one ``Error - ...`` line and the shell
goes on; end of input ends the current file like ``quit``. ``depthcore daz --interactive`` writes with the
original's rule and file names; ``depthcore shell`` writes with depthcore's modern rule.
"""

from __future__ import annotations

import cmd
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .background import background_mask
from .daz import rules
from .daz.histo import histogram_lines
from .daz.outputs import check_outputs, over_allocated, write_daz_outputs
from .daz.source import DazInput
from .errors import UserError
from .io import read_depth, write_png
from .normalise import NormaliseOptions, normalise
from .plan import PlanError, SpanPlan

INTRO = "Welcome to the interactive shell. Type help or ? to list commands."
EPSILON = rules.EPSILON


class Usage(Exception):
    """A command's arguments could not be parsed; the message is the command's usage line."""


@dataclass
class Session:
    """What the shell works on: one image (float64, background NaN), its plan and the write settings."""

    path: Path
    raw: np.ndarray  # values as read (float32 HxW), for getpixel
    values: np.ndarray  # float64 HxW, background NaN
    plan: SpanPlan
    compress: bool
    writer: Callable[[Session, str, bool], bool]  # (session, stub, test) -> written?
    closed_last: bool = False  # the modern rule closes the last span
    undo_stack: list[tuple[str, SpanPlan]] = field(default_factory=list)
    last_write_failed: bool = False

    @property
    def lo(self) -> float:
        return float(np.nanmin(self.values))

    @property
    def hi(self) -> float:
        return float(np.nanmax(self.values))

    @property
    def foreground(self) -> np.ndarray:
        return self.values[~np.isnan(self.values)]


def _flag_items(plan: SpanPlan, index: int) -> list[tuple[str, object]]:
    """The split's flags as the original kept them: the name is the 'label' flag."""
    span = plan[index]
    items: list[tuple[str, object]] = [("label", span.name)] if span.name else []
    return items + list(span.flags.items())


def _get_flag(plan: SpanPlan, index: int, key: str) -> object:
    key = key.lower()
    if key == "label":
        return plan[index].name or None
    return plan[index].flags.get(key)


class DepthShell(cmd.Cmd):
    """``> `` prompt over a Session."""

    intro = INTRO
    prompt = "> "

    def __init__(self, session: Session, stdin=None, stdout=None) -> None:
        super().__init__(stdin=stdin, stdout=stdout)
        self.s = session
        if stdin is not None:
            self.use_rawinput = False

    # -- plumbing -------------------------------------------------------------------------------------
    def cmdloop(self, intro: str | None = None) -> None:
        """cmd's loop, where Ctrl-C drops the current line (like Python's prompt) instead of the whole session."""
        while True:
            try:
                super().cmdloop(intro)
                return
            except KeyboardInterrupt:
                print("^C (QUIT or Ctrl-D leaves this file)")
                intro = ""

    def onecmd(self, line: str) -> bool:
        try:
            return bool(super().onecmd(line))
        except Usage as exc:
            print(f"Error - {exc}")
        except (UserError, PlanError) as exc:
            print(f"Error - {exc}")
        except Exception as exc:  # a bad command never ends the shell
            print(f"Error - {type(exc).__name__}: {exc}")
        return False

    def get_names(self) -> list[str]:
        """Command names for ``help``, without ``EOF`` (end of input, not a command to type)."""
        return [name for name in super().get_names() if name != "do_EOF"]

    def emptyline(self) -> bool:
        return False  # the original repeated the last command; an empty line now does nothing

    def do_EOF(self, args: str) -> bool:
        """End of input: leave this file without writing, like QUIT."""
        print()
        return True

    def _index(self, text: str) -> int:
        try:
            index = int(text)
        except ValueError:
            raise Usage(f"{text!r} is not a split index") from None
        n = len(self.s.plan)
        if not 0 <= index < n:
            raise Usage(f"index {index} out of range ({n} registered splits)")
        return index

    def _remember(self, what: str) -> None:
        self.s.undo_stack.append((what, self.s.plan.copy()))
        del self.s.undo_stack[:-100]

    def _stub(self, args: str) -> str:
        return os.path.splitext(args or str(self.s.path))[0]

    # -- looking ---------------------------------------------------------------------------------------
    def do_show_splits(self, args: str = "") -> None:
        """Show the current splits. SHOW_SPLITS"""
        for index, span in enumerate(self.s.plan):
            line = f" ** {index:03}: {span.start} to {span.end} - {span.levels} levels assigned"
            items = _flag_items(self.s.plan, index)
            line += " (" + ", ".join(f"{k}: {v}" for k, v in items) + ")" if items else " (No Flags)"
            print(line)

    def do_totals(self, args: str) -> None:
        """Show the total number of grey levels that have been allocated. TOTALS"""
        total, budget = self.s.plan.total_levels(), self.s.plan.budget
        print(f"{total} levels allocated.")
        print(f"{'Does not exceed' if total <= budget else 'Exceeds'} maximum allocable levels, {budget}.")

    def do_histogram(self, args: str) -> None:
        """Show the histogram of the loaded depthmap (20 buckets, background left out). HISTOGRAM"""
        for line in histogram_lines(self.s.foreground):
            print(line)

    def do_getpixel(self, args: str) -> None:
        """Get the depth of pixel x y (x from the left, y from the top, both from 0). GETPIXEL {x} {y}"""
        try:
            x, y = (int(p) for p in args.split())
        except ValueError:
            raise Usage("GETPIXEL {x} {y}") from None
        h, w = self.s.raw.shape
        if not (0 <= x < w and 0 <= y < h):
            raise Usage(f"pixel {x} {y} is outside the image ({w}x{h}: x 0 to {w - 1}, y 0 to {h - 1})")
        print(f"Value at {x}:{y} (offset {y * w + x}): {float(self.s.raw[y, x])}")

    def do_inspect(self, args: str) -> None:
        """Get information on a split: its range, levels, flags, points and their histogram. INSPECT {index}"""
        index = self._index(args.strip())
        span = self.s.plan[index]
        print(f"Split {index:03}:")
        print(f" - start: {span.start}")
        print(f" - end: {span.end}")
        print(f" - levels: {span.levels}")
        for k, v in _flag_items(self.s.plan, index):
            print(f" - flag: {k}: {v}")
        idx = rules.span_index(self.s.values, self.s.plan, closed_last=self.s.closed_last)
        points = self.s.values[idx == index]
        print(f" - point_count: {points.size}")
        if points.size == 0:
            return
        print(f" - point_max: {float(points.max())}")
        print(f" - point_min: {float(points.min())}")
        print("Histogram:")
        for line in histogram_lines(points):
            print(f" - {line}")

    # -- editing ---------------------------------------------------------------------------------------
    def do_add(self, args: str) -> None:
        """Add a split at a depth; the new split runs from there to the old split's end, with 0 levels. ADD {depth}"""
        try:
            depth = float(args)
        except ValueError:
            raise Usage("ADD {depth}") from None
        if not np.isfinite(depth):
            raise Usage("ADD {depth}: the depth must be a finite number")
        lo, hi = self.s.lo, self.s.hi
        if depth < lo:
            depth = lo + EPSILON
        if depth > hi:
            depth = hi - EPSILON
        plan = self.s.plan
        owner = plan.find(depth)
        if owner is None:
            print("Error - this point is outside the range of this depth map.")
            return
        if plan[owner].start == depth:
            print(f"Error - there is already a split starting at {depth}.")
            return
        self._remember(f"add {args}")
        plan.split_at(depth)
        print("Success")

    def do_split(self, args: str) -> None:
        """Synonym for ADD."""
        self.do_add(args)

    def do_remove(self, args: str) -> None:
        """Remove a split: split 0 is absorbed by split 1, any other by the split before it. REMOVE {index}"""
        try:
            index = int(args)
        except ValueError:
            raise Usage("REMOVE {index}") from None
        n = len(self.s.plan)
        if n == 1:
            print("Error - you cannot remove a split from a manager with only one split.")
            return
        if not 0 <= index < n:
            print(f"Error - index of {index} is out of range.")
            return
        self._remember(f"remove {args}")
        self.s.plan.remove(index)
        if index == 0:
            print("Success - Removed split 0 and expanded split 1 backwards.")
        else:
            print(f"Success - Removed split {index} and expanded split {index - 1} forwards.")

    def do_merge(self, args: str) -> None:
        """Synonym for REMOVE."""
        self.do_remove(args)

    def do_move(self, args: str) -> None:
        """Move a boundary between two splits, without crossing a neighbour. MOVE {from} {to}"""
        try:
            frm, to = (float(p) for p in args.split())
        except ValueError:
            raise Usage("MOVE {from} {to}") from None
        spans = self.s.plan.spans
        starts = [s.start for s in spans]
        if frm in starts:
            k = starts.index(frm)
            if k == 0:
                print(
                    "Error - will not move the start of the first split as this would cause the SplitManager to "
                    "not cover the entire depthmap. Add a split at your proposed position instead."
                )
            elif to <= spans[k - 1].start:
                print(
                    f"Error - will not move the start of split {k} past the beginning of split {k - 1} - "
                    "are you trying to delete a split?"
                )
            elif to >= spans[k].end:
                print(
                    f"Error - will not move the start of split {k} past its own ending - "
                    "are you trying to delete a split?"
                )
            else:
                self._remember(f"move {args}")
                self.s.plan.move(frm, to)
                print("Success")
        elif frm == spans[-1].end:
            print(
                "Error - will not move the end of the last split as this would cause the SplitManager to not "
                "cover the entire depthmap. Add a split at your proposed position instead."
            )
        else:
            print(f"Error - could not identify {frm} as uniquely pointing to the start or end of any split.")

    def do_allocate(self, args: str) -> None:
        """Allocate a number of grey levels to a split (0 or more). ALLOCATE {index} {levels}"""
        pieces = args.split()
        if len(pieces) != 2:
            raise Usage("ALLOCATE {index} {levels}")
        index = self._index(pieces[0])
        try:
            levels = int(pieces[1])
        except ValueError:
            raise Usage("ALLOCATE {index} {levels}") from None
        if levels < 0:
            raise Usage(f"levels must be 0 or more, not {levels}")
        self._remember(f"allocate {args}")
        self.s.plan.allocate(index, levels)
        print(f"{self.s.plan.total_levels()} levels allocated.")

    def do_flag(self, args: str) -> None:
        """Set or show a split's flags. FLAG {index} {flag} {value} or FLAG {index} {flag} or FLAG {index}"""
        pieces = args.split()
        if not 1 <= len(pieces) <= 3:
            raise Usage("FLAG {index} {flag} {value} or FLAG {index} {flag} or FLAG {index}")
        index = self._index(pieces[0])
        if len(pieces) == 1:
            items = _flag_items(self.s.plan, index)
            print(f" ** {index:03}: " + (", ".join(f"{k}: {v}" for k, v in items) if items else "no flags"))
            return
        key = pieces[1]
        if len(pieces) == 3:
            self._set_flag(index, key, pieces[2], f"flag {args}")
        value = _get_flag(self.s.plan, index, key)
        if value is None:
            print("Success")  # the original's message for an unset flag
        print(f"{index:03}: {key} = {value}")

    def _set_flag(self, index: int, key: str, value: str, what: str) -> None:
        if key.lower() == "region":
            try:
                int(value)
            except ValueError:
                raise Usage(f"REGION must be an integer, not {value!r}") from None
        self._remember(what)
        if key.lower() == "label":
            self.s.plan.rename(index, value)
        else:
            self.s.plan.set_flag(index, key, value)

    def do_clearflag(self, args: str) -> None:
        """Remove a flag from a split. CLEARFLAG {index} {flag}"""
        pieces = args.split()
        if len(pieces) != 2:
            raise Usage("CLEARFLAG {index} {flag}")
        index, key = self._index(pieces[0]), pieces[1].lower()
        if _get_flag(self.s.plan, index, key) is None:
            raise Usage(f"split {index} has no flag {pieces[1]!r}")
        self._remember(f"clearflag {args}")
        if key == "label":
            self.s.plan.rename(index, "")
        else:
            self.s.plan.clear_flag(index, key)
        print("Success")

    def do_rename(self, args: str) -> None:
        """Name a split (the rest of the line is the name); FLAG {index} LABEL {name}. RENAME {index} {name}"""
        pieces = args.split(maxsplit=1)
        if len(pieces) != 2:
            raise Usage("RENAME {index} {name}")
        index = self._index(pieces[0])
        self._set_flag(index, "LABEL", pieces[1].strip(), f"rename {args}")
        print(f"{index:03}: LABEL = {pieces[1].strip()}")

    def do_region(self, args: str) -> None:
        """Put a split in a region, coloured in .regions.png (-1: none). REGION {index} {region #}"""
        pieces = args.split()
        if len(pieces) != 2:
            raise Usage("REGION {index} {region #}")
        index = self._index(pieces[0])
        self._set_flag(index, "REGION", pieces[1], f"region {args}")
        print(f"{index:03}: REGION = {pieces[1]}")

    def do_compression(self, args: str) -> None:
        """Toggle map compression on or off (for this file only). COMPRESSION"""
        self.s.compress = not self.s.compress
        print(f"Map compression toggled, now: {self.s.compress}.")

    def do_compress(self, args: str) -> None:
        """Synonym for COMPRESSION."""
        self.do_compression(args)

    def do_undo(self, args: str) -> None:
        """Undo the last change to the splits (add, remove, move, allocate, flags, load). UNDO"""
        if not self.s.undo_stack:
            print("Nothing to undo.")
            return
        what, plan = self.s.undo_stack.pop()
        self.s.plan = plan
        print(f"Undone: {what}")

    def do_save(self, args: str) -> None:
        """Save the splits as a JSON span plan (load it later, or use it in batch). SAVE {file.json}"""
        if not args.strip():
            raise Usage("SAVE {file.json}")
        path = Path(args.strip())
        if path.resolve() == self.s.path.resolve():
            raise Usage(f"{path}: refusing to overwrite the input file")
        self.s.plan.save(path)
        print(f"Plan saved to {path}.")

    def do_load(self, args: str) -> None:
        """Replace the splits with a JSON span plan saved earlier. LOAD {file.json}"""
        if not args.strip():
            raise Usage("LOAD {file.json}")
        plan = SpanPlan.load(args.strip())
        self._remember(f"load {args}")
        self.s.plan = plan
        print(f"Plan loaded from {args.strip()}: {len(plan)} splits, {plan.total_levels()} levels allocated.")

    # -- writing ---------------------------------------------------------------------------------------
    def do_write(self, args: str) -> None:
        """Write {name}.depth.png (+ .mask/.regions.png as asked), default: the input name. WRITE {filename} or WRITE"""
        self.s.last_write_failed = True  # stays so when the writer raises (missing folder, input in the way)
        self.s.last_write_failed = not self.s.writer(self.s, self._stub(args.strip()), False)

    def do_test(self, args: str) -> None:
        """Write {name}.test.png, splits painted their TEST flag colour (FLAG 1 TEST red). TEST {filename} or TEST"""
        self.s.writer(self.s, self._stub(args.strip()), True)

    def do_quit(self, args: str) -> bool:
        """Leave the current file WITHOUT WRITING (go on to the next file). QUIT"""
        return True

    def do_exit(self, args: str) -> bool:
        """Synonym for QUIT."""
        return True


# -- the daz rule (depthcore daz --interactive) ---------------------------------------------------------
def daz_writer(options: rules.DazOptions, rng: np.random.Generator) -> Callable[[Session, str, bool], bool]:
    """Write like the original: offsets recorded as 'offset' flags, its file names, its pixels."""

    def write(session: Session, stub: str, test: bool) -> bool:
        plan = session.plan
        if plan.total_levels() <= rules.MAX_LEVELS:
            for span, offset in zip(plan.spans, plan.offsets()):
                span.flags["offset"] = offset
        opts = rules.DazOptions(**{**options.__dict__, "compress": session.compress})
        done = write_daz_outputs(stub, session.values, plan, opts, rng, test=test, inputs=[session.path])
        return done is not None

    return write


def daz_session(inp: DazInput, options: rules.DazOptions, rng: np.random.Generator) -> Session:
    """The original's start: one split over the unclamped depths; a numeric cutoff adds a 0-level split."""
    values = rules.foreground(inp.values)
    plan = rules.default_plan(values, inp.path)
    return Session(inp.path, inp.values, values, plan, options.compress, daz_writer(options, rng))


def prime_daz(shell: DepthShell, options: rules.DazOptions) -> None:
    """What the original printed before the intro: the cutoff split, or the histogram for 'histo'."""
    plan = shell.s.plan
    if options.cutoff is not None:
        owner = plan.find(options.cutoff)
        if owner is None or plan[owner].start == options.cutoff:
            print("Error - this point is outside the range of this depth map.")
        else:
            plan.split_at(options.cutoff)
            shell.onecmd("rename 1 Cutoff")
    elif options.histo:
        shell.onecmd("histogram")
    shell.s.undo_stack.clear()


def run_daz_shell(inp: DazInput, options: rules.DazOptions, rng: np.random.Generator, stdin=None) -> int:
    """One file's shell under the daz rule; 2 when its last write failed (over-allocation)."""
    shell = DepthShell(daz_session(inp, options, rng), stdin=stdin)
    prime_daz(shell, options)
    shell.cmdloop()
    sys.stdout.flush()
    return 2 if shell.s.last_write_failed else 0


# -- the modern rule (depthcore shell) -------------------------------------------------------------------
@dataclass
class ModernOptions:
    channel: str | None = None
    bits: int = 8
    invert: bool = False
    mask: bool = False
    regions: bool = False
    compress: bool = False
    plan: Path | None = None


def modern_writer(options: ModernOptions) -> Callable[[Session, str, bool], bool]:
    """Write with depthcore's rule: every span uses exactly its levels, background black, metadata in the PNG."""

    def write(session: Session, stub: str, test: bool) -> bool:
        plan = session.plan
        if over_allocated(plan, plan.budget):  # the plan's own budget, as `totals` and `depthcore normalise` use
            return False
        v = session.values
        base = NormaliseOptions(compression=session.compress)
        result8 = normalise(session.raw, base, plan=plan)
        images: list[tuple[str, np.ndarray, dict | None]] = []
        if test:
            images.append((f"{stub}.test.png", rules.test_image(v, plan, result8.grey, closed_last=True), None))
        else:
            result = result8
            if options.bits != 8 or options.invert:
                opts = NormaliseOptions(bits=options.bits, invert=options.invert, compression=session.compress)
                result = normalise(session.raw, opts, plan=plan)
            meta = {
                **result.meta,
                "kind": "depth",
                "rule": "modern",
                "near": "black" if options.invert else "white",
                "range": [plan.start, plan.end],
                "plan": plan.to_dict(),
                "compression": session.compress,
            }
            images.append((f"{stub}.depth.png", result.grey, meta))
            if options.mask:
                images.append((f"{stub}.mask.png", np.where(result8.background, 0, 255).astype(np.uint8), None))
            if options.regions:
                images.append(
                    (f"{stub}.regions.png", rules.regions_image(v, plan, result8.grey, closed_last=True), None)
                )
        check_outputs([name for name, _, _ in images], [session.path])
        print("mapping status was: Success")
        for name, image, meta in images:
            write_png(name, image, meta)
            print(f"wrote {name}")
        return True

    return write


def modern_session(path: str, options: ModernOptions) -> Session:
    """Read any depth file (auto channel), mark background, one span over the foreground (or a saved plan)."""
    image = read_depth(path, options.channel)
    values = image.values.astype(np.float64)
    values[background_mask(image.values)] = np.nan
    if np.isnan(values).all():
        raise UserError("every pixel is background; nothing to map", path)
    if options.plan is not None:
        plan = SpanPlan.load(options.plan)
    else:
        plan = SpanPlan.single(float(np.nanmin(values)), float(np.nanmax(values)), 256)
        plan.rename(0, "Default")
    return Session(Path(path), image.values, values, plan, options.compress, modern_writer(options), closed_last=True)


def run_modern_shell(paths: list[str], options: ModernOptions, stdin=None) -> int:
    """A shell for each file in turn; 2 when a file could not be read or its last write failed."""
    status = 0
    for path in paths:
        try:
            session = modern_session(path, options)
        except UserError as exc:
            sys.stdout.flush()
            print(f"depthcore shell: error: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"{path}: {session.raw.shape[1]}x{session.raw.shape[0]}, depths {session.lo} to {session.hi}")
        shell = DepthShell(session, stdin=stdin)
        shell.cmdloop()
        sys.stdout.flush()
        if session.last_write_failed:
            status = 2
    return status
