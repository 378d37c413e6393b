"""Registered pytree node types (admodes.tree.register_pytree_node and its two forms): every
transform takes and returns them as JAX does, and the structure includes their aux data."""

import dataclasses
import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import tree, tree_util


class Affine:
    """A layer y = W x + b with a hashable activation name as aux data (registered below)."""

    def __init__(self, W, b, activation="tanh"):
        self.W, self.b, self.activation = W, b, activation


tree.register_pytree_node(Affine, lambda layer: ((layer.W, layer.b), layer.activation),
                          lambda activation, children: Affine(*children, activation))


@tree.register_pytree_node_class
class Scaled:
    def __init__(self, value, scale):
        self.value, self.scale = value, scale

    def tree_flatten(self):
        return (self.value,), self.scale

    @classmethod
    def tree_unflatten(cls, scale, children):
        return cls(children[0], scale)


@tree.register_dataclass
@dataclasses.dataclass
class Params:
    layers: list
    shift: float
    name: str = dataclasses.field(default="net", metadata={"static": True})


def _apply(params, x):
    h = x
    for layer in params.layers:
        h = getattr(anp, layer.activation)(layer.W @ h + layer.b)
    return anp.sum(h ** 2) + params.shift


RNG = np.random.default_rng(3)
PARAMS = Params([Affine(RNG.standard_normal((3, 2)), RNG.standard_normal(3)),
                 Affine(RNG.standard_normal((2, 3)), RNG.standard_normal(2), "sin")], 0.5)
X = RNG.standard_normal(2)


def _flat_loss(leaves):
    return _apply(tree.unflatten(tree.structure(PARAMS), leaves), X)


def test_flatten_and_unflatten_are_inverses():
    leaves, treedef = tree_util.tree_flatten(PARAMS)
    assert len(leaves) == 5 and treedef.num_leaves == 5
    rebuilt = treedef.unflatten(leaves)
    assert isinstance(rebuilt, Params) and rebuilt.name == "net"
    assert [layer.activation for layer in rebuilt.layers] == ["tanh", "sin"]
    assert "Affine['sin']" in repr(treedef)
    assert tree.structure(Scaled(1.0, 2.0)) != tree.structure(Scaled(1.0, 3.0))  # aux differs
    doubled = tree.map(lambda a: 2 * a, Scaled(np.ones(2), 3.0))
    assert isinstance(doubled, Scaled) and doubled.scale == 3.0
    np.testing.assert_array_equal(doubled.value, [2.0, 2.0])


def test_grad_returns_the_nodes_with_the_flat_gradients():
    g = ad.grad(_apply)(PARAMS, X)
    assert isinstance(g, Params) and isinstance(g.layers[1], Affine)
    flat = ad.grad(_flat_loss)(tree.leaves(PARAMS))
    for ours, expected in zip(tree.leaves(g), flat):
        np.testing.assert_allclose(ours, expected, rtol=1e-15)


def test_forward_reverse_and_nested_transforms_agree_on_nodes():
    tangent = tree.map(np.ones_like, PARAMS)
    value, dvalue = ad.jvp(_apply, (PARAMS, X), (tangent, np.zeros(2)))
    g = ad.grad(_apply)(PARAMS, X)
    expected = sum(np.sum(a) for a in tree.leaves(g)[:-1]) + g.shift
    np.testing.assert_allclose(dvalue, expected, rtol=1e-13)
    np.testing.assert_allclose(value, _apply(PARAMS, X))
    jac = ad.jacfwd(lambda p: Scaled(p.value * p.scale, p.scale))(Scaled(np.ones(2), 3.0))
    assert isinstance(jac, Scaled) and isinstance(jac.value, Scaled)
    np.testing.assert_array_equal(jac.value.value, 3 * np.eye(2))
    ad.check_grads(lambda p: _apply(p, X), (PARAMS,), order=2)


def test_dataclass_fields_by_name_and_drop_fields():
    @dataclasses.dataclass
    class Pair:
        a: np.ndarray
        b: np.ndarray
        cache: object = None
    tree.register_dataclass(Pair, data_fields=["a"], meta_fields=[], drop_fields=["b"])
    leaves, treedef = tree.flatten(Pair(np.ones(1), np.zeros(1), "x"))
    assert len(leaves) == 1
    with pytest.raises(TypeError, match=re.escape("missing 1 required positional argument: 'b'")):
        treedef.unflatten(leaves)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: tree.register_pytree_node(tuple, lambda t: (t, None), lambda a, c: c), ValueError,
     "register_pytree_node: tuple is already a pytree node type"),
    (lambda: tree.register_pytree_node(Affine, lambda t: (t, None), lambda a, c: c), ValueError,
     "register_pytree_node: Affine is already a pytree node type"),
    (lambda: tree.register_pytree_node("Affine", None, None), TypeError,
     "register_pytree_node: nodetype must be a class, got str"),
    (lambda: tree.register_dataclass(type("Plain", (), {})), TypeError,
     "register_dataclass: Plain is not a dataclass; pass data_fields and meta_fields"),
    (lambda: tree.register_dataclass(Params, data_fields=["layers"]), TypeError,
     "register_dataclass: pass both data_fields and meta_fields, or neither"),
])
def test_registration_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_a_flatten_function_returning_no_pair_is_a_clear_error():
    class Bad:
        pass
    tree.register_pytree_node(Bad, lambda node: [1.0], lambda aux, children: Bad())
    with pytest.raises(TypeError, match=re.escape(
            "the flatten function of Bad must return a pair (children, aux_data), got list")):
        tree.flatten(Bad())


def test_jaxs_tree_util_names_agree_with_jax(jax_x64):
    ours = tree_util.tree_leaves({"b": (1.0, None), "a": [2.0]})
    theirs = jax_x64.tree_util.tree_leaves({"b": (1.0, None), "a": [2.0]})
    assert ours == theirs
    assert tree_util.tree_reduce(lambda a, b: a + b, [1.0, (2.0,)]) == 3.0
    assert tree_util.tree_all([True, (1,)])
