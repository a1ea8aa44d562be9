"""Tree-regularized networks (issue 7): our numbers beside the published anchors.

Run ``python benchmarks/bench_treereg.py --quick`` (a few minutes) or without
``--quick`` for the full sweep (strengths 1e-4..10, three seeds); ``--skip-tabular``
leaves out the breast cancer / COMPAS frontiers. The parabola runs in the regime
of Wu et al. (see ``PARABOLA`` and ``PARABOLA_NET``). COMPAS needs
``GLASSBOX_DATA`` (the shared benchmark folder); it is skipped when absent. Times
are CPU seconds (``time.process_time``).

Prints one table: measure, anchor, ours, goal met?
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from sklearn.base import clone

from glassbox.datasets import load_breast_cancer_binary, make_parabola
from glassbox.treereg import (
    TreeRegularizedClassifier,
    dominated_share,
    fit_mimic_tree,
    frontier_means,
    path_lengths,
    regularization_frontier,
)
from glassbox.treereg._model import baseline_dominance


def settings(quick: bool) -> dict:
    if quick:
        return {"seeds": (0,), "strengths": (1e-1, 1.0, 10.0), "l1": (1e-4, 1e-3),
                "l2": (1e-3, 1e-2), "tabular_epochs": 30, "max_rows": 1200}
    return {"seeds": (0, 1, 2), "strengths": (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0),
            "l1": (1e-4, 1e-3, 1e-2, 1e-1), "l2": (1e-4, 1e-3, 1e-2, 1e-1),
            "tabular_epochs": 100, "max_rows": None}


# The parabola in the regime of Wu et al. (2018): few noisy points (labels flipped
# with probability 0.15 everywhere, band=1 covers the unit square) and an
# over-parameterized net (two hidden layers of 100) trained long enough to fit part
# of the noise, so that its boundary wiggles and the mimicking CART tree (leaves of
# one row, no pruning) needs many decisions. The library defaults (a 16-16 tanh net,
# leaves of 5 rows) are meant for ordinary use, where there is less to regularize.
PARABOLA = {"n_samples": 500, "noise": 0.15, "band": 1.0}
# augment_size=30 (the library default is 15): twice the mixtures per refit give the
# surrogate enough pairs to pass the 0.8 gate earlier in a run (3-seed sweep: APL ratio
# 0.68 -> 0.50 together with sharper surrogate inputs); L1/L2/plain nets ignore it.
PARABOLA_NET = {"hidden_layer_sizes": (100, 100), "activation": "relu", "learning_rate": 0.01,
                "batch_size": 32, "epochs": 150, "min_samples_leaf": 1, "augment_size": 30}


def best_tree_setting(frontier, tolerance=0.02):
    """Tree-regularized setting with the lowest APL within ``tolerance`` of the plain net."""
    means = frontier_means(frontier)
    plain = means[means["method"] == "none"].iloc[0]
    tree = means[(means["method"] == "tree")
                 & (means["accuracy"] >= plain["accuracy"] - tolerance)]
    if not len(tree):
        return plain, None
    return plain, tree.sort_values("apl").iloc[0]


def frontier_for(name, X, y, cfg, template, test_data=None):
    start = time.process_time()
    frontier = regularization_frontier(template, X, y, strengths=cfg["strengths"], l1=cfg["l1"],
                                       l2=cfg["l2"], seeds=cfg["seeds"], test_data=test_data)
    seconds = time.process_time() - start
    print(f"\n{name}: {len(frontier)} fits in {seconds:.0f} CPU s (seed means)")
    means = frontier_means(frontier).merge(
        frontier.groupby(["method", "penalty"], as_index=False)["fidelity"].mean())
    print(means.round(4).to_string(index=False))
    return frontier, seconds


def true_boundary_trees(test_data) -> list[tuple[float, float]]:
    """(APL on the test rows, test accuracy) of CART trees with 2..40 leaves drawn on the
    true parabola (100,000 noise-free points).

    The most accurate of them within an APL is about the most accurate classifier whose
    decisions a tree of that APL takes, drawn with the true boundary known. A network
    near or above it at its mimicking tree's APL is as accurate as that tree although a
    few hundred noisy rows were all it saw (its smooth boundary looks simpler to a tree
    grown on those rows than it is); a tree-regularized network, whose boundary becomes
    tree-shaped, can match it only by finding that tree from the same few hundred noisy
    rows.
    """
    from sklearn.tree import DecisionTreeClassifier

    clean = make_parabola(n_samples=100_000, noise=0.0, random_state=2)
    X_test, y_test = (np.asarray(v) for v in test_data)
    out = []
    for leaves in range(2, 41):
        tree = DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=0)
        tree.fit(np.asarray(clean.data), np.asarray(clean.target))
        out.append((float(path_lengths(tree, X_test).mean()),
                    float(np.mean(tree.predict(X_test) == y_test))))
    return out


def apl_timing() -> float:
    """Milliseconds for one tree fit + APL on 1437 x 64 (the digits training split)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:1437], y[:1437]
    fit_mimic_tree(X, y)  # warm-up
    runs = 10
    start = time.perf_counter()
    for _ in range(runs):
        path_lengths(fit_mimic_tree(X, y), X).mean()
    return (time.perf_counter() - start) / runs * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, few strengths")
    parser.add_argument("--gate", type=float, default=0.8,
                        help="min_surrogate_r2 of the tree-regularized networks (default 0.8)")
    parser.add_argument("--surrogate-input", choices=("weights", "predictions"),
                        default="predictions",
                        help="what the APL surrogate reads (default: the network's sharpened "
                             "predictions on 256 training rows)")
    parser.add_argument("--test-rows", type=int, default=10_000,
                        help="parabola: measure accuracy on this many fresh points from the "
                             "same generator (another seed) instead of the 150 held-out rows "
                             "per seed; 0 keeps the held-out rows (default 10000)")
    parser.add_argument("--skip-tabular", action="store_true",
                        help="parabola only (the breast cancer / COMPAS frontiers are slow)")
    args = parser.parse_args(argv)
    cfg = settings(args.quick)
    template = TreeRegularizedClassifier(min_surrogate_r2=args.gate,
                                         surrogate_input=args.surrogate_input, **PARABOLA_NET)
    test = ("150 held-out rows per seed" if not args.test_rows else
            f"{args.test_rows} fresh points (make_parabola random_state=1)")
    print(f"settings: {cfg}; parabola {PARABOLA}; network {PARABOLA_NET}; gate {args.gate}; "
          f"surrogate input {args.surrogate_input}; parabola accuracy on {test}; times are CPU "
          "seconds (time.process_time)")
    rows = []  # (measure, anchor, ours, met)

    bunch = make_parabola(**PARABOLA, random_state=0)
    # Each seed still trains on its own 70% split of the 500 points; only the accuracy is
    # read on a large fresh sample: on 150 rows its standard error is about 3 points,
    # larger than the differences between the settings being compared.
    test_data = None
    if args.test_rows:
        fresh = make_parabola(**{**PARABOLA, "n_samples": args.test_rows}, random_state=1)
        test_data = (fresh.data, fresh.target)
    frontier, sweep_seconds = frontier_for("parabola", bunch.data, bunch.target, cfg, template,
                                           test_data)
    plain, best = best_tree_setting(frontier)
    rows.append(("parabola: unregularized accuracy / APL", "0.830 / 17.95",
                 f"{plain['accuracy']:.3f} / {plain['apl']:.2f}", ""))
    if best is None:
        rows.append(("parabola: APL ratio at <= 2 pts accuracy loss", "6.34/17.95 = 0.35",
                     "no tree setting within 2 pts", "no"))
    else:
        ratio = best["apl"] / max(plain["apl"], 1e-12)
        rows.append(("parabola: tree-reg accuracy / APL (best within 2 pts)", "0.845 / 6.34",
                     f"{best['accuracy']:.3f} / {best['apl']:.2f} (strength {best['penalty']:g})",
                     ""))
        rows.append(("parabola: APL ratio vs unregularized (goal <= 0.5)", "0.35",
                     f"{ratio:.2f}", "yes" if ratio <= 0.5 else "no"))
    l2_means = frontier_means(frontier)
    l2_best = l2_means[l2_means["method"] == "l2"].sort_values("accuracy").iloc[-1]
    rows.append(("parabola: best L2 accuracy / APL", "0.855 / 16.11",
                 f"{l2_best['accuracy']:.3f} / {l2_best['apl']:.2f}", ""))
    share = dominated_share(frontier)
    rows.append(("parabola: share of L1/L2 points dominated (goal 1.0)", "1.0 (Wu 2018)",
                 f"{share:.2f}", "yes" if share >= 1.0 else "no"))
    undominated = baseline_dominance(frontier).query("not dominated and apl > 0")
    if test_data is not None and len(undominated):
        # why the L1/L2 points that stay undominated do: each against the most accurate
        # tree-shaped classifier of no larger APL
        ladder = true_boundary_trees(test_data)
        for _, point in undominated.iterrows():
            # the first (fewest leaves) of the most accurate
            ceiling_apl, ceiling = max((tree for tree in ladder if tree[0] <= point["apl"]),
                                       key=lambda tree: tree[1], default=(0.0, 0.0))
            rows.append((f"  undominated {point['method'].upper()} {point['penalty']:g}: "
                         "accuracy / APL vs best tree on the true boundary, APL <=", "-",
                         f"{point['accuracy']:.3f} / {point['apl']:.2f} vs {ceiling:.3f} "
                         f"(APL {ceiling_apl:.2f})", ""))
    tree_rows = frontier[frontier["method"] == "tree"]
    chosen = (tree_rows[tree_rows["penalty"] == best["penalty"]] if best is not None
              else tree_rows)
    fidelity = float(chosen["fidelity"].mean())
    rows.append(("parabola: tree-net agreement (goal >= 0.9)", "0.89", f"{fidelity:.3f}",
                 "yes" if fidelity >= 0.9 else "no"))
    scale = "" if not args.quick else " (quick grid; full grid is larger)"
    rows.append(("parabola: strength sweep CPU time (goal <= 600 s)", "-",
                 f"{sweep_seconds:.0f} s{scale}", "yes" if sweep_seconds <= 600 else "no"))

    per_epoch = frontier.groupby("method")["seconds"].mean() / template.epochs
    overhead = per_epoch["tree"] / per_epoch["l2"]
    rows.append(("per-epoch time, tree-reg / L2 net (goal <= 3)", "-",
                 f"{overhead:.2f} ({per_epoch['tree'] * 1000:.0f} / {per_epoch['l2'] * 1000:.0f}"
                 " ms)", "yes" if overhead <= 3 else "no"))

    # surrogate quality with and without the convex-combination augmentation
    r2 = {}
    for augment in (0, template.augment_size):
        # a gate that never opens: the surrogate is measured along a plain training run
        model = clone(template).set_params(strength=1.0, random_state=0, augment_size=augment,
                                           min_surrogate_r2=2.0)
        model.fit(bunch.data, bunch.target)
        r2[augment] = model.surrogate_r2_
    rows.append(("surrogate held-out R^2, raw snapshots only", "0.11",
                 f"{r2[0]:.3f}", ""))
    rows.append((f"surrogate held-out R^2, + {template.augment_size} mixtures per refit "
                 "(gate 0.8)", "error 0.069 -> 0.015", f"{r2[template.augment_size]:.3f}",
                 "yes" if r2[template.augment_size] >= 0.8 else "no"))
    # extra row: the surrogate where it is used, at the end of the sweep's tree-regularized
    # runs (there the penalty has moved the APL, so the history spans a wider range)
    swept_r2 = frontier.loc[frontier["method"] == "tree", "surrogate_r2"]
    rows.append(("extra: surrogate R^2 at the end of the sweep's tree-reg runs (median, "
                 "min-max)", "-", f"{swept_r2.median():.3f} ({swept_r2.min():.3f}-"
                 f"{swept_r2.max():.3f})", ""))
    opened = tree_rows["penalty_from"]
    rows.append(("extra: epoch the R^2 gate opened in those runs (median; never)", "-",
                 f"{opened.median():.0f} of {template.epochs}; never in "
                 f"{int(opened.isna().sum())} of {len(opened)}", ""))
    rows.append(("tree fit + APL on 1437 x 64 (ms)", "27", f"{apl_timing():.1f}", ""))

    tabular = [] if args.skip_tabular else [("breast cancer", load_breast_cancer_binary)]
    if args.skip_tabular:
        pass
    elif os.environ.get("GLASSBOX_DATA"):
        from glassbox.datasets import fetch_compas

        tabular.append(("COMPAS (binned)", lambda: fetch_compas(variant="binned")))
    else:
        print("\nCOMPAS skipped: set GLASSBOX_DATA to the shared data folder.", file=sys.stderr)
    for name, loader in tabular:
        data = loader()
        X, y = data.data, np.asarray(data.target)
        if cfg["max_rows"] and len(X) > cfg["max_rows"]:
            keep = np.random.default_rng(0).choice(len(X), cfg["max_rows"], replace=False)
            X, y = X.iloc[keep], y[keep]
        # the library's default network, as a user would fit it
        frontier, _ = frontier_for(name, X, y, cfg, TreeRegularizedClassifier(
            epochs=cfg["tabular_epochs"], min_surrogate_r2=args.gate,
            surrogate_input=args.surrogate_input))
        plain, best = best_tree_setting(frontier)
        ours = (f"plain {plain['accuracy']:.3f} / APL {plain['apl']:.2f}; tree-reg "
                + ("none within 2 pts" if best is None else
                   f"{best['accuracy']:.3f} / {best['apl']:.2f}")
                + f"; dominated share {dominated_share(frontier):.2f}")
        rows.append((f"{name}: accuracy / APL frontier", "reported", ours, ""))

    print("\nTree-regularized networks vs anchors"
          + (" (quick mode)" if args.quick else ""))
    widths = [max(len(str(r[i])) for r in rows + [("measure", "anchor", "ours", "goal met?")])
              for i in range(4)]
    for r in [("measure", "anchor", "ours", "goal met?")] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
