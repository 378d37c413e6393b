"""Pytrees: flatten/unflatten round trips, dict key order, tree_map structure checks."""

import collections

import numpy as np
import pytest

from admodes import tree

Pair = collections.namedtuple("Pair", "w b")

TREES = [
    np.ones(3),
    1.5,
    (),
    [],
    {},
    None,
    (np.ones(2), [np.zeros((2, 2)), 3.0]),
    {"b": np.arange(3.0), "a": (1.0, [2.0, {"z": 3.0, "y": None}])},
    [[[[np.ones(1)]]]],
    ({"w": np.ones((2, 3)), "b": np.zeros(2)}, [np.ones(4), (np.ones(1),)]),
    Pair(np.ones(2), [Pair(1.0, None)]),
]


def _same(a, b):
    """Structural and value equality, checking container types exactly."""
    assert type(a) is type(b)
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif a is None:
        assert b is None
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_flatten_unflatten_round_trip(t):
    leaves, treedef = tree.flatten(t)
    assert treedef.num_leaves == len(leaves)
    _same(tree.unflatten(treedef, leaves), t)
    # leaves are the very objects of the tree (no copies)
    leaves2, treedef2 = tree.flatten(tree.unflatten(treedef, leaves))
    assert treedef2 == treedef
    assert all(a is b for a, b in zip(leaves, leaves2))


def test_leaf_order_is_depth_first_left_to_right():
    a, b, c, d = (np.full(1, float(i)) for i in range(4))
    leaves, _ = tree.flatten(((a, [b]), c, {"k": d}))
    assert [x is y for x, y in zip(leaves, (a, b, c, d))] == [True] * 4


def test_none_is_an_empty_subtree():
    leaves, treedef = tree.flatten((1.0, None, 2.0))
    assert leaves == [1.0, 2.0]
    assert tree.unflatten(treedef, [5.0, 6.0]) == (5.0, None, 6.0)


def test_dict_keys_visited_in_sorted_order():
    d1 = {"b": 1.0, "a": 2.0, "c": 3.0}
    d2 = {"c": 3.0, "a": 2.0, "b": 1.0}
    leaves1, def1 = tree.flatten(d1)
    leaves2, def2 = tree.flatten(d2)
    assert leaves1 == leaves2 == [2.0, 1.0, 3.0]
    assert def1 == def2 and hash(def1) == hash(def2)
    rebuilt = tree.unflatten(def1, [10.0, 20.0, 30.0])
    assert rebuilt == {"a": 10.0, "b": 20.0, "c": 30.0}
    assert list(rebuilt) == ["a", "b", "c"]


def test_treedefs_distinguish_containers_and_keys():
    defs = [tree.flatten(t)[1] for t in
            [(1.0, 2.0), [1.0, 2.0], {"a": 1.0, "b": 2.0}, {"a": 1.0, "c": 2.0}, (1.0, (2.0,)),
             (1.0, None, 2.0), 1.0, Pair(1.0, 2.0), collections.namedtuple("Other", "w b")(1.0, 2.0)]]
    for i, a in enumerate(defs):
        for j, b in enumerate(defs):
            assert (a == b) == (i == j), (a, b)


def test_treedef_repr_shows_the_structure():
    _, treedef = tree.flatten({"b": (1.0, [2.0]), "a": None})
    assert repr(treedef) == "{'a': None, 'b': (*, [*],)}"


def test_namedtuple_is_a_node_rebuilt_as_its_type():
    leaves, treedef = tree.flatten(Pair(np.ones(2), (3.0,)))
    assert len(leaves) == 2 and repr(treedef) == "Pair(w=*, b=(*,))"
    rebuilt = tree.unflatten(treedef, [1.0, 2.0])
    assert type(rebuilt) is Pair and rebuilt.w == 1.0 and rebuilt.b == (2.0,)


def test_unflatten_wrong_number_of_leaves():
    _, treedef = tree.flatten((1.0, [2.0, 3.0]))
    with pytest.raises(ValueError, match="too few leaves"):
        tree.unflatten(treedef, [1.0, 2.0])
    with pytest.raises(ValueError, match="too many leaves"):
        tree.unflatten(treedef, [1.0, 2.0, 3.0, 4.0])


def test_tree_map_single_and_multiple_trees():
    t1 = {"x": np.ones(2), "y": (2.0, [3.0])}
    t2 = {"x": np.full(2, 4.0), "y": (5.0, [6.0])}
    doubled = tree.tree_map(lambda a: a * 2, t1)
    _same(doubled, {"x": np.full(2, 2.0), "y": (4.0, [6.0])})
    summed = tree.tree_map(lambda a, b: a + b, t1, t2)
    _same(summed, {"x": np.full(2, 5.0), "y": (7.0, [9.0])})


@pytest.mark.parametrize("other", [
    {"x": 1.0, "y": (2.0, 3.0)},          # list vs tuple
    {"x": 1.0, "z": (2.0, [3.0])},        # different key
    {"x": 1.0, "y": (2.0, [3.0, 4.0])},   # extra leaf
    [1.0, (2.0, [3.0])],                  # dict vs list
], ids=["list-vs-tuple", "key", "extra-leaf", "container"])
def test_tree_map_structure_mismatch(other):
    t = {"x": 1.0, "y": (2.0, [3.0])}
    with pytest.raises(ValueError, match="tree structures differ"):
        tree.tree_map(lambda a, b: a + b, t, other)


def test_columns_group_the_leaves_of_equal_structures():
    treedef, cols = tree.columns([{"a": 1.0, "b": (2.0,)}, {"a": 3.0, "b": (4.0,)}], "f")
    assert cols == [[1.0, 3.0], [2.0, 4.0]]
    assert tree.unflatten(treedef, [c[0] for c in cols]) == {"a": 1.0, "b": (2.0,)}
    with pytest.raises(ValueError, match=r"f returned outputs of different structures in "
                                         r"different iterations: \(\*,\) and \[\*\]"):
        tree.columns([(1.0,), [1.0]], "f")


def test_jax_tree_functions(jax_x64):
    """map, leaves, structure, reduce and all as jax.tree's, with is_leaf."""
    t = {"w": np.ones(2), "layers": [(1.0, 2.0), (3.0, None)]}
    assert tree.leaves(t)[1:] == jax_x64.tree.leaves(t)[1:]
    assert tree.reduce(lambda a, b: a + b, t, 0.0) == pytest.approx(
        jax_x64.tree.reduce(lambda a, b: a + b, t, 0.0))
    pairs = lambda x: isinstance(x, tuple)
    assert len(tree.leaves(t, is_leaf=pairs)) == len(jax_x64.tree.leaves(t, is_leaf=pairs)) == 3
    doubled = tree.map(lambda p: p * 2 if not isinstance(p, tuple) else p, t, is_leaf=pairs)
    assert doubled["layers"] == t["layers"] and np.all(doubled["w"] == 2.0)
    assert tree.structure(t) == tree.flatten(t)[1] and tree.tree_map is tree.map
    assert tree.all([True, (1, 2.0)]) and not tree.all({"a": True, "b": 0})
    assert tree.reduce(max, [3.0, (7.0, 5.0)]) == 7.0
