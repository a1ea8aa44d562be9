"""Support decomposition: a lower bound that SCIP's relaxation cannot give on large data.

Every feasible card uses at most ``k = max_features`` features, so its support lies
inside some set of exactly ``min(k, d)`` features, and the optimum is the smallest over
those sets of the problem restricted to one set. Relaxing only the integrality inside a
set (coefficients in their boxes, no L0 indicators) gives a much tighter bound than the
root LP, whose L0 relaxation is the convex hull ``||lam||_1 <= k * 5`` of all sparse
boxes and stays at that hull's value however many cutting planes are added.

With binary features a set of ``s`` features splits the rows into at most ``2^s`` cells,
and the restricted relaxation is a logistic regression on those cells: cheap enough to
solve for each of the ``C(d, s)`` sets (377k for adult's 36 features and s = 5). The
sets whose bound reaches the incumbent are pruned; SCIP then solves each survivor
exactly, best bound first, and the smallest bound left unsolved is the global lower bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import comb

import numpy as np

#: the decomposition is skipped when it would bound more feature sets than this
MAX_SUPPORTS = 5_000_000
#: Newton iterations per feature set (converges in about 10; the cap guards stalls)
MAX_NEWTON_ITERATIONS = 100
#: feature sets per kernel call, between which the deadline and Ctrl-C are checked
SUPPORTS_PER_CALL = 20_000


@dataclass
class SupportBounds:
    """Result of bounding every feature set of the decomposition.

    Attributes
    ----------
    lower_bound : float
        A lower bound on the loss of every card (``cutoff`` when all sets are pruned).
    survivors : list of (float, tuple of int)
        Feature sets whose bound is below ``cutoff``, best bound first.
    complete : bool
        Whether every set was bounded (False when the deadline or Ctrl-C stopped it).
    n_supports : int
        Number of feature sets bounded.
    seconds : float
    """

    lower_bound: float
    survivors: list = field(default_factory=list)
    complete: bool = True
    n_supports: int = 0
    seconds: float = 0.0


def binary_features(problem) -> np.ndarray | None:
    """The merged rows' feature values as a uint8 0/1 matrix, or None if any is not 0/1."""
    features = problem.Z[:, 1:] * problem.Z[:, :1]  # undo the label signs
    if features.size and not np.all((features == 0) | (features == 1)):
        return None
    return features.astype(np.uint8)


def n_supports(problem) -> int:
    d = problem.n_coefs - 1
    return comb(d, min(problem.max_features, d))


def inapplicable_reason(problem) -> str | None:
    """Why the decomposition cannot run on ``problem`` (None when it can): it needs an item
    to choose, binary items and at most ``MAX_SUPPORTS`` feature sets."""
    if problem.n_coefs < 2 or problem.max_features < 1:
        return "there is no item to choose"
    if n_supports(problem) > MAX_SUPPORTS:
        return f"{n_supports(problem):,} feature sets exceed its limit of {MAX_SUPPORTS:,}"
    if binary_features(problem) is None:
        return "not every item is binary (0/1)"
    return None


def applicable(problem) -> bool:
    """Whether the decomposition can run (see :func:`inapplicable_reason`)."""
    return inapplicable_reason(problem) is None


def _prefixes(d: int, size: int) -> np.ndarray:
    """All increasing prefixes of ``size - 2`` features that still leave a pair after them."""
    from itertools import combinations

    length = max(size - 2, 0)
    if size == 1:
        return np.zeros((1, 0), dtype=np.int64)
    rows = [c for c in combinations(range(d), length) if (c[-1] if c else -1) <= d - 3]
    return np.array(rows, dtype=np.int64).reshape(len(rows), length)


def _leaves_after(last: int, d: int, size: int) -> list[tuple[int, ...]]:
    """The (j, second) pairs (or single j) that complete a prefix ending at ``last``."""
    if size == 1:
        return [(j,) for j in range(d)]
    return [(j, second) for j in range(last + 1, d) for second in range(j + 1, d)]


def _collect_survivors(result, out, cutoff, q, stop, per_prefix, prefixes, lasts, d, size):
    """Add the sets of one chunk whose bound is below ``cutoff`` to ``result``."""
    below = np.flatnonzero(out < cutoff)
    if len(below):
        offsets = np.cumsum(per_prefix[q:stop])
        for index in below:
            which = int(np.searchsorted(offsets, index, side="right"))
            within = int(index - (offsets[which - 1] if which else 0))
            prefix = tuple(int(f) for f in prefixes[q + which])
            tail = _leaves_after(int(lasts[q + which]), d, size)[within]
            result.survivors.append((float(out[index]), prefix + tail))
    result.n_supports += len(out)


def bound_supports(problem, cutoff: float, *, deadline: float = np.inf,
                   stop_requested=lambda: False, n_jobs=None) -> SupportBounds:
    """Bound the restricted relaxation of every feature set; keep those below ``cutoff``.

    ``n_jobs`` threads bound chunks of sets side by side (joblib semantics).
    """
    from joblib import Parallel, delayed, effective_n_jobs

    from glassbox.scoring import _support_kernels as kernels

    start = time.perf_counter()
    X = binary_features(problem)
    d = X.shape[1]
    size = min(problem.max_features, d)
    signs = problem.Z[:, 0]
    counts = problem.row_counts()
    pos_w = np.where(signs > 0, counts, 0.0)
    neg_w = np.where(signs < 0, counts, 0.0)
    ones = [np.flatnonzero(row) for row in X]
    row_ptr = np.zeros(len(X) + 1, dtype=np.int64)
    row_ptr[1:] = np.cumsum([len(o) for o in ones])
    row_ones = np.concatenate(ones).astype(np.int64) if len(ones) else np.zeros(0, np.int64)
    lo = problem.lower.astype(float)
    hi = problem.upper.astype(float)
    prefixes = _prefixes(d, size)
    lasts = prefixes[:, -1] if prefixes.shape[1] else np.full(len(prefixes), -1)
    # sets per prefix: the single features, or the pairs after the prefix's last index
    per_prefix = (np.full(len(prefixes), d) if size == 1
                  else (d - 1 - lasts) * (d - 2 - lasts) // 2)
    first_set = np.concatenate([[0], np.cumsum(per_prefix)])
    result = SupportBounds(lower_bound=float(cutoff))
    # chunks of at most SUPPORTS_PER_CALL sets (at least one prefix); the kernel releases
    # the GIL, so threads scale
    starts = [0]
    while starts[-1] < len(prefixes):
        stop = np.searchsorted(first_set, first_set[starts[-1]] + SUPPORTS_PER_CALL,
                               side="right") - 1
        starts.append(int(max(stop, starts[-1] + 1)))
    chunks = list(zip(starts[:-1], starts[1:]))
    n_workers = max(1, effective_n_jobs(n_jobs))

    def bound_chunk(q, stop):
        out = np.empty(int(first_set[stop] - first_set[q]))
        kernels.support_bounds(X, row_ptr, row_ones, pos_w, neg_w, 1.0 / problem.n_samples,
                               lo, hi, size, prefixes[q:stop], float(cutoff),
                               MAX_NEWTON_ITERATIONS, out)
        return out

    with Parallel(n_jobs=n_workers, prefer="threads") as parallel:
        for first in range(0, len(chunks), n_workers):
            if time.perf_counter() >= deadline or stop_requested():
                result.complete = False
                break
            batch = chunks[first:first + n_workers]
            outs = parallel(delayed(bound_chunk)(q, stop) for q, stop in batch)
            for (q, stop), out in zip(batch, outs):
                _collect_survivors(result, out, cutoff, q, stop, per_prefix, prefixes, lasts,
                                   d, size)
    result.survivors.sort()
    if result.survivors:
        result.lower_bound = min(result.lower_bound, result.survivors[0][0])
    if not result.complete:  # sets never bounded could hold anything down to the root bound
        result.lower_bound = -np.inf
    result.seconds = time.perf_counter() - start
    return result


def solve_by_supports(scip, problem, incumbent_lam, *, time_limit=None, gap_tolerance=0.0,
                      verbose=0, seed=0, stop_requested=lambda: False, n_jobs=None):
    """Certify (or improve) ``incumbent_lam`` by the decomposition.

    Bounds every feature set against the incumbent's objective, then lets SCIP solve the
    surviving sets one at a time, lowest bound first, each with the incumbent as an
    objective limit, so that a set either yields a better card or is proven unable to.
    Returns a :class:`~glassbox.scoring._scip.SolveResult` over the full problem and the
    :class:`SupportBounds` of the first phase.
    """
    from glassbox.scoring._scip import SolveResult, solve

    start = time.perf_counter()
    deadline = np.inf if time_limit is None else start + time_limit
    best = np.asarray(incumbent_lam, dtype=np.int64)
    best_objective = problem.objective(best)
    bounds = bound_supports(problem, best_objective, deadline=deadline,
                            stop_requested=stop_requested, n_jobs=n_jobs)
    if not bounds.complete:
        status = "interrupted" if stop_requested() else "time_limit"
        return SolveResult(best, best_objective, problem.loss_bounds()[0], status, 0), bounds
    open_bounds = [bound for bound, _ in bounds.survivors]
    nodes = 0
    status = "optimal"
    for k, (bound, support) in enumerate(bounds.survivors):
        if bound >= best_objective - _closing_slack(best_objective, gap_tolerance):
            open_bounds = []
            break
        if stop_requested() or time.perf_counter() >= deadline:
            status = "interrupted" if stop_requested() else "time_limit"
            break
        sub = problem.restrict(list(support))
        inside = np.r_[0, np.asarray(support) + 1]
        outside = np.ones(problem.n_coefs, dtype=bool)
        outside[inside] = False
        # the incumbent is a warm start of this set only if it uses no other feature
        starts = [] if best[outside].any() else [best[inside]]
        left = None if time_limit is None else deadline - time.perf_counter()
        result = solve(scip, sub, warm_starts=starts, time_limit=left,
                       verbose=verbose, seed=seed, objective_limit=best_objective)
        nodes += result.nodes
        if result.objective < best_objective - 1e-12:
            best = np.zeros(problem.n_coefs, dtype=np.int64)
            best[inside] = result.coefficients
            best_objective = problem.objective(best)
        if result.status != "optimal":  # SCIP ran out of time inside this set
            open_bounds = [max(bound, result.lower_bound)] + open_bounds[k + 1:]
            status = result.status
            break
        open_bounds = open_bounds[k + 1:]
    lower = min([best_objective, *open_bounds])
    if status == "optimal" and lower < best_objective:
        status = "gap_limit"  # stopped by gap_tolerance with sets left open
    return SolveResult(best, best_objective, lower, status, nodes), bounds


def _closing_slack(objective: float, gap_tolerance: float) -> float:
    """How far below the incumbent a bound may be and still close its feature set.

    Besides ``gap_tolerance``, a relative 1e-9 absorbs the rounding of the floating-point
    bounds (SCIP's own tolerances are larger).
    """
    return abs(objective) * max(gap_tolerance, 1e-9)
