"""admodes.numpy: the numpy-like namespace of differentiable functions.

Generated from the registry: every op and composite of namespace ``"numpy"`` is here, plus
creation functions and constants (plain numpy values; they carry no derivative). A numpy name
without a rule raises ``AttributeError`` saying so, rather than silently dropping derivatives.

>>> import admodes.numpy as anp
"""

import numpy as _np

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy import linalg as linalg
from admodes.numpy._namespace import array as array
from admodes.numpy._namespace import asarray as asarray
from admodes.numpy._namespace import missing_attribute, populate

_DIFFERENTIABLE = populate(globals(), "numpy")

# Creation functions, constants and piecewise-constant or integer-valued functions: they act
# on values (a traced argument contributes its value and a zero derivative).
_CONSTANTS = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "eye",
              "identity", "arange", "linspace", "logspace", "meshgrid", "tri", "pi", "e", "inf",
              "nan", "newaxis", "float16", "float32", "float64", "int32", "int64", "bool_",
              "random", "shape", "ndim", "size", "allclose", "isclose", "isfinite", "isnan",
              "isinf", "floor", "ceil", "rint", "trunc", "round", "argmax", "argmin",
              "argsort", "nonzero", "count_nonzero"]
for _name in _CONSTANTS:
    globals()[_name] = getattr(_np, _name)

__all__ = ["array", "asarray", "linalg"]
__all__.extend(_DIFFERENTIABLE)
__all__.extend(_CONSTANTS)


def __getattr__(attr):
    raise missing_attribute(__name__, _np, attr)
