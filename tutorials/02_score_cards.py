# %% [markdown]
# # Risk score cards with a certificate of optimality
#
# A *risk score card* is the model doctors have used for decades: a handful of items,
# each worth a few integer points; add them up, look the total up in a risk table.
# `glassbox.scoring.RiskScoreClassifier` learns such a card from data by solving the
# RiskSLIM problem exactly (minimum logistic loss over integer points, with a price per
# item used) with SCIP, and tells you whether the card is proven optimal.
#
# Set `GLASSBOX_FAST=1` for a run in seconds; without it the tutorial uses larger limits.

# %%
import os

import numpy as np
import pandas as pd

from glassbox.scoring import RiskScoreClassifier, enumerate_score_cards

FAST = os.environ.get("GLASSBOX_FAST") == "1"
TIME_LIMIT = 20 if FAST else 120

# %% [markdown]
# ## Data
# A synthetic clinic: four yes/no findings and one count (number of prior visits).
# With `GLASSBOX_DATA` set, the breast cancer data of the RiskSLIM paper is used instead.

# %%
home = os.environ.get("GLASSBOX_DATA")
if home and os.path.isfile(os.path.join(home, "riskslim", "breastcancer_data.csv")):
    frame = pd.read_csv(os.path.join(home, "riskslim", "breastcancer_data.csv"))
    X, y = frame.iloc[:, 1:], frame.iloc[:, 0].to_numpy()
else:
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({
        "age_over_60": rng.integers(0, 2, n),
        "smoker": rng.integers(0, 2, n),
        "high_blood_pressure": rng.integers(0, 2, n),
        "exercises": rng.integers(0, 2, n),
        "prior_visits": rng.integers(0, 5, n),
    })
    logit = (-2 + 1.5 * X["age_over_60"] + 1.0 * X["smoker"] + 1.2 * X["high_blood_pressure"]
             - 0.8 * X["exercises"] + 0.4 * X["prior_visits"])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
X.head()

# %% [markdown]
# ## Fit a card
# Defaults follow RiskSLIM: at most 5 items, points in [-5, 5], `c0 = 1e-6` per item.
# `str(card)` is the card itself: points per item, then the score -> risk table.

# %%
card = RiskScoreClassifier(max_features=4, time_limit=TIME_LIMIT, random_state=0).fit(X, y)
print(card)

# %% [markdown]
# The certificate says what SCIP proved: `optimal` means no integer card in this model
# class has a lower objective; otherwise the gap bounds how far from optimal it can be.

# %%
cert = card.certificate_
print(cert.status, cert.objective, cert.lower_bound, f"gap {cert.gap:.2%}")

# %% [markdown]
# ## Why this prediction?
# `explain` lists the points each item contributes; they add up to the score.

# %%
explanation = card.explain(X.iloc[:3])
print(explanation)
explanation.to_frame(detailed=True)

# %% [markdown]
# ## Domain constraints
# Per-item bounds make an item monotone (here: an item may only add risk), and
# `constraints` keeps correlated items apart. They hold in every card returned, even
# when the time limit stops the search early.

# %%
first, second = X.columns[0], X.columns[1]
constrained = RiskScoreClassifier(
    max_features=4, coef_bounds={first: (0, 5), "*": (-5, 5)},
    constraints=[("at_most_one", [first, second])], time_limit=TIME_LIMIT, random_state=0,
).fit(X, y)
print(constrained)

# %% [markdown]
# ## Large binary data: splitting by feature set
# When every item is yes/no, the search can be split by the set of items a card uses:
# each set gets a certified bound from its own relaxation (a logistic regression on the
# at most 2^k cells it splits the rows into), sets that cannot beat the best card are
# pruned and SCIP solves the rest. This is what certifies the 32,561-row adult data
# (36 items) in about a minute, where SCIP alone stops at a 10% gap. By default it
# starts only if SCIP alone has not certified the card quickly; `"always"` forces it.
# Here: the yes/no findings only.

# %%
binary = [c for c in X.columns if set(np.unique(X[c])) <= {0, 1}]
if len(binary) < 3:  # e.g. the breast cancer data has integer items only: binarize two
    binary = [f"{c} >= 5" for c in X.columns[:4]]
    Xb = pd.DataFrame({name: (X[c] >= 5).astype(int) for name, c in zip(binary, X.columns)})
else:
    Xb = X[binary]
split = RiskScoreClassifier(max_features=2, decomposition="always", time_limit=TIME_LIMIT,
                            random_state=0).fit(Xb, y)
print(split.certificate_, split.decomposition_)

# %% [markdown]
# ## Every good card, not just one
# `enumerate_score_cards` lists all cards within an objective bound (a Rashomon set).
# Small point ranges keep the list short.

# %%
small = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2), time_limit=TIME_LIMIT)
best = small.fit(X, y).certificate_.objective
cards = enumerate_score_cards(small, X, y, objective_bound=best * 1.02, max_models=50)
print(f"{len(cards)} cards within 2% of the best objective {best:.4f}")
pd.DataFrame([{"objective": obj, "intercept": c.intercept_,
               **dict(zip(X.columns, c.coef_))} for obj, c in cards[:10]])

# %% [markdown]
# ## Save and reload
# Cards are plain JSON; the reloaded card predicts identically.

# %%
import glassbox  # noqa: E402

again = glassbox.from_dict(card.to_dict())
assert (again.predict_proba(X) == card.predict_proba(X)).all()
print(card.to_json()[:200], "...")
