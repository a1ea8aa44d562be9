# %% [markdown]
# # Explaining a black box: distillation, local surrogates, counterfactuals
#
# You already have a neural network that works. `glassbox.distill` gives you three views of
# it through the same interface as every other glassbox model:
#
# 1. a **readable student** (a depth-4 tree) that mimics it, with an honest fidelity figure;
# 2. **local explanations**: a sparse linear model of the network's logit around one case,
#    each with its own local R^2 and a stability score;
# 3. **counterfactuals**: the cheapest change of a case that flips the decision, exact for
#    trees, always verified against the network itself.
#
# Set `GLASSBOX_FAST=1` for a quick run (smaller network, fewer rows).

# %%
import os

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.distill import Distiller, LocalSurrogate, counterfactual

FAST = os.environ.get("GLASSBOX_FAST") == "1"
data = load_breast_cancer(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0)
hidden = (16,) if FAST else (64, 32)
network = make_pipeline(StandardScaler(),
                        MLPClassifier(hidden, max_iter=300 if FAST else 2000, random_state=0))
network.fit(X_train, y_train)
print(f"network accuracy on held-out rows: {network.score(X_test, y_test):.3f}")

# %% [markdown]
# ## 1. A tree that mimics the network
#
# `Distiller` fits the tree on the network's labels, then synthesizes new inputs inside
# each leaf of the tree (from a Gaussian-mixture density of the data), asks the network
# about them and refits; the final tree picks its top two levels of splits by lookahead
# (several candidate splits, each completed greedily, the best kept).
# `fidelity_` is the agreement with the network on real rows that
# were held out from all of this, with a 95% Wilson interval, and `boundary_fidelity_` the
# agreement on the quarter of them nearest the network's decision boundary.

# %%
distiller = Distiller(network, max_depth=4, n_queries=2000 if FAST else "auto",
                      random_state=0).fit(X_train)
print(distiller)
print(f"\nagreement with the network on the test split: "
      f"{np.mean(distiller.predict(X_test) == network.predict(X_test)):.3f}")

# %% [markdown]
# The student explains its own predictions row by row, and it saves to JSON like any
# glassbox model (the network itself is not saved).

# %%
print(distiller.explain(X_test.iloc[:2]))
saved = distiller.to_dict()
print("unsaved parameters:", saved["unsaved_params"])

# %% [markdown]
# ## 2. Local explanations of the network's logit
#
# Around one case, perturbations are drawn in antithetic pairs and the network's logit is
# fitted by a closed-form ridge regression; the five strongest features are kept. Every
# explanation says how well the linear model fits (local R^2) and how stable its choice of
# features is.

# %%
local = LocalSurrogate(network, max_features=5, random_state=0).fit(X_train)
explanation = local.explain(X_test.iloc[:3])
print(explanation.texts[0])
explanation.to_frame()[["target", "teacher_logit", "local_r2", "stability", "feature_1"]]

# %% [markdown]
# A submodular pick chooses a few cases whose explanations together cover the most
# important features: a global view built from local ones.

# %%
picked, summary = local.pick(X_test.iloc[:40], 3)
print("representative rows:", picked.tolist())
print(summary.to_frame()[["feature_1", "feature_2", "feature_3"]])

# %% [markdown]
# ## 3. Counterfactuals
#
# For a tree the nearest counterfactual is exact: every leaf of the other class is a box,
# the cheapest point of a box is the coordinate-wise projection of the case, and the
# cheapest box wins. Costs can be in units of each feature's median absolute deviation.

# %%
tree = distiller.student_
case = X_test.iloc[0]
exact = counterfactual(distiller, case, cost="mad", X_reference=X_train)
print(exact)

# %% [markdown]
# For the network itself, the search goes through a distilled surrogate and every candidate
# is checked against the network: `valid` is True only when the network agrees. Columns that
# cannot change are listed as `immutable`.

# %%
black_box = counterfactual(network, case, cost="mad", X_reference=X_train,
                           immutable=["mean radius"])
print(black_box)
print("network says:", network.predict(black_box.x_cf.to_frame().T)[0],
      "| target:", black_box.target, "| valid:", black_box.valid)
