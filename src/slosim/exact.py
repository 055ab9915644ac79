"""Exact journey availability, with every component's conditionals.

:func:`exact` builds a reduced ordered binary decision diagram (ROBDD) of
each journey over independent components and evaluates it exactly. The
diagram is built bottom-up over the model's DAG: shared nodes are built
once, series and parallel gates by conjunction and disjunction, k-of-n
gates by a threshold recurrence over the children's diagrams (never by
enumerating subsets). Variables are ordered depth-first over the DAG from
the journeys, which keeps the components of one redundant group adjacent
and puts a shared component at its first use: for service graphs this
order gives diagrams close to linear in the number of components.

Why a BDD: its size, not the number of components, bounds the work; shared
dependencies (which make the graph a DAG, not a tree) cost nothing extra
where they are local; and one more pass over the same diagram gives, for
every component, the journey's availability with the component forced up
and forced down, which importance measures and allocation gradients need.
"""

import numpy as np

from ._core import _bdd
from ._validation import check_int
from .model import Component, Service, as_model
from .results import ExactResult, ExactResults

__all__ = ["exact", "DiagramTooLargeError", "DEFAULT_MAX_NODES"]

#: Diagram nodes allowed by default (about 12 bytes each, plus tables).
DEFAULT_MAX_NODES = 5_000_000


class DiagramTooLargeError(ValueError):
    """The decision diagram would exceed the node budget of :func:`exact`.

    Attributes
    ----------
    nodes : int
        Diagram nodes when the budget was reached.

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
    the decision diagram reached the node budget max_nodes=300 (300 nodes) after 40 of 41 graph nodes over 40 components; raise max_nodes, or estimate with slosim.simulate, which has no such limit
    """

    def __init__(self, message, nodes):
        super().__init__(message)
        self.nodes = nodes


def _lower(model):
    """The model as BDD build arrays, with leaves in depth-first order.

    Returns (variable names, their unavailabilities, (leaf_var, gate
    arrays), node index of each journey). Variable v is the v-th basic
    event met depth-first from the journeys: components (a Service's own
    component before its requirements) and shocks (before their first
    member). Leaf v is variable v; gates follow in topological order.
    """
    names, q, var_of = [], [], {}

    def variable(name, unavailability):
        var_of[name] = len(names)
        names.append(name)
        q.append(unavailability)
        return var_of[name]

    # Order variables: depth-first pre-order of leaves from the journeys; a
    # shock's variable comes just before its first member met.
    seen = set()
    for j in model.journeys:
        stack = [j.node]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, (Component, Service)):
                for sh in model._shocks_of.get(id(node), ()):
                    if sh.name not in var_of:
                        variable(sh.name, sh.probability)
                variable(node.name, node.unavailability)
            stack.extend(reversed(model._kids[id(node)]))

    # Leaves: one per variable (components, services' own, shocks).
    leaf_var = list(range(len(names)))
    L = len(leaf_var)
    gate_op, gate_k, child_ptr, child_idx = [], [], [0], []
    index = {}

    def gate(op, k, kids):
        gate_op.append(op)
        gate_k.append(k)
        child_idx.extend(kids)
        child_ptr.append(len(child_idx))
        return L + len(gate_op) - 1

    def own(node):
        """Own component's node: its variable, in series with its shocks."""
        v = var_of[node.name]
        shocks = model._shocks_of.get(id(node))
        if not shocks:
            return v
        kids = [v] + [var_of[sh.name] for sh in shocks]
        return gate(_bdd.GATE_SERIES, len(kids), kids)

    for node in model._order:
        if isinstance(node, Component):
            index[id(node)] = own(node)
            continue
        kids = [index[id(c)] for c in model._kids[id(node)]]
        if isinstance(node, Service):
            kids = [own(node)] + kids
            op, k = _bdd.GATE_SERIES, len(kids)
        elif node.kind == "series":
            op, k = _bdd.GATE_SERIES, len(kids)
        elif node.kind == "parallel":
            op, k = _bdd.GATE_PARALLEL, 1
        else:
            op, k = _bdd.GATE_KOFN, node.k
        index[id(node)] = gate(op, k, kids)
    outputs = [index[id(j.node)] for j in model.journeys]
    arrays = (
        np.asarray(leaf_var, dtype=np.int32),
        np.asarray(gate_op, dtype=np.int32),
        np.asarray(gate_k, dtype=np.int64),
        np.asarray(child_ptr, dtype=np.int64),
        np.asarray(child_idx, dtype=np.int64),
    )
    return names, np.asarray(q, dtype=np.float64), arrays, outputs


def _diagram(model, max_nodes):
    """Build the journeys' diagram: (names, q, Diagram, node ids, outputs).

    ``names[v]`` and ``q[v]`` are variable v's event and unavailability;
    ``ids[outputs[j]]`` is journey j's root in the Diagram.
    """
    names, q, arrays, outputs = _lower(model)
    diagram = _bdd.Diagram(len(names), max_nodes)
    try:
        ids = _bdd.build(diagram, *arrays)
    except _bdd.BudgetExceeded as exc:
        size, done = exc.args
        raise DiagramTooLargeError(
            f"the decision diagram reached the node budget max_nodes="
            f"{max_nodes} ({size} nodes) after {done} of "
            f"{len(arrays[0]) + len(arrays[1])} graph nodes over "
            f"{len(names)} components; raise max_nodes, or estimate with "
            f"slosim.simulate, which has no such limit",
            size,
        ) from None
    return names, q, diagram, ids, outputs


def exact(model, *, max_nodes=DEFAULT_MAX_NODES):
    """Exact availability of every journey, with per-component conditionals.

    Parameters
    ----------
    model : Model, Node or Journey
        Components are independent (shared dependencies are exact: a shared
        component is one variable).
    max_nodes : int, default 5_000_000
        Budget of decision-diagram nodes. Past it, :func:`exact` stops with
        :class:`DiagramTooLargeError` instead of exhausting memory; use
        :func:`simulate` for such models.

    Returns
    -------
    ExactResults
        Mapping journey name -> :class:`ExactResult`, each with the
        availability, the unavailability (computed directly, never as one
        minus a number near one), and for every component the availability
        and unavailability with the component forced up and forced down,
        and its Birnbaum importance.

    Raises
    ------
    DiagramTooLargeError
        If the diagram needs more than ``max_nodes`` nodes.
    TypeError, ValueError
        For a bad parameter.

    See Also
    --------
    simulate : Monte Carlo estimates, for models too large for a diagram.

    Notes
    -----
    Each diagram node ``u`` with variable ``v`` (unavailability ``q_v``)
    has the probability of being up ``P(u) = q_v P(lo) + (1 - q_v) P(hi)``
    and, computed alongside and just as directly, of being down. Both are
    sums of non-negative terms, so both keep their relative precision: an
    unavailability of ``1e-15`` keeps its digits. For component ``i``, the
    availability with ``i`` up, ``R(i up)``, sums over diagram nodes
    labelled ``i`` the probability of reaching them times the probability
    of their up-branch, plus what the paths that skip ``i`` contribute; all
    components' conditionals come from one top-down pass per journey. They
    satisfy ``R = r_i R(i up) + (1 - r_i) R(i down)``, and
    ``R(i up) - R(i down)`` is the Birnbaum importance, the derivative of
    ``R`` in ``r_i``.

    References
    ----------
    .. [1] R. E. Bryant, "Graph-based algorithms for Boolean function
       manipulation", IEEE Trans. Computers C-35 (1986).
    .. [2] A. Rauzy, "New algorithms for fault trees analysis", Reliability
       Engineering & System Safety 40 (1993).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> res = ss.exact(ss.series(web, db, name="checkout"))
    >>> r = res["checkout"]
    >>> print(f"{r.availability:.10f} {r.unavailability:.6e}")
    0.9989001000 1.099900e-03
    >>> dict(zip(r.components, r.birnbaum.round(6).tolist()))
    {'web': 0.9999, 'db-a': 0.00999, 'db-b': 0.00999}
    """
    model = as_model(model, "exact")
    max_nodes = check_int(max_nodes, "max_nodes", "exact", low=2, high=2**31 - 1)
    names, q, diagram, ids, outputs = _diagram(model, max_nodes)
    up, down = _bdd.probabilities(diagram, q)
    var_of = {name: v for v, name in enumerate(names)}
    events = tuple(model.components) + tuple(model.shocks)
    order = np.array([var_of[n] for n in events], dtype=np.intp)
    results = {}
    for j, out in zip(model.journeys, outputs):
        root = int(ids[out])
        uu, ud, du, dd = _bdd.conditionals(diagram, root, q, up, down)
        results[j.name] = ExactResult(
            journey=j.name,
            availability=min(float(up[root]), 1.0),
            unavailability=min(float(down[root]), 1.0),
            target=j.target,
            components=events,
            availability_if_up=_frozen(uu[order]),
            availability_if_down=_frozen(ud[order]),
            unavailability_if_up=_frozen(du[order]),
            unavailability_if_down=_frozen(dd[order]),
        )
    return ExactResults(results, components=events,
                        bdd_nodes=int(diagram.nodes))


def _frozen(a):
    # Sums of products of probabilities can round past 1 by an ulp or two.
    a = np.clip(np.ascontiguousarray(a, dtype=np.float64), 0.0, 1.0)
    a.setflags(write=False)
    return a
