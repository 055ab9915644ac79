"""slosim: SLO engineering by simulation.

Build a model of a service architecture from components and gates, then ask
what availability each user journey can promise:

>>> import slosim as ss
>>> web = ss.Component("web", availability=0.9995)
>>> db = ss.parallel(ss.Component("db-a", unavailability=1e-3),
...                  ss.Component("db-b", unavailability=1e-3), name="db")
>>> model = ss.Model(ss.series(web, db, name="checkout"))
>>> ss.simulate(model, samples=10**7, rng=1)["checkout"].failures
5021
"""

from . import analysis, cost, engines, io, model, results  # noqa: F401 (subpackages)
from ._errors import (
    AvailabilitySpecError,
    ConvergenceError,
    CycleError,
    DiagramTooLargeError,
    DuplicateNameError,
    EmptyGateError,
    ExactUnsupportedError,
    FewFailuresWarning,
    GateArityError,
    InfeasibleTargetError,
    JourneyError,
    ModelError,
    PrecisionWarning,
    ProbabilityError,
    SlosimWarning,
    UnknownNodeError,
    UnresolvedChoiceError,
)
from ._version import __version__ as __version__
from .analysis import allocate, choose, sobol, uncertainty
from .engines import exact, simulate
from .model import (
    Beta,
    Choice,
    CommonCauseGroup,
    Component,
    Gate,
    GaussianCopula,
    Journey,
    LogNormal,
    Model,
    Node,
    Option,
    Service,
    Shock,
    Uniform,
    alpha_factor,
    beta_factor,
    k_of_n,
    multiple_greek_letter,
    parallel,
    phi_factor,
    redundancy_options,
    series,
)
from .results import (
    AllocationResult,
    DesignResult,
    ExactResult,
    ExactResults,
    SimulationResult,
    SimulationResults,
    SobolResult,
    SobolResults,
    UncertaintyResult,
    UncertaintyResults,
    binomial_interval,
)

__all__ = [
    "Component",
    "Service",
    "Gate",
    "Node",
    "Journey",
    "Model",
    "Shock",
    "Beta",
    "LogNormal",
    "Uniform",
    "CommonCauseGroup",
    "beta_factor",
    "multiple_greek_letter",
    "alpha_factor",
    "phi_factor",
    "GaussianCopula",
    "Choice",
    "Option",
    "redundancy_options",
    "series",
    "parallel",
    "k_of_n",
    "simulate",
    "exact",
    "ExactResult",
    "ExactResults",
    "DiagramTooLargeError",
    "ExactUnsupportedError",
    "ConvergenceError",
    "SimulationResult",
    "SimulationResults",
    "binomial_interval",
    "allocate",
    "AllocationResult",
    "choose",
    "DesignResult",
    "sobol",
    "SobolResult",
    "SobolResults",
    "uncertainty",
    "UncertaintyResult",
    "UncertaintyResults",
    "InfeasibleTargetError",
    "ModelError",
    "ProbabilityError",
    "AvailabilitySpecError",
    "GateArityError",
    "EmptyGateError",
    "CycleError",
    "DuplicateNameError",
    "UnknownNodeError",
    "JourneyError",
    "UnresolvedChoiceError",
    "SlosimWarning",
    "FewFailuresWarning",
    "PrecisionWarning",
]
