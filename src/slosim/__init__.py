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

from ._errors import (
    AvailabilitySpecError,
    CycleError,
    DuplicateNameError,
    EmptyGateError,
    FewFailuresWarning,
    GateArityError,
    JourneyError,
    ModelError,
    ProbabilityError,
    SlosimWarning,
    UnknownNodeError,
)
from .model import (
    Component,
    Gate,
    Journey,
    Model,
    Node,
    Service,
    Shock,
    k_of_n,
    parallel,
    series,
)
from .results import (
    ExactResult,
    ExactResults,
    SimulationResult,
    SimulationResults,
    binomial_interval,
)
from .simulate import PrecisionWarning, simulate
from .exact import DiagramTooLargeError, ExactUnsupportedError, exact
from . import io as io  # slosim.io: read_openpsa, write_openpsa, OpenPSAError
from .correlation import (
    CommonCauseGroup,
    alpha_factor,
    beta_factor,
    multiple_greek_letter,
    phi_factor,
)
from .copula import GaussianCopula

__version__ = "0.1.0.dev0"

__all__ = [
    "Component",
    "Service",
    "Gate",
    "Node",
    "Journey",
    "Model",
    "Shock",
    "CommonCauseGroup",
    "beta_factor",
    "multiple_greek_letter",
    "alpha_factor",
    "phi_factor",
    "GaussianCopula",
    "series",
    "parallel",
    "k_of_n",
    "simulate",
    "exact",
    "ExactResult",
    "ExactResults",
    "DiagramTooLargeError",
    "ExactUnsupportedError",
    "SimulationResult",
    "SimulationResults",
    "binomial_interval",
    "ModelError",
    "ProbabilityError",
    "AvailabilitySpecError",
    "GateArityError",
    "EmptyGateError",
    "CycleError",
    "DuplicateNameError",
    "UnknownNodeError",
    "JourneyError",
    "SlosimWarning",
    "FewFailuresWarning",
    "PrecisionWarning",
]
