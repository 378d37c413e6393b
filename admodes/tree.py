"""Pytrees: nested tuples, namedtuples, lists and dicts (and None) whose leaves are arrays.

``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves)`` are inverses; dict
keys are visited in sorted order and a namedtuple is a node rebuilt as its own type, as in JAX.
``map``, ``leaves``, ``structure``, ``reduce`` and ``all`` are ``jax.tree``'s (with its
``is_leaf``); ``tree_map`` is ``jax.tree_util``'s name of ``map``.

>>> from admodes import tree
>>> tree.map(lambda a, b: a + b, {"w": 1.0, "b": (2.0,)}, {"w": 10.0, "b": (20.0,)})
{'b': (22.0,), 'w': 11.0}
"""

from __future__ import annotations

import builtins
import functools

__all__ = ["TreeDef", "all", "columns", "flatten", "leaves", "map", "reduce", "structure",
           "tree_map", "unflatten"]


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


def flatten(tree, is_leaf=None):
    """Leaves of ``tree`` in order, and its :class:`TreeDef`. ``is_leaf(node)`` True makes a
    node a leaf as it is (JAX's ``is_leaf``)."""
    leaves = []
    return leaves, _flatten(tree, leaves, is_leaf)


def _flatten(tree, leaves, is_leaf):
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return _LEAF
    if isinstance(tree, (tuple, list)):
        children = tuple(_flatten(c, leaves, is_leaf) for c in tree)
        if hasattr(tree, "_fields"):  # a namedtuple: its class is part of the structure
            return TreeDef("namedtuple", type(tree), children)
        return TreeDef("tuple" if isinstance(tree, tuple) else "list", (), children)
    if isinstance(tree, dict):
        keys = tuple(sorted(tree))
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves, is_leaf) for k in keys))
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


def map(f, tree, *rest, is_leaf=None):
    """Apply ``f`` leafwise to ``tree`` and trees of the same structure."""
    leaves, treedef = flatten(tree, is_leaf)
    others = []
    for other in rest:
        other_leaves, other_def = flatten(other, is_leaf)
        if other_def != treedef:
            raise ValueError(f"tree structures differ: {treedef} vs {other_def}")
        others.append(other_leaves)
    return unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


tree_map = map


def leaves(tree, is_leaf=None):
    """The leaves of ``tree`` in order."""
    return flatten(tree, is_leaf)[0]


def structure(tree, is_leaf=None):
    """The :class:`TreeDef` of ``tree``."""
    return flatten(tree, is_leaf)[1]


_NO_INITIALIZER = object()


def reduce(function, tree, initializer=_NO_INITIALIZER, is_leaf=None):
    """``functools.reduce(function, leaves(tree)[, initializer])``."""
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def all(tree, *, is_leaf=None):
    """True if every leaf of ``tree`` is truthy."""
    return builtins.all(leaves(tree, is_leaf))


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
