"""Hypothesis strategies for slosim models.

:func:`dags` draws a :class:`DagSpec`: a plain description of a random DAG
(components, services, series / parallel / k-of-n gates with random ``k``,
nodes shared by several parents, children sometimes given by name, several
journeys that may share nodes). :meth:`DagSpec.build` turns it into a
:class:`slosim.Model`, optionally with some unavailabilities replaced or
every name prefixed (an independent copy), so properties can compare a model
with a modified one.
"""

from dataclasses import dataclass
from fractions import Fraction
import itertools
from typing import NamedTuple

from hypothesis import strategies as st

import slosim as ss

__all__ = [
    "SPECIAL_PROBABILITIES",
    "probabilities",
    "open_probabilities",
    "DagSpec",
    "dags",
]

#: Edge values: exactly 0 and 1, tiny and near-1 values, and dyadic values
#: (exact in 64-bit fixed point, which the kernel may sample bit by bit).
SPECIAL_PROBABILITIES = (
    0.0, 1.0, 1e-6, 1e-4, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.9, 0.99, 0.999,
    1 - 1e-6, 0.25, 0.75, 0.375, 2.0**-10, 1 - 2.0**-20,
)


def open_probabilities():
    """Probabilities strictly between 0 and 1: edge values, log-uniform
    small and near-1 values, and arbitrary floats."""
    inner = [p for p in SPECIAL_PROBABILITIES if 0.0 < p < 1.0]
    return st.one_of(
        st.sampled_from(inner),
        st.floats(-6.0, -0.01).map(lambda e: 10.0**e),
        st.floats(-6.0, -0.01).map(lambda e: 1.0 - 10.0**e),
        st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
    )


def probabilities():
    """Probabilities in [0, 1]: exactly 0 or 1 about one time in ten (and
    where examples shrink to), otherwise :func:`open_probabilities`."""
    return st.tuples(
        st.integers(0, 9), st.sampled_from((0.0, 1.0)), open_probabilities()
    ).map(lambda t: t[1] if t[0] == 0 else t[2])


@dataclass(frozen=True)
class DagSpec:
    """A random model, as data.

    ``nodes`` is in creation order (children before parents); each entry is
    ``("component", name, q)``, ``("service", name, q, children)`` or
    ``("gate", kind, k, children, name_or_None)`` (kind ``"not"``: one
    child, k 1), with ``children`` a tuple
    of ``(node index, by_name)``. ``journeys`` is a tuple of
    ``(node index, journey name)``.
    """

    nodes: tuple
    journeys: tuple

    @property
    def leaf_names(self):
        """Names of components and services (each one random leaf)."""
        return [n[1] for n in self.nodes if n[0] in ("component", "service")]

    def leaf_q(self):
        return {n[1]: n[2] for n in self.nodes if n[0] in ("component", "service")}

    def build_nodes(self, q=None, prefix=""):
        """The node objects (and the named ones, for ``Model(nodes=)``)."""
        q = q or {}
        objs = []

        def kids(children):
            out = []
            for i, by_name in children:
                node = objs[i]
                out.append(node.name if by_name and node.name is not None else node)
            return out

        for spec in self.nodes:
            if spec[0] == "component":
                _, name, qi = spec
                objs.append(ss.Component(prefix + name,
                                         unavailability=q.get(name, qi)))
            elif spec[0] == "service":
                _, name, qi, children = spec
                objs.append(ss.Service(prefix + name,
                                       unavailability=q.get(name, qi),
                                       requires=kids(children)))
            else:
                _, kind, k, children, name = spec
                name = None if name is None else prefix + name
                c = kids(children)
                if kind == "series":
                    objs.append(ss.series(*c, name=name))
                elif kind == "parallel":
                    objs.append(ss.parallel(*c, name=name))
                elif kind == "not":
                    objs.append(ss.negate(c[0], name=name))
                else:
                    objs.append(ss.k_of_n(k, c, name=name))
        return objs

    def instantiate(self, q=None, prefix=""):
        """One set of node objects: ``(journeys, named nodes, all nodes)``."""
        objs = self.build_nodes(q, prefix)
        named = [o for o in objs if o.name is not None]
        journeys = [ss.Journey(objs[i], name=prefix + name) for i, name in self.journeys]
        return Built(journeys, named, objs)

    def build(self, q=None, prefix=""):
        """A :class:`slosim.Model`; ``q`` maps leaf names to replacement
        unavailabilities, ``prefix`` renames every node and journey."""
        built = self.instantiate(q, prefix)
        return ss.Model(built.journeys, nodes=built.named)


class Built(NamedTuple):
    journeys: list
    named: list
    nodes: list


@st.composite
def dags(draw, max_leaves=14, max_gates=10, max_children=5, max_journeys=3,
         q=None):
    """A random :class:`DagSpec` with 1..``max_leaves`` random leaves.

    Gates pick children anywhere among the nodes built so far, so nodes are
    shared by several parents (and a child may even repeat within a gate).
    Named children are passed by name about one time in four. Nodes left
    without a parent are joined under a last gate, ``"top"``, which is
    journey ``j0``; the other journeys pick any node.
    """
    q = q if q is not None else probabilities()
    n_components = draw(st.integers(1, max_leaves))
    nodes = [("component", f"c{i}", draw(q)) for i in range(n_components)]
    names = [f"c{i}" for i in range(n_components)]
    leaves = n_components
    n_gates = draw(st.integers(0, max_gates))
    kinds = ["series", "parallel", "k_of_n"]
    if leaves < max_leaves:
        kinds.append("service")
    for g in range(n_gates):
        kind = draw(st.sampled_from(kinds))
        pool = len(nodes)
        lo = 0 if kind == "service" else 1
        idx = draw(st.lists(st.integers(0, pool - 1), min_size=lo,
                            max_size=max_children))
        children = tuple(
            (i, names[i] is not None and draw(st.sampled_from((False, False, False, True))))
            for i in idx
        )
        if kind == "service":
            name = f"s{g}"
            nodes.append(("service", name, draw(q), children))
            leaves += 1
            if leaves >= max_leaves:
                kinds.remove("service")
        else:
            name = draw(st.sampled_from((None, f"g{g}")))
            k = {"series": len(children), "parallel": 1}.get(kind)
            if k is None:
                k = draw(st.integers(1, len(children)))
            nodes.append(("gate", kind, k, children, name))
        names.append(name)
    # Join every node no other node uses, so that the first journey reaches
    # every component.
    used = {i for spec in nodes[n_components:] for i, _ in spec[-2 if spec[0] == "gate" else -1]}
    roots = [i for i in range(len(nodes)) if i not in used]
    if len(roots) > 1:
        kind = draw(st.sampled_from(("series", "parallel", "k_of_n")))
        k = {"series": len(roots), "parallel": 1}.get(kind)
        if k is None:
            k = draw(st.integers(1, len(roots)))
        nodes.append(("gate", kind, k, tuple((i, False) for i in roots), "top"))
    n_journeys = draw(st.integers(1, max_journeys))
    # Journeys lean towards the last nodes built (the deepest ones).
    last = len(nodes) - 1
    journeys = ((last, "j0"),) + tuple(
        (last - draw(st.integers(0, last)), f"j{j}") for j in range(1, n_journeys)
    )
    return DagSpec(tuple(nodes), journeys)


# --- common-cause shocks ---------------------------------------------------


@st.composite
def models_with_shocks(draw):
    """A random DAG and 1-3 shocks over its leaves: (spec, [(name, p, members)])."""
    spec = draw(dags(max_leaves=8))
    names = spec.leaf_names
    shocks = []
    for i in range(draw(st.integers(1, 3))):
        members = draw(st.lists(st.sampled_from(names), min_size=1,
                                max_size=min(4, len(names)), unique=True))
        p = draw(st.sampled_from([0.0, 1.0, 1e-3, 0.05, 0.3]))
        shocks.append((draw(st.sampled_from([f"s-{i}", f"zone {i}[a,b]"])), p, members))
    return spec, shocks


def build_with_shocks(spec, shocks, q=None):
    """The spec's model with ``shocks`` (name, probability, member names)."""
    built = spec.instantiate(q=q)
    by_name = {n.name: n for n in built.nodes if n.name is not None}
    return ss.Model(built.journeys, nodes=built.named, shocks=[
        ss.Shock(name, p, members=[by_name[m] for m in members])
        for name, p, members in shocks])


def shock_reference(spec, shocks):
    """Exact journey unavailabilities with shocks, by conditioning on every
    joint shock state (a hit member is down for sure) and enumerating the
    rest with the brute-force oracle, in rational arithmetic."""
    from oracle import unavailability

    total = None
    for state in itertools.product((False, True), repeat=len(shocks)):
        weight, hit = Fraction(1), set()
        for happens, (_, p, members) in zip(state, shocks):
            weight *= Fraction(p) if happens else 1 - Fraction(p)
            if happens:
                hit.update(members)
        if weight == 0:
            continue
        q = unavailability(spec.build(q={m: 1.0 for m in hit}), exact=True)
        total = {k: (total[k] if total else 0) + weight * v for k, v in q.items()}
    return total

