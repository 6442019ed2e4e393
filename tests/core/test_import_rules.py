"""Architecture rules, checked on the source with ast: depthcore never imports bpy or blenderproc; torch only in
depthcore/estimators/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "depthcore"


def _is_dynamic_import(node: ast.Call) -> bool:
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    first = node.args[0] if node.args else None
    return name in ("import_module", "__import__") and isinstance(first, ast.Constant) and isinstance(first.value, str)


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    return files


def test_depthcore_never_imports_bpy_or_blenderproc():
    offenders = {
        str(p.relative_to(PACKAGE)): imported_roots(p) & {"bpy", "blenderproc", "mathutils", "bmesh"} for p in sources()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_torch_only_inside_estimators():
    offenders = {
        str(p.relative_to(PACKAGE)): imported_roots(p) & {"torch", "transformers"}
        for p in sources()
        if "estimators" not in p.relative_to(PACKAGE).parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_scanner_catches_a_bpy_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import bpy.ops\n    from blenderproc.python import x\n")
    assert {"bpy", "blenderproc"} <= imported_roots(bad)


def test_import_depthcore_and_its_cli_loads_no_blender_nor_torch():
    code = (
        "import sys, depthcore, depthcore.normalise, depthcore.cli.main as m; m.build_parser(); "
        "print(sorted(m for m in ('bpy', 'blenderproc', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    ).stdout.strip()
    assert out == "[]"
