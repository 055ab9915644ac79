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
* a copula couples the latent variables of its members' own events.

Both engines, the file writers and the analyses read the Structure, so none
of them re-derives these rules.
"""

from dataclasses import dataclass
import threading
import weakref

import numpy as np

from .._errors import UnresolvedChoiceError
from ._model import as_model
from ._nodes import Component, Service

__all__ = ["Structure", "CopulaGroup", "lower", "SERIES", "PARALLEL", "K_OF_N"]

#: Gate kinds of a :class:`Structure` (``Structure.gate_op``).
SERIES = 0
PARALLEL = 1
K_OF_N = 2

_KIND_NAMES = ("series", "parallel", "k_of_n")
_OPS = {"series": SERIES, "parallel": PARALLEL, "k_of_n": K_OF_N}


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
        ``SERIES``, ``PARALLEL`` or ``K_OF_N``.
    gate_k : ndarray of int64, shape (G,)
        Children that must be up for the gate to be up (all for series, 1
        for parallel).
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

    @property
    def n_events(self):
        return len(self.events)

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

        ``kind`` is ``'series'``, ``'parallel'`` or ``'k_of_n'``;
        ``children`` a tuple of node numbers.
        """
        return (self.gate_names[g], _KIND_NAMES[self.gate_op[g]], int(self.gate_k[g]),
                tuple(self.children(g).tolist()))

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
      up), k-of-n (``k`` up).

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
            k = len(kids) if op == SERIES else (1 if op == PARALLEL else node.k)
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
    )
