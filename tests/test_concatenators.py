"""numpy's ``r_`` and ``c_`` on traced arrays (admodes.ops.concatenators): numpy's values,
shapes and dtypes for each item kind and directive, derivatives in both modes, and errors."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

A = np.array([0.5, -1.5, 2.0])
B = np.array([[1.0, 2.0, -0.5], [0.3, -0.7, 1.1]])

# Each case builds a concatenation from the namespace ``m`` (numpy or admodes.numpy) and x.
CASES = {
    "arrays-and-number": lambda m, x: m.r_[x, 1.0, x * 2],
    "slices": lambda m, x: m.r_[x, 0:3, 1:2:3j],
    "columns": lambda m, x: m.c_[x, x * 3],
    "columns-of-matrix": lambda m, x: m.c_[B, x[:2]],
    "rows-ndmin": lambda m, x: m.r_["0,2", x, x],
    "trans1d-0": lambda m, x: m.r_["1,2,0", x, x],
    "last-axis": lambda m, x: m.r_["-1", B * x, B],
    "ndmin-3": lambda m, x: m.r_["0,3,-1", B * x, B],
    "ndmin-3-trans1d-1": lambda m, x: m.r_["0,3,1", x, x],
    "float32-number": lambda m, x: m.r_[x.astype(np.float32), 2.0],
    "zero-d": lambda m, x: m.r_[x, x[0]],
    "slice-column": lambda m, x: m.c_[x, 0:3],
}


def _traced_value(f, x):
    return ad.jvp(f, (x,), (np.ones_like(x),))[0]


@pytest.mark.parametrize("case", list(CASES))
def test_values_shapes_and_dtypes_are_numpys(case):
    expected = CASES[case](np, A)
    for got in (CASES[case](anp, A), _traced_value(lambda x: CASES[case](anp, x), A)):
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype


@pytest.mark.parametrize("case", list(CASES))
def test_derivatives(case):
    def f(x):
        return anp.sum(anp.sin(CASES[case](anp, x)))
    ad.check_grads(f, (A,), order=2)
    np.testing.assert_allclose(ad.jacfwd(lambda x: CASES[case](anp, x))(A),
                               ad.jacrev(lambda x: CASES[case](anp, x))(A), rtol=1e-15)


def test_plain_items_give_plain_arrays():
    assert type(anp.r_[1.0, 2.0]) is np.ndarray
    np.testing.assert_array_equal(anp.r_[1:4], np.r_[1:4])


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: anp.r_["r", x, x], ValueError,
     "r_/c_: the matrix directive 'r' (a numpy.matrix result) is not supported"),
    (lambda x: anp.r_["a,b", x], ValueError,
     "r_/c_: unknown directive 'a,b'; expected 'axis', 'axis,ndmin' or 'axis,ndmin,trans1d'"),
    (lambda x: anp.r_["0,1,2,3", x], ValueError,
     "r_/c_: a directive has one to three integers, got '0,1,2,3'"),
    (lambda x: anp.r_[x, "0"], ValueError,
     "r_/c_: a directive string must come first, got '0' later"),
    (lambda x: anp.r_["0"], ValueError, "r_/c_: need at least one item to concatenate"),
    (lambda x: anp.r_[x, 0:x[0]], TypeError,
     "r_/c_: slice items are constants (arange or linspace); their bounds must be numbers"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ad.grad(lambda x: anp.sum(call(x)))(A)
