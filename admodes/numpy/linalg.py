"""admodes.numpy.linalg: differentiable linear algebra, generated from the registry, plus
numpy's integer-valued matrix_rank (on a traced matrix, numpy's result on its value)."""

import numpy as _np

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import missing_attribute, populate

__all__: list[str] = []
__all__.extend(populate(globals(), "numpy.linalg"))

# Integer-valued: a traced argument contributes its value (numpy's function on the values).
_CONSTANTS = ["matrix_rank"]
for _name in _CONSTANTS:
    globals()[_name] = getattr(_np.linalg, _name)
__all__.extend(_CONSTANTS)


def __getattr__(attr):
    raise missing_attribute(__name__, _np.linalg, attr)
