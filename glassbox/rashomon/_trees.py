"""Exact Rashomon sets of sparse trees, kept as a DAG of subproblems with counts.

A :class:`TreeSet` wraps the level records of :class:`glassbox.trees._search.TreeSpace`:
node ``(key, depth)`` knows how many of its trees have each scaled objective, and
the trees with objective exactly ``o`` are "the leaf (if its objective is o)"
plus, per split and per left objective ``oL``, the product of the left trees at
``oL`` and the right trees at ``o - oL`` (minus the (leaf, leaf) pair when both
leaves predict the same label). Every question about the whole set -- its size,
the k-th tree, a uniform sample, the vote of all trees on a row, the
distribution of model reliance -- is a recursion over those ``(node, o)``
pairs, memoized, so its cost grows with the DAG and not with the number of trees.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from glassbox.trees._search import TreeSpace


def _add_into(target: dict, source: dict, times: int = 1) -> None:
    for value, count in source.items():
        target[value] += count * times


def _product(left: dict, right: dict) -> dict:
    """Distribution of the sum of two independent parts: counts multiply, values add."""
    out = defaultdict(int)
    for lv, lc in left.items():
        for rv, rc in right.items():
            out[lv + rv] += lc * rc
    return out


def uniform_index(rng: np.random.Generator, size: int) -> int:
    """A uniform integer in ``[0, size)`` for Python ints of any size."""
    if size < 2**62:
        return int(rng.integers(size))
    n_bytes = (size.bit_length() + 7) // 8
    while True:  # rejection keeps it exactly uniform
        candidate = int.from_bytes(rng.bytes(n_bytes), "little") >> (8 * n_bytes -
                                                                      size.bit_length())
        if candidate < size:
            return candidate


class TreeSet:
    """The trees of ``space`` under the root subproblem with objective <= ``bound``.

    Parameters
    ----------
    space : TreeSpace
    depth : int
        Levels of splits (``UNLIMITED`` for none).
    bound : int
        Largest scaled objective in the set (inclusive).
    """

    def __init__(self, space: TreeSpace, depth: int, bound: int):
        self.space = space
        self.depth = depth
        self.bound = bound
        self.root = (space.root, depth)
        space.plan_budgets(space.root, depth, bound)
        space.levels(space.root, depth, bound)
        counts = space.record(self.root).counts
        self.objectives = sorted(o for o in counts if o <= bound)
        self.level_counts = [counts[o] for o in self.objectives]
        self.size = sum(self.level_counts)

    # -- members --------------------------------------------------------------
    def objective_counts(self) -> list[tuple[int, int]]:
        """``(scaled objective, number of trees)`` per level, best first."""
        return list(zip(self.objectives, self.level_counts))

    def tree(self, index: int):
        """The ``index``-th tree (feature indices), ordered by objective then structure."""
        if not 0 <= index < self.size:
            raise IndexError(f"tree index {index} is out of range for a set of {self.size} "
                             "trees.")
        for objective, count in zip(self.objectives, self.level_counts):
            if index < count:
                return self.space.kth_tree(self.root, objective, index), objective
            index -= count
        raise AssertionError("unreachable")

    # -- votes over the set ------------------------------------------------------
    def _flat_dag(self):
        """The ``(node, objective)`` pairs under the root as arrays, children first.

        Returns ``(roots, leaf_label, layers)``: ids of the root's levels; per id,
        the label of its leaf tree (0 when the level has no leaf, which votes
        for nothing either); per height, the blocks of that height as arrays
        sorted by parent (parent, feature, left id, right id, left count, right
        count, label of a left-out (leaf, leaf) pair).
        """
        if getattr(self, "_flat", None) is not None:
            return self._flat
        space = self.space
        ids, height, leaf_label, blocks = {}, [], [], []

        def visit(pair):
            found = ids.get(pair)
            if found is not None:
                return found
            own_height, parts = 0, []
            label = 0
            for block in space.blocks(*pair):
                if block[0] == "leaf":
                    label = block[1]
                    continue
                feature, left, left_obj, right, right_obj, _, skips, n_left, n_right = block
                left_id, right_id = visit((left, left_obj)), visit((right, right_obj))
                own_height = max(own_height, height[left_id] + 1, height[right_id] + 1)
                parts.append((feature, left_id, right_id, n_left, n_right,
                              space.record(left).label if skips else 0))
            ids[pair] = len(height)
            height.append(own_height)
            leaf_label.append(label)
            blocks.extend((ids[pair], *part) for part in parts)
            return ids[pair]

        roots = [visit((self.root, o)) for o in self.objectives]
        table = np.array(blocks, dtype=object).reshape(-1, 7)
        height = np.asarray(height)
        layers = []
        if len(table):
            parents = table[:, 0].astype(np.int64)
            block_height = height[parents]
            for h in range(1, int(height.max()) + 1):
                rows = np.flatnonzero(block_height == h)
                rows = rows[np.argsort(parents[rows], kind="stable")]
                layers.append((parents[rows], table[rows, 1].astype(np.int64),
                               table[rows, 2].astype(np.int64), table[rows, 3].astype(np.int64),
                               table[rows, 4].astype(float), table[rows, 5].astype(float),
                               table[rows, 6].astype(float)))
        self._flat = (np.asarray(roots), np.asarray(leaf_label, dtype=float), layers)
        return self._flat

    def positive_votes(self, Zq) -> np.ndarray:
        """Per query row, how many trees of the set predict class 1 (float counts).

        Dynamic programming over the DAG, one vectorized step per height:
        ``votes(level) = leaf + sum over blocks of (row goes left ? votes(left) x
        right count : left count x votes(right))``.
        """
        patterns, inverse = np.unique(np.asarray(Zq, dtype=bool), axis=0, return_inverse=True)
        roots, leaf_label, layers = self._flat_dag()
        votes = np.repeat(leaf_label[:, None], len(patterns), axis=1)
        goes_true = patterns.T
        for parent, feature, left, right, n_left, n_right, skipped in layers:
            part = np.where(goes_true[feature], votes[left] * n_right[:, None],
                            votes[right] * n_left[:, None]) - skipped[:, None]
            starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
            votes[parent[starts]] += np.add.reduceat(part, starts, axis=0)
        summed = votes[roots].sum(axis=0) if len(roots) else np.zeros(len(patterns))
        return summed[inverse.ravel()]

    # -- model reliance over the set -------------------------------------------
    def reliance_distribution(self, feature: int) -> dict:
        """Distribution over the set of the model reliance on one binary feature.

        Model reliance here is ``loss(feature replaced by an independent draw from
        its marginal) - loss(original)``, the difference form of Fisher, Rudin &
        Dominici; the replacement is averaged exactly, not sampled. Returned as
        ``{N**2 * reliance (int): number of trees}``.
        """
        space = self.space
        n, groups = space.n_samples, space.group_features
        n_one = int(space.group_size[groups[:, feature]].sum())
        off, on = groups.copy(), groups.copy()
        off[:, feature], on[:, feature] = False, True
        # each distinct row with each label, as it is and with the feature set to 0 / 1
        by_label = np.concatenate([space.group_positive, space.group_size - space.group_positive])
        points = np.vstack([groups, groups, off, off, on, on])
        labels = np.tile(np.repeat([1, 0], space.n_groups), 3)
        weights = np.concatenate([-n * by_label, (n - n_one) * by_label, n_one * by_label])
        keys = np.column_stack([points, labels]).astype(np.uint8)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        merged = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique))
        keep = merged != 0
        points, labels = unique[keep, :-1].astype(bool), unique[keep, -1].astype(np.int64)
        weights = np.rint(merged[keep]).astype(np.int64)
        wrong_if = [weights * (labels == 1), weights * (labels == 0)]  # cost of predicting 0 / 1
        memo = {}

        def summary(node, objective, members):
            """(leaf value or None, distribution of the non-leaf trees) on these points."""
            memo_key = (node, objective, members.tobytes())
            found = memo.get(memo_key)
            if found is not None:
                return found
            record = space.record(node)
            leaf_value = None
            if record.leaf_objective == objective:
                leaf_value = int(wrong_if[record.label][members].sum())
            others = defaultdict(int)
            for block in space.blocks(node, objective):
                if block[0] == "leaf":
                    continue
                j, left, left_obj, right, right_obj, _, skips = block[:7]
                left_leaf, left_rest = summary(left, left_obj, members & points[:, j])
                right_leaf, right_rest = summary(right, right_obj, members & ~points[:, j])
                left_all, right_all = dict(left_rest), dict(right_rest)
                for whole, leaf in ((left_all, left_leaf), (right_all, right_leaf)):
                    if leaf is not None:
                        whole[leaf] = whole.get(leaf, 0) + 1
                _add_into(others, _product(left_all, right_all))
                if skips:
                    others[left_leaf + right_leaf] -= 1
            found = (leaf_value, {v: c for v, c in others.items() if c})
            memo[memo_key] = found
            return found

        total = defaultdict(int)
        everyone = np.ones(len(points), dtype=bool)
        for objective in self.objectives:
            leaf_value, others = summary(self.root, objective, everyone)
            _add_into(total, others)
            if leaf_value is not None:
                total[leaf_value] += 1
        return {v: c for v, c in sorted(total.items()) if c}

    # -- distinct predictions -----------------------------------------------------------
    def patterns(self, max_patterns: int = 1_000_000) -> set:
        """The distinct prediction vectors of the set's trees on the training rows.

        Each pattern is an int whose bit ``g`` is the prediction for the ``g``-th
        distinct training row (a subproblem's node is the int of its distinct rows,
        so a leaf predicting 1 has the node itself as its pattern). Raises ValueError past ``max_patterns``.
        """
        space = self.space
        memo = {}

        def collect(node, objective):
            found = memo.get((node, objective))
            if found is not None:
                return found
            out, leaf_pattern, skipped = set(), None, None
            for block in space.blocks(node, objective):
                if block[0] == "leaf":
                    leaf_pattern = node[0] if block[1] == 1 else 0
                    out.add(leaf_pattern)
                    continue
                _, left, left_obj, right, right_obj, _, skips = block[:7]
                right_patterns = collect(right, right_obj)
                for lp in collect(left, left_obj):
                    out.update(lp | rp for rp in right_patterns)
                if skips:  # only the left-out (leaf, leaf) pair predicts one label everywhere
                    skipped = node[0] if space.record(left).label == 1 else 0
                if len(out) > max_patterns:
                    raise ValueError(f"more than {max_patterns} distinct prediction patterns; "
                                     "raise max_patterns or shrink the set.")
            if skipped is not None and skipped != leaf_pattern:
                out.discard(skipped)
            memo[(node, objective)] = out
            return out

        result = set()
        for objective in self.objectives:
            result |= collect(self.root, objective)
        return result

