"""admodes: forward- and reverse-mode automatic differentiation over numpy, side by side.

>>> import admodes as ad
>>> import admodes.numpy as anp
>>> ad.grad(lambda x: anp.sum(anp.tanh(x) ** 2))(anp.ones(3))
array([0.63970001, 0.63970001, 0.63970001])
"""

from admodes import conventions, cost, flatten_util, lax, nn, numpy, optim, scipy, tree
from admodes.abstract import ShapeDtypeStruct, eval_shape, linear_transpose
from admodes.api import (
    float0,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)
from admodes.batching import vmap
from admodes.checks import check_grads, numerical_jvp
from admodes.custom import checkpoint, custom_jvp, custom_vjp, remat, stop_gradient
from admodes.eager import jit
from admodes.tracing import primal_value

tree_util = tree  # jax.tree_util's module name: from admodes import tree_util

__version__ = "0.1.0"


def __getattr__(name):
    """``admodes.ode`` on first use: it imports scipy.integrate, about half of the import time
    of admodes, which programs without ODEs need not pay."""
    if name == "ode":
        import admodes.ode

        return admodes.ode
    raise AttributeError(f"module 'admodes' has no attribute {name!r}")

__all__ = [
    "ShapeDtypeStruct",
    "check_grads",
    "checkpoint",
    "conventions",
    "cost",
    "custom_jvp",
    "custom_vjp",
    "eval_shape",
    "flatten_util",
    "float0",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "nn",
    "numerical_jvp",
    "numpy",
    "ode",
    "optim",
    "primal_value",
    "remat",
    "scipy",
    "stop_gradient",
    "tree",
    "tree_util",
    "value_and_grad",
    "vjp",
    "vmap",
]
