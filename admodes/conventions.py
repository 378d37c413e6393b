"""Conventions at nondifferentiable points (kinks), selectable by the user.

At a kink the derivative does not exist; an AD system returns one element of the
subdifferential (or a convention outside it) and should say which. admodes documents each
choice and lets experiments switch them:

``relu``
    value used for relu'(0); default ``0.0`` (as PyTorch and JAX). Any value in [0, 1] is a
    valid subgradient.
``abs``
    value used for abs'(0); default ``0.0`` (the minimum-norm subgradient, ``sign(0)``).
``ties``
    how ``max``/``min`` (reductions) and ``maximum``/``minimum`` (elementwise) share the
    derivative among tied entries: ``"split"`` (default, evenly, as JAX) or ``"first"`` (all to
    the first tied entry, as an arg-max would).

Both engines read the same conventions through the rules, so forward and reverse mode agree at
kinks. The reverse engine applies the conventions that were in force when the tape was recorded.

Example
-------
>>> import admodes as ad, admodes.nn as nn
>>> with ad.conventions.use(relu=1.0):
...     ad.grad(lambda x: nn.relu(x))(0.0)
np.float64(1.0)
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers

__all__ = ["Conventions", "current", "set_conventions", "use"]

_TIES = ("split", "first")


@dataclasses.dataclass(frozen=True)
class Conventions:
    relu: float = 0.0
    abs: float = 0.0
    ties: str = "split"

    def __post_init__(self):
        for name in ("relu", "abs"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real):
                raise TypeError(f"{name}'(0) convention must be a number, got {value!r}")
        if not 0.0 <= float(self.relu) <= 1.0:
            raise ValueError(f"relu'(0) convention must lie in [0, 1] (a subgradient), "
                             f"got {self.relu!r}")
        if not -1.0 <= float(self.abs) <= 1.0:
            raise ValueError(f"abs'(0) convention must lie in [-1, 1] (a subgradient), "
                             f"got {self.abs!r}")
        if self.ties not in _TIES:
            raise ValueError(f"ties convention must be one of {_TIES}, got {self.ties!r}")


_current = Conventions()


def _replace(base, changes):
    unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(Conventions)})
    if unknown:
        raise TypeError(f"unknown convention {unknown[0]!r}; the conventions are abs, relu, ties")
    return dataclasses.replace(base, **changes)


def current() -> Conventions:
    """The conventions in force."""
    return _current


def set_conventions(**changes) -> Conventions:
    """Change conventions globally (``relu=``, ``abs=``, ``ties=``); returns the old ones."""
    global _current
    old = _current
    _current = _replace(_current, changes)
    return old


@contextlib.contextmanager
def use(conventions: Conventions | None = None, **changes):
    """Context manager: apply ``conventions`` (or ``changes`` to the current ones) inside."""
    global _current
    old = _current
    if conventions is not None and not changes:  # a snapshot, validated when it was made
        _current = conventions
    else:
        _current = _replace(conventions or _current, changes)
    try:
        yield _current
    finally:
        _current = old
