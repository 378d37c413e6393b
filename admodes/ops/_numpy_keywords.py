"""numpy's ``dtype=``, ``out=``, ``where=`` and ``initial=`` keywords for traced arrays.

The reductions (``sum``, ``prod``, ``max``, ``min``, ``mean``, ``var``, ``std``, their ``nan``
forms) and scans (``cumsum``, ``cumprod``) take numpy's full signatures. On plain arrays they
are numpy's functions, keywords and all. On traced arrays:

``dtype``
    a floating dtype is a differentiable cast before the reduction (numpy accumulates in
    ``dtype``; the cotangent is cast back). An integer or bool dtype makes the result
    piecewise constant in the input: it is numpy's value as a plain array, without
    derivative (zero almost everywhere, as JAX's ``float0`` cotangent of a cast to an integer
    dtype), the same rule as ``astype``; a complex dtype is a TypeError.
``where``
    a boolean mask broadcast to the input's shape: the entries where it is False are left
    out (replaced by the reduction's identity, or by ``initial``); their derivative is 0.
``initial``
    the starting value of the reduction, differentiable (it may be traced).
``out``
    in-place output: refused on traced arrays (in-place writes are not differentiable).
"""

from __future__ import annotations

import numpy as np

from admodes.tracing import Tracer, shape_of

__all__ = ["UNSET", "given", "is_discrete_dtype", "mask_for", "reject_out", "traced"]


class _Unset:
    """numpy's "argument not given" (``np._NoValue``), distinct from any value a user passes."""

    def __repr__(self):
        return "<not given>"


UNSET = _Unset()


def given(**keywords) -> dict:
    """The keywords that were passed (not :data:`UNSET`), to call numpy's function with."""
    return {k: v for k, v in keywords.items() if v is not UNSET}


def traced(*values) -> bool:
    return any(isinstance(v, Tracer) for v in values)


def is_discrete_dtype(dtype, opname) -> bool:
    """True for an integer or bool target dtype (a result without derivative), False for None
    or a floating one; a complex dtype is a TypeError."""
    if dtype is None:
        return False
    kind = np.dtype(dtype).kind
    if kind == "c":
        raise TypeError(f"{opname}(): dtype={np.dtype(dtype)} is complex; admodes "
                        f"differentiates real-valued functions only (use a floating dtype)")
    return kind in "biu"


def reject_out(out, opname):
    if out is not None:
        raise TypeError(f"{opname}(): out= writes into an array in place, which is not "
                        f"differentiable; use the returned value instead")


def mask_for(where, x, opname):
    """``where`` as a boolean array of ``x``'s shape, or None for ``where=True`` (no mask)."""
    if where is True or where is UNSET:
        return None
    if isinstance(where, Tracer):
        raise TypeError(f"{opname}(): where= must be a boolean mask, got a traced array of "
                        f"dtype {where.dtype}")
    mask = np.asarray(where)
    if mask.dtype != bool:
        raise TypeError(f"{opname}(): where= must be a boolean mask, got dtype {mask.dtype}")
    shape = shape_of(x)
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(f"{opname}(): where= of shape {mask.shape} does not broadcast to the "
                         f"input's shape {shape}") from None
