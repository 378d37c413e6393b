"""Append-only CSV records: one row per measured point, written as soon as it is measured.

A killed sweep loses nothing it finished; ``done(keys)`` tells a resumed sweep which points to
skip, so resuming never duplicates a row.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RecordFile", "point_key", "thin_curve", "unthin_curve"]


def point_key(row: dict, key_fields) -> tuple:
    """The identity of a point: its key fields as strings (CSV round-trips them as text)."""
    return tuple(str(row[k]) for k in key_fields)


class RecordFile:
    """A CSV file of rows with a fixed set of columns (fixed by the first row written)."""

    def __init__(self, path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def reset(self):
        """Start a fresh file (a non-resumed run)."""
        if self.path.exists():
            self.path.unlink()

    def append(self, row: dict):
        """Write one row and flush it to disk before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.exists()
        if new:
            fields = list(row)
        else:
            with self.path.open(newline="") as fh:
                fields = next(csv.reader(fh))
            missing = set(row) - set(fields)
            if missing:
                raise ValueError(f"{self.path}: row has columns {sorted(missing)} that the file "
                                 f"does not; was the experiment changed since the run started?")
        with self.path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            if new:
                writer.writeheader()
            writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())

    def read(self) -> pd.DataFrame:
        if not self.exists():
            return pd.DataFrame()
        return pd.read_csv(self.path)

    def done(self, key_fields) -> set:
        """Keys of the points already recorded."""
        if not self.exists():
            return set()
        with self.path.open(newline="") as fh:
            return {point_key(row, key_fields) for row in csv.DictReader(fh)}


def thin_curve(values, points):
    """(every, text): every ``every``-th value (and always the last) as text, so that a curve
    of any length fits in one CSV cell with about ``points`` entries."""
    values = np.asarray(values, dtype=float)
    every = max(1, math.ceil(len(values) / points))
    index = np.arange(0, len(values), every)
    if index[-1] != len(values) - 1:
        index = np.append(index, len(values) - 1)
    return every, " ".join(f"{v:.5g}" for v in values[index])


def unthin_curve(text, every, last):
    """(steps, values) of a curve written by :func:`thin_curve`; ``last`` is its final step."""
    values = np.array([float(v) for v in str(text).split()])
    return np.minimum(np.arange(len(values)) * int(every), int(last)), values
