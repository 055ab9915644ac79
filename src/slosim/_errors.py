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

    Examples
    --------
    >>> import slosim as ss
    >>> try:
    ...     ss.Component("db", availability=1.5)
    ... except ss.ModelError as exc:
    ...     print(type(exc).__name__, exc.node, isinstance(exc, ValueError))
    ProbabilityError db True
    """

    def __init__(self, message, node=None):
        super().__init__(message)
        self.node = node


class ProbabilityError(ModelError):
    """An availability or unavailability is outside [0, 1], NaN, or not a number.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Component("db", unavailability=float("nan"))
    Traceback (most recent call last):
    ...
    slosim._errors.ProbabilityError: component 'db': unavailability must be a probability in [0, 1], got nan
    """


class AvailabilitySpecError(ModelError):
    """A component gives both or neither of ``availability`` and ``unavailability``.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Component("db", availability=0.999, unavailability=0.001)
    Traceback (most recent call last):
    ...
    slosim._errors.AvailabilitySpecError: component 'db': give exactly one of availability= and unavailability= (got both)
    """


class GateArityError(ModelError):
    """A k-of-n gate has k outside 1..n (or k is not an integer).

    Examples
    --------
    >>> import slosim as ss
    >>> ss.k_of_n(3, ["a", "b"], name="db")
    Traceback (most recent call last):
    ...
    slosim._errors.GateArityError: k_of_n gate 'db': k must be in 1..2 (the number of children), got 3
    """


class EmptyGateError(ModelError):
    """A gate has no children.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.parallel(name="db")
    Traceback (most recent call last):
    ...
    slosim._errors.EmptyGateError: parallel gate 'db' has no children; it needs at least one
    """


class CycleError(ModelError):
    """The dependency graph has a cycle (possible only through name references).

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Service("a", availability=0.999, requires=["b"])
    >>> b = ss.Service("b", availability=0.999, requires=["a"])
    >>> ss.Model(a, nodes=[b])
    Traceback (most recent call last):
    ...
    slosim._errors.CycleError: dependency cycle: 'a' -> 'b' -> 'a'
    """


class DuplicateNameError(ModelError):
    """Two different nodes of one model have the same name.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Model(ss.series(ss.Component("db", availability=0.99),
    ...                    ss.Component("db", availability=0.999), name="j"))
    Traceback (most recent call last):
    ...
    slosim._errors.DuplicateNameError: two different nodes are named 'db' (Component and Component); reuse one object for a shared dependency, or rename one
    """


class UnknownNodeError(ModelError):
    """A name reference matches no node of the model.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Model(ss.Service("web", availability=0.999, requires=["db"]))
    Traceback (most recent call last):
    ...
    slosim._errors.UnknownNodeError: 'web' refers to 'db', which is no node of the model (known names include: web)
    """


class JourneyError(ModelError):
    """A journey is not a node, has no name, or is given twice.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Model(ss.parallel("a", "b"))
    Traceback (most recent call last):
    ...
    slosim._errors.JourneyError: journey unnamed parallel('a', 'b') has no name: name the gate or pass Journey(node, name=...)
    """


class SlosimWarning(UserWarning):
    """Base class of the warnings slosim issues.

    Examples
    --------
    >>> import warnings
    >>> import slosim as ss
    >>> issubclass(ss.FewFailuresWarning, ss.SlosimWarning)
    True
    >>> warnings.simplefilter("ignore", ss.SlosimWarning)  # silence them all
    >>> warnings.resetwarnings()
    """


class FewFailuresWarning(SlosimWarning):
    """A Monte Carlo estimate rests on too few failures for a useful interval.

    Examples
    --------
    >>> import pytest
    >>> import slosim as ss
    >>> hsm = ss.Component("hsm", unavailability=1e-6)
    >>> with pytest.warns(ss.FewFailuresWarning, match="would give ~100 failures"):
    ...     res = ss.simulate(hsm, samples=10**5, rng=0)
    >>> res["hsm"].failures
    1
    """
