"""Explain any black box through the glassbox interface.

* :class:`Distiller` - a readable student (a tree or any glassbox model) that mimics a
  teacher, trained with queries synthesized inside each of its regions, with an honest
  held-out fidelity.
* :class:`LocalSurrogate` - sparse linear explanations of the teacher's logit around
  one point, each with its own local R^2 and stability.
* :func:`counterfactual` - the nearest input the model classifies differently: exact
  for trees, rule lists and score cards, verified against the teacher for black boxes.

Nothing here imports torch or pyscipopt until a torch teacher or a score card needs it.
"""

from glassbox.distill._counterfactual import Counterfactual, counterfactual
from glassbox.distill._distiller import Distiller, wilson_interval
from glassbox.distill._local import LocalSurrogate

__all__ = ["Distiller", "LocalSurrogate", "counterfactual", "Counterfactual", "wilson_interval"]
