"""Samplers of valid test inputs for the ``domain`` field of each op.

A domain is ``domain(rng, dtype) -> list of (args, static)``; the shape families always include
a scalar, a vector, a matrix and size-1 broadcast dimensions.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BINARY_SHAPES",
    "UNARY_SHAPES",
    "above_one",
    "away_from_zero",
    "binary",
    "distinct",
    "full_column_rank",
    "positive",
    "real",
    "separated_singular_values",
    "unary",
    "unit",
]

UNARY_SHAPES = [(), (3,), (2, 3), (1, 3)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)),
                 ((3,), (2, 1))]


def real(rng, shape, dtype):
    return rng.uniform(-2.0, 2.0, size=shape).astype(dtype)


def positive(rng, shape, dtype):
    return rng.uniform(0.5, 2.0, size=shape).astype(dtype)


def unit(rng, shape, dtype):
    return rng.uniform(-0.8, 0.8, size=shape).astype(dtype)


def above_one(rng, shape, dtype):
    return rng.uniform(1.2, 2.0, size=shape).astype(dtype)


def away_from_zero(rng, shape, dtype):
    mag = rng.uniform(0.5, 2.0, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(dtype)


def unary(sampler=real, **static):
    """Domain of a unary elementwise op over the unary shape family."""
    def domain(rng, dtype):
        return [((sampler(rng, s, dtype),), dict(static)) for s in UNARY_SHAPES]
    return domain


def binary(first=real, second=real, accept=None):
    """Domain of a binary elementwise op over the broadcasting shape family; with ``accept``,
    each pair is drawn again until ``accept(a, b)`` holds (keeping it away from the op's jumps).
    """
    def draw(rng, dtype, a, b):
        while True:
            pair = first(rng, a, dtype), second(rng, b, dtype)
            if accept is None or accept(*pair):
                return pair

    def domain(rng, dtype):
        return [(draw(rng, dtype, a, b), {}) for a, b in BINARY_SHAPES]
    return domain


def distinct(rng, shape, dtype):
    """Values in [-2, 2] that differ pairwise by at least 4/size (no ties, e.g. for max pooling,
    even after rounding to float32), in random order."""
    n = int(np.prod(shape, dtype=np.int64))
    grid = np.linspace(-2.0, 2.0, max(n, 2))[:n]
    return rng.permutation(grid).reshape(shape).astype(dtype)


def _orthonormal(rng, rows, cols):
    """A random (rows, cols) matrix with orthonormal columns (rows >= cols)."""
    return np.linalg.qr(rng.standard_normal((rows, cols)))[0]


def separated_singular_values(rng, shape, dtype):
    """Matrices (..., m, n) with random singular vectors and singular values 1, 1.75, 2.5, ...
    (distinct and away from zero: the SVD's vectors are differentiable there)."""
    *batch, m, n = shape
    k = min(m, n)
    values = 1.0 + 0.75 * np.arange(k)[::-1]
    mats = [(_orthonormal(rng, m, k) * values) @ _orthonormal(rng, n, k).T
            for _ in range(int(np.prod(batch, dtype=np.int64)))]
    return np.reshape(mats, shape).astype(dtype)


def full_column_rank(rng, shape, dtype):
    """Well-conditioned matrices (..., m, n), m >= n: 2·I (m × n) plus uniform noise in ±0.5."""
    m, n = shape[-2:]
    return (rng.uniform(-0.5, 0.5, size=shape) + 2.0 * np.eye(m, n)).astype(dtype)
