# %% [markdown]
# # "This looks like that": prototype networks on a CPU
#
# A `ProtoPNetClassifier` classifies an image by comparing its patches with *prototypes*:
# after training, each prototype **is** a patch of a real training image of its class.
# The score of a class is a sum of `similarity x connection` over the prototypes, so every
# prediction reads as "this part of the image looks like that part of training image 512
# (a 3), which counts +4.1 points for a 3".
#
# We train one on scikit-learn's 8x8 digits, look at what it learned, explain a
# prediction, and check the exact properties it promises. Set `GLASSBOX_FAST=1` for a
# quick run (smaller network, fewer epochs).

# %%
import os

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from glassbox.prototypes import ProtoPNetClassifier

FAST = os.environ.get("GLASSBOX_FAST") == "1"
torch.set_num_threads(1 if FAST else 2)  # small nets: more threads mostly add synchronisation
digits = load_digits()
images = digits.images / 16.0  # (1797, 8, 8) in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0)
if FAST:
    X_train, y_train = X_train[:600], y_train[:600]

# %% [markdown]
# ## Training: warm-up, joint, push, convex last layer
#
# `fit` holds out 10% of each class for model selection (the best joint-training epoch),
# trains with the published ProtoPNet loss, *pushes* every prototype onto its nearest
# latent patch of an own-class training image (no two prototypes share a patch), and then
# solves the last layer, the only part still free, as the convex problem it is. The last
# `tied_epochs` joint epochs train with each prototype tied to the patch it was pushed
# onto, so the final push moves nothing and costs no accuracy. A `callback` lets us watch
# the test accuracy around push: "joint" (just before push) and "push" (right after, with
# the network's own last layer) agree.
#
# For larger images such as 28x28 MNIST, `augment="shift"` moves every training batch by
# up to 2 pixels (push, validation and the last layer still see the real images, so the
# prototypes stay real patches); on 8x8 digits 2 pixels are a quarter of the image, so we
# leave it off here.

# %%
stages = {}


def watch(stage, model):
    stages[stage] = model.score(X_test, y_test)


model = ProtoPNetClassifier(
    prototypes_per_class=5 if FAST else 10,
    joint_epochs=8 if FAST else 20,
    push_every=4 if FAST else 10,
    tied_epochs=3 if FAST else 5,
    random_state=0,
    callback=watch,
).fit(X_train, y_train)
for stage, accuracy in stages.items():
    print(f"test accuracy after {stage:>10}: {accuracy:.3f}")
print(model.certificate_)

# %% [markdown]
# ## The model in words
#
# `print(model)` lists every prototype: its class, the training image and latent patch it
# was pushed onto, and its connections. `to_frame()` gives the same as a table.

# %%
print("\n".join(str(model).splitlines()[:8]))
model.to_frame().head()

# %% [markdown]
# ## Why this prediction?
#
# `explain` gives, per row and class, the prototypes that contribute the most points, each
# with its similarity map upsampled to the input and the box around the map's 95th
# percentile. The points of all prototypes add up to the logits exactly.

# %%
explanation = model.explain(X_test[:3], top=3)
print(explanation.texts[0])
explanation.to_frame(detailed=True).drop(columns="activation_map").head(6)

# %%
points = model.prototype_points(X_test[:3])  # (rows, prototypes, classes)
print("points sum to the logits:",
      np.allclose(points.sum(axis=1), model.decision_function(X_test[:3]), atol=1e-5))

# %% [markdown]
# ## "This looks like that"
#
# `plot` draws, for one row, the input with the region that activates each top prototype,
# the prototype's own training image with its box, and the points it contributes.

# %%
import matplotlib  # noqa: E402

if FAST:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ax = model.plot(X_test, row=0, top=3)
plt.tight_layout()
plt.show() if not FAST else plt.close("all")

# %% [markdown]
# ## Every prototype is a real patch
#
# After push, each prototype equals the latent vector of the patch it names; its class is
# the class of that training image, and `push_distances_` are 0.

# %%
image, row, col = model.prototype_sources_[0]
print(f"prototype 0: class {model.classes_[model.prototype_class_[0]]}, "
      f"training image {image} (label {y_train[image]}), patch ({row}, {col}); "
      f"largest push distance {model.push_distances_.max():.1e}")
print("distinct prototypes:", len(np.unique(model.network_.prototypes.detach().numpy(), axis=0)),
      "of", len(model.prototype_class_))

# %% [markdown]
# ## Saving
#
# `save` writes the torch weights with the JSON metadata; `to_dict` / `glassbox.from_dict`
# also work (weights as lists: fine for small nets). Both predict identically.

# %%
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

with tempfile.TemporaryDirectory() as folder:
    model.save(Path(folder) / "digits.pt")
    loaded = ProtoPNetClassifier.load(Path(folder) / "digits.pt")
print("identical after save/load:",
      np.array_equal(loaded.decision_function(X_test), model.decision_function(X_test)))
