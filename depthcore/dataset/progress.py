"""Terminal progress for frame loops: frames/s and ETA (tqdm)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from tqdm import tqdm


def frame_progress(total: int, desc: str = "frames", initial: int = 0) -> tqdm:
    """A tqdm bar counting frames, showing rate (frames/s) and ETA; ``initial`` counts resumed frames."""
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="frame",
        file=sys.stderr,
        dynamic_ncols=True,
        bar_format="{desc}: {n_fmt}/{total_fmt} frames |{bar}| {rate_fmt} ETA {remaining} ({elapsed})",
        mininterval=0.5,
    )


@contextlib.contextmanager
def quiet_stdout(enabled: bool = True) -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (Blender's per-sample render log), keeping stderr and the bar."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
