"""The span plan: how grey levels are shared out over the depth range.

One model for every face of the project: the interactive shell edits it, the Blender panel shows it in a
UIList, pipelines load it from JSON. Spans are ordered, contiguous, half-open ``[start, end)`` depth intervals,
each with a number of grey levels, a name and free-form flags. Nearer spans get the brighter levels: span k's
levels start at the sum of the levels of the spans before it (its *offset*).

``budget`` is the number of levels the plan shares out (256 for an 8-bit map). A plan written for 256 levels
applied to a 16-bit output is scaled by 65536 / 256, so a face that had a quarter of the levels keeps a quarter.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_write_text
from .errors import UserError

PLAN_FORMAT = "depthcore.span-plan"
PLAN_VERSION = 1
FlagValue = str | int | float | bool


class PlanError(ValueError):
    """An edit that the plan cannot take (bad index, depth outside the range, crossing boundaries)."""


@dataclass
class Span:
    """A depth interval ``[start, end)`` with its grey levels."""

    start: float
    end: float
    levels: int
    name: str = ""
    flags: dict[str, FlagValue] = field(default_factory=dict)

    @property
    def width(self) -> float:
        return self.end - self.start

    def contains(self, depth: float) -> bool:
        return self.start <= depth < self.end


@dataclass
class SpanPlan:
    """Ordered contiguous spans plus the level budget they share."""

    spans: list[Span]
    budget: int = 256

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def single(cls, start: float, end: float, levels: int = 256, budget: int | None = None) -> SpanPlan:
        """One span over ``[start, end)`` holding ``levels`` levels."""
        if not end > start:
            end = start + max(abs(start) * 1e-6, 1e-6)
        return cls([Span(float(start), float(end), int(levels))], budget if budget is not None else int(levels))

    # -- queries --------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.spans)

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def __getitem__(self, index: int) -> Span:
        return self.spans[self._index(index)]

    @property
    def start(self) -> float:
        return self.spans[0].start

    @property
    def end(self) -> float:
        return self.spans[-1].end

    def total_levels(self) -> int:
        return sum(s.levels for s in self.spans)

    def over_allocated(self) -> bool:
        return self.total_levels() > self.budget

    def offsets(self) -> list[int]:
        """First level of each span: the sum of the levels of the spans before it."""
        out, acc = [], 0
        for s in self.spans:
            out.append(acc)
            acc += s.levels
        return out

    def boundaries(self) -> list[float]:
        """Every span start plus the last end (len(spans) + 1 values)."""
        return [s.start for s in self.spans] + [self.end]

    def find(self, depth: float) -> int | None:
        """Index of the span containing ``depth``, or None."""
        for i, s in enumerate(self.spans):
            if s.contains(depth):
                return i
        return None

    def validate(self) -> None:
        """Raise PlanError unless the spans are ordered, contiguous and non-empty with levels >= 0."""
        if not self.spans:
            raise PlanError("a plan needs at least one span")
        if self.budget < 1:
            raise PlanError("the level budget must be at least 1")
        for i, s in enumerate(self.spans):
            if not (math.isfinite(s.start) and math.isfinite(s.end)):
                raise PlanError(f"span {i} has a non-finite boundary")
            if not s.end > s.start:
                raise PlanError(f"span {i} is empty ({s.start} to {s.end})")
            if s.levels < 0:
                raise PlanError(f"span {i} has negative levels ({s.levels})")
            if i and s.start != self.spans[i - 1].end:
                raise PlanError(f"span {i} does not start where span {i - 1} ends")

    # -- edits (each keeps the plan valid or raises PlanError, leaving it unchanged) ------------------
    def split_at(self, depth: float, levels: int = 0, name: str = "") -> int:
        """Split the span holding ``depth``; the new span ``[depth, old end)`` gets ``levels``. Returns its index."""
        depth = float(depth)
        i = self.find(depth)
        if i is None:
            raise PlanError(f"depth {depth:g} is outside the plan ({self.start:g} to {self.end:g})")
        owner = self.spans[i]
        if depth == owner.start:
            raise PlanError(f"there is already a boundary at {depth:g}")
        self.spans.insert(i + 1, Span(depth, owner.end, int(levels), name))
        owner.end = depth
        return i + 1

    def remove(self, index: int) -> None:
        """Merge span ``index`` into its neighbour (span 1 grows back over span 0; otherwise the previous grows)."""
        i = self._index(index)
        if len(self.spans) == 1:
            raise PlanError("cannot remove the only span")
        gone = self.spans.pop(i)
        if i == 0:
            self.spans[0].start = gone.start
        else:
            self.spans[i - 1].end = gone.end

    def move(self, boundary: float, to: float) -> None:
        """Move the inner boundary at exactly ``boundary`` to ``to`` without crossing its neighbours."""
        inner = [s.start for s in self.spans[1:]]
        if boundary not in inner:
            listed = ", ".join(f"{b:g}" for b in inner) or "none"
            raise PlanError(f"no inner boundary at {boundary:g} (inner boundaries: {listed})")
        k = inner.index(boundary) + 1
        left, right = self.spans[k - 1], self.spans[k]
        if not left.start < to < right.end:
            raise PlanError(f"{to:g} would cross a neighbouring boundary ({left.start:g} .. {right.end:g})")
        left.end = right.start = float(to)

    def allocate(self, index: int, levels: int) -> None:
        if int(levels) < 0:
            raise PlanError("levels must be 0 or more")
        self.spans[self._index(index)].levels = int(levels)

    def rename(self, index: int, name: str) -> None:
        self.spans[self._index(index)].name = name

    def set_flag(self, index: int, key: str, value: FlagValue = True) -> None:
        self.spans[self._index(index)].flags[key.lower()] = value

    def clear_flag(self, index: int, key: str) -> None:
        flags = self.spans[self._index(index)].flags
        if key.lower() not in flags:
            raise PlanError(f"span {index} has no flag {key!r}")
        del flags[key.lower()]

    def insert_span(self, start: float, end: float, levels: int, name: str = "") -> int:
        """Make ``[start, end)`` one span with ``levels`` (splitting where needed); return its index.

        Used for object-aware allocation: the range is clipped to the plan, inner boundaries inside it vanish.
        """
        start, end = max(float(start), self.start), min(float(end), self.end)
        if not end > start:
            raise PlanError("the range does not overlap the plan")
        for b in (start, end):
            if self.start < b < self.end and b not in self.boundaries():
                self.split_at(b)
        while True:
            inner = [i for i, s in enumerate(self.spans) if start < s.start < end]
            if not inner:
                break
            self.remove(inner[0])
        i = self.find(start)
        assert i is not None
        self.spans[i].levels = int(levels)
        self.spans[i].name = name
        return i

    def give_range(self, start: float, last: float, levels: int, name: str = "") -> int:
        """Make ``[start, last]`` one span with ``levels``; the other spans keep their level density.

        Object-aware allocation: ``last`` is the farthest depth that must fall inside the span. Spans cut out
        of an old span get that span's levels in proportion to their depth width; if the total then exceeds the
        budget the other spans shrink in proportion, so the plan stays within its budget. Returns the index.
        """
        if levels > self.budget:
            raise PlanError(f"{levels} levels is more than the plan's budget of {self.budget}")
        before = self.copy()
        # The next float32 above ``last``: depth images are float32, and the end must survive float32 storage
        # (Blender properties) without collapsing onto ``last``.
        end = float(np.nextafter(np.float32(last), np.float32(np.inf)))
        index = self.insert_span(start, end, levels, name)
        shares = {
            k: sum(
                old.levels * max(0.0, min(span.end, old.end) - max(span.start, old.start)) / old.width
                for old in before.spans
            )
            for k, span in enumerate(self.spans)
            if k != index
        }
        wanted = sum(shares.values())
        scale = min(1.0, (self.budget - levels) / wanted) if wanted > 0 else 1.0
        for k, share in shares.items():
            self.spans[k].levels = int(share * scale + 1e-9)  # floor once: never over the budget
        return index

    def copy(self) -> SpanPlan:
        return SpanPlan.from_dict(self.to_dict())

    def _index(self, index: int) -> int:
        n = len(self.spans)
        if not isinstance(index, int) or not 0 <= index < n:
            raise PlanError(f"no span {index} (spans are 0 to {n - 1})")
        return index

    # -- JSON -----------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "budget": self.budget,
            "spans": [asdict(s) for s in self.spans],
        }

    @classmethod
    def from_dict(cls, data: dict) -> SpanPlan:
        if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
            raise PlanError(f'not a span plan (expected "format": "{PLAN_FORMAT}")')
        if int(data.get("version", 0)) > PLAN_VERSION:
            raise PlanError(f"plan version {data['version']} is newer than this depthcore understands")
        try:
            spans = [
                Span(
                    float(s["start"]),
                    float(s["end"]),
                    int(s["levels"]),
                    str(s.get("name", "")),
                    dict(s.get("flags", {})),
                )
                for s in data["spans"]
            ]
            plan = cls(spans, int(data.get("budget", 256)))
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"malformed span plan ({exc})") from exc
        plan.validate()
        return plan

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SpanPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"not JSON ({exc})") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> Path:
        return atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SpanPlan:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise UserError("plan file does not exist", path) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read plan ({exc})", path) from exc
        try:
            return cls.from_json(text)
        except PlanError as exc:
            raise UserError(str(exc), path) from exc
