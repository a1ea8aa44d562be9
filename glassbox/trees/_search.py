"""Exact search over sparse decision trees on binary features.

:class:`TreeSpace` holds a binary data set and the objective

    misclassification rate + regularization x leaves

in exact integers: with ``regularization = p / q`` (an exact fraction of the
decimal the user typed) and ``N`` samples, a tree with ``e`` errors and ``k``
leaves has the scaled objective ``e * q + k * p * N`` (the objective times
``N * q``). Every comparison -- optimum, Rashomon boundary, ties -- is on these
integers, never on floats.

Subproblems are keyed by the packed bit vector (``glassbox._bitset``) of the
samples they capture and the levels of splits still allowed, so that two paths
capturing the same samples share one subproblem (a DAG, not a tree of calls).

Two memoized computations live here:

* :meth:`TreeSpace.optimum` -- the optimal objective of a subproblem, by
  depth-first branch and bound with GOSDT-style bounds (equivalent points,
  one-step lookahead, the sibling's bound);
* :meth:`TreeSpace.levels` -- every tree of a subproblem whose objective is
  within a budget, stored as counts per objective value (never as trees).

A tree is represented here with feature *indices*: ``("leaf", label)`` or
``("split", j, if_true_subtree, if_false_subtree)``.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from heapq import heappop, heappush

import numpy as np

from glassbox._bitset import n_words, pack_rows

UNLIMITED = -1  # remaining depth of a subproblem with no depth limit


def exact_fraction(value) -> Fraction:
    """The exact rational a user meant by a decimal (``0.01`` -> 1/100, not the binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    return Fraction(repr(float(value)))


def child_depth(depth: int) -> int:
    return depth - 1 if depth > 0 else UNLIMITED


@dataclass
class NodeInfo:
    """Counts of one subproblem (a set of captured samples)."""

    n_samples: int
    n_positive: int
    equivalent_errors: int  # errors no tree can avoid: identical rows with both labels
    splits: list | None = None  # (feature, true side, false side) for features that split

    @property
    def label(self) -> int:
        return int(2 * self.n_positive >= self.n_samples)  # majority, ties to class 1

    @property
    def leaf_errors(self) -> int:
        return min(self.n_positive, self.n_samples - self.n_positive)


@dataclass
class LevelRecord:
    """Trees of a subproblem within ``budget``: how many at each scaled objective."""

    budget: int
    counts: dict  # objective -> number of trees (Python int, exact)
    leaf_objective: int
    label: int
    splits: list = field(default_factory=list)  # (feature, (node, depth) if_true, if_false)
    sorted_objectives: list = field(default_factory=list)


class SearchStopped(Exception):
    """Raised inside the search when a budget (time, nodes, memory, Ctrl-C) ran out."""


def packed_to_int(packed) -> int:
    """A packed ``uint64`` bit vector (``glassbox._bitset``) as one Python int, bit i = row i."""
    return int.from_bytes(np.ascontiguousarray(packed, dtype="<u8").tobytes(), "little")


def byte_sums(values) -> np.ndarray:
    """Lookup table ``(n_bytes, 256, k)``: for byte position ``b`` and byte value ``v``, the
    sums of the ``k`` per-row columns of ``values`` over the rows whose bits are set in ``v``.

    Summing over a subproblem is then one table lookup per byte of its bit vector.
    """
    values = np.asarray(values, dtype=np.int64)
    n_rows, k = values.shape
    n_bytes = max(1, (n_rows + 7) // 8)
    padded = np.zeros((n_bytes * 8, k), dtype=np.int64)
    padded[:n_rows] = values
    bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.int64)  # (256, 8)
    return np.einsum("vi,bik->bvk", bits, padded.reshape(n_bytes, 8, k))


def distinct_rows(Z) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct rows, index of each row's distinct row)``, sorting packed rows (fast)."""
    n, f = Z.shape
    if f == 0:
        return np.zeros((1, 0), bool), np.zeros(n, np.intp)
    packed = np.ascontiguousarray(np.packbits(Z, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return Z[first], inverse.ravel()


class TreeSpace:
    """A binary data set with the exact tree objective and memoized subproblems.

    Identical rows always travel together, so a subproblem is the set of
    *distinct* rows it captures: a bit vector packed with ``glassbox._bitset``
    and held as one Python int (``&``, ``^`` and ``bit_count`` on it run in C,
    without numpy's per-call overhead, and it is its own hash key). Counts over a
    subproblem are table lookups, one per byte of its bit vector (:func:`byte_sums`).

    Parameters
    ----------
    Z : bool ndarray (n_samples, n_features)
    y : int ndarray (n_samples,) of 0/1
    regularization : float or Fraction
        Cost of one leaf, in units of misclassification rate.
    """

    def __init__(self, Z, y, regularization):
        Z = np.asarray(Z, dtype=bool)
        y = np.asarray(y).astype(bool)
        self.n_samples, self.n_features = Z.shape
        self.regularization = exact_fraction(regularization)
        self.error_cost = self.regularization.denominator
        self.leaf_cost = self.regularization.numerator * self.n_samples
        self.scale = self.n_samples * self.regularization.denominator
        self.Z = Z
        self.y = y
        group_rows, self.row_group = distinct_rows(Z)
        self.n_groups = len(group_rows)
        self.group_features = group_rows.astype(bool).reshape(self.n_groups, self.n_features)
        self._group_features_int = self.group_features.T.astype(np.int64)  # (F, groups)
        self.group_size = group_size = np.bincount(self.row_group, minlength=self.n_groups)
        self.group_positive = group_positive = np.bincount(
            self.row_group, weights=y, minlength=self.n_groups).astype(np.int64)
        self._sums = byte_sums(np.column_stack([
            group_size, group_positive, np.minimum(group_positive, group_size - group_positive)]))
        self._byte_index = np.arange(len(self._sums))
        self.feature_bits = [packed_to_int(row) for row in pack_rows(self.group_features.T)] \
            if self.n_features else []
        self.root = (1 << self.n_groups) - 1
        self._info: dict[int, NodeInfo] = {}
        self._optimum: dict[tuple, tuple[int, int]] = {}
        self._levels: dict[tuple, LevelRecord] = {}
        self._blocks: dict[tuple, list] = {}
        self._planned: dict[tuple, int] = {}
        self.nodes = 0
        self.budget = None  # SearchBudget checked during the optimum search
        needed = 4 * self.n_features + 1000
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)

    def members(self, node: int) -> np.ndarray:
        """Bool mask over distinct rows (groups) of a subproblem."""
        raw = np.frombuffer(node.to_bytes(8 * n_words(self.n_groups), "little"), np.uint8)
        return np.unpackbits(raw, bitorder="little", count=self.n_groups).astype(bool)

    # -- objective ------------------------------------------------------------
    def to_float(self, scaled: int) -> float:
        return float(Fraction(scaled, self.scale))

    def info(self, node: int) -> NodeInfo:
        found = self._info.get(node)
        if found is None:
            raw = np.frombuffer(node.to_bytes(len(self._sums), "little"), dtype=np.uint8)
            size, positive, unavoidable = self._sums[self._byte_index, raw].sum(axis=0).tolist()
            found = NodeInfo(size, positive, unavoidable)
            self._info[node] = found
        return found

    def leaf_objective(self, info: NodeInfo) -> int:
        return info.leaf_errors * self.error_cost + self.leaf_cost

    def split_lower_bound(self, info: NodeInfo) -> int:
        """No tree that splits this subproblem does better: two leaves, unavoidable errors."""
        return info.equivalent_errors * self.error_cost + 2 * self.leaf_cost

    def splits(self, node: int, info: NodeInfo) -> list:
        """``(feature, true side, false side)`` of the features that split the node,
        most balanced first (a cheap way to meet good incumbents early)."""
        if info.splits is None:
            found = []
            for j, feature in enumerate(self.feature_bits):
                true_side = node & feature
                if true_side and true_side != node:
                    found.append((j, true_side, node ^ true_side))
            found.sort(key=lambda s: abs(s[1].bit_count() - s[2].bit_count()))
            info.splits = found
        return info.splits

    # -- optimum ----------------------------------------------------------------
    def optimum(self, node: int, depth: int) -> int:
        """Optimal scaled objective of the subproblem (exact, memoized)."""
        found = self._optimum.get((node, depth))
        if found is not None:
            return found[0]
        # time and memory are read every 64 subproblems (they cost a system call); the node
        # count is compared every time so that node_limit is a true maximum
        if self.budget is not None and ((self.nodes + 1) % 64 == 0 or (
                self.budget.node_limit is not None and self.nodes >= self.budget.node_limit)):
            reason = self.budget.stop_reason(self.nodes, None)
            if reason:
                raise SearchStopped(reason)
            self.budget.progress(self.nodes, math.inf, self.to_float(self.lower_bound()),
                                 subproblems=len(self._optimum))
        self.nodes += 1
        info = self.info(node)
        best, best_split = self.leaf_objective(info), -1
        no_split_beats = self.split_lower_bound(info)
        if depth == 1 and best > no_split_beats:
            best, best_split = self._best_stump(node, info, best)
        elif depth != 0 and best > no_split_beats:
            sub = child_depth(depth)
            for j, left_node, right_node in self.splits(node, info):
                if no_split_beats >= best:
                    break
                right_lb = (self.info(right_node).equivalent_errors * self.error_cost
                            + self.leaf_cost)
                left = self.optimum(left_node, sub)
                if left + right_lb >= best:
                    continue
                total = left + self.optimum(right_node, sub)
                if total < best:
                    best, best_split = total, j
        self._optimum[(node, depth)] = (best, best_split)
        return best

    def _best_stump(self, node: int, info: NodeInfo, leaf: int) -> tuple[int, int]:
        """One split left: every feature's two leaves at once, vectorized over features."""
        members = self.members(node)
        n_true = self._group_features_int @ (self.group_size * members)
        positive_true = self._group_features_int @ (self.group_positive * members)
        n_false, positive_false = info.n_samples - n_true, info.n_positive - positive_true
        errors = (np.minimum(positive_true, n_true - positive_true)
                  + np.minimum(positive_false, n_false - positive_false))
        errors[(n_true == 0) | (n_false == 0)] = info.n_samples + 1  # splits nothing off
        if not len(errors):
            return leaf, -1
        j = int(np.argmin(errors))
        total = int(errors[j]) * self.error_cost + 2 * self.leaf_cost
        return (total, j) if total < leaf else (leaf, -1)

    def optimal_tree(self, node: int, depth: int):
        """The optimal tree (feature indices) of a solved subproblem."""
        self.optimum(node, depth)
        _, split = self._optimum[(node, depth)]
        if split < 0:
            return ("leaf", self.info(node).label)
        left = node & self.feature_bits[split]
        sub = child_depth(depth)
        return ("split", split, self.optimal_tree(left, sub),
                self.optimal_tree(node ^ left, sub))

    def lower_bound(self) -> int:
        """A bound that holds without any search: unavoidable errors plus one leaf."""
        return self.info(self.root).equivalent_errors * self.error_cost + self.leaf_cost

    # -- Rashomon levels ------------------------------------------------------------
    def plan_budgets(self, node: int, depth: int, budget: int) -> None:
        """Find, before counting, the largest budget each subproblem will be asked for.

        A child's budget is its parent's minus the sibling's optimum, and a
        subproblem reached by several paths is asked for several budgets; counting
        it for the largest one first means its record is built once. Children
        capture strictly fewer distinct rows than their parent, so visiting
        subproblems from the most rows to the fewest settles each budget before
        it is passed on.
        """
        planned = self._planned
        start = (node, depth)
        if budget <= planned.get(start, -1):
            return
        planned[start] = budget
        heap, done = [(-node.bit_count(), node, depth)], set()
        while heap:
            _, node, depth = heappop(heap)
            if (node, depth) in done:
                continue
            done.add((node, depth))
            budget = planned[(node, depth)]
            info = self.info(node)
            if depth == 0 or budget < self.split_lower_bound(info):
                continue
            sub = child_depth(depth)
            if sub == 0:  # leaf children: nothing below them to plan
                continue
            for _, left, right in self.splits(node, info):
                left_opt, right_opt = self.optimum(left, sub), self.optimum(right, sub)
                if left_opt + right_opt > budget:
                    continue
                for child, child_budget in ((left, budget - right_opt), (right, budget - left_opt)):
                    if child_budget > planned.get((child, sub), -1):
                        planned[(child, sub)] = child_budget
                        heappush(heap, (-child.bit_count(), child, sub))

    def levels(self, node: int, depth: int, budget: int) -> LevelRecord:
        """Counts per scaled objective of all trees of the subproblem with objective <= budget.

        TreeFARMS semantics: a split whose two children are leaves predicting the
        same label is the same classifier as the leaf and is not counted.
        """
        record = self._levels.get((node, depth))
        if record is not None and record.budget >= budget:
            return record
        budget = max(budget, self._planned.get((node, depth), budget))
        info = self.info(node)
        leaf = self.leaf_objective(info)
        counts = defaultdict(int)
        if leaf <= budget:
            counts[leaf] += 1
        record = LevelRecord(budget, counts, leaf, info.label)
        if depth != 0 and budget >= self.split_lower_bound(info):
            sub = child_depth(depth)
            for j, left_node, right_node in self.splits(node, info):
                left_opt = self.optimum(left_node, sub)
                right_opt = self.optimum(right_node, sub)
                if left_opt + right_opt > budget:
                    continue
                left = self.levels(left_node, sub, budget - right_opt)
                right = self.levels(right_node, sub, budget - left_opt)
                self._convolve(counts, left, right, budget)
                record.splits.append((j, (left_node, sub), (right_node, sub)))
        record.counts = {o: c for o, c in counts.items() if c > 0}
        record.sorted_objectives = sorted(record.counts)
        self._levels[(node, depth)] = record
        return record

    @staticmethod
    def _convolve(counts, left: LevelRecord, right: LevelRecord, budget: int) -> None:
        right_objectives = right.sorted_objectives
        for left_obj in left.sorted_objectives:
            room = budget - left_obj
            if room < right_objectives[0]:
                break
            left_count = left.counts[left_obj]
            for right_obj in right_objectives:
                if right_obj > room:
                    break
                counts[left_obj + right_obj] += left_count * right.counts[right_obj]
        if (left.label == right.label
                and left.leaf_objective + right.leaf_objective <= budget):
            counts[left.leaf_objective + right.leaf_objective] -= 1

    def record(self, memo_key) -> LevelRecord:
        return self._levels[memo_key]

    def blocks(self, memo_key, objective) -> list:
        """Parts of the set of trees with exactly this objective, in a fixed order (cached).

        ``("leaf", label)`` first, then per split and per left objective (ascending)
        ``(feature, left_key, left_objective, right_key, right_objective, size,
        skips_leaf_pair, left_count, right_count)``; ``skips_leaf_pair`` marks the block whose first
        (leaf, leaf) pair is not a distinct tree. Records recomputed later with a
        larger budget add no tree at an objective already covered, so the cache
        stays valid.
        """
        cached = self._blocks.get((memo_key, objective))
        if cached is not None:
            return cached
        record = self._levels[memo_key]
        found = [("leaf", record.label)] if record.leaf_objective == objective else []
        for feature, left_key, right_key in record.splits:
            left, right = self._levels[left_key], self._levels[right_key]
            lefts, rights = left.sorted_objectives, right.sorted_objectives
            if not lefts or not rights:
                continue
            # left objectives that leave a right objective inside the right's range
            first = bisect_left(lefts, objective - rights[-1])
            last = bisect_right(lefts, objective - rights[0])
            for left_obj in lefts[first:last]:
                right_obj = objective - left_obj
                right_count = right.counts.get(right_obj)
                if not right_count:
                    continue
                skips = (left.label == right.label and left_obj == left.leaf_objective
                         and right_obj == right.leaf_objective)
                size = left.counts[left_obj] * right_count - int(skips)
                if size > 0:
                    found.append((feature, left_key, left_obj, right_key, right_obj, size,
                                  skips, left.counts[left_obj], right_count))
        self._blocks[(memo_key, objective)] = found
        return found

    def kth_tree(self, memo_key, objective, index: int):
        """The ``index``-th tree (0-based) among those with exactly ``objective``."""
        for block in self.blocks(memo_key, objective):
            if block[0] == "leaf":
                if index == 0:
                    return block
                index -= 1
                continue
            feature, left_key, left_obj, right_key, right_obj, size, skips, _, right_count = block
            if index >= size:
                index -= size
                continue
            # leaves come first within a level, so the skipped (leaf, leaf) pair is pair 0
            pair = index + int(skips)
            left_index, right_index = divmod(pair, right_count)
            return ("split", feature, self.kth_tree(left_key, left_obj, left_index),
                    self.kth_tree(right_key, right_obj, right_index))
        raise IndexError("tree index out of range")


def tree_leaves(tree) -> int:
    return 1 if tree[0] == "leaf" else tree_leaves(tree[2]) + tree_leaves(tree[3])


def tree_predict(tree, Z) -> np.ndarray:
    """Labels of a feature-index tree on a bool matrix (vectorized over rows)."""
    out = np.empty(len(Z), dtype=np.int64)
    stack = [(tree, np.arange(len(Z)))]
    while stack:
        node, rows = stack.pop()
        if node[0] == "leaf":
            out[rows] = node[1]
            continue
        goes_true = Z[rows, node[1]]
        stack.append((node[2], rows[goes_true]))
        stack.append((node[3], rows[~goes_true]))
    return out


def tree_objective(space: TreeSpace, tree) -> int:
    """Scaled objective of a feature-index tree with majority-label leaves (exact)."""
    errors = 0
    stack = [(tree, np.ones(space.n_samples, dtype=bool))]
    while stack:
        node, rows = stack.pop()
        if node[0] == "leaf":
            positive = int(space.y[rows].sum())
            errors += min(positive, int(rows.sum()) - positive)
            continue
        goes_true = space.Z[:, node[1]]
        stack.append((node[2], rows & goes_true))
        stack.append((node[3], rows & ~goes_true))
    return errors * space.error_cost + tree_leaves(tree) * space.leaf_cost
