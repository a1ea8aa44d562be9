"""The hot parts of the sparse-tree search, as kernels over distinct rows.

Every subproblem needs the counts of the two sides of each feature that splits
it (:func:`split_table_numpy`). Two levels above the leaves, every child of a
subproblem is a stump problem: for a subproblem capturing the distinct rows
``members`` and its splitting features ``parents``, :func:`pair_tables_numpy`
finds the counts of all children's splits at once from the counts of
``members & feature j & feature k`` for all pairs ``(j, k)`` (one matrix
product), sorts each child's splits as :func:`split_table_numpy` does (most
balanced in distinct rows first, ties in feature order), and scores each split
into two leaves.

The numba backend (``_numba_kernels``) computes the same integers with loops
instead of temporary arrays, and when counting a Rashomon set it also counts
all trees of a subproblem two levels above the leaves in one call
(``stump_pair_counts``; without numba, one level record per child does it). It
is imported on first use (compiled once, cached on disk); importing this module
never imports numba.
"""

from __future__ import annotations

import numpy as np

from glassbox._deps import kernel_backend

_numba_kernels = None


def leaf_pairs(true, false, error_cost: int, leaf_cost: int, dtype=np.int64):
    """Scaled objective of two leaves, and whether both predict the same label.

    ``true`` and ``false`` are the counts of the two sides, arrays ``(..., 4)`` of
    (samples, positives, unavoidable errors, distinct rows); ``dtype`` is
    ``object`` when objectives could overflow int64 (exact Python ints).
    """
    errors = (np.minimum(true[..., 1], true[..., 0] - true[..., 1])
              + np.minimum(false[..., 1], false[..., 0] - false[..., 1]))
    objective = errors.astype(dtype) * error_cost + 2 * leaf_cost
    same_label = (2 * true[..., 1] >= true[..., 0]) == (2 * false[..., 1] >= false[..., 0])
    return objective, same_label


def split_table_numpy(members, features, stats, total):
    """The splits of one subproblem and the counts of their two sides (numpy backend).

    Arguments as in :func:`pair_tables_numpy`. Returns ``(order, true, false)``:
    the features that split the subproblem (both sides capture a distinct row),
    most balanced in distinct rows first (ties in feature order), and the counts
    ``(k, 4)`` of the true and false side of each.
    """
    true = np.rint(features @ (stats * members[:, None])).astype(np.int64)
    false = total - true
    order = np.flatnonzero((true[:, 3] > 0) & (false[:, 3] > 0))
    order = order[np.argsort(np.abs(true[order, 3] - false[order, 3]), kind="stable")]
    return order, true[order], false[order]


def pair_tables_numpy(members, features, stats, parents, total, error_cost, leaf_cost,
                      dtype=np.int64):
    """The split tables of all children of one subproblem (numpy backend).

    Parameters
    ----------
    members : bool array (G,)
        Distinct rows the subproblem captures.
    features : float64 array (F, G)
        1.0 where a distinct row has a feature (float for BLAS products; counts
        stay exact below 2**53).
    stats : int64 array (G, 4)
        Per distinct row: samples, positives, unavoidable errors, 1.
    parents : int64 array (P,)
        The features splitting the subproblem, in its split order. Children are
        numbered ``c < P``: the true side of ``parents[c]``, ``c >= P``: the false
        side of ``parents[c - P]``.
    total : int64 array (4,)
        The subproblem's own counts (``stats`` summed over ``members``).
    error_cost, leaf_cost : int
        The scaled costs of one error and one leaf.

    Returns
    -------
    order : int64 (2P, F)
        Per child, the features that split it, most balanced first; entries past
        ``n_valid`` are unspecified (as for every per-split output).
    n_valid : int64 (2P,)
    true, false : int64 (2P, F, 4)
        Counts of the two sides of each child's splits, in ``order``.
    objective : (2P, F) and same_label : bool (2P, F)
        Of each split into two leaves (:func:`leaf_pairs`).
    least, first : int64 (2P,)
        Each child's best two-leaf objective and the smallest feature reaching it
        (unspecified when ``n_valid`` is 0).
    """
    n_features = len(features)
    weighted = features[None, :, :] * (stats.T * members)[:, None, :]
    # both[j, k] = counts of members & feature j & feature k; its diagonal: members & feature j
    both = np.rint(weighted @ features.T).astype(np.int64).transpose(1, 2, 0)
    alone = np.diagonal(both).T
    size = np.concatenate([alone[parents], total - alone[parents]])
    true = np.concatenate([both[parents], alone[None] - both[parents]])
    false = size[:, None, :] - true
    valid = (true[..., 3] > 0) & (false[..., 3] > 0)
    balance = np.where(valid, np.abs(true[..., 3] - false[..., 3]), total[3] + 1)
    order = np.argsort(balance, axis=1, kind="stable")
    true = np.take_along_axis(true, order[..., None], axis=1)
    false = np.take_along_axis(false, order[..., None], axis=1)
    objective, same_label = leaf_pairs(true, false, error_cost, leaf_cost, dtype)
    n_valid = valid.sum(axis=1)
    if objective.size:
        masked = np.where(np.arange(n_features) < n_valid[:, None], objective,
                          objective.max() + 1)
        least = masked.min(axis=1)
        first = np.where(masked == least[:, None], order, n_features).min(axis=1)
    else:
        least = first = np.zeros(len(size), dtype=np.int64)
    return order, n_valid, true, false, objective, same_label, least, first


def resolve_backend(backend: str = "auto") -> str:
    """``"auto"`` -> ``"numba"`` when numba is installed, else ``"numpy"``."""
    return kernel_backend(backend, purpose="The numba backend of SparseTreeClassifier")


def get_kernels(backend: str = "auto"):
    """``(split_table, pair_tables, stump_pair_counts)`` of a backend (loading the numba
    ones on first use). The numpy backend has no ``stump_pair_counts`` (None): the
    level records of ``TreeSpace.levels`` count those trees instead, with the same
    result.

    The numba kernels work in int64 only: pass ``dtype=object`` problems to
    :func:`pair_tables_numpy`.
    """
    global _numba_kernels
    if resolve_backend(backend) == "numpy":
        return split_table_numpy, pair_tables_numpy, None
    if _numba_kernels is None:
        from glassbox.trees import _numba_kernels as module

        _numba_kernels = module
    return (_numba_kernels.split_table, _numba_kernels.pair_tables,
            _numba_kernels.stump_pair_counts)
