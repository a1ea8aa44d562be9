# %% [markdown]
# # Tree regularization: networks that a short tree can simulate
#
# A neural network is accurate but hard to read. Tree regularization (Wu et al.,
# AAAI 2018) trains the network with an extra penalty: the average decision-path
# length (APL) of the decision tree that mimics it. The fitted model carries that
# tree, so every prediction comes with a short path of readable tests.
#
# Set `GLASSBOX_FAST=1` for a run of a few seconds.

# %%
import os

import numpy as np

from glassbox.datasets import make_parabola
from glassbox.treereg import TreeRegularizedClassifier, average_path_length, fit_mimic_tree

FAST = os.environ.get("GLASSBOX_FAST") == "1"
EPOCHS = 12 if FAST else 60
data = make_parabola(n_samples=400 if FAST else 1000, noise=0.1, random_state=0)
X, y = data.data, data.target
X.head()

# %% [markdown]
# ## The APL of a tree
#
# The APL counts decisions from the root to each row's leaf and averages them. It
# is computed from the nodes each row visits, not from node ids.

# %%
tree = fit_mimic_tree(X.to_numpy(), y, min_samples_leaf=5)
print("APL of a CART tree fitted to the labels:", round(average_path_length(tree, X.to_numpy()), 2))

# %% [markdown]
# ## A plain network and a tree-regularized one
#
# `strength=0` trains a plain network. With `strength > 0` the surrogate of the
# APL is trained every `surrogate_every` epochs and the penalty switches on once the
# surrogate's held-out R^2 reaches `min_surrogate_r2` (0.8 by default), then stays
# on. This short run lowers the gate to 0.5 so that it opens; the benchmark
# (`benchmarks/bench_treereg.py`) runs the paper's regime (a 100-100 network that
# overfits a noisier parabola for 150 epochs) with the default gate.

# %%
common = dict(hidden_layer_sizes=(16,), epochs=EPOCHS, batch_size=50, learning_rate=0.02,
              surrogate_every=4, augment_size=12, random_state=0)
plain = TreeRegularizedClassifier(strength=0.0, **common).fit(X, y)
regularized = TreeRegularizedClassifier(strength=1.0, min_surrogate_r2=0.5, **common).fit(X, y)
for name, model in (("plain", plain), ("tree-regularized", regularized)):
    print(f"{name:>17}: accuracy {model.score(X, y):.3f}, APL {model.apl_:.2f}, "
          f"tree-net agreement {model.fidelity_:.3f}, surrogate R^2 {model.surrogate_r2_:.2f}")

# %% [markdown]
# The model prints the network summary and the tree that simulates it, with the
# real feature names.

# %%
print(regularized)

# %% [markdown]
# `history_` has the loss, accuracy and true APL of every epoch, and whether the
# penalty was on.

# %%
regularized.history_.tail()

# %% [markdown]
# ## Explaining predictions
#
# For each row: the network's prediction and probability, and the tree path that
# mimics it.

# %%
explanation = regularized.explain(X.iloc[:3])
print(explanation)
explanation.to_frame()

# %% [markdown]
# ## Saving
#
# The model (network weights as lists, the tree, the history) round-trips through
# JSON and predicts identically.

# %%
import glassbox  # noqa: E402

again = glassbox.from_dict(regularized.to_dict())
assert np.array_equal(again.predict_proba(X), regularized.predict_proba(X))

# %% [markdown]
# ## The frontier: APL against accuracy
#
# `plot_frontier(X, y)` fits networks over a range of tree-regularization
# strengths and L1 / L2 weights and draws test accuracy against APL. It is slow
# (one network per setting and seed), so the fast run uses a tiny grid.

# %%
grid = dict(strengths=(1.0,), l1=(1e-2,), l2=(1e-2,), seeds=(0,)) if FAST else {}
try:
    import matplotlib

    matplotlib.use("Agg")
    ax = TreeRegularizedClassifier(**{**common, "epochs": 4 if FAST else EPOCHS}).plot_frontier(
        X, y, **grid)
    print("frontier points:", len(ax.get_lines()), "series")
except ImportError:
    print("matplotlib is not installed; skipping the plot")
