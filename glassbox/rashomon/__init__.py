"""Rashomon sets: every model almost as good as the best one.

:class:`RashomonSet` finds the exact set of sparse trees within epsilon of the
optimum (kept as a DAG of subproblems with counts), lists rule lists and score
cards, or gives the closed-form ellipsoid of ridge / logistic regression.
:func:`rashomon_ratio` relates the set to its hypothesis space.
"""

from glassbox.rashomon._ratio import RashomonRatio, rashomon_ratio, wilson_interval
from glassbox.rashomon._set import RashomonSet

__all__ = ["RashomonSet", "RashomonRatio", "rashomon_ratio", "wilson_interval"]
