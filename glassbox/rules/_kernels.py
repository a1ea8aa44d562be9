"""The hot loop of the rule-list search: evaluate every child of a prefix at once.

A prefix (an ordered list of antecedents) has captured the union of its
antecedents' samples. Appending antecedent ``j`` captures ``A[j] & ~captured``;
the search needs three counts per child: how many new samples, how many of them
are labelled 1, and how many are "equivalent-point minorities" (see
``_search.Problem``). Both backends return exactly the same integers, so a
search gives the same result, node for node, whichever runs.

The numba backend (``_numba_kernels``) is imported on first use and cached on
disk; importing this module never imports numba.
"""

from __future__ import annotations

import numpy as np

from glassbox._deps import kernel_backend

# Search policies as the integer codes the expansion kernels take.
POLICY_CODES = {"lower_bound": 0, "objective": 1, "bfs": 2, "dfs": 3, "curiosity": 4}

_numba_kernels = None


def child_counts_numpy(ant_bits, prefix, label_bits, minority_bits):
    """Counts of newly captured samples for every child of ``prefix`` (numpy backend).

    Parameters
    ----------
    ant_bits : uint64 array (M, W)
        Packed samples captured by each antecedent.
    prefix : int64 array (L,)
        Antecedent indices of the prefix.
    label_bits, minority_bits : uint64 array (W,)
        Samples with label 1; equivalent-point minority samples.

    Returns
    -------
    n_new, n_new_pos, n_new_minority : int64 arrays (M,)
    """
    if len(prefix):
        captured = np.bitwise_or.reduce(ant_bits[prefix], axis=0)
        new = ant_bits & ~captured
    else:
        new = ant_bits
    n_new = np.bitwise_count(new).sum(axis=1, dtype=np.int64)
    n_new_pos = np.bitwise_count(new & label_bits).sum(axis=1, dtype=np.int64)
    n_new_minority = np.bitwise_count(new & minority_bits).sum(axis=1, dtype=np.int64)
    return n_new, n_new_pos, n_new_minority


class Children:
    """Every child of one prefix, in error units (numpy; the numba ``expand`` computes the same).

    For child ``j`` (the prefix followed by antecedent ``j``): ``valid`` (its rule
    captures a new sample), ``errors`` (made by the prefix's rules and the new
    one, which predicts its majority label, ties 1), ``prefix_score`` (errors +
    lam x rules), ``score`` (with the default rule), the uncaptured ``rest``,
    ``rest_pos`` and ``rest_minority``, ``bound`` (lowest score of any strict
    extension: one more rule and the equivalent-points minority of the rest) and
    ``accurate`` (the new rule is right on at least ``lam`` samples).
    """

    def __init__(self, n_new, n_new_pos, n_new_minority, *, errors, rest, rest_pos,
                 rest_minority, length, lam):
        rule_errors = np.minimum(n_new_pos, n_new - n_new_pos)
        self.valid = n_new > 0
        self.errors = errors + rule_errors
        self.prefix_score = self.errors + lam * length
        self.rest = rest - n_new
        self.rest_pos = rest_pos - n_new_pos
        self.rest_minority = rest_minority - n_new_minority
        self.score = self.prefix_score + np.minimum(self.rest_pos, self.rest - self.rest_pos)
        self.bound = self.prefix_score + lam + self.rest_minority
        self.accurate = (n_new - rule_errors) >= lam


def children_numpy(ant_bits, prefix, label_bits, minority_bits, errors, rest, rest_pos,
                   rest_minority, lam) -> Children:
    """:class:`Children` of ``prefix`` (whose own counts are ``errors``, ``rest``...)."""
    counts = child_counts_numpy(ant_bits, prefix, label_bits, minority_bits)
    return Children(*counts, errors=errors, rest=rest, rest_pos=rest_pos,
                    rest_minority=rest_minority, length=len(prefix) + 1, lam=lam)


def expand_numpy(ant_bits, prefix, label_bits, minority_bits, errors, rest, rest_pos,
                 rest_minority, lam, cutoff, tolerance, policy, n_samples):
    """Evaluate every child of a prefix and select those worth queueing (numpy backend).

    Children are the prefix followed by one antecedent capturing a new sample.
    ``best_j`` / ``best_score`` are the child whose rule list (with its default
    rule) scores lowest. A child is queued when its rule is accurate on at least
    ``lam`` samples (minimum accurate support) and the bound of its strict
    extensions is below both ``cutoff`` and ``best_score - tolerance``.

    Returns
    -------
    best_j, best_score : int, float
        ``best_j`` is -1 when no child captures anything.
    ints : int64 array (5, k)
        Rows ``chosen`` (antecedent), ``errors``, ``rest``, ``rest_pos``,
        ``rest_minority`` of the chosen children, in antecedent order.
    floats : float64 array (2, k)
        Rows ``priority`` and ``bound``.
    """
    kids = children_numpy(ant_bits, prefix, label_bits, minority_bits, errors, rest, rest_pos,
                          rest_minority, lam)
    valid, score, bound = kids.valid, kids.score, kids.bound
    length = len(prefix) + 1
    candidate = np.where(valid, score, np.inf)
    best_j = int(np.argmin(candidate)) if valid.any() else -1
    best_score = float(candidate[best_j]) if best_j >= 0 else np.inf
    cutoff = min(cutoff, best_score - tolerance)
    chosen = np.flatnonzero(valid & kids.accurate & (bound < cutoff))
    if policy == 0:
        priority = bound
    elif policy == 1:
        priority = score
    elif policy in (2, 3):
        priority = np.full(len(bound), float(length) if policy == 2 else -float(length))
    else:
        priority = kids.prefix_score * n_samples / np.maximum(n_samples - kids.rest, 1)
    ints = np.stack([chosen, kids.errors[chosen], kids.rest[chosen], kids.rest_pos[chosen],
                     kids.rest_minority[chosen]]).astype(np.int64)
    floats = np.stack([priority[chosen], bound[chosen]]).astype(np.float64)
    return best_j, best_score, ints, floats


def resolve_backend(backend: str = "auto") -> str:
    """``"auto"`` -> ``"numba"`` when numba is installed, else ``"numpy"``."""
    return kernel_backend(backend, purpose="The numba backend of RuleListClassifier")


def _load_numba():
    global _numba_kernels
    if _numba_kernels is None:
        from glassbox.rules import _numba_kernels as module

        _numba_kernels = module
    return _numba_kernels


def get_kernel(backend: str = "auto"):
    """The child-count function of a backend (loading the numba one on first use)."""
    if resolve_backend(backend) == "numpy":
        return child_counts_numpy
    return _load_numba().child_counts


def get_expand(backend: str = "auto"):
    """The expansion function of a backend (see :func:`expand_numpy`)."""
    if resolve_backend(backend) == "numpy":
        return expand_numpy
    return _load_numba().expand
