"""Shared test configuration: seeds, hypothesis profiles and the JAX peer fixture.

Every random input in the test suite comes from a seeded generator, so a failure reproduces
exactly. Hypothesis runs the ``"ci"`` profile (fewer examples, derandomized, no deadline) when
the environment variable ``CI`` is ``true`` (as set by CI services), else the ``"dev"`` profile.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

SEED = 20240611

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


@pytest.fixture
def seed() -> int:
    """The suite's fixed seed."""
    return SEED


@pytest.fixture
def rng(seed) -> np.random.Generator:
    """A fresh generator with the fixed seed: each test sees the same random stream."""
    return np.random.default_rng(seed)


@pytest.fixture
def jax_x64():
    """JAX (skipped where it is not installed) in float64 for the test, as it was after."""
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", previous)
