"""numba-compiled twin of :func:`glassbox.distill._kernels.nearest_box_numpy`.

Imported only by ``_kernels.get_nearest_box`` when numba is installed; compiled once
and cached on disk (``cache=True``). Same arguments, same results: each box's cost is
summed in column order, and the first box of least cost wins.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def nearest_box(x, lo, hi, rows, weights, immutable, out):
    p = x.shape[0]
    best_cost = np.inf
    best = -1
    for k in range(rows.shape[0]):
        r = rows[k]
        cost = 0.0
        feasible = True
        for j in range(p):
            a = lo[r, j]
            b = hi[r, j]
            if a > b:
                feasible = False
                break
            if x[j] < a:
                d = a - x[j]
            elif x[j] > b:
                d = x[j] - b
            else:
                continue
            if immutable[j]:
                feasible = False
                break
            cost += weights[j] * d
            # Costs only grow along the columns: this box can no longer win.
            if cost >= best_cost:
                feasible = False
                break
        if feasible and cost < best_cost:
            best_cost = cost
            best = k
    if best >= 0:
        r = rows[best]
        for j in range(p):
            out[j] = min(max(x[j], lo[r, j]), hi[r, j])
    return best, best_cost
