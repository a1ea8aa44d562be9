"""The Rashomon ratio: how much of the hypothesis space is almost optimal."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import norm

from glassbox._base import make_rng
from glassbox.rashomon._set import RashomonSet
from glassbox.rashomon._trees import TreeSet, uniform_index


@dataclass(frozen=True)
class RashomonRatio:
    """The answer of :func:`rashomon_ratio`.

    Attributes
    ----------
    ratio : float
        Set size / hypothesis space size (volume ratio for ellipsoids).
    low, high : float
        Confidence interval (equal to ``ratio`` when exact).
    method : {"exact", "monte_carlo", "closed_form"}
    set_size, space_size : int or float
        Counts (trees) or None.
    n_draws : int
        Monte Carlo draws (0 when exact).
    pattern_ratio : float or None
        Distinct prediction vectors of the set / of the space, when both could
        be listed.
    """

    ratio: float
    low: float
    high: float
    method: str
    set_size: object = None
    space_size: object = None
    n_draws: int = 0
    pattern_ratio: float | None = None

    def __str__(self) -> str:
        text = f"Rashomon ratio {self.ratio:.4g} ({self.method}"
        if self.method == "monte_carlo":
            text += f", {self.n_draws} draws, interval [{self.low:.4g}, {self.high:.4g}]"
        text += ")"
        if self.set_size is not None and self.space_size is not None:
            text += f": {self.set_size:,} of {self.space_size:,} models"
        if self.pattern_ratio is not None:
            text += f"; pattern ratio {self.pattern_ratio:.4g}"
        return text


def wilson_interval(hits: int, draws: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if draws <= 0:
        return 0.0, 1.0
    z = norm.ppf(0.5 + confidence / 2)
    share = hits / draws
    denominator = 1 + z * z / draws
    center = (share + z * z / (2 * draws)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / draws + z * z / (4 * draws * draws))
    return max(0.0, center - half), min(1.0, center + half)


def rashomon_ratio(estimator, X, y, epsilon=0.01, *, bound="additive", method="auto",
                   n_draws=2000, confidence=0.95, box_radius=1.0, patterns=True,
                   max_patterns=200_000, random_state=None) -> RashomonRatio:
    """Ratio of the Rashomon set to its hypothesis space.

    Parameters
    ----------
    estimator : SparseTreeClassifier, LogisticRegression, Ridge or LinearRegression
        Model class and hyper-parameters. Trees need ``max_depth`` set: the
        hypothesis space is every tree of that depth on the binary features
        (counted with the same semantics as the set).
    X, y : training data
    epsilon : float, default=0.01
    bound : {"additive", "multiplicative", "absolute"}
    method : {"auto", "exact", "monte_carlo"}, default="auto"
        Trees: ``"exact"`` counts both sets by dynamic programming;
        ``"monte_carlo"`` draws trees uniformly from the space. Linear models:
        ``"exact"`` is the closed-form ellipsoid volume over the volume of the
        box ``center +- box_radius``; ``"monte_carlo"`` draws parameters
        uniformly in that box and checks the true loss. ``"auto"``: exact.
    n_draws : int, default=2000
    confidence : float, default=0.95
        Level of the Wilson interval.
    box_radius : float, default=1.0
        Half-width of the parameter box (linear models).
    patterns : bool, default=True
        Trees: also compute the pattern Rashomon ratio when both pattern sets
        have at most ``max_patterns`` elements.
    random_state : int, Generator or None

    Returns
    -------
    RashomonRatio
    """
    if method not in ("auto", "exact", "monte_carlo"):
        raise ValueError(f"method must be 'auto', 'exact' or 'monte_carlo', got {method!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    rashomon = RashomonSet(estimator, epsilon=epsilon, bound=bound).fit(X, y)
    rng = make_rng(random_state)
    if rashomon.kind_ == "trees":
        return _tree_ratio(rashomon, method, n_draws, confidence, patterns, max_patterns, rng)
    if rashomon.kind_ == "ellipsoid":
        return _linear_ratio(rashomon, X, y, method, n_draws, confidence, box_radius, rng)
    raise TypeError(f"rashomon_ratio needs trees or a linear model; {rashomon.kind_} sets "
                    "have no hypothesis space to count here.")


def hypothesis_space(rashomon: RashomonSet) -> TreeSet:
    """Every tree of the set's depth on the same binary features (an unbounded budget)."""
    if rashomon._template.max_depth is None:
        raise ValueError("The ratio of trees needs a finite max_depth: with no depth limit "
                         "the hypothesis space is not counted.")
    space = rashomon._space
    everything = (space.n_samples * space.error_cost
                  + 2 ** (rashomon._template.max_depth + 1) * space.leaf_cost)
    return TreeSet(space, rashomon._trees.depth, everything)


def _tree_ratio(rashomon, method, n_draws, confidence, patterns, max_patterns, rng):
    whole = hypothesis_space(rashomon)
    pattern_ratio = None
    if patterns:
        try:
            pattern_ratio = (len(rashomon._trees.patterns(max_patterns))
                             / len(whole.patterns(max_patterns)))
        except ValueError:
            pattern_ratio = None
    if method == "monte_carlo":
        estimate = monte_carlo_ratio(rashomon.size_, whole.size, n_draws, confidence, rng)
        return replace(estimate, pattern_ratio=pattern_ratio)
    ratio = rashomon.size_ / whole.size
    return RashomonRatio(ratio, ratio, ratio, "exact", rashomon.size_, whole.size, 0,
                         pattern_ratio)


def monte_carlo_ratio(set_size: int, space_size: int, n_draws: int, confidence: float,
                      rng) -> RashomonRatio:
    """Estimate ``set_size / space_size`` from ``n_draws`` uniform trees of the space.

    The space's trees are indexed best objective first (as ``TreeSet.tree`` does),
    so a uniform index is a uniform tree, and it is in the set iff the index is
    below the set's size.
    """
    if space_size < 2**62:
        hits = int(np.count_nonzero(rng.integers(space_size, size=n_draws) < set_size))
    else:
        hits = sum(uniform_index(rng, space_size) < set_size for _ in range(n_draws))
    low, high = wilson_interval(hits, n_draws, confidence)
    return RashomonRatio(hits / n_draws, low, high, "monte_carlo", set_size, space_size,
                         n_draws)


def _linear_ratio(rashomon, X, y, method, n_draws, confidence, box_radius, rng):
    from glassbox.rashomon._linear import linear_loss

    ellipsoid = rashomon.ellipsoid_
    p = ellipsoid.dimension
    log_box = p * math.log(2 * box_radius)
    if method == "monte_carlo":
        theta = ellipsoid.center + rng.uniform(-box_radius, box_radius, size=(n_draws, p))
        loss = linear_loss(rashomon.best_estimator_, X, y, theta)
        hits = int(np.sum(loss <= rashomon.objective_bound_))
        low, high = wilson_interval(hits, n_draws, confidence)
        return RashomonRatio(hits / n_draws, low, high, "monte_carlo", n_draws=n_draws)
    ratio = math.exp(min(0.0, rashomon.log_volume_ - log_box))
    return RashomonRatio(ratio, ratio, ratio, "closed_form")
