"""Draw the Depth sidebar panel as a PNG from what its real ``draw()`` code lays out (not a Blender screenshot).

Builds the extension zip, installs it into the real ``bpy`` module in a subprocess and records every panel's
``draw_header``/``draw`` with the same checked recording layout the tests use (tests/addon/panel_driver.py,
tests/addon/ui_recorder.py), then paints the recorded layout trees with Pillow in Blender's dark theme: panel
headers, labels, property rows with their current values, buttons with their operators' labels, the span list's
rows and the histogram image. Widget sizes and colours imitate Blender 4.2; icons are simple stand-in glyphs.

    .blender/4.2/python/bin/python scripts/render_panel_mock.py [--state after_render] [--open-all]
        [--report panel_report.json] [--out docs/images/panel.png]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from depthcore.atomic import atomic_path  # noqa: E402

K = 1.5  # pixels per Blender UI pixel at resolution scale 1
U = round(20 * K)  # one UI unit (widget height)
GAP = round(2 * K)
PAD = round(8 * K)
PANEL_W = round(360 * K)
TABS_W = round(22 * K)
SPLIT = 0.4  # use_property_split: label column share
RADIUS = round(4 * K)

# Blender 4.2 "Blender Dark" theme (approximate).
C = {
    "region": (40, 40, 40), "panel": (48, 48, 48), "header": (61, 61, 61), "subheader": (56, 56, 56),
    "text": (230, 230, 230), "text_dim": (160, 160, 160), "num": (84, 84, 84), "field": (29, 29, 29),
    "tool": (84, 84, 84), "option": (84, 84, 84), "sel": (71, 114, 179), "list": (34, 34, 34),
    "list_sel": (51, 77, 128), "box": (43, 43, 43), "box_line": (70, 70, 70), "alert": (190, 60, 60),
    "tab": (48, 48, 48), "tab_active": (70, 70, 70), "outline": (61, 61, 61),
}


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Blender's own UI font (Inter, shipped inside the bpy package) when it is there."""
    spec = importlib.util.find_spec("bpy")
    for root in (spec.submodule_search_locations or []) if spec else []:
        for path in sorted(Path(root).glob("*/datafiles/fonts/Inter.woff2")):
            try:
                return ImageFont.truetype(str(path), size)
            except OSError:
                pass
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


FONT = _font(round(11.5 * K))
FONT_BOLD = FONT


@dataclass(frozen=True)
class Ctx:
    """Layout state inherited by children: property split, active/enabled/alert, alignment."""

    split: bool = False
    active: bool = True
    alert: bool = False
    heading: str = ""


def _dim(color: tuple, ctx: Ctx) -> tuple:
    return color if ctx.active else tuple(int(c * 0.55 + 40 * 0.45) for c in color)


class Painter:
    def __init__(self, height: int, histogram: np.ndarray | None) -> None:
        self.img = Image.new("RGB", (PANEL_W + TABS_W, height), C["region"])
        self.d = ImageDraw.Draw(self.img)
        self.histogram = histogram

    # -- primitives --------------------------------------------------------------------------------------------
    def text(self, x: float, y: float, h: float, s: str, ctx: Ctx, color=None, anchor="lm", max_w=None) -> None:
        color = color or (C["alert"] if ctx.alert else C["text"])
        if max_w is not None:
            while s and self.d.textlength(s, font=FONT) > max_w:
                s = s[:-2] + "…" if len(s) > 2 else ""
        self.d.text((x, y + h / 2), s, fill=_dim(color, ctx), font=FONT, anchor=anchor)

    def rect(self, x, y, w, h, fill, ctx: Ctx, radius=RADIUS, outline=None) -> None:
        self.d.rounded_rectangle([x, y, x + w - 1, y + h - 1], radius, fill=_dim(fill, ctx),
                                 outline=_dim(outline, ctx) if outline else None)

    def icon(self, name: str, cx: float, cy: float, ctx: Ctx, color=None) -> None:
        """A simple stand-in glyph for a Blender icon name."""
        col = _dim(color or (C["alert"] if ctx.alert and name == "ERROR" else C["text"]), ctx)
        d, r = self.d, 6 * K
        w = max(1, round(1.5 * K))
        if name in ("NONE", ""):
            return
        if name == "ADD":
            d.line([cx - r, cy, cx + r, cy], col, w)
            d.line([cx, cy - r, cx, cy + r], col, w)
        elif name == "REMOVE":
            d.line([cx - r, cy, cx + r, cy], col, w)
        elif name == "CHECKMARK":
            d.line([cx - r, cy, cx - r / 3, cy + r * 0.7, cx + r, cy - r * 0.7], col, w)
        elif name == "ERROR":
            d.polygon([cx, cy - r, cx + r, cy + r * 0.8, cx - r, cy + r * 0.8], outline=col, width=w)
            d.line([cx, cy - r * 0.3, cx, cy + r * 0.3], col, w)
        elif name == "INFO":
            d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=col, width=w)
            d.line([cx, cy - r * 0.2, cx, cy + r * 0.5], col, w)
            d.point([cx, cy - r * 0.5], col)
        elif name in ("FILEBROWSER", "FILE_FOLDER"):
            d.rectangle([cx - r, cy - r * 0.5, cx + r, cy + r * 0.7], outline=col, width=w)
            d.line([cx - r, cy - r * 0.5, cx - r * 0.6, cy - r * 0.8, cx - r * 0.1, cy - r * 0.8], col, w)
        elif name == "FILE_TICK":
            d.rectangle([cx - r * 0.7, cy - r, cx + r * 0.7, cy + r], outline=col, width=w)
            d.line([cx - r * 0.4, cy, cx - r * 0.1, cy + r * 0.4, cx + r * 0.4, cy - r * 0.3], col, w)
        elif name in ("RENDER_STILL", "RENDER_ANIMATION"):
            d.rectangle([cx - r, cy - r * 0.6, cx + r * 0.4, cy + r * 0.6], outline=col, width=w)
            d.polygon([cx + r * 0.4, cy, cx + r, cy - r * 0.5, cx + r, cy + r * 0.5], outline=col)
            if name == "RENDER_ANIMATION":
                d.line([cx - r * 0.3, cy - r * 0.6, cx - r * 0.3, cy + r * 0.6], col, w)
        elif name in ("HIDE_OFF", "HIDE_ON"):
            d.arc([cx - r, cy - r * 0.7, cx + r, cy + r * 0.7], 180, 360, col, w)
            d.arc([cx - r, cy - r * 0.7, cx + r, cy + r * 0.7], 0, 180, col, w)
            if name == "HIDE_OFF":
                d.ellipse([cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3], fill=col)
            else:
                d.line([cx - r, cy + r * 0.7, cx + r, cy - r * 0.7], col, w)
        elif name == "DOT":
            d.ellipse([cx - r * 0.25, cy - r * 0.25, cx + r * 0.25, cy + r * 0.25], fill=col)
        elif name == "FILE_REFRESH":
            d.arc([cx - r, cy - r, cx + r, cy + r], 40, 320, col, w)
            d.polygon([cx + r, cy - r * 0.2, cx + r * 0.5, cy - r * 0.9, cx + r * 1.2, cy - r * 0.8], fill=col)
        elif name == "IMAGE_ZDEPTH":
            for i in range(5):
                g = tuple(int(v * (1 - i / 6)) for v in col)
                d.rectangle([cx - r + i * 2 * r / 5, cy - r, cx - r + (i + 1) * 2 * r / 5, cy + r], fill=g)
        else:  # OBJECT_DATA, ORIENTATION_VIEW, ...: a generic diamond
            d.polygon([cx, cy - r, cx + r, cy, cx, cy + r, cx - r, cy], outline=col, width=w)

    # -- layout ------------------------------------------------------------------------------------------------
    def layout(self, node: dict, x: float, y: float, w: float, ctx: Ctx, draw: bool) -> float:
        """Lay out (and with ``draw`` paint) a recorded layout node; return its height."""
        attrs = node.get("attrs", {})
        ctx = replace(ctx, split=attrs.get("use_property_split", ctx.split),
                      active=ctx.active and attrs.get("active", True) and attrs.get("enabled", True),
                      alert=ctx.alert or attrs.get("alert", False))
        kind = node.get("kind")
        if kind in ("row", "split") or node.get("type") == "header":
            return self.row(node, x, y, w, ctx, draw)
        if kind == "box":
            inner = self.column(node, x + PAD, y + PAD, w - 2 * PAD, ctx, False) + 2 * PAD
            if draw:
                self.rect(x, y, w, inner, C["box"], ctx, outline=C["box_line"])
                self.column(node, x + PAD, y + PAD, w - 2 * PAD, ctx, True)
            return inner
        if node.get("heading") and ctx.split:
            ctx = replace(ctx, heading=node["heading"])
        return self.column(node, x, y, w, ctx, draw)

    def column(self, node: dict, x, y, w, ctx: Ctx, draw: bool) -> float:
        gap = 0 if node.get("align") else GAP
        h0 = y
        for i, item in enumerate(node["items"]):
            h = self.item(item, x, y, w, ctx, draw)
            y += h + (gap if i < len(node["items"]) - 1 else 0)
            ctx = replace(ctx, heading="")
        return y - h0

    def fixed_width(self, item: dict) -> float | None:
        """Width of icon-only items (buttons, checkboxes, separators) in a row; None when it stretches."""
        t = item.get("type")
        if t == "operator" and item.get("label") == "" and item.get("icon") != "NONE":
            return U
        if t == "prop" and item.get("text") == "" and item["prop_type"] == "BOOLEAN":
            return U
        if t == "separator":
            return U * 0.3
        if t == "layout" and item["items"] and item.get("kind") == "column":
            widths = [self.fixed_width(i) for i in item["items"]]
            return max(widths) if all(v is not None for v in widths) else None
        return None

    def row(self, node: dict, x, y, w, ctx: Ctx, draw: bool) -> float:
        items = node["items"]
        if not items:
            return 0
        heading = node.get("heading") or ctx.heading
        if ctx.split and heading:  # the heading takes the label column, the items the value column
            if draw:
                self.text(x + w * SPLIT - PAD, y, U, heading, ctx, anchor="rm")
            x, w = x + w * SPLIT, w * (1 - SPLIT)
            ctx = replace(ctx, split=False, heading="")
        gap = 0 if node.get("align") else GAP
        fixed = [self.fixed_width(i) for i in items]
        flex = max(1, sum(v is None for v in fixed))
        free = w - sum(v for v in fixed if v is not None) - gap * (len(items) - 1)
        h, cx = 0.0, x
        for item, fw in zip(items, fixed):
            iw = fw if fw is not None else free / flex
            h = max(h, self.item(item, cx, y, iw, replace(ctx, heading=""), draw))
            cx += iw + gap
        return h

    def item(self, item: dict, x, y, w, ctx: Ctx, draw: bool) -> float:
        t = item["type"]
        if t == "layout":
            return self.layout(item, x, y, w, ctx, draw)
        if t == "separator":
            return U * 0.4 * item.get("factor", 1.0)
        if t == "label":
            if draw:
                tx = x + GAP
                if item["icon"] != "NONE":
                    self.icon(item["icon"], x + U / 2, y + U / 2, ctx)
                    tx = x + U
                self.text(tx, y, U, item["text"], ctx, max_w=w - (tx - x))
            return U
        if t == "operator":
            if draw:
                self.button(item, x, y, w, ctx)
            return U
        if t == "prop":
            if draw:
                self.prop(item, x, y, w, ctx)
            return U
        if t == "list":
            return self.ui_list(item, x, y, w, ctx, draw)
        if t == "icon":
            side = min(w, U * item.get("scale", 1.0))  # template_icon(scale=N): an N x N units square preview
            if draw and self.histogram is not None and item.get("image"):
                self.rect(x, y, w, side, C["field"], ctx)
                rgb = Image.fromarray(np.clip(self.histogram[..., :3] * 255 + 0.5, 0, 255).astype(np.uint8))
                rgb.thumbnail((int(w - 2 * GAP), int(side - 2 * GAP)), Image.LANCZOS)
                self.img.paste(rgb, (int(x + (w - rgb.width) / 2), int(y + (side - rgb.height) / 2)))
            return side
        return U

    def button(self, item: dict, x, y, w, ctx: Ctx) -> None:
        if item.get("emboss", True):
            self.rect(x, y, w, U, C["sel"] if item["depress"] else C["tool"], ctx)
        label, icon = item["label"], item["icon"]
        if not label:
            self.icon(icon, x + w / 2, y + U / 2, ctx)
            return
        tw = self.d.textlength(label, font=FONT) + (U * 0.8 if icon != "NONE" else 0)
        sx = x + max(GAP, (w - tw) / 2)
        if icon != "NONE":
            self.icon(icon, sx + U * 0.35, y + U / 2, ctx)
            sx += U * 0.8
        self.text(sx, y, U, label, ctx, color=C["text"], max_w=w - (sx - x) - GAP)

    def prop(self, item: dict, x, y, w, ctx: Ctx) -> None:
        kind, text = item["prop_type"], item.get("text", item["name"])
        alert = ctx.alert
        if kind == "BOOLEAN":
            if ctx.split:
                if ctx.heading:
                    self.text(x + w * SPLIT - PAD, y, U, ctx.heading, ctx, anchor="rm")
                x, w = x + w * SPLIT, w * (1 - SPLIT)
            box = U * 0.7
            by = y + (U - box) / 2
            self.rect(x + GAP, by, box, box, C["sel"] if item["value"] else C["option"], ctx, radius=round(3 * K))
            if item["value"]:
                c = (x + GAP + box / 2, by + box / 2)
                self.d.line([c[0] - box * 0.3, c[1], c[0] - box * 0.05, c[1] + box * 0.25, c[0] + box * 0.3,
                             c[1] - box * 0.25], _dim(C["text"], ctx), max(1, round(2 * K)))
            if text:
                self.text(x + box + 3 * GAP, y, U, text, ctx, max_w=w - box - 3 * GAP)
            return
        if ctx.split and text:
            self.text(x + w * SPLIT - PAD, y, U, text, ctx, anchor="rm", max_w=w * SPLIT - PAD)
            x, w = x + w * SPLIT, w * (1 - SPLIT)
            text = ""
        if kind == "ENUM" and item.get("expand"):
            n = len(item["items"])
            for i, (ident, name) in enumerate(item["items"]):
                bx = x + i * w / n
                on = ident == item["current"]
                self.rect(bx, y, w / n - 1, U, C["sel"] if on else C["tool"], ctx)
                self.text(bx + w / n / 2, y, U, name, ctx, anchor="mm", color=C["text"])
            return
        value = self.value_text(item)
        if kind in ("INT", "FLOAT"):
            self.rect(x, y, w, U, C["alert"] if alert else C["num"], ctx)
            if text:
                self.text(x + PAD, y, U, text, ctx, color=C["text"], max_w=w / 2)
                self.text(x + w - PAD, y, U, value, ctx, anchor="rm", color=C["text"])
            else:
                self.text(x + w / 2, y, U, value, ctx, anchor="mm", color=C["text"])
            return
        if not item.get("emboss", True):  # e.g. the span name in the list
            tx = x + GAP
            if item["icon"] != "NONE":
                self.icon(item["icon"], x + U / 2, y + U / 2, ctx)
                tx = x + U
            self.text(tx, y, U, value, ctx, color=C["text"], max_w=w - (tx - x) - GAP)
            return
        self.rect(x, y, w, U, C["field"], ctx, outline=C["outline"])
        tx = x + PAD
        if text:
            self.text(tx, y, U, f"{text}:", ctx, color=C["text_dim"])
            tx += self.d.textlength(f"{text}: ", font=FONT)
        if kind == "ENUM":
            self.d.polygon([x + w - PAD - 8 * K, y + U * 0.42, x + w - PAD, y + U * 0.42, x + w - PAD - 4 * K,
                            y + U * 0.62], fill=_dim(C["text_dim"], ctx))
        path = item.get("subtype") in ("DIR_PATH", "FILE_PATH")
        if path:
            self.icon("FILEBROWSER", x + w - U / 2, y + U / 2, ctx)
        self.text(tx, y, U, value, ctx, color=C["text"], max_w=w - (tx - x) - (U if path or kind == "ENUM" else 0))

    @staticmethod
    def value_text(item: dict) -> str:
        v = item["value"]
        if item["prop_type"] == "FLOAT":
            if item.get("unit") == "LENGTH":
                return f"{v:.4f}".rstrip("0").rstrip(".") + " m"
            return f"{v:.{max(item.get('precision', 2), 0)}f}"
        return str(v)

    def ui_list(self, item: dict, x, y, w, ctx: Ctx, draw: bool) -> float:
        rows = max(len(item["items"]), item.get("rows", 5))
        h = rows * U + 2 * GAP + U * 0.4
        if draw:
            self.rect(x, y, w, h, C["list"], ctx)
            for i, row in enumerate(item["items"]):
                ry = y + GAP + i * U
                if i == item.get("active_index"):
                    self.rect(x + GAP, ry, w - 2 * GAP, U, C["list_sel"], ctx, radius=round(3 * K))
                self.layout(row, x + GAP, ry, w - 2 * GAP, ctx, True)
            gy = y + h - U * 0.25
            for k in range(3):
                self.d.line([x + w / 2 - 6 * K, gy - k * 2 * K, x + w / 2 + 6 * K, gy - k * 2 * K],
                            _dim(C["box_line"], ctx), 1)
        return h

    # -- panels ------------------------------------------------------------------------------------------------
    def panel(self, p: dict, children: dict, x, y, w, open_all: bool, draw: bool, sub: bool = False) -> float:
        """Header (with the draw_header items), then the body and subpanels unless closed by default."""
        y0 = y
        closed = p["closed"] and not open_all
        if draw:
            self.rect(x, y, w, U * 1.2, C["subheader"] if sub else C["header"], Ctx(), radius=round(5 * K))
            cx, cy = x + PAD + 4 * K, y + U * 0.6
            r = 4 * K
            tri = ([cx - r, cy - r * 0.6, cx + r, cy - r * 0.6, cx, cy + r * 0.7] if not closed
                   else [cx - r * 0.6, cy - r, cx + r * 0.7, cy, cx - r * 0.6, cy + r])
            self.d.polygon(tri, fill=C["text_dim"])
        hx = x + PAD + 14 * K
        if p["header"] is not None:
            hw = sum(self.fixed_width(i) or U for i in p["header"]["items"])
            if draw:
                self.layout(p["header"], hx, y + U * 0.1, hw, Ctx(), True)
            hx += hw + GAP
        if draw:
            self.text(hx, y, U * 1.2, p["label"], Ctx(), color=C["text"])
        y += U * 1.2
        if closed:
            return y - y0
        body_ctx = Ctx()
        if p["body"] is not None:
            body_ctx = replace(body_ctx, active=p["body"]["attrs"].get("active", True))
            y += GAP * 2
            y += self.layout(p["body"], x + PAD, y, w - 2 * PAD, Ctx(), draw) + GAP * 2
        for child in children.get(p["panel"], []):
            y += GAP
            y += self.panel(child, children, x + GAP * 2, y, w - GAP * 4, open_all, draw, sub=True)
        return y - y0 + GAP


def paint(panels: list[dict], histogram: np.ndarray | None, open_all: bool) -> Image.Image:
    children: dict[str, list[dict]] = {}
    for p in panels:
        children.setdefault(p["parent"], []).append(p)
    tops = children.get("", [])
    probe = Painter(1, histogram)
    height = PAD + sum(probe.panel(p, children, PAD, 0, PANEL_W - 2 * PAD, open_all, False) + PAD for p in tops)
    footer = U
    painter = Painter(int(height + footer), histogram)
    y = PAD
    for p in tops:
        y += painter.panel(p, children, PAD, y, PANEL_W - 2 * PAD, open_all, True) + PAD
    painter.text(PAD, height, footer * 0.9, "Drawn from the recorded Panel.draw() layout, not a screenshot",
                 Ctx(), color=(120, 120, 120))
    tabs(painter)
    return painter.img


def tabs(painter: Painter) -> None:
    """The sidebar's vertical tab strip with the Depth tab active."""
    x0 = PANEL_W
    painter.d.rectangle([x0, 0, x0 + TABS_W, painter.img.height], fill=(35, 35, 35))
    y = PAD
    for name in ("Item", "Tool", "View", "Depth"):
        tw = int(painter.d.textlength(name, font=FONT)) + 2 * PAD
        tab = Image.new("RGB", (tw, TABS_W - 2 * GAP), C["tab_active"] if name == "Depth" else C["tab"])
        ImageDraw.Draw(tab).text((tw / 2, tab.height / 2), name, fill=C["text"], font=FONT, anchor="mm")
        painter.img.paste(tab.rotate(-90, expand=True), (x0 + GAP, y))
        y += tw + GAP


def record(tmp: Path) -> Path:
    """Build the zip and run the panel driver (the same one the tests use); return its report."""
    py = sys.executable
    build = subprocess.run([py, str(REPO / "scripts" / "build_extension.py"), "--platforms", "linux-x64",
                            "--output-dir", str(tmp / "dist")], capture_output=True, text=True, cwd=REPO)
    if build.returncode != 0:
        sys.exit(f"render_panel_mock: building the extension failed: {build.stderr.strip().splitlines()[-1:]}")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([py, str(REPO / "tests" / "addon" / "panel_driver.py"), build.stdout.split()[-1],
                    str(tmp / "out")], capture_output=True, text=True, cwd=tmp, env=env)
    report = tmp / "out" / "panel_report.json"
    if not report.is_file():
        sys.exit("render_panel_mock: the panel driver wrote no report")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", default="after_render",
                        help="no_render, after_render, over_allocated, estimate (default after_render)")
    parser.add_argument("--open-all", action="store_true", help="also open the panels closed by default")
    parser.add_argument("--report", type=Path, help="an existing panel_report.json (skips building and drawing)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "panel.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="depthcore_panel_") as tmp:
        report_path = args.report or record(Path(tmp))
        report = json.loads(report_path.read_text())
        states = report["states"]
        if args.state not in states:
            print(f"render_panel_mock: no state {args.state!r} (have: {', '.join(states)})", file=sys.stderr)
            return 2
        state = states[args.state]
        if state["problems"] or state["raised"]:
            print(f"render_panel_mock: the draw code has problems: {state['problems'] or state['raised']}",
                  file=sys.stderr)
            return 1
        hist_file = report_path.parent / "histogram.npy"
        histogram = np.load(hist_file) if hist_file.is_file() and args.state != "no_render" else None
        img = paint(state["panels"], histogram, args.open_all)
    with atomic_path(args.out) as tmp_out:
        img.save(tmp_out, format="PNG", optimize=True)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
