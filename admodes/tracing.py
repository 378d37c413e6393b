"""What both engines share: the level stack, ``bind`` and the tracer base class.

Every transform (``jvp``, ``vjp``, ``grad``, ...) opens a :class:`Trace` with its own level.
``bind(op, args, static)`` sends an op to the highest-level trace among its arguments' tracers;
tracers of lower levels are plain constants to it. With no tracer among the arguments the op's
numpy ``impl`` runs directly (the fast path). This is what keeps nested transforms free of
perturbation confusion: d/dx [x · d/dy (x + y)] = 1 because the inner level sees ``x`` as a
constant.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
from typing import ClassVar

import numpy as np

__all__ = [
    "PAUSED",
    "ShapeDtype",
    "Trace",
    "Tracer",
    "bind",
    "ndim_of",
    "paused",
    "paused_traces",
    "primal_value",
    "shape_of",
    "size_of",
]

_stack: list = []
_paused: list = []  # the trace lists of the enclosing paused() blocks


class _Paused:
    """``Trace.active`` of a paused trace: false, so the engines' fast paths leave its ops to
    :func:`bind`, which evaluates them on the values under its tracers."""

    __slots__ = ()

    def __bool__(self):
        return False

    def __repr__(self):
        return "PAUSED"


PAUSED = _Paused()


class Trace:
    """One activation of a transform. Subclasses implement ``process(op, args, static)``."""

    __slots__ = ("active", "level")

    def __enter__(self):
        self.level = _stack[-1].level + 1 if _stack else 1
        self.active = True
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.remove(self)
        self.active = False
        return False

    def process(self, op, args, static):  # pragma: no cover - abstract
        raise NotImplementedError


def bind(op, args, static):
    """Evaluate ``op`` on ``args``: through the top-level trace, or ``op.impl`` if untraced."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is None:
        return op.impl(*args, **static)
    if not top.active:
        if top.active is PAUSED:  # its tracers stand for their values (see paused())
            return bind(op, [a._primal if isinstance(a, Tracer) and a._trace is top else a
                             for a in args], static)
        raise RuntimeError(
            f"{op.name}() got a traced array from a transform that has already returned "
            f"(a leaked tracer, e.g. stored in a global or a closure inside the function being "
            f"differentiated). Return it from the function instead.")
    return top.process(op, args, static)


@contextlib.contextmanager
def paused(traces):
    """Within the block, ops on tracers of ``traces`` compute with the values under them
    and record nothing: the traces see none of it (as if every tracer of theirs were passed
    through ``stop_gradient``), while the other traces go on differentiating.

    Implicit differentiation (:mod:`admodes.implicit`) solves its equations so, with whatever
    the user's functions close over, and gives those traces the derivative by the implicit
    function theorem instead. A trace that has already returned may be paused too (its
    tracers, kept in a closure, are values again inside the block).
    """
    before = [(trace, trace.active) for trace in traces]
    for trace, _ in before:
        trace.active = PAUSED
    _paused.append(traces)
    try:
        yield
    finally:
        _paused.pop()
        for trace, active in before:
            trace.active = active


def paused_traces() -> list:
    """The traces paused now (by every enclosing :func:`paused`; also ones that returned)."""
    return list(dict.fromkeys(trace for traces in _paused for trace in traces))


def primal_value(x):
    """The plain numpy value under any number of tracer levels."""
    while isinstance(x, Tracer):
        x = x._primal
    return x


def shape_of(x) -> tuple:
    """Shape of an array, tracer, placeholder or Python number (without numpy dispatch)."""
    try:
        return x.shape
    except AttributeError:
        return np.shape(x)


def ndim_of(x) -> int:
    return len(shape_of(x))


def size_of(x) -> int:
    return int(math.prod(shape_of(x)))


class ShapeDtype:
    """Stands in for an array the reverse engine did not keep: only shape and dtype."""

    __slots__ = ("dtype", "shape")

    def __init__(self, x):
        self.shape = x.shape
        self.dtype = x.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(math.prod(self.shape))

    def __repr__(self):
        return f"ShapeDtype(shape={self.shape}, dtype={self.dtype})"


# Functions whose result does not depend differentiably on the values (booleans, integers,
# piecewise constants, shapes): they act on the plain values and return plain arrays.
_VALUE_UFUNCS = frozenset({
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "isfinite", "isinf", "isnan", "signbit", "logical_and", "logical_or", "logical_not",
    "logical_xor", "floor", "ceil", "rint", "trunc", "floor_divide", "spacing", "gcd", "lcm",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
    "bitwise_count",
})
_UFUNC_ALIASES = {"absolute": "abs", "true_divide": "divide"}
_VALUE_FUNCTIONS = frozenset({
    "shape", "ndim", "size", "iscomplexobj", "isrealobj", "zeros_like", "ones_like",
    "empty_like", "full_like", "argmax", "argmin", "argsort", "nonzero", "count_nonzero",
    "isclose", "allclose", "array_equal", "round", "around", "result_type", "all", "any",
    "isreal", "iscomplex", "array_equiv", "argwhere", "flatnonzero", "searchsorted",
    "digitize", "isin", "nanargmax", "nanargmin", "argpartition", "lexsort", "fix", "angle",
    "unravel_index", "ravel_multi_index", "matrix_rank", "tril_indices_from",
    "triu_indices_from", "diag_indices_from", "isposinf", "isneginf", "packbits", "unpackbits",
})


@functools.cache
def _scipy_special_ufuncs() -> dict:
    """scipy.special's ufuncs with an admodes entry (``scipy.special.erf`` -> ``special.erf``),
    by identity: ``scipy.special.erf(x)`` on a traced ``x`` is admodes' erf. Read once, after
    the registry is filled (the first traced ufunc call)."""
    import scipy.special

    table = {}
    for entry in Tracer._ops.values():
        if entry.namespace == "scipy.special":
            function = getattr(scipy.special, entry.short_name, None)
            if isinstance(function, np.ufunc):
                table[function] = entry
    return table


def _ufunc_module(ufunc) -> str:
    """Where a ufunc that is not numpy's comes from, for messages: scipy.special's by name."""
    import scipy.special

    return "scipy.special" if getattr(scipy.special, ufunc.__name__, None) is ufunc else "numpy"


def _plain(x):
    """``x`` with its tracers, also those inside (nested) lists, tuples and dicts (keyword
    arguments), replaced by their plain values (``lexsort((a, b))``,
    ``ravel_multi_index((i, j), dims)``)."""
    if isinstance(x, Tracer):
        return primal_value(x)
    if isinstance(x, (list, tuple)):
        plain = [_plain(item) for item in x]
        return plain if isinstance(x, list) else tuple(plain)
    if isinstance(x, dict):
        return {key: _plain(value) for key, value in x.items()}
    return x


@functools.cache
def _out_position(func):
    """Position of ``func``'s ``out`` parameter, or None (no such parameter, or no signature)."""
    try:
        names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
    return names.index("out") if "out" in names else None


def _immutable_error(what):
    return TypeError(f"{what}: traced arrays are immutable (numpy would write into the value "
                     f"under the tracer); use the returned array instead")


def _on_values(func, args, kwargs):
    """``func`` on the plain values of its arguments; a traced ``out`` is refused."""
    position = _out_position(func)
    out = kwargs.get("out", args[position] if position is not None and position < len(args)
                     else None)
    if isinstance(out, Tracer):
        raise _immutable_error(f"numpy.{func.__name__} with a traced out")
    return func(*_plain(args), **_plain(kwargs))


def _public_module(module):
    """The public numpy module of a function's ``__module__``: its parts before the first
    private one (``numpy._core.fromnumeric`` -> ``numpy``, ``numpy.fft`` stays), and
    ``numpy`` for the private implementation modules under ``numpy.lib``."""
    parts = []
    for part in (module or "numpy").split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    public = ".".join(parts)
    return "numpy" if public == "numpy.lib" else public


def _drop_error(what):
    return TypeError(
        f"{what} on a traced array would drop its derivative. Use the admodes.numpy "
        f"function instead (import admodes.numpy as anp), or call admodes.primal_value(x) "
        f"if you really want the value without its derivative.")


class Tracer:
    """Base of the engines' tracers: numpy-like behaviour mapped onto registry ops.

    ``_ops`` is the registry's table (set by :mod:`admodes.registry`); ``_primal`` is the value
    one level down, which may itself be a tracer of an outer transform.
    """

    __slots__ = ("_primal", "_trace")
    __array_priority__ = 1000
    _ops: ClassVar[dict] = {}

    # -- array attributes -------------------------------------------------------------------
    @property
    def shape(self):
        return shape_of(self._primal)

    @property
    def ndim(self):
        return len(shape_of(self._primal))

    @property
    def size(self):
        return size_of(self._primal)

    @property
    def dtype(self):
        return np.result_type(primal_value(self))

    @property
    def T(self):
        return self._ops["transpose"](self)

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d traced array")
        return shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(primal_value(self))

    def __float__(self):
        raise _drop_error("float()")

    def __int__(self):
        raise _drop_error("int()")

    def __complex__(self):
        raise _drop_error("complex()")

    def __index__(self):
        raise _drop_error("using it as an index")

    def __array__(self, dtype=None, copy=None):
        raise _drop_error("Converting to a numpy array (np.asarray, np.array)")

    # -- arithmetic -------------------------------------------------------------------------
    def __add__(self, other): return self._ops["add"](self, other)
    def __radd__(self, other): return self._ops["add"](other, self)
    def __sub__(self, other): return self._ops["subtract"](self, other)
    def __rsub__(self, other): return self._ops["subtract"](other, self)
    def __mul__(self, other): return self._ops["multiply"](self, other)
    def __rmul__(self, other): return self._ops["multiply"](other, self)
    def __truediv__(self, other): return self._ops["divide"](self, other)
    def __rtruediv__(self, other): return self._ops["divide"](other, self)
    def __pow__(self, other): return self._ops["power"](self, other)
    def __rpow__(self, other): return self._ops["power"](other, self)
    def __mod__(self, other): return self._ops["remainder"](self, other)
    def __rmod__(self, other): return self._ops["remainder"](other, self)
    def __matmul__(self, other): return self._ops["matmul"](self, other)
    def __rmatmul__(self, other): return self._ops["matmul"](other, self)
    def __neg__(self): return self._ops["negative"](self)
    def __pos__(self): return self
    def __abs__(self): return self._ops["abs"](self)

    # Comparisons are piecewise constant: they act on values and return plain boolean arrays.
    def __lt__(self, other): return np.less(primal_value(self), primal_value(other))
    def __le__(self, other): return np.less_equal(primal_value(self), primal_value(other))
    def __gt__(self, other): return np.greater(primal_value(self), primal_value(other))
    def __ge__(self, other): return np.greater_equal(primal_value(self), primal_value(other))
    def __eq__(self, other): return np.equal(primal_value(self), primal_value(other))
    def __ne__(self, other): return np.not_equal(primal_value(self), primal_value(other))
    __hash__ = None

    # x // y is numpy's floor_divide, piecewise constant like floor: a plain array of values;
    # divmod(x, y) pairs it with x % y, numpy's divmod.
    def __floordiv__(self, other): return np.floor_divide(primal_value(self), primal_value(other))
    def __rfloordiv__(self, other): return np.floor_divide(primal_value(other), primal_value(self))
    def __divmod__(self, other): return self._ops["divmod"](self, other)
    def __rdivmod__(self, other): return self._ops["divmod"](other, self)

    def __setitem__(self, index, value):
        raise TypeError("in-place assignment to a traced array is not differentiable; use "
                        "x.at[index].set(value) (a new array, as in JAX), or build the array "
                        "with anp.where, anp.concatenate/anp.stack or anp.array([...])")

    def __getitem__(self, index):
        return self._ops["getitem"].fun(self, index)

    @property
    def at(self):
        """JAX's functional index updates, ``x.at[index].set(v)``, ``.add(v)``, ``.multiply``,
        ``.divide``, ``.power``, ``.min``, ``.max``, ``.apply(f)``, ``.get()``: new arrays
        (:mod:`admodes.ops.index_update`)."""
        from admodes.ops.index_update import IndexUpdateHelper  # ops import this module
        return IndexUpdateHelper(self)

    # -- array methods ----------------------------------------------------------------------
    def reshape(self, *shape, order="C"):
        if order != "C":
            raise ValueError(f"reshape of a traced array supports order='C' only, got {order!r}")
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        for d in shape:
            if isinstance(d, Tracer):
                raise self._ops["reshape"]._traced_static("shape")
        # straight to bind: the method's shape is always the static argument (no binding)
        return bind(self._ops["reshape"], (self,), {"shape": shape})

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._ops["transpose"](self, axes or None)

    def ravel(self):
        return self._ops["reshape"](self, (-1,))

    flatten = ravel

    # The reductions take numpy's full method signatures (dtype=, out=, keepdims=, initial=,
    # where=, ddof=, ...); axis goes first and positionally, which keeps the ops' fast path.
    def sum(self, axis=None, *args, **kwargs):
        return self._ops["sum"](self, axis, *args, **kwargs)

    def mean(self, axis=None, *args, **kwargs):
        return self._ops["mean"](self, axis, *args, **kwargs)

    def prod(self, axis=None, *args, **kwargs):
        return self._ops["prod"](self, axis, *args, **kwargs)

    def max(self, axis=None, *args, **kwargs):
        return self._ops["max"](self, axis, *args, **kwargs)

    def min(self, axis=None, *args, **kwargs):
        return self._ops["min"](self, axis, *args, **kwargs)

    def var(self, axis=None, *args, **kwargs):
        return self._ops["var"](self, axis, *args, **kwargs)

    def std(self, axis=None, *args, **kwargs):
        return self._ops["std"](self, axis, *args, **kwargs)

    def cumsum(self, axis=None, *args, **kwargs):
        return self._ops["cumsum"](self, axis, *args, **kwargs)

    def dot(self, other):
        return self._ops["dot"](self, other)

    def squeeze(self, axis=None):
        return self._ops["squeeze"](self, axis=axis)

    def clip(self, min=None, max=None):
        return self._ops["clip"](self, min, max)

    def astype(self, dtype, copy=True):
        return self._ops["astype"](self, dtype, copy=copy)

    def cumprod(self, axis=None, *args, **kwargs):
        return self._ops["cumprod"](self, axis, *args, **kwargs)

    def swapaxes(self, axis1, axis2):
        return self._ops["swapaxes"](self, axis1, axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return self._ops["diagonal"](self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return self._ops["trace"](self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return self._ops["repeat"](self, repeats, axis=axis)

    def take(self, indices, axis=None):
        return self._ops["take"](self, indices, axis=axis)

    def copy(self):
        return self._ops["copy"](self)

    def conj(self):
        return self._ops["conj"](self)

    conjugate = conj

    @property
    def real(self):
        return self._ops["real"](self)

    @property
    def imag(self):
        return self._ops["imag"](self)

    @property
    def mT(self):
        return self._ops["matrix_transpose"](self)

    # methods with integer or boolean results: numpy's on the value (no derivative)
    def argmax(self, axis=None, keepdims=False):
        return np.argmax(primal_value(self), axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return np.argmin(primal_value(self), axis=axis, keepdims=keepdims)

    def argsort(self, axis=-1, kind=None, stable=None):
        return np.argsort(primal_value(self), axis=axis, kind=kind, stable=stable)

    def nonzero(self):
        return np.nonzero(primal_value(self))

    def any(self, *args, **kwargs):
        return np.any(primal_value(self), *args, **kwargs)

    def all(self, *args, **kwargs):
        return np.all(primal_value(self), *args, **kwargs)

    def round(self, decimals=0):
        """numpy's rounding of the value: piecewise constant, as ``admodes.numpy.round``."""
        return np.round(primal_value(self), decimals)

    def sort(self, axis=-1, kind=None, order=None):
        raise TypeError("x.sort() sorts in place, which a traced array cannot do; use "
                        "anp.sort(x) (differentiable) instead")

    def item(self, *args):
        raise _drop_error("item()")

    def tolist(self):
        raise _drop_error("tolist()")

    # -- plain numpy functions called on tracers --------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if name in _VALUE_UFUNCS:
            if any(isinstance(o, Tracer) for o in kwargs.get("out", ())):
                raise _immutable_error(f"numpy.{name} with a traced out")
            if method == "at" and isinstance(inputs[0], Tracer):
                raise _immutable_error(f"numpy.{name}.at on a traced array")
            return getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))
        scipy_entry = _scipy_special_ufuncs().get(ufunc)
        if method == "__call__" and not kwargs:
            entry = self._ops.get(_UFUNC_ALIASES.get(name, name))
            if entry is not None and entry.namespace == "numpy":
                return entry(*inputs)
            if scipy_entry is not None:
                return scipy_entry(*inputs)
        module = "numpy" if getattr(np, name, None) is ufunc else _ufunc_module(ufunc)
        raise TypeError(
            f"{module}.{name}{'' if method == '__call__' else '.' + method}"
            f"{' with ' + ', '.join(kwargs) if kwargs else ''} has no differentiation rule in "
            f"admodes; calling it on a traced array would drop the derivative. "
            f"Supported functions are listed in admodes.numpy.__all__ and "
            f"admodes.scipy.special.__all__.")

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in _VALUE_FUNCTIONS:
            return _on_values(func, args, kwargs)
        namespace = _public_module(func.__module__)
        name = func.__name__
        entry = self._ops.get(name if namespace == "numpy" else
                              f"{namespace.removeprefix('numpy.')}.{name}")
        if entry is not None and entry.namespace == namespace:
            return entry(*args, **kwargs)
        raise TypeError(
            f"{namespace}.{name} has no differentiation rule in admodes; calling it on a "
            f"traced array would drop the derivative. Supported functions are listed in "
            f"admodes.numpy.__all__ and admodes.numpy.linalg.__all__.")

    def __repr__(self):
        return f"{type(self).__name__}(level={self._trace.level}, value={primal_value(self)!r})"
