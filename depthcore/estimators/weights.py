"""Where weights live, and getting them: a local folder per model, or the Hugging Face cache.

Lookup order for a model name: ``<weights dir>/<name>/`` (``--weights-dir``, else ``$DEPTHCORE_WEIGHTS_DIR``,
else ``~/.cache/depthcore/weights``), then the Hugging Face cache. Nothing is ever unpickled: transformers
models load from safetensors only, ``.pth`` state dicts with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from ..errors import UserError
from .catalogue import CATALOGUE, ModelEntry, lookup

ENV_DIR = "DEPTHCORE_WEIGHTS_DIR"
SAFE_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.md", "*.onnx")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def weights_root(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding one sub-folder of weights per model name."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "depthcore" / "weights"


def _patterns(entry: ModelEntry) -> list[str]:
    return [*list(entry.files), "*.json", "*.md"] if entry.files else list(SAFE_PATTERNS)


def _has_weights(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.suffix in (".safetensors", ".pth", ".onnx", ".pt") for p in folder.iterdir() if p.is_file()
    )


def find_local(entry: ModelEntry, root: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder with ``entry``'s weights on this machine, or None (never touches the network)."""
    folder = weights_root(root) / entry.name
    if _has_weights(folder):
        return folder
    if entry.repo is None:
        return None
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return None
    try:
        path = Path(snapshot_download(entry.repo, local_files_only=True, allow_patterns=_patterns(entry)))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    return path if _has_weights(path) else None


def resolve(model: str, root: str | os.PathLike[str] | None = None) -> tuple[Path, ModelEntry | None]:
    """A model name or a path -> (folder or file with the weights, catalogue entry or None)."""
    path = Path(model).expanduser()
    if path.exists():
        return path, None
    entry = lookup(model)
    if entry is None:
        if "/" in model or os.sep in model:
            raise UserError("model folder does not exist", model)
        raise UserError(f"unknown model {model!r}; `depthcore weights list` shows the names, or give a folder")
    found = find_local(entry, root)
    if found is None:
        expected = weights_root(root) / entry.name
        if entry.repo is None:
            raise UserError(f"{entry.name} weights are user-provided ({entry.note}); put them in {expected}")
        raise UserError(
            f"weights for {entry.name} are not on this machine: expected {expected} or the Hugging Face cache "
            f"({entry.repo}); run `depthcore weights download {entry.name}` where there is internet"
        )
    return found, entry


def download(entry: ModelEntry, root: str | os.PathLike[str] | None = None) -> Path:
    """Fetch ``entry``'s safe files into ``<weights dir>/<name>/``; a clear error when offline."""
    if entry.repo is None:
        raise UserError(f"{entry.name} has no download: {entry.note}")
    from huggingface_hub import snapshot_download

    dest = weights_root(root) / entry.name
    existed = dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        snapshot_download(entry.repo, local_dir=dest, allow_patterns=_patterns(entry))
    except Exception as exc:
        if not existed:
            shutil.rmtree(dest, ignore_errors=True)
        raise UserError(
            f"cannot download {entry.repo} ({type(exc).__name__}); offline? put the files in {dest} by hand"
        ) from exc
    if not _has_weights(dest):
        raise UserError(f"{entry.repo} has no safetensors/.pth weights this tool can load safely", dest)
    return dest


def _expected_sha256(path: Path) -> str | None:
    """sha256 recorded for a downloaded file: the HF cache blob name, or local_dir download metadata."""
    real = path.resolve()
    if _SHA256.match(real.name):
        return real.name
    meta = path.parent / ".cache" / "huggingface" / "download" / f"{path.name}.metadata"
    if meta.is_file():
        lines = meta.read_text().splitlines()
        if len(lines) >= 2 and _SHA256.match(lines[1].strip().strip('"')):
            return lines[1].strip().strip('"')
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(folder: Path) -> list[str]:
    """Problems found in a weights folder (empty list = fine): readable headers and matching checksums."""
    problems: list[str] = []
    if not _has_weights(folder):
        return [f"{folder}: no weights file (.safetensors, .pth, .onnx, .pt)"]
    for f in sorted(p for p in folder.iterdir() if p.is_file()):
        if f.suffix == ".safetensors":
            try:
                from safetensors import safe_open

                with safe_open(str(f), framework="numpy") as st:
                    st.keys()
            except Exception as exc:
                problems.append(f"{f}: unreadable safetensors ({exc})")
                continue
        elif f.suffix in (".pth", ".pt") and f.read_bytes()[:2] != b"PK":
            problems.append(f"{f}: not a torch zip archive")
            continue
        expected = _expected_sha256(f)
        if expected and f.suffix in (".safetensors", ".pth", ".pt", ".onnx") and sha256_file(f) != expected:
            problems.append(f"{f}: sha256 does not match the download record")
    if (folder / "config.json").exists() is False and any(p.suffix == ".safetensors" for p in folder.iterdir()):
        problems.append(f"{folder}: config.json missing (transformers models need it)")
    return problems


def names() -> list[str]:
    return list(CATALOGUE)
