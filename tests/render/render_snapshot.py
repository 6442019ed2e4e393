"""A broad, generic dump of scene state for before/after comparisons (independent of the render core)."""

from __future__ import annotations

import bpy

SKIP = {
    "rna_type",
    "bl_rna",
    "is_evaluated",
    "original",
    "users",
    "session_uid",
    "is_dirty",
    "preview",
    "bound_box",
    "matrix_world",
    "matrix_local",
    "matrix_basis",
    "matrix_parent_inverse",
}


def rna_dump(struct, depth: int = 2) -> dict:
    """All readable properties of ``struct``; nested non-ID structs to ``depth`` levels; IDs by name."""
    out = {}
    if struct is None:
        return out
    for prop in struct.bl_rna.properties:
        key = prop.identifier
        if key in SKIP:
            continue
        try:
            value = getattr(struct, key)
        except Exception:
            continue
        if prop.type == "POINTER":
            if isinstance(value, bpy.types.ID) or value is None:
                out[key] = None if value is None else value.name_full
            elif depth > 0:
                out[key] = rna_dump(value, depth - 1)
        elif prop.type == "COLLECTION":
            if depth > 0:
                out[key] = [
                    rna_dump(v, depth - 1) if not isinstance(v, bpy.types.ID) else v.name_full for v in value
                ]
        else:
            try:
                out[key] = tuple(value) if getattr(prop, "is_array", False) else value
            except TypeError:
                out[key] = value
    return out


def matrix(m) -> tuple:
    return tuple(round(x, 6) for row in m for x in row)


def snapshot(scene: bpy.types.Scene) -> dict:
    """Everything a depth render could touch: render/cycles/view layers/world/camera/objects/datablocks."""
    tree = getattr(scene, "node_tree", None) or getattr(scene, "compositing_node_group", None)  # 4.x / 5.0
    snap = {
        "render": rna_dump(scene.render),
        "cycles": rna_dump(scene.cycles),
        "view_layers": [rna_dump(v, 1) for v in scene.view_layers],
        "world": scene.world.name_full if scene.world else None,
        "world_state": rna_dump(scene.world) if scene.world else None,
        "camera": scene.camera.name if scene.camera else None,
        "camera_data": rna_dump(scene.camera.data) if scene.camera else None,
        "frame": (scene.frame_current, scene.frame_subframe),
        "use_nodes": scene.use_nodes,
        "node_tree": [(n.name, n.bl_idname, n.mute) for n in tree.nodes] if tree else None,
        "links": len(tree.links) if tree else None,
        "scene_objects": sorted(o.name for o in scene.collection.all_objects),
        "objects": {
            o.name: {**rna_dump(o, 0), "matrix_world": matrix(o.matrix_world)} for o in bpy.data.objects
        },
    }
    for coll in (
        "objects",
        "meshes",
        "materials",
        "images",
        "worlds",
        "node_groups",
        "cameras",
        "lights",
        "textures",
        "collections",
        "actions",
        "scenes",
    ):
        snap["data." + coll] = sorted(b.name_full for b in getattr(bpy.data, coll))
    return snap


# Blender 4.5 initialises this on the first file-format change from an unset value that reads as '' and
# cannot be written back; any other change to it is still reported.
LAZY_INIT = ".render.image_settings.linear_colorspace_settings.name"


def diff(a: dict, b: dict, path: str = "") -> list[str]:
    """Human-readable differences between two snapshots."""
    if path == LAZY_INIT and a == "":
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += diff(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]
