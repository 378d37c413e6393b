"""Griewank's binomial checkpointing schedule: optimal recomputation within the memory bound."""

from __future__ import annotations

from functools import cache

import pytest

from admodes.ode.checkpointing import beta, forward_steps, repetitions, revolve


@cache
def _optimal_advances(steps, checkpoints):
    """Brute-force minimum over all split points (the recursion revolve's theory solves)."""
    if steps == 1:
        return 0
    if checkpoints == 1:
        return steps * (steps - 1) // 2
    return min(m + _optimal_advances(steps - m, checkpoints - 1)
               + _optimal_advances(m, checkpoints) for m in range(1, steps))


def test_beta_is_the_binomial_coefficient():
    assert [beta(2, t) for t in range(4)] == [1, 3, 6, 10]
    assert beta(3, -1) == 0
    assert repetitions(10, 3) == 2 and repetitions(11, 3) == 3  # beta(3, 2) = 10


@pytest.mark.parametrize("checkpoints", [1, 2, 3, 5])
def test_schedule_is_optimal_and_matches_griewanks_formula(checkpoints):
    for steps in range(1, 45):
        schedule = revolve(steps, checkpoints)
        assert schedule.advances == forward_steps(steps, checkpoints) \
            == _optimal_advances(steps, checkpoints)
        assert schedule.max_stored <= checkpoints
        assert schedule.reversed_steps == list(range(steps - 1, -1, -1))


def test_limits_one_checkpoint_and_enough_checkpoints():
    assert revolve(20, 1).advances == 20 * 19 // 2
    assert revolve(20, 20).advances == 19
    assert revolve(20, 20).max_stored == 20


def test_large_schedule_stays_within_memory():
    schedule = revolve(5000, 10)
    assert schedule.max_stored == 10
    assert schedule.advances == forward_steps(5000, 10)
    assert schedule.advances < repetitions(5000, 10) * 5000


@pytest.mark.parametrize("steps, checkpoints", [(0, 2), (5, 0), (5, 1.5), (True, 2)])
def test_bad_arguments(steps, checkpoints):
    with pytest.raises(ValueError, match="positive int"):
        revolve(steps, checkpoints)
