"""The RiskSLIM problem in numpy: merged data, the loss, bounds and the discrete heuristics.

Everything here is solver-free, so the heuristics that feed SCIP incumbents and the
brute-force checks in the tests share one definition of the objective::

    objective(lam) = sum_i w_i log(1 + exp(-y_i (lam_0 + x_i . lam_1:))) + c0 * ||lam_1:||_0

with ``w_i`` the multiplicity of row ``i`` divided by the number of samples (duplicate
rows are merged before solving) and ``y_i`` in {-1, +1}. Coordinate 0 is the intercept.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.special import expit


class ScoreProblem:
    """Data and constraints of one score-card fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Feature values used as numbers (binary features are 0/1).
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.
    lower, upper : ndarray of shape (n_features + 1,)
        Integer bounds per coordinate, intercept first. ``lower <= 0 <= upper`` for the
        features (a feature can always be left out).
    c0 : float
        Price of one nonzero feature coefficient.
    max_features : int
        At most this many nonzero feature coefficients.
    groups : list of (ndarray of int, int)
        ``(feature indices, k)``: at most ``k`` of those features are used.
    """

    def __init__(self, X, y, lower, upper, c0, max_features, groups=()):
        X = np.asarray(X, dtype=float)
        n_samples = len(X)
        signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
        signed = signs[:, None] * np.column_stack([np.ones(n_samples), X])
        self._merge(signed, np.ones(n_samples), n_samples)
        self.lower = np.asarray(lower, dtype=np.int64)
        self.upper = np.asarray(upper, dtype=np.int64)
        self.c0 = float(c0)
        self.max_features = int(max_features)
        self.groups = [(np.asarray(idx, dtype=np.intp), int(k)) for idx, k in groups]
        # the heuristics return their best so far after this perf_counter time, or once
        # stop_requested() (Ctrl-C) says so
        self.deadline = np.inf
        self.stop_requested = lambda: False

    def restrict(self, features) -> ScoreProblem:
        """The same problem with only ``features`` (indices into the features) usable.

        Rows that become identical on those features are merged again; the groups keep
        their members among ``features``.
        """
        features = np.asarray(features, dtype=np.intp)
        columns = np.r_[0, features + 1]
        position = {int(f): k for k, f in enumerate(features)}
        groups = [([position[int(i)] for i in idx if int(i) in position], k)
                  for idx, k in self.groups]
        sub = object.__new__(ScoreProblem)
        sub._merge(self.Z[:, columns], self.row_counts(), self.n_samples)
        sub.__dict__.update(lower=self.lower[columns], upper=self.upper[columns], c0=self.c0,
                            max_features=min(self.max_features, len(features)),
                            groups=[(np.asarray(idx, dtype=np.intp), k) for idx, k in groups],
                            deadline=self.deadline, stop_requested=self.stop_requested)
        return sub

    def _merge(self, signed_rows, counts, n_samples) -> None:
        """Merge identical signed rows (``Z``); ``weights`` are their counts / n_samples."""
        self.Z, inverse = np.unique(signed_rows, axis=0, return_inverse=True)
        self.weights = np.bincount(inverse.ravel(), weights=counts,
                                   minlength=len(self.Z)) / n_samples
        self.n_samples = n_samples
        self.n_coefs = self.Z.shape[1]

    def row_counts(self) -> np.ndarray:
        """How many samples each merged row stands for (whole numbers, as floats)."""
        return np.rint(self.weights * self.n_samples)

    def out_of_time(self) -> bool:
        return time.perf_counter() >= self.deadline or self.stop_requested()

    # -- the objective ---------------------------------------------------------
    def margins(self, lam) -> np.ndarray:
        lam = np.asarray(lam, dtype=float)
        used = np.flatnonzero(lam)
        if 2 * len(used) < len(lam):  # score cards are sparse: skip the zero columns
            return self.Z[:, used] @ lam[used]
        return self.Z @ lam

    def loss_from_margins(self, margins) -> float:
        return float(self.weights @ np.logaddexp(0.0, -margins))

    def loss(self, lam) -> float:
        return self.loss_from_margins(self.margins(lam))

    def loss_and_gradient(self, lam) -> tuple[float, np.ndarray]:
        margins = self.margins(lam)
        gradient = -(self.Z.T @ (self.weights * expit(-margins)))
        return self.loss_from_margins(margins), gradient

    def objective(self, lam) -> float:
        lam = np.asarray(lam)
        return self.loss(lam) + self.c0 * int(np.count_nonzero(lam[1:]))

    # -- feasibility -----------------------------------------------------------
    def support_feasible(self, used) -> bool:
        """Whether a set of used features (bool mask over features) meets L0 and groups."""
        used = np.asarray(used, dtype=bool)
        if used.sum() > self.max_features:
            return False
        return all(used[idx].sum() <= k for idx, k in self.groups)

    def is_feasible(self, lam) -> bool:
        lam = np.asarray(lam)
        in_box = bool(np.all(lam >= self.lower) and np.all(lam <= self.upper))
        return in_box and self.support_feasible(lam[1:] != 0)

    # -- bounds on the loss (RiskSLIM's L_min / L_max) ------------------------------
    def margin_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest margin each merged row can reach over the feasible set."""
        feats = self.Z[:, 1:]
        best = np.maximum(np.maximum(feats * self.lower[1:], feats * self.upper[1:]), 0.0)
        worst = np.minimum(np.minimum(feats * self.lower[1:], feats * self.upper[1:]), 0.0)
        k = min(self.max_features, feats.shape[1])
        top = -np.sort(-best, axis=1)[:, :k].sum(axis=1)
        bottom = np.sort(worst, axis=1)[:, :k].sum(axis=1)
        icpt = self.Z[:, 0]
        top = top + np.maximum(icpt * self.lower[0], icpt * self.upper[0])
        bottom = bottom + np.minimum(icpt * self.lower[0], icpt * self.upper[0])
        return bottom, top

    def loss_bounds(self) -> tuple[float, float]:
        bottom, top = self.margin_range()
        return self.loss_from_margins(top), self.loss_from_margins(bottom)

    # -- discrete heuristics ---------------------------------------------------------
    def _candidate_values(self, lam, j) -> np.ndarray:
        """Integer values coordinate j may take given the rest of lam (support rules)."""
        lo, hi = int(self.lower[j]), int(self.upper[j])
        if j > 0 and lam[j] == 0:
            used = lam[1:] != 0
            used[j - 1] = True
            if not self.support_feasible(used):
                return np.zeros(1, dtype=np.int64)
        return np.arange(lo, hi + 1, dtype=np.int64)

    def _rows_touched(self, j):
        """Rows whose margin depends on coordinate j, or None when that is most rows."""
        if not hasattr(self, "_touched"):
            self._touched = [None] * self.n_coefs
            for k in range(self.n_coefs):
                rows = np.flatnonzero(self.Z[:, k])
                if 2 * len(rows) < len(self.Z):  # sparse (e.g. one-hot) columns
                    self._touched[k] = rows
        return self._touched[j]

    def _line_objectives(self, margins, lam, j, values) -> np.ndarray:
        rows = self._rows_touched(j)
        if rows is None:
            shift = np.outer(self.Z[:, j], values - lam[j])
            losses = self.weights @ np.logaddexp(0.0, -(margins[:, None] + shift))
        else:  # only the touched rows change: update the current loss on those
            sub, weights = margins[rows], self.weights[rows]
            unchanged = self.loss_from_margins(margins) - weights @ np.logaddexp(0.0, -sub)
            shift = np.outer(self.Z[rows, j], values - lam[j])
            losses = unchanged + weights @ np.logaddexp(0.0, -(sub[:, None] + shift))
        if j > 0:
            losses = losses + self.c0 * (values != 0)
        return losses

    def _best_value(self, margins, lam, j) -> tuple[int, float]:
        """Best integer value of coordinate j with the others fixed, and its objective term."""
        values = self._candidate_values(lam, j)
        if len(values) <= 64:
            scores = self._line_objectives(margins, lam, j, values)
            k = int(np.argmin(scores))
            return int(values[k]), float(scores[k])
        # the loss is convex along a coordinate: binary search for the first upturn
        # (only the intercept has wide ranges, and it carries no L0 price)
        f = lambda v: float(self._line_objectives(margins, lam, j, np.array([v]))[0])  # noqa: E731
        lo, hi = int(values[0]), int(values[-1])
        while lo < hi:
            mid = (lo + hi) // 2
            if f(mid + 1) >= f(mid):
                hi = mid
            else:
                lo = mid + 1
        best, best_score = lo, f(lo)
        if j > 0 and best != 0:
            zero_score = f(0)
            if zero_score <= best_score:
                best, best_score = 0, zero_score
        return best, best_score

    def polish(self, lam, max_sweeps: int = 50) -> np.ndarray:
        """Discrete coordinate descent: move one coordinate at a time to its best integer."""
        lam = np.array(lam, dtype=np.int64)
        margins = self.margins(lam)
        for _ in range(max_sweeps):
            improved = False
            for j in range(self.n_coefs):
                current = self.loss_from_margins(margins) + (
                    self.c0 * (lam[j] != 0) if j > 0 else 0.0)
                value, score = self._best_value(margins, lam, j)
                if value != lam[j] and score < current - 1e-12:
                    margins += self.Z[:, j] * (value - lam[j])
                    lam[j] = value
                    improved = True
            if not improved or self.out_of_time():
                break
        return lam

    def round(self, lam_real) -> np.ndarray:
        """A feasible integer point near a real one.

        Keeps the largest coefficients (relative to their bounds) that the support
        rules allow, then rounds each kept coordinate up or down, whichever gives the
        lower loss given the coordinates already rounded (sequential rounding).
        """
        lam_real = np.clip(np.asarray(lam_real, dtype=float), self.lower, self.upper)
        scale = np.maximum(np.maximum(np.abs(self.lower[1:]), np.abs(self.upper[1:])), 1)
        order = np.argsort(-np.abs(lam_real[1:]) / scale, kind="stable")
        used = np.zeros(self.n_coefs - 1, dtype=bool)
        for j in order:
            if lam_real[j + 1] == 0:
                break
            used[j] = True
            if not self.support_feasible(used):
                used[j] = False
        lam = np.where(np.concatenate([[True], used]), lam_real, 0.0)
        fractional = [j for j in range(self.n_coefs) if lam[j] != np.floor(lam[j])]
        for j in fractional:
            down, up = np.floor(lam[j]), np.ceil(lam[j])
            lam[j] = down
            loss_down = self.loss(lam)
            lam[j] = up
            if loss_down <= self.loss(lam):
                lam[j] = down
        return lam.astype(np.int64)

    def swap(self, lam, max_rounds: int = 10, tries: int = 2) -> np.ndarray:
        """Replace a used feature by an unused one when that lowers the objective.

        For each used feature, every unused one is scored at its best integer value with
        the rest fixed (one vectorized line search each); only the ``tries`` best
        replacements are polished, which keeps a round linear in the number of features.
        """
        lam = self.polish(lam)
        best = self.objective(lam)
        for _ in range(max_rounds):
            improved = False
            for out in np.flatnonzero(lam[1:]) + 1:
                base = lam.copy()
                base[out] = 0
                margins = self.margins(base)
                scored = []
                for j in range(1, self.n_coefs):
                    if j != out and base[j] == 0:
                        value, score = self._best_value(margins, base, j)
                        if value != 0:
                            scored.append((score, j, value))
                for _, j, value in sorted(scored)[:tries]:
                    trial = base.copy()
                    trial[j] = value
                    trial = self.polish(trial)
                    score = self.objective(trial)
                    if score < best - 1e-12:
                        lam, best, improved = trial, score, True
                        break
                if improved or self.out_of_time():
                    break
            if not improved or self.out_of_time():
                break
        return lam

    def fit_support(self, support, start=None) -> np.ndarray:
        """Box-constrained continuous logistic regression on a support (intercept included)."""
        from scipy.optimize import minimize

        support = np.asarray(support, dtype=np.intp)
        lam = np.zeros(self.n_coefs)

        def loss_and_grad(values):
            lam[support] = values
            loss, gradient = self.loss_and_gradient(lam)
            return loss, gradient[support]

        x0 = np.zeros(len(support)) if start is None else np.asarray(start, float)[support]
        result = minimize(loss_and_grad, x0, jac=True, method="L-BFGS-B",
                          bounds=list(zip(self.lower[support], self.upper[support])),
                          options={"maxiter": 200})
        lam[:] = 0.0
        lam[support] = result.x
        return lam

    def beam_search(self, beam_width: int = 5) -> np.ndarray:
        """Integer warm start: grow supports by beam search, refit, round, polish.

        Each beam is a support with its continuous fit; it is extended by the features
        whose best single integer value lowers the loss most, the extensions are refit,
        and the ``beam_width`` best supports survive (the search FasterRisk popularised,
        here with multiplier 1). Every surviving fit is rounded and polished.
        """
        empty = (0,)
        beams = {empty: self.fit_support(empty)}
        best = self.polish(self.round(beams[empty]))
        for _ in range(self.max_features):
            grown = {}
            for support, lam_real in beams.items():
                margins = self.margins(lam_real)
                used = np.zeros(self.n_coefs - 1, dtype=bool)
                used[np.asarray(support[1:], dtype=np.intp) - 1] = True
                scored = []
                for j in range(1, self.n_coefs):
                    if used[j - 1]:
                        continue
                    used[j - 1] = True
                    if self.support_feasible(used):
                        values = np.arange(self.lower[j], self.upper[j] + 1)
                        scored.append((float(self._line_objectives(
                            margins, np.zeros(self.n_coefs), j, values).min()), j))
                    used[j - 1] = False
                for _, j in sorted(scored)[:beam_width]:
                    key = tuple(sorted((*support, j)))
                    if key not in grown:
                        grown[key] = self.fit_support(key, start=lam_real)
                if self.out_of_time():
                    break
            if not grown:
                break
            ranked = sorted(grown.items(), key=lambda item: self.loss(item[1]))
            beams = dict(ranked[:beam_width])
            last = len(next(iter(beams))) - 1 >= self.max_features or self.out_of_time()
            # polishing is the expensive part: the leading beam on the way, all at the end
            for lam_real in list(beams.values())[:None if last else 1]:
                candidate = self.polish(self.round(lam_real))
                if self.objective(candidate) < self.objective(best):
                    best = candidate
            if self.out_of_time():
                break
        return best

    def cut_points(self, lam_real, n_points: int = 8) -> list[np.ndarray]:
        """Points on the segment from 0 to a real solution, where initial cuts are useful."""
        lam_real = np.asarray(lam_real, dtype=float)
        return [lam_real * t for t in np.linspace(0.0, 1.0, n_points)[1:]]


def conservative_intercept_bound(X, lower, upper, max_features, y) -> int:
    """Intercept range [-b, b] that provably contains an optimal card's intercept.

    RiskSLIM's default (b exceeds any feature score, plus one) can cut off the optimum
    when the classes are unbalanced: with no usable feature the best intercept is the
    log-odds of the base rate. For any points whose scores lie in [-R, R], the mean
    logistic loss is convex in the intercept with its minimum in
    ``logit(mean(y)) +- R``, so widening by ``|logit(mean(y))|`` keeps every optimum.
    """
    X = np.asarray(X, dtype=float)
    reach = np.maximum(np.abs(X * lower), np.abs(X * upper))
    k = min(max_features, X.shape[1])
    top = -np.sort(-reach, axis=1)[:, :k].sum(axis=1) if X.shape[1] else np.zeros(len(X))
    rate = float(np.mean(y))
    log_odds = abs(np.log(rate) - np.log1p(-rate)) if 0.0 < rate < 1.0 else 0.0
    return int(np.ceil(top.max(initial=0.0) + log_odds)) + 1


def solve_relaxation(problem: ScoreProblem, cp) -> np.ndarray | None:
    """The continuous relaxation SCIP's root LP approximates, solved exactly with cvxpy.

    Same constraints as the MILP with the support indicators relaxed to [0, 1]. The tangent
    plane of the loss at this optimum makes the root LP bound equal to the relaxation's
    optimum (by the optimality conditions of the convex program), so SCIP starts from
    the right bound instead of rediscovering it cut by cut. Returns None when the solver
    fails (the caller then only loses the head start).
    """
    d = problem.n_coefs - 1
    lam = cp.Variable(d + 1)
    use = cp.Variable(d)
    loss = problem.weights @ cp.logistic(-(problem.Z @ lam))
    constraints = [lam >= problem.lower, lam <= problem.upper, use >= 0, use <= 1,
                   lam[1:] <= cp.multiply(problem.upper[1:], use),
                   lam[1:] >= cp.multiply(problem.lower[1:], use),
                   cp.sum(use) <= problem.max_features]
    constraints += [cp.sum(use[idx]) <= k for idx, k in problem.groups]
    program = cp.Problem(cp.Minimize(loss + problem.c0 * cp.sum(use)), constraints)
    try:
        with warnings.catch_warnings():  # "may be inaccurate" is fine for a warm start
            warnings.simplefilter("ignore", UserWarning)
            seconds = problem.deadline - time.perf_counter()
            options = {"time_limit": max(seconds, 0.1)} if np.isfinite(seconds) else {}
            program.solve(solver="CLARABEL", **options)
    except Exception:  # noqa: BLE001 - any solver failure just means no warm start
        return None
    if lam.value is None or program.status not in ("optimal", "optimal_inaccurate"):
        return None
    return np.clip(np.asarray(lam.value, dtype=float), problem.lower, problem.upper)
