"""The experiment catalogue: name -> module. Each module measures one claim about forward vs
reverse mode and writes a report (see ``experiments.runner``)."""

import importlib

NAMES = ("jacobian_scaling", "scalar_loss", "cheap_gradient", "tape_memory", "pooling_routing",
         "subgradients", "ode_adjoint", "ode_parameter_fit", "curve_fitting",
         "forward_gradient", "manual_backprop", "gradient_flow", "implicit_differentiation")


def load(name):
    """The experiment module called ``name``."""
    if name not in NAMES:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(NAMES)}")
    return importlib.import_module(f"experiments.{name}")


def catalogue():
    return {name: load(name) for name in NAMES}
