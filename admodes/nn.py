"""admodes.nn: neural-network functions (sigmoid, relu, softplus, logsumexp, log_softmax, softmax,
gelu, silu/swish, elu, celu, selu, leaky_relu, relu6, hard_tanh, hard_sigmoid, hard_silu/hard_swish,
log_sigmoid, soft_sign, sparse_plus, sparse_sigmoid, mish, squareplus, glu, log1mexp, logmeanexp,
identity, tanh, standardize, max_pool1d/2d, avg_pool1d/2d), generated from the registry's
``"nn"`` namespace, and the value-level one_hot."""

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import populate
from admodes.ops.activations import one_hot

__all__: list[str] = ["one_hot"]
__all__.extend(populate(globals(), "nn"))
