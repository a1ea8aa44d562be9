"""``glassbox rashomon``: size, ratio, best models and importance ranges of a Rashomon set."""

from __future__ import annotations

import time

MODELS = ("tree", "rules", "scorecard", "logistic")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rashomon", help="how many models are almost as good as the best one, and do they agree",
        description="Find the Rashomon set (every model within epsilon of the best) on a CSV "
                    "file and print its size, its Rashomon ratio, the best models and the "
                    "range of each feature's importance over the set.")
    p.add_argument("data", metavar="DATA.csv")
    p.add_argument("--target", help="name of the label column")
    p.add_argument("--model", default="tree", help=f"one of: {', '.join(MODELS)} (default tree)")
    p.add_argument("--max-depth", type=int, default=None,
                   help="trees: levels of splits (needed for the exact ratio)")
    p.add_argument("--regularization", type=float, default=0.01,
                   help="cost per leaf (trees) or per rule (rules); default 0.01")
    p.add_argument("--epsilon", type=float, default=0.01, help="objective slack (default 0.01)")
    p.add_argument("--bound", default="additive",
                   help="additive, multiplicative or absolute (default additive)")
    p.add_argument("--top", type=int, default=3, help="best models to print (default 3)")
    p.add_argument("--plot", metavar="FILE.png", help="plot the importance ranges (matplotlib)")
    p.set_defaults(func=run)


def _estimator(args):
    from glassbox.cli import UserError

    if args.model == "tree":
        from glassbox.trees import SparseTreeClassifier

        return SparseTreeClassifier(regularization=args.regularization, max_depth=args.max_depth)
    if args.model == "rules":
        from glassbox.rules import RuleListClassifier

        return RuleListClassifier(c=args.regularization)
    if args.model == "scorecard":
        from glassbox.scoring import RiskScoreClassifier

        return RiskScoreClassifier()
    if args.model == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()
    raise UserError(f"unknown --model {args.model!r}; choose from {', '.join(MODELS)}")


def plot_importance_ranges(table, path) -> None:
    """Horizontal bars from min to max importance per feature, a dot at the mean."""
    from glassbox._deps import import_optional

    matplotlib = import_optional("matplotlib", purpose="glassbox rashomon --plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = table.sort_values("max")
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(table) + 1.2))
    rows = range(len(table))
    ax.hlines(list(rows), table["min"], table["max"], linewidth=6, color="tab:blue", alpha=0.6)
    ax.plot(table["mean"], list(rows), "o", color="black", markersize=4)
    ax.set_yticks(list(rows), table["feature"])
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel(f"{table['kind'].iloc[0]} over the Rashomon set (range, dot = mean)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args, extra) -> int:
    from glassbox.cli import UserError, read_table
    from glassbox.rashomon import RashomonSet, rashomon_ratio

    X, y = read_table(args.data, args.target)
    estimator = _estimator(args)
    start = time.perf_counter()
    try:
        rashomon = RashomonSet(estimator, epsilon=args.epsilon, bound=args.bound).fit(X, y)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    seconds = time.perf_counter() - start
    print(f"Rashomon set of {estimator} on {args.data} ({len(X)} rows)")
    print(f"best objective {rashomon.optimal_objective_:.6g}; set bound "
          f"{rashomon.objective_bound_:.6g} ({args.bound} epsilon {args.epsilon})")
    if rashomon.kind_ == "ellipsoid":
        print(f"size: a continuum (ellipsoid), log volume {rashomon.log_volume_:.4g}")
    else:
        print(f"size: {rashomon.size_:,} models  (found in {seconds:.2f} s)")
    if rashomon.kind_ == "trees" and args.max_depth is not None:
        print(rashomon_ratio(estimator, X, y, args.epsilon, bound=args.bound))
    elif rashomon.kind_ == "trees":
        print("ratio: not counted without --max-depth (the hypothesis space is unbounded)")
    if rashomon.kind_ != "ellipsoid":
        for k in range(min(args.top, rashomon.size_)):
            print(f"\n--- model {k + 1} of {rashomon.size_:,} ---")
            print(rashomon.models(k).to_text())
    table = rashomon.variable_importance()
    print(f"\nimportance over the set ({table['kind'].iloc[0]}):")
    print(table.drop(columns="kind").sort_values("max", ascending=False)
          .to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if args.plot:
        plot_importance_ranges(table, args.plot)
        print(f"plot written to {args.plot}")
    return 0
