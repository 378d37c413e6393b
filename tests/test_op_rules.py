"""Op tests generated from the registry: an op without a test cannot exist.

Every registry entry (primitive or composite) is tested on every case its own ``domain``
sampler gives, in float64 and float32. A case is the public call ``entry(*args, **static)``;
the floating-point ndarray leaves of ``args`` are the differentiated inputs and everything else
(integer index arrays, boolean masks, einsum subscripts, index tuples, static keywords) is a
constant closed over by the tested function, and integer output leaves (``lstsq``'s rank) have
no derivative and are left out of its output. The checks:

1. forward mode: ``jvp`` against a central finite difference (``admodes.numerical_jvp``);
2. reverse mode: the dot-product identity ``<u, J v> = <Jᵀ u, v>`` between ``jvp`` and ``vjp``
   (for a primitive this tests its VJP rule against its JVP rule); ``linearize`` (the JVP
   rules replayed on the recorded tape's saved values) equals ``jvp``;
3. ``jacfwd`` and ``jacrev`` agree tightly and match the finite-difference Jacobian;
4. second order: for ``s(x) = <w, f(x)>`` the Hessians forward-over-reverse (``hessian``),
   reverse-over-reverse and forward-over-forward agree and are symmetric, ``hvp`` equals
   ``H v``, and ``check_grads(order=2, modes=("fwd", "rev"))`` passes;
5. vector mode: ``jacfwd``/``jacrev`` give the same Jacobian for ``chunk_size`` 1, None and a
   chunk size that does not divide the number of directions;
6. derivatives of a float32 computation are float32.

Finite-difference references for float32 cases are computed at the same (exactly representable)
points in float64, so that the float32 derivatives are compared with an accurate reference.

A hypothesis test at the end draws broadcast-compatible shape pairs for the elementwise
binary ops and random shapes for the smooth unary ops.
"""

from __future__ import annotations

import functools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes import registry
from admodes import tree as tree_util
from admodes.ops import _domains as dom

DTYPES = (np.float64, np.float32)

# Tolerances by working precision (the lowest precision among a case's float inputs and
# outputs). "fd": analytic vs finite differences; "exact": two analytic computations of the
# same first derivatives (jacfwd vs jacrev, chunk sizes); "dot": the dot-product identity,
# relative to Σ|u||Jv|; "second": two analytic computations of second derivatives.
_TOL = {
    np.dtype(np.float64): {"fd": 1e-6, "exact": 1e-12, "dot": 1e-12, "second": 1e-11},
    np.dtype(np.float32): {"fd": 5e-4, "exact": 2e-6, "dot": 2e-6, "second": 1e-5},
}
_FD_EPS = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-3}


# -- cases --------------------------------------------------------------------------------------

def _is_float_leaf(x) -> bool:
    return isinstance(x, (np.ndarray, np.floating)) and np.issubdtype(x.dtype, np.floating)


def _lowest_precision(dtypes):
    return max((np.dtype(d) for d in dtypes), key=lambda d: np.finfo(d).eps)


class Case:
    """One domain case of one entry, as a function of its float leaves only.

    ``f(*x)`` calls ``entry(*args, **static)`` with the float leaves of ``args`` replaced by
    ``x`` (in ``tree.flatten`` order) and returns the entry's output (an array or a pytree).
    """

    def __init__(self, entry, args, static):
        self.entry, self.static = entry, static
        self._leaves, self._treedef = tree_util.flatten(tuple(args))
        self._positions = [i for i, leaf in enumerate(self._leaves) if _is_float_leaf(leaf)]
        self.x = tuple(self._leaves[i] for i in self._positions)
        self.argnums = tuple(range(len(self.x)))
        self._keep = None
        kinds = [np.result_type(leaf).kind for leaf in tree_util.flatten(self.f(*self.x))[0]]
        if any(kind in "biu" for kind in kinds):
            self._keep = [kind not in "biu" for kind in kinds]
        out = self.f(*self.x)
        self.out_leaves = [np.asarray(o) for o in tree_util.flatten(out)[0]]
        self.out_def = tree_util.flatten(out)[1]
        self.in_sizes = [int(np.size(x)) for x in self.x]
        self.out_sizes = [int(np.size(o)) for o in self.out_leaves]
        floats = [x.dtype for x in self.x] + [o.dtype for o in self.out_leaves
                                              if np.issubdtype(o.dtype, np.floating)]
        self.working = _lowest_precision(floats)
        self.tol = _TOL[self.working]

    def f(self, *x):
        leaves = list(self._leaves)
        for i, value in zip(self._positions, x):
            leaves[i] = value
        return self.differentiable(self.entry(*tree_util.unflatten(self._treedef, leaves),
                                              **self.static))

    def differentiable(self, out):
        """``out`` without its integer leaves (a tuple of the others), if it has any."""
        if self._keep is None:
            return out
        return tuple(leaf for leaf, keep in zip(tree_util.flatten(out)[0], self._keep) if keep)

    def random_inputs(self, rng):
        """A random direction shaped (and typed) like the inputs."""
        return tuple(rng.standard_normal(np.shape(x)).astype(x.dtype) for x in self.x)

    def random_outputs(self, rng):
        """A random cotangent shaped (and typed) like the output pytree."""
        leaves = [rng.standard_normal(o.shape).astype(o.dtype) for o in self.out_leaves]
        return tree_util.unflatten(self.out_def, leaves)

    def weighted_sum(self, weights):
        """s(x) = Σ_leaves <w, f(x)>, a scalar whose Hessian is Σ_i w_i ∇²f_i(x)."""
        def s(*x):
            total = 0.0
            for w, o in zip(weights, tree_util.flatten(self.f(*x))[0]):
                total = anp.add(total, anp.sum(anp.multiply(w, o)))
            return total
        return s

    # -- references ---------------------------------------------------------------------------
    def fd_jvp(self, tangents):
        """Central finite difference in direction ``tangents``, evaluated in float64."""
        x64 = tuple(np.asarray(x, dtype=np.float64) for x in self.x)
        t64 = tuple(np.asarray(t, dtype=np.float64) for t in tangents)
        return ad.numerical_jvp(self.f, x64, t64, eps=_FD_EPS[self.working])

    def fd_jacobian(self):
        """The full (m, n) Jacobian by central finite differences, one column per input."""
        columns = []
        for j, x in enumerate(self.x):
            for e in range(np.size(x)):
                tangents = [np.zeros(np.shape(xi)) for xi in self.x]
                tangents[j].flat[e] = 1.0
                columns.append(flat(self.fd_jvp(tangents)))
        return np.stack(columns, axis=1)

    def matrix(self, jac, out_sizes):
        """A Jacobian pytree (out-leaf major, in-leaf minor) as one (m, n) matrix."""
        blocks = tree_util.flatten(jac)[0]
        assert len(blocks) == len(out_sizes) * len(self.in_sizes), \
            f"Jacobian has {len(blocks)} blocks, expected {len(out_sizes)}x{len(self.in_sizes)}"
        rows, it = [], iter(blocks)
        for m in out_sizes:
            rows.append(np.concatenate([np.reshape(np.asarray(next(it), dtype=np.float64),
                                                   (m, n)) for n in self.in_sizes], axis=1))
        return np.concatenate(rows, axis=0)

    def __repr__(self):
        shapes = [np.shape(x) for x in self.x]
        return f"Case({self.entry.name}, inputs {shapes}, static {self.static})"


def flat(tree) -> np.ndarray:
    """All leaves of ``tree`` raveled into one float64 vector."""
    leaves = tree_util.flatten(tree)[0]
    if not leaves:
        return np.zeros(0)
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves])


def assert_close(actual, expected, tol, what):
    """``actual ≈ expected`` to relative ``tol`` (absolute ``tol`` scaled by max(1, |expected|))."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values {actual}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, err_msg=what)


def _count_cases(entry, dtype):
    return len(entry.domain(np.random.default_rng(0), dtype))


PARAMS = [pytest.param((entry, dtype, i), id=f"{entry.name}-{i}-{np.dtype(dtype).name}")
          for entry in registry.entries() for dtype in DTYPES
          for i in range(_count_cases(entry, dtype))]


@functools.cache
def _domain(entry, dtype, seed):
    return entry.domain(np.random.default_rng(seed), dtype)


@pytest.fixture
def case(request, seed):
    entry, dtype, index = request.param
    cases = _domain(entry, dtype, seed)
    assert index < len(cases), (f"{entry.name}.domain returned {len(cases)} cases for seed {seed} "
                                f"but {index + 1}+ at collection; the count must not depend on "
                                f"the seed")
    args, static = cases[index]
    built = Case(entry, args, static)
    assert built.x, f"{entry.name}: domain case {index} has no floating-point array argument"
    return built


by_case = pytest.mark.parametrize("case", PARAMS, indirect=True)


def test_every_entry_has_cases_in_both_dtypes():
    """The parametrization above covers the whole registry: no entry goes untested."""
    covered = {(p.values[0][0].name, np.dtype(p.values[0][1])) for p in PARAMS}
    missing = [(e.name, np.dtype(d).name) for e in registry.entries() for d in DTYPES
               if (e.name, np.dtype(d)) not in covered]
    assert not missing, f"registry entries without test cases: {missing}"


# -- 1. forward mode vs finite differences ------------------------------------------------------

def check_jvp(case, rng):
    """Forward mode: the primal output and J·v against a central finite difference."""
    tangents = case.random_inputs(rng)
    out, tangent_out = ad.jvp(case.f, case.x, tangents)
    assert_close(flat(out), flat(case.out_leaves), 0.0, f"{case}: jvp primal output")
    assert_close(flat(tangent_out), flat(case.fd_jvp(tangents)), case.tol["fd"],
                 f"{case}: jvp vs central finite differences")


def check_dot_product(case, rng):
    """Reverse mode: <u, J v> from jvp equals <Jᵀ u, v> from vjp."""
    tangents = case.random_inputs(rng)
    cotangent = case.random_outputs(rng)
    _, tangent_out = ad.jvp(case.f, case.x, tangents)
    out, pullback = ad.vjp(case.f, *case.x)
    assert_close(flat(out), flat(case.out_leaves), 0.0, f"{case}: vjp primal output")
    pulled = pullback(cotangent)
    assert len(pulled) == len(case.x), f"{case}: vjp returned {len(pulled)} cotangents"
    for p, x in zip(pulled, case.x):
        assert np.shape(p) == np.shape(x), (f"{case}: cotangent shape {np.shape(p)} != input "
                                            f"shape {np.shape(x)}")
    u, jv = flat(cotangent), flat(tangent_out)
    jtu, v = flat(pulled), flat(tangents)
    lhs, rhs = float(u @ jv), float(jtu @ v)
    scale = max(float(np.abs(u) @ np.abs(jv)), float(np.abs(jtu) @ np.abs(v)), 1e-30)
    assert abs(lhs - rhs) <= case.tol["dot"] * scale, (
        f"{case}: <u, J v> = {lhs!r} (jvp) but <J^T u, v> = {rhs!r} (vjp); "
        f"relative gap {abs(lhs - rhs) / scale:.3g}")


@by_case
def test_jvp_matches_finite_differences(case, rng):
    check_jvp(case, rng)


# -- 2. reverse mode: the dot-product identity --------------------------------------------------

@by_case
def test_vjp_is_transpose_of_jvp(case, rng):
    check_dot_product(case, rng)


@by_case
def test_linearize_replays_the_jvp_rules_on_the_tape(case, rng):
    """linearize: J·v pushed along the recorded tape equals forward mode's J·v, twice."""
    out, f_jvp = ad.linearize(case.f, *case.x)
    assert_close(flat(out), flat(case.out_leaves), 0.0, f"{case}: linearize primal output")
    for _ in range(2):
        tangents = case.random_inputs(rng)
        _, expected = ad.jvp(case.f, case.x, tangents)
        assert_close(flat(f_jvp(*tangents)), flat(expected), case.tol["exact"],
                     f"{case}: linearize vs jvp")


# -- 3. full Jacobians --------------------------------------------------------------------------

@by_case
def test_jacfwd_jacrev_agree_with_finite_differences(case):
    j_fwd = case.matrix(ad.jacfwd(case.f, argnums=case.argnums)(*case.x), case.out_sizes)
    j_rev = case.matrix(ad.jacrev(case.f, argnums=case.argnums)(*case.x), case.out_sizes)
    assert_close(j_fwd, j_rev, case.tol["exact"], f"{case}: jacfwd vs jacrev")
    j_fd = case.fd_jacobian()
    assert_close(j_fwd, j_fd, case.tol["fd"], f"{case}: jacfwd vs finite differences")
    assert_close(j_rev, j_fd, case.tol["fd"], f"{case}: jacrev vs finite differences")


# -- 4. second order ----------------------------------------------------------------------------

@by_case
def test_second_order(case, rng):
    weights = [rng.standard_normal(o.shape).astype(o.dtype) for o in case.out_leaves]
    s = case.weighted_sum(weights)

    def square(h):  # the (n, n) matrix of the in-structure-of-in-structure Hessian pytree
        return case.matrix(h, case.in_sizes)

    tol = case.tol["second"]
    h_fr = square(ad.hessian(s, argnums=case.argnums)(*case.x))
    h_rr = square(ad.jacrev(ad.jacrev(s, argnums=case.argnums), argnums=case.argnums)(*case.x))
    h_ff = square(ad.jacfwd(ad.jacfwd(s, argnums=case.argnums), argnums=case.argnums)(*case.x))
    assert_close(h_rr, h_fr, tol, f"{case}: Hessian reverse-over-reverse vs forward-over-reverse")
    assert_close(h_ff, h_fr, tol, f"{case}: Hessian forward-over-forward vs forward-over-reverse")
    assert_close(h_fr, h_fr.T, tol, f"{case}: Hessian is not symmetric")

    v = case.random_inputs(rng)
    product = ad.hvp(s, case.x, v)
    assert_close(flat(product), h_fr @ flat(v), tol, f"{case}: hvp vs hessian @ v")

    # check_grads picks its step and tolerance from the input dtype; a float64 -> float32
    # computation (astype) needs those of its float32 output.
    tol = ad.checks.default_tolerance(case.working)
    ad.check_grads(case.f, case.x, order=2, modes=("fwd", "rev"), atol=tol, rtol=tol,
                   eps=_FD_EPS[case.working])


# -- 5. vector mode: chunk sizes ----------------------------------------------------------------

def _non_divisor(n):
    """The smallest chunk size > 1 that does not divide ``n`` (the last chunk is partial)."""
    return next(c for c in range(2, n + 2) if n % c)


@by_case
def test_chunk_sizes_agree(case):
    n, m = sum(case.in_sizes), sum(case.out_sizes)
    tol = case.tol["exact"]
    for transform, total in ((ad.jacfwd, n), (ad.jacrev, m)):
        if total == 0:
            continue
        reference = case.matrix(transform(case.f, argnums=case.argnums)(*case.x),
                                case.out_sizes)
        for chunk in (1, _non_divisor(total)):
            jac = transform(case.f, argnums=case.argnums, chunk_size=chunk)(*case.x)
            assert_close(case.matrix(jac, case.out_sizes), reference, tol,
                         f"{case}: {transform.__name__}(chunk_size={chunk}) vs chunk_size=None")


# -- 6. dtypes ----------------------------------------------------------------------------------

def _dtypes(tree):
    return [np.result_type(leaf) for leaf in tree_util.flatten(tree)[0]]


def check_dtypes(case, rng):
    """Tangents have their output's dtype and cotangents their input's (float32 stays float32)."""
    _, tangent_out = ad.jvp(case.f, case.x, case.random_inputs(rng))
    expected = [o.dtype for o in case.out_leaves]
    assert _dtypes(tangent_out) == expected, (f"{case}: jvp tangent dtypes {_dtypes(tangent_out)}"
                                              f", outputs {expected}")
    _, pullback = ad.vjp(case.f, *case.x)
    pulled = pullback(case.random_outputs(rng))
    inputs = [np.dtype(x.dtype) for x in case.x]
    assert _dtypes(pulled) == inputs, (f"{case}: vjp cotangent dtypes {_dtypes(pulled)}, "
                                       f"inputs {inputs}")


@by_case
def test_derivative_dtypes(case, rng):
    check_dtypes(case, rng)
    dtypes = {np.dtype(x.dtype) for x in case.x} | {o.dtype for o in case.out_leaves}
    if len(dtypes) == 1:  # a computation in one precision: its Jacobians are in it too
        for transform in (ad.jacfwd, ad.jacrev):
            jac = transform(case.f, argnums=case.argnums)(*case.x)
            assert set(_dtypes(jac)) == dtypes, (f"{case}: {transform.__name__} gives dtypes "
                                                 f"{_dtypes(jac)}, expected {dtypes}")


# -- x[...] on tracers ---------------------------------------------------------------------------

_MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
_INDICES = {
    "int": 1,
    "int-slice": (1, slice(None)),
    "negative-step": slice(None, None, -1),
    "ellipsis": (Ellipsis, 0),
    "newaxis": (None, 1),
    "slice-newaxis-int": (slice(0, 2), None, -1),
    "int-array-repeated": np.array([0, 2, 2]),
    "slice-list": (slice(None), [1, 0, 1]),
    "int-array-pair": (np.array([[0, 1], [2, 2]]), np.array([3, 0])),
    "boolean-mask": _MASK,
}


@pytest.mark.parametrize("index", list(_INDICES.values()), ids=list(_INDICES))
def test_tracer_indexing(index, rng):
    """Basic and integer-array indexing of traced arrays: Jacobians are selection matrices and
    gradients count how often each entry is selected (repeated indices accumulate)."""
    x = rng.standard_normal((3, 4))
    positions = np.arange(x.size).reshape(x.shape)[index]
    expected = (positions.reshape(-1, 1) == np.arange(x.size)).astype(x.dtype)
    expected = expected.reshape(positions.shape + x.shape)
    for transform in (ad.jacfwd, ad.jacrev):
        jacobian = transform(lambda x: x[index])(x)
        np.testing.assert_array_equal(jacobian, expected, err_msg=transform.__name__)
    counts = np.bincount(np.ravel(positions), minlength=x.size).reshape(x.shape)
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(x[index]))(x), counts)
    _, tangent = ad.jvp(lambda x: x[index] ** 2, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(tangent, 2 * x[index], rtol=1e-15)


# -- hypothesis: elementwise ops on random broadcasting shapes -----------------------------------

_UNARY = {"negative": dom.real, "exp": dom.real, "log": dom.positive, "log1p": dom.positive,
          "expm1": dom.real, "sqrt": dom.positive, "square": dom.real, "sin": dom.real,
          "cos": dom.real, "tan": dom.unit, "tanh": dom.real, "sinh": dom.real,
          "cosh": dom.real, "arctan": dom.real, "arcsin": dom.unit, "arccos": dom.unit,
          "sigmoid": dom.real, "softplus": dom.real, "abs": dom.away_from_zero,
          "relu": dom.away_from_zero}
_BINARY = {"add": (dom.real, dom.real), "subtract": (dom.real, dom.real),
           "multiply": (dom.real, dom.real), "divide": (dom.real, dom.away_from_zero),
           "maximum": (dom.real, dom.real), "minimum": (dom.real, dom.real),
           "power": (dom.positive, dom.real)}
_TIE_GAP = 1e-2  # maximum/minimum: operands this close count as a kink (a tie)

_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
_shape_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 min_side=1, max_side=3)
_seeds = st.integers(0, 2 ** 32 - 1)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(_BINARY))
@given(shapes=_shape_pairs, seed=_seeds, constant=st.sampled_from([None, 0, 1]))
def test_binary_broadcasting(name, dtype, shapes, seed, constant):
    """``constant`` = 0 or 1 passes that operand as a Python float (not differentiated)."""
    rng = np.random.default_rng(seed)
    samplers, shape_pair = _BINARY[name], list(shapes.input_shapes)
    if constant is not None:
        shape_pair[constant] = ()
    a, b = (sample(rng, shape, dtype) for sample, shape in zip(samplers, shape_pair))
    if name in ("maximum", "minimum"):
        assume(np.min(np.abs(np.subtract(a, b, dtype=np.float64)), initial=np.inf) > _TIE_GAP)
    operands = [a, b]
    if constant is not None:
        operands[constant] = float(operands[constant])
    case = Case(registry.lookup(name), tuple(operands), {})
    assert np.shape(case.out_leaves[0]) == np.broadcast_shapes(*shape_pair)
    check_jvp(case, rng)
    check_dot_product(case, rng)
    check_dtypes(case, rng)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(_UNARY))
@given(shape=_shapes, seed=_seeds)
def test_unary_shapes(name, dtype, shape, seed):
    rng = np.random.default_rng(seed)
    case = Case(registry.lookup(name), (_UNARY[name](rng, shape, dtype),), {})
    check_jvp(case, rng)
    check_dot_product(case, rng)
    check_dtypes(case, rng)


# -- broadcast_to's primal: its direct zero-stride view must be numpy's -------------------------

@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 max_side=3),
       layout=st.sampled_from(["contiguous", "transposed", "sliced", "read-only"]))
def test_broadcast_to_impl_equals_numpy(shapes, layout):
    shape, target = shapes.input_shapes[0], shapes.result_shape
    x = np.arange(float(np.prod(shape, dtype=np.int64))).reshape(shape)
    if layout == "transposed":
        x = x.T.copy().T                     # same values, Fortran order
    elif layout == "sliced" and x.ndim:
        x = np.repeat(x, 2, axis=-1)[..., ::2]  # a strided view
    elif layout == "read-only":
        x = np.broadcast_to(x, shape)
    out = registry.lookup("broadcast_to").impl(x, target)
    expected = np.broadcast_to(x, target)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    assert not out.flags.writeable
    assert np.shares_memory(out, x) or out.size == 0


def test_broadcast_to_impl_rejects_incompatible_shapes_like_numpy():
    with pytest.raises(ValueError, match="broadcast"):
        registry.lookup("broadcast_to").impl(np.ones((2, 3)), (2, 4))
