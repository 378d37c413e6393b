"""numpy's functional programming helpers: apply_along_axis, apply_over_axes and vectorize.

Each calls the user's Python function on slices of traced arrays and assembles the results
with registry ops (stack, reshape, transpose), so derivatives go through the function itself,
in both modes and to any order. As numpy's, they are loops: one call per 1-d slice
(apply_along_axis) or per element, or per core block with a ``signature`` (vectorize).
"""

from __future__ import annotations

import math
import re

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import as_array, normalize_axes
from admodes.ops.elementwise import as_dtype
from admodes.ops.shape import broadcast_to, moveaxis, reshape, stack, transpose
from admodes.registry import defcomposite
from admodes.tracing import ndim_of, primal_value, shape_of

__all__ = ["apply_along_axis", "apply_over_axes", "vectorize"]


def _apply_along_axis_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((lambda v: (v * v).sum(), 1, r(2, 3)), {}),
            ((lambda v: v * v[::-1], 0, r(3, 2)), {}),
            ((lambda v, c: v[:2] * c, -1, r(2, 2, 3), 1.5), {}),
            ((lambda v: v[:, None] * v, 1, r(2, 3)), {})]


@defcomposite("apply_along_axis", domain=_apply_along_axis_domain,
              doc="apply_along_axis(func1d, axis, arr, *args, **kwargs): func1d on every 1-d "
                  "slice of arr along axis, the results' axes in place of axis (numpy's "
                  "layout); derivatives through func1d, one call per slice")
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = as_array(arr)
    axis = normalize_axes(axis, ndim_of(arr), "apply_along_axis")[0]
    moved = moveaxis(arr, axis, -1)
    loop = shape_of(moved)[:-1]
    if math.prod(loop) == 0:
        raise ValueError("apply_along_axis(): cannot apply along an axis when any other "
                         "dimension is 0 (numpy's rule)")
    results = [as_array(func1d(moved[index], *args, **kwargs)) for index in np.ndindex(loop)]
    core = shape_of(results[0])
    out = reshape(stack(results), loop + core)
    loop_axes, core_axes = list(range(len(loop))), list(range(len(loop), len(loop) + len(core)))
    return transpose(out, tuple(loop_axes[:axis] + core_axes + loop_axes[axis:]))


def _apply_over_axes_domain(rng, dtype):
    return [((lambda a, axis: a.sum(axis), dom.real(rng, (2, 3, 4), dtype), (0, 2)), {}),
            ((lambda a, axis: (a * 2.0).max(axis, keepdims=True), dom.distinct(rng, (2, 3), dtype),
              1), {})]


@defcomposite("apply_over_axes", domain=_apply_over_axes_domain,
              doc="apply_over_axes(func, a, axes): a = func(a, axis) for each axis in turn, an "
                  "axis the result lost put back as size 1 (numpy's); derivatives through func")
def apply_over_axes(func, a, axes):
    val = as_array(a)
    ndim = ndim_of(val)
    for axis in np.atleast_1d(axes):
        axis = normalize_axes(int(axis), ndim, "apply_over_axes")[0]
        res = as_array(func(val, axis))
        if ndim_of(res) == ndim:
            val = res
        elif ndim_of(res) == ndim - 1:
            val = reshape(res, shape_of(res)[:axis] + (1,) + shape_of(res)[axis:])
        else:
            raise ValueError("apply_over_axes(): function is not returning an array of the "
                             "correct shape")
    return val


# -- vectorize ------------------------------------------------------------------------------

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^\s*({_DIMS}(?:,\s*{_DIMS})*)\s*->\s*({_DIMS}(?:,\s*{_DIMS})*)\s*$")


def _parse_signature(signature):
    """numpy's generalized-ufunc signature ``'(m,n),(n)->(m)'``: core dimension names of each
    input and output."""
    match = _SIGNATURE.match(signature)
    if match is None:
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    return tuple(tuple(tuple(re.findall(r"\w+", group)) for group in re.findall(_DIMS, part))
                 for part in match.groups())


class vectorize:
    """numpy's ``vectorize`` for functions of traced arrays: ``pyfunc`` called on each element
    (or, with ``signature``, on each core block) of the broadcast arguments, the results
    stacked with registry ops, so derivatives go through ``pyfunc``.

    Parameters as numpy's: ``otypes`` (a list of dtypes or a typecode string: a floating one
    casts, an integer one gives numpy's value without derivative), ``excluded`` (positions or
    keyword names passed whole), ``signature`` (``'(n),(n)->()'``); ``doc`` and ``cache`` as
    numpy's. One call of ``pyfunc`` per element or block, as numpy's.

    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> step = anp.vectorize(lambda x: x * x if x > 0 else -x)
    >>> ad.grad(lambda x: anp.sum(step(x)))(np.array([-1.0, 2.0]))
    array([-1.,  4.])
    """

    def __init__(self, pyfunc=None, otypes=None, doc=None, excluded=None, cache=False,
                 signature=None):
        if pyfunc is not None and not callable(pyfunc):
            raise TypeError(f"vectorize: pyfunc must be callable, got {type(pyfunc).__name__}")
        self.pyfunc = pyfunc
        self.otypes = None if otypes is None else [np.dtype(t) for t in otypes]
        self.excluded = set() if excluded is None else set(excluded)
        self.cache = cache
        self.signature = signature
        self._core = None if signature is None else _parse_signature(signature)
        self.__doc__ = doc if doc is not None else getattr(pyfunc, "__doc__", None)

    def __call__(self, *args, **kwargs):
        if self.pyfunc is None:  # @vectorize(otypes=...) as a decorator
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError("vectorize: used as a decorator, it takes the function alone")
            return vectorize(args[0], self.otypes, self.__doc__, self.excluded, self.cache,
                             self.signature)
        mapped = [i for i in range(len(args)) if i not in self.excluded]
        mapped_keys = [k for k in kwargs if k not in self.excluded]
        arrays = [as_array(args[i]) for i in mapped] + [as_array(kwargs[k]) for k in mapped_keys]
        cores = self._input_cores(arrays)
        loop = np.broadcast_shapes(*(shape_of(a)[:ndim_of(a) - len(c)]
                                     for a, c in zip(arrays, cores)))
        arrays = [broadcast_to(a, loop + shape_of(a)[ndim_of(a) - len(c):])
                  if shape_of(a)[:ndim_of(a) - len(c)] != loop else a
                  for a, c in zip(arrays, cores)]
        results = []
        for index in np.ndindex(loop):
            call_args, call_kwargs = list(args), dict(kwargs)
            pieces = [a[index] for a in arrays]
            for i, piece in zip(mapped, pieces):
                call_args[i] = piece
            for k, piece in zip(mapped_keys, pieces[len(mapped):]):
                call_kwargs[k] = piece
            results.append(self.pyfunc(*call_args, **call_kwargs))
        return self._assemble(results, loop)

    def _input_cores(self, arrays):
        if self._core is None:
            return [()] * len(arrays)
        cores = self._core[0]
        if len(cores) != len(arrays):
            raise TypeError(f"vectorize: the signature {self.signature!r} has {len(cores)} "
                            f"inputs, the call {len(arrays)} vectorized arguments")
        sizes = {}
        for a, core in zip(arrays, cores):
            if ndim_of(a) < len(core):
                raise ValueError(f"vectorize: an input of shape {shape_of(a)} has fewer "
                                 f"dimensions than its core dimensions {core} in "
                                 f"{self.signature!r}")
            for name, size in zip(core, shape_of(a)[ndim_of(a) - len(core):]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(f"vectorize: inconsistent size for core dimension "
                                     f"{name!r}: {sizes[name]} and {size}")
        return cores

    def _assemble(self, results, loop):
        """The per-index results stacked into the loop shape, one array per output."""
        if not results:
            raise ValueError("vectorize: cannot call the function on size-zero inputs "
                             "without otypes and a known output shape")
        several = isinstance(results[0], tuple) if self._core is None else len(
            self._core[1]) != 1
        outputs = list(zip(*results)) if several else [results]
        if self.otypes is not None and len(self.otypes) != len(outputs):
            raise ValueError(f"vectorize: {len(self.otypes)} otypes for {len(outputs)} "
                             f"outputs")
        assembled = []
        for i, column in enumerate(outputs):
            column = [as_array(v) for v in column]
            out = reshape(stack(column), loop + shape_of(column[0]))
            if self.otypes is not None:
                out = _as_otype(out, self.otypes[i])
            assembled.append(out)
        return tuple(assembled) if several else assembled[0]


def _as_otype(x, dtype):
    """An output in its otype: a floating one a differentiable cast, another one numpy's
    value (without derivative)."""
    if dtype.kind == "f":
        return as_dtype(x, dtype)
    return np.asarray(primal_value(x)).astype(dtype)
