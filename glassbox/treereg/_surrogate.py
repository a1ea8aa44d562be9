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

from glassbox._deps import import_optional


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
    coefficients = np.zeros((n_samples, n_snapshots))
    for row in coefficients:
        chosen = rng.choice(n_snapshots, size=k, replace=False)
        row[chosen] = rng.dirichlet(np.ones(k))
    return coefficients @ snapshots, coefficients


def r2_score(truth, predicted) -> float:
    """Coefficient of determination; -inf-safe: a constant truth gives 0 unless exact."""
    truth = np.asarray(truth, dtype=float)
    residual = float(np.sum((truth - predicted) ** 2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


class APLSurrogate:
    """One-hidden-layer MLP from flattened network weights to APL (torch).

    Inputs and target are standardized with the statistics of the current
    training set; the model is warm-started across refits.

    Parameters
    ----------
    n_weights : int
    hidden : int
        Hidden units.
    generator : torch.Generator
        Source of the initial weights.
    """

    def __init__(self, n_weights: int, *, hidden: int = 25, generator=None,
                 learning_rate: float = 0.01, weight_decay: float = 1e-2):
        torch = import_optional("torch", purpose="TreeRegularizedClassifier")
        self._torch = torch
        bound = 1.0 / np.sqrt(n_weights)
        dt = torch.float64
        self.params = [
            torch.empty(hidden, n_weights, dtype=dt).uniform_(-bound, bound, generator=generator),
            torch.zeros(hidden, dtype=dt),
            torch.empty(1, hidden, dtype=dt).uniform_(-1 / np.sqrt(hidden), 1 / np.sqrt(hidden),
                                                      generator=generator),
            torch.zeros(1, dtype=dt),
        ]
        self.optimizer = torch.optim.Adam(self.params, lr=learning_rate,
                                          weight_decay=weight_decay, foreach=True)
        self.x_mean = self.x_scale = None
        self.y_mean, self.y_scale = 0.0, 1.0

    def _standardized_output(self, Z):
        W1, b1, W2, b2 = self.params
        return (self._torch.tanh(Z @ W1.T + b1) @ W2.T + b2).squeeze(-1)

    def __call__(self, weights):
        """Predicted APL of a flattened weight tensor (differentiable in the weights)."""
        Z = (weights - self.x_mean) / self.x_scale
        return self._standardized_output(Z) * self.y_scale + self.y_mean

    def predict(self, weights) -> np.ndarray:
        torch = self._torch
        with torch.no_grad():
            return self(torch.as_tensor(np.asarray(weights, dtype=float))).numpy()

    def fit(self, weights, apl, *, steps: int | None = None) -> APLSurrogate:
        """Full-batch Adam on standardized (weights, APL) pairs.

        ``steps`` defaults to 300 for the first fit and 150 for warm-started refits
        (60 left the held-out R^2 on the parabola at 0.76, 150 reached 0.86).
        """
        torch = self._torch
        if steps is None:
            steps = 300 if self.x_mean is None else 150
        W = np.asarray(weights, dtype=float)
        y = np.asarray(apl, dtype=float)
        self.x_mean = torch.as_tensor(W.mean(axis=0))
        # Floor each input's scale at the typical one: a weight that barely moved in
        # the history would otherwise get a huge, meaningless penalty gradient.
        spread = W.std(axis=0)
        self.x_scale = torch.as_tensor(np.maximum(spread, max(np.median(spread), 1e-8)))
        self.y_mean = float(y.mean())
        self.y_scale = float(max(y.std(), 1e-8))
        Z = (torch.as_tensor(W) - self.x_mean) / self.x_scale
        for p in self.params:
            p.requires_grad_(True)
        target = torch.as_tensor((y - self.y_mean) / self.y_scale)
        for _ in range(steps):
            self.optimizer.zero_grad()
            loss = torch.mean((self._standardized_output(Z) - target) ** 2)
            loss.backward()
            self.optimizer.step()
        for p in self.params:  # the network's loss must not move the surrogate
            p.requires_grad_(False)
            p.grad = None
        return self
