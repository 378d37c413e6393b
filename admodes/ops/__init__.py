"""Op definitions by family. Importing this package registers every op, in a fixed order;
it is the only place registration is triggered."""

from admodes.ops import einsum, elementwise, indexing, linalg, nn, pooling, reductions, shape  # noqa: F401
from admodes.plain import specialize_registry

specialize_registry()
