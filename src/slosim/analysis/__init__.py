"""The analyses layer: questions asked of the engines.

Decomposition and allocation of targets, importance measures and cut sets,
sensitivity and uncertainty, time-domain error budgets and alerts each get
a module here. An analysis reads models through :mod:`slosim.model`, asks
:mod:`slosim.engines` for availabilities and conditionals (never a kernel)
and returns a result object of :mod:`slosim.results`. See
:doc:`/architecture`.
"""

from ._alert_report import alert_report
from ._allocate import MAX_NINES, METHODS, allocate
from ._choose import choose
from ._cut_sets import cut_sets
from ._importance import importance
from ._slo import BudgetPolicy, slo_report
from ._sobol import sobol
from ._uncertainty import uncertainty

__all__ = ["allocate", "choose", "cut_sets", "importance", "sobol", "uncertainty",
           "slo_report", "BudgetPolicy", "alert_report", "METHODS", "MAX_NINES"]
