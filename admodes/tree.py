"""Pytrees: nested tuples, namedtuples, lists and dicts (and None) whose leaves are arrays,
and the node types a user registers.

``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves)`` are inverses; dict
keys are visited in sorted order and a namedtuple is a node rebuilt as its own type, as in JAX.
``map``, ``leaves``, ``structure``, ``reduce`` and ``all`` are ``jax.tree``'s (with its
``is_leaf``); ``tree_map``, ``tree_flatten``, ``tree_unflatten``, ``tree_leaves``,
``tree_structure``, ``tree_reduce`` and ``tree_all`` are ``jax.tree_util``'s names of them
(``admodes.tree_util`` is this module).

Other node types are registered as in ``jax.tree_util``: :func:`register_pytree_node` with a
flatten function ``node -> (children, aux_data)`` and an unflatten function ``(aux_data,
children) -> node``; :func:`register_pytree_node_class` for a class with ``tree_flatten`` and
the classmethod ``tree_unflatten``; :func:`register_dataclass` for a dataclass (its data fields
are children, its meta fields part of the structure, so they must be hashable). Two trees have
the same structure if their node types and aux data are equal.

>>> from admodes import tree
>>> tree.map(lambda a, b: a + b, {"w": 1.0, "b": (2.0,)}, {"w": 10.0, "b": (20.0,)})
{'b': (22.0,), 'w': 11.0}
"""

from __future__ import annotations

import builtins
import dataclasses
import functools

__all__ = ["TreeDef", "all", "columns", "flatten", "leaves", "map", "reduce",
           "register_dataclass", "register_pytree_node", "register_pytree_node_class",
           "structure", "tree_all", "tree_flatten", "tree_leaves", "tree_map", "tree_reduce",
           "tree_structure", "tree_unflatten", "unflatten"]

#: registered node types -> (flatten, unflatten), as jax.tree_util's register_pytree_node
_NODE_TYPES: dict = {}


class TreeDef:
    """The structure of a pytree: a node kind, its keys (dict keys; the class of a
    namedtuple; the type and aux data of a registered node) and its children."""

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
        if self.kind == "custom":
            inner = ", ".join(repr(c) for c in self.children)
            return f"{self.keys[0].__name__}[{self.keys[1]!r}]({inner})"
        inner = ", ".join(repr(c) for c in self.children)
        return f"({inner},)" if self.kind == "tuple" else f"[{inner}]"

    def unflatten(self, leaves):
        """The tree of this structure with ``leaves`` (``jax.tree_util.PyTreeDef.unflatten``)."""
        return unflatten(self, leaves)


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
    node = _NODE_TYPES.get(type(tree))
    if node is not None:
        children, aux = node[0](tree)
        return TreeDef("custom", (type(tree), aux),
                       tuple(_flatten(c, leaves, is_leaf) for c in children))
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
    if kind == "custom":
        nodetype, aux = treedef.keys
        return _NODE_TYPES[nodetype][1](aux, children)
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


tree_flatten, tree_unflatten, tree_leaves = flatten, unflatten, leaves
tree_structure, tree_reduce, tree_all = structure, reduce, all


# -- registered node types -------------------------------------------------------------------------

def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """Make instances of ``nodetype`` pytree nodes: ``flatten_func(node) -> (children,
    aux_data)``, ``unflatten_func(aux_data, children) -> node`` (``aux_data`` hashable and
    comparable: it is part of the structure)."""
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: nodetype must be a class, got "
                        f"{type(nodetype).__name__}")
    if nodetype in _NODE_TYPES or nodetype in (tuple, list, dict, type(None)):
        raise ValueError(f"register_pytree_node: {nodetype.__name__} is already a pytree node "
                         f"type")
    for name, function in (("flatten_func", flatten_func), ("unflatten_func", unflatten_func)):
        if not callable(function):
            raise TypeError(f"register_pytree_node: {name} must be callable, got "
                            f"{type(function).__name__}")
    _NODE_TYPES[nodetype] = (lambda node: _checked_children(nodetype, flatten_func(node)),
                             unflatten_func)


def _checked_children(nodetype, flattened):
    if not (isinstance(flattened, tuple) and len(flattened) == 2):
        raise TypeError(f"the flatten function of {nodetype.__name__} must return a pair "
                        f"(children, aux_data), got {type(flattened).__name__}")
    children, aux = flattened
    return tuple(children), aux


def register_pytree_node_class(cls):
    """Register ``cls`` with its ``tree_flatten()`` method and ``tree_unflatten(aux_data,
    children)`` classmethod; returns ``cls`` (a class decorator)."""
    register_pytree_node(cls, lambda node: node.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
    """Register a dataclass: ``data_fields`` are children, ``meta_fields`` (hashable) part of
    the structure, ``drop_fields`` neither (they take their defaults when rebuilt). Without
    the two lists, a dataclass' fields are data but those with ``metadata={"static": True}``
    (JAX's convention). Returns ``nodetype`` (also a class decorator)."""
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype.__name__} is not a dataclass; pass "
                            f"data_fields and meta_fields")
        fields = [f for f in dataclasses.fields(nodetype)
                  if f.init and f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    elif data_fields is None or meta_fields is None:
        raise TypeError("register_dataclass: pass both data_fields and meta_fields, or neither "
                        "(for a dataclass)")
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)

    def flatten_node(node):
        return ([getattr(node, name) for name in data_fields],
                tuple(getattr(node, name) for name in meta_fields))

    def unflatten_node(aux, children):
        return nodetype(**dict(zip(data_fields, children)), **dict(zip(meta_fields, aux)))
    register_pytree_node(nodetype, flatten_node, unflatten_node)
    return nodetype


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
