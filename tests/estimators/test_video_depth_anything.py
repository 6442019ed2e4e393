"""Video Depth Anything adapter: what can be checked without the user's checkout and weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthcore.cli.main import main
from depthcore.errors import UserError
from depthcore.estimators.video_depth_anything import import_checkout, licence_notice

pytestmark = pytest.mark.estimators


def test_licence_notice_for_base_and_large_only() -> None:
    assert licence_notice("vits") is None
    for enc in ("vitb", "vitl"):
        assert "CC-BY-NC-4.0" in licence_notice(enc) and "non-commercial" in licence_notice(enc)


def test_missing_checkout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--vda-repo"):
        import_checkout(None)
    with pytest.raises(UserError, match="not a Video-Depth-Anything checkout"):
        import_checkout(tmp_path)


def _weights(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "w"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"PK\x03\x04")
    return folder


def test_cli_asks_for_licence_then_for_checkout(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture) -> None:
    folder = _weights(tmp_path, "video_depth_anything_vitl.pth")
    assert main(["estimate", str(photo), "--model", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "CC-BY-NC-4.0" in err and "--accept-licence" in err and len(err.strip().splitlines()) == 1
    assert main(["estimate", str(photo), "--model", str(folder), "--accept-licence"]) == 2
    assert "--vda-repo" in capsys.readouterr().err
    small = _weights(tmp_path / "s", "video_depth_anything_vits.pth")  # Apache-2.0: no licence question
    assert main(["estimate", str(photo), "--model", str(small), "--vda-repo", str(tmp_path)]) == 2
    assert "not a Video-Depth-Anything checkout" in capsys.readouterr().err
