# %% [markdown]
# # Certifiably optimal rule lists
#
# A rule list is a short program a person can check by hand:
#
#     if priors > 3 then yes
#     else if age <= 20 then yes
#     else no
#
# `RuleListClassifier` finds the list that minimizes *error rate + c x rules*
# over all lists built from the mined antecedents, and proves it: its
# `certificate_` says "optimal" only when branch and bound has ruled out every
# other list. Set `GLASSBOX_FAST=1` for a run of a few seconds.

# %%
import os

import numpy as np
import pandas as pd

import glassbox
from glassbox.rules import RuleListClassifier, enumerate_rule_lists

FAST = bool(os.environ.get("GLASSBOX_FAST"))
rng = np.random.default_rng(0)

# %% [markdown]
# ## A table of any column types
# Boolean columns are used as they are; numbers get thresholds (`age <= 22`,
# `age > 22`); text gets one condition per level.

# %%
n = 400 if FAST else 3000
X = pd.DataFrame({
    "age": rng.choice([18, 20, 22, 25, 30, 40, 50, 60], n),
    "sex": rng.choice(["Female", "Male"], n),
    "priors>3": rng.random(n) < 0.3,
    "juvenile crimes": rng.poisson(0.3, n),
})
risk = 0.15 + 0.5 * X["priors>3"] + 0.3 * (X["age"] <= 20) + 0.1 * (X["sex"] == "Male")
y = np.where(rng.random(n) < risk.clip(0, 0.95), "yes", "no")

model = RuleListClassifier(c=0.01, max_card=2, min_support=0.05).fit(X, y)
print(model)

# %% [markdown]
# The last line is the certificate: status, objective, nodes searched. With a
# budget the search stops early and reports a proven lower bound and gap.

# %%
budgeted = RuleListClassifier(c=0.002, max_card=2, min_support=0.02, node_limit=200).fit(X, y)
print(budgeted.certificate_)

# %% [markdown]
# ## Why did the model say that?
# `explain` names the rule that fired for each row.

# %%
explanation = model.explain(X.head(5))
print(explanation)
explanation.to_frame()

# %% [markdown]
# ## A fast heuristic for comparison
# `method="greedy"` adds the best next rule while it helps: no certificate.

# %%
greedy = RuleListClassifier(c=0.01, max_card=2, min_support=0.05, method="greedy").fit(X, y)
print(greedy.certificate_)
print("greedy objective - optimum:", greedy.certificate_.objective - model.certificate_.objective)

# %% [markdown]
# ## Every list almost as good (the rule-list Rashomon set)
# `enumerate_rule_lists` returns all lists within an objective bound, best first.

# %%
best = model.certificate_.objective
near = enumerate_rule_lists(RuleListClassifier(c=0.01, max_card=1, min_support=0.05), X, y,
                            best + 0.01)
print(f"{len(near)} rule lists within 0.01 of the optimum (single-condition rules)")
for objective, candidate in near[:3]:
    print(f"{objective:.4f}:", " | ".join(r.name for r in candidate.rules_) or "(default only)")

# %% [markdown]
# ## Save and load
# The fitted list is plain JSON; it predicts identically after a round trip.

# %%
again = glassbox.from_dict(model.to_dict())
assert (again.predict(X) == model.predict(X)).all()
