"""numpy 2.x's array-API functions, in numpy's namespace (matrix_transpose, vecdot, matvec,
vecmat, unstack, cumulative_sum, cumulative_prod, astype, unique_values, unique_counts,
unique_inverse, unique_all) and in numpy.linalg's
(matrix_norm, vector_norm, cross, outer, diagonal, trace, matmul, vecdot, tensordot,
matrix_transpose).

Each is a composite of registry ops with numpy's signature and semantics (values, shapes,
dtypes) for the arguments it accepts; numpy.linalg's versions act on the last axes, as the
array API specifies (``linalg.diagonal`` and ``linalg.trace`` over the last two, unlike
``numpy.diagonal``; ``linalg.outer`` of 1-d arrays only; ``linalg.cross`` of 3-vectors only).

A ``dtype`` argument that names a floating dtype is a differentiable cast (the cotangent is
cast back). An integer or bool ``dtype`` makes the result piecewise constant in ``x``: it is
numpy's value as a plain array, without derivative (zero almost everywhere, as JAX's
``float0`` cotangent of a cast to an integer dtype); a complex ``dtype`` is a TypeError
(admodes differentiates real functions).

Reference: Python array API standard, v2023.12, https://data-apis.org/array-api/2023.12/
(functions ``astype`` … ``vecdot``, ``unique_*``, extension ``linalg``). The other names of
existing functions (``acos``, ``concat``, ...) are in :mod:`admodes.ops.aliases`.
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import as_array, normalize_axes, slice_along
from admodes.ops._numpy_keywords import is_discrete_dtype
from admodes.ops.arrangement import diagonal as diagonal_
from admodes.ops.decompositions import svdvals
from admodes.ops.discrete import unique
from admodes.ops.elementwise import abs as abs_
from admodes.ops.elementwise import as_dtype, multiply, power, require_real, sqrt
from admodes.ops.indexing import getitem
from admodes.ops.linalg import cross as cross_
from admodes.ops.linalg import matmul as matmul_
from admodes.ops.linalg import outer as outer_
from admodes.ops.linalg import tensordot as tensordot_
from admodes.ops.reductions import cumprod, cumsum
from admodes.ops.reductions import max as max_
from admodes.ops.reductions import min as min_
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import concatenate, moveaxis, reshape, transpose
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of

_ARRAY_API = ("Python array API standard, v2023.12, https://data-apis.org/array-api/2023.12/",)


def _arrays(*cases):
    """A domain from ``(shapes, static)`` pairs: real arrays of those shapes."""
    def domain(rng, dtype):
        return [(tuple(dom.real(rng, s, dtype) for s in shapes), dict(static))
                for shapes, static in cases]
    return domain


def _at_least(x, ndim, opname, name="x"):
    shape = shape_of(x)
    if len(shape) < ndim:
        what = " (a matrix or a stack of matrices (..., M, N))" if ndim == 2 else ""
        raise ValueError(f"{opname}(): {name} must be at least {ndim}-d{what}, got shape "
                         f"{shape}")


def _axis(axis, ndim, opname):
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{opname}(): axis must be an int, got {axis!r}")
    return normalize_axes(axis, ndim, opname)[0]


# -- astype -------------------------------------------------------------------------------------

def _astype_domain(rng, dtype):
    other = np.float32 if np.dtype(dtype) == np.float64 else np.float64
    return [((dom.real(rng, s, dtype), np.dtype(other)), {}) for s in dom.UNARY_SHAPES] + [
        ((dom.real(rng, (3,), dtype), np.dtype(dtype)), {"copy": False})]


@defcomposite("astype", domain=_astype_domain,
              doc="astype(x, dtype): x in dtype; to a floating dtype ẋ is cast along and x̄ cast "
                  "back to x's dtype; to an integer or bool dtype the result is piecewise "
                  "constant (numpy's value, no derivative, as for trunc)")
def astype(x, dtype, /, *, copy=True, device=None):
    if device not in (None, "cpu"):
        raise ValueError(f"astype(): device={device!r}; admodes arrays live on the CPU "
                         f"(device None or 'cpu')")
    if not isinstance(x, Tracer):
        return np.asarray(x).astype(dtype, copy=copy)
    if is_discrete_dtype(dtype, "astype"):
        return primal_value(x).astype(dtype)
    return as_dtype(x, np.dtype(dtype))


# -- matrix_transpose -----------------------------------------------------------------------------

def _matrix_transpose(x, opname):
    x = as_array(x)
    _at_least(x, 2, opname)
    n = ndim_of(x)
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


_MATRIX_TRANSPOSE_DOMAIN = _arrays((((2, 3),), {}), (((2, 1, 3),), {}), (((3, 2, 2),), {}))
_MATRIX_TRANSPOSE_DOC = ("matrix_transpose(x): x with its last two axes swapped, (..., M, N) "
                         "-> (..., N, M); linear (a transpose)")


@defcomposite("matrix_transpose", domain=_MATRIX_TRANSPOSE_DOMAIN, refs=_ARRAY_API,
              doc=_MATRIX_TRANSPOSE_DOC)
def matrix_transpose(x, /):
    return _matrix_transpose(x, "matrix_transpose")


@defcomposite("linalg.matrix_transpose", namespace="numpy.linalg",
              domain=_MATRIX_TRANSPOSE_DOMAIN, refs=_ARRAY_API, doc=_MATRIX_TRANSPOSE_DOC)
def linalg_matrix_transpose(x, /):
    return _matrix_transpose(x, "linalg.matrix_transpose")


# -- vecdot ---------------------------------------------------------------------------------------

def _vecdot(x1, x2, axis, opname):
    """numpy's gufunc (n),(n)->(): ``axis`` counts in each operand (it moves to the end of
    each), the other axes broadcast, the two core sizes must be equal (no broadcasting);
    integer and bool operands give numpy's value (in their type, not sum's int64)."""
    require_real(opname, x1, x2)
    x1, x2 = as_array(x1), as_array(x2)
    moved = []
    for i, x in enumerate((x1, x2)):
        if ndim_of(x) == 0:
            raise ValueError(f"{opname}(): operand {i} is 0-d; vecdot needs at least one axis")
        moved.append(moveaxis(x, _axis(axis, ndim_of(x), opname), -1))
    n1, n2 = (shape_of(m)[-1] for m in moved)
    if n1 != n2:
        raise ValueError(f"{opname}(): the operands have {n1} and {n2} entries along "
                         f"axis={axis} (shapes {shape_of(x1)} and {shape_of(x2)}); they "
                         f"must be equal")
    if is_discrete_dtype(np.result_type(primal_value(x1), primal_value(x2)), opname):
        return np.vecdot(primal_value(x1), primal_value(x2), axis=axis)  # numpy's int type
    return sum_(multiply(*moved), axis=-1)


_VECDOT_DOMAIN = _arrays((((3,), (3,)), {}), (((2, 3), (3,)), {}), (((2, 1, 3), (4, 3)), {}),
                         (((3, 2), (3, 2)), {"axis": 0}), (((2, 3), (1, 3)), {"axis": -1}),
                         (((4, 2), (4,)), {"axis": 0}))
_VECDOT_DOC = ("vecdot(x1, x2, axis=-1) = Σ_i conj(x1_i)·x2_i along axis (real inputs: conj "
               "is the identity), the other axes broadcast; ẏ = Σ (ẋ1·x2 + x1·ẋ2); "
               "x̄1 = ȳ·x2, x̄2 = ȳ·x1 (unbroadcast)")


@defcomposite("vecdot", domain=_VECDOT_DOMAIN, refs=_ARRAY_API, doc=_VECDOT_DOC)
def vecdot(x1, x2, /, *, axis=-1):
    return _vecdot(x1, x2, axis, "vecdot")


@defcomposite("linalg.vecdot", namespace="numpy.linalg", domain=_VECDOT_DOMAIN,
              refs=_ARRAY_API, doc=_VECDOT_DOC)
def linalg_vecdot(x1, x2, /, *, axis=-1):
    return _vecdot(x1, x2, axis, "linalg.vecdot")


# -- matvec, vecmat -------------------------------------------------------------------------------

def _matrix_and_vector(matrix, vector, opname, contracted):
    """numpy's core dimensions: matvec (m, n),(n), vecmat (n),(n, m); ``contracted`` is the
    matrix axis (-1 or -2) that meets the vector's last."""
    require_real(opname, matrix, vector)
    shapes = (shape_of(vector), shape_of(matrix)) if contracted == -2 else (
        shape_of(matrix), shape_of(vector))
    if ndim_of(matrix) < 2 or ndim_of(vector) < 1:
        expected = "a vector (..., N) and a matrix (..., N, M)" if contracted == -2 else (
            "a matrix (..., M, N) and a vector (..., N)")
        raise ValueError(f"{opname}(): needs {expected}; got shapes {shapes[0]} and {shapes[1]}")
    if shape_of(matrix)[contracted] != shape_of(vector)[-1]:
        raise ValueError(f"{opname}(): the core dimensions do not match: shapes {shapes[0]} "
                         f"and {shapes[1]} (N = {shape_of(vector)[-1]} in the vector, "
                         f"{shape_of(matrix)[contracted]} in the matrix)")


_MATVEC_DOMAIN = _arrays((((2, 3), (3,)), {}), (((4, 2, 3), (3,)), {}),
                         (((2, 3), (4, 3)), {}), (((1, 2, 3), (4, 1, 3)), {}))


@defcomposite("matvec", domain=_MATVEC_DOMAIN, refs=_ARRAY_API,
              doc="matvec(x1, x2): numpy's gufunc (m,n),(n)->(m), y_i = Σ_j x1_ij·x2_j with "
                  "the other axes broadcast (matmul with x2 as a column); ẏ = ẋ1·x2 + x1·ẋ2, "
                  "x̄1 = ȳ ⊗ x2, x̄2 = x1ᵀ ȳ (unbroadcast)")
def matvec(x1, x2, /):
    _matrix_and_vector(x1, x2, "matvec", -1)
    column = reshape(x2, shape_of(x2) + (1,))
    out = matmul_(x1, column)
    return reshape(out, shape_of(out)[:-1])


_VECMAT_DOMAIN = _arrays((((3,), (3, 2)), {}), (((3,), (4, 3, 2)), {}),
                         (((4, 3), (3, 2)), {}), (((4, 1, 3), (1, 3, 2)), {}))


@defcomposite("vecmat", domain=_VECMAT_DOMAIN, refs=_ARRAY_API,
              doc="vecmat(x1, x2): numpy's gufunc (n),(n,m)->(m), y_j = Σ_i conj(x1_i)·x2_ij "
                  "(real: conj is the identity) with the other axes broadcast (matmul with x1 "
                  "as a row); ẏ = ẋ1·x2 + x1·ẋ2, x̄1 = x2 ȳ, x̄2 = x1 ⊗ ȳ (unbroadcast)")
def vecmat(x1, x2, /):
    _matrix_and_vector(x2, x1, "vecmat", -2)
    row = reshape(x1, shape_of(x1)[:-1] + (1, shape_of(x1)[-1]))
    out = matmul_(row, x2)
    return reshape(out, shape_of(out)[:-2] + shape_of(out)[-1:])


# -- unique_values, unique_counts, unique_inverse, unique_all ------------------------------------

def _unique_domain(rng, dtype):
    return [((dom.distinct(rng, shape, dtype),), {}) for shape in ((5,), (2, 3))]


def _unique(x, numpy_function):
    """numpy's result of ``numpy_function`` (a unique_* function) on x; for a traced x its
    ``values`` are :func:`~admodes.ops.discrete.unique`'s gather of the first occurrences
    (numpy's unique_* are numpy.unique of the flattened x with ``equal_nan=False``)."""
    if not isinstance(x, Tracer):
        return numpy_function(x)
    values = unique(x, equal_nan=False)
    if numpy_function is np.unique_values:
        return values
    result = numpy_function(primal_value(x))
    return type(result)(values, *result[1:])


@defcomposite("unique_values", domain=_unique_domain, kinks=unique.kinks, refs=_ARRAY_API,
              doc="unique_values(x): the sorted distinct values of the flattened x, a gather at "
                  "their first occurrences")
def unique_values(x, /):
    return _unique(x, np.unique_values)


@defcomposite("unique_counts", domain=_unique_domain, kinks=unique.kinks, refs=_ARRAY_API,
              doc="unique_counts(x) -> (values, counts): values as unique_values (a gather), "
                  "counts integers (no derivative)")
def unique_counts(x, /):
    return _unique(x, np.unique_counts)


@defcomposite("unique_inverse", domain=_unique_domain, kinks=unique.kinks, refs=_ARRAY_API,
              doc="unique_inverse(x) -> (values, inverse_indices): values as unique_values (a "
                  "gather), inverse_indices of x's shape (integers, no derivative)")
def unique_inverse(x, /):
    return _unique(x, np.unique_inverse)


@defcomposite("unique_all", domain=_unique_domain, kinks=unique.kinks, refs=_ARRAY_API,
              doc="unique_all(x) -> (values, indices, inverse_indices, counts): values as "
                  "unique_values (a gather at indices, the first occurrences), the others "
                  "integers (no derivative)")
def unique_all(x, /):
    return _unique(x, np.unique_all)


# -- unstack --------------------------------------------------------------------------------------

@defcomposite("unstack", domain=_arrays((((3,),), {}), (((2, 3),), {"axis": 1}),
                                        (((2, 3, 2),), {"axis": -2}), (((1, 3),), {})),
              refs=_ARRAY_API,
              doc="unstack(x, axis=0): the tuple of slices x[..., i, ...] along axis (each a "
                  "basic index; their cotangents are written into zeros)")
def unstack(x, /, *, axis=0):
    x = as_array(x)
    ndim = ndim_of(x)
    if ndim == 0:
        raise ValueError("unstack(): x is 0-d; it must have at least one axis")
    axis = _axis(axis, ndim, "unstack")
    return tuple(getitem(x, slice_along(axis, ndim, i)) for i in range(shape_of(x)[axis]))


# -- cumulative_sum, cumulative_prod --------------------------------------------------------------

def _cumulative(x, axis, dtype, include_initial, numpy_function, scan, identity, opname):
    """numpy's _cumulative_func: x at least 1-d, axis required beyond 1-d, the scan in
    ``dtype``, and with ``include_initial`` the identity prepended along axis. Integer or
    bool results (from ``dtype``, or from such an ``x``) are numpy's, without derivative."""
    x = as_array(x)
    require_real(opname, x)
    if is_discrete_dtype(dtype if dtype is not None else x.dtype, opname):
        return numpy_function(primal_value(x), axis=axis, dtype=dtype,
                              include_initial=include_initial)
    if ndim_of(x) == 0:
        x = reshape(x, (1,))
    if axis is None:
        if ndim_of(x) >= 2:
            raise ValueError(f"{opname}(): x has shape {shape_of(x)}; for more than one "
                             f"dimension give axis")
        axis = 0
    axis = _axis(axis, ndim_of(x), opname)
    if dtype is not None:
        x = as_dtype(x, np.dtype(dtype))
    out = scan(x, axis=axis)
    if not include_initial:
        return out
    shape = list(shape_of(out))
    shape[axis] = 1
    initial = np.full(shape, identity, dtype=np.result_type(primal_value(out)))
    return concatenate([initial, out], axis=axis)


def _cumulative_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (4,), dtype),), {}),
            ((r(rng, (2, 3), dtype),), {"axis": 1}),
            ((r(rng, (2, 3), dtype),), {"axis": -2, "include_initial": True}),
            ((r(rng, (3,), dtype),), {"include_initial": True}),
            ((r(rng, (), dtype),), {}),
            ((r(rng, (2, 3), dtype),), {"axis": 0, "dtype": np.float64}),
            ((r(rng, (3,), dtype),), {"dtype": np.float32, "include_initial": True})]


_CUMULATIVE_DOC = ("{name}(x, axis=None, dtype=None, include_initial=False): y_i = "
                   "{op}_{{j≤i}} x_j along axis (x at least 1-d; axis required beyond 1-d), "
                   "in dtype; include_initial prepends {identity} along axis. {rule}")


@defcomposite("cumulative_sum", domain=_cumulative_domain, refs=_ARRAY_API,
              doc=_CUMULATIVE_DOC.format(name="cumulative_sum", op="Σ", identity="0",
                                         rule="Linear: ẏ = cumsum(ẋ), x̄_i = Σ_{j≥i} ȳ_j"))
def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative(x, axis, dtype, include_initial, np.cumulative_sum, cumsum, 0,
                       "cumulative_sum")


@defcomposite("cumulative_prod", domain=_cumulative_domain, refs=_ARRAY_API,
              doc=_CUMULATIVE_DOC.format(name="cumulative_prod", op="Π", identity="1",
                                         rule="By cumprod's scan of multiplies: exact "
                                              "derivatives also where entries are 0"))
def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative(x, axis, dtype, include_initial, np.cumulative_prod, cumprod, 1,
                       "cumulative_prod")


# -- linalg: cross, outer, diagonal, trace, matmul, tensordot -------------------------------------

@defcomposite("linalg.cross", namespace="numpy.linalg", refs=_ARRAY_API,
              domain=_arrays((((3,), (3,)), {}), (((2, 3), (3,)), {}),
                             (((3, 2), (3, 1)), {"axis": 0}), (((2, 3, 2), (3, 2)), {"axis": -2})),
              doc="cross(x1, x2, axis=-1): the cross product of 3-vectors along axis "
                  "(broadcasting), c = (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁), bilinear")
def cross(x1, x2, /, *, axis=-1):
    x1, x2 = as_array(x1), as_array(x2)
    moved = []
    for i, x in enumerate((x1, x2)):
        _at_least(x, 1, "linalg.cross", f"operand {i}")
        moved.append(moveaxis(x, _axis(axis, ndim_of(x), "linalg.cross"), -1))
    sizes = [shape_of(m)[-1] for m in moved]
    if sizes != [3, 3]:
        raise ValueError(f"linalg.cross(): both operands must be (stacks of) 3-vectors along "
                         f"axis={axis}; got shapes {shape_of(x1)} and {shape_of(x2)} (sizes "
                         f"{sizes[0]} and {sizes[1]}); numpy.cross has the 2-vector form")
    c = cross_(*moved)
    return moveaxis(c, -1, _axis(axis, ndim_of(c), "linalg.cross"))


@defcomposite("linalg.outer", namespace="numpy.linalg", refs=_ARRAY_API,
              domain=_arrays((((3,), (2,)), {}), (((1,), (4,)), {})),
              doc="outer(x1, x2)_ij = x1_i x2_j of two 1-d arrays (a multiply), bilinear")
def outer(x1, x2, /):
    x1, x2 = as_array(x1), as_array(x2)
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError(f"linalg.outer(): both operands must be 1-d, got shapes "
                         f"{shape_of(x1)} and {shape_of(x2)}; numpy.outer flattens them")
    return outer_(x1, x2)


def _linalg_diagonal(x, offset, opname):
    x = as_array(x)
    _at_least(x, 2, opname)
    if not isinstance(offset, numbers.Integral):
        raise TypeError(f"{opname}(): offset must be an int, got {offset!r}")
    return diagonal_(x, offset, axis1=-2, axis2=-1)


@defcomposite("linalg.diagonal", namespace="numpy.linalg", refs=_ARRAY_API,
              domain=_arrays((((3, 3),), {}), (((3, 4),), {"offset": 1}),
                             (((2, 3, 4),), {"offset": -1}), (((2, 2, 3),), {"offset": 2})),
              doc="diagonal(x, offset=0): the diagonals x[..., i, i + offset] of the last two "
                  "axes (numpy.diagonal uses the first two), a gather")
def diagonal(x, /, *, offset=0):
    return _linalg_diagonal(x, offset, "linalg.diagonal")


@defcomposite("linalg.trace", namespace="numpy.linalg", refs=_ARRAY_API,
              domain=_arrays((((3, 3),), {}), (((3, 4),), {"offset": 1}),
                             (((2, 3, 3),), {"offset": -1}),
                             (((2, 2, 3),), {"dtype": np.float64}),
                             (((3, 3),), {"dtype": np.float32})),
              doc="trace(x, offset=0, dtype=None) = Σ_i x[..., i, i + offset] over the last "
                  "two axes, summed in dtype (an integer dtype: numpy's value without "
                  "derivative); linear: ẏ = trace(ẋ), x̄ = ȳ on the diagonal")
def trace(x, /, *, offset=0, dtype=None):
    if is_discrete_dtype(dtype, "linalg.trace"):
        return np.linalg.trace(primal_value(x), offset=offset, dtype=dtype)
    d = _linalg_diagonal(x, offset, "linalg.trace")
    return sum_(d if dtype is None else as_dtype(d, np.dtype(dtype)), axis=-1)


@defcomposite("linalg.matmul", namespace="numpy.linalg", domain=matmul_.domain, refs=_ARRAY_API,
              doc="numpy.linalg's name of matmul: Y = A @ B; Ẏ = Ȧ B + A Ḃ; Ā = Ȳ Bᵀ, "
                  "B̄ = Aᵀ Ȳ")
def matmul(x1, x2, /):
    return matmul_(x1, x2)


@defcomposite("linalg.tensordot", namespace="numpy.linalg", domain=tensordot_.domain,
              refs=_ARRAY_API,
              doc="numpy.linalg's name of tensordot (axes keyword-only): Σ over paired axes, "
                  "an einsum, bilinear")
def tensordot(x1, x2, /, *, axes=2):
    return tensordot_(x1, x2, axes=axes)


# -- linalg.matrix_norm, linalg.vector_norm -------------------------------------------------------

_MATRIX_ORDS = ("fro", "f", None, "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _inexact(x):
    """``x`` as numpy's norms take it: a non-floating array becomes float64."""
    if isinstance(x, Tracer):
        return x
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


def _is_matrix_ord(ord):
    """``ord in _MATRIX_ORDS`` for the types numpy's norms accept (no array comparisons)."""
    return (ord is None or isinstance(ord, (str, numbers.Real))) and ord in _MATRIX_ORDS


def _matrix_norm_domain(rng, dtype):
    r, sv = dom.away_from_zero, dom.separated_singular_values
    return [((r(rng, (3, 2), dtype),), {}),
            ((r(rng, (2, 3, 4), dtype),), {"ord": "fro", "keepdims": True}),
            ((r(rng, (2, 3), dtype),), {"ord": 1}),
            ((r(rng, (2, 3, 3), dtype),), {"ord": -1}),
            ((r(rng, (3, 2), dtype),), {"ord": np.inf, "keepdims": True}),
            ((r(rng, (2, 2, 3), dtype),), {"ord": -np.inf}),
            ((sv(rng, (3, 2), dtype),), {"ord": 2}),
            ((sv(rng, (2, 2, 3), dtype),), {"ord": -2}),
            ((sv(rng, (2, 3, 2), dtype),), {"ord": "nuc", "keepdims": True})]


@defcomposite("linalg.matrix_norm", namespace="numpy.linalg", domain=_matrix_norm_domain,
              refs=_ARRAY_API,
              kinks="'fro' at x = 0 has the undefined derivative x/‖x‖ (nan); ±1 and ±inf "
                    "inherit abs'(0) and max/min's tie convention; 2 is not differentiable "
                    "where the largest singular value is repeated, -2 where the smallest is, "
                    "'nuc' where a singular value repeats or is 0",
              doc="matrix_norm(x, keepdims=False, ord='fro') over the last two axes: "
                  "‖x‖_F = √Σx², ‖x‖₁ = max_j Σ_i |x_ij| (−1: min), ‖x‖_∞ = max_i Σ_j |x_ij| "
                  "(−inf: min), ‖x‖₂ = σ_max (−2: σ_min), 'nuc' Σσ, the σ from svdvals "
                  "(ṡ = diag(Uᵀ ẋ V))")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    opname = "linalg.matrix_norm"
    x = _inexact(x)
    _at_least(x, 2, opname)
    require_real(opname, x)
    if not _is_matrix_ord(ord):
        raise ValueError(f"{opname}(): ord={ord!r} is not a matrix norm order; use 'fro', "
                         f"'nuc', 1, -1, 2, -2, inf or -inf")
    if ord in ("fro", "f", None):
        value = sqrt(sum_(multiply(x, x), axis=(-2, -1)))
    elif ord in ("nuc", 2, -2):
        s = svdvals(x)  # descending
        value = sum_(s, axis=-1) if ord == "nuc" else getitem(s, (Ellipsis, 0 if ord == 2
                                                                    else -1))
    else:
        sums = sum_(abs_(x), axis=-2 if abs(ord) == 1 else -1)  # column or row sums
        value = max_(sums, axis=-1) if ord > 0 else min_(sums, axis=-1)
    return reshape(value, shape_of(x)[:-2] + (1, 1)) if keepdims else value


def _vector_norm_along(x, axis, ord):
    """numpy.linalg.norm along one axis of ``x`` (without keepdims)."""
    if ord == np.inf:
        return max_(abs_(x), axis=axis)
    if ord == -np.inf:
        return min_(abs_(x), axis=axis)
    if ord == 1:
        return sum_(abs_(x), axis=axis)
    if ord is None or ord == 2:
        return sqrt(sum_(multiply(x, x), axis=axis))
    # numpy: |x| ** ord summed, ** reciprocal(ord) in the result's dtype
    total = sum_(power(abs_(x), ord), axis=axis)
    return power(total, np.reciprocal(ord, dtype=np.result_type(primal_value(total))))


def _check_vector_ord(ord, opname):
    if ord is None or isinstance(ord, numbers.Real):
        return
    error = ValueError if isinstance(ord, str) else TypeError  # numpy's error for 'fro'
    raise error(f"{opname}(): ord={ord!r} is not a vector norm order; use a real number "
                f"(inf, -inf, 0, 1, 2 or any p)")


def _vector_norm_domain(rng, dtype):
    r = dom.away_from_zero
    return [((r(rng, (4,), dtype),), {}),
            ((r(rng, (2, 3), dtype),), {}),
            ((r(rng, (2, 3), dtype),), {"axis": 1, "ord": 1}),
            ((r(rng, (2, 3, 4), dtype),), {"axis": (2, 0), "keepdims": True}),
            ((r(rng, (2, 3), dtype),), {"axis": -1, "ord": np.inf, "keepdims": True}),
            ((r(rng, (3,), dtype),), {"ord": -np.inf}),
            ((r(rng, (2, 3), dtype),), {"ord": 3}),
            ((r(rng, (3, 2), dtype),), {"axis": 0, "ord": -1}),
            ((r(rng, (4,), dtype),), {"ord": 0.5}),
            ((r(rng, (), dtype),), {"keepdims": True})]


@defcomposite("linalg.vector_norm", namespace="numpy.linalg", domain=_vector_norm_domain,
              refs=_ARRAY_API,
              kinks="ord=2 at x = 0 has the undefined derivative x/‖x‖ (nan); ord=1, ±inf "
                    "and other p inherit abs'(0) = 0 and max/min's tie convention; ord=0 (the "
                    "number of nonzero entries) is piecewise constant: a value without "
                    "derivative",
              doc="vector_norm(x, axis=None, keepdims=False, ord=2): (Σ|x|^p)^(1/p) over axis "
                  "(None: all of x flattened, any dimension; a tuple: those axes merged), "
                  "ord=inf max|x|, −inf min|x|, 0 the count of nonzeros (no derivative); "
                  "ẏ = Σ |x|^(p−1) sign(x) ẋ / y^(p−1)")
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    opname = "linalg.vector_norm"
    _check_vector_ord(ord, opname)
    if ord == 0:
        return np.linalg.vector_norm(primal_value(x), axis=axis, keepdims=keepdims, ord=0)
    x = _inexact(x)
    require_real(opname, x)
    shape = shape_of(x)
    if axis is None:
        reduced = tuple(range(len(shape)))
        value = _vector_norm_along(reshape(x, (-1,)), 0, ord)
    elif isinstance(axis, tuple):
        reduced = normalize_axes(axis, len(shape), opname)
        rest = tuple(a for a in range(len(shape)) if a not in reduced)
        merged = reshape(transpose(x, tuple(a % len(shape) for a in axis) + rest),
                         (-1,) + tuple(shape[a] for a in rest))
        value = _vector_norm_along(merged, 0, ord)
    else:
        reduced = (_axis(axis, len(shape), opname),)
        value = _vector_norm_along(x, reduced[0], ord)
    if keepdims:
        value = reshape(value, tuple(1 if a in reduced else n for a, n in enumerate(shape)))
    return value
