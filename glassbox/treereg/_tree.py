"""The decision tree that mimics a network, and its average decision-path length (APL).

The APL of Wu et al. (2018) is the mean number of decisions a tree takes from the
root to the leaf of each input. It is computed here from ``decision_path`` (the
nodes each row visits), never from node ids: averaging the ids of the leaves, as a
public reference implementation does, measures how the nodes are numbered, not how
long the paths are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import config_context
from sklearn.tree import DecisionTreeClassifier

from glassbox._base import Condition, _format_value, conjunction_name

# The mimicking tree is refit many times per training run; a fixed seed makes the
# APL a deterministic function of the network's predictions.
TREE_SEED = 0


def fit_mimic_tree(X, labels, *, min_samples_leaf=5, ccp_alpha=0.0) -> DecisionTreeClassifier:
    """Fit a CART tree to a network's predicted labels ``labels`` over inputs ``X``."""
    tree = DecisionTreeClassifier(min_samples_leaf=min_samples_leaf, ccp_alpha=ccp_alpha,
                                  random_state=TREE_SEED)
    X = np.asarray(X)
    if X.dtype == np.float32 and X.flags.c_contiguous and np.isfinite(X).all():
        # The training loop refits this tree hundreds of times on arrays it
        # prepared itself; sklearn's input and parameter checks would cost as
        # much as the fit.
        with config_context(skip_parameter_validation=True):
            return tree.fit(X, labels, check_input=False)
    return tree.fit(X, labels)


def path_lengths(tree: DecisionTreeClassifier, X) -> np.ndarray:
    """Decisions taken root-to-leaf for each row (nodes visited minus the leaf)."""
    visited = tree.decision_path(X)
    return np.asarray(visited.sum(axis=1)).ravel() - 1


def average_path_length(tree: DecisionTreeClassifier, X) -> float:
    """Mean number of decisions from the root to the leaf, over the rows of ``X``.

    A tree that is a single leaf has APL 0.
    """
    return float(path_lengths(tree, X).mean())


def node_depths(left, right) -> np.ndarray:
    """Depth of every node of a binary tree given by child arrays (-1 at leaves).

    Children always have larger ids than their parents (sklearn and
    :class:`MimicTree` number nodes depth first), so one pass in id order suffices.
    """
    depth = np.zeros(len(left), dtype=np.int64)
    for node in np.flatnonzero(np.asarray(left) >= 0):
        depth[left[node]] = depth[right[node]] = depth[node] + 1
    return depth


def training_apl(tree: DecisionTreeClassifier) -> float:
    """APL of a fitted tree over the very rows it was fitted on (unweighted).

    Each leaf stores how many training rows reached it, so the mean path length
    over those rows is ``sum(rows at leaf * depth of leaf) / rows``: the same
    number :func:`average_path_length` gets from ``decision_path``, without
    sending the rows down the tree again.
    """
    t = tree.tree_
    depth = node_depths(t.children_left, t.children_right)
    leaves = t.children_left < 0
    return float(np.dot(t.n_node_samples[leaves], depth[leaves]) / t.n_node_samples[0])


def network_apl(X, labels, *, min_samples_leaf=5, ccp_alpha=0.0) -> float:
    """APL of the tree that mimics ``labels`` (a network's predictions) over ``X``."""
    if len(np.unique(labels)) < 2:
        return 0.0
    tree = fit_mimic_tree(X, labels, min_samples_leaf=min_samples_leaf, ccp_alpha=ccp_alpha)
    return training_apl(tree)


@dataclass
class MimicTree:
    """A fitted binary decision tree as plain arrays over named input columns.

    Kept apart from scikit-learn's tree object so that it prints with the real
    feature names, explains a row as a list of :class:`~glassbox._base.Condition`
    and round-trips through JSON.

    Attributes
    ----------
    feature : ndarray of int
        Column index tested at each node; -1 at leaves.
    threshold : ndarray of float
        Rows with ``value <= threshold`` go left.
    left, right : ndarray of int
        Child node ids; -1 at leaves.
    counts : ndarray of shape (n_nodes, n_classes)
        Training rows of each predicted class reaching each node.
    feature_names : list of str
    class_labels : list
        Labels the class indices stand for.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    counts: np.ndarray
    feature_names: list
    class_labels: list

    @classmethod
    def from_sklearn(cls, tree: DecisionTreeClassifier, feature_names, class_labels,
                     n_classes: int, X=None) -> MimicTree:
        """Copy a fitted sklearn tree; ``counts`` are recounted on ``X`` when given."""
        t = tree.tree_
        counts = np.zeros((t.node_count, n_classes))
        # sklearn stores weighted fractions; map its class columns to our class indices
        counts[:, tree.classes_.astype(int)] = t.value[:, 0, :] * t.n_node_samples[:, None]
        out = cls(feature=np.where(t.children_left < 0, -1, t.feature).astype(np.int64),
                  threshold=np.asarray(t.threshold, dtype=float),
                  left=t.children_left.astype(np.int64), right=t.children_right.astype(np.int64),
                  counts=np.rint(counts), feature_names=list(feature_names),
                  class_labels=list(class_labels))
        return out

    # -- traversal ------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.feature)

    @property
    def n_leaves(self) -> int:
        return int(np.sum(self.left < 0))

    def node_depths(self) -> np.ndarray:
        return node_depths(self.left, self.right)

    @property
    def depth(self) -> int:
        return int(self.node_depths().max())

    def apply(self, X) -> np.ndarray:
        """Leaf id reached by each row of the numeric array ``X``."""
        X = np.asarray(X, dtype=float)
        node = np.zeros(len(X), dtype=np.int64)
        active = self.left[node] >= 0
        while active.any():
            rows = np.flatnonzero(active)
            current = node[rows]
            goes_left = X[rows, self.feature[current]] <= self.threshold[current]
            node[rows] = np.where(goes_left, self.left[current], self.right[current])
            active = self.left[node] >= 0
        return node

    def path_lengths(self, X) -> np.ndarray:
        return self.node_depths()[self.apply(X)]

    def average_path_length(self, X) -> float:
        return float(self.path_lengths(X).mean())

    def predict_index(self, X) -> np.ndarray:
        return np.argmax(self.counts[self.apply(X)], axis=1)

    def leaf_paths(self) -> dict[int, list[Condition]]:
        """Conditions on the way from the root to each leaf, by leaf id."""
        paths = {0: []}
        out = {}
        for node in range(self.n_nodes):
            conds = paths.pop(node)
            if self.left[node] < 0:
                out[node] = conds
                continue
            test = self.condition(node)
            paths[self.left[node]] = conds + [test]
            paths[self.right[node]] = conds + [test.negate()]
        return out

    def condition(self, node: int) -> Condition:
        return Condition(self.feature_names[self.feature[node]], "<=",
                         float(self.threshold[node]))

    def leaf_label(self, node: int):
        return self.class_labels[int(np.argmax(self.counts[node]))]

    # -- text -------------------------------------------------------------------
    def lines(self, indent: str = "    ") -> list[str]:
        """The tree as nested ``if``/``else`` lines with real feature names."""
        out = []

        def walk(node, level):
            pad = indent * level
            if self.left[node] < 0:
                n = int(self.counts[node].sum())
                out.append(f"{pad}predict {_format_value(self.leaf_label(node))}  ({n} rows)")
                return
            test = self.condition(node)
            out.append(f"{pad}if {test.name}:")
            walk(self.left[node], level + 1)
            out.append(f"{pad}else:  # {test.negate().name}")
            walk(self.right[node], level + 1)

        walk(0, 0)
        return out

    def leaf_table(self) -> list[list]:
        """One row per leaf: path, predicted label, training rows."""
        return [[leaf, conjunction_name(conds), self.leaf_label(leaf),
                 int(self.counts[leaf].sum())] for leaf, conds in self.leaf_paths().items()]

    # -- JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
                "left": self.left.tolist(), "right": self.right.tolist(),
                "counts": self.counts.tolist(), "feature_names": list(self.feature_names),
                "class_labels": list(self.class_labels)}

    @classmethod
    def from_dict(cls, data: dict) -> MimicTree:
        ints = {k: np.asarray(data[k], dtype=np.int64) for k in ("feature", "left", "right")}
        return cls(threshold=np.asarray(data["threshold"], dtype=float),
                   counts=np.asarray(data["counts"], dtype=float),
                   feature_names=list(data["feature_names"]),
                   class_labels=list(data["class_labels"]), **ints)

    def __str__(self) -> str:
        return "\n".join(self.lines())
