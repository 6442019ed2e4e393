"""The estimator subprocess: ``<python> -m depthcore estimate ... --json-progress``, read without blocking.

Blender's own Python has no torch, so estimators run in a Python the user names in the preferences. This
module is bpy-free: it checks that Python, builds the command line, starts the process, collects its JSON
progress lines on reader threads (so a timer can poll without blocking Blender) and kills it on cancel.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from depthcore.errors import UserError

INSTALL_HINT = "pip install 'depthcore[estimators]'"
NO_PYTHON = (
    "no estimator Python set: choose a Python with depthcore[estimators] installed in "
    "Edit > Preferences > Add-ons > Depthcore > Estimator Python (Blender's own Python has no torch)"
)


def check_python(path: str) -> Path:
    """The estimator Python from the preferences, or a UserError saying what is wrong with it."""
    raw = path.strip()
    if not raw:
        raise UserError(NO_PYTHON)
    exe = Path(raw).expanduser()
    if not exe.exists():
        raise UserError("estimator Python does not exist (set it in the add-on preferences)", exe)
    if exe.is_dir():
        raise UserError("estimator Python is a folder, not a Python executable", exe)
    if os.name != "nt" and not os.access(exe, os.X_OK):
        raise UserError("estimator Python is not executable", exe)
    return exe


@dataclass
class EstimateRequest:
    """What to estimate and how (maps one to one onto ``depthcore estimate`` options)."""

    image: Path
    model: str
    out_dir: Path
    weights_dir: str = ""
    device: str = "auto"
    fp32: bool = False
    resolution: int = 512
    input_size: int = 0

    def arguments(self) -> list[str]:
        args = [str(self.image), "--model", self.model, "--out", str(self.out_dir), "--json-progress",
                "--no-grey", "--device", self.device, "--resolution", str(self.resolution)]
        if self.weights_dir.strip():
            args += ["--weights-dir", self.weights_dir.strip()]
        if self.fp32:
            args.append("--fp32")
        if self.input_size > 0:
            args += ["--input-size", str(self.input_size)]
        return args


def depthcore_command(python: Path, subcommand: str, arguments: Sequence[str]) -> list[str]:
    return [str(python), "-m", "depthcore", subcommand, *arguments]


def child_env() -> dict[str, str]:
    """The environment for the child: Blender's, without settings that point Python at Blender's own."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONEXECUTABLE")}


def explain_failure(returncode: int, error_event: str | None, stderr_tail: Sequence[str], python: Path) -> str:
    """One line saying why the child failed."""
    if error_event:
        return error_event
    text = "\n".join(stderr_tail)
    if "No module named depthcore" in text:
        return f"depthcore is not installed for {python} ({INSTALL_HINT})"
    if "No module named" in text and ("torch" in text or "transformers" in text):
        return f"the estimator Python lacks torch/transformers ({INSTALL_HINT})"
    lines = [ln.strip() for ln in stderr_tail if ln.strip()]
    last = lines[-1] if lines else f"exit status {returncode}"
    prefix = "depthcore estimate: error: "
    return last[len(prefix):] if last.startswith(prefix) else f"estimator failed: {last}"


class EstimateProcess:
    """One running ``depthcore estimate``; :meth:`poll` never blocks."""

    STDERR_KEEP = 40

    def __init__(self, python: Path, request: EstimateRequest) -> None:
        self.python = python
        self.request = request
        self.command = depthcore_command(python, "estimate", request.arguments())
        self.events: list[dict] = []
        self.outputs: list[Path] = []
        self.error: str | None = None
        self.stderr_tail: list[str] = []
        self._lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        try:
            self.proc = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                text=True, encoding="utf-8", errors="replace", bufsize=1, cwd=request.out_dir, env=child_env(),
                start_new_session=os.name != "nt",
            )
        except OSError as exc:
            raise UserError(f"cannot start the estimator Python ({exc.strerror or exc})", python) from exc
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, "out"), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, "err"), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, name: str) -> None:
        for line in stream:
            self._lines.put((name, line.rstrip("\n")))
        self._lines.put((name, None))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        while True:
            try:
                name, line = self._lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                continue
            if name == "err":
                self.stderr_tail = [*self.stderr_tail[-self.STDERR_KEEP + 1:], line]
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a library printing to stdout: not ours
            if not isinstance(event, dict):
                continue
            self.events.append(event)
            if event.get("event") == "output":
                self.outputs.append(Path(str(event.get("path"))))
            elif event.get("event") == "error":
                self.error = str(event.get("message", "estimator error"))

    def poll(self) -> int | None:
        """Collect new progress lines; the exit status once the process has ended and its output is read."""
        self._drain()
        code = self.proc.poll()
        if code is None:
            return None
        for t in self._threads:
            t.join(timeout=5)
        self._drain()
        return code

    def fraction(self) -> float:
        """Rough progress 0..1 from the events seen so far (model loading counts as half)."""
        names = [e.get("event") for e in self.events]
        if "done" in names:
            return 1.0
        progress = [e for e in self.events if e.get("event") == "progress"]
        if progress:
            last = progress[-1]
            total = last.get("total") or 1
            return 0.5 + 0.5 * min(1.0, float(last.get("done", 0)) / float(total))
        return 0.5 if "model" in names else (0.05 if "start" in names else 0.0)

    def stage(self) -> str:
        names = [e.get("event") for e in self.events]
        if "done" in names:
            return "done"
        if "model" in names:
            return "estimating"
        return "loading model" if "start" in names else "starting Python"

    def failure(self, returncode: int) -> str:
        return explain_failure(returncode, self.error, self.stderr_tail, self.python)

    def kill(self) -> None:
        """End the process (and anything it started) now; wait for it so no zombie is left."""
        if self.proc.poll() is None:
            try:
                if os.name != "nt":
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


def run_eval(python: Path, pred: Path, gt: Path, align: str, timeout: float = 300.0) -> dict:
    """``depthcore eval PRED GT --align ALIGN --json`` in the estimator Python; its JSON result."""
    cmd = depthcore_command(python, "eval", [str(pred), str(gt), "--align", align, "--json"])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace",
                              timeout=timeout, env=child_env(), cwd=pred.parent, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise UserError(f"cannot start the estimator Python ({exc.strerror or exc})", python) from exc
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"depthcore eval took longer than {timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise UserError(explain_failure(proc.returncode, None, proc.stderr.splitlines()[-STDERR_LINES:], python))
    for line in reversed(proc.stdout.splitlines()):
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(result, dict) and "abs_rel" in result:
            return result
    raise UserError("depthcore eval printed no result")


STDERR_LINES = 40
