"""Binomial checkpointing (Griewank's "revolve"): reverse l steps with at most c stored states.

Reversing a chain y_{i+1} = Φ_i(y_i), i = 0..l−1, needs the states in reverse order. Storing all
of them costs l states; with c checkpoints (the one holding y_0 included) the states are
recomputed from the nearest checkpoint instead. Griewank (1992) showed that with c checkpoints
and at most t forward evaluations of each step one can reverse at most

    β(c, t) = (c + t)! / (c! t!)

steps, and that the minimal number of forward steps ("advances", not counting the step
evaluated during its own reversal) for l steps is

    F(l, c) = t·l − β(c + 1, t − 1),   t the least integer with β(c, t) ≥ l,

attained by splitting the chain recursively: advance m steps, store, reverse the right part
with c − 1 checkpoints, then the left part with c. Here m = min(β(c, t−1), l − β(c−1, t−1)),
which keeps every part in the regime of the same repetition number (F is convex and piecewise
linear in l with slope t on (β(c, t−1), β(c, t)], so the split balances the slopes of both
parts). With c = 1 the schedule advances from y_0 every time: F = l(l − 1)/2; with c ≥ l it
stores everything: F = l − 1.

References: A. Griewank (1992), Achieving logarithmic growth of temporal and spatial complexity
in reverse automatic differentiation, Optim. Methods Softw. 1(1), 35-54,
doi:10.1080/10556789208805505; A. Griewank & A. Walther (2000), Algorithm 799: revolve, ACM
Trans. Math. Softw. 26(1), 19-45, doi:10.1145/347837.347846.
"""

from __future__ import annotations

import dataclasses
from math import comb

__all__ = ["Schedule", "beta", "forward_steps", "repetitions", "revolve"]


def beta(c: int, t: int) -> int:
    """β(c, t) = C(c + t, c), the most steps c checkpoints reverse with t repetitions."""
    return comb(c + t, c) if t >= 0 and c >= 0 else 0


def _check(steps, checkpoints):
    for name, value in (("steps", steps), ("checkpoints", checkpoints)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def repetitions(steps: int, checkpoints: int) -> int:
    """The repetition number t: least t with β(checkpoints, t) ≥ steps."""
    _check(steps, checkpoints)
    t = 0
    while beta(checkpoints, t) < steps:
        t += 1
    return t


def forward_steps(steps: int, checkpoints: int) -> int:
    """Griewank's minimal number of advances F(l, c) = t·l − β(c + 1, t − 1)."""
    t = repetitions(steps, checkpoints)
    return t * steps - beta(checkpoints + 1, t - 1)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A revolve schedule: the actions, in order, and what they cost.

    Actions are tuples: ``("store", i)`` keep the current state y_i; ``("restore", i)`` make
    the stored y_i current; ``("advance", i, j)`` step the current state from y_i to y_j;
    ``("reverse", i)`` reverse step i from the current state y_i; ``("free", i)`` drop y_i.
    """

    steps: int
    checkpoints: int
    actions: tuple

    @property
    def advances(self) -> int:
        """Forward steps taken by the schedule (the recomputation cost)."""
        return sum(a[2] - a[1] for a in self.actions if a[0] == "advance")

    @property
    def max_stored(self) -> int:
        """The most states stored at the same time."""
        stored = peak = 0
        for action in self.actions:
            stored += {"store": 1, "free": -1}.get(action[0], 0)
            peak = max(peak, stored)
        return peak

    @property
    def reversed_steps(self) -> list:
        return [a[1] for a in self.actions if a[0] == "reverse"]


def revolve(steps: int, checkpoints: int) -> Schedule:
    """The binomial schedule reversing ``steps`` steps with ``checkpoints`` stored states."""
    _check(steps, checkpoints)
    actions = [("store", 0)]
    tasks = [("reverse", 0, steps, checkpoints)]  # reverse steps lo..lo+length-1, y_lo stored
    while tasks:
        task = tasks.pop()
        if task[0] == "free":
            actions.append(task)
            continue
        _, lo, length, c = task
        if length == 1:
            actions += [("restore", lo), ("reverse", lo)]
        elif c == 1:
            for i in range(length - 1, -1, -1):
                actions.append(("restore", lo))
                if i:
                    actions.append(("advance", lo, lo + i))
                actions.append(("reverse", lo + i))
        else:
            t = repetitions(length, c)
            m = min(beta(c, t - 1), length - beta(c - 1, t - 1))
            m = max(1, min(m, length - 1))
            actions += [("restore", lo), ("advance", lo, lo + m), ("store", lo + m)]
            tasks += [("reverse", lo, m, c), ("free", lo + m),
                      ("reverse", lo + m, length - m, c - 1)]
    actions.append(("free", 0))
    return Schedule(steps, checkpoints, tuple(actions))
