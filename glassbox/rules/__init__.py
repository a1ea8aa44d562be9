"""Certifiably optimal rule lists.

:class:`RuleListClassifier` finds the rule list minimizing error rate + c x rules
by branch and bound with the CORELS bounds and proves it optimal;
:func:`enumerate_rule_lists` lists every rule list within an objective bound
(the rule-list Rashomon set).
"""

from glassbox.rules._model import Rule, RuleListClassifier, enumerate_rule_lists

__all__ = ["Rule", "RuleListClassifier", "enumerate_rule_lists"]
