"""``depthcore normalise`` end to end, in fresh processes, read back with independent readers."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import OpenEXR
import pytest
from norm_helpers import ROOT, assert_one_line_error, raw_exr, run_cli
from PIL import Image

from depthcore.plan import Span, SpanPlan


def png(path):
    with Image.open(path) as im:
        return im.mode, np.asarray(im).copy(), dict(im.text)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    exr = folder / "daz_demo.exr"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo_exr.py"), str(exr), "--size", "96"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "daz_demo.exr" in proc.stdout
    return exr


def test_demo_all_outputs(demo, tmp_path):
    before = digest(demo)
    out = tmp_path / "out"
    proc = run_cli("normalise", demo, "--far-clip", "399", "--mask", "--exr", "--histogram-png", "--out-dir", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and proc.stdout.startswith("normalised 1 of 1 file(s): 8-bit, range 2")
    assert "cm" in proc.stdout
    assert digest(demo) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "daz_demo.depth.png",
        "daz_demo.histogram.png",
        "daz_demo.mapped.exr",
        "daz_demo.mask.png",
    ]
    mode, grey, text = png(out / "daz_demo.depth.png")
    assert mode == "L" and grey.shape == (96, 96)
    raw = OpenEXR.File(str(demo), separate_channels=True).parts[0].channels["Y"].pixels
    backplane = raw >= 399
    assert (grey[backplane] == 0).all()
    assert grey[~backplane].max() == 255 and grey[raw == raw.min()].min() == 255  # nearest = white
    meta = {k.split(":", 1)[1]: v for k, v in text.items()}
    assert meta["kind"] == "depth" and meta["units"] == "cm" and meta["bits"] == "8"
    lo, hi = json.loads(meta["range"])
    assert lo == pytest.approx(float(raw.min())) and hi == pytest.approx(float(raw[~backplane].max()))
    plan = SpanPlan.from_dict(json.loads(meta["plan"]))
    assert plan.total_levels() == 256
    _, mask, _ = png(out / "daz_demo.mask.png")
    assert ((mask == 0) == backplane).all() and set(np.unique(mask)) == {0, 255}
    f = OpenEXR.File(str(out / "daz_demo.mapped.exr"), separate_channels=True)
    mapped = f.parts[0].channels["Y"].pixels
    assert mapped.dtype == np.float32
    np.testing.assert_allclose(mapped, grey / 255.0, atol=1e-7)
    assert f.header()["depthcore:source_units"] == "cm" and f.header()["depthcore:source_kind"] == "depth"
    assert f.header()["depthcore:kind"] == "unknown"  # normalised grey, so read_depth never mistakes it for depth
    with Image.open(out / "daz_demo.histogram.png") as im:
        assert im.size == (900, 420)


def test_sixteen_bit_next_to_input(demo, tmp_path):
    src = tmp_path / "d.exr"
    src.write_bytes(demo.read_bytes())
    proc = run_cli("normalise", src, "--bits", "16", "--invert", "-q")
    assert proc.returncode == 0 and proc.stdout == ""
    mode, grey, _ = png(tmp_path / "d.depth.png")
    assert mode == "I;16" and grey.dtype == np.uint16
    raw = OpenEXR.File(str(src), separate_channels=True).parts[0].channels["Y"].pixels
    assert grey[raw == raw.min()].max() == 0 and grey[raw == raw.max()].min() == 65535  # inverted


def test_noise_seeded(tmp_path):
    v = np.full((16, 16), 1e10, np.float32)
    v[4:8, 4:8] = 2.0
    np.save(tmp_path / "n.npy", v)
    outs = []
    for seed in ("5", "5", "6"):
        assert run_cli("normalise", tmp_path / "n.npy", "--noise", "--seed", seed, "-q").returncode == 0
        outs.append(png(tmp_path / "n.depth.png")[1])
    np.testing.assert_array_equal(outs[0], outs[1])
    assert (outs[0] != outs[2]).any()
    assert (outs[0][4:8, 4:8] == 255).all()


def test_many_files_jobs_and_global_range(tmp_path):
    files = []
    for i in range(4):
        v = np.linspace(1 + i, 2 + i, 64, dtype=np.float32).reshape(8, 8)
        raw_exr(tmp_path / f"f{i}.exr", {"Z": v})
        files.append(tmp_path / f"f{i}.exr")
    one, two = tmp_path / "j1", tmp_path / "j2"
    assert run_cli("normalise", *files, "--out-dir", one, "--global-range").returncode == 0
    proc = run_cli("normalise", *files, "--out-dir", two, "--global-range", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert "normalised 4 of 4 file(s)" in proc.stdout and "range 1 to 5" in proc.stdout
    for f in files:
        name = f.stem + ".depth.png"
        assert (one / name).read_bytes() == (two / name).read_bytes()
    g0, g3 = png(one / "f0.depth.png")[1], png(one / "f3.depth.png")[1]
    assert g0[0, 0] == 255 and g3[-1, -1] == 0  # one range over all files
    assert g0[-1, -1] == png(one / "f1.depth.png")[1][0, 0]  # depth 2.0 ends f0 and starts f1: same grey
    per_file = tmp_path / "pf"
    assert run_cli("normalise", *files, "--out-dir", per_file).returncode == 0
    assert png(per_file / "f3.depth.png")[1][0, 0] == 255  # without it each file spans its own range


def test_histogram_text(demo, tmp_path):
    proc = run_cli("normalise", demo, "--histogram", "--out-dir", tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("daz_demo.exr:")
    assert len([ln for ln in lines if ln.startswith("** - ")]) == 20


def test_plan_file_used_and_over_allocation_writes_nothing(tmp_path):
    v = np.array([[1.0, 1.5, 2.5, 3.0, 4.0]], np.float32)
    np.save(tmp_path / "p.npy", v)
    good = SpanPlan([Span(1, 2, 128), Span(2, 3, 0), Span(3, 4, 128)]).save(tmp_path / "good.json")
    assert run_cli("normalise", tmp_path / "p.npy", "--plan", good, "-q").returncode == 0
    assert png(tmp_path / "p.depth.png")[1].tolist() == [[255, 191, 0, 127, 0]]
    (tmp_path / "p.depth.png").unlink()
    bad = SpanPlan([Span(1, 2, 200), Span(2, 4, 100)]).save(tmp_path / "bad.json")
    proc = run_cli("normalise", tmp_path / "p.npy", "--plan", bad, "--mask")
    assert_one_line_error(proc, "bad.json", "300 levels")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "good.json", "p.npy"]


@pytest.mark.parametrize(
    ("make", "args", "needles"),
    [
        (None, ["missing.exr"], ["missing.exr", "does not exist"]),
        ("text", ["a.txt"], ["a.txt", "unsupported file type"]),
        ("corrupt", ["c.exr"], ["c.exr", "not a readable OpenEXR"]),
        ("exr", ["e.exr", "--channel", "Depth.Z"], ["e.exr", "no channel 'Depth.Z'", "channels: Y, Z"]),
        ("exr", ["e.exr", "--range", "3", "1"], ["range"]),
        ("exr", ["e.exr", "--range-percentile", "90", "10"], ["percentile"]),
        ("exr", ["e.exr", "--bits", "12"], ["--bits"]),
        ("exr", ["e.exr", "--plan", "none.json"], ["none.json", "does not exist"]),
        ("exr", ["e.exr", "-j", "0"], ["-j"]),
        ("exr", ["e.exr", "--curve", "inverse", "--range", "-1", "2"], ["inverse"]),
    ],
)
def test_user_mistakes_one_line_exit_2(tmp_path, make, args, needles):
    if make == "text":
        (tmp_path / "a.txt").write_text("hello")
    elif make == "corrupt":
        (tmp_path / "c.exr").write_bytes(b"\x76\x2f\x31\x01garbage")
    elif make == "exr":
        raw_exr(tmp_path / "e.exr", {"Y": np.ones((4, 4)), "Z": np.ones((4, 4))})
    proc = run_cli("normalise", *args, cwd=tmp_path)
    assert_one_line_error(proc, *needles)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not list(tmp_path.glob("*.png"))


def test_refuses_to_overwrite_an_input(tmp_path):
    raw_exr(tmp_path / "b.exr", {"Y": np.ones((4, 4))})
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "b.mask.png")
    before = digest(tmp_path / "b.mask.png")
    proc = run_cli("normalise", tmp_path / "b.exr", tmp_path / "b.mask.png", "--mask")
    assert_one_line_error(proc, "b.mask.png")
    assert digest(tmp_path / "b.mask.png") == before
    np.save(tmp_path / "b.npy", np.ones((4, 4), np.float32))
    proc = run_cli("normalise", tmp_path / "b.exr", tmp_path / "b.npy")
    assert_one_line_error(proc, "b.depth.png", "same output")


def test_one_bad_file_among_good_ones(tmp_path):
    raw_exr(tmp_path / "ok.exr", {"Y": np.arange(16, dtype=np.float32).reshape(4, 4)})
    raw_exr(tmp_path / "nochan.exr", {"R": np.ones((4, 4)), "G": np.ones((4, 4))})
    proc = run_cli("normalise", tmp_path / "ok.exr", tmp_path / "nochan.exr", "--channel", "Y")
    assert_one_line_error(proc, "nochan.exr", "no channel 'Y'")
    assert (tmp_path / "ok.depth.png").exists() and not (tmp_path / "nochan.depth.png").exists()
    assert "normalised 1 of 2 file(s), 1 failed" in proc.stdout


def test_check_outputs_catches_links_to_inputs(tmp_path):
    from depthcore.errors import UserError
    from depthcore.outputs import OutputSpec, check_outputs

    raw_exr(tmp_path / "a.exr", {"Y": np.ones((2, 2))})
    raw_exr(tmp_path / "b.exr", {"Y": np.ones((2, 2))})
    check_outputs([tmp_path / "a.exr", tmp_path / "b.exr"], OutputSpec())
    (tmp_path / "b.depth.png").hardlink_to(tmp_path / "a.exr")  # b's output is a's input under another name
    with pytest.raises(UserError, match="overwrite an input"):
        check_outputs([tmp_path / "a.exr", tmp_path / "b.exr"], OutputSpec())
    (tmp_path / "b.depth.png").unlink()
    (tmp_path / "b.depth.png").symlink_to(tmp_path / "a.exr")
    with pytest.raises(UserError, match="overwrite an input"):
        check_outputs([tmp_path / "a.exr", tmp_path / "b.exr"], OutputSpec())


def test_disparity_file_keeps_near_white_and_recorded_backplane_is_used(tmp_path):
    """A file that says it holds disparity maps large values to white; a recorded backplane becomes background."""
    import subprocess
    import sys

    import numpy as np

    from depthcore.io import read_png, write_exr

    disp = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    write_exr(tmp_path / "d.exr", {"disparity": disp}, {"kind": "disparity", "units": "relative"})
    depth = np.array([[1.0, 2.0], [3.0, 5.0]], np.float32)
    write_exr(tmp_path / "z.exr", {"depth": depth}, {"kind": "depth", "units": "m", "backplane_depth": 5.0})
    for name in ("d.exr", "z.exr"):
        proc = subprocess.run(
            [sys.executable, "-m", "depthcore", "normalise", str(tmp_path / name), "-q"], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
    assert read_png(tmp_path / "d.depth.png").tolist() == [[0, 85], [170, 255]]
    assert read_png(tmp_path / "z.depth.png").tolist() == [[255, 127], [0, 0]]  # 5.0 is the backplane


def test_output_folder_problems_are_one_line_errors(tmp_path):
    """QA: --out-dir under a regular file, and an output path that is a folder, gave tracebacks."""
    import subprocess
    import sys

    import numpy as np

    from depthcore.io import write_exr

    write_exr(tmp_path / "q.exr", {"Z": np.array([[1.0, 2.0]], np.float32)})
    (tmp_path / "afile").write_text("x")
    (tmp_path / "q.depth.png").mkdir()
    for extra in (["--out-dir", str(tmp_path / "afile" / "x")], []):
        proc = subprocess.run(
            [sys.executable, "-m", "depthcore", "normalise", str(tmp_path / "q.exr"), *extra],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_all_background_warns(tmp_path):
    import subprocess
    import sys

    import numpy as np

    from depthcore.io import write_exr

    write_exr(tmp_path / "far.exr", {"Z": np.array([[20.0, 30.0]], np.float32)})
    proc = subprocess.run(
        [sys.executable, "-m", "depthcore", "normalise", str(tmp_path / "far.exr"), "--far-clip", "10"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "every pixel is background" in proc.stderr


def test_global_range_percentiles_pool_every_pixel(tmp_path):
    """--global-range --range-percentile takes the percentiles of all files' pixels together, not per file."""
    import subprocess
    import sys

    import numpy as np

    from depthcore.io import png_text, write_exr

    rng = np.random.default_rng(3)
    a = rng.uniform(1.0, 2.0, (64, 64)).astype(np.float32)  # a near file and a far, wider one
    b = rng.uniform(2.0, 10.0, (64, 192)).astype(np.float32)
    write_exr(tmp_path / "a.exr", {"Z": a})
    write_exr(tmp_path / "b.exr", {"Z": b})
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "depthcore",
            "normalise",
            str(tmp_path / "a.exr"),
            str(tmp_path / "b.exr"),
            "--global-range",
            "--range-percentile",
            "5",
            "95",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    want = np.percentile(np.concatenate([a.ravel(), b.ravel()]), [5, 95])
    got = [float(x) for x in png_text(tmp_path / "a.depth.png")["depthcore:range"].strip("[]").split(",")]
    # exact to a histogram bin ((max - min) / 65536) or the gap between neighbouring sorted pixels (~7e-4 here)
    np.testing.assert_allclose(got, want, atol=1e-3)
    per_file_widest = [min(np.percentile(a, 5), np.percentile(b, 5)), max(np.percentile(a, 95), np.percentile(b, 95))]
    assert abs(got[0] - per_file_widest[0]) > 0.05  # not the old per-file widest range
    assert (
        png_text(tmp_path / "b.depth.png")["depthcore:range"] == png_text(tmp_path / "a.depth.png")["depthcore:range"]
    )
