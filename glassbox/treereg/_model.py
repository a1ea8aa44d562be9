"""Tree-regularized neural networks (Wu et al., AAAI 2018).

A network is trained with

    loss = cross-entropy + strength * surrogate_APL(weights) + l2 * |W|^2 + l1 * |W|_1

where ``surrogate_APL`` predicts, from the flattened weights, the average
decision-path length of the CART tree that mimics the network's predictions on
the training inputs. The result is a network that a short tree can simulate; the
fitted model keeps that tree (``tree_``) as its explanation.
"""

from __future__ import annotations

import hashlib
import math
import numbers

import numpy as np
import pandas as pd

from glassbox._base import (
    Explanation,
    GlassboxClassifier,
    Interval,
    Rendering,
    StrOptions,
    _format_value,
    _jsonable,
    check_numeric,
    conjunction_name,
    make_rng,
)
from glassbox._deps import import_optional
from glassbox.treereg._surrogate import APLSurrogate, convex_combinations, r2_score
from glassbox.treereg._tree import MimicTree, fit_mimic_tree, network_apl

# One (weights, APL) pair in each run of _HELD_OUT_BLOCK consecutive ones, at a random
# place, is held out to measure the surrogate's R^2 (20%): exactly that share, where
# independent coin flips could leave a short run with fewer than two held-out pairs.
_HELD_OUT_BLOCK = 5
# Training rows whose network outputs the surrogate reads (surrogate_input="predictions"):
# all of them up to this many (time steps count as rows, as they do for the tree). The
# APL is a function of the labels on every training row, and every row left out is
# information the surrogate lacks: on the parabola benchmark (400 training rows,
# 3 seeds, gate shut) its held-out R^2 was
# 0.59 / 0.56 / 0.56 with 128 rows, 0.74 / 0.82 / 0.73 with 256 and 0.83 / 0.85 / 0.85
# with all 400.
_PROBE_ROWS = 512
# The tree mimics the network's hard labels, so the surrogate reads sharpened class
# probabilities softmax(_SHARPNESS * logits): close to those labels, yet still
# differentiable near the boundary. On the parabola benchmark (3 seeds, 30 mixtures per
# refit) 30 instead of 10 took the best APL ratio within 2 points from 0.68 to 0.50.
_SHARPNESS = 30.0
# The APL penalty is added on every _PENALTY_EVERY-th batch only, scaled up by as much
# ("lazy regularization", Karras et al., StyleGAN2, 2020): through the probe rows it
# costs several batches' worth of forward/backward passes, and it moves slowly.
_PENALTY_EVERY = 3
# Fewer rows than this: no validation split (fidelity is then measured on training rows).
_MIN_ROWS_FOR_SPLIT = 20


def _torch():
    return import_optional("torch", purpose="TreeRegularizedClassifier")


class _single_thread:
    """Run torch on one intra-op thread, then restore the caller's setting.

    These networks are tiny: thread hand-offs cost more than the arithmetic, ten
    times more on a busy machine.
    """

    def __init__(self, torch):
        self.torch = torch

    def __enter__(self):
        self.saved = self.torch.get_num_threads()
        self.torch.set_num_threads(1)

    def __exit__(self, *exc):
        self.torch.set_num_threads(self.saved)
        return False


def _flatten(torch, params: dict):
    return torch.cat([p.reshape(-1) for p in params.values()])


def _unflatten(flat: np.ndarray, like: dict) -> dict:
    out, start = {}, 0
    for name, array in like.items():
        size = int(np.prod(array.shape))
        out[name] = flat[start:start + size].reshape(array.shape)
        start += size
    return out


def _store_init_args(estimator, args: dict) -> None:
    """Store every ``__init__`` argument as an attribute of the same name (sklearn style)."""
    for name, value in args.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class _TreeRegularizedBase(GlassboxClassifier):
    """Training, the mimicking tree, rendering and JSON shared by the MLP and the GRU."""

    _binary_only = False
    _fitted_attributes = ("network_weights_", "tree_", "apl_")
    _parameter_constraints = {
        "strength": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "strength_grid": ["array-like"],
        "tolerance": [Interval(numbers.Real, 0, 1, closed="both")],
        "l1": [Interval(numbers.Real, 0, None, closed="left")],
        "l2": [Interval(numbers.Real, 0, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "min_samples_leaf": [Interval(numbers.Integral, 1, None, closed="left")],
        "ccp_alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "surrogate_every": [Interval(numbers.Integral, 1, None, closed="left")],
        "augment_size": [Interval(numbers.Integral, 0, None, closed="left")],
        "surrogate_hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_surrogate_r2": [Interval(numbers.Real, None, None, closed="neither")],
        "surrogate_input": [StrOptions({"weights", "predictions"})],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- hooks of the two network kinds ------------------------------------------
    def _network_shapes(self, n_inputs: int, n_classes: int) -> dict:
        raise NotImplementedError

    def _step_logits(self, torch, params: dict, X):
        """Logits at every step, shape (n, T, n_classes), for X of shape (n, T, d)."""
        raise NotImplementedError

    def _network_summary(self, weights: dict) -> str:
        raise NotImplementedError

    # -- input --------------------------------------------------------------------
    def _validate_input(self, X, *, reset: bool):
        return check_numeric(X, self, reset=reset)[:, None, :]

    def _feature_names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    # -- fit ----------------------------------------------------------------------
    def _fit(self, X, y):
        torch = _torch()
        with _single_thread(torch):
            self._fit_networks(torch, X, y)

    def _fit_networks(self, torch, X, y):
        rng = make_rng(self.random_state)
        seeds = rng.integers(0, 2**31 - 1, size=3)  # network, surrogate, augmentation
        n = len(X)
        order = rng.permutation(n)
        n_val = int(round(self.validation_fraction * n)) if n >= _MIN_ROWS_FOR_SPLIT else 0
        val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
        rows = X[train_idx].reshape(-1, X.shape[2])
        self.input_mean_ = rows.mean(axis=0)
        self.input_scale_ = np.where(rows.std(axis=0) > 0, rows.std(axis=0), 1.0)
        data = {"X": X[train_idx], "y": y[train_idx], "X_val": X[val_idx], "y_val": y[val_idx]}

        if self.strength == "auto":
            runs, search = [], []
            for strength in [0.0, *sorted(float(s) for s in self.strength_grid)]:
                run = self._train(torch, strength, data, seeds)
                runs.append(run)
                # too few rows for a validation split: judge on training accuracy
                accuracy = run["val_accuracy"] if len(val_idx) else run["history"][-1]["accuracy"]
                search.append({"strength": strength, "validation_accuracy": accuracy,
                               "apl": run["history"][-1]["apl"]})
            reference = search[0]["validation_accuracy"]
            ok = [i for i, r in enumerate(search)
                  if r["validation_accuracy"] >= reference - self.tolerance]
            chosen = runs[max(ok, key=lambda i: search[i]["strength"])]
            self.strength_search_ = pd.DataFrame(search)
        else:
            chosen = self._train(torch, float(self.strength), data, seeds)
            self.strength_search_ = None
        self.strength_ = chosen["strength"]
        self.network_weights_ = chosen["weights"]
        self.history_ = pd.DataFrame(chosen["history"])
        self.surrogate_r2_ = chosen["surrogate_r2"]

        train_rows, train_labels = self._tree_rows(data["X"])
        sk_tree = fit_mimic_tree(train_rows, train_labels, min_samples_leaf=self.min_samples_leaf,
                                 ccp_alpha=self.ccp_alpha)
        self.tree_ = MimicTree.from_sklearn(sk_tree, self._feature_names(), list(self.classes_),
                                            len(self.classes_))
        self.apl_ = self.tree_.average_path_length(train_rows)
        check_X = data["X_val"] if len(val_idx) else data["X"]
        check_rows, net_labels = self._tree_rows(check_X)
        self.fidelity_ = float(np.mean(self.tree_.predict_index(check_rows) == net_labels))
        self.validation_accuracy_ = chosen["val_accuracy"]

    def _tree_rows(self, X):
        """The rows a tree mimics (every step of every sequence) and the net's labels there."""
        logits = self._logits_numpy(self.network_weights_, X)
        return X.reshape(-1, X.shape[2]), np.argmax(logits, axis=2).reshape(-1)

    def _logits_numpy(self, weights: dict, X) -> np.ndarray:
        torch = _torch()
        params = {k: torch.as_tensor(np.asarray(v, dtype=float)) for k, v in weights.items()}
        Z = torch.as_tensor((X - self.input_mean_) / self.input_scale_)
        with torch.no_grad(), _single_thread(torch):
            return self._step_logits(torch, params, Z).numpy()

    def _init_params(self, torch, n_inputs, n_classes, generator) -> dict:
        params = {}
        for name, shape in self._network_shapes(n_inputs, n_classes).items():
            tensor = torch.zeros(shape, dtype=torch.float64)
            if len(shape) == 2:  # Glorot-uniform weight matrices, zero biases
                bound = math.sqrt(6.0 / (shape[0] + shape[1]))
                tensor.uniform_(-bound, bound, generator=generator)
            params[name] = tensor.requires_grad_(True)
        return params

    def _train(self, torch, strength: float, data: dict, seeds) -> dict:
        """Train one network with one penalty strength; return its weights and history."""
        F = torch.nn.functional
        X, y = data["X"], data["y"]
        n, T, d = X.shape
        n_classes = len(self.classes_)
        generator = torch.Generator().manual_seed(int(seeds[0]))
        params = self._init_params(torch, d, n_classes, generator)
        matrices = [p for p in params.values() if p.dim() == 2]
        optimizer = torch.optim.Adam(list(params.values()), lr=self.learning_rate, foreach=True)
        Z = torch.as_tensor((X - self.input_mean_) / self.input_scale_)
        targets = torch.as_tensor(np.repeat(y[:, None], T, axis=1))
        # float32, C order: the layout the tree fitter reads without copying or checking
        tree_rows = np.ascontiguousarray(X.reshape(-1, d), dtype=np.float32)

        # The APL depends on the weights only through the labels on the training rows,
        # and about half of the label vectors met in a run (mixtures of similar
        # snapshots, epochs that change nothing) were met before: each is fitted once.
        apl_of_labels = {}

        def true_apl(tensors):
            """APL of the mimicking tree, training accuracy, and logits on all rows."""
            with torch.no_grad():
                logits = self._step_logits(torch, tensors, Z)
            labels = logits.argmax(dim=2).numpy()
            key = hashlib.blake2b(labels.tobytes(), digest_size=16).digest()
            if key not in apl_of_labels:
                apl_of_labels[key] = network_apl(tree_rows, labels.reshape(-1),
                                                 min_samples_leaf=self.min_samples_leaf,
                                                 ccp_alpha=self.ccp_alpha)
            return apl_of_labels[key], float(np.mean(labels[:, -1] == y)), logits

        regularized = strength > 0
        surrogate, surrogate_r2, penalty_on = None, math.nan, False
        aug_rng = np.random.default_rng(int(seeds[2]))
        # one row per recorded epoch (and the initial weights), filled in place: the
        # history is mixed at every refit and copying a growing list each time adds up
        snapshots = np.empty((self.epochs + 1 if regularized else 0,
                              sum(p.numel() for p in params.values())))
        n_snapshots, held_at = 0, -1
        pair_inputs, pair_apl, pair_held = [], [], []
        history = []
        # a sequence of T steps is T rows of the tree: cap the rows, not the sequences
        probe_rows = np.sort(aug_rng.permutation(n)[:max(1, _PROBE_ROWS // T)])
        probe = Z[probe_rows]

        def surrogate_input(tensors, all_logits=None):
            """What the surrogate reads: the weights, or the net's outputs on probe rows.

            ``all_logits`` (the logits on every training row, when already computed)
            spares a forward pass.
            """
            if self.surrogate_input == "weights":
                return _flatten(torch, tensors)
            logits = (self._step_logits(torch, tensors, probe) if all_logits is None
                      else all_logits[probe_rows])
            return torch.softmax(_SHARPNESS * logits, dim=2)[..., 1:].reshape(-1)

        def record(tensors, measured, *, snapshot):
            nonlocal n_snapshots, held_at
            apl, _, logits = measured
            if snapshot:
                snapshots[n_snapshots] = _flatten(torch, tensors).detach().numpy()
                n_snapshots += 1
            pair_inputs.append(surrogate_input(tensors, logits).detach().numpy().copy())
            pair_apl.append(apl)
            if len(pair_held) % _HELD_OUT_BLOCK == 0:
                held_at = len(pair_held) + int(aug_rng.integers(_HELD_OUT_BLOCK))
            pair_held.append(len(pair_held) == held_at)

        if regularized:
            # The initial weights anchor the surrogate: mixing them with trained
            # weights spans the whole range of APL the training run goes through.
            record(params, true_apl(params), snapshot=True)
        for epoch in range(self.epochs):
            order = torch.randperm(n, generator=generator)
            total, batches = 0.0, 0
            for start in range(0, n, self.batch_size):
                batch = order[start:start + self.batch_size]
                logits = self._step_logits(torch, params, Z[batch])
                loss = F.cross_entropy(logits.reshape(-1, n_classes), targets[batch].reshape(-1))
                if self.l2:
                    loss = loss + self.l2 * sum((W ** 2).sum() for W in matrices)
                if self.l1:
                    loss = loss + self.l1 * sum(W.abs().sum() for W in matrices)
                if penalty_on and batches % _PENALTY_EVERY == 0:
                    # lazy regularization (see _PENALTY_EVERY)
                    loss = loss + _PENALTY_EVERY * strength * surrogate(surrogate_input(params))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
                batches += 1
            measured = true_apl(params)
            apl, accuracy, _ = measured
            if regularized:
                record(params, measured, snapshot=True)
                if (epoch + 1) % self.surrogate_every == 0:
                    if surrogate is None:
                        surrogate = APLSurrogate(len(pair_inputs[0]),
                                                 hidden=self.surrogate_hidden,
                                                 generator=int(seeds[1]))
                    mixtures, _ = convex_combinations(snapshots[:n_snapshots], self.augment_size,
                                                      aug_rng)
                    for mixture in mixtures:
                        tensors = {k: torch.as_tensor(v) for k, v in
                                   _unflatten(mixture, params).items()}
                        record(tensors, true_apl(tensors), snapshot=False)
                    surrogate_r2 = self._refit_surrogate(surrogate, pair_inputs, pair_apl,
                                                         pair_held)
                    # Latched: once on, the penalty moves the network into weights the
                    # history has not seen, which lowers the held-out R^2 for a while;
                    # switching off then lets the network drift back and oscillate.
                    penalty_on = penalty_on or surrogate_r2 >= self.min_surrogate_r2
            history.append({"epoch": epoch + 1, "loss": total / batches, "accuracy": accuracy,
                            "apl": apl, "penalty_on": penalty_on, "surrogate_r2": surrogate_r2})
            if self.verbose:
                print(f"[{type(self).__name__}] epoch {epoch + 1}: loss {total / batches:.4f} "
                      f"accuracy {accuracy:.3f} APL {apl:.2f} surrogate R2 {surrogate_r2:.3f}"
                      f"{' (penalty on)' if penalty_on else ''}")
        weights = {k: v.detach().numpy().copy() for k, v in params.items()}
        val_accuracy = math.nan
        if len(data["X_val"]):
            val_logits = self._logits_numpy(weights, data["X_val"])[:, -1]
            val_accuracy = float(np.mean(np.argmax(val_logits, axis=1) == data["y_val"]))
        return {"strength": strength, "weights": weights, "history": history,
                "surrogate_r2": surrogate_r2, "val_accuracy": val_accuracy}

    @staticmethod
    def _refit_surrogate(surrogate, weights, apl, held) -> float:
        """Refit on the training pairs; return R^2 on the held-out pairs (NaN if too few)."""
        weights, apl, held = np.asarray(weights), np.asarray(apl), np.asarray(held)
        if (~held).sum() < 2:
            return math.nan
        surrogate.fit(weights[~held], apl[~held])
        if held.sum() < 2:
            return math.nan
        return r2_score(apl[held], surrogate.predict(weights[held]))

    # -- predict ------------------------------------------------------------------
    def _predict_proba(self, X):
        logits = self._logits_numpy(self.network_weights_, X)[:, -1]
        logits = logits - logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    # -- state --------------------------------------------------------------------
    def _to_state(self) -> dict:
        search = self.strength_search_
        return _jsonable({
            "weights": {k: np.asarray(v).tolist() for k, v in self.network_weights_.items()},
            "input_mean": self.input_mean_, "input_scale": self.input_scale_,
            "tree": self.tree_.to_dict(), "apl": self.apl_, "fidelity": self.fidelity_,
            "surrogate_r2": self.surrogate_r2_, "strength": self.strength_,
            "validation_accuracy": self.validation_accuracy_,
            "history": self.history_.to_dict(orient="records"),
            "strength_search": None if search is None else search.to_dict(orient="records"),
            "network": self._network_summary(self.network_weights_)})

    def _set_state(self, state: dict) -> None:
        self.network_weights_ = {k: np.asarray(v, dtype=float)
                                 for k, v in state["weights"].items()}
        self.input_mean_ = np.asarray(state["input_mean"], dtype=float)
        self.input_scale_ = np.asarray(state["input_scale"], dtype=float)
        self.tree_ = MimicTree.from_dict(state["tree"])
        self.tree_.class_labels = list(np.asarray(self.classes_))
        for name in ("apl", "fidelity", "surrogate_r2", "strength", "validation_accuracy"):
            setattr(self, f"{name}_", float(state[name]))
        self.history_ = pd.DataFrame(state["history"]).replace({"nan": math.nan})
        search = state.get("strength_search")
        self.strength_search_ = None if search is None else pd.DataFrame(search)

    # -- words --------------------------------------------------------------------
    def _render(self, state: dict) -> Rendering:
        tree = MimicTree.from_dict(state["tree"])
        r2 = state["surrogate_r2"]
        header = [
            f"network: {state['network']}; penalty strength {_format_value(state['strength'])}",
            f"mimicking tree: {tree.n_leaves} leaves, depth {tree.depth}, "
            f"average path length {float(state['apl']):.2f}; agrees with the network on "
            f"{float(state['fidelity']):.1%} of held-out rows",
            "surrogate R^2: " + ("not trained" if isinstance(r2, str) else f"{r2:.3f}"),
            "The network predicts; this tree simulates it:",
        ]
        return Rendering(title=type(self).__name__, columns=["leaf", "path", "prediction", "rows"],
                         rows=tree.leaf_table(), header=header, body=tree.lines())

    def _explain(self, X) -> Explanation:
        proba = self._predict_proba(X)
        predicted = np.argmax(proba, axis=1)
        last_step = X[:, -1, :]
        leaves = self.tree_.apply(last_step)
        paths = self.tree_.leaf_paths()
        rows, texts, details = [], [], []
        for i, leaf in enumerate(leaves):
            label = self.classes_[predicted[i]]
            tree_label = self.tree_.leaf_label(leaf)
            path = paths[leaf]
            rows.append({"row": i, "prediction": label, "probability": float(proba[i].max()),
                         "tree_prediction": tree_label, "tree_agrees": bool(tree_label == label),
                         "path": conjunction_name(path), "path_length": len(path)})
            verdict = "agrees" if tree_label == label else f"predicts {_format_value(tree_label)}"
            texts.append(f"row {i}: the network predicts {_format_value(label)} with probability "
                         f"{proba[i].max():.3f}; the mimicking tree {verdict}: "
                         f"{conjunction_name(path)} -> {_format_value(tree_label)}")
            details.append([{"step": j + 1, "condition": c.name} for j, c in enumerate(path)])
        return Explanation(type(self).__name__, rows, texts, details)

    # -- frontier -----------------------------------------------------------------
    def plot_frontier(self, X=None, y=None, *, frontier=None, ax=None, **frontier_params):
        """Draw APL against accuracy across penalty strengths, against L1/L2 baselines.

        Parameters
        ----------
        X, y : array-like, optional
            Data for :func:`regularization_frontier` when ``frontier`` is not given.
        frontier : DataFrame, optional
            Output of :func:`regularization_frontier`.
        ax : matplotlib Axes, optional
        **frontier_params
            Passed to :func:`regularization_frontier` (``strengths``, ``l1``, ``l2``,
            ``seeds``, ``test_size``).

        Returns
        -------
        ax : matplotlib Axes
        """
        if frontier is None:
            if X is None or y is None:
                raise ValueError("plot_frontier needs either frontier=... or data X and y, got "
                                 "neither.")
            frontier = regularization_frontier(self, X, y, **frontier_params)
        if ax is None:
            plt = import_optional("matplotlib.pyplot", purpose="plot_frontier")
            _, ax = plt.subplots(figsize=(5, 4))
        means = frontier_means(frontier)
        styles = {"tree": ("o-", "tree regularization"), "l1": ("s--", "L1"),
                  "l2": ("^--", "L2"), "none": ("k*", "unregularized")}
        for method, (style, label) in styles.items():
            part = means[means["method"] == method].sort_values("apl")
            if len(part):
                ax.plot(part["apl"], part["accuracy"], style, label=label)
        ax.set_xlabel("average path length of the mimicking tree")
        ax.set_ylabel("test accuracy")
        ax.legend()
        return ax


class TreeRegularizedClassifier(_TreeRegularizedBase):
    """A multilayer perceptron trained so that a short decision tree can simulate it.

    The loss is cross-entropy plus ``strength`` times a surrogate of the average
    decision-path length (APL) of the CART tree fitted to the network's
    predictions on the training inputs (Wu et al., AAAI 2018), plus optional L1 /
    L2 weight penalties. The surrogate is a small MLP from the flattened weights to
    the APL, refit every ``surrogate_every`` epochs on the recorded (weights, APL)
    pairs plus ``augment_size`` random convex combinations of past weights whose
    APL is computed for real; the penalty switches on once its held-out R^2
    reaches ``min_surrogate_r2`` and stays on for the rest of the run.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(16, 16)
        Hidden units per layer.
    activation : {"tanh", "relu"}, default="tanh"
    strength : float >= 0 or "auto", default=0.01
        Weight of the APL penalty; 0 trains a plain network. ``"auto"`` trains one
        network per value of ``strength_grid`` (and an unregularized one) and keeps
        the strongest whose validation accuracy is within ``tolerance`` of the
        unregularized network's.
    strength_grid : sequence of float, default=(0.001, 0.01, 0.1, 1.0)
        Strengths tried by ``strength="auto"``.
    tolerance : float, default=0.02
        Accuracy the ``"auto"`` choice may give up.
    l1, l2 : float, default=0.0
        Penalties on the sum of absolute / squared weight-matrix entries.
    epochs : int, default=100
    batch_size : int, default=64
    learning_rate : float, default=0.01
        Adam step size.
    min_samples_leaf : int, default=5
        Of the mimicking CART tree.
    ccp_alpha : float, default=0.0
        Cost-complexity pruning of the mimicking tree.
    surrogate_every : int, default=5
        Epochs between surrogate refits.
    augment_size : int, default=15
        Convex combinations of past weights added at each refit.
    surrogate_hidden : int, default=25
        Hidden units of the surrogate.
    min_surrogate_r2 : float, default=0.8
        Held-out R^2 the surrogate must reach before its penalty is used. The gate
        latches: once open it stays open (the penalty takes the network to weights
        the history has not seen, and the R^2 dips while the surrogate catches up).
    surrogate_input : {"weights", "predictions"}, default="weights"
        What the surrogate reads: the flattened weights, or the network's sharpened
        class probabilities ``softmax(30 * logits)`` on the training rows (a fixed
        random 512 of them when there are more; a function of the weights too,
        through the network). "predictions" is much cheaper for wide networks (a
        100-100 MLP has 10^4 weights) and predicts the APL better, since the tree
        mimics exactly those predictions.
    validation_fraction : float, default=0.2
        Rows held out (when there are at least 20) to measure ``fidelity_`` and, for
        ``strength="auto"``, accuracy.
    random_state : int, Generator or None, default=None
        Seeds local torch / numpy generators; the global ones are never touched.
    verbose : int, default=0

    Attributes
    ----------
    network_weights_ : dict of str to ndarray
        The network's weights (``W0``, ``b0``, ...).
    tree_ : MimicTree
        The final tree that mimics the network, with the real feature names
        (``print(model.tree_)``).
    apl_ : float
        Average decision-path length of ``tree_`` over the training inputs.
    fidelity_ : float
        Share of held-out rows on which ``tree_`` and the network agree.
    surrogate_r2_ : float
        Held-out R^2 of the APL surrogate at its last refit (NaN when not trained).
    history_ : DataFrame
        Per epoch: loss, training accuracy, true APL, whether the penalty was on,
        surrogate R^2.
    strength_ : float
        The strength used (the chosen one for ``"auto"``).
    strength_search_ : DataFrame or None
        For ``"auto"``: strength, validation accuracy and APL of every network tried.
    validation_accuracy_ : float
        Accuracy on the held-out rows (NaN when none were held out).
    input_mean_, input_scale_ : ndarray
        Standardization of the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.treereg import TreeRegularizedClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(300, 2))
    >>> y = (X[:, 1] > 5 * (X[:, 0] - 0.75) ** 2 + 0.4).astype(int)
    >>> model = TreeRegularizedClassifier(strength=0.01, epochs=20, random_state=0).fit(X, y)
    >>> model.apl_ > 0
    True
    """

    def __init__(self, *, hidden_layer_sizes=(16, 16), activation="tanh", strength=0.01,
                 strength_grid=(0.001, 0.01, 0.1, 1.0), tolerance=0.02, l1=0.0, l2=0.0,
                 epochs=100, batch_size=64, learning_rate=0.01, min_samples_leaf=5,
                 ccp_alpha=0.0, surrogate_every=5, augment_size=15, surrogate_hidden=25,
                 min_surrogate_r2=0.8, surrogate_input="weights", validation_fraction=0.2,
                 random_state=None, verbose=0):
        _store_init_args(self, locals())

    _parameter_constraints = {
        **_TreeRegularizedBase._parameter_constraints,
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions({"tanh", "relu"})],
    }

    @classmethod
    def _test_instance(cls):
        # A plain few-epoch net keeps sklearn's ~50 API checks fast; the penalty path
        # is exercised by tests/test_treereg.py.
        return cls(hidden_layer_sizes=(8,), strength=0.0, epochs=4, batch_size=32,
                   learning_rate=0.1, random_state=0)

    def _network_shapes(self, n_inputs, n_classes):
        sizes = [n_inputs, *(int(h) for h in self.hidden_layer_sizes), n_classes]
        if any(s < 1 for s in sizes[1:-1]):
            raise ValueError("hidden_layer_sizes must hold positive integers, got "
                             f"{tuple(self.hidden_layer_sizes)!r}.")
        shapes = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            shapes[f"W{k}"] = (fan_out, fan_in)
            shapes[f"b{k}"] = (fan_out,)
        return shapes

    def _step_logits(self, torch, params, X):
        act = torch.tanh if self.activation == "tanh" else torch.relu
        n_layers = len(params) // 2
        h = X
        for k in range(n_layers):
            h = h @ params[f"W{k}"].T + params[f"b{k}"]
            if k < n_layers - 1:
                h = act(h)
        return h

    def _network_summary(self, weights):
        n_layers = len(weights) // 2
        sizes = [weights["W0"].shape[1]] + [weights[f"W{k}"].shape[0] for k in range(n_layers)]
        return f"MLP {'-'.join(map(str, sizes))} ({self.activation})"


class TreeRegularizedGRUClassifier(_TreeRegularizedBase):
    """A GRU sequence classifier trained so that a short tree simulates it step by step.

    Input is ``(n_sequences, n_steps, n_features)``; the network emits a prediction
    at every step, trained toward the sequence's label, and the sequence's
    prediction is the last step's. The mimicking tree sees every time step of
    every sequence as one row (Wu et al., 2018), so it maps the features at a
    step to the network's prediction at that step. A 2-D input is read as
    sequences of one step.

    Parameters
    ----------
    hidden_size : int, default=16
        GRU state size.
    strength, strength_grid, tolerance, l1, l2, epochs, batch_size, learning_rate, \
min_samples_leaf, ccp_alpha, surrogate_every, augment_size, surrogate_hidden, \
min_surrogate_r2, surrogate_input, validation_fraction, random_state, verbose
        As in :class:`TreeRegularizedClassifier`.

    Attributes
    ----------
    network_weights_ : dict of str to ndarray
        ``W_ih`` (3H, d), ``W_hh`` (3H, H), ``b_ih``, ``b_hh``, ``W_out``, ``b_out``.
    tree_, apl_, fidelity_, surrogate_r2_, history_, strength_, strength_search_, \
validation_accuracy_, input_mean_, input_scale_
        As in :class:`TreeRegularizedClassifier`; APL and fidelity count time steps.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.treereg import TreeRegularizedGRUClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 5, 2))
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> model = TreeRegularizedGRUClassifier(epochs=5, random_state=0).fit(X, y)
    >>> model.predict_proba(X).shape
    (100, 2)
    """

    def __init__(self, *, hidden_size=16, strength=0.01, strength_grid=(0.001, 0.01, 0.1, 1.0),
                 tolerance=0.02, l1=0.0, l2=0.0, epochs=100, batch_size=64, learning_rate=0.01,
                 min_samples_leaf=5, ccp_alpha=0.0, surrogate_every=5, augment_size=15,
                 surrogate_hidden=25, min_surrogate_r2=0.8, surrogate_input="weights",
                 validation_fraction=0.2, random_state=None, verbose=0):
        _store_init_args(self, locals())

    _parameter_constraints = {
        **_TreeRegularizedBase._parameter_constraints,
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    @classmethod
    def _test_instance(cls):
        return cls(hidden_size=8, strength=0.0, epochs=4, batch_size=32, learning_rate=0.1,
                   random_state=0)

    def _validate_input(self, X, *, reset: bool):
        if not isinstance(X, pd.DataFrame) and not hasattr(X, "toarray"):
            array = np.asarray(X)
            if array.ndim == 3:
                n, steps, d = array.shape
                if n == 0 or steps == 0:
                    raise ValueError(f"Found sequences of shape {array.shape}; "
                                     f"{type(self).__name__} needs at least one sequence of "
                                     "at least one step.")
                flat = check_numeric(array.reshape(n * steps, d), self, reset=reset)
                return flat.reshape(n, steps, d)
            if array.ndim > 3:
                raise ValueError(f"{type(self).__name__} expects sequences of shape (n_sequences,"
                                 f" n_steps, n_features) or a 2-D table of one-step sequences, "
                                 f"got an array with {array.ndim} dimension(s) "
                                 f"(shape {array.shape}).")
        return super()._validate_input(X, reset=reset)

    def _network_shapes(self, n_inputs, n_classes):
        H = int(self.hidden_size)
        return {"W_ih": (3 * H, n_inputs), "W_hh": (3 * H, H), "b_ih": (3 * H,),
                "b_hh": (3 * H,), "W_out": (n_classes, H), "b_out": (n_classes,)}

    def _step_logits(self, torch, params, X):
        n, steps, _ = X.shape
        H = params["W_hh"].shape[1]
        inputs = X @ params["W_ih"].T + params["b_ih"]
        h = torch.zeros(n, H, dtype=X.dtype)
        states = []
        for t in range(steps):
            i_r, i_z, i_n = inputs[:, t].chunk(3, dim=1)
            h_r, h_z, h_n = (h @ params["W_hh"].T + params["b_hh"]).chunk(3, dim=1)
            reset = torch.sigmoid(i_r + h_r)
            update = torch.sigmoid(i_z + h_z)
            candidate = torch.tanh(i_n + reset * h_n)
            h = (1 - update) * candidate + update * h
            states.append(h)
        return torch.stack(states, dim=1) @ params["W_out"].T + params["b_out"]

    def _network_summary(self, weights):
        return (f"GRU {weights['W_ih'].shape[1]} inputs, {weights['W_hh'].shape[1]} hidden, "
                f"{weights['W_out'].shape[0]} classes")


# ---------------------------------------------------------------------------
# The APL-vs-accuracy frontier
# ---------------------------------------------------------------------------

def regularization_frontier(estimator, X, y, *, strengths=(1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0),
                            l1=(1e-4, 1e-3, 1e-2, 1e-1), l2=(1e-4, 1e-3, 1e-2, 1e-1),
                            seeds=(0, 1, 2), test_size=0.3, test_data=None) -> pd.DataFrame:
    """Fit one network per (penalty, seed) and measure APL and test accuracy.

    Parameters
    ----------
    estimator : TreeRegularizedClassifier or TreeRegularizedGRUClassifier
        Template; its other parameters are kept.
    X, y : array-like
    strengths, l1, l2 : sequence of float
        Tree-regularization strengths and L1 / L2 weights. An unregularized
        network is always added (method ``"none"``).
    seeds : sequence of int
        Each seed gives its own train/test split and network initialization.
    test_size : float
        Share of ``X`` held out per seed; the networks train on the rest.
    test_data : (X_test, y_test), optional
        Where to measure accuracy instead of the held-out share (which then goes
        unused). For a synthetic problem a large fresh sample from the same
        generator measures each network's accuracy with far less noise than 30% of
        a few hundred rows (a standard error of about 0.3 points at 10,000 rows
        against about 3 points at 150).

    Returns
    -------
    frontier : DataFrame
        Columns ``method`` ("tree", "l1", "l2", "none"), ``penalty``, ``seed``,
        ``apl`` (of the mimicking tree on the training inputs), ``accuracy`` (on the
        held-out share, or on ``test_data``),
        ``fidelity``, ``surrogate_r2`` (held-out R^2 of the APL surrogate at its last
        refit; NaN for networks without the tree penalty), ``penalty_from`` (first
        epoch with the penalty on; NaN when the gate never opened), ``seconds`` (CPU
        time of the fit, ``time.process_time``: the networks train on one thread, and
        CPU time does not count other processes).
    """
    import time

    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if test_data is not None:
        if len(test_data) != 2:
            raise ValueError("test_data must be a pair (X_test, y_test), got "
                             f"{type(test_data).__name__} of length {len(test_data)}.")
        test_data = (test_data[0], np.asarray(test_data[1]))
    settings = ([("none", 0.0, {})] + [("tree", s, {"strength": s}) for s in strengths]
                + [("l1", v, {"l1": v}) for v in l1] + [("l2", v, {"l2": v}) for v in l2])
    records = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=test_size, random_state=seed, stratify=y)
        evaluation = (X_test, y_test) if test_data is None else test_data
        for method, penalty, params in settings:
            model = clone(estimator).set_params(
                **{"strength": 0.0, "l1": 0.0, "l2": 0.0, "random_state": seed, **params})
            start = time.process_time()
            model.fit(X_train, y_train)
            on = model.history_["penalty_on"].to_numpy(dtype=bool)
            records.append({"method": method, "penalty": penalty, "seed": seed,
                            "apl": model.apl_, "accuracy": float(model.score(*evaluation)),
                            "fidelity": model.fidelity_, "surrogate_r2": model.surrogate_r2_,
                            "penalty_from": float(np.argmax(on) + 1) if on.any() else math.nan,
                            "seconds": time.process_time() - start})
    return pd.DataFrame(records)


def frontier_means(frontier: pd.DataFrame) -> pd.DataFrame:
    """Mean APL and accuracy over seeds for each (method, penalty)."""
    return (frontier.groupby(["method", "penalty"], as_index=False)[["apl", "accuracy"]]
            .mean())


def baseline_dominance(frontier: pd.DataFrame, *, slack: float = 0.005) -> pd.DataFrame:
    """The L1/L2 settings (seed means), each with whether a tree-regularized one matches
    or beats it (column ``dominated``).

    A baseline point (APL a, accuracy c) is dominated when a tree-regularized
    point has APL <= a and accuracy >= c - ``slack``.
    """
    means = frontier_means(frontier)
    tree = means[means["method"] == "tree"]
    base = means[means["method"].isin(["l1", "l2"])].copy()
    base["dominated"] = [bool(((tree["apl"] <= a) & (tree["accuracy"] >= c - slack)).any())
                         for a, c in zip(base["apl"], base["accuracy"])]
    return base


def dominated_share(frontier: pd.DataFrame, *, slack: float = 0.005) -> float:
    """Share of L1/L2 settings (seed means) matched or beaten by some tree-regularized one
    (see :func:`baseline_dominance`)."""
    base = baseline_dominance(frontier, slack=slack)
    return float(base["dominated"].mean()) if len(base) else math.nan
