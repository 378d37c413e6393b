"""Pytrees: nested tuples, namedtuples, lists and dicts (and None) whose leaves are arrays.

``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves)`` are inverses; dict
keys are visited in sorted order and a namedtuple is a node rebuilt as its own type, as in JAX.
"""

from __future__ import annotations

__all__ = ["TreeDef", "columns", "flatten", "tree_map", "unflatten"]


class TreeDef:
    """The structure of a pytree: a node kind, its keys (dict keys; the class of a
    namedtuple) and its children."""

    __slots__ = ("children", "keys", "kind", "num_leaves")

    def __init__(self, kind, keys=(), children=()):
        self.kind = kind
        self.keys = keys
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.keys == other.keys and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.keys, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
            return "{" + inner + "}"
        if self.kind == "namedtuple":
            inner = ", ".join(f"{f}={c!r}" for f, c in zip(self.keys._fields, self.children))
            return f"{self.keys.__name__}({inner})"
        inner = ", ".join(repr(c) for c in self.children)
        return f"({inner},)" if self.kind == "tuple" else f"[{inner}]"


_LEAF = TreeDef("leaf")


def flatten(tree):
    """Leaves of ``tree`` in order, and its :class:`TreeDef`."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, (tuple, list)):
        if hasattr(tree, "_fields"):  # a namedtuple: its class is part of the structure
            return TreeDef("namedtuple", type(tree), tuple(_flatten(c, leaves) for c in tree))
        kind = "tuple" if isinstance(tree, tuple) else "list"
        return TreeDef(kind, (), tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, dict):
        keys = tuple(sorted(tree))
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return TreeDef("none")
    leaves.append(tree)
    return _LEAF


def unflatten(treedef, leaves):
    """Rebuild the tree of ``treedef`` from ``leaves``."""
    it = iter(leaves)
    tree = _unflatten(treedef, it)
    if next(it, _SENTINEL) is not _SENTINEL:
        raise ValueError(f"too many leaves for tree structure {treedef}")
    return tree


_SENTINEL = object()


def _unflatten(treedef, it):
    kind = treedef.kind
    if kind == "leaf":
        try:
            return next(it)
        except StopIteration:
            raise ValueError("too few leaves for the tree structure") from None
    if kind == "none":
        return None
    children = [_unflatten(c, it) for c in treedef.children]
    if kind == "dict":
        return dict(zip(treedef.keys, children))
    if kind == "namedtuple":
        return treedef.keys(*children)
    return tuple(children) if kind == "tuple" else children


def tree_map(fun, tree, *rest):
    """Apply ``fun`` leafwise to ``tree`` and trees of the same structure."""
    leaves, treedef = flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree structures differ: {treedef} vs {other_def}")
        others.append(other_leaves)
    return unflatten(treedef, [fun(*xs) for xs in zip(leaves, *others)])


def columns(trees, what):
    """The leaves of equally structured ``trees`` grouped leaf by leaf: ``(treedef, cols)`` with
    ``cols[i]`` the list of every tree's i-th leaf (the outputs of a loop's iterations, to
    stack). A tree of another structure is a ValueError naming ``what``."""
    first, treedef = flatten(trees[0])
    cols = [[leaf] for leaf in first]
    for tree in trees[1:]:
        leaves, other = flatten(tree)
        if other != treedef:
            raise ValueError(f"{what} returned outputs of different structures in different "
                             f"iterations: {treedef} and {other}")
        for col, leaf in zip(cols, leaves):
            col.append(leaf)
    return treedef, cols
