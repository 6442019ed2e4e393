"""Per-run manifest for resumable, shardable runs.

Layout under the output folder::

    manifest/run.json            settings of the run (shards and resumes must agree with it)
    manifest/frames/<frame>.json one record per complete frame: its files with size and SHA-256

A frame record is written (atomically) only after all of that frame's files are in place, so a frame
is complete exactly when its record exists and its files still match. Shards write disjoint records,
so any number of machines can share one output folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..errors import UserError


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class RunManifest:
    """The manifest of one output folder."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / "manifest"
        self.frames_folder = self.folder / "frames"

    def check(self, pipeline: str, settings: Mapping[str, Any]) -> None:
        """Raise UserError when the folder holds a run made with other settings (reads only)."""
        run_file = self.folder / "run.json"
        if not run_file.exists():
            return
        try:
            old = json.loads(run_file.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError("unreadable run manifest; remove it or use another folder", run_file) from exc
        new = _record(pipeline, settings)
        if old != new:
            before, after = old.get("settings", {}), new["settings"]
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            if old.get("pipeline") != pipeline:
                changed.insert(0, "pipeline")
            raise UserError(
                f"output folder holds a run with other settings ({', '.join(changed)}); use another folder",
                self.out_dir,
            )

    def start(self, pipeline: str, settings: Mapping[str, Any]) -> None:
        """Check an existing manifest (see :meth:`check`) or create one."""
        self.check(pipeline, settings)
        run_file = self.folder / "run.json"
        try:
            self.frames_folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create output folder ({exc.strerror})", self.out_dir) from exc
        if not run_file.exists():
            text = json.dumps(_record(pipeline, settings), indent=2, sort_keys=True) + "\n"
            atomic_write_text(run_file, text)

    def _record_path(self, frame: int) -> Path:
        return self.frames_folder / f"{frame:06d}.json"

    def is_complete(self, frame: int, verify: bool = False) -> bool:
        """True when ``frame`` was recorded and its files still exist with the recorded size (and hash)."""
        record_path = self._record_path(frame)
        if not record_path.exists():
            return False
        try:
            record = json.loads(record_path.read_text("utf-8"))
        except (OSError, ValueError):
            return False
        for name, info in record.get("files", {}).items():
            path = self.out_dir / name
            if not path.is_file() or path.stat().st_size != info["size"]:
                return False
            if verify and file_sha256(path) != info["sha256"]:
                return False
        return True

    def complete_frames(self, frames: Iterable[int], verify: bool = False) -> set[int]:
        return {f for f in frames if self.is_complete(f, verify)}

    def mark_complete(self, frame: int, files: Iterable[Path], extra: Mapping[str, Any] | None = None) -> None:
        """Record ``frame`` as complete with its ``files`` (paths inside the output folder)."""
        entries = {}
        for path in files:
            path = Path(path)
            entries[path.relative_to(self.out_dir).as_posix()] = {
                "size": path.stat().st_size,
                "sha256": file_sha256(path),
            }
        record = {"frame": frame, "files": entries, **(extra or {})}
        atomic_write_text(self._record_path(frame), json.dumps(record, indent=2, sort_keys=True) + "\n")


def _record(pipeline: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The run record as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps({"pipeline": pipeline, "settings": dict(settings)}))


def remove_stale_temp_files(out_dir: str | Path, frames: Iterable[int]) -> int:
    """Delete temp files a killed run left for ``frames`` (``.<frame>.*.tmp*`` from depthcore.atomic).

    Only this shard's frames are touched, so shards sharing the folder never remove each other's work.
    """
    out = Path(out_dir)
    stems = {str(f) for f in frames} | {f"{f:06d}" for f in frames}
    removed = 0
    for folder in [out, *[p for p in out.iterdir() if p.is_dir()], out / "manifest" / "frames"]:
        if not folder.is_dir():
            continue
        for tmp in folder.glob(".*.tmp*"):
            if tmp.name[1:].split(".", 1)[0] in stems:
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed
