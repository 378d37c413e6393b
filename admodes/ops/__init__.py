"""Op definitions by family. Importing this package registers every op, in a fixed order;
it is the only place registration is triggered."""

from admodes.ops import (  # noqa: F401
    activations,
    aliases,
    arrangement,
    array_api,
    creation,
    decompositions,
    discrete,
    editing,
    einsum,
    elementwise,
    floating,
    functional,
    index_update,
    indexing,
    interpolation,
    linalg,
    nn,
    numerics,
    padding,
    polynomials,
    pooling,
    reductions,
    scipy_linalg,
    shape,
    special,
    special_bessel,
    special_integrals,
    statistics,
    tensor_linalg,
)
from admodes.plain import specialize_registry

specialize_registry()
