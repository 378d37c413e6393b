"""admodes.numpy.linalg: differentiable linear algebra, generated from the registry."""

import numpy as _np

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import missing_attribute, populate

__all__: list[str] = []
__all__.extend(populate(globals(), "numpy.linalg"))


def __getattr__(attr):
    raise missing_attribute(__name__, _np.linalg, attr)
