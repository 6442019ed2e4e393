"""A recording stand-in for ``bpy.types.UILayout`` that checks every call against Blender's real RNA.

Headless ``bpy`` has no window, so ``Panel.draw`` never runs there. :func:`draw_panel` calls a panel class's
``draw_header``/``draw`` with a :class:`Layout` that records the layout tree (plain dicts, JSON-ready) and checks,
against the running Blender's own RNA, what the real ``UILayout`` would check and more:

- the method exists (``UILayout.bl_rna.functions``), required parameters are given (positionally or by
  keyword), optional ones only by keyword, no unknown keyword, each value has the parameter's RNA type and
  enum values (icons included) are among the parameter's ``enum_items``;
- ``prop(data, name)``: ``name`` is a property of ``data.bl_rna``;
- ``operator("x.y")``: a registered operator; setting an attribute on what it returns names one of the
  operator's properties;
- ``template_list``: the list type is a registered ``UIList``, the collection and active index exist; the list's
  ``draw_item`` is then called for every item with a fresh recording layout (as Blender does);
- layout attributes set (``enabled``, ``alert``, ...) exist on ``UILayout`` with the right type.

Problems are appended to ``errors``; what the real ``UILayout`` raises (unknown method or attribute, bad
keyword) is raised here too. Used by tests/addon/panel_driver.py; scripts/render_panel_mock.py draws the trees.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

import bpy

LAYOUT_RNA = bpy.types.UILayout.bl_rna
CONTAINERS = {"row", "column", "box", "split", "column_flow", "grid_flow"}


def _type_problem(rna_prop: Any, value: Any) -> str | None:
    """Why ``value`` cannot be given to an RNA parameter/property, or None."""
    kind = rna_prop.type
    if kind == "STRING" and not isinstance(value, str):
        return f"expects a string, got {type(value).__name__}"
    if kind == "BOOLEAN" and not isinstance(value, (bool, int)):
        return f"expects a bool, got {type(value).__name__}"
    if kind == "INT" and not isinstance(value, int):
        return f"expects an int, got {type(value).__name__}"
    if kind == "FLOAT" and not isinstance(value, (int, float)):
        return f"expects a float, got {type(value).__name__}"
    if kind == "ENUM":
        if getattr(rna_prop, "is_enum_flag", False):
            return None if isinstance(value, (set, frozenset)) else "expects a set of enum items"
        items = rna_prop.enum_items.keys()
        if items and value not in items:
            return f"{value!r} is not one of its {len(items)} enum items"
    if kind == "POINTER" and value is not None and not isinstance(value, (bpy.types.bpy_struct, Layout)):
        return f"expects a Blender struct, got {type(value).__name__}"
    return None


def _format_value(data: Any, prop: Any) -> Any:
    """The property's current value as a JSON-ready display value."""
    value = getattr(data, prop.identifier)
    if prop.type == "ENUM" and not prop.is_enum_flag:
        item = prop.enum_items.get(value)
        return item.name if item is not None else str(value)
    if prop.type == "POINTER":
        return getattr(value, "name", "") if value is not None else ""
    if prop.type in {"BOOLEAN", "INT", "FLOAT", "STRING"} and not getattr(prop, "is_array", False):
        return value
    try:
        return list(value)
    except TypeError:
        return str(value)


class BoundProxy:
    """``self`` for a Blender class method called outside Blender: attributes come from the class."""

    def __init__(self, cls: type, **attrs: Any) -> None:
        self.__dict__.update(attrs)
        self.__dict__["_cls"] = cls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.__dict__["_cls"], name)
        return types.MethodType(value, self) if inspect.isfunction(value) else value


class OperatorProps:
    """What ``layout.operator`` returns: setting an attribute must name a property of the operator."""

    def __init__(self, layout: Layout, idname: str, rna: Any, node: dict) -> None:
        object.__setattr__(self, "_layout", layout)
        object.__setattr__(self, "_idname", idname)
        object.__setattr__(self, "_rna", rna)
        object.__setattr__(self, "_node", node)

    def __setattr__(self, name: str, value: Any) -> None:
        rna = self._rna
        if rna is None:
            return
        prop = rna.properties.get(name)
        if prop is None or name == "rna_type":
            self._layout._error(f"operator {self._idname} has no property {name!r}")
            return
        problem = _type_problem(prop, value)
        if problem:
            self._layout._error(f"operator {self._idname} property {name!r} {problem}")
        self._node["props"][name] = value if isinstance(value, (bool, int, float, str)) else str(value)

    def __getattr__(self, name: str) -> Any:
        prop = self._rna.properties.get(name) if self._rna is not None else None
        if prop is None or name == "rna_type":
            self._layout._error(f"operator {self._idname} has no property {name!r}")
            raise AttributeError(name)
        return self._node["props"].get(name, getattr(prop, "default", None))


class Layout:
    """Records layout calls into ``node``; checks them against ``bpy.types.UILayout``'s RNA."""

    def __init__(self, errors: list[str], where: str, kind: str = "root", context: Any = None) -> None:
        node = {"type": "layout", "kind": kind, "attrs": {}, "items": []}
        object.__setattr__(self, "_errors", errors)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_context", context if context is not None else bpy.context)
        object.__setattr__(self, "node", node)

    # -- attributes ------------------------------------------------------------------------------------------
    def _error(self, message: str) -> None:
        self._errors.append(f"{self._where}: {message}")

    def __setattr__(self, name: str, value: Any) -> None:
        prop = LAYOUT_RNA.properties.get(name)
        if prop is None or prop.is_readonly:
            self._error(f"UILayout has no writable attribute {name!r}")
            raise AttributeError(f"'UILayout' object attribute '{name}' is read-only or missing")
        problem = _type_problem(prop, value)
        if problem:
            self._error(f"UILayout.{name} {problem}")
        self.node["attrs"][name] = value if isinstance(value, (bool, int, float, str)) else str(value)

    def __getattr__(self, name: str) -> Any:
        if name in LAYOUT_RNA.properties:
            if name in self.node["attrs"]:
                return self.node["attrs"][name]
            return getattr(_DEFAULTS, name)
        if name not in LAYOUT_RNA.functions:
            self._error(f"UILayout has no method {name!r}")
            raise AttributeError(f"'UILayout' object has no attribute '{name}'")
        return lambda *args, **kwargs: self._call(name, args, kwargs)

    # -- calls -----------------------------------------------------------------------------------------------
    def _bind(self, name: str, args: tuple, kwargs: dict) -> dict[str, Any]:
        """Map the call onto the RNA function's input parameters, checking them as Blender's wrapper does."""
        params = [p for p in LAYOUT_RNA.functions[name].parameters if not p.is_output]
        required = [p for p in params if p.is_required]
        if len(args) > len(required):
            raise TypeError(f"UILayout.{name}(): takes at most {len(required)} positional arguments "
                            f"({len(args)} given); optional parameters are keyword-only")
        bound = {p.identifier: a for p, a in zip(required, args)}
        by_id = {p.identifier: p for p in params}
        for key, value in kwargs.items():
            if key not in by_id:
                self._error(f"UILayout.{name}() has no parameter {key!r}")
                raise TypeError(f"UILayout.{name}(): was called with invalid keyword argument(s) ({key})")
            if key in bound:
                raise TypeError(f"UILayout.{name}(): parameter {key!r} given twice")
            bound[key] = value
        for p in required:
            if p.identifier not in bound:
                self._error(f"UILayout.{name}() misses required parameter {p.identifier!r}")
                raise TypeError(f"UILayout.{name}(): required parameter {p.identifier!r} not given")
        for key, value in bound.items():
            problem = _type_problem(by_id[key], value)
            if problem:
                self._error(f"UILayout.{name}({key}=...) {problem}")
        return bound

    def _call(self, name: str, args: tuple, kwargs: dict) -> Any:
        bound = self._bind(name, args, kwargs)
        handler = getattr(type(self), f"_do_{name}", None)
        if name in CONTAINERS:
            return self._container(name, bound)
        if handler is not None:
            return handler(self, bound)
        self._error(f"UILayout.{name} is not drawn by this recorder (add it to ui_recorder.py)")
        self.node["items"].append({"type": name, "args": {k: str(v) for k, v in bound.items()}})
        return None

    def _container(self, kind: str, bound: dict) -> Layout:
        child = Layout(self._errors, self._where, kind, self._context)
        child.node.update({k: v for k, v in bound.items() if isinstance(v, (bool, int, float, str))})
        self.node["items"].append(child.node)
        return child

    def _icon(self, bound: dict) -> str:
        return bound.get("icon", "NONE")

    def _do_label(self, bound: dict) -> None:
        self.node["items"].append({"type": "label", "text": bound.get("text", ""), "icon": self._icon(bound)})

    def _do_separator(self, bound: dict) -> None:
        self.node["items"].append({"type": "separator", "factor": bound.get("factor", 1.0)})

    def _do_separator_spacer(self, bound: dict) -> None:
        self.node["items"].append({"type": "separator", "factor": 1.0})

    def _do_prop(self, bound: dict) -> None:
        data, name = bound["data"], bound["property"]
        if data is None:
            self._error(f"prop(None, {name!r})")
            return
        prop = data.bl_rna.properties.get(name)
        if prop is None:
            self._error(f"prop(): {data.bl_rna.identifier} has no property {name!r}")
            return
        if prop.type == "COLLECTION":
            self._error(f"prop(): {data.bl_rna.identifier}.{name} is a collection (use template_list)")
        node = {
            "type": "prop", "data": data.bl_rna.identifier, "property": name, "name": prop.name,
            "prop_type": prop.type, "subtype": prop.subtype if prop.type == "STRING" else "",
            "value": _format_value(data, prop),
            "icon": self._icon(bound), "expand": bool(bound.get("expand", False)),
            "emboss": bool(bound.get("emboss", True)), "slider": bool(bound.get("slider", False)),
        }
        if "text" in bound:
            node["text"] = bound["text"]
        if prop.type == "ENUM" and not prop.is_enum_flag:
            node["items"] = [[i.identifier, i.name] for i in prop.enum_items]
            node["current"] = getattr(data, name)
        if prop.type in {"INT", "FLOAT"}:
            node["unit"] = prop.unit
            if prop.type == "FLOAT":
                node["precision"] = prop.precision
        self.node["items"].append(node)

    def _do_operator(self, bound: dict) -> OperatorProps:
        idname = bound["operator"]
        rna = None
        module, _, op = idname.partition(".")
        if not op or not module:
            self._error(f"operator(): {idname!r} is not an operator id (module.name)")
        else:
            try:
                rna = getattr(getattr(bpy.ops, module), op).get_rna_type()
            except (KeyError, AttributeError):
                self._error(f"operator(): {idname!r} is not a registered operator")
        node = {
            "type": "operator", "operator": idname, "label": bound.get("text", rna.name if rna else idname),
            "icon": self._icon(bound), "depress": bool(bound.get("depress", False)),
            "emboss": bool(bound.get("emboss", True)), "props": {},
        }
        self.node["items"].append(node)
        return OperatorProps(self, idname, rna, node)

    def _do_template_icon(self, bound: dict) -> None:
        value = bound["icon_value"]
        image = next((img.name for img in bpy.data.images if img.preview and img.preview.icon_id == value), None)
        # Headless Blender has no icon system: previews made by preview_ensure() keep icon_id 0 there.
        if value < 0 or (value == 0 and not (bpy.app.background and image is not None)):
            self._error(f"template_icon(icon_value={value}): not the icon of any image preview")
        self.node["items"].append({"type": "icon", "icon_value": value, "scale": bound.get("scale", 1.0),
                                   "image": image})

    def _do_template_list(self, bound: dict) -> None:
        list_name, data, propname = bound["listtype_name"], bound["dataptr"], bound["propname"]
        active_data, active_name = bound["active_dataptr"], bound["active_propname"]
        cls = getattr(bpy.types, list_name, None)
        if not (isinstance(cls, type) and issubclass(cls, bpy.types.UIList)):
            self._error(f"template_list(): {list_name!r} is not a registered UIList")
            cls = None
        coll = data.bl_rna.properties.get(propname)
        if coll is None or coll.type != "COLLECTION":
            self._error(f"template_list(): {data.bl_rna.identifier}.{propname} is not a collection property")
            coll = None
        active = active_data.bl_rna.properties.get(active_name)
        if active is None or active.type != "INT":
            self._error(f"template_list(): {active_data.bl_rna.identifier}.{active_name} is not an int property")
            active = None
        node = {"type": "list", "list": list_name, "rows": bound.get("rows", 5), "active_index": None, "items": []}
        self.node["items"].append(node)
        if cls is None or coll is None or active is None:
            return
        node["active_index"] = getattr(active_data, active_name)
        owner = BoundProxy(cls, layout_type="DEFAULT", list_id=bound["list_id"], bitflag_filter_item=1 << 30,
                           filter_name="", use_filter_invert=False, use_filter_sort_alpha=False,
                           use_filter_sort_reverse=False, use_filter_show=False)
        for index, item in enumerate(getattr(data, propname)):
            row = Layout(self._errors, f"{self._where} > {list_name}.draw_item[{index}]", "column", self._context)
            cls.draw_item(owner, self._context, row, data, item, 0, active_data, active_name, index)
            node["items"].append(row.node)


class _Defaults:
    """UILayout attribute defaults (what an untouched layout reads)."""

    activate_init = False
    active = True
    active_default = False
    alert = False
    alignment = "EXPAND"
    direction = "VERTICAL"
    emboss = "NORMAL"
    enabled = True
    operator_context = "INVOKE_REGION_WIN"
    scale_x = 1.0
    scale_y = 1.0
    ui_units_x = 0.0
    ui_units_y = 0.0
    use_property_decorate = True
    use_property_split = False


_DEFAULTS = _Defaults()


def draw_panel(cls: type, errors: list[str], context: Any = None) -> dict:
    """Call ``poll``/``draw_header``/``draw`` of a registered Panel class; return what they laid out.

    Exceptions from the draw code propagate (the caller records them as failures).
    """
    context = context if context is not None else bpy.context
    name = cls.__name__
    poll = getattr(cls, "poll", None)
    shown = bool(poll(context)) if poll is not None else True
    result = {"panel": name, "label": getattr(cls, "bl_label", name), "parent": getattr(cls, "bl_parent_id", ""),
              "closed": "DEFAULT_CLOSED" in getattr(cls, "bl_options", set()), "poll": shown,
              "header": None, "body": None}
    if not shown:
        return result
    for method, key in (("draw_header", "header"), ("draw", "body")):
        fn = getattr(cls, method, None)
        if fn is None:
            continue
        layout = Layout(errors, f"{name}.{method}", "row" if key == "header" else "root", context)
        fn(BoundProxy(cls, layout=layout, bl_label=result["label"], text=result["label"]), context)
        result[key] = layout.node
    return result
