"""Brute-force reference for slosim models: enumerate every component state.

The oracle walks the model's node objects itself (components, gates,
services; ``str`` children resolved by name) and evaluates every journey in
each of the ``2**n`` joint states of the ``n`` random components, vectorised
with NumPy. Components with unavailability exactly 0 or 1 are constants and
cost nothing, so ``n`` counts only the random ones (keep it to ~16).

It shares no code with slosim's compiler or kernels: it is the definition of
the model's semantics (a component is down with probability ``q``
independently of the others; a gate is up when at least ``k`` of its
children are up, a negation when its child is down; a service is up when
its own component and all its requirements are up; one object in several
places is one random state).

:func:`assert_consistent` compares a Monte Carlo failure count with an exact
probability using exact binomial quantiles.
"""

from fractions import Fraction
import math
import warnings

import numpy as np
from scipy import stats

import slosim as ss

__all__ = [
    "MAX_RANDOM_COMPONENTS",
    "unavailability",
    "availability",
    "random_components",
    "assert_consistent",
    "consistent_bounds",
    "poisson_binomial_pmf",
    "checked_simulate",
    "journey_down",
    "journey_states",
    "weights_exact",
    "name_map",
    "postorder",
    "children",
]

#: Largest number of random components :func:`unavailability` enumerates.
MAX_RANDOM_COMPONENTS = 18


def name_map(model):
    """Name -> node over everything reachable from the journeys by objects,
    completed with the model's nodes for those only given as ``nodes=``
    (reachable from nowhere but by name)."""
    names = {}
    seen = set()
    stack = [j.node for j in model.journeys]
    while stack:
        node = stack.pop()
        if isinstance(node, str) or id(node) in seen:
            continue
        seen.add(id(node))
        if node.name is not None:
            names.setdefault(node.name, node)
        stack.extend(node.children)
    for node in model.nodes():
        if node.name is not None:
            names.setdefault(node.name, node)
    return names


def children(node, names):
    return [names[c] if isinstance(c, str) else c for c in node.children]


def postorder(roots, names):
    """Nodes reachable from ``roots``, children first (iterative DFS)."""
    order, done = [], set()
    for root in roots:
        if id(root) in done:
            continue
        stack = [(root, iter(children(root, names)))]
        on_stack = {id(root)}
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                on_stack.discard(id(node))
                done.add(id(node))
                order.append(node)
            elif id(child) not in done:
                assert id(child) not in on_stack, "cycle in a validated model"
                on_stack.add(id(child))
                stack.append((child, iter(children(child, names))))
    return order


def random_components(model):
    """The leaves of ``model`` (components and services' own parts) whose
    unavailability is strictly between 0 and 1, as ``{name: q}`` in a fixed
    order."""
    names = name_map(model)
    order = postorder([j.node for j in model.journeys], names)
    return {
        n.name: n.unavailability for n in order
        if isinstance(n, (ss.Component, ss.Service)) and 0.0 < n.unavailability < 1.0
    }


def journey_states(model):
    """(random leaf q's, {journey: bool array of 'down' over all states}).

    State ``s`` has random leaf ``i`` down when bit ``i`` of ``s`` is set.
    """
    names = name_map(model)
    order = postorder([j.node for j in model.journeys], names)
    leaves = [n for n in order if isinstance(n, (ss.Component, ss.Service))
              and 0.0 < n.unavailability < 1.0]
    n = len(leaves)
    if n > MAX_RANDOM_COMPONENTS:
        raise ValueError(f"{n} random components: too many to enumerate")
    index = np.arange(1 << n, dtype=np.int64)
    down_of_leaf = {id(leaf): ((index >> i) & 1).astype(bool)
                    for i, leaf in enumerate(leaves)}
    all_up = np.zeros(1 << n, dtype=bool)
    all_down = np.ones(1 << n, dtype=bool)

    def own(node):
        q = node.unavailability
        if q == 0.0:
            return all_up
        if q == 1.0:
            return all_down
        return down_of_leaf[id(node)]

    down = {}
    for node in order:
        if isinstance(node, ss.Component):
            down[id(node)] = own(node)
            continue
        kids = [down[id(c)] for c in children(node, names)]
        if isinstance(node, ss.Service):
            state = own(node).copy()
            for kid in kids:
                state |= kid
        elif node.kind == "not":
            state = ~kids[0]
        else:
            ups = np.zeros(1 << n, dtype=np.int32)
            for kid in kids:
                ups += ~kid
            # Gate.k is "children that must be up"; check it from the kind
            # too, so a wrong k on series/parallel cannot hide.
            k = {"series": len(kids), "parallel": 1}.get(node.kind, node.k)
            assert k == node.k, (node, k, node.k)
            state = ups < k
        down[id(node)] = state
    q = [leaf.unavailability for leaf in leaves]
    return q, {j.name: down[id(j.node)] for j in model.journeys}


def _weights_float(q):
    n = len(q)
    index = np.arange(1 << n, dtype=np.int64)
    w = np.ones(1 << n, dtype=np.float64)
    for i, qi in enumerate(q):
        w *= np.where((index >> i) & 1, qi, 1.0 - qi)
    return w


def weights_exact(q):
    """Integer weights and their common denominator (floats are dyadic)."""
    n = len(q)
    index = np.arange(1 << n, dtype=np.int64)
    w = np.ones(1 << n, dtype=object)
    denom = 1
    for i, qi in enumerate(q):
        f = Fraction(qi)
        a, d = f.numerator, f.denominator
        choice = np.empty(1 << n, dtype=object)
        bit = ((index >> i) & 1).astype(bool)
        choice[bit] = a
        choice[~bit] = d - a
        w = w * choice
        denom *= d
    return w, denom


def _float_sum(w, mask):
    """Probability of the states in ``mask``: exactly 0 or 1 when it holds
    none or all of them, otherwise the sum (rounding kept inside [0, 1])."""
    if not mask.any():
        return 0.0
    if mask.all():
        return 1.0
    return min(1.0, float(w[mask].sum()))


def unavailability(model, *, exact=False):
    """Exact unavailability of every journey of ``model``.

    Parameters
    ----------
    model : slosim.Model
    exact : bool
        If True, values are :class:`fractions.Fraction`, computed exactly
        from the float unavailabilities; otherwise floats (each a sum of
        positive terms, accurate to a few ulps even for tiny values).

    Returns
    -------
    dict
        Journey name -> probability that the journey is down.
    """
    q, states = journey_states(model)
    if exact:
        w, denom = weights_exact(q)
        return {name: Fraction(int(w[d].sum()), denom) for name, d in states.items()}
    w = _weights_float(q)
    return {name: _float_sum(w, d) for name, d in states.items()}


def availability(model, *, exact=False):
    """Exact availability of every journey (summed over up states, not as
    ``1 - unavailability``); see :func:`unavailability`."""
    q, states = journey_states(model)
    if exact:
        w, denom = weights_exact(q)
        return {name: Fraction(int(w[~d].sum()), denom) for name, d in states.items()}
    w = _weights_float(q)
    return {name: _float_sum(w, ~d) for name, d in states.items()}


def poisson_binomial_pmf(p_success):
    """Distribution of the number of successes of independent Bernoulli
    trials, ``pmf[j] = P(j successes)``, by the O(n**2) recurrence (each
    step vectorised). Floats, or Fractions if ``p_success`` holds Fractions.
    """
    exact = any(isinstance(p, Fraction) for p in p_success)
    pmf = np.zeros(len(p_success) + 1, dtype=object if exact else np.float64)
    pmf[0] = Fraction(1) if exact else 1.0
    for i, p in enumerate(p_success):
        # rows 0..i are live; update from the top so each term is used once
        head = pmf[: i + 1].copy()
        pmf[: i + 1] = head * (1 - p)
        pmf[1 : i + 2] += head * p
    return pmf


def checked_simulate(model, samples, **kwargs):
    """:func:`slosim.simulate`, asserting its warning contract.

    A :class:`slosim.FewFailuresWarning` must name exactly the journeys that
    are not exact and saw fewer than 100 failures; any other warning fails.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ss.simulate(model, samples, **kwargs)
    warned = set()
    for w in caught:
        assert issubclass(w.category, ss.FewFailuresWarning), (w.category, str(w.message))
        hits = [name for name in res if f"journey {name!r}:" in str(w.message)]
        assert len(hits) == 1, str(w.message)
        warned.add(hits[0])
    assert len(warned) == len(caught), [str(w.message) for w in caught]
    few = {name for name, r in res.items() if not r.exact and r.failures < 100}
    assert warned == few, (warned, few)
    return res


def consistent_bounds(samples, p, z=5.0):
    """Failure counts ``[lo, hi]`` outside which a Binomial(samples, p) falls
    with probability at most that of a two-sided ``z``-sigma normal event.

    Exact binomial quantiles, so valid for tiny counts and any ``p``.
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability, got {p!r}")
    if p == 0.0:
        return 0, 0
    if p == 1.0:
        return samples, samples
    tail = float(stats.norm.sf(z))  # each side
    lo = stats.binom.ppf(tail, samples, p)
    hi = stats.binom.isf(tail, samples, p)
    return int(lo), int(hi)


def assert_consistent(failures, samples, p_exact_unavailability, z=5.0, what=""):
    """Assert ``failures`` is a plausible Binomial(samples, p) draw.

    The count must lie within the exact binomial quantiles at the two-sided
    tail probability of a ``z``-sigma normal event (5.7e-7 for ``z=5``), so
    the check holds for any seed but for a vanishing fraction, including when
    few failures are expected.
    """
    lo, hi = consistent_bounds(samples, p_exact_unavailability, z)
    if not lo <= failures <= hi:
        p = float(p_exact_unavailability)
        sd = math.sqrt(samples * p * (1 - p))
        raise AssertionError(
            f"{what}: {failures} failures in {samples} samples; exact "
            f"unavailability {p!r} expects {samples * p:.6g} ± {sd:.3g}, "
            f"{z}-sigma range [{lo}, {hi}]"
        )


def journey_down(model, down):
    """Each journey's state (True = down) for component and shock states
    ``down`` (name -> bool array): the structure function, walked over the
    nodes; a member is down when it or one of its shocks is."""
    names = name_map(model)
    order = postorder([j.node for j in model.journeys], names)
    own = {name: down[name].copy() for name in model.components}
    for sh in model.shocks.values():
        for m in sh.members:
            name = m if isinstance(m, str) else m.name
            own[name] |= down[sh.name]
    state = {}
    for node in order:
        if isinstance(node, ss.Component):
            state[id(node)] = own[node.name]
            continue
        kids = [state[id(c)] for c in children(node, names)]
        if isinstance(node, ss.Service):
            state[id(node)] = np.logical_or.reduce([own[node.name]] + kids)
        elif node.kind == "not":
            state[id(node)] = ~kids[0]
        else:
            up = sum((~k).astype(np.int64) for k in kids)
            state[id(node)] = up < node.k
    return {j.name: state[id(j.node)] for j in model.journeys}
