"""admodes.nn: neural-network functions (sigmoid, relu, softplus, logsumexp, log_softmax, softmax,
max_pool1d/2d, avg_pool1d/2d), generated from the registry's ``"nn"`` namespace."""

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import populate

__all__: list[str] = []
__all__.extend(populate(globals(), "nn"))
