"""depthcore imports and works without torch; asking for an estimator says how to install the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_import_without_torch() -> None:
    r = _run("""
        import depthcore, depthcore.estimators, depthcore.video, depthcore.eval
        from depthcore.estimators.controlnet_midas import midas_normal
        import numpy as np
        print(midas_normal(np.ones((4, 4), np.float32)).shape)
    """)
    assert r.returncode == 0, r.stderr
    assert "(4, 4, 3)" in r.stdout


def test_estimator_without_torch_says_how_to_install(tmp_path: Path) -> None:
    r = _run(f"""
        from depthcore.cli.main import main
        raise SystemExit(main(["estimate", {str(tmp_path / "x.png")!r}, "--model", "x"]))
    """)
    assert r.returncode == 2
    (tmp_path / "x.png").write_bytes(b"")
    r = _run(f"""
        from depthcore.cli.main import main
        raise SystemExit(main(["estimate", {str(tmp_path / "x.png")!r}, "--model", "depth-anything-v2-small"]))
    """)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert 'pip install "depthcore[estimators]"' in lines[0]
    assert "Traceback" not in r.stderr
