"""scikit-learn trees as plain data: JSON round trips, readable paths and text.

A distilled sklearn tree is stored as its node arrays so that ``to_dict`` /
``from_dict`` rebuild an estimator that predicts identically, and so that the
text rendering can be produced from the saved state alone.
"""

from __future__ import annotations

import numpy as np

from glassbox._base import Condition, conjunction_name


def tree_to_state(estimator) -> dict:
    """A fitted ``DecisionTreeClassifier`` / ``DecisionTreeRegressor`` as JSON-able data."""
    state = estimator.tree_.__getstate__()
    nodes = state["nodes"]
    dtype = nodes.dtype
    return {
        "estimator": type(estimator).__name__,
        "params": {k: v for k, v in estimator.get_params().items()
                   if v is None or isinstance(v, (int, float, str, bool))},
        "n_features": int(estimator.n_features_in_),
        "classes": None if not hasattr(estimator, "classes_") else estimator.classes_.tolist(),
        "max_depth": int(state["max_depth"]),
        "node_dtype": {"names": list(dtype.names),
                       "formats": [dtype.fields[n][0].str for n in dtype.names],
                       "offsets": [dtype.fields[n][1] for n in dtype.names],
                       "itemsize": dtype.itemsize},
        "nodes": {name: nodes[name].tolist() for name in dtype.names},
        "values": state["values"].tolist(),
    }


def tree_from_state(state: dict):
    """Rebuild the fitted sklearn tree saved by :func:`tree_to_state`."""
    from sklearn import tree as sk_tree
    from sklearn.tree._tree import Tree

    cls = {"DecisionTreeClassifier": sk_tree.DecisionTreeClassifier,
           "DecisionTreeRegressor": sk_tree.DecisionTreeRegressor}.get(state["estimator"])
    if cls is None:
        raise ValueError(f"Cannot rebuild a {state['estimator']!r} student; saved sklearn "
                         "students must be DecisionTreeClassifier or DecisionTreeRegressor.")
    estimator = cls(**{k: v for k, v in state["params"].items()
                       if k in cls().get_params()})
    spec = state["node_dtype"]
    dtype = np.dtype({k: spec[k] for k in ("names", "formats", "offsets", "itemsize")})
    nodes = np.zeros(len(state["nodes"]["feature"]), dtype=dtype)
    for name in dtype.names:
        nodes[name] = state["nodes"][name]
    values = np.asarray(state["values"], dtype=float)
    n_features = state["n_features"]
    classifier = state["classes"] is not None
    n_classes = np.asarray([len(state["classes"]) if classifier else 1], dtype=np.intp)
    tree = Tree(n_features, n_classes, 1)
    tree.__setstate__({"max_depth": state["max_depth"], "node_count": len(nodes),
                       "nodes": nodes, "values": values})
    estimator.tree_ = tree
    estimator.n_features_in_ = n_features
    estimator.n_outputs_ = 1
    estimator.max_features_ = n_features
    if classifier:
        estimator.classes_ = np.asarray(state["classes"])
        estimator.n_classes_ = int(n_classes[0])
    else:
        estimator.n_classes_ = 1
    return estimator


def _split_conditions(column: str, threshold: float, levels) -> tuple[Condition, Condition]:
    """The (left, right) conditions of a split, in the column's own terms."""
    if levels is not None:  # categorical codes: name the levels, not the code threshold
        k = int(np.floor(threshold))
        if k == 0:
            return Condition(column, "==", levels[0]), Condition(column, "!=", levels[0])
        if k == len(levels) - 2:
            return Condition(column, "!=", levels[-1]), Condition(column, "==", levels[-1])
    return Condition(column, "<=", float(threshold)), Condition(column, ">", float(threshold))


def leaf_paths(state: dict, feature_names, levels=None) -> list[tuple[int, list[Condition]]]:
    """(leaf node, conditions on the path from the root) for every leaf, left to right."""
    levels = levels or {}
    nodes = state["nodes"]
    left, right = nodes["left_child"], nodes["right_child"]
    out, stack = [], [(0, [])]
    while stack:
        node, path = stack.pop()
        if left[node] == -1:
            out.append((node, path))
            continue
        column = feature_names[nodes["feature"][node]]
        go_left, go_right = _split_conditions(column, nodes["threshold"][node], levels.get(column))
        stack.append((right[node], path + [go_right]))
        stack.append((left[node], path + [go_left]))
    return out


def leaf_prediction(state: dict, node: int) -> tuple[object, float]:
    """(prediction, confidence): the majority class and its share, or the mean value."""
    value = np.asarray(state["values"][node]).reshape(-1)
    if state["classes"] is None:
        return float(value[0]), float("nan")
    share = value / max(value.sum(), 1e-300)
    k = int(np.argmax(share))
    return state["classes"][k], float(share[k])


def tree_text(state: dict, feature_names, levels=None) -> list[str]:
    """The tree as indented ``if`` lines."""
    levels = levels or {}
    nodes = state["nodes"]
    lines = []

    def walk(node, depth):
        pad = "|   " * depth
        if nodes["left_child"][node] == -1:
            prediction, share = leaf_prediction(state, node)
            extra = "" if np.isnan(share) else f" ({share:.0%} of the leaf's samples)"
            lines.append(f"{pad}predict {prediction}{extra}")
            return
        column = feature_names[nodes["feature"][node]]
        go_left, go_right = _split_conditions(column, nodes["threshold"][node], levels.get(column))
        lines.append(f"{pad}if {go_left.name}:")
        walk(nodes["left_child"][node], depth + 1)
        lines.append(f"{pad}if {go_right.name}:")
        walk(nodes["right_child"][node], depth + 1)

    walk(0, 0)
    return lines


def path_text(conditions) -> str:
    return conjunction_name(conditions)
