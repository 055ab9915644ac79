"""Exact references for :func:`slosim.exact`'s tests.

* :func:`oracle_conditionals`: every journey's availability with each
  component forced up and forced down, as :class:`fractions.Fraction`, from
  the brute-force enumeration of :mod:`oracle` (one enumeration for all the
  random components; a rebuilt model for the constant ones).
* :func:`cone`: the components a journey of a :class:`strategies.DagSpec`
  reaches.
* Random trees over a few shared components (:func:`trees`), evaluated by
  recursion over the tree conditioned on the shared components' states
  (:func:`tree_availability`): an independent reference for models with far
  more components than enumeration can handle.
* :func:`assert_close`: a float against an exact value, to a relative
  tolerance.
"""

from fractions import Fraction
import math

from hypothesis import strategies as st
import numpy as np

import slosim as ss

from model_numbers import unavailabilities
import oracle

__all__ = [
    "REL",
    "TINY",
    "assert_close",
    "oracle_conditionals",
    "cone",
    "trees",
    "build_tree",
    "tree_availability",
]

#: Relative tolerance of a float64 result against its exact value.
REL = 1e-12
#: Absolute slack: only results that underflow float64 may use it.
TINY = 1e-290


def assert_close(got, want, what="", rel=REL, tiny=TINY):
    """``got`` (float) equals the exact ``want`` (Fraction or float) to
    ``rel`` relative to ``want``, plus ``tiny``; ``got`` is a probability."""
    got = float(got)
    assert 0.0 <= got <= 1.0, f"{what}: {got!r} is not a probability"
    w = float(want)
    err = abs(Fraction(got) - Fraction(want))
    assert err <= rel * abs(Fraction(want)) + Fraction(tiny), (
        f"{what}: got {got!r}, exact {w!r} (relative error "
        f"{float(err / want) if want else float('inf'):.3g})")


def _conditionals_of_random(model):
    """{journey: (A, {name: (A_up, A_down)})} over the random components,
    from one enumeration (oracle's state masks and exact weights)."""
    q, states = oracle.journey_states(model)
    names = list(oracle.random_components(model))
    assert len(names) == len(q)
    w, denom = oracle.weights_exact(q)
    n = len(q)
    index = np.arange(1 << n, dtype=np.int64)
    bits = [((index >> i) & 1).astype(bool) for i in range(n)]
    out = {}
    for journey, down in states.items():
        up = ~down
        a = Fraction(int(w[up].sum()), denom)
        cond = {}
        for i, name in enumerate(names):
            qi = Fraction(q[i])
            # The states with i up carry the factor (1 - q_i): divide it out.
            a_up = Fraction(int(w[up & ~bits[i]].sum()), denom) / (1 - qi)
            a_down = Fraction(int(w[up & bits[i]].sum()), denom) / qi
            cond[name] = (a_up, a_down)
        out[journey] = (a, cond)
    return out


def oracle_conditionals(model, rebuild):
    """Exact conditionals of every journey on every component of ``model``.

    Parameters
    ----------
    model : slosim.Model
    rebuild : callable
        ``rebuild({name: q})`` returns the same model with those components'
        unavailabilities replaced (e.g. :meth:`strategies.DagSpec.build`);
        used for components with unavailability exactly 0 or 1.

    Returns
    -------
    dict
        Journey -> ``(A, {component: (A_up, A_down)})``, Fractions, over
        every component of ``model.components``.
    """
    out = _conditionals_of_random(model)
    for name, q in unavailabilities(model).items():
        if 0.0 < q < 1.0:
            continue
        other = oracle.availability(rebuild({name: 1.0 - q}), exact=True)
        for journey, (a, cond) in out.items():
            pair = (a, other[journey]) if q == 0.0 else (other[journey], a)
            cond[name] = pair
    return out


def cone(spec, index):
    """Names of the leaves (components, services) that node ``index`` of a
    :class:`strategies.DagSpec` reaches."""
    seen, stack, names = set(), [index], set()
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        node = spec.nodes[i]
        if node[0] in ("component", "service"):
            names.add(node[1])
        if node[0] == "service":
            stack.extend(j for j, _ in node[3])
        elif node[0] == "gate":
            stack.extend(j for j, _ in node[3])
    return names


# --- trees over shared components -----------------------------------------------


@st.composite
def trees(draw, q, shared=4, max_leaves=120, max_children=8, depth=4):
    """A random tree: ``("leaf", name)`` or ``("gate", kind, k, children)``.

    Leaves are private components (named ``p0``, ``p1``, ...) or, one time in
    five, one of ``shared`` shared components (``s0``, ...): the same object
    wherever it appears. Returns ``(tree, {name: q})``.
    """
    qs = {f"s{i}": draw(q) for i in range(shared)}
    counter = [0]

    def leaf():
        if shared and draw(st.integers(0, 4)) == 0:
            return ("leaf", f"s{draw(st.integers(0, shared - 1))}")
        name = f"p{counter[0]}"
        counter[0] += 1
        qs[name] = draw(q)
        return ("leaf", name)

    def node(level):
        if level > 0 and (level == depth or counter[0] >= max_leaves
                          or draw(st.integers(0, 5)) == 0):
            return leaf()
        width = draw(st.integers(1, max_children))
        children = tuple(node(level + 1) for _ in range(width))
        kind = draw(st.sampled_from(("series", "parallel", "k_of_n")))
        k = {"series": width, "parallel": 1}.get(kind) or draw(st.integers(1, width))
        return ("gate", kind, k, children)

    tree = node(0)
    return tree, {n: qs[n] for n in sorted(qs) if _uses(tree, n)}


def _uses(tree, name):
    if tree[0] == "leaf":
        return tree[1] == name
    return any(_uses(c, name) for c in tree[3])


def build_tree(tree, qs, name="top"):
    """The tree as slosim nodes (one object per component name)."""
    objs = {n: ss.Component(n, unavailability=q) for n, q in qs.items()}

    def build(t, nm=None):
        if t[0] == "leaf":
            return objs[t[1]]
        _, kind, k, children = t
        kids = [build(c) for c in children]
        if kind == "series":
            return ss.series(*kids, name=nm)
        if kind == "parallel":
            return ss.parallel(*kids, name=nm)
        return ss.k_of_n(k, kids, name=nm)

    return build(tree, name)


def _tree_up(tree, r):
    """P(tree up) with component availabilities ``r`` (Fractions), children
    independent (no component repeats inside the tree)."""
    if tree[0] == "leaf":
        return r[tree[1]]
    _, kind, k, children = tree
    ps = [_tree_up(c, r) for c in children]
    if kind == "series":
        return math.prod(ps)
    if kind == "parallel":
        return 1 - math.prod(1 - p for p in ps)
    return sum(oracle.poisson_binomial_pmf(ps)[k:])


def tree_availability(tree, qs, shared):
    """Exact availability of ``tree``: the sum over the joint states of the
    ``shared`` components of their probability times the tree's
    availability given them (the private components appear once each, so
    the tree's children are then independent)."""
    shared = [s for s in shared if s in qs]
    r = {n: 1 - Fraction(q) for n, q in qs.items()}
    total = Fraction(0)
    for state in range(1 << len(shared)):
        weight = Fraction(1)
        fixed = dict(r)
        for i, s in enumerate(shared):
            up = not (state >> i) & 1
            weight *= r[s] if up else 1 - r[s]
            fixed[s] = Fraction(int(up))
        if weight:
            total += weight * _tree_up(tree, fixed)
    return total
