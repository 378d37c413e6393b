"""einsum takes numpy's whole subscript language: values equal numpy's, derivatives check out.

The generated registry tests (test_op_rules.py) run the rules on the op's domain; here each
subscript form is compared with ``numpy.einsum`` and differentiated to second order by both
engines.
"""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.ops.einsum import explicit_subscripts

FORMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit: output 'ik'
    ("Ba,aC", [(2, 3), (3, 4)]),  # implicit with capitals: numpy's order of the letters
    ("ba", [(2, 3)]),  # implicit transpose
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),  # broadcasting ellipsis
    ("...ij,...jk", [(5, 2, 3), (3, 2)]),  # implicit with ellipsis: batch axes first
    ("i...->...", [(2, 3, 4)]),
    ("...,...", [(2, 3), (3,)]),
    ("ii", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("bii->b", [(2, 3, 3)]),
    ("iji->j", [(3, 2, 3)]),
    ("ij,ij->", [(1, 3), (2, 3)]),  # a size-1 index broadcasting
    ("i, j -> ij", [(2,), (3,)]),  # spaces
]


@pytest.mark.parametrize("subscripts, shapes", FORMS, ids=[f for f, _ in FORMS])
def test_einsum_matches_numpy_and_differentiates(subscripts, shapes, rng):
    operands = [rng.standard_normal(s) for s in shapes]
    expected = np.einsum(subscripts, *operands)
    value = anp.einsum(subscripts, *operands)
    assert np.shape(value) == expected.shape
    np.testing.assert_allclose(value, expected, rtol=1e-13, atol=1e-13)
    ad.check_grads(lambda *xs: anp.einsum(subscripts, *xs), operands, order=2)


@pytest.mark.parametrize("optimize", [False, True, "greedy", "optimal"])
def test_numpy_optimize_argument_is_accepted(optimize, rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    value = anp.einsum("ij,jk,k", a, b, c, optimize=optimize)
    np.testing.assert_allclose(value, np.einsum("ij,jk,k", a, b, c), rtol=1e-13)
    ad.check_grads(lambda *xs: anp.einsum("ij,jk,k", *xs, optimize=optimize), [a, b, c],
                   order=1)


def test_gradient_of_a_trace_is_the_identity(rng):
    a = rng.standard_normal((4, 4))
    np.testing.assert_array_equal(ad.grad(lambda m: anp.einsum("ii", m))(a), np.eye(4))


def test_gradient_of_a_broadcast_operand_sums_over_the_broadcast_axis(rng):
    a, b = rng.standard_normal((1, 3)), rng.standard_normal((4, 3))
    ga, gb = ad.grad(lambda a, b: anp.einsum("ij,ij->", a, b), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, b.sum(axis=0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(gb, np.broadcast_to(a, (4, 3)), rtol=1e-14)


@pytest.mark.parametrize("subscripts, ndims, explicit", [
    ("ij,jk", (2, 2), "ij,jk->ik"),
    ("...ij,...jk->...ik", (4, 3), "abij,bjk->abik"),
    ("...i,i", (2, 1), "ai,i->a"),
    ("ii", (2,), "ii->"),
])
def test_subscripts_are_recorded_in_explicit_form(subscripts, ndims, explicit):
    assert explicit_subscripts(subscripts, ndims) == explicit
