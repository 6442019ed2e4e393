"""Video Depth Anything adapter: its own logic offline; the real model where a checkout and weights are configured.

Upstream's code is never imitated here: the offline tests cover argument mapping, checkpoint resolution,
weights-only loading of real ``torch.save`` files, the licence gate, error messages and the chunk stitching maths.
``test_real_*`` run the user's checkout (``DEPTHCORE_VDA_REPO``) with real weights (``DEPTHCORE_WEIGHTS_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from depthcore.cli.main import main
from depthcore.errors import UserError
from depthcore.estimators.video_depth_anything import (
    MODEL_CONFIGS,
    VideoDepthAnythingEstimator,
    call_kwargs,
    check_metric_support,
    checkpoint_name,
    checkpoint_path,
    chunked,
    import_checkout,
    licence_notice,
    load,
    load_state,
    load_weights,
    model_kwargs,
)

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
    (tmp_path / "video_depth_anything").mkdir()
    (tmp_path / "video_depth_anything" / "video_depth.py").touch()  # never imported: the stream module is missing
    with pytest.raises(UserError, match=r"no video_depth_anything/video_depth_stream\.py \(update it"):
        import_checkout(tmp_path, "video_depth_stream")


def test_constructor_arguments_follow_upstream_run_py() -> None:
    assert MODEL_CONFIGS["vits"] == {"encoder": "vits", "features": 64, "out_channels": [48, 96, 192, 384]}
    assert MODEL_CONFIGS["vitb"] == {"encoder": "vitb", "features": 128, "out_channels": [96, 192, 384, 768]}
    assert MODEL_CONFIGS["vitl"] == {"encoder": "vitl", "features": 256, "out_channels": [256, 512, 1024, 1024]}
    assert checkpoint_name("vitl", True) == "metric_video_depth_anything_vitl.pth"
    assert checkpoint_name("vits", False) == "video_depth_anything_vits.pth"


class _WithMetric:  # constructor signatures only: which arguments each checkout generation accepts
    def __init__(self, encoder="vitl", features=256, out_channels=(), metric=False) -> None: ...


class _Before:
    def __init__(self, encoder="vitl", features=256, out_channels=()) -> None: ...


def test_arguments_are_passed_only_where_the_checkout_takes_them() -> None:
    assert model_kwargs(_WithMetric, "vitb", True) == {**MODEL_CONFIGS["vitb"], "metric": True}
    assert model_kwargs(_WithMetric, "vitb", False) == MODEL_CONFIGS["vitb"]
    assert model_kwargs(_Before, "vits", True) == MODEL_CONFIGS["vits"]
    kw = model_kwargs(_Before, "vits", False)
    kw["out_channels"].append(1)  # a copy: the table stays as it is
    assert MODEL_CONFIGS["vits"]["out_channels"] == [48, 96, 192, 384]

    def new(frames, target_fps, input_size=518, device="cuda", fp32=False): ...

    def old(frames, target_fps, input_size=518, device="cuda"): ...

    assert call_kwargs(new, 392, "cuda:1", False) == {"input_size": 392, "device": "cuda", "fp32": False}
    assert call_kwargs(old, 518, "cpu", True) == {"input_size": 518, "device": "cpu"}


def test_metric_weights_need_a_checkout_that_does_not_rescale_them(tmp_path: Path) -> None:
    checkout, metric_dir = tmp_path / "Video-Depth-Anything", tmp_path / "Video-Depth-Anything" / "metric_depth"
    check_metric_support(_WithMetric, checkout, True, "offline")
    check_metric_support(_Before, metric_dir, True, "offline")  # upstream's older copy for metric weights
    check_metric_support(_Before, checkout, True, "stream")
    check_metric_support(_Before, checkout, False, "offline")
    with pytest.raises(UserError, match="no metric mode: update it"):
        check_metric_support(_Before, checkout, True, "offline")
    with pytest.raises(UserError, match="metric_depth/ is upstream's code for metric weights"):
        check_metric_support(_Before, metric_dir, False, "offline")


def _pth(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).touch()
    return folder


def test_checkpoint_resolution(tmp_path: Path) -> None:
    both = _pth(tmp_path / "both", "video_depth_anything_vits.pth", "metric_video_depth_anything_vits.pth")
    assert checkpoint_path(both, "vits", True).name == "metric_video_depth_anything_vits.pth"
    assert checkpoint_path(both, "vits", False).name == "video_depth_anything_vits.pth"
    with pytest.raises(UserError, match=r"several \.pth files and none is video_depth_anything_vitl\.pth"):
        checkpoint_path(both, "vitl", False)
    one = _pth(tmp_path / "one", "my_finetune.pth")
    assert checkpoint_path(one, "vits", False).name == "my_finetune.pth"
    assert checkpoint_path(one / "my_finetune.pth", "vitl", True).name == "my_finetune.pth"
    with pytest.raises(UserError, match=r"no \.pth weights \(expected metric_video_depth_anything_vitb\.pth\)"):
        checkpoint_path(_pth(tmp_path / "none"), "vitb", True)
    with pytest.raises(UserError, match="no such weights file or folder"):
        checkpoint_path(tmp_path / "absent", "vits", False)


def test_weights_only_loading(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    torch.manual_seed(3)
    saved = {k: torch.randn_like(v) for k, v in net.state_dict().items()}
    good = tmp_path / "video_depth_anything_vits.pth"
    torch.save(saved, good)
    assert set(load_state(good)) == set(saved)
    load_weights(net, good, "vits")
    assert all(torch.equal(net.state_dict()[k], v) for k, v in saved.items())

    pickled = tmp_path / "pickled.pth"
    torch.save({"weight": torch.zeros(1), "extra": Path("x")}, pickled)  # anything but tensors needs unpickling
    with pytest.raises(UserError, match="refusing to unpickle") as err:
        load_state(pickled)
    assert str(err.value).startswith(str(pickled)) and "\n" not in str(err.value)
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"model": saved, "epoch": 3}, wrapped)
    with pytest.raises(UserError, match="not a state dict of tensors"):
        load_state(wrapped)
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"PK\x03\x04")
    with pytest.raises(UserError, match="cannot read the weights") as err:
        load_state(broken)
    assert "\n" not in str(err.value)

    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1), torch.nn.Linear(1, 1))
    with pytest.raises(UserError, match=r"do not fit the vitl model \(2 missing, 0 unexpected, 3 of another shape"):
        load_weights(other, good, "vitl")


def _clip_with_a_new_scale_per_call(truth: np.ndarray, calls: list[int], metric: bool = False):
    """Per-frame depth ``truth[i]`` (frame i is filled with i), each call on its own scale and shift."""

    def clip(frames: np.ndarray) -> np.ndarray:
        idx = frames[:, 0, 0, 0].astype(int)
        assert (frames == idx[:, None, None, None]).all()
        calls.append(len(frames))
        s, t = (1.0, 0.0) if metric else (1.5 + 0.5 * len(calls), 0.2 * len(calls))
        return (truth[idx] * s + t).astype(np.float32)

    return clip


@pytest.mark.parametrize("n", [1, 11, 12, 13, 20, 21, 29, 30, 47])
def test_chunks_are_stitched_onto_the_first_chunks_scale(n: int) -> None:
    rng = np.random.default_rng(n)
    truth = rng.uniform(0.5, 3.0, (n, 5, 7)).astype(np.float32)
    frames = [np.full((5, 7, 3), i, np.uint8) for i in range(n)]
    calls: list[int] = []
    out = list(chunked(iter(frames), _clip_with_a_new_scale_per_call(truth, calls), True, chunk_frames=12, overlap=4))
    assert len(out) == n and max(calls) <= 12
    assert len(calls) == (1 if n <= 12 else 1 + -(-(n - 12) // 8))  # each further chunk adds 8 new frames
    np.testing.assert_allclose(np.stack(out), truth * 2.0 + 0.2, rtol=1e-4)  # the first call's s=2, t=0.2


def test_metric_chunks_are_not_rescaled_but_blended() -> None:
    n = 20
    truth = np.ones((n, 2, 2), np.float32)
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(n)]
    offsets = iter([0.0, 1.0])

    def clip(f: np.ndarray) -> np.ndarray:
        return truth[: len(f)] + next(offsets)

    out = np.stack(list(chunked(frames, clip, False, chunk_frames=12, overlap=4)))
    # frames 8..11 are shared: weights 1/5..4/5 move from the first chunk (1.0) to the second (2.0)
    np.testing.assert_allclose(out[:, 0, 0], [1.0] * 8 + [1.2, 1.4, 1.6, 1.8] + [2.0] * 8, rtol=1e-6)
    with pytest.raises(UserError, match="must be larger than the overlap"):
        list(chunked(frames, clip, False, chunk_frames=4, overlap=4))


def test_stream_reset_restores_the_fresh_state_and_keeps_weights() -> None:
    torch = pytest.importorskip("torch")

    class Stateful(torch.nn.Module):  # plain attributes a streaming model keeps between frames
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)
            self.transform, self.cache, self.id = None, [], -1

    model = Stateful()
    est = VideoDepthAnythingEstimator(
        "vda", model, metric=False, mode="stream", device="cpu", fp32=True, input_size=518
    )
    weight = model.lin.weight.detach().clone()
    model.transform, model.id = "ready", 41
    model.cache.append(torch.ones(3))
    est.reset()
    assert model.transform is None and model.cache == [] and model.id == -1
    assert torch.equal(model.lin.weight, weight) and est.kind == "disparity" and est.meta["mode"] == "stream"


def test_load_checks_what_it_can_before_the_checkout(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    folder = _pth(tmp_path / "w", "video_depth_anything_vits.pth")
    with pytest.raises(UserError, match="unknown Video Depth Anything mode 'live'"):
        load(folder, "vda", "cpu", None, {"encoder": "vits", "vda_mode": "live"})
    with pytest.raises(UserError, match="unknown Video Depth Anything encoder 'vitg'"):
        load(folder, "vda", "cpu", None, {"encoder": "vitg"})
    with pytest.raises(UserError, match=r"no \.pth weights"):
        load(_pth(tmp_path / "empty"), "vda", "cpu", None, {"encoder": "vits", "vda_repo": str(tmp_path)})


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


# --- real model: the user's checkout and real weights --------------------------------------------------------------

REPO = os.environ.get("DEPTHCORE_VDA_REPO")
ROOT = os.environ.get("DEPTHCORE_WEIGHTS_DIR")


def _local(name: str) -> Path | None:
    from depthcore.estimators.catalogue import CATALOGUE
    from depthcore.estimators.weights import find_local

    return find_local(CATALOGUE[name], ROOT) if ROOT and REPO else None


def _receding_floor(frames: int, h: int = 168, w: int = 224) -> list[np.ndarray]:
    """A checkered floor rising to a horizon, the camera gliding forward: the bottom rows are nearest."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    below = np.maximum(y - 0.25 * h, 1.0)  # rows under the horizon
    depth = 0.5 * h / below
    out = []
    for i in range(frames):
        u = (x - w / 2) * depth / (0.5 * w)
        v = depth + 0.08 * i
        checker = ((np.floor(u * 2) + np.floor(v * 2)) % 2) * 150 + 60
        img = np.where(y < 0.25 * h, 200.0, checker)
        out.append(np.repeat(img[:, :, None], 3, axis=2).astype(np.uint8))
    return out


def _nearer_at_the_bottom(values: np.ndarray, disparity: bool) -> bool:
    h = values.shape[0]
    top, bottom = values[int(0.3 * h) : int(0.45 * h)].mean(), values[-int(0.15 * h) :].mean()
    return bool(bottom > top) if disparity else bool(bottom < top)


@pytest.mark.weights
@pytest.mark.skipif(
    not _local("video-depth-anything-small"),
    reason="needs DEPTHCORE_VDA_REPO (a Video-Depth-Anything checkout with its requirements) and "
    "DEPTHCORE_WEIGHTS_DIR/video-depth-anything-small/video_depth_anything_vits.pth",
)
def test_real_small_offline_chunks_agree_with_one_call_and_with_the_stream() -> None:
    from depthcore.estimators import load_estimator

    frames = _receding_floor(50)
    opts = {"vda_repo": REPO, "input_size": 252, "chunk_frames": 22}
    est = load_estimator("video-depth-anything-small", weights_dir=ROOT, device="cpu", options=opts)
    assert est.mode == "offline" and est.kind == "disparity" and est.fp32
    stitched = np.stack([e.values for e in est.predict_video(frames)])
    assert stitched.shape == (50, 168, 224) and np.isfinite(stitched).all() and stitched.min() >= 0
    whole = est._clip(np.stack(frames))  # one upstream call over the whole clip
    for a, b in zip(stitched, whole):
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.95
    assert all(_nearer_at_the_bottom(v, True) for v in stitched)
    single = est.predict(frames[0])
    assert single.values.shape == (168, 224) and _nearer_at_the_bottom(single.values, True)

    stream = load_estimator(
        "video-depth-anything-small", weights_dir=ROOT, device="cpu", options={**opts, "vda_mode": "stream"}
    )
    assert stream.mode == "stream"
    streamed = np.stack([e.values for e in stream.predict_video(frames[:12])])
    assert all(_nearer_at_the_bottom(v, True) for v in streamed)
    assert np.corrcoef(streamed[-1].ravel(), stitched[11].ravel())[0, 1] > 0.9


@pytest.mark.weights
@pytest.mark.skipif(
    not _local("metric-video-depth-anything-small"),
    reason="needs DEPTHCORE_VDA_REPO and "
    "DEPTHCORE_WEIGHTS_DIR/metric-video-depth-anything-small/metric_video_depth_anything_vits.pth",
)
def test_real_metric_small_gives_metres() -> None:
    from depthcore.estimators import load_estimator

    est = load_estimator(
        "metric-video-depth-anything-small",
        weights_dir=ROOT,
        device="cpu",
        options={"vda_repo": REPO, "input_size": 252, "chunk_frames": 22},
    )
    depths = [e for e in est.predict_video(_receding_floor(30))]
    assert all(e.kind == "depth" and e.units == "m" for e in depths)
    values = np.stack([e.values for e in depths])
    assert np.isfinite(values).all() and values.min() >= 0 and 0.05 < np.median(values) < 500
    assert all(_nearer_at_the_bottom(v, False) for v in values)
