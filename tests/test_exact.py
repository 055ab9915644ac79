"""Tests of :func:`slosim.exact`, the decision-diagram engine.

References are independent of the engine: brute-force enumeration in
rational arithmetic (:mod:`oracle`), closed forms (the bridge network, the
binomial and Poisson-binomial distributions), recursion over trees
conditioned on their shared components (:mod:`exact_helpers`), and
:func:`slosim.simulate` within its exact binomial error bars. Floats are
compared with the exact rationals to a relative tolerance of ``1e-12`` on
each of availability and unavailability (so a ``1e-15`` unavailability must
keep its digits), and the conditionals (each component forced up / down)
likewise.
"""

import dataclasses
from fractions import Fraction
import json
import math
import re
import sys

from hypothesis import HealthCheck, Phase, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.engines import ExactDiagram

from exact_helpers import (
    REL,
    TINY,
    assert_close,
    build_tree,
    cone,
    oracle_conditionals,
    tree_availability,
    trees,
)
from model_numbers import unavailabilities
from oracle import (
    assert_consistent,
    availability as oracle_availability,
    checked_simulate,
    poisson_binomial_pmf,
)
from strategies import build_with_shocks, dags, models_with_shocks, probabilities

C = ss.Component

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Unavailabilities of highly available components: 1e-15 .. 1e-5, and 0.
tiny_q = st.one_of(st.just(0.0), st.floats(-15.0, -5.0).map(lambda e: 10.0**e))
#: Unavailabilities of nearly always down components (availability tiny).
huge_q = st.one_of(st.just(1.0), st.floats(-15.0, -5.0).map(lambda e: 1.0 - 10.0**e))


def components(qs, prefix="x"):
    return [C(f"{prefix}{i}", unavailability=q) for i, q in enumerate(qs)]


def column(result, name):
    return result.components.index(name)


def check_result(spec, res, *, strict_birnbaum=False):
    """Every number of ``res`` (``ss.exact(spec.build())``) against the
    enumeration oracle, with the multilinearity identity and the cone."""
    model = spec.build()
    exact = oracle_conditionals(model, spec.build)
    assert list(res) == [j.name for j in model.journeys]
    assert res.components == tuple(model.components)
    journey_node = dict((name, i) for i, name in spec.journeys)
    q = {name: Fraction(v) for name, v in unavailabilities(model).items()}
    for name, r in res.items():
        a, cond = exact[name]
        assert r.journey == name and r.components == res.components
        assert_close(r.availability, a, f"{name} availability")
        assert_close(r.unavailability, 1 - a, f"{name} unavailability")
        reached = cone(spec, journey_node[name])
        for i, c in enumerate(r.components):
            a_up, a_down = cond[c]
            what = f"{name} | {c} (q={float(q[c])!r})"
            assert_close(r.availability_if_up[i], a_up, f"{what} up: availability")
            assert_close(r.availability_if_down[i], a_down, f"{what} down: availability")
            assert_close(r.unavailability_if_up[i], 1 - a_up, f"{what} up: unavailability")
            assert_close(r.unavailability_if_down[i], 1 - a_down,
                         f"{what} down: unavailability")
            # Birnbaum = dR/dr_i, exactly the finite difference since R is
            # affine in r_i; coherent models: >= 0.
            b, want = r.birnbaum[i], a_up - a_down
            assert b >= 0.0 and want >= 0
            err = abs(Fraction(float(b)) - want)
            if strict_birnbaum:
                scale = min(max(a_up, a_down), max(1 - a_up, 1 - a_down))
            else:
                scale = max(a_up, a_down)
            assert err <= REL * want + Fraction(1e-13) * scale + Fraction(TINY), (
                f"{what}: birnbaum {float(b)!r}, exact {float(want)!r}")
            if c not in reached:
                assert b == 0.0, (what, "outside the journey's cone", b)
            # R = r_i R(i up) + (1 - r_i) R(i down), from the engine's floats
            qi = q[c]
            for total, up, down, label in (
                (r.availability, r.availability_if_up[i], r.availability_if_down[i],
                 "availability"),
                (r.unavailability, r.unavailability_if_up[i],
                 r.unavailability_if_down[i], "unavailability"),
            ):
                mix = (1 - qi) * Fraction(float(up)) + qi * Fraction(float(down))
                assert abs(Fraction(total) - mix) <= 3 * REL * Fraction(total) + \
                    Fraction(TINY), (what, label, total, float(mix))


# --- against brute-force enumeration ------------------------------------------------


@settings(PROPERTY, max_examples=120)
@given(spec=dags(max_leaves=12))
def test_exact_equals_enumeration(spec):
    """Random DAGs: shared nodes, name references, services, k-of-n with any
    k (children may repeat), probabilities exactly 0 and 1, several
    journeys."""
    check_result(spec, ss.exact(spec.build()))


@settings(PROPERTY, max_examples=60)
@given(spec=dags(max_leaves=12, q=tiny_q))
def test_exact_equals_enumeration_at_high_availability(spec):
    """Unavailabilities down to 1e-15 (products far below): every
    unavailability, conditional and Birnbaum importance keeps its relative
    precision (none is a difference of numbers near 1)."""
    check_result(spec, ss.exact(spec.build()), strict_birnbaum=True)


@settings(PROPERTY, max_examples=40)
@given(spec=dags(max_leaves=12, q=huge_q))
def test_exact_equals_enumeration_at_low_availability(spec):
    """Availabilities down to 1e-15: the availabilities keep their digits."""
    check_result(spec, ss.exact(spec.build()), strict_birnbaum=True)


@settings(PROPERTY, max_examples=20)
@given(spec=dags(max_leaves=10), data=st.data())
def test_oracle_conditionals_match_rebuilt_models(spec, data):
    """The reference conditionals (one enumeration, divided by the forced
    component's factor) equal the oracle on the model with that component
    made constant."""
    model = spec.build()
    cond = oracle_conditionals(model, spec.build)
    name = data.draw(st.sampled_from(sorted(model.components)), label="component")
    up = oracle_availability(spec.build({name: 0.0}), exact=True)
    down = oracle_availability(spec.build({name: 1.0}), exact=True)
    for journey, (_, c) in cond.items():
        assert c[name] == (up[journey], down[journey])


def test_constant_components_are_variables():
    """Components with unavailability exactly 0 or 1 still get meaningful
    conditionals."""
    dead, b = C("dead", unavailability=1), C("b", unavailability=0.25)
    solid, d = C("solid", unavailability=0), C("d", unavailability=0.5)
    model = ss.Model([ss.series(dead, b, name="s"), ss.parallel(solid, d, name="p")])
    res = ss.exact(model)
    assert res.components == ("dead", "b", "solid", "d")
    s, p = res["s"], res["p"]
    assert (s.availability, s.unavailability) == (0.0, 1.0)
    assert (p.availability, p.unavailability) == (1.0, 0.0)
    i = column(s, "dead")
    assert (s.availability_if_up[i], s.availability_if_down[i]) == (0.75, 0.0)
    assert (s.unavailability_if_up[i], s.unavailability_if_down[i]) == (0.25, 1.0)
    assert s.birnbaum[i] == 0.75 and s.birnbaum[column(s, "b")] == 0.0
    i = column(p, "solid")
    assert (p.availability_if_up[i], p.availability_if_down[i]) == (1.0, 0.5)
    assert p.birnbaum[i] == 0.5 and p.birnbaum[column(p, "d")] == 0.0
    # neither journey reaches the other's components
    for r, other in ((s, ("solid", "d")), (p, ("dead", "b"))):
        for c in other:
            i = column(r, c)
            assert r.birnbaum[i] == 0.0
            assert r.availability_if_up[i] == r.availability_if_down[i] == r.availability


# --- larger models: trees over shared components ----------------------------------


# Shrinking these trees takes minutes: report the failing tree as drawn.
@settings(PROPERTY, max_examples=15, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=trees(probabilities(), shared=4, max_leaves=120), pick=st.data())
def test_exact_equals_conditioned_recursion_on_large_trees(data, pick):
    """Up to ~120 components, too many to enumerate: a tree whose leaves
    are private components or one of 4 shared ones is, given the shared
    components' states, a tree of independent children."""
    tree, qs = data
    shared = [f"s{i}" for i in range(4)]
    res = ss.exact(build_tree(tree, qs))
    r = res["top"]
    a = tree_availability(tree, qs, shared)
    assert_close(r.availability, a, "availability")
    assert_close(r.unavailability, 1 - a, "unavailability")
    # conditionals of one shared and one private component, if present
    for group in ([n for n in qs if n in shared], [n for n in qs if n not in shared]):
        if not group:
            continue
        name = pick.draw(st.sampled_from(group), label="component")
        i = column(r, name)
        up = tree_availability(tree, {**qs, name: 0.0}, shared)
        down = tree_availability(tree, {**qs, name: 1.0}, shared)
        assert_close(r.availability_if_up[i], up, f"{name} up")
        assert_close(r.availability_if_down[i], down, f"{name} down")
        assert_close(r.unavailability_if_up[i], 1 - up, f"{name} up (u)")
        assert_close(r.unavailability_if_down[i], 1 - down, f"{name} down (u)")


# --- the bridge network ------------------------------------------------------------


def bridge(q):
    """Edges s-a (e1), s-b (e2), a-b (e3), a-t (e4), b-t (e5); the journey is
    up when some minimal path set is: {e1,e4}, {e2,e5}, {e1,e3,e5},
    {e2,e3,e4}. Paths refer to the shared edges by name."""
    edges = [C(f"e{i}", unavailability=q) for i in range(1, 6)]
    paths = [ss.series("e1", "e4"), ss.series("e2", "e5"),
             ss.series("e1", "e3", "e5"), ss.series("e2", "e3", "e4")]
    return ss.Model(ss.parallel(*paths, name="bridge"), nodes=edges)


@pytest.mark.parametrize("p", [0.0, 1.0, 0.5, 0.9, 0.999999, 0.1, 1e-6, 0.3,
                               1 - 1e-12])
def test_bridge_network(p):
    q = float(Fraction(1) - Fraction(p))   # p is then 1 - q, to rounding
    model = bridge(q)
    r = ss.exact(model)["bridge"]
    p = 1 - Fraction(q)
    poly = 2 * p**2 + 2 * p**3 - 5 * p**4 + 2 * p**5
    assert_close(r.availability, poly, "availability")
    assert_close(r.unavailability, 1 - poly, "unavailability")
    # with all edges at p, dR/dp is the sum of the Birnbaum importances
    slope = 4 * p + 6 * p**2 - 20 * p**3 + 10 * p**4
    assert abs(Fraction(math.fsum(r.birnbaum)) - slope) <= REL * slope + Fraction(1e-13)
    # the bridge edge: up, the network is (e1 | e2) then (e4 | e5); down, it
    # is the two disjoint paths
    i = column(r, "e3")
    up = (1 - (1 - p) ** 2) ** 2
    down = 1 - (1 - p**2) ** 2
    assert_close(r.availability_if_up[i], up, "e3 up")
    assert_close(r.availability_if_down[i], down, "e3 down")
    assert_close(r.unavailability_if_up[i], 1 - up, "e3 up (u)")
    assert_close(r.unavailability_if_down[i], 1 - down, "e3 down (u)")
    # an outer edge: e1 up leaves parallel(e4, series(e3, e5), series(e2, e5),
    # series(e2, e3, e4)); compare with the oracle on that model
    i = column(r, "e1")
    for forced, got in ((0.0, r.availability_if_up[i]), (1.0, r.availability_if_down[i])):
        edges = {f"e{j}": C(f"e{j}", unavailability=forced if j == 1 else q)
                 for j in range(1, 6)}
        again = ss.Model(ss.parallel(ss.series("e1", "e4"), ss.series("e2", "e5"),
                                     ss.series("e1", "e3", "e5"),
                                     ss.series("e2", "e3", "e4"), name="bridge"),
                         nodes=list(edges.values()))
        assert_close(got, oracle_availability(again, exact=True)["bridge"], f"e1 {forced}")


def test_bridge_network_simulated_within_error(seed):
    model = bridge(0.1)
    exact = ss.exact(model)["bridge"]
    res = checked_simulate(model, 2 * 10**5, rng=seed)
    assert_consistent(res["bridge"].failures, 2 * 10**5, exact.unavailability)


# --- k-of-n ---------------------------------------------------------------------


def binomial_pmf(n, r):
    """P(j of n up), each with probability r: the binomial recursion
    P(j) = P(j - 1) (n - j + 1) / j * r / (1 - r), or a point mass."""
    if r in (0, 1):
        return [Fraction(int(j == (n if r == 1 else 0))) for j in range(n + 1)]
    pmf = [(1 - r) ** n]
    for j in range(1, n + 1):
        pmf.append(pmf[-1] * (n - j + 1) / j * r / (1 - r))
    return pmf


@settings(PROPERTY, max_examples=25)
@given(n=st.integers(1, 60), q=probabilities())
def test_k_of_n_identical_every_k(n, q):
    """All thresholds k = 1..n of one gate width, as the journeys of one
    model over the same components; Birnbaum importance of a component of a
    k-of-n gate is P(exactly k - 1 of the other n - 1 up)."""
    xs = components([q] * n)
    model = ss.Model([ss.k_of_n(k, xs, name=f"k{k}") for k in range(1, n + 1)])
    res = ss.exact(model)
    r_ = 1 - Fraction(q)
    pmf = binomial_pmf(n, r_)
    others = binomial_pmf(n - 1, r_)
    assert sum(pmf) == 1
    for k in range(1, n + 1):
        r = res[f"k{k}"]
        assert_close(r.availability, sum(pmf[k:]), f"k={k} availability")
        assert_close(r.unavailability, sum(pmf[:k]), f"k={k} unavailability")
        # forced up: k - 1 of the others suffice; forced down: k of them
        up, down = sum(others[k - 1:]), sum(others[k:])
        for i in (0, n - 1):
            assert_close(r.availability_if_up[i], up, f"k={k} up")
            assert_close(r.availability_if_down[i], down, f"k={k} down")
            assert_close(r.unavailability_if_up[i], 1 - up, f"k={k} up (u)")
            assert_close(r.unavailability_if_down[i], 1 - down, f"k={k} down (u)")
        b = others[k - 1]
        assert np.all(np.abs(r.birnbaum - float(b)) <= REL * float(b) + 1e-13), (k, b)


@settings(PROPERTY, max_examples=25)
@given(qs=st.lists(probabilities(), min_size=1, max_size=60), data=st.data())
def test_k_of_n_non_identical_every_k(qs, data):
    """Poisson-binomial DP (rationals) for every k; the conditionals of a
    few components against the DP of the others."""
    n = len(qs)
    xs = components(qs)
    res = ss.exact(ss.Model([ss.k_of_n(k, xs, name=f"k{k}") for k in range(1, n + 1)]))
    rs = [1 - Fraction(q) for q in qs]
    pmf = poisson_binomial_pmf(rs)
    for k in range(1, n + 1):
        r = res[f"k{k}"]
        assert_close(r.availability, sum(pmf[k:]), f"k={k} availability")
        assert_close(r.unavailability, sum(pmf[:k]), f"k={k} unavailability")
    for i in sorted(set(data.draw(st.lists(st.integers(0, n - 1), min_size=1,
                                           max_size=2), label="components"))):
        others = poisson_binomial_pmf(rs[:i] + rs[i + 1:]) if n > 1 else [Fraction(1)]
        for k in range(1, n + 1):
            r = res[f"k{k}"]
            up, down = sum(others[k - 1:]), sum(others[k:])
            assert_close(r.availability_if_up[i], up, f"k={k} x{i} up")
            assert_close(r.availability_if_down[i], down, f"k={k} x{i} down")
            assert_close(r.unavailability_if_up[i], 1 - up, f"k={k} x{i} up (u)")
            assert_close(r.unavailability_if_down[i], 1 - down, f"k={k} x{i} down (u)")


def test_wide_k_of_n_is_native(seed):
    """500-of-1000 over distinct components (C(1000, 500) ~ 1e299 subsets):
    built natively, equal to the Poisson-binomial DP in floats (each entry a
    sum of non-negative terms, relative error ~ n * 1e-16)."""
    rng = np.random.default_rng(seed)
    qs = list(np.exp(rng.uniform(np.log(1e-3), np.log(0.5), 1000)))
    xs = components(qs)
    res = ss.exact(ss.Model([ss.k_of_n(500, xs, name="half"),
                             ss.k_of_n(990, xs, name="most")]))
    pmf = poisson_binomial_pmf([1 - q for q in qs])
    for name, k in (("half", 500), ("most", 990)):
        r = res[name]
        assert_close(r.availability, pmf[k:].sum(), name, rel=1e-10)
        assert_close(r.unavailability, pmf[:k].sum(), name, rel=1e-10)
    r = res["most"]
    for i in (0, 777):
        others = poisson_binomial_pmf([1 - q for j, q in enumerate(qs) if j != i])
        assert_close(r.unavailability_if_up[i], others[:989].sum(), "up", rel=1e-10)
        assert_close(r.unavailability_if_down[i], others[:990].sum(), "down", rel=1e-10)
        assert_close(r.birnbaum[i], others[989], "birnbaum", rel=1e-10)


def test_diagram_larger_than_its_first_tables(seed):
    """3000 redundant pairs, each a private component in parallel with one
    shared component, in series: thousands of diagram nodes, so the node
    store, the unique table and the computed table grow several times
    during the build. Shannon expansion on the shared component gives the
    answer (up: every pair is up; down: every private one must be), and a
    journey built before the growth keeps its root."""
    rng = np.random.default_rng(seed)
    qs = list(np.exp(rng.uniform(np.log(1e-4), np.log(1e-3), 3000)))
    xs = components(qs)
    s = C("s", unavailability=0.25)
    first = ss.series(xs[0], xs[1], name="first")
    pairs = ss.series(*[ss.parallel(x, s) for x in xs], name="pairs")
    res = ss.exact(ss.Model([first, pairs]))
    assert res.bdd_nodes > 3 * len(xs)
    assert_close(res["first"].availability, (1 - qs[0]) * (1 - qs[1]), "first", rel=1e-14)
    all_up = math.prod(1 - q for q in qs)
    r = res["pairs"]
    assert_close(r.availability, 0.75 + 0.25 * all_up, "availability", rel=1e-10)
    assert_close(r.unavailability, 0.25 * (1 - all_up), "unavailability", rel=1e-10)
    i = column(r, "s")
    assert_close(r.availability_if_up[i], 1.0, "s up", rel=1e-14)
    assert_close(r.availability_if_down[i], all_up, "s down", rel=1e-10)
    i = column(r, "x0")
    assert_close(r.availability_if_up[i], 0.75 + 0.25 * all_up / (1 - qs[0]), "x0 up",
                 rel=1e-10)
    assert_close(r.availability_if_down[i], 0.75, "x0 down", rel=1e-14)


# --- numerical care ---------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 10, 60])
def test_series_of_tiny_unavailabilities_keeps_digits(n):
    q = 1e-15
    r = ss.exact(ss.series(*components([q] * n), name="s"))["s"]
    a = (1 - Fraction(q)) ** n
    assert_close(r.unavailability, 1 - a, "unavailability")   # ~ n * 1e-15
    assert_close(r.availability, a, "availability")
    up = (1 - Fraction(q)) ** (n - 1)
    for i in range(n):
        assert_close(r.unavailability_if_up[i], 1 - up, "up")
        assert r.unavailability_if_down[i] == 1.0 and r.availability_if_down[i] == 0.0
        assert_close(r.birnbaum[i], up, "birnbaum")


def test_parallel_of_two_keeps_digits():
    r = ss.exact(ss.parallel(*components([1e-8, 1e-8]), name="p"))["p"]
    assert_close(r.unavailability, Fraction(1e-8) ** 2, "unavailability")   # 1e-16
    assert r.unavailability > 0.0
    assert_close(r.availability, 1 - Fraction(1e-8) ** 2, "availability")
    for i in range(2):
        # forced down, the other one carries the journey: exactly its q
        assert r.unavailability_if_down[i] == 1e-8
        assert r.unavailability_if_up[i] == 0.0 and r.availability_if_up[i] == 1.0
        # Birnbaum importance = q of the other, kept to full precision
        assert_close(r.birnbaum[i], Fraction(1e-8), "birnbaum")


def test_nested_redundancy_keeps_digits():
    """2-of-3 over pairs of 1e-9 components: ~1e-35, with services and a
    shared dependency."""
    q = 1e-9
    pairs = [ss.parallel(*components([q, q], prefix=f"p{i}-")) for i in range(3)]
    lb = C("lb", unavailability=1e-15)
    top = ss.Service("api", availability="0.999999999999", requires=[
        lb, ss.k_of_n(2, pairs)])
    model = ss.Model(top)
    r = ss.exact(model)["api"]
    pair_down = Fraction(q) ** 2
    group_down = 3 * pair_down**2 * (1 - pair_down) + pair_down**3
    own = Fraction(model.components["api"].unavailability)
    a = (1 - own) * (1 - Fraction(1e-15)) * (1 - group_down)
    assert_close(r.unavailability, 1 - a, "unavailability")
    assert_close(r.availability, a, "availability")
    # one member of a pair down: its partner still carries the pair
    i = column(r, "p0-0")
    others_up = (1 - own) * (1 - Fraction(1e-15))
    for forced, pair0_down in (("up", Fraction(0)), ("down", Fraction(q))):
        group = 1 - (pair0_down * 2 * pair_down * (1 - pair_down) + pair_down**2)
        a = others_up * group
        got = r.unavailability_if_up[i] if forced == "up" else r.unavailability_if_down[i]
        assert_close(got, 1 - a, f"p0-0 {forced} (u)")   # both ~1e-12
    i = column(r, "lb")
    assert_close(r.birnbaum[i], (1 - own) * (1 - group_down), "lb birnbaum")


# --- simulate agrees --------------------------------------------------------------


@settings(PROPERTY, max_examples=20)
@given(spec=dags(max_leaves=24, max_gates=14, max_children=6),
       salt=st.integers(0, 2**32 - 1))
def test_simulate_within_error_of_exact(seed, spec, salt):
    """Models larger than the oracle enumerates: Monte Carlo failure counts
    within exact binomial 5-sigma bounds of the exact unavailabilities."""
    model = spec.build()
    exact = ss.exact(model)
    res = checked_simulate(model, 10**5, rng=np.random.SeedSequence([seed, salt]))
    for name, r in res.items():
        assert_consistent(r.failures, r.samples, exact[name].unavailability, what=name)
        if r.exact:   # constant journeys: both engines know it exactly
            assert exact[name].unavailability == r.unavailability


# --- the node budget ------------------------------------------------------------


def test_node_budget_raises_a_clear_error():
    xs = components([0.01] * 1000)
    model = ss.Model(ss.k_of_n(500, xs, name="half"))   # ~250_000 nodes
    with pytest.raises(ss.DiagramTooLargeError) as info:
        ss.exact(model, max_nodes=10_000)
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert "\n" not in message and len(message) < 400, message
    assert "simulate" in message and "max_nodes" in message
    numbers = [int(n.replace("_", "").replace(",", ""))
               for n in re.findall(r"\d[\d_,]*", message)]
    assert err.nodes >= 10_000 and err.nodes in numbers, message


def test_node_budget_is_respected_when_enough():
    xs = components([0.01] * 40)
    pairs = ss.series(*[ss.parallel(xs[i], xs[i + 20]) for i in range(20)], name="j")
    small = ss.exact(pairs, max_nodes=10**6)
    assert 0 < small.bdd_nodes <= 10**6
    with pytest.raises(ss.DiagramTooLargeError):
        ss.exact(pairs, max_nodes=small.bdd_nodes // 4)


def test_node_budget_stops_a_huge_diagram():
    """2500-of-5000 is a symmetric function: about 6 million nodes in any
    variable order. A small budget stops the build early (no hang, no
    memory blow-up)."""
    model = ss.Model(ss.k_of_n(2500, components([0.01] * 5000), name="half"))
    with pytest.raises(ss.DiagramTooLargeError) as info:
        ss.exact(model, max_nodes=50_000)
    assert info.value.nodes <= 50_000 + 5000


def test_node_budget_covers_the_whole_diagram():
    """Journeys over disjoint components share one diagram, and one budget:
    twelve 20-of-40 gates need ~12 * 441 nodes, each well under 2000."""
    gates = [ss.k_of_n(20, components([0.05] * 40, prefix=f"g{g}-"), name=f"j{g}")
             for g in range(12)]
    assert ss.exact(gates[0], max_nodes=2000).bdd_nodes < 2000
    with pytest.raises(ss.DiagramTooLargeError):
        ss.exact(ss.Model(gates), max_nodes=2000)


def test_memory_that_cannot_be_allocated_is_a_memory_error(monkeypatch):
    """A diagram that cannot grow raises MemoryError, not the node-budget
    error (which says to raise max_nodes): here the node store is capped at
    4096 slots, far below the budget."""
    from slosim._core import _bdd

    real = _bdd.Diagram
    monkeypatch.setattr(_bdd, "Diagram",
                        lambda n_vars, max_nodes, capacity=0:
                        real(n_vars, max_nodes, 4096, capacity=capacity))
    model = ss.k_of_n(100, components([0.1] * 200), name="half")   # ~20,000 nodes
    with pytest.raises(MemoryError, match="could not grow past 4096 node slots"):
        ss.exact(model)
    monkeypatch.undo()
    assert ss.exact(model).bdd_nodes > 4096


def _kofn_args(n=60, k=30):
    """The kernel's build arguments of ``k_of_n(k, n components)``."""
    from slosim._core import _bdd
    from slosim.model import lower

    s = lower(ss.k_of_n(k, components([0.1] * n), name="half"))
    return (np.arange(n, dtype=np.int32), np.full(1, _bdd.GATE_KOFN, dtype=np.int32),
            s.gate_k, s.child_ptr, s.child_idx)


def test_the_kernel_tells_budget_from_memory():
    from slosim._core import _bdd

    args = _kofn_args(200, 100)
    with pytest.raises(_bdd.BudgetExceeded) as info:
        _bdd.build(_bdd.Diagram(200, 5000), *args)
    assert info.value.args[:2] == (5000, 200)
    with pytest.raises(MemoryError):
        _bdd.build(_bdd.Diagram(200, 10**6, 8192), *args)
    assert len(_bdd.build(_bdd.Diagram(200, 10**6), *args)) == 201


def test_an_overflowed_build_continues_where_it_stopped():
    """A build past its budget, its budget raised and resumed (again and
    again), gives the diagrams a fresh build gives; a mismatched resume is
    refused."""
    from slosim._core import _bdd
    from slosim.engines._modular import BDD_OP
    from slosim.engines._preprocess import reduce
    from slosim.model import lower

    xs = components([0.02 * (i + 1) for i in range(24)])
    model = ss.series(ss.k_of_n(7, xs[:14], name="a"), ss.k_of_n(6, xs[8:], name="b"),
                      ss.parallel(ss.negate(ss.series(*xs[3:20:2])), xs[0]), name="top")
    R = reduce(lower(model), coalesce=False)
    ops, ks, ptr, idx = R.arrays()
    args = (np.arange(R.n_leaves, dtype=np.int32),
            np.ascontiguousarray(BDD_OP[np.asarray(ops, dtype=np.intp)]),
            np.asarray(ks, dtype=np.int64), np.asarray(ptr, dtype=np.int64),
            np.asarray(idx, dtype=np.int64))
    q = np.linspace(0.01, 0.3, R.n_leaves)
    fresh = _bdd.Diagram(R.n_leaves, 10**6)
    fresh_ids = _bdd.build(fresh, *args)
    want = _bdd.probabilities(fresh, q)[1][fresh_ids]
    d, resume, budget, stops = _bdd.Diagram(R.n_leaves, 40), None, 40, []
    while True:
        try:
            ids = _bdd.build(d, *args, resume=resume)
            break
        except _bdd.BudgetExceeded as exc:
            size, done, ids = exc.args
            stops.append(done)
            resume, budget = (ids, done), budget + 40
            d.budget = budget
    assert len(stops) > 3 and stops == sorted(stops)
    np.testing.assert_allclose(_bdd.probabilities(d, q)[1][ids], want, rtol=1e-13)
    with pytest.raises(ValueError, match="resume must be"):
        _bdd.build(d, *args, resume=(ids[:-1], 3))


def _segmented_graph():
    """Three independent segments over leaves 0-2, 3-5 and 6-7, leaf 6
    standing for segment 0's root (a module's variable): segment 0 is
    2-of-{0, 1, 2}; segment 1 is (3 or 4) and not 5; segment 2 is 6 or 7."""
    from slosim._core import _bdd

    op = np.array([_bdd.GATE_KOFN, _bdd.GATE_PARALLEL, _bdd.GATE_NOT, _bdd.GATE_SERIES,
                   _bdd.GATE_PARALLEL], dtype=np.int32)
    k = np.array([2, 1, 1, 2, 1], dtype=np.int64)
    ptr = np.array([0, 3, 5, 6, 8, 10], dtype=np.int64)
    idx = np.array([0, 1, 2, 3, 4, 5, 9, 10, 6, 7], dtype=np.int64)
    segments = np.array([0, 1, 4, 5], dtype=np.int64)
    return (np.arange(8, dtype=np.int32), op, k, ptr, idx), segments


def _by_enumeration(q, fn):
    """P(fn(x) up) for independent x[i] down with probability q[i]."""
    from itertools import product

    total = 0.0
    for xs in product((0, 1), repeat=len(q)):       # 1: up
        w = np.prod([1 - qi if x else qi for x, qi in zip(xs, q)])
        total += w * fn(xs)
    return total


def test_a_segmented_build_keeps_each_segment_on_its_own():
    """Segments share one diagram and one order, each with a budget of its
    own; a module's variable evaluates as the module's root; an
    overflowing segment is cut out (the diagram truncated back to its
    start) and the build goes on past it."""
    from slosim._core import _bdd

    args, segments = _segmented_graph()
    budgets = np.full(3, 100, dtype=np.int64)
    starts = np.zeros(3, dtype=np.int64)
    d = _bdd.Diagram(8, 10**6)
    ids = _bdd.build(d, *args, segments=segments, budgets=budgets, starts=starts)
    assert starts.tolist() == sorted(starts.tolist()) and starts[0] == 2
    assert d.budget == 10**6
    first_starts = starts.copy()
    q = np.array([0.1, 0.2, 0.3, 0.05, 0.4, 0.25, 0.0, 0.15])
    r = 1.0 - q
    up, down = np.empty(d.nodes), np.empty(d.nodes)
    var_node = np.full(8, -1, dtype=np.int32)
    var_node[6] = ids[8]                     # leaf 6 is segment 0's root
    _bdd.probabilities_between(d, q, r, up, down, 2, d.nodes, var_node)

    def two_of_three(x):
        return x[0] + x[1] + x[2] >= 2

    assert up[ids[8]] == pytest.approx(_by_enumeration(q[:3], two_of_three), rel=1e-14)
    assert up[ids[11]] == pytest.approx(
        _by_enumeration(q[3:6], lambda x: (x[0] or x[1]) and not x[2]), rel=1e-14)
    assert up[ids[12]] == pytest.approx(
        _by_enumeration(np.r_[q[:3], q[7]], lambda x: two_of_three(x) or x[3]), rel=1e-14)
    # segment 1 overflowing: cut out, the rest built the same
    budgets[1] = 3
    d2 = _bdd.Diagram(8, 10**6)
    with pytest.raises(_bdd.BudgetExceeded) as info:
        _bdd.build(d2, *args, segments=segments, budgets=budgets, starts=starts)
    size, done, ids2 = info.value.args
    assert size == starts[1] + 3 and 8 + segments[1] <= done < 8 + segments[2]
    assert d2.budget == 10**6 and ids2[3:6].tolist().count(-1) >= 1
    d2.truncate(int(starts[1]))
    ids2 = _bdd.build(d2, *args, resume=(ids2, 8 + int(segments[2])), segments=segments,
                      budgets=budgets, starts=starts)
    assert starts[2] == starts[1] and ids2[5] == -1        # leaf 5: segment 1's alone
    up2, down2 = np.empty(d2.nodes), np.empty(d2.nodes)
    var_node[6] = ids2[8]
    _bdd.probabilities_between(d2, q, r, up2, down2, 2, d2.nodes, var_node)
    assert up2[ids2[12]] == pytest.approx(up[ids[12]], rel=1e-14)
    # the same nodes but segment 1's
    assert d.nodes - d2.nodes == first_starts[2] - first_starts[1] > 0
    with pytest.raises(ValueError, match="segments must run"):
        _bdd.build(d, *args, segments=segments[:-1], budgets=budgets[:2], starts=starts[:2])


def test_part_conditionals_are_each_roots_own():
    """Each root's variables forced up and down (its block of levels, its
    nodes from its segment's start) give what the diagram gives with the
    variable's probability set to 0 or 1."""
    from slosim._core import _bdd

    args, segments = _segmented_graph()
    starts = np.zeros(3, dtype=np.int64)
    d = _bdd.Diagram(8, 10**6)
    ids = _bdd.build(d, *args, segments=segments, budgets=np.full(3, 100, dtype=np.int64),
                     starts=starts)
    q = np.array([0.1, 0.2, 0.3, 0.05, 0.4, 0.25, 0.0, 0.15])
    var_node = np.full(8, -1, dtype=np.int32)

    def evaluate(q):
        up, down = np.empty(d.nodes), np.empty(d.nodes)
        _bdd.probabilities_between(d, q, 1.0 - q, up, down, 2, d.nodes, var_node)
        return up, down

    up, down = evaluate(q)
    q_eff = q.copy()
    q_eff[6] = down[ids[8]]                  # leaf 6: segment 0's root
    up, down = evaluate(q_eff)
    roots = np.array([ids[8], ids[11], ids[12]], dtype=np.int32)
    blocks = [(0, 3), (3, 6), (6, 8)]
    got = np.stack(_bdd.part_conditionals(
        d, roots, starts, np.array([b[0] for b in blocks]), np.array([b[1] for b in blocks]),
        q_eff, 1.0 - q_eff, up, down))
    for root, (lo, hi) in zip(roots, blocks):
        for v in range(lo, hi):
            for forced, rows in ((0.0, (0, 2)), (1.0, (1, 3))):
                qf = q_eff.copy()
                qf[v] = forced
                u, w = evaluate(qf)
                assert got[rows[0], v] == pytest.approx(u[root], rel=1e-14, abs=1e-300)
                assert got[rows[1], v] == pytest.approx(w[root], rel=1e-14, abs=1e-300)
    with pytest.raises(ValueError, match="neither a terminal"):
        _bdd.part_conditionals(d, roots[:1], starts[1:2], np.array([0]), np.array([3]),
                               q_eff, 1.0 - q_eff, up, down)


# --- results -----------------------------------------------------------------------


def demo_model():
    db = C("db", availability=0.999)
    cache = ss.parallel(C("cache-a", unavailability=1e-3),
                        C("cache-b", unavailability=1e-3), name="cache")
    web = ss.Service("web", availability=0.9995, requires=[db, "cache"])
    api = ss.Service("api", availability=0.9998, requires=[db])
    solid = ss.parallel(C("r1", unavailability=1e-9), C("r2", unavailability=1e-9),
                        name="solid")
    return ss.Model([ss.Journey(web, name="checkout", target=0.998),
                     ss.Journey(api, name="search"), solid], nodes=[cache])


def test_results_mapping():
    model = demo_model()
    res = ss.exact(model)
    assert isinstance(res, ss.ExactResults)
    assert len(res) == 3 and list(res) == ["checkout", "search", "solid"]
    assert "search" in res and "nope" not in res and res.get("nope") is None
    assert dict(res) == res.journeys
    assert all(isinstance(r, ss.ExactResult) for r in res.values())
    assert res.components == tuple(model.components)
    assert type(res.bdd_nodes) is int and res.bdd_nodes > 0
    with pytest.raises(KeyError) as info:
        res["chekout"]
    assert "chekout" in str(info.value)
    for name in res:
        assert name in str(info.value)
    assert res["checkout"].target == 0.998 and res["search"].target is None


def test_result_arrays_are_aligned_and_frozen():
    model = demo_model()
    res = ss.exact(model)
    n = len(model.components)
    for r in res.values():
        assert r.components == tuple(model.components)
        for field in ("availability_if_up", "availability_if_down",
                      "unavailability_if_up", "unavailability_if_down", "birnbaum"):
            a = getattr(r, field)
            assert isinstance(a, np.ndarray) and a.dtype == np.float64
            assert a.shape == (n,), field
        assert isinstance(r.availability, float) and isinstance(r.unavailability, float)
    r = res["search"]
    # aligned: api's own component is first-order in "search", db next
    assert r.birnbaum[column(r, "api")] == pytest.approx(0.999, rel=1e-12)
    assert r.birnbaum[column(r, "db")] == pytest.approx(0.9998, rel=1e-12)
    assert r.birnbaum[column(r, "cache-a")] == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.availability = 1.0
    with pytest.raises(ValueError):
        r.availability_if_up[0] = 0.5


def test_result_repr_is_one_bounded_line():
    res = ss.exact(demo_model())
    for name, r in res.items():
        text = repr(r)
        assert "\n" not in text and len(text) < 200, text
        assert text.startswith(f"ExactResult(journey={name!r}, availability=")
        assert f"components={len(r.components)}" in text
        shown = {k: float(v) for k, v in
                 re.findall(r"\b(availability|unavailability)=([0-9.e+-]+)", text)}
        # both numbers readable to many digits, the tiny one included
        assert shown["availability"] == pytest.approx(r.availability, rel=1e-9)
        assert shown["unavailability"] == pytest.approx(r.unavailability, rel=1e-9)
    assert "target=0.998" in repr(res["checkout"])
    assert "e-18" in repr(res["solid"])   # 1e-18 kept, not printed as 0


def test_results_repr_is_a_short_table():
    res = ss.exact(demo_model())
    lines = repr(res).splitlines()
    assert lines[0].startswith("ExactResults(") and len(lines) == 4
    for name, line in zip(res, lines[1:]):
        assert name in line and len(line) < 120
    many = ss.exact(ss.Model([ss.Journey(C(f"c{i}", unavailability=0.01), name=f"j{i}")
                              for i in range(300)]))
    lines = repr(many).splitlines()
    assert len(lines) <= 15 and all(len(line) < 120 for line in lines)
    assert "290 more" in lines[-1]


def test_to_dict_json_round_trip():
    res = ss.exact(demo_model())
    d = res.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert list(d["journeys"]) == list(res)
    assert d["components"] == list(res.components) and d["bdd_nodes"] == res.bdd_nodes
    for name, r in res.items():
        one = r.to_dict()
        assert json.loads(json.dumps(one, allow_nan=False)) == one
        assert d["journeys"][name] == one
        assert one["journey"] == name and one["target"] == r.target
        assert one["availability"] == r.availability
        assert one["unavailability"] == r.unavailability
        assert one["components"] == list(r.components)
        for field in ("availability_if_up", "availability_if_down",
                      "unavailability_if_up", "unavailability_if_down", "birnbaum"):
            assert one[field] == getattr(r, field).tolist(), field


def test_to_frame():
    pd = pytest.importorskip("pandas")
    res = ss.exact(demo_model())
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.index) == list(res)
    assert frame["availability"].tolist() == [r.availability for r in res.values()]
    assert frame["unavailability"].tolist() == [r.unavailability for r in res.values()]
    r = res["checkout"]
    per = r.to_frame()
    assert list(per.index) == list(r.components)
    for field in ("availability_if_up", "availability_if_down",
                  "unavailability_if_up", "unavailability_if_down", "birnbaum"):
        assert per[field].tolist() == getattr(r, field).tolist()


def test_to_frame_without_pandas(monkeypatch):
    res = ss.exact(demo_model())
    monkeypatch.setitem(sys.modules, "pandas", None)   # import pandas fails
    with pytest.raises(ImportError, match="pandas"):
        res.to_frame()
    with pytest.raises(ImportError, match="pandas"):
        res["search"].to_frame()


def test_node_and_journey_are_wrapped():
    node = ss.parallel(*components([0.1, 0.2]), name="pair")
    from_node = ss.exact(node)
    from_journey = ss.exact(ss.Journey(node, name="j", target=0.95))
    from_model = ss.exact(ss.Model(node))
    assert list(from_node) == ["pair"] and list(from_journey) == ["j"]
    assert from_journey["j"].target == 0.95
    for r in (from_node["pair"], from_journey["j"]):
        assert r.availability == from_model["pair"].availability
        assert r.unavailability == from_model["pair"].unavailability
    assert_close(from_node["pair"].unavailability, Fraction(0.1) * Fraction(0.2), "pair")


def test_deterministic():
    model = demo_model()
    one, two = ss.exact(model), ss.exact(model)
    assert one.to_dict() == two.to_dict()


# --- parameters --------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a", 3, None, [0.1], ss.Model])
def test_bad_model(bad):
    with pytest.raises(TypeError, match=r"^The 'model' parameter of exact must be"):
        ss.exact(bad)


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (-5, ValueError), (1.5, TypeError), ("1000", TypeError),
    (True, TypeError), (None, TypeError), (1e6, TypeError),
])
def test_bad_max_nodes(value, cls):
    with pytest.raises(cls) as info:
        ss.exact(C("a", unavailability=0.1), max_nodes=value)
    msg = str(info.value)
    assert msg.startswith("The 'max_nodes' parameter of exact must be "), msg
    assert msg.endswith(f"Got {value!r} instead."), msg


def test_numpy_int_max_nodes_accepted():
    r = ss.exact(C("a", unavailability=0.1), max_nodes=np.int64(100))["a"]
    assert_close(r.unavailability, Fraction(0.1), "a")


# --- one diagram, many probabilities ----------------------------------------------------


@settings(PROPERTY, max_examples=25)
@given(case=models_with_shocks(), data=st.data())
def test_a_diagram_evaluated_at_other_probabilities_is_exact_there(case, data):
    """ExactDiagram.evaluate(q) gives, to the bit, what exact gives for the
    model with those probabilities (Model.replace builds it)."""
    model = build_with_shocks(*case)
    events = ExactDiagram(model).structure.events
    _same_as_exact_there(model, {e: data.draw(probabilities(), label=e) for e in events})


def test_a_diagram_evaluated_at_certain_failures_is_exact_there():
    """Conditionals that round past 1 by an ulp give the Birnbaum importance
    the results give (clipped alike), not 1 + 2e-16."""
    from strategies import DagSpec

    spec = DagSpec(nodes=tuple(("component", f"c{i}", 0.0) for i in range(7)) + (
        ("gate", "k_of_n", 1, ((0, False), (0, False), (0, False), (2, False), (5, False)),
         "g0"),
        ("gate", "series", 1, ((4, False),), None),
        ("gate", "series", 5, ((0, False), (0, False), (0, False), (3, False), (8, False)),
         None),
        ("gate", "series", 2, ((7, False), (1, False)), None),
        ("gate", "series", 1, ((8, False),), None),
        ("gate", "series", 1, ((9, False),), None),
        ("gate", "parallel", 1, ((6, False), (10, False), (11, False), (12, False)), "top")),
        journeys=((13, "j0"), (13, "j1")))
    model = build_with_shocks(spec, [("s-0", 0.0, ["c0"]), ("s-1", 0.0, ["c0"]),
                                     ("s-2", 0.0, ["c0"])])
    q = dict.fromkeys(ExactDiagram(model).structure.events, 0.0)
    q.update({"c4": 1.0, "c6": 1.0, "s-1": 5.623413251903491e-05, "s-2": 0.1})
    _same_as_exact_there(model, q)


def _same_as_exact_there(model, by_event):
    diagram = ExactDiagram(model)
    s = diagram.structure
    q = np.array([by_event[e] for e in s.events])
    C = s.n_components
    other = model.replace(
        unavailabilities=dict(zip(s.events[:C], q[:C].tolist())),
        probabilities=dict(zip(s.events[C:], q[C:].tolist())))
    want = ss.exact(other)
    got = diagram.evaluate(q)
    for j, name in enumerate(s.journeys):
        r = want[name]
        assert got.availability[j] == r.availability or r.availability == 1.0
        assert got.unavailability[j] == r.unavailability or r.unavailability == 1.0
        np.testing.assert_array_equal(np.clip(got.availability_if_up[j], 0, 1),
                                      r.availability_if_up)
        np.testing.assert_array_equal(np.clip(got.unavailability_if_down[j], 0, 1),
                                      r.unavailability_if_down)
        np.testing.assert_array_equal(got.birnbaum[j], r.birnbaum)
    fast = diagram.evaluate(q, conditionals=False)
    np.testing.assert_array_equal(fast.unavailability, got.unavailability)
    assert fast.availability_if_up is None


def test_a_diagram_refuses_bad_probabilities():
    from slosim.engines import ExactDiagram

    d = ExactDiagram(ss.parallel(C("a", unavailability=0.1), C("b", unavailability=0.2),
                                 name="p"))
    with pytest.raises(ValueError, match=r"'q' parameter of ExactDiagram.evaluate must "
                       r"be an array of 2 probabilities. Got \(3,\)"):
        d.evaluate([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"must hold probabilities in \[0, 1\]. Got "
                       r"q\[1\] = .*nan.* \(event 'b'\)"):
        d.evaluate([0.1, float("nan")])
    with pytest.raises(ValueError, match=r"q\[0\] = .*-0.5.* \(event 'a'\)"):
        d.evaluate([-0.5, 0.1])
    assert d.evaluate([0.0, 1.0]).unavailability.tolist() == [0.0]


def test_a_truncated_diagram_builds_as_if_the_removed_nodes_never_were():
    """Truncating removes the nodes past a size from the unique table and
    the computed table: building on gives node for node what a diagram
    that never had them builds, and a second truncation the same again."""
    from slosim._core import _bdd

    big, small = _kofn_args(60, 30), _kofn_args(40, 13)
    other = (np.arange(20, 60, dtype=np.int32),) + small[1:]    # other variables
    clean = _bdd.Diagram(60, 10**7)
    _bdd.build(clean, *small)
    _bdd.build(clean, *other)
    want = clean.arrays()
    d = _bdd.Diagram(60, 10**7)
    _bdd.build(d, *small)
    size = d.nodes
    for _ in range(2):
        _bdd.build(d, *big)                 # about 900 nodes, many chains
        assert d.nodes > size + 500
        d.truncate(size)
        assert d.nodes == size
        _bdd.build(d, *other)
        for got, expected in zip(d.arrays(), want):
            np.testing.assert_array_equal(got, expected)
        d.truncate(size)
    with pytest.raises(ValueError, match="size must be in"):
        d.truncate(d.nodes + 1)


def test_tables_sized_ahead_change_nothing_that_is_built():
    """A diagram started at a capacity, or grown ahead with ``reserve``
    (also while a build is resumed), builds node for node what one that
    grows as it goes builds; ``reserve`` stays within ``max_slots``."""
    from slosim._core import _bdd

    args = _kofn_args(60, 30)
    plain = _bdd.Diagram(60, 10**6)
    want = _bdd.build(plain, *args)
    for capacity in (0, 1000, 1 << 16):
        d = _bdd.Diagram(60, 10**6, capacity=capacity)
        np.testing.assert_array_equal(_bdd.build(d, *args), want)
        for got, expected in zip(d.arrays(), plain.arrays()):
            np.testing.assert_array_equal(got, expected)
    d = _bdd.Diagram(60, 100)
    with pytest.raises(_bdd.BudgetExceeded) as info:
        _bdd.build(d, *args)
    size, done, ids = info.value.args
    d.budget = 10**6
    d.reserve(1 << 15)
    np.testing.assert_array_equal(_bdd.build(d, *args, resume=(ids, done)), want)
    for got, expected in zip(d.arrays(), plain.arrays()):
        np.testing.assert_array_equal(got, expected)
    small = _bdd.Diagram(200, 10**6, max_slots=4096)
    small.reserve(1 << 20)            # as far as max_slots allows
    with pytest.raises(MemoryError, match="could not grow past 4096 node slots"):
        _bdd.build(small, *_kofn_args(200, 100))        # about 10,000 nodes


def test_a_compacted_diagram_keeps_what_its_roots_reach_and_nothing_else():
    """``compact`` copies the nodes the roots reach, children still before
    parents: the same functions (probabilities at every root equal, node
    for node the reached part in order), a working unique table (building
    a reached function again gives its node) and bad roots refused."""
    from slosim._core import _bdd

    rng = np.random.default_rng(5)
    args = _kofn_args(40, 13)
    d = _bdd.Diagram(40, 10**6)
    ids = _bdd.build(d, *args)
    _bdd.build(d, *_kofn_args(40, 27))        # more nodes, which no root keeps
    roots = np.array([ids[-1], ids[-1], 0, 1], dtype=np.int32)
    c, got = _bdd.compact(d, roots)
    assert c.nodes == 2 + _bdd.reachable(d, roots) < d.nodes
    assert got[0] == got[1] and got[2:].tolist() == [0, 1]
    var, lo, hi = c.arrays()
    assert np.all(lo[2:] < np.arange(2, c.nodes)) and np.all(hi[2:] < np.arange(2, c.nodes))
    q = rng.uniform(0.01, 0.99, 40)
    want_up, want_down = _bdd.probabilities(d, q)
    up, down = _bdd.probabilities(c, q)
    np.testing.assert_allclose(up[got], want_up[roots], rtol=1e-13)
    np.testing.assert_allclose(down[got], want_down[roots], rtol=1e-13)
    size = c.nodes
    again = _bdd.build(c, *args)       # the root is found, not made again
    assert again[-1] == got[0] and _bdd.reachable(c, again[-1:]) == size - 2
    with pytest.raises(ValueError, match="root .* is not a node"):
        _bdd.compact(d, np.array([d.nodes], dtype=np.int32))


def test_freed_diagram_storage_is_reused_within_its_limit():
    """Storage of dropped diagrams is kept for the next ones up to the
    pool's limit (0 keeps none) and never changes what is built, in one
    thread or in several at once."""
    import threading

    from slosim._core import _bdd

    args = _kofn_args(200, 100)                 # about 10,000 nodes
    held, limit = _bdd.memory_pool()
    try:
        assert 0 <= held <= limit
        assert _bdd.memory_pool(0) == (0, 0)
        d = _bdd.Diagram(200, 10**6)
        _bdd.build(d, *args)
        want = d.arrays()
        del d
        assert _bdd.memory_pool() == (0, 0)
        _bdd.memory_pool(1 << 24)
        d = _bdd.Diagram(200, 10**6)
        _bdd.build(d, *args)
        del d
        kept = _bdd.memory_pool()[0]
        assert 0 < kept <= 1 << 24
        _bdd.memory_pool(kept // 2)            # the oldest blocks go back
        assert _bdd.memory_pool()[0] <= kept // 2
        _bdd.memory_pool(1 << 24)
        got = [None] * 8

        def run(i):
            for _ in range(3):
                d = _bdd.Diagram(200, 10**6)
                _bdd.build(d, *args)
                got[i] = d.arrays()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(got))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for arrays in got:
            for a, b in zip(arrays, want):
                np.testing.assert_array_equal(a, b)
        assert _bdd.memory_pool()[0] <= 1 << 24
        with pytest.raises(ValueError, match="limit must be >= 0"):
            _bdd.memory_pool(-1)
    finally:
        _bdd.memory_pool(limit)
