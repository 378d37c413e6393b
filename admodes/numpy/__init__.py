"""admodes.numpy: the numpy-like namespace of differentiable functions.

Generated from the registry: every op and composite of namespace ``"numpy"`` is here, plus
creation functions, constants and numpy's value-level functions (comparisons, logic, searching,
integer-valued and piecewise-constant functions: numpy's own, which act on a traced argument's
value and carry no derivative). A numpy name without a rule raises ``AttributeError`` saying
so, rather than silently dropping derivatives.

>>> import admodes.numpy as anp
"""

import numpy as _np

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy import linalg as linalg
from admodes.numpy._namespace import array as array
from admodes.numpy._namespace import asarray as asarray
from admodes.numpy._namespace import missing_attribute, populate
from admodes.ops.concatenators import c_ as c_
from admodes.ops.concatenators import r_ as r_
from admodes.ops.functional import vectorize as vectorize
from admodes.ops.index_update import at as at
from admodes.tracing import primal_value

_DIFFERENTIABLE = populate(globals(), "numpy")

# Creation functions, constants, dtypes and piecewise-constant or integer-valued functions:
# they act on values (a traced argument contributes its value and a zero derivative). Those that keep
# values of their inputs (unique, the set functions, bincount's weights, histogram) are
# registry entries instead (admodes/ops/discrete.py).
_CONSTANTS = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "eye",
              "identity", "arange", "tri", "pi", "e", "inf",
              "nan", "newaxis", "float16", "float32", "float64", "int32", "int64", "bool_",
              "random", "shape", "ndim", "size", "allclose", "isclose", "isfinite", "isnan",
              "isinf", "floor", "ceil", "rint", "trunc", "round", "argmax", "argmin",
              "argsort", "nonzero", "count_nonzero", "empty_like", "indices", "ix_",
              "broadcast_shapes", "unravel_index", "ravel_multi_index", "tril_indices",
              "triu_indices", "diag_indices", "mask_indices", "tril_indices_from",
              "triu_indices_from", "diag_indices_from",
              # logic and comparisons
              "all", "any", "equal", "not_equal", "greater", "greater_equal", "less",
              "less_equal", "logical_and", "logical_or", "logical_not", "logical_xor",
              "signbit", "isreal", "iscomplex", "isrealobj", "iscomplexobj", "array_equal",
              "array_equiv",
              # searching and sorting: indices and booleans
              "argwhere", "flatnonzero", "searchsorted", "digitize", "isin", "nanargmax",
              "nanargmin", "argpartition", "lexsort",
              # integer-valued or piecewise constant
              "around", "fix", "floor_divide", "angle", "spacing", "gcd", "lcm", "isposinf",
              "isneginf", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
              "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift", "bitwise_count",
              "invert", "left_shift", "right_shift", "packbits", "unpackbits",
              # window functions, grids and index helpers (constants)
              "bartlett", "blackman", "hamming", "hanning", "kaiser", "mgrid", "ogrid", "s_",
              "index_exp", "euler_gamma",
              # dtypes and their helpers
              "dtype", "finfo", "iinfo", "issubdtype", "isdtype", "result_type", "promote_types",
              "can_cast", "iterable", "bool", "int8", "int16", "int_", "uint", "uint8",
              "uint16", "uint32", "uint64", "single", "double", "generic", "number", "integer",
              "signedinteger", "unsignedinteger", "inexact", "floating",
              # calls the user's function on index grids: traced values it closes over stay
              # traced
              "fromfunction"]
for _name in _CONSTANTS:
    globals()[_name] = getattr(_np, _name)


def isscalar(element):
    """numpy's ``isscalar`` of the value: a traced number is a scalar exactly where the plain
    computation's value is one (``sum`` gives a numpy scalar; a 0-d array is not one).

    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> ad.grad(lambda x: anp.sum(x ** 2) if anp.isscalar(anp.sum(x)) else 0.0)(np.ones(2))
    array([2., 2.])
    """
    return _np.isscalar(primal_value(element))


__all__ = ["array", "asarray", "at", "c_", "isscalar", "linalg", "r_", "vectorize"]
__all__.extend(_DIFFERENTIABLE)
__all__.extend(_CONSTANTS)


def __getattr__(attr):
    raise missing_attribute(__name__, _np, attr)
