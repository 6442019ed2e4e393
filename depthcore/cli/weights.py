"""``depthcore weights list | download NAME | verify [NAME|DIR]``: model weights on this machine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import UserError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("weights", help="list, download and verify estimator weights")
    p.add_argument(
        "--weights-dir",
        help="folder with one sub-folder per model (default $DEPTHCORE_WEIGHTS_DIR or ~/.cache/depthcore/weights)",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--weights-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="known models, where their weights are, licences", parents=[common])
    ls.add_argument("--json", action="store_true", help="one JSON object per model")
    dl = sub.add_parser("download", help="download a model's weights (needs internet)", parents=[common])
    dl.add_argument("name")
    dl.add_argument("--accept-licence", action="store_true", help="accept a non-commercial licence")
    vf = sub.add_parser(
        "verify", help="check weights files (readable, checksums match the download record)", parents=[common]
    )
    vf.add_argument("target", nargs="?", help="model name or folder (default: every model present)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..estimators.catalogue import CATALOGUE, lookup
    from ..estimators.weights import download, find_local, verify, weights_root

    root = args.weights_dir
    if args.action == "list":
        for e in CATALOGUE.values():
            where = find_local(e, root)
            row = {
                "name": e.name,
                "backend": e.backend,
                "repo": e.repo,
                "kind": e.kind,
                "units": e.units,
                "licence": e.licence,
                "present": str(where) if where else None,
                "note": e.note,
            }
            if args.json:
                print(json.dumps(row))
            else:
                mark = "present" if where else "missing"
                print(f"{e.name:40s} {e.backend:22s} {e.kind:9s} {e.units:8s} {mark:7s}  {e.licence}")
        if not args.json:
            print(f"\nweights folder: {weights_root(root)} (plus the Hugging Face cache)")
        return 0
    if args.action == "download":
        entry = lookup(args.name)
        if entry is None:
            raise UserError(f"unknown model {args.name!r}; `depthcore weights list` shows the names")
        if entry.non_commercial:
            print(f"{entry.name} is licensed {entry.licence}.")
            if entry.backend == "video_depth_anything" and not args.accept_licence:
                raise UserError(f"{entry.name} is non-commercial; pass --accept-licence to download it")
        print(download(entry, root))
        return 0
    targets: list[Path] = []
    if args.target:
        path = Path(args.target)
        if path.exists():
            targets = [path]
        else:
            entry = lookup(args.target)
            if entry is None:
                raise UserError(f"unknown model {args.target!r}")
            found = find_local(entry, root)
            if found is None:
                raise UserError(f"{entry.name} is not on this machine (expected {weights_root(root) / entry.name})")
            targets = [found]
    else:
        targets = [f for f in (find_local(e, root) for e in CATALOGUE.values()) if f is not None]
        if not targets:
            print("no weights on this machine")
            return 0
    bad = 0
    for t in targets:
        problems = verify(t)
        print(f"{t}: {'ok' if not problems else 'PROBLEMS'}")
        for msg in problems:
            print(f"  {msg}")
        bad += bool(problems)
    if bad:
        raise UserError(f"{bad} weights folder(s) failed verification")
    return 0
