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
from functools import partial
from heapq import heappop, heappush

import numpy as np

from glassbox._bitset import n_words, pack_rows
from glassbox.trees._kernels import (
    get_kernels,
    leaf_pairs,
    pair_tables_numpy,
    resolve_backend,
)

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


@dataclass(slots=True)
class NodeInfo:
    """Counts of one subproblem (a set of captured samples)."""

    n_samples: int
    n_positive: int
    equivalent_errors: int  # errors no tree can avoid: identical rows with both labels
    splits: list | None = None  # (feature, true side, false side) for features that split
    # the same splits as arrays: features, and per side (n, positive, unavoidable, groups);
    # dropped once splits are made
    split_table: tuple | None = None
    # per split as lists: (feature, objective of its two leaves, both leaves agree?)
    two_leaves: tuple | None = None
    stump: tuple | None = None  # (objective, feature) of the best split into two leaves
    children_prepared: bool = False  # _prepare_children has run
    # its children's stumps: objective, same label, how many, best (from _prepare_children)
    pair_table: tuple | None = None

    @property
    def label(self) -> int:
        return int(2 * self.n_positive >= self.n_samples)  # majority, ties to class 1

    @property
    def leaf_errors(self) -> int:
        return min(self.n_positive, self.n_samples - self.n_positive)


@dataclass(slots=True)
class LevelRecord:
    """Trees of a subproblem within ``budget``: how many at each scaled objective."""

    budget: int
    counts: dict  # objective -> number of trees (Python int, exact)
    leaf_objective: int
    label: int
    splits: list = field(default_factory=list)  # (feature, (node, depth) if_true, if_false)
    sorted_objectives: list = field(default_factory=list)
    items: list = field(default_factory=list)  # (objective, count) in sorted_objectives order


class SearchStopped(Exception):
    """Raised inside the search when a budget (time, nodes, memory, Ctrl-C) ran out."""


def packed_to_int(packed) -> int:
    """A packed ``uint64`` bit vector (``glassbox._bitset``) as one Python int, bit i = row i."""
    return int.from_bytes(np.ascontiguousarray(packed, dtype="<u8").tobytes(), "little")


def distinct_rows(Z) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct rows, index of each row's distinct row)``, in lexicographic row order."""
    n, f = Z.shape
    if f == 0:
        return np.zeros((1, 0), bool), np.zeros(n, np.intp)
    if f <= 62:
        # one int64 per row, first feature most significant: sorting ints is much faster
        # than sorting byte strings, and gives the same order
        keys = Z.astype(np.int64) @ (np.int64(1) << np.arange(f - 1, -1, -1, dtype=np.int64))
    else:
        packed = np.ascontiguousarray(np.packbits(Z, axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return Z[first], inverse.ravel()


class TreeSpace:
    """A binary data set with the exact tree objective and memoized subproblems.

    Identical rows always travel together, so a subproblem is the set of
    *distinct* rows it captures: a bit vector packed with ``glassbox._bitset``
    and held as one Python int (``&``, ``^`` and ``bit_count`` on it run in C,
    without numpy's per-call overhead, and it is its own hash key). The counts of
    a subproblem's children are found for all features by one kernel call
    (:meth:`split_table`); two levels above the leaves, the counts of all
    grandchildren and each child's best stump come from one call too
    (:meth:`_prepare_children`), so a depth-limited search spends little time
    per subproblem in Python. The kernels (:mod:`glassbox.trees._kernels`) are
    numba-compiled when numba is installed, numpy otherwise, with equal results.

    Parameters
    ----------
    Z : bool ndarray (n_samples, n_features)
    y : int ndarray (n_samples,) of 0/1
    regularization : float or Fraction
        Cost of one leaf, in units of misclassification rate.
    backend : {"auto", "numba", "numpy"}, default="auto"
        Kernels of :meth:`split_table` and :meth:`_prepare_children`
        (:mod:`glassbox.trees._kernels`); both give the same integers, so the
        same search.
    """

    def __init__(self, Z, y, regularization, backend: str = "auto"):
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
        # float64 for BLAS products in the numpy kernels: sums of counts (< n_samples) are exact
        self._group_features_float = self.group_features.T.astype(np.float64)
        self.group_size = group_size = np.bincount(self.row_group, minlength=self.n_groups)
        self.group_positive = group_positive = np.bincount(
            self.row_group, weights=y, minlength=self.n_groups).astype(np.int64)
        # per distinct row: samples, positives, unavoidable errors, 1 (to count distinct rows)
        self._group_stats = np.column_stack([
            group_size, group_positive, np.minimum(group_positive, group_size - group_positive),
            np.ones(self.n_groups, dtype=np.int64)])
        # objectives of two-leaf trees fit in int64 (vectorized); else exact Python ints
        self._objective_dtype = np.int64 if (
            self.n_samples * self.error_cost + 2 * self.leaf_cost < 2**62) else object
        # trees of up to 4 leaves fit int64: the compiled depth-2 counting may run
        self._small_depth_two = (self.n_samples * self.error_cost + 4 * self.leaf_cost
                                 < 2**62)
        resolve_backend(backend)  # a bad name fails here, numba is loaded on first use
        self.backend = backend
        self._kernel_pair = None
        self.feature_bits = [packed_to_int(row) for row in pack_rows(self.group_features.T)] \
            if self.n_features else []
        self.root = (1 << self.n_groups) - 1
        self._info: dict[int, NodeInfo] = {}
        self._optimum: dict[tuple, tuple[int, int]] = {}
        self._levels: dict[tuple, LevelRecord] = {}
        self._child_budgets: dict[tuple, int] = {}  # stump problems counted by their parent
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
            size, positive, unavoidable, _ = self._group_stats[self.members(node)].sum(
                axis=0).tolist()
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
        most balanced first (a cheap way to meet good incumbents early); the
        children's counts are recorded on the way (from :meth:`split_table`)."""
        if info.splits is None:
            features, true, false = self.split_table(node, info)
            found, cache, feature_bits = [], self._info, self.feature_bits
            for j, true_counts, false_counts in zip(features.tolist(), true[:, :3].tolist(),
                                                    false[:, :3].tolist()):
                true_side = node & feature_bits[j]
                false_side = node ^ true_side
                if true_side not in cache:
                    cache[true_side] = NodeInfo(*true_counts)
                if false_side not in cache:
                    cache[false_side] = NodeInfo(*false_counts)
                found.append((j, true_side, false_side))
            # the children's NodeInfos hold those counts now: keep them once, not twice
            info.splits, info.split_table = found, None
        return info.splits

    def split_table(self, node: int, info: NodeInfo) -> tuple:
        """The splits of a subproblem as arrays, in :meth:`splits` order: ``(features,
        true side counts, false side counts)``, counts per side being (samples,
        positives, unavoidable errors, distinct rows).

        One kernel call (:mod:`glassbox.trees._kernels`) gives every child's counts
        at once, so no child is summed on its own (that used to be most of the
        time of a depth-limited search).
        """
        if info.split_table is None:
            total = np.array([info.n_samples, info.n_positive, info.equivalent_errors,
                              node.bit_count()], dtype=np.int64)
            info.split_table = self._kernels()[0](
                self.members(node), self._group_features_float, self._group_stats, total)
        return info.split_table

    def _kernels(self):
        """``(split_table, pair_tables, stump_pair_counts)`` of this space's backend
        (numba loads on first use; the numpy backend has no ``stump_pair_counts``)."""
        if self._kernel_pair is None:
            self._kernel_pair = get_kernels(self.backend)
        return self._kernel_pair

    def _two_leaves(self, node: int, info: NodeInfo) -> tuple[list, list, list]:
        """Per split (in :meth:`splits` order): its feature, the objective of its two
        leaves and whether both leaves predict the same label (lists: the callers
        loop over a few features, faster in Python than in numpy calls)."""
        if info.two_leaves is None:
            features, true, false = self.split_table(node, info)
            objective, same_label = leaf_pairs(true, false, self.error_cost, self.leaf_cost,
                                               self._objective_dtype)
            info.two_leaves = (features.tolist(), objective.tolist(), same_label.tolist())
        return info.two_leaves

    def _prepare_children(self, node: int, info: NodeInfo) -> None:
        """Fill the split tables of all children of a subproblem in one batch.

        Used two levels above the leaves, where every child is a stump problem:
        the kernel (:mod:`glassbox.trees._kernels`) counts ``node & feature j &
        feature k`` for all pairs ``(j, k)`` and gives each child what
        :meth:`_two_leaves` and :meth:`_best_stump` would find child by child.
        """
        if info.children_prepared:
            return
        info.children_prepared = True
        splits = self.splits(node, info)
        if not splits:
            return
        parents = np.array([j for j, _, _ in splits], dtype=np.int64)
        if self._objective_dtype is np.int64:
            kernel = self._kernels()[1]
        else:  # exact Python ints: numpy's object arrays
            kernel = partial(pair_tables_numpy, dtype=object)
        total = np.array([info.n_samples, info.n_positive, info.equivalent_errors,
                          node.bit_count()], dtype=np.int64)
        order, n_valid, true, false, objective, same_label, least, first = kernel(
            self.members(node), self._group_features_float, self._group_stats, parents, total,
            self.error_cost, self.leaf_cost)
        info.pair_table = (objective, same_label, n_valid, least)
        children = [t for _, t, _ in splits] + [f for _, _, f in splits]
        rows = zip(children, n_valid.tolist(), order.tolist(), objective.tolist(),
                   same_label.tolist(), least.tolist(), first.tolist())
        for child, k, features, objectives, same, best, j in rows:
            child_info = self._info[child]
            if child_info.two_leaves is None:
                # its split_table is not kept: below a stump problem are only leaves
                child_info.two_leaves = (features[:k], objectives[:k], same[:k])
                child_info.stump = (int(best), j) if k else (None, -1)

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
            if depth == 2:
                self._prepare_children(node, info)
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
        """One split left: the best of every feature's two leaves (ties: first feature)."""
        if info.stump is None:
            features, objective, _ = self._two_leaves(node, info)
            best = min(objective, default=None)
            info.stump = (best, min(j for j, o in zip(features, objective) if o == best)
                          ) if objective else (None, -1)
        best, j = info.stump
        return (best, j) if best is not None and best < leaf else (leaf, -1)

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
            if sub == 0 or (sub == 1 and self._compiled_depth_two(budget)):
                continue  # leaf children, or stump problems counted by their parent
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
        if depth == 1 and budget >= self.split_lower_bound(info):
            # children are leaves: each split is one tree, unless both leaves agree
            for j, objective, same_label in zip(*self._two_leaves(node, info)):
                if objective <= budget and not same_label:
                    left_node = node & self.feature_bits[j]
                    counts[objective] += 1
                    record.splits.append((j, (left_node, 0), (node ^ left_node, 0)))
        elif depth == 2 and budget >= self.split_lower_bound(info) \
                and self._compiled_depth_two(budget):
            self._count_depth_two(node, info, budget, counts, record)
        elif depth != 0 and budget >= self.split_lower_bound(info):
            sub = child_depth(depth)
            if depth == 2:
                self._prepare_children(node, info)
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
        record.items = [(o, record.counts[o]) for o in record.sorted_objectives]
        self._levels[(node, depth)] = record
        return record

    def _compiled_depth_two(self, budget: int) -> bool:
        """Whether :meth:`_count_depth_two` counts subproblems two levels above the
        leaves (numba backend, objectives of up to 4 leaves and the budget in int64)."""
        return self._small_depth_two and budget < 2**62 and self._kernels()[2] is not None

    def _count_depth_two(self, node: int, info: NodeInfo, budget: int, counts,
                         record: LevelRecord) -> None:
        """The trees of a subproblem two levels above the leaves, all splits in one
        compiled call (``_numba_kernels.stump_pair_counts``), without a level record
        per child: those are made on demand by :meth:`record`, for the budget
        noted here, and count the same trees."""
        self._prepare_children(node, info)
        splits = self.splits(node, info)
        if not splits:
            return
        objective, same_label, n_valid, least = info.pair_table
        cache = self._info
        sizes = np.array([(cache[t].n_samples, cache[t].n_positive) for _, t, _ in splits]
                         + [(cache[f].n_samples, cache[f].n_positive) for _, _, f in splits],
                         dtype=np.int64)
        n, positive = sizes[:, 0], sizes[:, 1]
        leaf = np.minimum(positive, n - positive) * self.error_cost + self.leaf_cost
        # a child's optimum (as optimum(child, 1)): its leaf or its best stump
        optimum = np.where(n_valid > 0, np.minimum(leaf, least), leaf)
        objectives, numbers, used = self._kernels()[2](
            objective, same_label, n_valid, leaf, (2 * positive >= n).astype(np.int64),
            optimum, budget)
        optimum = optimum.tolist()
        for value, number in zip(objectives.tolist(), numbers.tolist()):
            counts[value] += number
        n_splits = len(splits)
        for s in np.flatnonzero(used).tolist():
            j, left_node, right_node = splits[s]
            record.splits.append((j, (left_node, 1), (right_node, 1)))
            for key, child_budget in (((left_node, 1), budget - optimum[s + n_splits]),
                                      ((right_node, 1), budget - optimum[s])):
                if child_budget > self._child_budgets.get(key, -1):
                    self._child_budgets[key] = child_budget
                    old = self._levels.get(key)
                    if old is not None and old.budget < child_budget:
                        del self._levels[key]  # rebuilt on demand for the larger budget

    @staticmethod
    def _convolve(counts, left: LevelRecord, right: LevelRecord, budget: int) -> None:
        """Add to ``counts`` the pairs (left tree, right tree) within ``budget``, by
        objective, less the (leaf, leaf) pair of one label."""
        right_items = right.items
        if right_items:
            smallest = right_items[0][0]
            for left_obj, left_count in left.items:
                room = budget - left_obj
                if room < smallest:
                    break
                for right_obj, right_count in right_items:
                    if right_obj > room:
                        break
                    counts[left_obj + right_obj] += left_count * right_count
        if (left.label == right.label
                and left.leaf_objective + right.leaf_objective <= budget):
            counts[left.leaf_objective + right.leaf_objective] -= 1

    def record(self, memo_key) -> LevelRecord:
        """The level record of a counted subproblem; a leaf-only subproblem (depth 0)
        that the depth-1 shortcut of :meth:`levels` skipped, or a stump problem
        (depth 1) that :meth:`_count_depth_two` counted, is recorded on demand."""
        found = self._levels.get(memo_key)
        if found is None:
            node, depth = memo_key
            if depth == 1 and memo_key in self._child_budgets:  # see _count_depth_two
                return self.levels(node, 1, self._child_budgets[memo_key])
            if depth != 0:
                raise KeyError(memo_key)
            info = self.info(node)
            leaf = self.leaf_objective(info)
            found = LevelRecord(leaf, {leaf: 1}, leaf, info.label, sorted_objectives=[leaf],
                                items=[(leaf, 1)])
            self._levels[memo_key] = found
        return found

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
        record = self.record(memo_key)
        found = [("leaf", record.label)] if record.leaf_objective == objective else []
        for feature, left_key, right_key in record.splits:
            left, right = self.record(left_key), self.record(right_key)
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
