# %% [markdown]
# # Distil a torch network into a tree, and check its fidelity
#
# A user has a trained neural network (here a small torch MLP on the breast
# cancer data) and needs a model a person can read. `Distiller` queries the
# network (no gradients needed), synthesizes extra inputs inside the regions of
# the growing tree, and returns a depth-4 tree with an honest fidelity: its
# agreement with the network on real rows it never saw, with a confidence
# interval. Set `GLASSBOX_FAST=1` for a run of a few seconds.

# %%
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from glassbox._deps import extra_available
from glassbox.datasets import load_breast_cancer_binary
from glassbox.distill import Distiller, counterfactual

if not extra_available("torch"):
    print('This tutorial needs torch: pip install "glassbox[torch]"')
    sys.exit(0)
import torch

FAST = bool(os.environ.get("GLASSBOX_FAST"))
data = load_breast_cancer_binary()
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0)

# %% [markdown]
# ## The network to explain
# Standardization is folded into the network's first layer, so the network
# takes the raw measurements, as the tree will.

# %%
scaler = StandardScaler().fit(X_train)
torch.manual_seed(0)  # a script may seed torch globally; glassbox itself never does
first = torch.nn.Linear(X_train.shape[1], 32)
with torch.no_grad():  # fold (x - mean) / scale into the first layer
    scale = torch.tensor(scaler.scale_, dtype=torch.float32)
    mean = torch.tensor(scaler.mean_, dtype=torch.float32)
    first.weight.div_(scale)
    first.bias.sub_(first.weight @ mean)
network = torch.nn.Sequential(first, torch.nn.ReLU(), torch.nn.Linear(32, 2))
inputs = torch.tensor(X_train.to_numpy(), dtype=torch.float32)
labels = torch.tensor(np.asarray(y_train), dtype=torch.long)
optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
for _ in range(100 if FAST else 400):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(network(inputs), labels).backward()
    optimizer.step()
network.eval()
with torch.no_grad():
    logits = network(torch.tensor(X_test.to_numpy(), dtype=torch.float32))
print(f"network test accuracy: {(logits.argmax(1).numpy() == np.asarray(y_test)).mean():.3f}")

# %% [markdown]
# ## Distil it
# The network is the teacher; the default student is a depth-4 decision tree.

# %%
distiller = Distiller(network, max_depth=4, random_state=0)
distiller.fit(X_train)
print(distiller)
low, high = distiller.fidelity_interval_
print(f"fidelity to the network on held-out rows: {distiller.fidelity_:.3f} "
      f"(95% interval {low:.3f}-{high:.3f}), near its decision boundary: "
      f"{distiller.boundary_fidelity_:.3f}, with {distiller.n_queries_} synthesized queries")

# %% [markdown]
# The tree also explains the network's decisions one row at a time...

# %%
print(distiller.explain(X_test.iloc[:2]))

# %% [markdown]
# ... and says what would have to change for another decision. For the tree
# the nearest counterfactual is exact; for the network itself glassbox searches
# through a distilled surrogate and verifies every candidate against the network,
# reporting `valid=False` rather than a wrong answer.

# %%
row = X_test.iloc[0]
for name, model in (("tree", distiller), ("network", network)):
    result = counterfactual(model, row, X_reference=X_train, cost="mad")
    changes = {col: (round(float(old), 4), round(float(new), 4))
               for col, (old, new) in result.changes.items()}
    print(f"{name}: valid={result.valid}, cost {result.cost:.2f} MAD units, changes {changes}")
