"""Frame ranges and deterministic sharding (``--shard I/N``, SLURM array variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import UserError


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``; shard i takes every count-th frame starting at the i-th."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise UserError(f"invalid shard {self.index}/{self.count}: need 0 <= I < N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_frame_range(text: str | None, available: Sequence[int]) -> list[int]:
    """Select frames from ``available`` with a spec like ``"1-250"``, ``"3"`` or ``"0-4,10,20-22"``.

    ``None`` or ``""`` selects all of ``available``. Ranges are inclusive; frames not in ``available``
    are an error, so a typo never silently renders nothing.
    """
    if not text:
        return list(available)
    allowed = set(available)
    chosen: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                cut = part.index("-", 1)
                first, last = int(part[:cut]), int(part[cut + 1 :])
            else:
                first = last = int(part)
        except ValueError as exc:
            raise UserError(f"bad frame range {text!r}: use e.g. 1-250 or 0-4,10") from exc
        if last < first:
            raise UserError(f"bad frame range {part!r}: end before start")
        wanted = set(range(first, last + 1))
        missing = sorted(wanted - allowed)
        if missing:
            lo, hi = (min(allowed), max(allowed)) if allowed else (0, -1)
            raise UserError(f"frame {missing[0]} is outside the available frames {lo}-{hi}")
        chosen |= wanted
    return [f for f in available if f in chosen]


def parse_shard(text: str) -> Shard:
    """Parse ``"I/N"`` (0-based I)."""
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError as exc:
        raise UserError(f"bad --shard {text!r}: use I/N with 0 <= I < N, e.g. 0/4") from exc
    return Shard(index, count)


def resolve_shard(option: str | None, environ: Mapping[str, str] | None = None) -> Shard:
    """The shard to render: ``--shard`` wins; else SLURM's array variables; else everything.

    SLURM task ids may start at any value (``--array=1-8``), so the index is
    ``SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`` (MIN defaults to 0).
    """
    if option:
        return parse_shard(option)
    env = os.environ if environ is None else environ
    if "SLURM_ARRAY_TASK_ID" in env and "SLURM_ARRAY_TASK_COUNT" in env:
        try:
            task = int(env["SLURM_ARRAY_TASK_ID"])
            count = int(env["SLURM_ARRAY_TASK_COUNT"])
            first = int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        except ValueError as exc:
            raise UserError("SLURM_ARRAY_TASK_ID/COUNT/MIN must be integers") from exc
        return Shard(task - first, count)
    return Shard()


def shard_frames(frames: Sequence[int], shard: Shard) -> list[int]:
    """Frames for ``shard``: round-robin over the sorted frame list, so shards are balanced and disjoint."""
    return list(sorted(frames))[shard.index :: shard.count]
