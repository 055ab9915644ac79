"""The results layer: frozen result objects of the engines and the analyses.

Every result is a frozen dataclass with a ``repr`` a person reads first,
``to_dict()`` that round-trips through :func:`json.dumps` and
``to_frame()`` (pandas, imported only when called); the results of a model
are a read-only mapping of journey name to result.

This package imports no other layer of slosim: engines and analyses build
its objects.
"""

from ._alert_report import AlertReport, AlertRuleReport
from ._alerts import AlertResult, AlertResults
from ._allocation import AllocationResult
from ._cut_sets import CutSet, CutSets
from ._design import DesignResult
from ._exact import ExactResult, ExactResults, birnbaum_importance
from ._importance import ImportanceResult, ImportanceResults
from ._interval import binomial_interval
from ._simulation import SimulationResult, SimulationResults
from ._slo import BudgetPolicyReport, JourneySLO, SLOReport
from ._sobol import SobolResult, SobolResults
from ._timeline import JourneyTimeline, TimelineResult
from ._uncertainty import UncertaintyResult, UncertaintyResults

__all__ = [
    "JourneyTimeline",
    "TimelineResult",
    "SimulationResult",
    "SimulationResults",
    "ExactResult",
    "ExactResults",
    "binomial_interval",
    "birnbaum_importance",
    "AllocationResult",
    "DesignResult",
    "CutSet",
    "CutSets",
    "ImportanceResult",
    "ImportanceResults",
    "SobolResult",
    "SobolResults",
    "UncertaintyResult",
    "UncertaintyResults",
    "SLOReport",
    "JourneySLO",
    "BudgetPolicyReport",
    "AlertResult",
    "AlertResults",
    "AlertReport",
    "AlertRuleReport",
]
