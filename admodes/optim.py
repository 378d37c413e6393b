"""First-order optimizers written from the papers' update rules, with an optax-like interface.

>>> import numpy as np, admodes.numpy as anp, admodes.optim as optim
>>> opt = optim.adam(learning_rate=0.1)
>>> params, losses = optim.minimize(lambda p: anp.sum((p - 3.0) ** 2), np.zeros(2), opt, 200)
>>> np.round(params, 3), float(losses[0])
(array([3., 3.]), 18.0)

An optimizer is a pair of pure functions: ``state = opt.init(params)`` and
``params, state = opt.update(grads, state, params)`` (one step; nothing is mutated). Params
and grads are pytrees (an array, or tuples/lists/dicts of arrays, see :mod:`admodes.tree`) of
the same structure and shapes; every rule below acts leafwise, with g = ∇L(θ) at the current θ,
products and powers elementwise:

``sgd``       θ ← θ − η g                                   (gradient descent)
``momentum``  v ← β v − η g;  θ ← θ + v                      (heavy ball, Polyak 1964)
              v ← β v − η g;  θ ← θ + β v − η g              (``nesterov=True``; Sutskever et
              al. 2013, eq. 3-4, rewritten for the look-ahead point θ + βv at which g is taken,
              as in Bengio, Boulanger-Lewandowski & Pascanu 2013)
``rmsprop``   r ← ρ r + (1 − ρ) g²;  θ ← θ − η g / (√r + ε)  (Tieleman & Hinton 2012)
``adam``      m ← β₁ m + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²;
              m̂ = m / (1 − β₁ᵗ);  ŝ = s / (1 − β₂ᵗ);  θ ← θ − η m̂ / (√ŝ + ε)
              (Kingma & Ba 2015, Algorithm 1, with bias correction; t = 1, 2, ... counts steps)

All accumulators (v, r, m, s) start at zero. :func:`minimize` runs ``steps`` updates with
gradients from reverse mode (``admodes.value_and_grad``) or any ``value_and_grad`` you pass
(e.g. one built on forward mode).

References: B. T. Polyak (1964), Some methods of speeding up the convergence of iteration
methods, USSR Comput. Math. Math. Phys. 4(5):1-17, doi:10.1016/0041-5553(64)90137-5;
I. Sutskever, J. Martens, G. Dahl & G. Hinton (2013), On the importance of initialization and
momentum in deep learning, ICML, PMLR 28(3):1139-1147; Y. Bengio, N. Boulanger-Lewandowski &
R. Pascanu (2013), Advances in optimizing recurrent networks, ICASSP,
doi:10.1109/ICASSP.2013.6639349; T. Tieleman & G. Hinton (2012), Lecture 6.5 - RMSProp: divide
the gradient by a running average of its recent magnitude, COURSERA: Neural Networks for Machine
Learning; D. P. Kingma & J. Ba (2015), Adam: a method for stochastic optimization, ICLR,
arXiv:1412.6980.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from admodes import api
from admodes import tree as tree_util

__all__ = ["Optimizer", "OptimizerState", "adam", "minimize", "momentum", "rmsprop", "sgd"]


@dataclasses.dataclass(frozen=True)
class OptimizerState:
    """What an optimizer carries between steps.

    ``count`` is the number of updates made so far; ``slots`` maps an accumulator's name
    (``"velocity"``, ``"mean_square"``, ``"m"``, ``"s"``) to its leaves, one array per leaf of
    the params, in :func:`admodes.tree.flatten` order; ``treedef`` is the params' structure.
    """

    count: int
    slots: dict
    treedef: tree_util.TreeDef

    def slot(self, name):
        """The accumulator ``name`` as a pytree shaped like the params."""
        return tree_util.unflatten(self.treedef, self.slots[name])


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """A named optimizer: ``init(params) -> state`` and ``update(grads, state, params)``.

    ``rule(count, grads, slots) -> (steps, slots)`` works on lists of leaves (``count`` is the
    1-based index of the update being made) and returns the increments added to the params.
    """

    name: str
    hyperparams: dict
    slot_names: tuple
    rule: Callable

    def init(self, params) -> OptimizerState:
        """The state before the first step: zero accumulators shaped like ``params``."""
        leaves, treedef = _float_leaves(params, f"{self.name}.init: params")
        slots = {name: [np.zeros_like(x) for x in leaves] for name in self.slot_names}
        return OptimizerState(0, slots, treedef)

    def update(self, grads, state, params):
        """One step: return ``(new_params, new_state)``; the inputs are not modified."""
        where = f"{self.name}.update"
        if not isinstance(state, OptimizerState) or set(state.slots) != set(self.slot_names):
            raise TypeError(f"{where}: state must be the OptimizerState returned by "
                            f"{self.name}.init or .update, got {type(state).__name__}"
                            + (f" with slots {sorted(state.slots)}"
                               if isinstance(state, OptimizerState) else ""))
        p_leaves, p_def = _float_leaves(params, f"{where}: params")
        g_leaves, g_def = _float_leaves(grads, f"{where}: grads")
        for what, treedef in (("grads", g_def), ("state", state.treedef)):
            if treedef != p_def:
                raise ValueError(f"{where}: {what} have tree structure {treedef} but params have "
                                 f"{p_def}; they must match")
        for i, (p, g) in enumerate(zip(p_leaves, g_leaves)):
            for name, leaves in state.slots.items():
                if leaves[i].shape != p.shape:
                    raise ValueError(f"{where}: state slot {name!r} leaf {i} has shape "
                                     f"{leaves[i].shape} but params leaf {i} has shape "
                                     f"{p.shape}; was the state made for other params?")
            if g.shape != p.shape:
                raise ValueError(f"{where}: grads leaf {i} has shape {g.shape} but params leaf "
                                 f"{i} has shape {p.shape}; they must match")
            if not np.all(np.isfinite(g)):
                raise ValueError(f"{where}: grads leaf {i} has non-finite entries "
                                 f"({int(np.sum(~np.isfinite(g)))} of {g.size}); the loss or its "
                                 f"gradient overflowed (try a smaller learning rate)")
        count = state.count + 1
        increments, slots = self.rule(count, g_leaves, state.slots)
        new_params = [p + d for p, d in zip(p_leaves, increments)]
        return (tree_util.unflatten(p_def, new_params),
                OptimizerState(count, slots, state.treedef))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"{self.name}({args})"


# -- validation -----------------------------------------------------------------------------------

def _float_leaves(tree, where):
    """Leaves of ``tree`` as real floating-point arrays, and its treedef."""
    leaves, treedef = tree_util.flatten(tree)
    if not leaves:
        raise ValueError(f"{where} has no array leaves (structure {treedef})")
    arrays = []
    for i, x in enumerate(leaves):
        if isinstance(x, (str, bytes)) or not isinstance(x, (np.ndarray, numbers.Real)):
            raise TypeError(f"{where} leaf {i} is a {type(x).__name__}; expected a real "
                            f"floating-point array")
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"{where} leaf {i} has dtype {x.dtype}; expected a real floating-point"
                            f" array (convert it, e.g. np.asarray(x, dtype=float))")
        arrays.append(x)
    return arrays, treedef


def _positive(name, value, fname):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{fname}: {name} must be a positive finite number, got {value!r}")
    return float(value)


def _unit_interval(name, value, fname):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{fname}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


# -- the optimizers -------------------------------------------------------------------------------

def sgd(learning_rate) -> Optimizer:
    """Gradient descent: θ ← θ − η g, with η = ``learning_rate`` > 0."""
    lr = _positive("learning_rate", learning_rate, "sgd")

    def rule(count, grads, slots):
        return [-lr * g for g in grads], slots
    return Optimizer("sgd", {"learning_rate": lr}, (), rule)


def momentum(learning_rate, beta=0.9, nesterov=False) -> Optimizer:
    """Momentum: v ← β v − η g, then θ ← θ + v (heavy ball, Polyak 1964) or, with
    ``nesterov=True``, θ ← θ + β v − η g (Nesterov's accelerated gradient in the form of
    Sutskever et al. 2013, eq. 3-4, with θ the look-ahead point; Bengio et al. 2013).

    On a quadratic with Hessian eigenvalues in [μ, L], the heavy ball with
    η = 4 / (√L + √μ)² and β = ((√κ − 1) / (√κ + 1))², κ = L/μ, converges like
    ((√κ − 1) / (√κ + 1))ᵗ, against (1 − 1/κ)ᵗ for gradient descent with η = 1/L
    (Polyak 1964).
    """
    lr = _positive("learning_rate", learning_rate, "momentum")
    beta = _unit_interval("beta", beta, "momentum")
    if not isinstance(nesterov, bool):
        raise TypeError(f"momentum: nesterov must be True or False, got {nesterov!r}")

    def rule(count, grads, slots):
        velocity = [beta * v - lr * g for v, g in zip(slots["velocity"], grads)]
        if nesterov:
            steps = [beta * v - lr * g for v, g in zip(velocity, grads)]
        else:
            steps = velocity
        return steps, {"velocity": velocity}
    return Optimizer("momentum", {"learning_rate": lr, "beta": beta, "nesterov": nesterov},
                     ("velocity",), rule)


def rmsprop(learning_rate, decay=0.9, eps=1e-8) -> Optimizer:
    """RMSProp (Tieleman & Hinton 2012): r ← ρ r + (1 − ρ) g², θ ← θ − η g / (√r + ε),
    with ρ = ``decay`` and r starting at zero."""
    lr = _positive("learning_rate", learning_rate, "rmsprop")
    decay = _unit_interval("decay", decay, "rmsprop")
    eps = _positive("eps", eps, "rmsprop")

    def rule(count, grads, slots):
        mean_square = [decay * r + (1 - decay) * g * g
                       for r, g in zip(slots["mean_square"], grads)]
        steps = [-lr * g / (np.sqrt(r) + eps) for g, r in zip(grads, mean_square)]
        return steps, {"mean_square": mean_square}
    return Optimizer("rmsprop", {"learning_rate": lr, "decay": decay, "eps": eps},
                     ("mean_square",), rule)


def adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    """Adam (Kingma & Ba 2015, Algorithm 1): moving averages m of g and s of g², divided by
    (1 − βᵗ) to remove their bias towards the zero start, then θ ← θ − η m̂ / (√ŝ + ε)."""
    lr = _positive("learning_rate", learning_rate, "adam")
    b1 = _unit_interval("b1", b1, "adam")
    b2 = _unit_interval("b2", b2, "adam")
    eps = _positive("eps", eps, "adam")

    def rule(count, grads, slots):
        m = [b1 * m + (1 - b1) * g for m, g in zip(slots["m"], grads)]
        s = [b2 * s + (1 - b2) * g * g for s, g in zip(slots["s"], grads)]
        c1, c2 = 1 - b1 ** count, 1 - b2 ** count
        steps = [-lr * (mi / c1) / (np.sqrt(si / c2) + eps) for mi, si in zip(m, s)]
        return steps, {"m": m, "s": s}
    return Optimizer("adam", {"learning_rate": lr, "b1": b1, "b2": b2, "eps": eps},
                     ("m", "s"), rule)


# -- the loop -------------------------------------------------------------------------------------

def minimize(fun, params, opt, steps, *, value_and_grad=None, callback=None, progress=False):
    """Run ``steps`` updates of ``opt`` on the scalar loss ``fun(params)``.

    Parameters
    ----------
    fun : callable
        ``fun(params) -> scalar`` loss, written with ``admodes.numpy``.
    params : pytree of float arrays
        The starting point.
    opt : Optimizer
        From :func:`sgd`, :func:`momentum`, :func:`rmsprop` or :func:`adam`.
    steps : int
        Number of updates (≥ 0).
    value_and_grad : callable, optional
        ``value_and_grad(params) -> (loss, grads)``; default ``admodes.value_and_grad(fun)``
        (reverse mode). Pass one built on forward mode to train with it instead.
    callback : callable, optional
        ``callback(step, params, loss)`` after each evaluation, before the update, with the
        params at which ``loss`` was evaluated; if it returns True the loop stops there and
        those params are returned (early stopping).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    (params, losses): the params after the last update and a float array of the loss at each
    step, evaluated before that step's update.
    """
    if not callable(fun):
        raise TypeError(f"minimize: fun must be callable, got {type(fun).__name__}")
    if not isinstance(opt, Optimizer):
        raise TypeError(f"minimize: opt must be an Optimizer (e.g. admodes.optim.adam(1e-3)), "
                        f"got {type(opt).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"minimize: steps must be a non-negative int, got {steps!r}")
    for name, value in (("value_and_grad", value_and_grad), ("callback", callback)):
        if value is not None and not callable(value):
            raise TypeError(f"minimize: {name} must be callable or None, got "
                            f"{type(value).__name__}")
    if value_and_grad is None:
        value_and_grad = api.value_and_grad(fun)
    state = opt.init(params)
    losses = np.empty(int(steps))
    bar = tqdm(range(int(steps)), desc=f"minimize ({opt.name})", disable=not progress,
               leave=False)
    for step in bar:
        loss, grads = value_and_grad(params)
        loss = float(np.asarray(loss))
        if not math.isfinite(loss):
            raise ValueError(f"minimize: the loss is {loss} at step {step} ({opt!r}); the "
                             f"iteration diverged (try a smaller learning rate)")
        losses[step] = loss
        if callback is not None and callback(step, params, loss) is True:
            bar.close()
            return params, losses[:step + 1]
        params, state = opt.update(grads, state, params)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
    bar.close()
    return params, losses
