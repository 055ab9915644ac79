"""The model's math as properties (hypothesis).

Each property is stated twice: exactly, on the enumeration oracle with
rational arithmetic (``Fraction`` of the float unavailabilities), and
statistically, on :func:`slosim.simulate` against the closed form within
5-sigma exact binomial bounds. Identities that hold sample by sample (all
journeys of a model share their samples) are checked on the counts exactly.
"""

from fractions import Fraction
import math

from hypothesis import HealthCheck, assume, given, settings, strategies as st
import numpy as np
from scipy import stats

import slosim as ss

from oracle import (
    assert_consistent,
    availability as exact_availability,
    checked_simulate,
    poisson_binomial_pmf,
    unavailability as exact_unavailability,
)
from strategies import dags, open_probabilities, probabilities

C = ss.Component
SAMPLES = 10**5

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

salts = st.integers(0, 2**32 - 1)


def rng_for(seed, salt):
    return np.random.SeedSequence([seed, salt])


def components(qs, prefix="x"):
    return [C(f"{prefix}{i}", unavailability=q) for i, q in enumerate(qs)]


def series_unavailability(qs):
    """1 - prod(1 - q), without cancellation for small q."""
    if any(q == 1.0 for q in qs):
        return 1.0
    return -math.expm1(math.fsum(math.log1p(-q) for q in qs))


def ratio(qs):
    return [Fraction(q) for q in qs]


# --- series and parallel ------------------------------------------------------


@PROPERTY
@given(qs=st.lists(probabilities(), min_size=1, max_size=12), salt=salts)
def test_series_is_product_of_availabilities(seed, qs, salt):
    model = ss.Model(ss.series(*components(qs), name="s"))
    assert exact_availability(model, exact=True)["s"] == math.prod(1 - q for q in ratio(qs))
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    assert_consistent(res["s"].failures, SAMPLES, series_unavailability(qs))


@PROPERTY
@given(qs=st.lists(probabilities(), min_size=1, max_size=12), salt=salts)
def test_parallel_is_complement_of_product_of_unavailabilities(seed, qs, salt):
    model = ss.Model(ss.parallel(*components(qs), name="p"))
    assert exact_unavailability(model, exact=True)["p"] == math.prod(ratio(qs))
    assert exact_availability(model, exact=True)["p"] == 1 - math.prod(ratio(qs))
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    assert_consistent(res["p"].failures, SAMPLES, math.prod(qs))


@PROPERTY
@given(q=probabilities(), deps=st.lists(probabilities(), max_size=6), salt=salts)
def test_service_is_series_of_itself_and_its_requirements(seed, q, deps, salt):
    svc = ss.Service("svc", unavailability=q, requires=components(deps))
    model = ss.Model(svc)
    assert exact_availability(model, exact=True)["svc"] == \
        math.prod(1 - r for r in ratio([q, *deps]))
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    assert_consistent(res["svc"].failures, SAMPLES, series_unavailability([q, *deps]))


# --- k-of-n -----------------------------------------------------------------------


@st.composite
def k_and_n(draw, max_n):
    n = draw(st.integers(1, max_n))
    return draw(st.integers(1, n)), n


def binomial_tail(k, n, r):
    """P(at least k of n successes), each with probability r (exact)."""
    return sum(math.comb(n, j) * r**j * (1 - r)**(n - j) for j in range(k, n + 1))


@PROPERTY
@given(kn=k_and_n(12), q=probabilities(), salt=salts)
def test_k_of_n_identical_is_binomial_tail(seed, kn, q, salt):
    k, n = kn
    model = ss.Model(ss.k_of_n(k, components([q] * n), name="k"))
    up = exact_availability(model, exact=True)["k"]
    assert up == binomial_tail(k, n, 1 - Fraction(q))
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    # down when fewer than k are up
    assert_consistent(res["k"].failures, SAMPLES, stats.binom.cdf(k - 1, n, 1 - q))


@PROPERTY
@given(qs=st.lists(probabilities(), min_size=1, max_size=12), data=st.data())
def test_k_of_n_is_poisson_binomial_tail_exactly(qs, data):
    """Non-identical probabilities: the oracle equals the Poisson-binomial
    tail computed by the independent recurrence, as exact rationals."""
    n = len(qs)
    k = data.draw(st.integers(1, n), label="k")
    model = ss.Model(ss.k_of_n(k, components(qs), name="k"))
    pmf = poisson_binomial_pmf([1 - q for q in ratio(qs)])
    assert sum(pmf) == 1
    assert exact_availability(model, exact=True)["k"] == sum(pmf[k:])
    assert exact_unavailability(model, exact=True)["k"] == sum(pmf[:k])


@PROPERTY
@given(qs=st.lists(open_probabilities(), min_size=2, max_size=48), data=st.data(),
       salt=salts)
def test_k_of_n_simulated_matches_poisson_binomial(seed, qs, data, salt):
    """Wider gates than the oracle can enumerate, every threshold (so every
    evaluation strategy of the kernel), against the recurrence in floats."""
    n = len(qs)
    k = data.draw(st.integers(1, n), label="k")
    model = ss.Model(ss.k_of_n(k, components(qs), name="k"))
    u = float(poisson_binomial_pmf([1 - q for q in qs])[:k].sum())
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    assert_consistent(res["k"].failures, SAMPLES, min(max(u, 0.0), 1.0))


@PROPERTY
@given(qs=st.lists(open_probabilities(), min_size=2, max_size=10), salt=salts)
def test_k_of_n_extremes_are_parallel_and_series(seed, qs, salt):
    xs = components(qs)
    n = len(xs)
    model = ss.Model([ss.k_of_n(1, xs, name="k1"), ss.parallel(*xs, name="par"),
                      ss.k_of_n(n, xs, name="kn"), ss.series(*xs, name="ser")])
    exact = exact_unavailability(model, exact=True)
    assert exact["k1"] == exact["par"] and exact["kn"] == exact["ser"]
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    assert res["k1"].failures == res["par"].failures
    assert res["kn"].failures == res["ser"].failures


# --- monotonicity ------------------------------------------------------------------


@PROPERTY
@given(spec=dags(max_leaves=10), data=st.data(), salt=salts)
def test_monotone_in_every_component(seed, spec, data, salt):
    """Raising one component's availability never lowers any journey's."""
    name = data.draw(st.sampled_from(spec.leaf_names), label="component")
    q = spec.leaf_q()[name]
    assume(q > 0)
    better = data.draw(st.one_of(st.just(0.0), st.floats(0.0, q)), label="new q")
    before = exact_availability(spec.build(), exact=True)
    model = spec.build({name: better})
    after = exact_availability(model, exact=True)
    for j in before:
        assert after[j] >= before[j], (j, name, q, better)
    approx = exact_unavailability(model)
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    for j, r in res.items():
        assert_consistent(r.failures, r.samples, approx[j], what=j)


@PROPERTY
@given(spec=dags(max_leaves=10), data=st.data())
def test_monotone_exactly_linear_in_each_component(spec, data):
    """Availability is affine in each component's q with a non-positive
    slope: A(q) = A(0) - q * (A(0) - A(1))."""
    name = data.draw(st.sampled_from(spec.leaf_names), label="component")
    q = spec.leaf_q()[name]
    at = {v: exact_availability(spec.build({name: v}), exact=True) for v in (0.0, 1.0)}
    now = exact_availability(spec.build(), exact=True)
    for j in now:
        assert at[0.0][j] >= at[1.0][j]
        assert now[j] == at[0.0][j] - Fraction(q) * (at[0.0][j] - at[1.0][j])


# --- shared dependencies versus independent copies ------------------------------


@PROPERTY
@given(spec=dags(max_leaves=7, max_journeys=1), salt=salts)
def test_shared_node_versus_independent_copy(seed, spec, salt):
    """parallel(x, x) and series(x, x) are x; with an independent copy x',
    parallel(x, x') has unavailability u**2 and series(x, x') 1 - (1 - u)**2."""
    one, copy = spec.instantiate(), spec.instantiate(prefix="copy-")
    x, x2 = one.journeys[0].node, copy.journeys[0].node
    named, named2 = one.named, copy.named
    model = ss.Model([
        ss.Journey(x, name="x"),
        ss.Journey(ss.parallel(x, x), name="par-shared"),
        ss.Journey(ss.series(x, x), name="ser-shared"),
        ss.Journey(ss.k_of_n(2, [x, x, x2]), name="2of3-shared"),
        ss.Journey(ss.parallel(x, x2), name="par-copy"),
        ss.Journey(ss.series(x, x2), name="ser-copy"),
    ], nodes=named + named2)
    exact = exact_unavailability(model, exact=True)
    u = exact["x"]
    assert exact["par-shared"] == exact["ser-shared"] == exact["2of3-shared"] == u
    assert exact["par-copy"] == u**2
    assert exact["ser-copy"] == 1 - (1 - u) ** 2
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    f = {name: r.failures for name, r in res.items()}
    # the shared forms are x itself, sample by sample
    assert f["par-shared"] == f["ser-shared"] == f["2of3-shared"] == f["x"]
    uf = float(u)
    assert_consistent(f["par-copy"], SAMPLES, uf * uf, what="par-copy")
    assert_consistent(f["ser-copy"], SAMPLES, uf + uf - uf * uf, what="ser-copy")


@PROPERTY
@given(spec=dags(max_leaves=8), data=st.data(), salt=salts)
def test_journeys_share_samples(seed, spec, data, salt):
    """For any two nodes a, b of one model, sample by sample:
    down(series(a, b)) = down(a) or down(b), down(parallel(a, b)) = both,
    so the counts satisfy inclusion-exclusion exactly."""
    built = spec.instantiate()
    a = built.journeys[0].node
    # a second node: any other node of the same DAG (so possibly correlated)
    others = [o for o in built.nodes if o is not a]
    assume(others)
    b = data.draw(st.sampled_from(others), label="b")
    named = built.named
    model = ss.Model([
        ss.Journey(a, name="a"), ss.Journey(b, name="b"),
        ss.Journey(ss.series(a, b), name="a-or-b down"),
        ss.Journey(ss.parallel(a, b), name="a-and-b down"),
    ], nodes=named)
    res = checked_simulate(model, SAMPLES, rng=rng_for(seed, salt))
    f = {name: r.failures for name, r in res.items()}
    assert f["a-or-b down"] + f["a-and-b down"] == f["a"] + f["b"]
    assert f["a-and-b down"] <= min(f["a"], f["b"])
    assert f["a-or-b down"] >= max(f["a"], f["b"])
    approx = exact_unavailability(model)
    for name, r in res.items():
        assert_consistent(r.failures, SAMPLES, approx[name], what=name)
