"""The hot loop of exact tree counterfactuals: project ``x`` onto boxes, cost, argmin.

A leaf of a tree is a closed box ``lo <= x' <= hi``. With a separable weighted L1 cost,
the cheapest point of a box is the coordinate-wise projection of ``x`` (clip to the
box) and its cost is the weighted distance of ``x`` below or above the box, column by
column. A box is infeasible when it is empty (``lo > hi`` in some column, as happens
for an integer column whose interval holds no whole number) or when reaching it would
move an immutable column.

Both backends sum each box's cost in column order and keep the first box of least
cost, so they return exactly the same box, cost and point. The numba backend
(``_numba_kernels``) is imported on first use and cached on disk; importing this
module never imports numba.
"""

from __future__ import annotations

import numpy as np

from glassbox._deps import kernel_backend

_numba_kernels = None


def box_costs_numpy(x, lo, hi, rows, weights, immutable):
    """Cost of the cheapest point of each box ``rows`` (inf where infeasible).

    Parameters
    ----------
    x : float64 array (p,)
    lo, hi : float64 arrays (n_boxes, p)
        Closed bounds (``-inf`` / ``inf`` where unbounded).
    rows : int64 array or None
        The boxes to consider (None: all of them).
    weights : float64 array (p,)
        Non-negative cost per unit of each column.
    immutable : bool array (p,)

    Returns
    -------
    float64 array (len(rows),)
    """
    low, high = (lo, hi) if rows is None else (lo[rows], hi[rows])
    # At most one of the two terms is positive: x lies below the box, above it, or inside.
    distance = np.maximum(low - x, 0.0) + np.maximum(x - high, 0.0)
    if len(low) == 0:
        return np.zeros(0)
    # A running sum along the columns adds them in the order the numba loop does, so both
    # backends round identically (a matrix product would not).
    cost = np.cumsum(distance * weights, axis=1)[:, -1]
    infeasible = np.any(low > high, axis=1) | np.any((distance > 0) & immutable, axis=1)
    cost[infeasible] = np.inf
    return cost


def nearest_box_numpy(x, lo, hi, rows, weights, immutable, out):
    """The box of ``rows`` whose cheapest point costs least (the first such one).

    Writes that point into ``out`` (p,) and returns ``(position in rows, cost)``;
    ``(-1, inf)`` when every box is infeasible (``out`` untouched).
    """
    cost = box_costs_numpy(x, lo, hi, rows, weights, immutable)
    if len(cost) == 0:
        return -1, np.inf
    k = int(np.argmin(cost))
    if not np.isfinite(cost[k]):
        return -1, np.inf
    r = rows[k]
    np.minimum(np.maximum(x, lo[r]), hi[r], out=out)
    return k, float(cost[k])


def resolve_backend(backend: str = "auto") -> str:
    """``"auto"`` -> ``"numba"`` when numba is installed, else ``"numpy"``."""
    return kernel_backend(backend, purpose="The numba backend of tree counterfactuals")


def get_nearest_box(backend: str = "auto"):
    """The :func:`nearest_box_numpy` of a backend (loading the numba one on first use)."""
    global _numba_kernels
    if resolve_backend(backend) == "numpy":
        return nearest_box_numpy
    if _numba_kernels is None:
        from glassbox.distill import _numba_kernels as module

        _numba_kernels = module
    return _numba_kernels.nearest_box
