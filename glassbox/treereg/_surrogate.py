"""The APL surrogate: a small network that predicts a network's APL from its weights.

The APL of a tree is piecewise constant in the weights of the network it mimics, so
it has no useful gradient. Wu et al. (2018) train a differentiable surrogate on
(weights, APL) pairs recorded during training and penalize its prediction instead.
A surrogate fitted on the raw snapshots alone generalizes poorly (held-out R^2 about
0.1 on 100 snapshots), so the training set is augmented with random convex
combinations of past weights (Dirichlet(1) coefficients) whose APL is computed
for real, and the penalty is used only once the held-out R^2 is high enough.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from glassbox._deps import import_optional

# Full-batch Adam steps of the first fit and of each warm-started refit (with 60 refit
# steps the held-out R^2 on the parabola stayed at 0.76, with 150 it reached 0.86).
_FIRST_STEPS = 300
_REFIT_STEPS = 150
# Pairs per Adam step once the history holds more than twice as many: by the end of a
# run it holds about a thousand (weights, APL) pairs of 512 inputs each, and full-batch
# steps made the surrogate the largest cost of training. On the parabola benchmark
# (3 seeds, gate shut) held-out R^2 was 0.83 / 0.85 / 0.85 full-batch and
# 0.82 / 0.86 / 0.83 with batches of 128, at about half the time.
_BATCH = 128


def convex_combinations(snapshots, n_samples: int, rng: np.random.Generator, *,
                        n_mix: int = 3):
    """Random convex combinations of weight snapshots.

    Parameters
    ----------
    snapshots : ndarray of shape (n_snapshots, n_weights)
    n_samples : int
        Combinations to draw.
    rng : numpy Generator
    n_mix : int
        Snapshots mixed in each combination (all of them when fewer exist).

    Returns
    -------
    mixtures : ndarray of shape (n_samples, n_weights)
    coefficients : ndarray of shape (n_samples, n_snapshots)
        Non-negative, rows sum to 1 (Dirichlet(1) over the chosen snapshots, 0 elsewhere);
        ``mixtures == coefficients @ snapshots``.
    """
    snapshots = np.asarray(snapshots, dtype=float)
    n_snapshots = len(snapshots)
    if n_snapshots == 0:
        raise ValueError("convex_combinations needs at least one weight snapshot, got none.")
    k = min(n_mix, n_snapshots)
    # k distinct snapshots per row: the first k columns of a random permutation
    chosen = np.argsort(rng.random((n_samples, n_snapshots)), axis=1)[:, :k]
    weights = rng.dirichlet(np.ones(k), size=n_samples)
    coefficients = np.zeros((n_samples, n_snapshots))
    np.put_along_axis(coefficients, chosen, weights, axis=1)
    # only the k chosen rows enter each mixture (the history can hold 10^4 weights x 100s)
    mixtures = np.einsum("sk,skw->sw", weights, snapshots[chosen])
    return mixtures, coefficients


def r2_score(truth, predicted) -> float:
    """Coefficient of determination; -inf-safe: a constant truth gives 0 unless exact."""
    truth = np.asarray(truth, dtype=float)
    residual = float(np.sum((truth - predicted) ** 2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


class APLSurrogate:
    """One-hidden-layer tanh MLP from a network's weights (or outputs) to its APL.

    Trained in numpy float32 with hand-written gradients and Adam: the fit is
    refit dozens of times per training run, and at this size (a few hundred pairs,
    25 hidden units) torch's per-step dispatch costs more than the arithmetic
    (about 3x per step on a busy 2-core machine). Calling the surrogate on a torch
    tensor evaluates the same function in torch, differentiably, for the penalty.

    Inputs and target are standardized with the statistics of the current
    training set; the model (and Adam's moments) are warm-started across refits.

    Parameters
    ----------
    n_weights : int
        Length of the input vector.
    hidden : int
        Hidden units.
    generator : torch.Generator or numpy Generator or int, optional
        Source of the initial weights.
    learning_rate : float
        Adam step size.
    weight_decay : float
        L2 penalty added to the gradient (as torch's Adam ``weight_decay``).
    """

    _BETAS = (0.9, 0.999)
    _EPS = 1e-8

    def __init__(self, n_weights: int, *, hidden: int = 25, generator=None,
                 learning_rate: float = 0.01, weight_decay: float = 1e-2):
        if generator is not None and hasattr(generator, "initial_seed"):  # a torch.Generator
            generator = int(generator.initial_seed())
        rng = np.random.default_rng(generator)
        f32 = np.float32
        self.params = [
            rng.uniform(-1, 1, size=(hidden, n_weights)).astype(f32) / f32(np.sqrt(n_weights)),
            np.zeros(hidden, dtype=f32),
            rng.uniform(-1, 1, size=hidden).astype(f32) / f32(np.sqrt(hidden)),
            np.zeros(1, dtype=f32),
        ]
        self._moments = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]
        self._rng = rng  # draws the mini-batches
        self._adam_steps = 0
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.x_mean = self.x_scale = None
        self.y_mean, self.y_scale = 0.0, 1.0
        self._torch_params = None

    # -- evaluation -----------------------------------------------------------------
    def _standardize(self, weights) -> np.ndarray:
        return ((np.asarray(weights, dtype=np.float32) - self.x_mean) / self.x_scale)

    def predict(self, weights) -> np.ndarray:
        """Predicted APL of each row of ``weights`` (numpy, no gradient)."""
        W1, b1, w2, b2 = self.params
        Z = np.atleast_2d(self._standardize(weights))
        out = np.tanh(Z @ W1.T + b1) @ w2 + b2
        return out.astype(float) * self.y_scale + self.y_mean

    def __call__(self, weights):
        """Predicted APL of a flattened torch tensor (differentiable in it)."""
        key = weights.dtype
        if self._torch_params is None or self._torch_params[0] != key:  # once per refit
            torch = import_optional("torch", purpose="TreeRegularizedClassifier")
            self._torch_params = (key, [torch.as_tensor(a, dtype=key)
                                        for a in (*self.params, self.x_mean, self.x_scale)])
        W1, b1, w2, b2, mean, scale = self._torch_params[1]
        Z = (weights - mean) / scale
        return ((Z @ W1.T + b1).tanh() @ w2 + b2) * self.y_scale + self.y_mean

    # -- training -------------------------------------------------------------------
    def fit(self, weights, apl, *, steps: int | None = None) -> APLSurrogate:
        """Full-batch Adam on standardized (weights, APL) pairs.

        ``steps`` defaults to ``_FIRST_STEPS`` for the first fit and
        ``_REFIT_STEPS`` for warm-started refits.
        """
        if steps is None:
            steps = _FIRST_STEPS if self.x_mean is None else _REFIT_STEPS
        W = np.asarray(weights, dtype=np.float32)
        y = np.asarray(apl, dtype=float)
        self.x_mean = W.mean(axis=0)
        # Floor each input's scale at the typical one: an input that barely moved in
        # the history would otherwise get a huge, meaningless penalty gradient.
        spread = W.std(axis=0)
        self.x_scale = np.maximum(spread, max(float(np.median(spread)), 1e-8)).astype(np.float32)
        self.y_mean = float(y.mean())
        self.y_scale = float(max(y.std(), 1e-8))
        Z = self._standardize(W)
        target = ((y - self.y_mean) / self.y_scale).astype(np.float32)
        # These products are tiny: BLAS threads would spin more than they compute.
        with threadpool_limits(limits=1, user_api="blas"):
            self._adam(Z, target, steps)
        self._torch_params = None
        return self

    def _adam(self, Z, target, steps: int) -> None:
        W1, b1, w2, b2 = self.params
        lr, wd = self.learning_rate, self.weight_decay
        (beta1, beta2), eps = self._BETAS, self._EPS
        batch = _BATCH if len(Z) > 2 * _BATCH else None
        for _ in range(steps):
            if batch is None:
                Zb, tb = Z, target
            else:
                rows = self._rng.integers(len(Z), size=batch)
                Zb, tb = Z[rows], target[rows]
            n = len(Zb)
            H = np.tanh(Zb @ W1.T + b1)
            g_out = (H @ w2 + b2 - tb) * np.float32(2.0 / n)  # d mean-square / d output
            g_pre = np.outer(g_out, w2) * (1 - H * H)
            grads = (g_pre.T @ Zb, g_pre.sum(axis=0), H.T @ g_out, g_out.sum(keepdims=True))
            self._adam_steps += 1
            t = self._adam_steps
            step = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            for p, g, (m, v) in zip(self.params, grads, self._moments):
                g = g + wd * p
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                p -= (step * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2 ** t))).astype(np.float32)
