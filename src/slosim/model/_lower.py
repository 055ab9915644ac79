"""What a model means: :func:`lower` turns a Model into a :class:`Structure`.

This module is the one place that says what the nodes of a model mean for
the engines:

* every component, and every service's own component, is a *basic event*
  (down with its unavailability), and so is every shock (it happens with
  its probability); basic events are independent, but for copulas;
* a component hit by shocks is up when its own event has not happened and
  none of its shocks has: a series gate over its own event and its shocks;
* a service is up when its own component is up, none of its shocks has
  happened and every requirement is up: one series gate over its own
  event, its shocks and its requirements (a service with neither shocks
  nor requirements is its own event);
* a series gate needs all its children up, a parallel gate one, a k-of-n
  gate ``k``;
* a copula couples the latent variables of its members' own events;
* an uncertain parameter (a distribution given for a component's
  availability or unavailability, a shock's probability, a parameter of a
  common-cause group) is a :class:`Parameter`: the events whose
  probabilities it drives, and the function that gives them.

Both engines, the file writers and the analyses read the Structure, so none
of them re-derives these rules.
"""

from dataclasses import dataclass
import threading
import weakref

import numpy as np

from .._errors import DuplicateNameError, ModelError, UnresolvedChoiceError
from ._ccf import CommonCauseComponent, CommonCauseShock
from ._model import as_model
from ._nodes import Component, Service
from ._uncertain import Distribution

__all__ = ["Structure", "CopulaGroup", "Parameter", "lower", "SERIES", "PARALLEL",
           "K_OF_N", "NOT"]

#: Gate kinds of a :class:`Structure` (``Structure.gate_op``). A ``NOT``
#: gate has one child and is up when it is down; its ``gate_k`` is 1 and
#: means nothing.
SERIES = 0
PARALLEL = 1
K_OF_N = 2
NOT = 3

_KIND_NAMES = ("series", "parallel", "k_of_n", "not")
_OPS = {"series": SERIES, "parallel": PARALLEL, "k_of_n": K_OF_N, "not": NOT}


def _frozen(values, dtype):
    a = np.array(values, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CopulaGroup:
    """A Gaussian copula over basic events of a :class:`Structure`.

    Attributes
    ----------
    name : str
    events : ndarray of int64
        The members' basic events, in the copula's member order.
    correlation : ndarray, shape (m, m)
        Correlation of the members' latent normal variables (read-only).
    loadings : ndarray or None
        The one-factor loadings, when the copula has one-factor form.
    """

    name: str
    events: np.ndarray
    correlation: np.ndarray
    loadings: np.ndarray | None

    @property
    def one_factor(self):
        """Whether the copula has one-factor form (``loadings`` is given)."""
        return self.loadings is not None


class _OwnProbability:
    """The probability of one event from its own parameter: the value
    itself, or ``1 - value`` for an availability. Picklable."""

    __slots__ = ("kind", "means")

    def __init__(self, kind, mean):
        self.kind = kind
        self.means = _frozen([mean], np.float64)

    def __call__(self, values):
        x = values[:, 0]
        return (1.0 - x if self.kind == "availability" else x + 0.0)[:, None]

    def __repr__(self):
        return "1 - availability" if self.kind == "availability" else self.kind


class _GroupProbabilities:
    """The probabilities of a common-cause group's events in a model (its
    members' independent parts, order 1, and its shocks, order ``k``) from
    the group's uncertain parameters, the others at their values. Picklable."""

    __slots__ = ("params", "orders", "means")

    def __init__(self, params, orders):
        self.params = params
        self.orders = _frozen(orders, np.int64)
        self.means = _frozen(params.means[list(params.uncertain)], np.float64)

    def __call__(self, values):
        full = np.empty((values.shape[0], len(self.params.keys)))
        full[:] = self.params.means
        full[:, list(self.params.uncertain)] = values
        q_k, q_ind = self.params.q_k(full)
        out = q_k[:, self.orders - 1]
        out[:, self.orders == 1] = q_ind[:, None]
        return out

    def __repr__(self):
        return (f"{self.params.model} formulas of group {self.params.name!r}, "
                f"orders {self.orders.tolist()}")


@dataclass(frozen=True, eq=False)
class Parameter:
    """An uncertain parameter of a model, and the basic events it drives.

    Built by :func:`lower` for each distribution of the model: a
    component's or service's availability or unavailability, a shock's
    probability, a parameter of a common-cause group. Read from
    :attr:`Structure.parameters`.

    Attributes
    ----------
    name : str
        Unique among the model's parameters: the component's, service's or
        shock's name; ``"<group>.<kind>"`` for a common-cause group
        (``"pumps.unavailability"``, ``"pumps.gamma"``).
    kind : str
        What the parameter is: ``'availability'`` or ``'unavailability'``
        (a component's or service's own part, or a group's members'
        ``'unavailability'``), ``'probability'`` (a shock), or a
        common-cause factor by its name in NUREG/CR-5485: ``'beta'``
        (beta-factor), the multiple Greek letters ``'beta'``, ``'gamma'``,
        ``'delta'``, ... (``factors[0]``, ``factors[1]``, ...),
        ``'alpha_1'``, ..., ``'alpha_m'``, ``'phi_1'``, ..., ``'phi_m'``.
    owner : str
        The component, service, shock or common-cause group it belongs to.
    distribution : Distribution
    events : ndarray of int64
        The basic events whose probabilities it drives, ascending: its own
        event, or every event of its group that the model has (the
        members' independent parts and the group's shocks).
    inputs : tuple of str
        The parameters that together give ``events`` their probabilities,
        this one among them: itself, or the group's uncertain parameters
        (in the group's order).
    mapping : callable
        ``mapping(values)``, values of shape ``(K, len(inputs))``, gives the
        events' probabilities, shape ``(K, len(events))``; ``mapping.means``
        holds the inputs' means, at which it gives ``Structure.q[events]``.

    See Also
    --------
    Structure.event_probabilities : every event's probability at sampled
        values of every parameter.

    Notes
    -----
    A common-cause parameter moves every event of its group: ``Q_k`` for
    each order ``k`` and each member's independent part, ``Q_1`` (the
    standard convention) or ``1 - (1 - Q) / prod_k (1 - Q_k)**C(m-1, k-1)``
    (``marginal="exact"``; see :mod:`slosim.model`'s common-cause
    groups), computed by the same
    formulas that built the group, so at the means they give
    ``Structure.q`` bit for bit. For an availability the event is
    ``1 - value``; ``Structure.q`` holds ``E[1 - A]`` computed without
    cancellation, which can differ from ``1 - mean`` in the last digits.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import Beta, LogNormal, lower
    >>> api = ss.Component("api", availability=Beta.from_counts(9990, 10))
    >>> g = ss.beta_factor("db", ["db-0", "db-1"], unavailability=1e-3,
    ...                    beta=LogNormal.from_error_factor(0.05, 3))
    >>> s = lower(ss.Model(ss.series(api, ss.parallel(*g.components), name="j"),
    ...                    shocks=[g]))
    >>> s.events
    ('api', 'db-0', 'db-1', 'db[db-0,db-1]')
    >>> [(p.name, p.kind, p.events.tolist()) for p in s.parameters]
    [('api', 'availability', [0]), ('db.beta', 'beta', [1, 2, 3])]
    >>> s.parameters[1].probabilities([0.05, 0.1]).round(9).tolist()
    [[0.00095, 0.00095, 5e-05], [0.0009, 0.0009, 0.0001]]
    """

    name: str
    kind: str
    owner: str
    distribution: Distribution
    events: np.ndarray
    inputs: tuple
    mapping: object

    @property
    def mean(self):
        """The distribution's mean: the value the engines use."""
        return self.distribution.mean

    def probabilities(self, values):
        """The events' probabilities at values of this parameter alone.

        Parameters
        ----------
        values : float or array_like of float
            Values of this parameter, each in [0, 1]; the group's other
            uncertain parameters (if any) are held at their means.

        Returns
        -------
        ndarray
            Shape ``np.shape(values) + (len(events),)``.

        Raises
        ------
        ValueError
            If a value is outside [0, 1] or NaN, or (alpha and phi factors)
            leaves the factors given as numbers nothing to make the sum 1.
        """
        func = f"Parameter.probabilities ({self.name!r})"
        v = np.asarray(values, dtype=np.float64)
        _check_unit(v, "values", func)
        x = np.empty((v.size, len(self.inputs)))
        x[:] = self.mapping.means
        x[:, self.inputs.index(self.name)] = v.reshape(-1)
        return self.mapping(x).reshape(v.shape + (len(self.events),))

    def __repr__(self):
        return (f"Parameter({self.name!r}, kind={self.kind!r}, "
                f"distribution={self.distribution!r}, events={len(self.events)})")


def _check_unit(values, name, func):
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(f"The {name!r} parameter of {func} must be probabilities "
                         f"in [0, 1]. Got {values[bad].flat[0].item()!r} instead.")


@dataclass(frozen=True, eq=False)
class Structure:
    """A model lowered to basic events and gates: what both engines read.

    Nodes are numbered ``0..E-1`` for the basic events, then ``E..E+G-1``
    for the gates, in topological order (every child before its gate).
    Arrays are read-only. Nothing is folded or simplified: constant events
    (unavailability 0 or 1) are events like any other, and every gate of
    the model is here (a component or a service may add one; see
    :func:`lower`).

    Attributes
    ----------
    events : tuple of str
        Names of the basic events: the model's components (a service's own
        component under the service's name) in the order of
        ``Model.components``, then its shocks in the order of
        ``Model.shocks``: the order of :meth:`Model.basic_events`.
    n_components : int
        ``events[:n_components]`` are components, the rest shocks.
    q : ndarray of float64, shape (E,)
        Each event's probability of happening: a component's
        unavailability, a shock's probability.
    gate_names : tuple, shape (G,)
        The name of the model node each gate stands for (a gate, a service,
        or a component hit by shocks), or None for an unnamed gate.
    gate_op : ndarray of int8, shape (G,)
        ``SERIES``, ``PARALLEL``, ``K_OF_N`` or ``NOT`` (one child, up
        when the child is down).
    gate_k : ndarray of int64, shape (G,)
        Children that must be up for the gate to be up (all for series, 1
        for parallel); 1 and meaningless for ``NOT``.
    child_ptr, child_idx : ndarray of int64
        Gate ``g`` (node ``E + g``) has the children
        ``child_idx[child_ptr[g]:child_ptr[g + 1]]``, node numbers below
        ``E + g``; a child may repeat (a k-of-n vote counted twice).
    journeys : tuple of str
    targets : tuple of float or None
        Each journey's availability target, if any.
    outputs : ndarray of int64, shape (J,)
        The node whose state is each journey's state.
    shock_ptr, shock_idx : ndarray of int64
        Shock ``s`` (event ``n_components + s``) takes down the component
        events ``shock_idx[shock_ptr[s]:shock_ptr[s + 1]]``, in the order
        the shock lists its members.
    copulas : tuple of CopulaGroup
    parameters : tuple of Parameter
        The model's uncertain parameters (distributions given for
        probabilities), in the order of their first event; empty when
        every probability is a number. ``q`` holds each event's
        probability at the parameters' means (the engines use the means).
    timing : tuple of (TimeBehaviour or None), shape (E,)
        Each event's behaviour over time (up and down times, incident
        classes; a shock given by rate and duration is one incident class
        of error ratio 1), or None for an event given by a probability
        only. ``q`` holds each timed event's long-run mean error ratio.
        Empty when no event of the model has a behaviour over time.

    See Also
    --------
    lower : builds it.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import lower
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=1e-3)
    >>> zone = ss.Shock("zone", 1e-4, members=[a, b])
    >>> s = lower(ss.Model(ss.parallel(a, b, name="api"), shocks=[zone]))
    >>> s
    Structure(events=3, components=2, gates=3, journeys=1)
    >>> s.events
    ('a', 'b', 'zone')
    >>> [s.gate(g) for g in range(s.n_gates)]
    [('a', 'series', 2, (0, 2)), ('b', 'series', 2, (1, 2)), ('api', 'parallel', 1, (3, 4))]
    """

    events: tuple
    n_components: int
    q: np.ndarray
    gate_names: tuple
    gate_op: np.ndarray
    gate_k: np.ndarray
    child_ptr: np.ndarray
    child_idx: np.ndarray
    journeys: tuple
    targets: tuple
    outputs: np.ndarray
    shock_ptr: np.ndarray
    shock_idx: np.ndarray
    copulas: tuple
    parameters: tuple = ()
    timing: tuple = ()

    @property
    def n_events(self):
        return len(self.events)

    def event_probabilities(self, samples):
        """Every event's probability at sampled values of the parameters.

        Parameters
        ----------
        samples : array_like, shape (K, P) or (P,)
            Values of the ``P = len(parameters)`` uncertain parameters,
            column ``i`` for ``parameters[i]``, each in [0, 1]; a 1-D array
            is one row.

        Returns
        -------
        ndarray of float64, shape (K, E) or (E,)
            Row ``r``: each event's probability when the parameters take
            the values of row ``r`` of ``samples``. Events no parameter
            drives keep ``q``. C-contiguous and writable, ready for a
            batched evaluation of the model.

        Raises
        ------
        ValueError
            If ``samples`` is not of that shape, a value is outside [0, 1]
            or NaN, or (alpha and phi factors) a row's uncertain factors
            sum above 1.

        Notes
        -----
        A common-cause group's events are computed from all its uncertain
        parameters of the row together (:attr:`Parameter.inputs`), by the
        formulas that built the group; at the means, the result is ``q``
        (up to rounding for an availability: see :class:`Parameter`).

        Examples
        --------
        >>> import slosim as ss
        >>> from slosim.model import Beta, Uniform, lower
        >>> a = ss.Component("a", unavailability=Beta(1, 999))
        >>> b = ss.Component("b", unavailability=1e-3)
        >>> zone = ss.Shock("zone", Uniform(0, 2e-4), members=[a, b])
        >>> s = lower(ss.Model(ss.parallel(a, b, name="api"), shocks=[zone]))
        >>> [p.name for p in s.parameters]
        ['a', 'zone']
        >>> s.event_probabilities([[0.002, 1e-4], [0.0, 0.0]]).tolist()
        [[0.002, 0.001, 0.0001], [0.0, 0.001, 0.0]]
        """
        func = "Structure.event_probabilities"
        P = len(self.parameters)
        x = np.asarray(samples, dtype=np.float64)
        one = x.ndim == 1
        if one:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != P:
            raise ValueError(
                f"The 'samples' parameter of {func} must be an array of shape (K, {P}) "
                f"or ({P},), one column per parameter. Got shape {np.shape(samples)} "
                f"instead.")
        bad = ~((x >= 0) & (x <= 1))
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"The 'samples' parameter of {func} must hold probabilities in "
                f"[0, 1]. Got {float(x[row, col])!r} for parameter "
                f"{self.parameters[col].name!r} (row {row}, column {col}) instead.")
        out = np.empty((x.shape[0], self.n_events))
        out[:] = self.q
        column = {p.name: i for i, p in enumerate(self.parameters)}
        done = set()
        for p in self.parameters:
            if p.inputs in done:
                continue
            done.add(p.inputs)
            out[:, p.events] = p.mapping(x[:, [column[n] for n in p.inputs]])
        return out[0] if one else out

    @property
    def n_gates(self):
        return len(self.gate_names)

    @property
    def n_nodes(self):
        return self.n_events + self.n_gates

    def children(self, g):
        """The children of gate ``g`` (gate number, not node number)."""
        return self.child_idx[self.child_ptr[g]:self.child_ptr[g + 1]]

    def gate(self, g):
        """Gate ``g`` for reading: ``(name, kind, k, children)``.

        ``kind`` is ``'series'``, ``'parallel'``, ``'k_of_n'`` or ``'not'``;
        ``children`` a tuple of node numbers.
        """
        return (self.gate_names[g], _KIND_NAMES[self.gate_op[g]], int(self.gate_k[g]),
                tuple(self.children(g).tolist()))

    @property
    def coherent(self):
        """True when no gate is a ``NOT``: bringing an event down never
        brings a node up (what cut sets and allocation rely on)."""
        return not bool(np.any(self.gate_op == NOT))

    def refuse_negation(self, what):
        """Raise :class:`~slosim.ModelError` (naming the first negation) if
        the structure has a ``NOT`` gate; ``what`` names the refusing
        analysis."""
        if self.coherent:
            return
        g = int(np.flatnonzero(self.gate_op == NOT)[0])
        name = self.gate_names[g]
        label = f"the negation {name!r}" if name is not None else "an unnamed negation"
        raise ModelError(
            f"{what} needs coherent logic (no negation), but the model has "
            f"{label}: bringing a component down can bring a journey up", name)

    def members(self, s):
        """The component events shock ``s`` (shock number) takes down."""
        return self.shock_idx[self.shock_ptr[s]:self.shock_ptr[s + 1]]

    def __repr__(self):
        return (f"Structure(events={self.n_events}, components={self.n_components}, "
                f"gates={self.n_gates}, journeys={len(self.journeys)})")


_CACHE = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def lower(model):
    """The :class:`Structure` of a model: basic events, gates, journeys.

    Parameters
    ----------
    model : Model, Node or Journey

    Returns
    -------
    Structure
        Built once per model (a model never changes) and shared.

    Raises
    ------
    UnresolvedChoiceError
        If the model has design choices (:class:`~slosim.Choice`) not yet
        resolved: a Structure is one design.

    Notes
    -----
    The rules, written here once for every engine:

    * a component is a basic event down with its unavailability; a shock
      is a basic event that happens with its probability;
    * a component with shocks is a series gate over its event and its
      shocks' events (named after the component);
    * a service is a series gate over its own event, its shocks' events
      and its requirements (named after the service); with none of these
      but its own event, it is that event;
    * a model gate keeps its kind: series (all children up), parallel (one
      up), k-of-n (``k`` up), not (the one child down; ``k`` is 1).

    Gates come in the order of ``Model.nodes()``, each model node's gate
    where the node stands.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import lower
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> s = lower(web)
    >>> s.events, s.gate(0), s.outputs.tolist()
    (('db', 'web'), ('web', 'series', 2, (1, 0)), [2])
    """
    model = as_model(model, "lower")
    with _LOCK:
        found = _CACHE.get(model)
    if found is None:
        found = _lower(model)
        with _LOCK:
            found = _CACHE.setdefault(model, found)
    return found


def _lower(model):
    if model.choices:
        names = ", ".join(map(repr, list(model.choices)[:8]))
        first = list(model.choices)[0]
        raise UnresolvedChoiceError(
            f"the model has unresolved choices ({names}): pick one option of each with "
            f"Model.resolve({{{first!r}: ...}}), or let slosim.choose find the best",
            first)
    leaves = model.leaves()
    shocks = tuple(model.shocks.values())
    C = len(leaves)
    E = C + len(shocks)
    event = {id(n): i for i, n in enumerate(leaves)}
    event.update((id(sh), C + k) for k, sh in enumerate(shocks))

    names, ops, ks, ptr, idx = [], [], [], [0], []
    node_of = {}   # id(model node) -> Structure node
    for node in model.nodes():
        kids = [node_of[id(c)] for c in model.children(node)]
        if isinstance(node, (Component, Service)):
            own = [event[id(node)]] + [event[id(sh)] for sh in model.shocks_of(node)]
            kids = own + kids
            if len(kids) == 1:
                node_of[id(node)] = kids[0]
                continue
            op, k = SERIES, len(kids)
        else:
            op = _OPS[node.kind]
            k = len(kids) if op == SERIES else (node.k if op == K_OF_N else 1)
        node_of[id(node)] = E + len(names)
        names.append(node.name)
        ops.append(op)
        ks.append(k)
        idx.extend(kids)
        ptr.append(len(idx))

    shock_ptr, shock_idx = [0], []
    for sh in shocks:
        shock_idx.extend(event[id(m)] for m in model.members(sh))
        shock_ptr.append(len(shock_idx))
    copulas = tuple(
        CopulaGroup(c.name, _frozen([event[id(m)] for m in model.members(c)], np.int64),
                    c.correlation, c.loadings)
        for c in model.copulas.values())
    q = [n.unavailability for n in leaves] + [sh.probability for sh in shocks]
    return Structure(
        events=tuple(n.name for n in leaves) + tuple(sh.name for sh in shocks),
        n_components=C,
        q=_frozen(q, np.float64),
        gate_names=tuple(names),
        gate_op=_frozen(ops, np.int8),
        gate_k=_frozen(ks, np.int64),
        child_ptr=_frozen(ptr, np.int64),
        child_idx=_frozen(idx, np.int64),
        journeys=tuple(j.name for j in model.journeys),
        targets=tuple(j.target for j in model.journeys),
        outputs=_frozen([node_of[id(j.node)] for j in model.journeys], np.int64),
        shock_ptr=_frozen(shock_ptr, np.int64),
        shock_idx=_frozen(shock_idx, np.int64),
        copulas=copulas,
        parameters=_parameters(leaves + shocks),
        timing=_timing(leaves + shocks),
    )


def _timing(events):
    """Each event's behaviour over time (None if none), or () for a model
    with no behaviour over time at all."""
    timing = tuple(getattr(e, "behaviour", None) for e in events)
    return timing if any(t is not None for t in timing) else ()


def _parameters(events):
    """The :class:`Parameter` records of the basic events ``events``."""
    out = []
    groups = {}   # id(group parameters) -> [params, [event...], [order...]]
    for e, node in enumerate(events):
        dist = node.distribution
        if dist is not None:
            out.append(Parameter(
                node.name, node.distribution_of, node.name, dist, _frozen([e], np.int64),
                (node.name,), _OwnProbability(node.distribution_of, dist.mean)))
        elif isinstance(node, (CommonCauseComponent, CommonCauseShock)):
            params = node.common_cause
            if id(params) not in groups:
                groups[id(params)] = (params, [], [])
                out.append(params)          # its parameters go here, once known
            groups[id(params)][1].append(e)
            groups[id(params)][2].append(node.order)
    result, seen = [], {}
    for item in out:
        if isinstance(item, Parameter):
            records = [item]
        else:
            params, evs, orders = groups[id(item)]
            mapping = _GroupProbabilities(item, orders)
            names = tuple(f"{item.name}.{item.keys[i]}" for i in item.uncertain)
            records = [Parameter(n, item.keys[i], item.name, item.values[i],
                                 _frozen(evs, np.int64), names, mapping)
                       for n, i in zip(names, item.uncertain)]
        for p in records:
            if p.name in seen:
                raise DuplicateNameError(
                    f"two uncertain parameters of the model are named {p.name!r} "
                    f"(of {seen[p.name]!r} and of {p.owner!r}); rename the "
                    f"common-cause group or the node", p.name)
            seen[p.name] = p.owner
            result.append(p)
    return tuple(result)
