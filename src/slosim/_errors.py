"""Every exception and warning of slosim, in one module.

Every problem with a model is a :class:`ModelError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do
not care which. Each subclass names the offending node in its message and
keeps it in ``node``. An engine that cannot answer for a valid model says
why (:class:`DiagramTooLargeError`, :class:`ExactUnsupportedError`,
:class:`ConvergenceError`); warnings derive from :class:`SlosimWarning`.

Each class reports the public module it is reached from (``slosim``, or
``slosim.io`` for :class:`OpenPSAError`), so tracebacks name it as users
import it.
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
    "UnresolvedChoiceError",
    "OpenPSAError",
    "DiagramTooLargeError",
    "ExactUnsupportedError",
    "ConvergenceError",
    "InfeasibleTargetError",
    "ChunkError",
    "SlosimWarning",
    "FewFailuresWarning",
    "PrecisionWarning",
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

    def __reduce__(self):
        return (type(self), (self.args[0], self.node))


class ProbabilityError(ModelError):
    """An availability or unavailability is outside [0, 1], NaN, or not a number.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Component("db", unavailability=float("nan"))
    Traceback (most recent call last):
    ...
    slosim.ProbabilityError: component 'db': unavailability must be a probability in [0, 1], got nan
    """


class AvailabilitySpecError(ModelError):
    """A component gives both or neither of ``availability`` and ``unavailability``.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Component("db", availability=0.999, unavailability=0.001)
    Traceback (most recent call last):
    ...
    slosim.AvailabilitySpecError: component 'db': give exactly one of availability= and
    unavailability= (got both)
    """


class GateArityError(ModelError):
    """A k-of-n gate has k outside 1..n (or k is not an integer).

    Examples
    --------
    >>> import slosim as ss
    >>> ss.k_of_n(3, ["a", "b"], name="db")
    Traceback (most recent call last):
    ...
    slosim.GateArityError: k_of_n gate 'db': k must be in 1..2 (the number of children), got 3
    """


class EmptyGateError(ModelError):
    """A gate has no children.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.parallel(name="db")
    Traceback (most recent call last):
    ...
    slosim.EmptyGateError: parallel gate 'db' has no children; it needs at least one
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
    slosim.CycleError: dependency cycle: 'a' -> 'b' -> 'a'
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
    slosim.DuplicateNameError: two different nodes are named 'db' (Component and
    Component); reuse one object for a shared dependency, or rename one
    """


class UnknownNodeError(ModelError):
    """A name reference matches no node of the model.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Model(ss.Service("web", availability=0.999, requires=["db"]))
    Traceback (most recent call last):
    ...
    slosim.UnknownNodeError: 'web' refers to 'db', which is no node of the model (known
    names include: web)
    """


class JourneyError(ModelError):
    """A journey is not a node, has no name, or is given twice.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Model(ss.parallel("a", "b"))
    Traceback (most recent call last):
    ...
    slosim.JourneyError: journey unnamed parallel('a', 'b') has no name: name the gate
    or pass Journey(node, name=...)
    """


class UnresolvedChoiceError(ModelError):
    """A model still has design choices, where one design is needed.

    :func:`~slosim.exact`, :func:`~slosim.simulate` and the file writers
    work on one design: resolve the choices with :meth:`Model.resolve
    <slosim.Model.resolve>`, or let :func:`~slosim.choose` pick the best.

    Examples
    --------
    >>> import slosim as ss
    >>> zones = ss.Choice("zones", [
    ...     ss.Option("one", ss.Component("a", availability=0.999)),
    ...     ss.Option("two", ss.parallel(ss.Component("b", availability=0.999),
    ...                                  ss.Component("c", availability=0.999)))])
    >>> ss.exact(ss.Journey(zones, name="j"))
    Traceback (most recent call last):
    ...
    slosim.UnresolvedChoiceError: the model has unresolved choices ('zones'): pick one
    option of each with Model.resolve({'zones': ...}), or let slosim.choose find the best
    """


class OpenPSAError(ModelError):
    """A model file cannot be read or written; the message says where and why.

    Raised for files that are not well-formed or not safe to read (too large,
    too deep, a DTD), for constructs slosim does not translate (non-coherent
    logic, expressions other than constants, other MEF layers), and for
    broken models (undefined or duplicate names, cycles, probabilities
    outside [0, 1]). Its message starts with ``file:line:`` when the place
    is known. It is a :class:`~slosim.ModelError`, hence a ``ValueError``.

    Attributes
    ----------
    path : str or None
        The file, as given (``'<stream>'`` for an unnamed file object).
    line : int or None
        The line of the offending element.
    reason : str
        The message without the ``file:line:`` prefix.
    node : str or None
        The name of the offending definition, when there is one.

    Examples
    --------
    >>> import io
    >>> import slosim.io
    >>> mef = io.StringIO('''<opsa-mef>
    ...   <define-fault-tree name="ft">
    ...     <define-gate name="top"><not><basic-event name="a"/></not></define-gate>
    ...   </define-fault-tree>
    ... </opsa-mef>''')
    >>> try:
    ...     slosim.io.read_openpsa(mef)
    ... except slosim.io.OpenPSAError as exc:
    ...     print(exc.line, exc.node)
    3 top
    """

    def __init__(self, reason, path=None, line=None, node=None):
        if path is not None and line is not None:
            where = f"{path}:{line}: "
        elif path is not None:
            where = f"{path}: "
        else:
            where = ""
        super().__init__(where + reason, node)
        self.path = path
        self.line = line
        self.reason = reason

    def __reduce__(self):
        return (type(self), (self.reason, self.path, self.line, self.node))


class DiagramTooLargeError(ValueError):
    """The decision diagram would exceed the node budget of :func:`~slosim.exact`.

    Attributes
    ----------
    nodes : int
        Diagram nodes when the budget was reached.
    bounds : dict or None
        When :func:`~slosim.exact` cut the model into modules and some did
        not fit: journey name -> ``(low, high)``, bounds on its
        unavailability from the modules built exactly and the gates of
        those that were not (coherent models without a copula only; see
        :doc:`/math`). None otherwise.

    Examples
    --------
    >>> import slosim as ss
    >>> xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(40)]
    >>> half = ss.k_of_n(20, xs, name="half")
    >>> ss.exact(half).bdd_nodes
    841
    >>> try:
    ...     ss.exact(half, max_nodes=300)
    ... except ss.DiagramTooLargeError as exc:
    ...     print(exc)
    the decision diagram reached the node budget max_nodes=300 (300 nodes) after 40 of
    41 graph nodes over 40 components; bounds on the unavailability (in the
    error's .bounds): 'half' in [1e-40, 0.190476]; raise max_nodes, or estimate
    with slosim.simulate, which has no such limit
    """

    def __init__(self, message, nodes, bounds=None):
        super().__init__(message)
        self.nodes = nodes
        self.bounds = bounds

    def __reduce__(self):
        return (type(self), (str(self), self.nodes, self.bounds))


class ExactUnsupportedError(ValueError):
    """The model has a feature :func:`~slosim.exact` cannot evaluate exactly.

    :func:`~slosim.exact` handles independent components, shocks, and at
    most one one-factor :class:`~slosim.GaussianCopula`;
    :func:`~slosim.simulate` handles every model.

    Examples
    --------
    >>> import slosim as ss
    >>> a, b, c = (ss.Component(n, unavailability=1e-3) for n in "abc")
    >>> cop = ss.GaussianCopula("day", [a, b, c], correlation=[
    ...     [1.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.0]])
    >>> ss.exact(ss.Model(ss.parallel(a, b, c, name="j"), copulas=[cop]))
    Traceback (most recent call last):
    ...
    slosim.ExactUnsupportedError: copula 'day' has a general correlation matrix (not of
    one-factor form); exact evaluates one-factor copulas only: estimate this model with
    slosim.simulate
    """


class ConvergenceError(ArithmeticError):
    """A numerical method did not reach its tolerance within its limits.

    The model is valid and the method applies, but the answer could not be
    computed to the precision promised (for example, the integral of
    :func:`~slosim.exact` over a copula's factor did not converge). The
    message says what was reached; :func:`~slosim.simulate` answers any
    model, with an interval.
    """


class ChunkError(RuntimeError):
    """One chunk of a sampling run failed: the message names the chunk.

    Raised by the sampling engines (:func:`~slosim.simulate`,
    :func:`~slosim.engines.timeline` and the analyses built on them) when
    the task of one chunk raised, in the calling thread, on a worker thread
    or on an executor's worker, or when its worker died and the chunk could
    not be run again. The run returns nothing: no partial count. The
    original exception is the ``__cause__`` (for a worker process, with the
    worker's traceback).

    Attributes
    ----------
    func : str
        The entry point (``'simulate'``, ``'timeline'``...).
    index : int
        The chunk's number in the run (0 for the first).
    seed : numpy.random.SeedSequence
        The chunk's stream: a child of the run's seed sequence.
    start, size : int
        The chunk's first sample (or run) and how many it holds.
    attempts : int
        How many times the chunk was submitted.
    """

    def __init__(self, message, func=None, index=None, seed=None, start=None,
                 size=None, attempts=1):
        super().__init__(message)
        self.func, self.index, self.seed = func, index, seed
        self.start, self.size, self.attempts = start, size, attempts

    def __reduce__(self):
        return (type(self), (self.args[0], self.func, self.index, self.seed,
                             self.start, self.size, self.attempts))


class InfeasibleTargetError(ValueError):
    """No allocation meets a journey's target: the message says what caps it.

    Raised by :func:`~slosim.allocate` when, with every free component at
    its ceiling, a journey still misses its target, and by
    :func:`~slosim.choose` when it misses it whatever the choices.

    Attributes
    ----------
    journey : str
    target : float
        The journey's target availability.
    reachable : float
        The highest availability the journey reaches (every free component
        at its ceiling; for ``choose``, a bound: every choice up whenever
        any of its options would be).
    limits : tuple of (str, float)
        The events that cap it, most limiting first: fixed components and
        shocks (with their availability) whose failures make up most of
        the journey's remaining unavailability (empty from ``choose``).

    Examples
    --------
    >>> import slosim as ss
    >>> bureau = ss.Component("bureau", availability=0.995)
    >>> web = ss.Component("web", availability=0.999)
    >>> model = ss.Model(ss.Journey(ss.series(web, bureau, name="open"), target=0.9995))
    >>> ss.allocate(model, fixed=["bureau"])
    Traceback (most recent call last):
    ...
    slosim.InfeasibleTargetError: target 0.9995 for journey 'open' is unreachable: with every
    free component at its ceiling it reaches at most 0.995; the fixed component bureau
    (0.995) caps it
    """

    def __init__(self, message, journey, target, reachable, limits):
        super().__init__(message)
        self.journey = journey
        self.target = target
        self.reachable = reachable
        self.limits = tuple(limits)

    def __reduce__(self):
        return (type(self), (str(self), self.journey, self.target, self.reachable,
                             self.limits))


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


class PrecisionWarning(SlosimWarning):
    """A requested precision was not reached.

    :func:`~slosim.simulate` warns when ``rel_error`` was not reached
    within ``max_samples``; the Shapley effects of :func:`~slosim.sobol`
    and :func:`~slosim.uncertainty` warn when their integral over the
    coupling took the most quadrature nodes allowed and was neither exact
    nor converged.

    Examples
    --------
    >>> import warnings
    >>> import slosim as ss
    >>> web = ss.Component("web", unavailability=1e-4)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = ss.simulate(web, samples=10**5, rel_error=0.01,
    ...                       max_samples=10**6, rng=0)
    >>> sorted({type(w.message).__name__ for w in caught})
    ['FewFailuresWarning', 'PrecisionWarning']
    >>> res.samples
    1000000
    """


# Tracebacks and reprs name each class where users import it from; the
# doctest finder, which looks for a module's own objects by __module__, is
# told where their examples are.
__test__ = {_name: globals()[_name] for _name in __all__}
for _name in __all__:
    globals()[_name].__module__ = "slosim"
OpenPSAError.__module__ = "slosim.io"
del _name
