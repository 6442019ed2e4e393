"""An independent pure-Python model of format_depthmap.py's rules, written from the reference notes.

Lists and Python's round(), no numpy: the tests compare `depthcore daz` against it pixel for pixel.
Splits are (start, end, levels) tuples; pixels are row-major lists of Python floats.
"""

from __future__ import annotations

MAX = 256
EPS = 0.01


def clamp_cutoff(points: list[float], cutoff: float | None) -> list[float]:
    if cutoff:
        return [min(y, cutoff) for y in points]
    return list(points)


def default_splits(points: list[float]) -> list[tuple[float, float, int]]:
    return [(min(points), max(points) + EPS, MAX)]


def levels(points: list[float], splits: list[tuple[float, float, int]], compress: bool = False) -> list[int]:
    """Each pixel's level; pixels no split maps are 255 (MAX - 1)."""
    mapping: dict[float, int] = {}
    offset = 0
    for start, end, count in splits:
        if count:
            inside = sorted({x for x in points if start <= x < end})
            if compress:
                n = len(inside)
                for i, x in enumerate(inside):
                    mapping[x] = offset + (round((i / (n - 1)) * count) if n > 1 else 0)
            else:
                for x in inside:
                    mapping[x] = offset + round(((x - start) / (end - start)) * count)
        offset += count
    return [mapping.get(y, MAX - 1) for y in points]


def grey(mapped: list[int]) -> list[int]:
    """255 - level, clipped to 0..255 as Pillow's putdata clips."""
    return [max(0, min(255, 255 - y)) for y in mapped]


def mask(mapped: list[int]) -> list[int]:
    top = max(mapped)
    return [0 if y == top else 255 for y in mapped]


def histogram(points: list[float], buckets: int = 20) -> list[str]:
    lo, hi = min(points), max(points)
    step = (hi - lo) / buckets
    out = []
    for i in range(buckets):
        a = lo + (i * step)
        b = lo + ((i + 1) * step)
        if i == buckets - 1:
            n = sum(1 for d in points if d >= a and d <= b)
        else:
            n = sum(1 for d in points if d >= a and d < b)
        out.append(f"** - {i:02} - {n / len(points) * 100.0:05.2f}% - {round(a, 2)} to {round(b, 2)}")
    return out


def automatic(points: list[float], cutoff: float | None = None, compress: bool = False) -> list[int]:
    """Grey pixels of the non-interactive tool."""
    pts = clamp_cutoff(points, cutoff)
    return grey(levels(pts, default_splits(pts), compress))
