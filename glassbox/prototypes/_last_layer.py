"""The last layer of a pushed prototype network, solved as the convex problem it is.

After push the prototype similarities ``S`` (n, P) are fixed, so choosing the
class connections ``W`` (K, P) is a convex problem:

    minimize  mean_i [ logsumexp(S_i W^T) - (S_i W^T)_{y_i} ]
              + l1 * sum_{(k, j) wrong class} |W_kj| + (l2 / 2) * ||W - A||^2

The small ridge term ``l2`` makes the minimum exist and unique (without it the
own-class connections of separable training data grow without bound) and gives
a certificate: for a ``l2``-strongly convex objective, ``f(W) - f* <= r^2 / (2 l2)``
where ``r`` is the norm of the minimal subgradient at ``W``. The ridge pulls
toward an anchor ``A``: 0 (the plain ridge), or the connections the network
learned jointly with its features, which keeps the solution near the layer the
features were trained for (see the estimator's ``last_layer_anchor``).

The solver splits every wrong-class connection into ``pos - neg`` with both
parts non-negative, which makes the objective smooth with simple bounds, and
runs L-BFGS-B to a tight tolerance. ``solve_last_layer_cvxpy`` solves the same
problem with cvxpy (CLARABEL) and serves as an independent check.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from glassbox._base import Certificate

MAX_RESTARTS = 20


def own_class_mask(prototype_class: np.ndarray, n_classes: int) -> np.ndarray:
    """Bool (K, P): True where prototype j belongs to class k."""
    return np.arange(n_classes)[:, None] == np.asarray(prototype_class)[None, :]


def initial_weights(prototype_class: np.ndarray, n_classes: int) -> np.ndarray:
    """The published start: +1 to the prototype's own class, -0.5 to the others."""
    return np.where(own_class_mask(prototype_class, n_classes), 1.0, -0.5)


def _smooth_part(W, S, y):
    """Mean cross-entropy of logits ``S W^T`` and its gradient with respect to W."""
    logits = S @ W.T
    top = logits.max(axis=1)
    # By hand: scipy's logsumexp costs more than the rest together on these small arrays.
    log_norm = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    loss = float(np.mean(log_norm - logits[np.arange(len(y)), y]))
    probs = np.exp(logits - log_norm[:, None])
    probs[np.arange(len(y)), y] -= 1.0
    return loss, probs.T @ S / len(y)


def last_layer_objective(W, S, y, own_mask, l1, l2, anchor=None) -> float:
    """The convex objective above, evaluated at ``W`` (``anchor`` None: A = 0)."""
    loss, _ = _smooth_part(W, S, y)
    offset = W if anchor is None else W - anchor
    return (loss + l1 * float(np.abs(W[~own_mask]).sum())
            + 0.5 * l2 * float((offset * offset).sum()))


def minimal_subgradient_norm(W, S, y, own_mask, l1, l2, anchor=None) -> float:
    """Norm of the smallest subgradient of the objective at ``W`` (0 at the optimum)."""
    _, grad = _smooth_part(W, S, y)
    grad = grad + l2 * (W if anchor is None else W - anchor)
    wrong = ~own_mask
    at_zero = wrong & (W == 0)
    residual = grad.copy()
    residual[wrong & ~at_zero] += l1 * np.sign(W[wrong & ~at_zero])
    residual[at_zero] = np.maximum(np.abs(grad[at_zero]) - l1, 0.0)
    return float(np.linalg.norm(residual))


def solve_last_layer(S, y, own_mask, *, l1, l2, anchor=None, max_iter=5000, tol=1e-10):
    """Minimize the last-layer objective exactly (L-BFGS-B on the split variables).

    Parameters
    ----------
    S : ndarray of shape (n, P)
        Prototype similarities of the training images.
    y : ndarray of shape (n,)
        Class indices.
    own_mask : bool ndarray of shape (K, P)
        Own-class connections (not penalized by ``l1``).
    l1, l2 : float
        L1 weight on wrong-class connections; ridge weight on all (``l2 > 0``).
    anchor : ndarray of shape (K, P) or None
        Centre ``A`` of the ridge (None: 0); also the starting point.

    Returns
    -------
    W : ndarray of shape (K, P)
    certificate : Certificate
        ``optimal`` when the proven gap ``r^2 / (2 l2)`` is within ``1e-6``
        (relative); ``node_limit`` when L-BFGS-B ran out of iterations first.
        ``nodes`` counts L-BFGS-B iterations.
    """
    import time

    start = time.perf_counter()
    S = np.asarray(S, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    K, P = own_mask.shape
    wrong = ~own_mask
    n_own, n_wrong = int(own_mask.sum()), int(wrong.sum())
    W0 = initial_weights(np.argmax(own_mask, axis=0), K) if anchor is None else anchor
    centre = 0.0 if anchor is None else np.asarray(anchor, dtype=float)

    def unpack(x):
        W = np.zeros((K, P))
        W[own_mask] = x[:n_own]
        W[wrong] = x[n_own:n_own + n_wrong] - x[n_own + n_wrong:]
        return W

    def fun(x):
        W = unpack(x)
        loss, grad = _smooth_part(W, S, y)
        offset = W - centre
        grad = grad + l2 * offset
        value = loss + 0.5 * l2 * float((offset * offset).sum()) + l1 * float(x[n_own:].sum())
        return value, np.concatenate([grad[own_mask], grad[wrong] + l1, -grad[wrong] + l1])

    x = np.concatenate([W0[own_mask], np.maximum(W0[wrong], 0), np.maximum(-W0[wrong], 0)])
    bounds = [(None, None)] * n_own + [(0.0, None)] * (2 * n_wrong)
    iterations = 0
    # L-BFGS-B can stall on an ill-conditioned (small l2) problem before the proven gap
    # is small; a restart from the current point (fresh curvature pairs) goes on.
    for _ in range(MAX_RESTARTS):
        # Small dense products: BLAS threads only add synchronisation (badly so when busy).
        with threadpool_limits(1):
            result = minimize(fun, x, jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol,
                                       "maxcor": 30})
        x = result.x
        iterations += int(result.nit)
        W = unpack(x)
        # Connections L-BFGS-B left at rounding level are zeros of the L1 term.
        W[wrong & (np.abs(W) < 1e-12)] = 0.0
        objective = last_layer_objective(W, S, y, own_mask, l1, l2, anchor)
        residual = minimal_subgradient_norm(W, S, y, own_mask, l1, l2, anchor)
        lower_bound = objective - residual**2 / (2 * l2)
        converged = objective - lower_bound <= 1e-6 * max(1.0, abs(objective))
        if converged or iterations >= max_iter:
            break
    certificate = Certificate(status="optimal" if converged else "node_limit",
                              objective=objective, lower_bound=lower_bound,
                              nodes=iterations, seconds=time.perf_counter() - start)
    return W, certificate


def solve_last_layer_cvxpy(S, y, own_mask, *, l1, l2, anchor=None):
    """The same problem with cvxpy (CLARABEL when installed); returns W (K, P)."""
    from glassbox._deps import import_optional

    cp = import_optional("cvxpy", purpose="ProtoPNetClassifier(last_layer_solver='cvxpy')")
    S = np.asarray(S, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    K, P = own_mask.shape
    n = len(y)
    W = cp.Variable((K, P))
    logits = S @ W.T
    onehot = np.zeros((n, K))
    onehot[np.arange(n), y] = 1.0
    wrong = (~own_mask).astype(float)
    objective = (cp.sum(cp.log_sum_exp(logits, axis=1)) - cp.sum(cp.multiply(onehot, logits))) / n
    centre = np.zeros((K, P)) if anchor is None else np.asarray(anchor, dtype=float)
    objective += (l1 * cp.sum(cp.abs(cp.multiply(wrong, W)))
                  + 0.5 * l2 * cp.sum_squares(W - centre))
    problem = cp.Problem(cp.Minimize(objective))
    solver = "CLARABEL" if "CLARABEL" in cp.installed_solvers() else None
    problem.solve(solver=solver)
    if W.value is None:
        raise RuntimeError(f"cvxpy could not solve the last-layer problem: {problem.status}")
    return np.asarray(W.value)


def adam_last_layer(S, y, own_mask, *, l1, l2, anchor=None, epochs=20, learning_rate=1e-2,
                    batch_size=64, random_state=0):
    """The gradient-step baseline: Adam epochs on the same objective (for comparison).

    Starts from the published initialization (or from ``anchor``, the jointly
    trained connections, when given) and uses the subgradient of the L1 term,
    as the official ProtoPNet code does.
    """
    rng = np.random.default_rng(random_state)
    S = np.asarray(S, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    K = own_mask.shape[0]
    W = (initial_weights(np.argmax(own_mask, axis=0), K) if anchor is None
         else np.array(anchor, dtype=float))
    centre = 0.0 if anchor is None else np.asarray(anchor, dtype=float)
    m = np.zeros_like(W)
    v = np.zeros_like(W)
    step = 0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            _, grad = _smooth_part(W, S[batch], y[batch])
            grad = grad + l2 * (W - centre) + l1 * np.sign(W) * ~own_mask
            step += 1
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            W = W - learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return W
