"""Burn-rate alerting on an SLO, evaluated exactly in continuous time.

An SLO leaves an error budget, ``1 - slo`` of the requests of a period;
an alerting rule watches how fast the errors spend it and pages (or opens
a ticket) when they spend it too fast. This package answers, for a rule
and a scenario of errors, *when* the rule fires and clears: the detection
time, the reset time and the share of the budget gone by the time anyone
hears of it, the attributes the SRE Workbook weighs alerting strategies by.

Rules
-----
:class:`BurnRateAlert`
    Fires while the error ratio over a long window (and, for a multiwindow
    rule, over a short one too) is above ``burn_rate * (1 - slo)``.
:class:`ThresholdAlert`
    The same on a fixed error ratio.
:func:`multiwindow`
    The SRE Workbook's recommended multiwindow, multi-burn-rate rules.

Scenarios and evaluation
------------------------
:class:`Scenario`
    The error ratio over time, a step function: constant errors, spikes,
    slow leaks, arrays of measurements, and sums and chains of these.
:func:`evaluate_alerts`
    When each rule fires and clears, exactly (or at the evaluations of a
    rule evaluator); the results are :class:`AlertResult` and
    :class:`AlertResults`.

Examples
--------
>>> import slosim as ss
>>> rule = ss.BurnRateAlert("1h", burn_rate=36)
>>> outage = ss.Scenario.constant(1.0, duration="2h")
>>> res = ss.evaluate_alerts(rule, slo=0.999, scenario=outage)
>>> print(res.detection_time, res.reset_time)
0:02:09.600000 0:57:50.400000

This package sits below the analyses: of slosim it imports only the
results, the errors and the parameter checks.
"""

from ..results import AlertResult, AlertResults
from ._evaluate import (
    as_rules as as_rules,  # for the analyses, not __all__
    evaluate_alerts,
)
from ._rules import BurnRateAlert, ThresholdAlert, multiwindow
from ._scenario import Scenario

__all__ = [
    "BurnRateAlert",
    "ThresholdAlert",
    "multiwindow",
    "Scenario",
    "evaluate_alerts",
    "AlertResult",
    "AlertResults",
]
