"""Kernels of the support decomposition bound (see ``_support.py``).

The functions are written once, in the subset of Python that numba compiles. When numba
is installed they are compiled (``cache=True``); without it the same source runs as plain
Python, which is slow but gives the same numbers on the small problems the tests use.
"""

from __future__ import annotations

from math import exp, log1p, sqrt

import numpy as np

from glassbox._deps import module_available

if module_available("numba"):
    import numba

    _jit = numba.njit(cache=True, nogil=True)
    COMPILED = True
else:  # pragma: no cover - exercised only where numba is missing
    def _jit(function):
        return function

    COMPILED = False


@_jit
def _softplus(t):
    """log(1 + exp(t)) without overflow."""
    if t > 0.0:
        return t + log1p(exp(-t))
    return log1p(exp(t))


@_jit
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + exp(-t))
    e = exp(t)
    return e / (1.0 + e)


@_jit
def _cell_loss(V, pos, neg, x):
    """sum_c pos_c log(1 + e^-m_c) + neg_c log(1 + e^m_c), m = V x."""
    total = 0.0
    for c in range(V.shape[0]):
        m = 0.0
        for a in range(V.shape[1]):
            m += V[c, a] * x[a]
        total += pos[c] * _softplus(-m) + neg[c] * _softplus(m)
    return total


@_jit
def box_logistic_bound(V, pos, neg, lo, hi, x, cutoff, max_iter):
    """A certified lower bound on min of the cell loss over the box ``lo <= x <= hi``.

    Projected Newton from ``x`` (updated in place). The returned number is always a
    valid lower bound: by convexity ``f(y) >= f(x) + g.(y - x)`` for every y in the box,
    so ``f(x) + min over the box of g.(y - x)`` (the Frank-Wolfe bound) bounds the
    minimum; at the optimum it equals it. The search stops early as soon as that bound
    reaches ``cutoff``: the caller only needs to know the box cannot beat it.
    """
    n_cells, m = V.shape
    grad = np.zeros(m)
    hess = np.zeros((m, m))
    direction = np.zeros(m)
    trial = np.zeros(m)
    free = np.zeros(m, dtype=np.int64)
    chol = np.zeros((m, m))
    work = np.zeros(m)
    bound = -np.inf
    for _ in range(max_iter):
        f = 0.0
        grad[:] = 0.0
        hess[:, :] = 0.0
        for c in range(n_cells):
            margin = 0.0
            for a in range(m):
                margin += V[c, a] * x[a]
            f += pos[c] * _softplus(-margin) + neg[c] * _softplus(margin)
            s = _sigmoid(margin)
            slope = neg[c] * s - pos[c] * (1.0 - s)
            curve = (pos[c] + neg[c]) * s * (1.0 - s)
            for a in range(m):
                grad[a] += slope * V[c, a]
                for b in range(a + 1):
                    hess[a, b] += curve * V[c, a] * V[c, b]
        fw = 0.0
        for a in range(m):
            fw += min(grad[a] * (lo[a] - x[a]), grad[a] * (hi[a] - x[a]))
        bound = max(bound, f + fw)
        if bound >= cutoff or -fw <= 1e-12 * max(1.0, f):
            return bound
        # Newton on the coordinates not held at a bound by their gradient
        n_free = 0
        for a in range(m):
            held = (x[a] <= lo[a] and grad[a] > 0.0) or (x[a] >= hi[a] and grad[a] < 0.0)
            if not held:
                free[n_free] = a
                n_free += 1
        direction[:] = 0.0
        for u in range(n_free):
            for v in range(u + 1):
                a, b = free[u], free[v]
                value = hess[max(a, b), min(a, b)]
                for w in range(v):
                    value -= chol[u, w] * chol[v, w]
                if u == v:
                    chol[u, u] = sqrt(max(value, 1e-14))
                else:
                    chol[u, v] = value / chol[v, v]
        for u in range(n_free):
            value = -grad[free[u]]
            for w in range(u):
                value -= chol[u, w] * work[w]
            work[u] = value / chol[u, u]
        for u in range(n_free - 1, -1, -1):
            value = work[u]
            for w in range(u + 1, n_free):
                value -= chol[w, u] * direction[free[w]]
            direction[free[u]] = value / chol[u, u]
        # projected backtracking (Armijo along the projection arc)
        step = 1.0
        accepted = False
        for _ in range(40):
            decrease = 0.0
            for a in range(m):
                trial[a] = min(max(x[a] + step * direction[a], lo[a]), hi[a])
                decrease += grad[a] * (trial[a] - x[a])
            if _cell_loss(V, pos, neg, trial) <= f + 1e-4 * decrease:
                accepted = True
                break
            step *= 0.5
        if not accepted:  # Newton stalled on the box: the bound so far is still valid
            return bound
        for a in range(m):
            x[a] = trial[a]
    return bound


@_jit
def _fill_cells(V, pos, neg, pos_count, neg_count, n_bits):
    """Compact the nonempty cells (code -> bit pattern) into V/pos/neg; return how many."""
    n_used = 0
    for code in range(pos_count.shape[0]):
        if pos_count[code] + neg_count[code] > 0.0:
            V[n_used, 0] = 1.0
            for t in range(n_bits):
                V[n_used, 1 + t] = (code >> t) & 1
            pos[n_used] = pos_count[code]
            neg[n_used] = neg_count[code]
            n_used += 1
    return n_used


@_jit
def support_bounds(X, row_ptr, row_ones, pos_w, neg_w, scale, lo, hi, size, prefixes, cutoff,
                   max_iter, out):
    """Lower bounds of the box relaxation on every support that extends ``prefixes``.

    ``pos_w``/``neg_w`` are the positive and negative counts of each merged row and
    ``scale`` turns counts into the objective's units (1 / n_samples). Supports have
    ``size`` features: a prefix of ``size - 2`` features (one row of
    ``prefixes``, increasing indices) followed by any pair ``j < second`` after its last
    index (for ``size == 1`` the prefix array holds no columns and the supports are the
    single features). Per prefix, one pass over the merged rows builds the weight of
    each prefix cell and its first and second moments over the later features; every
    pair's 2^size cells then follow by inclusion-exclusion, so a support costs O(2^size)
    instead of a pass over the rows. Bounds go to ``out`` in enumeration order.
    """
    n_rows, d = X.shape
    p = prefixes.shape[1]
    n_prefix_cells = 1 << p
    n_cells = 1 << size
    m0 = np.zeros((n_prefix_cells, 2))
    m1 = np.zeros((n_prefix_cells, d, 2))
    m2 = np.zeros((n_prefix_cells, d, d, 2))
    pos_count = np.zeros(n_cells)
    neg_count = np.zeros(n_cells)
    V = np.zeros((n_cells, size + 1))
    pos = np.zeros(n_cells)
    neg = np.zeros(n_cells)
    box_lo = np.zeros(size + 1)
    box_hi = np.zeros(size + 1)
    x = np.zeros(size + 1)
    total_pos = 0.0
    total_neg = 0.0
    for r in range(n_rows):
        total_pos += pos_w[r]
        total_neg += neg_w[r]
    # the search starts from the best intercept-only card (the base rate's log-odds)
    base_rate = min(max(total_pos / (total_pos + total_neg), 1e-12), 1.0 - 1e-12)
    start_intercept = min(max(np.log(base_rate / (1.0 - base_rate)), lo[0]), hi[0])
    box_lo[0] = lo[0]
    box_hi[0] = hi[0]
    k = 0
    for q in range(prefixes.shape[0]):
        last = prefixes[q, p - 1] if p > 0 else -1
        m0[:, :] = 0.0
        m1[:, :, :] = 0.0
        m2[:, :, :, :] = 0.0
        for r in range(n_rows):
            code = 0
            for t in range(p):
                code |= X[r, prefixes[q, t]] << t
            m0[code, 0] += pos_w[r]
            m0[code, 1] += neg_w[r]
            for s in range(row_ptr[r], row_ptr[r + 1]):
                j = row_ones[s]
                if j <= last:
                    continue
                m1[code, j, 0] += pos_w[r]
                m1[code, j, 1] += neg_w[r]
                if size >= 2:
                    for s2 in range(s + 1, row_ptr[r + 1]):
                        second = row_ones[s2]
                        m2[code, j, second, 0] += pos_w[r]
                        m2[code, j, second, 1] += neg_w[r]
        for t in range(p):
            box_lo[1 + t] = lo[1 + prefixes[q, t]]
            box_hi[1 + t] = hi[1 + prefixes[q, t]]
        for j in range(last + 1, d):
            box_lo[p + 1] = lo[1 + j]
            box_hi[p + 1] = hi[1 + j]
            # a single-feature support runs this loop once, with no second feature
            l_start, l_stop = (j + 1, d) if size >= 2 else (-1, 0)
            for second in range(l_start, l_stop):
                for c in range(n_prefix_cells):
                    for y in range(2):
                        if size >= 2:
                            both = m2[c, j, second, y]
                            only_j = m1[c, j, y] - both
                            only_l = m1[c, second, y] - both
                            neither = m0[c, y] - m1[c, j, y] - m1[c, second, y] + both
                            counts = (neither, only_j, only_l, both)
                        else:
                            counts = (m0[c, y] - m1[c, j, y], m1[c, j, y], 0.0, 0.0)
                        for pattern in range(4 if size >= 2 else 2):
                            cell = c | (pattern << p)
                            value = max(counts[pattern], 0.0) * scale
                            if y == 0:
                                pos_count[cell] = value
                            else:
                                neg_count[cell] = value
                if size >= 2:
                    box_lo[p + 2] = lo[1 + second]
                    box_hi[p + 2] = hi[1 + second]
                n_used = _fill_cells(V, pos, neg, pos_count, neg_count, size)
                x[:] = 0.0
                x[0] = start_intercept
                out[k] = box_logistic_bound(V[:n_used], pos[:n_used], neg[:n_used], box_lo,
                                            box_hi, x, cutoff, max_iter)
                k += 1
    return k
