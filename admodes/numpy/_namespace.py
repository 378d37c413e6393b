"""Build a numpy-like namespace from the registry (no numpy function is wrapped blindly)."""

from __future__ import annotations

import numpy as _np

from admodes import registry

__all__ = ["missing_attribute", "populate"]


def populate(namespace: dict, name: str) -> list[str]:
    """Put every registry entry of namespace ``name`` into ``namespace``; return their names."""
    names = []
    for entry in registry.entries(name):
        namespace[entry.short_name] = entry
        names.append(entry.short_name)
    return sorted(names)


def missing_attribute(module_name: str, reference_module, attr: str):
    """The error for a name without a rule: say whether the module admodes mirrors has it
    (numpy's modules are called "numpy", others by their name, e.g. "scipy.special")."""
    if attr.startswith("__"):
        return AttributeError(f"module {module_name!r} has no attribute {attr!r}")
    library = reference_module.__name__
    if library.split(".")[0] == "numpy":
        library = "numpy"
    if hasattr(reference_module, attr):
        return AttributeError(
            f"{module_name}.{attr} is not available: {library}'s {attr} has no differentiation "
            f"rule in admodes. Use plain {library} for values that are not differentiated, or "
            f"open an issue asking for the op.")
    return AttributeError(f"module {module_name!r} has no attribute {attr!r} (nor has {library})")


def array(obj, dtype=None):
    """``array`` that accepts (nested) lists mixing tracers and numbers, stacking them."""
    if isinstance(obj, (list, tuple)):
        if _contains_tracer(obj):
            items = [array(o, dtype) for o in obj]
            return registry.lookup("stack")(items, axis=0)
        return _np.array(obj, dtype=dtype)
    if isinstance(obj, registry.Tracer):
        if dtype is not None and _np.dtype(dtype) != obj.dtype:
            return registry.lookup("astype")(obj, dtype)
        return obj
    return _np.array(obj, dtype=dtype)


def asarray(obj, dtype=None):
    if isinstance(obj, (list, tuple, registry.Tracer)):
        return array(obj, dtype)
    return _np.asarray(obj, dtype=dtype)


def _contains_tracer(obj) -> bool:
    if isinstance(obj, registry.Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_contains_tracer(o) for o in obj)
    return False
