"""Exceptions and warnings of slosim.

Every problem with a model is a :class:`ModelError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do
not care which. Each subclass names the offending node in its message and
keeps it in ``node``.
"""

__all__ = [
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
]


class ModelError(ValueError):
    """A model is not valid; the message names the node and what was expected.

    Attributes
    ----------
    node : str or None
        Name (or description) of the offending node.
    """

    def __init__(self, message, node=None):
        super().__init__(message)
        self.node = node


class ProbabilityError(ModelError):
    """An availability or unavailability is outside [0, 1], NaN, or not a number."""


class AvailabilitySpecError(ModelError):
    """A component gives both or neither of ``availability`` and ``unavailability``."""


class GateArityError(ModelError):
    """A k-of-n gate has k outside 1..n (or k is not an integer)."""


class EmptyGateError(ModelError):
    """A gate has no children."""


class CycleError(ModelError):
    """The dependency graph has a cycle (possible only through name references)."""


class DuplicateNameError(ModelError):
    """Two different nodes of one model have the same name."""


class UnknownNodeError(ModelError):
    """A name reference matches no node of the model."""


class JourneyError(ModelError):
    """A journey is not a node, has no name, or is given twice."""


class SlosimWarning(UserWarning):
    """Base class of the warnings slosim issues."""


class FewFailuresWarning(SlosimWarning):
    """A Monte Carlo estimate rests on too few failures for a useful interval."""
