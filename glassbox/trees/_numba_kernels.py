"""numba-compiled twins of :func:`glassbox.trees._kernels.split_table_numpy` and
:func:`glassbox.trees._kernels.pair_tables_numpy`, and :func:`stump_pair_counts`,
which counts the trees of a subproblem two levels above the leaves in one call
(its fallback is the level records of ``TreeSpace.levels``, one per child).

Imported only by ``_kernels.get_kernels`` when numba is installed; compiled
once and cached on disk (``cache=True``). Same arguments and results, int64
objectives only.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def split_table(members, features, stats, total):
    n_features, n_groups = features.shape
    true = np.zeros((n_features, 4), dtype=np.int64)
    for g in range(n_groups):
        if members[g]:
            for j in range(n_features):
                if features[j, g] != 0.0:
                    for s in range(4):
                        true[j, s] += stats[g, s]
    order = np.zeros(n_features, dtype=np.int64)
    balance = np.zeros(n_features, dtype=np.int64)
    m = 0
    for k in range(n_features):
        if true[k, 3] > 0 and total[3] - true[k, 3] > 0:
            b = abs(2 * true[k, 3] - total[3])
            i = m  # insertion after every entry not more unbalanced: a stable sort
            while i > 0 and balance[i - 1] > b:
                balance[i] = balance[i - 1]
                order[i] = order[i - 1]
                i -= 1
            balance[i] = b
            order[i] = k
            m += 1
    out_true = np.zeros((m, 4), dtype=np.int64)
    out_false = np.zeros((m, 4), dtype=np.int64)
    for i in range(m):
        for s in range(4):
            out_true[i, s] = true[order[i], s]
            out_false[i, s] = total[s] - true[order[i], s]
    return order[:m].copy(), out_true, out_false


@numba.njit(cache=True, nogil=True)
def pair_tables(members, features, stats, parents, total, error_cost, leaf_cost):
    n_features, n_groups = features.shape
    both = np.zeros((n_features, n_features, 4), dtype=np.int64)
    for g in range(n_groups):
        if not members[g]:
            continue
        for j in range(n_features):
            if features[j, g] != 0.0:
                for k in range(j, n_features):
                    if features[k, g] != 0.0:
                        for s in range(4):
                            both[j, k, s] += stats[g, s]
    for j in range(n_features):
        for k in range(j):
            for s in range(4):
                both[j, k, s] = both[k, j, s]
    n_parents = len(parents)
    n_children = 2 * n_parents
    order = np.zeros((n_children, n_features), dtype=np.int64)
    n_valid = np.zeros(n_children, dtype=np.int64)
    true = np.zeros((n_children, n_features, 4), dtype=np.int64)
    false = np.zeros((n_children, n_features, 4), dtype=np.int64)
    objective = np.zeros((n_children, n_features), dtype=np.int64)
    same_label = np.zeros((n_children, n_features), dtype=np.bool_)
    least = np.zeros(n_children, dtype=np.int64)
    first = np.zeros(n_children, dtype=np.int64)
    size = np.zeros(4, dtype=np.int64)
    side = np.zeros(4, dtype=np.int64)
    balance = np.zeros(n_features, dtype=np.int64)
    for c in range(n_children):
        j = parents[c % n_parents]
        on_true = c < n_parents
        for s in range(4):
            size[s] = both[j, j, s] if on_true else total[s] - both[j, j, s]
        m = 0
        for k in range(n_features):
            for s in range(4):
                side[s] = both[j, k, s] if on_true else both[k, k, s] - both[j, k, s]
            if side[3] > 0 and size[3] - side[3] > 0:
                b = abs(2 * side[3] - size[3])
                # insertion after every entry not more unbalanced: a stable sort
                i = m
                while i > 0 and balance[i - 1] > b:
                    balance[i] = balance[i - 1]
                    order[c, i] = order[c, i - 1]
                    i -= 1
                balance[i] = b
                order[c, i] = k
                m += 1
        n_valid[c] = m
        for i in range(m):
            k = order[c, i]
            for s in range(4):
                value = both[j, k, s] if on_true else both[k, k, s] - both[j, k, s]
                true[c, i, s] = value
                false[c, i, s] = size[s] - value
            n_t, p_t, n_f, p_f = true[c, i, 0], true[c, i, 1], false[c, i, 0], false[c, i, 1]
            errors = min(p_t, n_t - p_t) + min(p_f, n_f - p_f)
            value = errors * error_cost + 2 * leaf_cost
            objective[c, i] = value
            same_label[c, i] = (2 * p_t >= n_t) == (2 * p_f >= n_f)
            if i == 0 or value < least[c] or (value == least[c] and k < first[c]):
                least[c] = value
                first[c] = k
    return order, n_valid, true, false, objective, same_label, least, first



@numba.njit(cache=True, nogil=True)
def _side_objectives(out, child, room, objective, same_label, n_valid, leaf):
    """Write into ``out`` the objectives of ``child``'s trees that fit in ``room``: its
    leaf first (``stump_pair_counts`` relies on that order), then its stumps whose two
    leaves disagree. Returns how many were written."""
    n = 0
    if leaf[child] <= room:
        out[n] = leaf[child]
        n += 1
    for i in range(n_valid[child]):
        if objective[child, i] <= room and not same_label[child, i]:
            out[n] = objective[child, i]
            n += 1
    return n


@numba.njit(cache=True, nogil=True)
def stump_pair_counts(objective, same_label, n_valid, leaf, label, optimum, budget):
    """Trees of a subproblem two levels above the leaves, by objective, split by split.

    Child ``c < P`` is the true side of split ``c``, ``c + P`` its false side (as
    in ``pair_tables``); per child, ``objective`` / ``same_label`` / ``n_valid``
    list its stumps, ``leaf`` / ``label`` its leaf and ``optimum`` its best tree.
    A split counts every (left tree, right tree) pair within ``budget``, each
    side being its leaf or a stump whose two leaves disagree, less the (leaf,
    leaf) pair of one label. Returns the distinct objectives (sorted), how many
    trees have each, and which splits have any tree within the budget.
    """
    n_splits = len(leaf) // 2
    width = objective.shape[1] + 1
    sums = np.empty(n_splits * width * width, dtype=np.int64)
    n = 0
    used = np.zeros(n_splits, dtype=np.bool_)
    left = np.empty(width, dtype=np.int64)
    right = np.empty(width, dtype=np.int64)
    for s in range(n_splits):
        a, b = s, s + n_splits
        if optimum[a] + optimum[b] > budget:
            continue
        used[s] = True
        n_left = _side_objectives(left, a, budget - optimum[b], objective, same_label,
                                  n_valid, leaf)
        n_right = _side_objectives(right, b, budget - optimum[a], objective, same_label,
                                   n_valid, leaf)
        skip = label[a] == label[b] and leaf[a] + leaf[b] <= budget
        for i in range(n_left):
            for k in range(n_right):
                if left[i] + right[k] <= budget:
                    if skip and i == 0 and k == 0:
                        continue  # both leaves, one label: the same classifier as a leaf
                    sums[n] = left[i] + right[k]
                    n += 1
    sums = np.sort(sums[:n])
    objectives = np.empty(n, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if m == 0 or objectives[m - 1] != sums[i]:
            objectives[m] = sums[i]
            m += 1
        counts[m - 1] += 1
    return objectives[:m], counts[:m], used
