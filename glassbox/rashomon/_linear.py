"""Closed-form Rashomon ellipsoids of ridge and logistic regression.

Near its optimum ``theta*`` a smooth loss is ``L(theta) ~ L* + 1/2 d' H d`` with
``d = theta - theta*`` and ``H`` the Hessian (exact for ridge, the Laplace
approximation for logistic regression), so the set ``{theta : L(theta) <= L* +
epsilon}`` is the ellipsoid ``d' H d <= 2 epsilon``, whose volume is
``V_p (2 epsilon)^(p/2) / sqrt(det H)`` with ``V_p`` the volume of the unit
``p``-ball. The loss is the estimator's own objective divided by ``n``:

* ``Ridge``: ``(||y - X w - b||^2 + alpha ||w||^2) / n``;
* ``LogisticRegression`` (L2 or no penalty): ``mean log-loss + ||w||^2 / (2 C n)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, gammaln

LINEAR_MODELS = ("LogisticRegression", "Ridge", "LinearRegression")


def _design(X, fit_intercept: bool) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    return np.column_stack([X, np.ones(len(X))]) if fit_intercept else X


def _parameters(model) -> np.ndarray:
    coef = np.ravel(model.coef_)
    return np.concatenate([coef, np.ravel(model.intercept_)]) if model.fit_intercept else coef


def linear_loss(model, X, y, theta) -> np.ndarray:
    """The normalized training objective at one or many parameter vectors ``theta (k, p)``."""
    name = type(model).__name__
    A = _design(X, model.fit_intercept)
    theta = np.atleast_2d(theta)
    n_coef = np.ravel(model.coef_).size
    weights = theta[:, :n_coef]
    scores = A @ theta.T  # (n, k)
    if name == "LogisticRegression":
        target = (np.asarray(y) == model.classes_[1]).astype(float)[:, None]
        loss = np.mean(np.logaddexp(0, scores) - target * scores, axis=0)
        if model.penalty is not None and model.penalty != "none":
            loss = loss + (weights ** 2).sum(axis=1) / (2 * model.C * len(A))
        return loss
    residual = np.asarray(y, dtype=float)[:, None] - scores
    alpha = getattr(model, "alpha", 0.0)
    return ((residual ** 2).sum(axis=0) + alpha * (weights ** 2).sum(axis=1)) / len(A)


def linear_hessian(model, X) -> np.ndarray:
    name = type(model).__name__
    A = _design(X, model.fit_intercept)
    n, p = A.shape
    n_coef = np.ravel(model.coef_).size
    penalty = np.zeros(p)
    if name == "LogisticRegression":
        prob = expit(A @ _parameters(model))
        curvature = prob * (1 - prob)
        if model.penalty is not None and model.penalty != "none":
            penalty[:n_coef] = 1.0 / (model.C * n)
        return (A * curvature[:, None]).T @ A / n + np.diag(penalty)
    penalty[:n_coef] = 2.0 * getattr(model, "alpha", 0.0) / n
    return 2.0 * A.T @ A / n + np.diag(penalty)


class Ellipsoid:
    """``{theta : 1/2 (theta - center)' H (theta - center) <= epsilon}``.

    Parameters
    ----------
    center : ndarray (p,)
    hessian : ndarray (p, p), positive definite
    epsilon : float
        Loss slack (in the units of the normalized loss).
    """

    def __init__(self, center, hessian, epsilon):
        self.center = np.asarray(center, dtype=float)
        self.hessian = np.asarray(hessian, dtype=float)
        self.epsilon = float(epsilon)
        try:
            self._cholesky = np.linalg.cholesky(self.hessian)
        except np.linalg.LinAlgError:
            raise ValueError("The loss is flat in some direction at the optimum (singular "
                             "Hessian): the Rashomon set is unbounded. Add regularization or "
                             "drop collinear features.") from None

    @property
    def dimension(self) -> int:
        return self.center.size

    @property
    def log_volume(self) -> float:
        """Natural log of the ellipsoid's volume (``-inf`` when epsilon is 0)."""
        p = self.dimension
        if self.epsilon <= 0:
            return -math.inf
        log_unit_ball = (p / 2) * math.log(math.pi) - gammaln(p / 2 + 1)
        log_det = 2 * np.log(np.diag(self._cholesky)).sum()
        return float(log_unit_ball + (p / 2) * math.log(2 * self.epsilon) - log_det / 2)

    def contains(self, theta) -> np.ndarray:
        delta = np.atleast_2d(theta) - self.center
        return 0.5 * np.einsum("kp,pq,kq->k", delta, self.hessian, delta) <= self.epsilon

    def sample(self, n: int, rng) -> np.ndarray:
        """``n`` parameter vectors uniform in the ellipsoid."""
        p = self.dimension
        direction = rng.standard_normal((n, p))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        radius = rng.random(n) ** (1.0 / p) * math.sqrt(2 * max(self.epsilon, 0.0))
        # H = L L'; d = L'^-1 u gives d' H d = |u|^2
        delta = np.linalg.solve(self._cholesky.T, (direction * radius[:, None]).T).T
        return self.center + delta

    def ranges(self) -> np.ndarray:
        """Per parameter, the half-width of its range over the ellipsoid."""
        inverse = np.linalg.inv(self.hessian)
        return np.sqrt(2 * max(self.epsilon, 0.0) * np.diag(inverse))
