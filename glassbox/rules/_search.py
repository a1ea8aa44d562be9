"""Branch and bound over rule-list prefixes (the CORELS bounds), greedy lists, enumeration.

Everything here works on packed antecedent bit vectors and integer counts; the
estimator turns the result back into Conditions. Objectives are kept in *error
units*: ``score = errors + lam * rules`` with ``lam = c * N``, so that the
objective is ``score / N``.

Bounds used (Angelino et al., JMLR 2018), for a prefix ``d`` of length ``L``
with ``e(d)`` errors made by its own rules:

* hierarchical lower bound ``b(d) = e(d) + lam * L``; every extension of ``d``
  scores at least ``b(d)`` plus ``lam`` per extra rule;
* equivalent points: samples identical on every antecedent always fall into the
  same rule, so the minority label of each such group among the samples ``d``
  leaves uncaptured is an unavoidable error: any strict extension scores at
  least ``b(d) + lam + minority(uncaptured)`` (this includes one-step lookahead);
* minimum accurate support: a rule that classifies fewer than ``lam`` of the
  samples it captures correctly can be deleted with a strict gain, so no prefix
  containing it is extended (which also covers CORELS's minimum support);
* prefix permutations: two orderings of the same antecedent set capture the same
  samples, so only the one with the fewest errors is kept (sets are keyed by a
  128-bit Zobrist hash, an XOR of one random key per antecedent);
* the incumbent prunes every queued prefix whose bound reaches it, and the queue
  is rebuilt without those (garbage collection) when it shrinks enough.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass

import numpy as np

from glassbox._bitset import pack_rows, unpack_rows
from glassbox.rules._kernels import POLICY_CODES, children_numpy, get_expand

POLICIES = tuple(POLICY_CODES)

# Scores are sums of integers and multiples of lam; differences below this are rounding.
_TOLERANCE = 1e-9
# Rough bytes held per queue entry / per permutation-map entry (Python tuples and ints).
_QUEUE_ENTRY_BYTES = 420
_MAP_ENTRY_BYTES = 150


@dataclass
class Problem:
    """A rule-list problem in bit-vector form.

    Attributes
    ----------
    ant_bits : uint64 array (M, W)
        Samples captured by each antecedent.
    label_bits : uint64 array (W,)
        Samples labelled 1.
    minority_bits : uint64 array (W,)
        For each group of samples identical on all antecedents, ``min(#0, #1)``
        samples of its minority label: counting them among uncaptured samples gives
        the equivalent-points bound.
    n_samples, n_positive, n_minority : int
    """

    ant_bits: np.ndarray
    label_bits: np.ndarray
    minority_bits: np.ndarray
    n_samples: int
    n_positive: int
    n_minority: int

    @classmethod
    def from_bits(cls, ant_bits, y) -> Problem:
        y = np.asarray(y, dtype=bool)
        ant_bits = np.ascontiguousarray(ant_bits, dtype=np.uint64)
        n = len(y)
        minority = equivalent_point_minority(unpack_rows(ant_bits, n).T, y) if len(ant_bits) \
            else _group_minority(np.zeros(n, dtype=np.intp), y)
        return cls(ant_bits=ant_bits, label_bits=pack_rows(y), minority_bits=pack_rows(minority),
                   n_samples=n, n_positive=int(y.sum()), n_minority=int(minority.sum()))

    @property
    def n_antecedents(self) -> int:
        return len(self.ant_bits)


def equivalent_point_minority(Z, y) -> np.ndarray:
    """Bool mask: in every group of identical rows of ``Z``, ``min(#0, #1)`` minority samples."""
    Z = np.asarray(Z, dtype=bool)
    packed = np.packbits(Z, axis=1) if Z.shape[1] else np.zeros((len(Z), 1), np.uint8)
    _, groups = np.unique(packed, axis=0, return_inverse=True)
    return _group_minority(groups.ravel(), np.asarray(y, dtype=bool))


def _group_minority(groups, y) -> np.ndarray:
    n_groups = groups.max() + 1 if len(groups) else 0
    positives = np.bincount(groups, weights=y, minlength=n_groups).astype(np.int64)
    sizes = np.bincount(groups, minlength=n_groups)
    # The minority label of each group (ties: label 1 is "minority"; the count is what matters).
    minority_label = positives <= sizes - positives
    return y == minority_label[groups]


@dataclass
class SearchResult:
    prefix: tuple
    score: float
    lower_bound: float  # in score units
    status: str
    nodes: int
    queue_peak: int = 0


def _children(problem: Problem, prefix, errors, rest, rest_pos, rest_minority, lam):
    return children_numpy(problem.ant_bits, np.asarray(prefix, np.int64), problem.label_bits,
                          problem.minority_bits, errors, rest, rest_pos, rest_minority, lam)


def list_score(problem: Problem, prefix, lam: float) -> float:
    """Score (errors + lam * rules) of the rule list with these antecedents, in order."""
    state = (0, problem.n_samples, problem.n_positive, problem.n_minority)
    score = float(min(problem.n_positive, problem.n_samples - problem.n_positive))
    for k, j in enumerate(prefix):
        kids = _children(problem, prefix[:k], *state, lam)
        state = (int(kids.errors[j]), int(kids.rest[j]), int(kids.rest_pos[j]),
                 int(kids.rest_minority[j]))
        score = float(kids.score[j])
    return score


def greedy(problem: Problem, lam: float, *, backend="auto") -> tuple[tuple, float]:
    """Append the rule that lowers the objective most, while one does. Returns (prefix, score)."""
    expand = get_expand(backend)
    prefix, state = (), (0, problem.n_samples, problem.n_positive, problem.n_minority)
    score = float(min(problem.n_positive, problem.n_samples - problem.n_positive))
    while True:
        # cutoff -inf: only the best child is wanted, none is queued
        best_j, best_child, *_ = expand(problem.ant_bits, np.array(prefix, dtype=np.int64),
                                        problem.label_bits, problem.minority_bits, *state, lam,
                                        -np.inf, _TOLERANCE, 0, problem.n_samples)
        if best_j < 0 or not best_child < score - _TOLERANCE:
            return prefix, score
        kids = _children(problem, prefix, *state, lam)
        prefix += (int(best_j),)
        state = (int(kids.errors[best_j]), int(kids.rest[best_j]), int(kids.rest_pos[best_j]),
                 int(kids.rest_minority[best_j]))
        score = float(best_child)


def branch_and_bound(problem: Problem, lam: float, budget, *, policy="lower_bound",
                     incumbent=None, backend="auto", symmetry=True) -> SearchResult:
    """Certifiably optimal rule list by best-first branch and bound.

    Parameters
    ----------
    problem : Problem
    lam : float
        ``c * N``, the score penalty per rule (> 0).
    budget : glassbox._base.SearchBudget
        Entered by the caller; asked whether to stop before every expansion.
    policy : str
        Queue order (one of ``POLICIES``); every policy reaches the same optimum.
    incumbent : tuple of int, optional
        A starting list (e.g. greedy) whose score prunes from the first node.
    backend : {"auto", "numba", "numpy"}
    symmetry : bool
        Use the prefix-permutation map.

    Returns
    -------
    SearchResult
        ``lower_bound`` (score units) is the best score when the queue was
        exhausted, otherwise the smallest bound left in the queue.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}.")
    expand = get_expand(backend)
    policy_code = POLICY_CODES[policy]
    n = problem.n_samples
    ant_bits, label_bits, minority_bits = (problem.ant_bits, problem.label_bits,
                                           problem.minority_bits)
    best_prefix = ()
    best = float(min(problem.n_positive, n - problem.n_positive))
    if incumbent is not None:
        incumbent_score = list_score(problem, incumbent, lam)
        if incumbent_score < best - _TOLERANCE:
            best_prefix, best = tuple(incumbent), incumbent_score

    rng = np.random.default_rng(0x5EED)  # fixed: Zobrist keys must be reproducible
    zobrist = [int(a) << 64 | int(b) for a, b in
               rng.integers(0, 2**63, size=(problem.n_antecedents, 2), dtype=np.int64)]
    counter = itertools.count()
    root_bound = lam + problem.n_minority
    # entry: (priority, tie, bound, errors, rest, rest_pos, rest_minority, key, prefix)
    queue = [(root_bound if policy == "lower_bound" else 0.0, next(counter), root_bound, 0, n,
              problem.n_positive, problem.n_minority, 0, ())]
    best_errors_of_set = {0: 0}
    nodes, queue_peak, status, live_floor = 0, 1, "optimal", best
    last_collected_at = best
    heappush, heappop = heapq.heappush, heapq.heappop

    while queue:
        reason = budget.stop_reason(nodes, len(queue) * _QUEUE_ENTRY_BYTES
                                    + len(best_errors_of_set) * _MAP_ENTRY_BYTES)
        if reason:
            status = reason
            break
        _, _, bound, errors, rest, rest_pos, rest_minority, key, prefix = heappop(queue)
        if bound >= best - _TOLERANCE:
            if policy == "lower_bound":  # the queue is ordered by bound: nothing left can win
                queue.clear()
                break
            continue
        if symmetry and best_errors_of_set.get(key) != errors:
            continue  # a better ordering of the same antecedents was queued after this one
        nodes += 1
        best_j, best_child, ints, floats = expand(
            ant_bits, np.array(prefix, dtype=np.int64), label_bits, minority_bits, errors, rest,
            rest_pos, rest_minority, lam, best - _TOLERANCE, _TOLERANCE, policy_code, n)
        if best_child < best - _TOLERANCE:
            best, best_prefix = float(best_child), prefix + (int(best_j),)
        if ints.shape[1]:
            for (j, e, r, rp, rm), (p, b) in zip(ints.T.tolist(), floats.T.tolist()):
                child_key = key ^ zobrist[j]
                if symmetry:
                    seen = best_errors_of_set.get(child_key)
                    if seen is not None and seen <= e:
                        continue
                    best_errors_of_set[child_key] = e
                heappush(queue, (p, next(counter), b, e, r, rp, rm, child_key, prefix + (j,)))
            queue_peak = max(queue_peak, len(queue))
        if best < last_collected_at - _TOLERANCE and len(queue) > 4096:
            queue = [e for e in queue if e[2] < best - _TOLERANCE]  # garbage collection
            heapq.heapify(queue)
            last_collected_at = best
        if budget.verbose:
            live_floor = queue[0][2] if (queue and policy == "lower_bound") else live_floor
            budget.progress(nodes, best / n, min(live_floor, best) / n, queue=len(queue))

    if status == "optimal":
        lower_bound = best
    elif policy == "lower_bound":  # the heap is ordered by bound
        lower_bound = min(best, queue[0][2]) if queue else best
    else:
        lower_bound = min((e[2] for e in queue), default=best)
        lower_bound = min(lower_bound, best)
    return SearchResult(best_prefix, best, lower_bound, status, nodes, queue_peak)


def enumerate_prefixes(problem: Problem, lam: float, score_bound: float, *, max_models: int) -> list[tuple[float, tuple]]:
    """Every rule list (ordered antecedents) with score <= ``score_bound``.

    A list is a sequence of distinct antecedents, each capturing at least one
    training sample not captured before it; rules predict the majority label of
    what they capture (ties: 1), the default rule the majority of the rest.
    Different orders are different lists. Only bounds that hold for every list
    (not only optimal ones) prune: the hierarchical and equivalent-points bounds.

    Raises ValueError when more than ``max_models`` lists qualify.
    """
    limit = score_bound + _TOLERANCE
    n = problem.n_samples
    found = []
    root_score = float(min(problem.n_positive, n - problem.n_positive))
    if root_score <= limit:
        found.append((root_score, ()))
    stack = [(0, n, problem.n_positive, problem.n_minority, ())]
    if lam + problem.n_minority > limit:
        stack.clear()
    while stack:
        errors, rest, rest_pos, rest_minority, prefix = stack.pop()
        kids = _children(problem, prefix, errors, rest, rest_pos, rest_minority, lam)
        for j in np.flatnonzero(kids.valid & (kids.score <= limit)).tolist():
            found.append((float(kids.score[j]), prefix + (j,)))
            if len(found) > max_models:
                raise ValueError(f"More than max_models={max_models} rule lists have an "
                                 "objective within the bound; raise max_models or lower the "
                                 "bound.")
        for j in np.flatnonzero(kids.valid & (kids.bound <= limit)).tolist():
            stack.append((int(kids.errors[j]), int(kids.rest[j]), int(kids.rest_pos[j]),
                          int(kids.rest_minority[j]), prefix + (j,)))
    found.sort(key=lambda item: (item[0], len(item[1]), item[1]))
    return found


def score_to_objective(score: float, n_samples: int) -> float:
    return score / n_samples if math.isfinite(score) else score
