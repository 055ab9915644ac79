"""The model layer: nodes, gates, journeys, correlation, the Model, and lower().

Everything a user builds a model from (:class:`Component`,
:class:`Service`, :func:`series`, :func:`parallel`, :func:`k_of_n`,
:class:`Journey`, :class:`Shock`, the common-cause groups,
:class:`GaussianCopula`), the distributions of uncertain parameters
(:class:`Beta`, :class:`LogNormal`, :class:`Uniform`), behaviour over
time (:class:`Exponential`, :class:`Weibull`, :class:`Fixed` durations,
:class:`Incidents`), the validated
:class:`Model` with its read-only traversal API, and :func:`lower`, the
one place that says what a model means, which gives the :class:`Structure`
every engine reads (and, in :class:`Parameter` records, which basic
events each uncertain parameter drives).

This package imports nothing from the engines, the analyses, the results
or the file formats: a model knows no engine.
"""

from ._ccf import (
    MAX_MEMBERS,
    CommonCauseGroup,
    alpha_factor,
    beta_factor,
    multiple_greek_letter,
    phi_factor,
)
from ._choice import Choice, Option, redundancy_options
from ._copula import GaussianCopula
from ._lower import K_OF_N, NOT, PARALLEL, SERIES, CopulaGroup, Parameter, Structure, lower
from ._model import Model, NameMap, as_model
from ._nodes import (
    Component,
    Gate,
    Journey,
    Node,
    Service,
    k_of_n,
    negate,
    parallel,
    series,
)
from ._shocks import Shock
from ._time import Exponential, Fixed, Incidents, TimeBehaviour, Weibull
from ._uncertain import Beta, Distribution, LogNormal, Uniform

__all__ = [
    "Node",
    "Component",
    "Gate",
    "Service",
    "Journey",
    "series",
    "parallel",
    "k_of_n",
    "negate",
    "Shock",
    "CommonCauseGroup",
    "beta_factor",
    "multiple_greek_letter",
    "alpha_factor",
    "phi_factor",
    "MAX_MEMBERS",
    "GaussianCopula",
    "Distribution",
    "Beta",
    "LogNormal",
    "Uniform",
    "Exponential",
    "Weibull",
    "Fixed",
    "Incidents",
    "TimeBehaviour",
    "Choice",
    "Option",
    "redundancy_options",
    "Model",
    "NameMap",
    "as_model",
    "lower",
    "Structure",
    "CopulaGroup",
    "Parameter",
    "SERIES",
    "PARALLEL",
    "K_OF_N",
    "NOT",
]
