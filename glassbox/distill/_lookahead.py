"""Decision trees whose top splits are chosen by lookahead, returned as plain sklearn trees.

Greedy CART picks each split for the impurity it removes at once; near the root that
choice decides the whole tree, and a split that looks slightly worse alone can leave
subtrees that fit far better. Here the top ``lookahead`` levels try the
``n_candidates`` best splits of each node (one per feature, ranked by entropy gain),
complete every candidate with greedy CART below (at most ``HORIZON`` levels deep in
all), and keep the candidate whose completed tree agrees most with the (weighted)
labels; the kept split's halves are then grown to the full depth. The result is assembled into
the node arrays of an ordinary ``DecisionTreeClassifier``, so that prediction,
``to_dict``, rendering and exact counterfactuals treat it like any sklearn tree.
"""

from __future__ import annotations

import numpy as np

from glassbox.distill._trees import tree_from_state, tree_to_state

# Depth of the subtrees that candidate splits are judged by.
HORIZON = 4


def _as_float32(Z):
    """Values as sklearn trees see them (float32), held in float64."""
    return np.asarray(Z, dtype=np.float32).astype(float)


def _entropy_rows(counts):
    """Entropy in bits of each row of class weights (n, C), and the rows' totals."""
    total = counts.sum(axis=1)
    share = counts / np.maximum(total, 1e-300)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where(share > 0, share * np.log2(share), 0.0), axis=1)
    return h, total


def candidate_splits(Z32, targets, weights, n_classes, k):
    """The ``k`` best (feature, threshold) splits of a node, one per feature, by entropy
    gain; thresholds are midpoints between consecutive float32 values, as sklearn's."""
    n, p = Z32.shape
    W = np.zeros((n, n_classes))
    W[np.arange(n), targets] = weights
    total = W.sum(axis=0)
    h_parent, _ = _entropy_rows(total[None])
    found = []
    for j in range(p):
        order = np.argsort(Z32[:, j], kind="stable")
        x = Z32[order, j]
        cuts = np.flatnonzero(x[:-1] < x[1:])
        if len(cuts) == 0:
            continue
        left = np.cumsum(W[order], axis=0)[cuts]
        h_left, n_left = _entropy_rows(left)
        h_right, n_right = _entropy_rows(total - left)
        child = (n_left * h_left + n_right * h_right) / total.sum()
        best = int(np.argmin(child))
        lo, hi = x[cuts[best]], x[cuts[best] + 1]
        threshold = (lo + hi) / 2.0
        if threshold == hi:  # the midpoint rounded up onto the next value
            threshold = lo
        found.append((float(h_parent[0] - child[best]), j, float(threshold)))
    found.sort(key=lambda c: -c[0])
    return [(j, t) for gain, j, t in found[:k] if gain > 0]


class _Split:
    def __init__(self, feature, threshold, left, right):
        self.feature, self.threshold, self.left, self.right = feature, threshold, left, right


def _cart(Z, targets, weights, depth, criterion, seed):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=max(depth, 1), criterion=criterion,
                                  random_state=seed).fit(Z, targets, sample_weight=weights)


def _route(node, Z32):
    """Predicted class index of each row under a (partly) assembled tree."""
    if not isinstance(node, _Split):
        return node.predict(Z32)  # fitted on class indices: its labels are indices
    out = np.empty(len(Z32), dtype=int)
    go_left = Z32[:, node.feature] <= node.threshold
    if go_left.any():
        out[go_left] = _route(node.left, Z32[go_left])
    if (~go_left).any():
        out[~go_left] = _route(node.right, Z32[~go_left])
    return out


def _grow(Z32, targets, weights, depth, n_classes, criterion, k, lookahead, seed):
    if depth <= 1 or lookahead == 0 or len(np.unique(targets)) == 1:
        return _cart(Z32, targets, weights, depth, criterion, seed)
    # A candidate is judged by a subtree at most HORIZON levels deep: deeper subtrees fit
    # almost any split's halves, and the comparison would reward noise.
    judged = min(depth, HORIZON)
    best, best_score = None, -np.inf
    for feature, threshold in candidate_splits(Z32, targets, weights, n_classes, k):
        go_left = Z32[:, feature] <= threshold
        node = _Split(feature, threshold,
                      *(_grow(Z32[m], targets[m], weights[m], judged - 1, n_classes, criterion,
                              k, lookahead - 1, seed) for m in (go_left, ~go_left)))
        score = float(np.sum(weights * (_route(node, Z32) == targets)))
        if score > best_score:
            best, best_score = node, score
    if best is None:  # no split separates anything: greedy CART decides (a leaf)
        return _cart(Z32, targets, weights, depth, criterion, seed)
    if judged < depth:  # the chosen split's halves, grown to the full depth
        go_left = Z32[:, best.feature] <= best.threshold
        best.left, best.right = (
            _grow(Z32[m], targets[m], weights[m], depth - 1, n_classes, criterion, k,
                  lookahead - 1, seed) for m in (go_left, ~go_left))
    return best


def lookahead_tree(Z, targets, n_classes, *, max_depth, criterion="entropy", n_candidates=5,
                   lookahead=2, sample_weight=None, random_state=0):
    """A depth-``max_depth`` ``DecisionTreeClassifier`` fitted to class indices ``targets``
    (0 .. n_classes - 1) with lookahead over its top ``lookahead`` levels.

    Returns
    -------
    sklearn.tree.DecisionTreeClassifier
        Fitted, with ``classes_ = arange(n_classes)``.
    """
    Z32 = _as_float32(Z)
    targets = np.asarray(targets, dtype=int)
    weights = np.ones(len(Z32)) if sample_weight is None else np.asarray(sample_weight, float)
    root = _grow(Z32, targets, weights, max_depth, n_classes, criterion, n_candidates,
                 lookahead, int(random_state))
    return _assemble(root, Z32, targets, weights, n_classes, criterion, max_depth,
                     int(random_state))


def _assemble(root, Z32, targets, weights, n_classes, criterion, max_depth, seed):
    """The node arrays of one sklearn tree holding the chosen splits and the CART subtrees."""
    template = _cart(Z32[:2], np.arange(2) % n_classes, np.ones(2), 1, criterion, seed)
    state = tree_to_state(template)
    names = state["node_dtype"]["names"]
    nodes = {name: [] for name in names}
    values = []

    def add(node, Z, t, w, depth):
        index = len(values)
        if isinstance(node, _Split):
            counts = np.bincount(t, weights=w, minlength=n_classes)
            h, _ = _entropy_rows(counts[None])
            row = {"left_child": -1, "right_child": -1, "feature": node.feature,
                   "threshold": node.threshold, "impurity": float(h[0]),
                   "n_node_samples": len(t), "weighted_n_node_samples": float(w.sum()),
                   "missing_go_to_left": 1}
            for name in names:
                nodes[name].append(row[name])
            values.append([(counts / max(counts.sum(), 1e-300)).tolist()])
            go_left = Z[:, node.feature] <= node.threshold
            left_depth = add(node.left, Z[go_left], t[go_left], w[go_left], depth + 1)
            nodes["left_child"][index] = index + 1
            nodes["right_child"][index] = len(values)
            right_depth = add(node.right, Z[~go_left], t[~go_left], w[~go_left], depth + 1)
            return max(left_depth, right_depth)
        sub = tree_to_state(node)
        columns = np.asarray(node.classes_, dtype=int)  # the classes present in this part
        for i in range(len(sub["nodes"]["feature"])):
            for name in names:
                value = sub["nodes"][name][i]
                if name in ("left_child", "right_child") and value != -1:
                    value += index
                nodes[name].append(value)
            full = np.zeros(n_classes)
            full[columns] = np.asarray(sub["values"][i][0])
            values.append([full.tolist()])
        return depth + sub["max_depth"]

    depth = add(root, Z32, targets, weights, 0)
    state.update({"nodes": nodes, "values": values, "max_depth": int(depth),
                  "classes": list(range(n_classes)), "n_features": int(Z32.shape[1])})
    state["params"]["max_depth"] = int(max_depth)
    return tree_from_state(state)
