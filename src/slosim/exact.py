"""Exact journey availability, with every component's conditionals.

:func:`exact` builds a reduced ordered binary decision diagram (ROBDD) of
each journey over independent components and evaluates it exactly. The
diagram is built bottom-up over the model's DAG: shared nodes are built
once, series and parallel gates by conjunction and disjunction, k-of-n
gates by a threshold recurrence over the children's diagrams (never by
enumerating subsets). Variables are ordered depth-first over the DAG from
the journeys, which keeps the components of one redundant group adjacent
and puts a shared component at its first use: for service graphs this
order gives diagrams close to linear in the number of components, and
PRA-style fault trees stay small in it too. When this order needs far more
nodes than the graph's size suggests (unstructured fault trees, whose
children come in no meaningful order), other orders race within growing
budgets: children sorted by support size, and the FORCE heuristic, which
pulls the uses of a shared event together (:mod:`slosim._ordering`).

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

__all__ = ["exact", "DiagramTooLargeError", "ExactUnsupportedError",
           "DEFAULT_MAX_NODES"]

#: Diagram nodes allowed by default (about 28 bytes per node slot with the
#: hash tables; the store grows by doubling).
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


#: The given order alone may use this many diagram nodes times the graph's
#: size (leaves, gates and edges) to the power 1.5 before other orders are
#: tried: structured models stay well below it (service graphs under 0.3,
#: PRA-style fault trees of 200 to 3000 events 1.3 to 3), unstructured
#: fault trees in a poor order go far past it.
_GIVEN_BUDGET_FACTOR = 8

#: Smallest budget of the first attempt, so small models never retry.
_MIN_FIRST_BUDGET = 1 << 16


def _attempt(arrays, rank, n_vars, budget):
    """Build with leaf levels ``rank``: (Diagram, ids) or (None, (size, done))."""
    diagram = _bdd.Diagram(n_vars, budget)
    try:
        ids = _bdd.build(diagram, rank, *arrays[1:])
    except _bdd.BudgetExceeded as exc:
        return None, exc.args
    return diagram, ids


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

    ``names[v]`` and ``q[v]`` are variable (level) v's event and
    unavailability; ``ids[outputs[j]]`` is journey j's root in the Diagram.

    The given depth-first order is tried first, with a budget proportional
    to the graph's size (or ``max_nodes`` if smaller). Past it, the other
    orders of :func:`slosim._ordering.candidates` race in rounds of
    budgets growing fourfold, the ones that got furthest first, while the
    nodes of all attempts stay within ``max_nodes``; then the furthest
    order alone runs with ``max_nodes``. One diagram exists at a time, so
    ``max_nodes`` bounds memory, and a model too large for every order
    costs at most about twice the nodes of one attempt at ``max_nodes``.
    """
    from . import _ordering

    names, q, arrays, outputs = _lower(model)
    n_vars = len(names)
    graph = _ordering.Graph(n_vars, arrays[3], arrays[4], outputs)
    makers = _ordering.candidates(graph)
    ranks = {}

    def rank_of(i):
        if i not in ranks:
            ranks[i] = np.ascontiguousarray(makers[i][1](), dtype=np.int32)
        return ranks[i]

    first = min(max_nodes, max(_MIN_FIRST_BUDGET,
                               int(_GIVEN_BUDGET_FACTOR * graph.size() ** 1.5)))
    progress = {}     # candidate -> (graph nodes done, -index) when it overflowed
    failed = {}       # candidate -> (nodes, done) of its furthest attempt
    budget, tried, spent = first, [0], 0
    while True:
        for i in tried:
            diagram, ids = _attempt(arrays, rank_of(i), n_vars, budget)
            if diagram is not None:
                if makers[i][0] == "given":      # the lowering's numbering
                    return names, q, diagram, ids, outputs
                rank = ranks[i]
                level_names = [None] * n_vars
                level_q = np.empty(n_vars, dtype=np.float64)
                for v, r in enumerate(rank.tolist()):
                    level_names[r] = names[v]
                    level_q[r] = q[v]
                return level_names, level_q, diagram, ids, outputs
            failed[i] = ids           # (nodes, graph nodes done) on overflow
            progress[i] = (ids[1], -i)
            spent += failed[i][0]
        if budget >= max_nodes:
            break
        if len(tried) == 1 and budget == first:
            # the given order overflowed: the others start at its budget
            tried = list(range(1, len(makers)))
        else:
            budget = min(max_nodes, 4 * budget)
            tried = sorted(range(len(makers)), key=lambda i: progress.get(i, (-1, -i)),
                           reverse=True)
        if budget >= max_nodes or spent + len(tried) * budget > max_nodes:
            # racing would cost more than max_nodes nodes in all: the
            # furthest order alone gets the whole budget
            budget, tried = max_nodes, [max(progress, key=progress.get)]
    best = max(progress, key=progress.get)
    size, done = failed[best]
    raise DiagramTooLargeError(
        f"the decision diagram reached the node budget max_nodes="
        f"{max_nodes} ({size} nodes) after {done} of "
        f"{len(arrays[0]) + len(arrays[1])} graph nodes over "
        f"{n_vars} components; raise max_nodes, or estimate with "
        f"slosim.simulate, which has no such limit",
        size,
    ) from None


def exact(model, *, max_nodes=DEFAULT_MAX_NODES):
    """Exact availability of every journey, with per-component conditionals.

    Parameters
    ----------
    model : Model, Node or Journey
        Components are independent (shared dependencies are exact: a shared
        component is one variable), apart from shocks (each one more
        independent event) and at most one one-factor
        :class:`~slosim.GaussianCopula`, integrated over its factor.
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
    ExactUnsupportedError
        For a copula with a general correlation matrix, or more than one
        copula with its own factor.
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

    With a one-factor copula every output is the expectation over the
    factor ``F`` of the same output with the members' unavailabilities
    ``q_i(F)``, integrated adaptively to a relative error of ``1e-11``
    (see :doc:`/math`). A member's conditionals force it up or down and
    keep the factor's law, so the identity above holds for components
    outside the copula only.

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
    var_of = {name: v for v, name in enumerate(names)}
    roots = [int(ids[out]) for out in outputs]
    n_vars = len(names)

    def evaluate(qv, rv=None):
        """(J, 2 + 4V): each journey's up, down and conditionals at
        unavailabilities qv (availabilities rv, default 1 - qv)."""
        up, down = _bdd.probabilities(diagram, qv, rv)
        out = np.empty((len(roots), 2 + 4 * n_vars))
        for j, root in enumerate(roots):
            out[j, 0], out[j, 1] = up[root], down[root]
            out[j, 2:] = np.concatenate(
                _bdd.conditionals(diagram, root, qv, up, down, rv))
        return out

    factor = _one_factor(model, var_of, q)
    if factor is None:
        values = evaluate(q)
    else:
        values = _integrate_factor(evaluate, q, *factor)
    events = tuple(model.components) + tuple(model.shocks)
    order = np.array([var_of[n] for n in events], dtype=np.intp)
    results = {}
    for j, journey in enumerate(model.journeys):
        uu, ud, du, dd = values[j, 2:].reshape(4, n_vars)
        results[journey.name] = ExactResult(
            journey=journey.name,
            availability=min(float(values[j, 0]), 1.0),
            unavailability=min(float(values[j, 1]), 1.0),
            target=journey.target,
            components=events,
            availability_if_up=_frozen(uu[order]),
            availability_if_down=_frozen(ud[order]),
            unavailability_if_up=_frozen(du[order]),
            unavailability_if_down=_frozen(dd[order]),
        )
    return ExactResults(results, components=events,
                        bdd_nodes=int(diagram.nodes))


class ExactUnsupportedError(ValueError):
    """The model has a feature :func:`exact` cannot evaluate exactly.

    :func:`exact` handles independent components, shocks, and at most one
    one-factor :class:`~slosim.GaussianCopula`; :func:`simulate` handles
    every model.
    """


def _one_factor(model, var_of, q):
    """(vars, t, l, s) of the one-factor copula's varying members, or None.

    Raises ExactUnsupportedError for a correlation-matrix copula or for
    more than one factor (each would be one more dimension to integrate).
    """
    from scipy.special import ndtri

    found = []
    for cop in model._copulas:
        if not cop.one_factor:
            raise ExactUnsupportedError(
                f"copula {cop.name!r} has a general correlation matrix (not of "
                f"one-factor form); exact evaluates one-factor copulas only: "
                f"estimate this model with slosim.simulate")
        names = [m if isinstance(m, str) else m.name for m in cop.members]
        members = [(var_of[n], x) for n, x in zip(names, cop.loadings.tolist())
                   if x != 0.0 and 0.0 < q[var_of[n]] < 1.0]
        if len(members) >= 2:
            found.append((cop.name, members))
    if not found:
        return None
    if len(found) > 1:
        raise ExactUnsupportedError(
            f"copulas {', '.join(repr(n) for n, _ in found)} each have their own "
            f"factor; exact integrates over one factor only: estimate this "
            f"model with slosim.simulate")
    members = found[0][1]
    v = np.array([m[0] for m in members], dtype=np.intp)
    l = np.array([m[1] for m in members], dtype=np.float64)
    return v, ndtri(q[v]), l, np.sqrt(np.maximum(0.0, 1.0 - l * l))


# Gauss-Kronrod 7-15 rule on [-1, 1] (nodes from QUADPACK's qk15).
_XK = np.array([0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                0.207784955007898467600689403773245, 0.0])
_WK = np.array([0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                0.204432940075298892414161999234649, 0.209482141084727828012999174891714])
_WG = np.array([0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                0.381830050505118944950369775488975, 0.417959183673469387755102040816327])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_KRONROD = np.concatenate([_WK[:-1], _WK[::-1]])
_GAUSS = np.zeros(15)
_GAUSS[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])

#: The factor is integrated over [-FACTOR_RANGE, FACTOR_RANGE]: outside,
#: its density is below the smallest double, so nothing representable is
#: lost, however small the result (tiny unavailabilities with loadings near
#: one fail far out in the tails).
FACTOR_RANGE = 38.5
# Panel cuts beyond the unit grid on [-14, 14], where the density is tiny.
_TAIL_CUTS = (16.0, 19.0, 23.0, 28.0, 33.0)
_RTOL = 1e-11
_MAX_PANELS = 1000


def _integrate_factor(evaluate, q, v, t, l, s):
    """E over the factor F of ``evaluate`` at the members' q(F).

    Globally adaptive Gauss-Kronrod (7-15) over F with the standard
    normal density, refined until every output (each journey's
    availability, unavailability and conditionals, each separately) has an
    estimated relative error below ``_RTOL``. Panels start from a grid of
    width 1 on [-14, 14], wider panels out to ``FACTOR_RANGE``, and cuts
    around each member's transition point ``t_i / l_i`` at multiples of its
    width ``s_i / |l_i|``.
    """
    from scipy.special import ndtr

    qv = np.array(q, dtype=np.float64)
    rv = 1.0 - qv

    def panel(a, b):
        half, mid = (b - a) / 2, (a + b) / 2
        f = mid + half * _NODES
        x = (t[None, :] - l[None, :] * f[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(s > 0, x / np.where(s > 0, s, 1.0),
                         np.where(x > 0, np.inf, -np.inf))
        qf, rf = ndtr(x), ndtr(-x)   # each to full relative precision
        w = half * np.exp(-0.5 * f * f) / np.sqrt(2 * np.pi)
        vals = []
        for i in range(len(f)):
            qv[v], rv[v] = qf[i], rf[i]
            vals.append(evaluate(qv, rv))
        vals = np.stack(vals) * w[:, None, None]
        k = np.tensordot(_KRONROD, vals, axes=1)
        g = np.tensordot(_GAUSS, vals, axes=1)
        return k, np.abs(k - g)

    cuts = set(np.arange(-14.0, 14.5, 1.0).tolist())
    cuts.update(c for x in _TAIL_CUTS + (FACTOR_RANGE,) for c in (-x, x))
    # around each member's transition, where the integrands change fastest,
    # at multiples of its width s_i / |l_i| (peaks cannot fall between nodes)
    centre, width = t / l, s / np.abs(l)
    for k in (-4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0):
        for c in (centre + k * width).tolist():
            if -FACTOR_RANGE < c < FACTOR_RANGE:
                cuts.add(c)
    cuts = sorted(cuts)
    panels = [(a, b, *panel(a, b)) for a, b in zip(cuts[:-1], cuts[1:])]
    while True:
        total = sum(p[2] for p in panels)
        err = sum(p[3] for p in panels)
        tol = _RTOL * np.abs(total) + 1e-300
        if np.all(err <= tol):
            return total
        if len(panels) >= _MAX_PANELS:
            raise ExactUnsupportedError(
                f"the integral over the copula factor did not converge to a "
                f"relative error of {_RTOL:g} in {_MAX_PANELS} panels; "
                f"estimate this model with slosim.simulate")
        score = [float(np.max(p[3] / tol)) for p in panels]
        i = int(np.argmax(score))
        a, b = panels[i][:2]
        m = (a + b) / 2
        panels[i:i + 1] = [(a, m, *panel(a, m)), (m, b, *panel(m, b))]


def _frozen(a):
    # Sums of products of probabilities can round past 1 by an ulp or two.
    a = np.clip(np.ascontiguousarray(a, dtype=np.float64), 0.0, 1.0)
    a.setflags(write=False)
    return a
