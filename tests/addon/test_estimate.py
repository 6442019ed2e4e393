"""The Estimate subpanel, used the way a user uses it.

The extension zip is installed into the real bpy module and driven through ``bpy.ops`` in a subprocess
(tests/addon/estimate_driver.py). The estimator Python in the add-on preferences is this venv's Python (torch,
transformers, depthcore); the model is a tiny Depth Anything with random weights saved to a folder and loaded
through the real offline path. No accuracy is claimed from it: the tests check plumbing, alignment, the grey
map against ``depthcore normalise``, errors, cancel and that the scene is left as it was.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import OpenEXR
import pytest
from addon_runner import run_driver
from PIL import Image

pytestmark = [pytest.mark.blender, pytest.mark.estimators]

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _tiny_models():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    spec = importlib.util.spec_from_file_location("tiny_models", REPO / "tests" / "estimators" / "tiny_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _python_without_depthcore() -> str:
    """The interpreter this venv was made from: a real Python that has no depthcore."""
    base = Path(getattr(sys, "_base_executable", "") or "")
    if sys.prefix == sys.base_prefix or not base.is_file():
        pytest.skip("not running in a venv: no Python known to lack depthcore")
    probe = subprocess.run([str(base), "-c", "import depthcore"], capture_output=True, cwd="/", timeout=60)
    if probe.returncode == 0:
        pytest.skip("the base Python has depthcore too")
    return str(base)


@pytest.fixture(scope="module")
def run(tmp_path_factory, extension_zip) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("estimate")
    model = _tiny_models().save_tiny("da-relative", base / "tiny-da")
    out = base / "out"
    args = [str(extension_zip), str(out), PY, str(model), _python_without_depthcore()]
    report = run_driver("estimate_driver.py", args, base, out / "estimate_report.json")
    assert report["errors"] == {}, "\n".join(report["errors"].values())
    return SimpleNamespace(out=out, report=report, base=base)


def read_exr(path: Path) -> dict[str, np.ndarray]:
    with OpenEXR.File(str(path)) as f:
        return {name: np.array(ch.pixels) for name, ch in f.channels().items()}


def cli_normalise(path: Path, out_dir: Path, *args: str) -> np.ndarray:
    """`depthcore normalise` run as a user runs it; the grey map it wrote."""
    proc = subprocess.run([PY, "-m", "depthcore", "normalise", str(path), "--out-dir", str(out_dir), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (png,) = out_dir.glob("*.png")
    with Image.open(png) as img:
        return np.array(img)


def one_line_error(outcome: str) -> str:
    assert outcome.startswith("ERROR: "), outcome
    text = outcome.strip()
    assert "Traceback" not in text and text.count("\n") == 0, text
    return text


def test_render_keeps_colour_for_the_estimator(run):
    r = run.report
    assert r["install"] == "FINISHED" and r["render"] == "FINISHED"
    assert r["color_shape"] == [48, 64, 3]
    assert {"estimate_depth", "estimate_normalise", "compare_with_render"} <= set(r["operators"])


def test_bad_estimator_python_is_one_clean_error_and_changes_nothing(run):
    r = run.report
    assert "Estimator Python" in one_line_error(r["python_unset"])
    assert "/nonexistent/bin/python3" in one_line_error(r["python_missing"])
    assert "does not exist" in r["python_missing"]
    assert "depthcore is not installed" in one_line_error(r["python_no_depthcore"])
    assert r["bad_python_snapshot_equal"] is True
    assert r["bad_python_estimate"] is False and r["bad_python_images"] == [False, False]
    assert "nothing estimated yet" in one_line_error(r["no_estimate_compare"])


def test_estimate_of_the_render_is_aligned_to_rendered_depth(run):
    r = run.report
    assert r["estimate"] == "FINISHED" and r["estimate_snapshot_equal"] is True
    assert r["estimate_kind"] == ["disparity", "relative", "render"]
    assert r["image_sizes"] == [[64, 48], [64, 48]]
    # Independent: the estimator's EXR (OpenEXR), the render's depth, a least-squares fit in disparity space.
    channels = read_exr(run.out / "estimate.depth.exr")
    assert list(channels) == ["disparity"]
    disp = channels["disparity"].astype(np.float64)
    assert disp.shape == (48, 64) and np.isfinite(disp).all() and np.ptp(disp) > 0
    rendered = np.load(run.out / "render.npz")
    fg = ~rendered["background"]
    A = np.stack([disp[fg], np.ones(fg.sum())], axis=1)
    (s, t), *_ = np.linalg.lstsq(A, 1.0 / rendered["depth"][fg].astype(np.float64), rcond=None)
    mode, scale, shift, space = r["alignment"]
    assert (mode, space) == ("scale-shift", "disparity")
    assert scale == pytest.approx(s, rel=1e-6) and shift == pytest.approx(t, rel=1e-6, abs=1e-9)
    inv = s * disp + t
    with np.errstate(divide="ignore"):
        expected = np.where(inv > 0, 1.0 / inv, np.inf)
    shown = np.load(run.out / "estimate_values.npy")
    assert np.array_equal(np.isinf(shown), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(shown[finite], expected[finite], rtol=1e-4)


def test_estimate_grey_map_is_what_depthcore_normalise_gives_with_the_same_plan(run, tmp_path):
    values = np.load(run.out / "estimate_values.npy")  # the float image the plan normalised
    np.save(tmp_path / "estimate.npy", values)
    expected = cli_normalise(tmp_path / "estimate.npy", tmp_path / "a", "--plan", str(run.out / "plan.json"))
    grey = np.load(run.out / "estimate_grey.npy")
    assert grey.shape == (48, 64) and grey.dtype == np.uint8
    assert np.array_equal(grey, expected)
    assert len(np.unique(grey)) > 5
    # After a plan edit in the panel the estimate follows the edited plan at once.
    assert run.report["split"] == "FINISHED" and run.report["renormalise"] == "FINISHED"
    edited = cli_normalise(tmp_path / "estimate.npy", tmp_path / "b", "--plan", str(run.out / "plan_edited.json"))
    assert json.loads((run.out / "plan_edited.json").read_text()) != json.loads((run.out / "plan.json").read_text())
    assert np.array_equal(np.load(run.out / "estimate_grey_after_split.npy"), edited)
    assert np.array_equal(np.load(run.out / "estimate_grey_edited.npy"), edited)
    assert not np.array_equal(edited, expected)


def test_compare_with_render_reports_finite_metrics_from_depthcore_eval(run):
    r = run.report
    assert r["compare"] == "FINISHED"
    m = r["metrics"]
    for key in ("abs_rel", "delta1", "rmse"):
        assert math.isfinite(m[key]) and m[key] >= 0
    assert 0 <= m["delta1"] <= 1
    assert m["align"] == "scale-shift" and m["space"] == "disparity"
    rendered = np.load(run.out / "render.npz")
    assert m["pixels"] == int((~rendered["background"]).sum())
    # The same fit as the alignment the panel used for the plan.
    assert m["scale"] == pytest.approx(r["alignment"][1], rel=1e-9)


def test_cancel_kills_the_estimator_process_and_keeps_the_last_estimate(run):
    r = run.report
    assert r["cancel_events_before"] == ["start"] and r["cancel_alive_before"] is True
    assert r["cancel_returncode"] is not None and r["cancel_returncode"] != 0
    assert r["cancel_alive_after"] is False and r["cancel_tmp_left"] is False
    assert r["cancel_estimate_kept"] is True and r["cancel_snapshot_equal"] is True


def test_image_source_without_render_size_uses_its_own_range(run, tmp_path):
    r = run.report
    assert r["image_estimate"] == "FINISHED"
    assert r["image_estimate_kind"] == ["disparity", "relative", "Photo", None, True]
    assert r["image_grey_size"] == [40, 30]
    expected = cli_normalise(run.out / "image.depth.exr", tmp_path)  # disparity file: the CLI keeps near = white
    assert np.array_equal(np.load(run.out / "image_grey.npy"), expected)


def test_disabling_removes_the_estimate_classes(run):
    assert run.report["disable"] == "FINISHED" and run.report["types_after_disable"] == []
