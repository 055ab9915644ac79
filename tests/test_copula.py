"""Gaussian copulas: validation, exact (one factor) and simulate (both forms).

References, independent of slosim's code:

* two members: ``P(both down)`` is the bivariate normal distribution
  function at ``(Phi^-1(q1), Phi^-1(q2))`` (scipy's ``multivariate_normal``);
* any model with a one-factor copula: given the factor ``F`` the members
  are independent with ``q_i(F) = Phi((Phi^-1(q_i) - l_i F) / sqrt(1 -
  l_i**2))``; the brute-force oracle (tests/oracle.py) enumerates the
  states at each ``F`` of a fixed composite Gauss-Legendre rule.
"""

import warnings

from hypothesis import HealthCheck, assume, given, settings, strategies as st
import numpy as np
import pytest
from scipy.special import ndtr, ndtri
from scipy.stats import multivariate_normal

import slosim as ss

from oracle import assert_consistent, journey_states
from strategies import dags

C = ss.Component


def bivariate(q1, q2, rho):
    """P(Z1 < Phi^-1(q1), Z2 < Phi^-1(q2)), corr(Z1, Z2) = rho."""
    if rho == 1.0:
        return min(q1, q2)
    if rho == -1.0:
        return max(0.0, q1 + q2 - 1.0)
    return float(multivariate_normal.cdf(
        [ndtri(q1), ndtri(q2)], mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]],
        abseps=1e-15, releps=1e-10))


def pair_loadings(rho):
    """Loadings of a one-factor pair with correlation rho."""
    a = np.sqrt(abs(rho))
    return [a, a if rho >= 0 else -a]


def pair_model(q1, q2, *, rho=None, loadings=None, matrix=False):
    a, b = C("a", unavailability=q1), C("b", unavailability=q2)
    if matrix:
        cop = ss.GaussianCopula("ab", [a, b], correlation=[[1, rho], [rho, 1]])
    else:
        cop = ss.GaussianCopula("ab", [a, b], loadings=loadings or pair_loadings(rho))
    return ss.Model([ss.parallel(a, b, name="both"), ss.series(a, b, name="either"),
                     ss.Journey(a, name="a"), ss.Journey(b, name="b")],
                    copulas=[cop])


def factor_reference(model, loadings_by_name, panel=0.05, order=20):
    """Journey unavailabilities of a model with one factor, by composite
    Gauss-Legendre over F in [-38.5, 38.5] (beyond, the density underflows)
    of the oracle at q(F)."""
    q, states = journey_states(model)
    names = [n for n in _oracle_leaves(model)]
    idx = [names.index(n) for n in loadings_by_name if n in names]
    t = ndtri(np.array([q[i] for i in idx]))
    l = np.array([loadings_by_name[names[i]] for i in idx])
    s = np.sqrt(np.maximum(0.0, 1 - l * l))
    cuts = set(np.arange(-38.5, 38.5 + panel / 2, panel).round(12).tolist())
    cuts |= {c for c in (t[l != 0] / l[l != 0]).tolist() if -38.5 < c < 38.5}
    cuts = np.array(sorted(cuts))
    x, w = np.polynomial.legendre.leggauss(order)
    half = np.diff(cuts)[:, None] / 2
    f = ((cuts[:-1, None] + cuts[1:, None]) / 2 + half * x).ravel()
    wf = (half * w).ravel() * np.exp(-f * f / 2) / np.sqrt(2 * np.pi)
    qf = np.tile(np.asarray(q, dtype=float), (len(f), 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = t[None, :] - l[None, :] * f[:, None]
        qf[:, idx] = np.where(s > 0, ndtr(z / np.where(s > 0, s, 1)),
                              (z > 0).astype(float))
    n = len(q)
    bits = (np.arange(1 << n)[None, :] >> np.arange(n)[:, None]) & 1
    logw = np.zeros((len(f), 1 << n))
    for i in range(n):
        with np.errstate(divide="ignore"):
            logw += np.where(bits[i], np.log(qf[:, i:i + 1]), np.log1p(-qf[:, i:i + 1]))
    w_states = np.exp(logw)
    return {j: float(wf @ w_states[:, mask].sum(axis=1)) for j, mask in states.items()}


def _oracle_leaves(model):
    from oracle import random_components

    return list(random_components(model))


# --- the copula object ---------------------------------------------------------


def test_loadings_give_the_correlation_matrix():
    cop = ss.GaussianCopula("c", ["a", "b", "c"], loadings=[0.5, -0.8, 1.0])
    assert cop.one_factor
    np.testing.assert_array_equal(cop.correlation, [[1, -0.4, 0.5], [-0.4, 1, -0.8],
                                                    [0.5, -0.8, 1]])
    assert not cop.correlation.flags.writeable
    assert cop.loadings.tolist() == [0.5, -0.8, 1.0]
    assert repr(cop) == "GaussianCopula('c', ['a', 'b', 'c'], loadings=[0.5, -0.8, 1])"
    m = ss.GaussianCopula("m", ["a", "b", "c"], correlation=GENERAL)
    assert not m.one_factor and m.loadings is None
    assert repr(m) == "GaussianCopula('m', ['a', 'b', 'c'], correlation=<matrix>)"


#: A correlation matrix that has no one-factor form.
GENERAL = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.5], [0.2, 0.5, 1.0]])


@pytest.mark.parametrize("loadings", [[0.5, 0.5, 0.5, 0.5], [0.9, -0.5, 0.3, 0.0, 1.0],
                                      [0.0, 0.0, 0.0], [1.0, 1.0, -1.0], [0.3, -0.8]])
def test_one_factor_matrices_are_recognised(loadings):
    l = np.array(loadings)
    r = np.outer(l, l)
    np.fill_diagonal(r, 1.0)
    cop = ss.GaussianCopula("c", [f"m{i}" for i in range(len(l))], correlation=r)
    assert cop.one_factor
    found = np.outer(cop.loadings, cop.loadings)
    np.fill_diagonal(found, 1.0)
    np.testing.assert_allclose(found, r, atol=1e-12)
    if len(l) > 2 and np.count_nonzero(l) == len(l):
        # with three or more members the loadings are unique up to sign
        sign = 1.0 if np.dot(cop.loadings, l) >= 0 else -1.0
        np.testing.assert_allclose(sign * cop.loadings, l, atol=1e-9)
    np.testing.assert_array_equal(cop.correlation, r)
    assert "one-factor matrix" in repr(cop)


@pytest.mark.parametrize("r", [GENERAL, np.array([[1, -0.4, -0.4], [-0.4, 1, -0.4],
                                                   [-0.4, -0.4, 1]])])
def test_other_matrices_are_not_one_factor(r):
    assert not ss.GaussianCopula("c", ["a", "b", "c"], correlation=r).one_factor


@pytest.mark.parametrize("kwargs, match", [
    (dict(members=["a"], loadings=[0.5]), "1 member"),
    (dict(members=["a", "a"], loadings=[0.5, 0.5]), "'a' is given twice"),
    (dict(members=["a", 3], loadings=[0.5, 0.5]), "member 1 must be"),
    (dict(members=["a", "b"]), "exactly one of"),
    (dict(members=["a", "b"], loadings=[0.5, 0.5], correlation=np.eye(2)), "exactly one of"),
    (dict(members=["a", "b"], loadings=[0.5]), r"shape \(2,\)"),
    (dict(members=["a", "b"], loadings=0.5), "must be an array"),
    (dict(members=["a", "b"], loadings=[0.5, np.nan]), r"loadings\[1\] is nan"),
    (dict(members=["a", "b"], loadings=[0.5, 1.2]), r"loadings\[1\] = 1.2 \(member 'b'\)"),
    (dict(members=["a", "b"], correlation=[[1, 0.5]]), r"shape \(2, 2\)"),
    (dict(members=["a", "b"], correlation=[[1, 0.5], [0.4, 1]]), "symmetric"),
    (dict(members=["a", "b"], correlation=[[0.9, 0.5], [0.5, 1]]),
     r"correlation\[0, 0\] is 0.9"),
    (dict(members=["a", "b"], correlation=[[1, 1.5], [1.5, 1]]), "outside"),
    (dict(members=["a", "b", "c"],
          correlation=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]),
     "not positive semidefinite"),
    (dict(members=["a", "b"], correlation=[["x", 0], [0, 1]]), "real numbers"),
])
def test_copula_validation(kwargs, match):
    with pytest.raises(ss.ModelError, match=match) as info:
        ss.GaussianCopula("cop", **kwargs)
    assert "copula 'cop'" in str(info.value)


def test_semidefinite_matrices_are_accepted():
    # rank one: every pair perfectly correlated
    cop = ss.GaussianCopula("c", ["a", "b", "c"], correlation=np.ones((3, 3)))
    assert cop.correlation.shape == (3, 3)


def test_model_copula_validation():
    a, b, c = C("a", unavailability=0.1), C("b", unavailability=0.1), C("c", unavailability=0.1)
    top = ss.parallel(a, b, name="top")
    with pytest.raises(ss.UnknownNodeError, match="copula 'x': member 'c' is not used"):
        ss.Model(top, copulas=[ss.GaussianCopula("x", [a, c], loadings=[0.5, 0.5])])
    with pytest.raises(ss.UnknownNodeError, match="refers to 'zz'"):
        ss.Model(top, copulas=[ss.GaussianCopula("x", [a, "zz"], loadings=[0.5, 0.5])])
    with pytest.raises(ss.ModelError, match="'a' is in copula 'x' and in copula 'y'"):
        ss.Model(top, copulas=[ss.GaussianCopula("x", [a, b], loadings=[0.5, 0.5]),
                               ss.GaussianCopula("y", ["a", "b"], loadings=[0.5, 0.5])])
    with pytest.raises(ss.DuplicateNameError, match="copula 'x' is given twice"):
        ss.Model(ss.parallel(a, b, c, name="t"), copulas=[
            ss.GaussianCopula("x", [a, b], loadings=[0.5, 0.5]),
            ss.GaussianCopula("x", [c, "t"], loadings=[0.5, 0.5])])
    with pytest.raises(ss.ModelError, match=r"copulas\[0\] must be a GaussianCopula"):
        ss.Model(top, copulas=[ss.Shock("s", 0.1, members=[a])])
    m = ss.Model(top, copulas=ss.GaussianCopula("x", ["a", "b"], loadings=[0.5, 0.5]))
    assert list(m.copulas) == ["x"]


# --- exact ---------------------------------------------------------------------

PAIR_Q = st.sampled_from([1e-9, 1e-6, 1e-4, 1e-3, 0.01, 0.2, 0.5, 0.9, 0.999])
RHO = st.one_of(st.sampled_from([-1.0, -0.5, 0.0, 0.3, 0.81, 0.99, 1.0]),
                st.floats(-0.95, 0.95))


@settings(max_examples=60, deadline=None)
@given(PAIR_Q, PAIR_Q, RHO)
def test_exact_pair_is_the_bivariate_normal(q1, q2, rho):
    model = pair_model(q1, q2, rho=rho)
    r = ss.exact(model)
    both = bivariate(q1, q2, rho)
    # scipy's bivariate CDF is good to about 1e-9 relative, 1e-15 absolute
    assert r["both"].unavailability == pytest.approx(both, rel=1e-6, abs=1e-15)
    assert r["either"].unavailability == pytest.approx(q1 + q2 - both, rel=1e-6)
    ref = factor_reference(model, dict(zip("ab", pair_loadings(rho))))
    for name, q in ref.items():
        assert r[name].unavailability == pytest.approx(q, rel=1e-8, abs=1e-300)
    assert r["a"].unavailability == pytest.approx(q1, rel=1e-10)  # marginals kept
    assert r["b"].unavailability == pytest.approx(q2, rel=1e-10)
    for j in r.values():
        assert j.availability + j.unavailability == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("q1, q2", [(1e-3, 1e-3), (1e-6, 1e-4), (0.05, 0.3), (0.9, 0.2)])
def test_raising_rho_lowers_parallel_and_raises_series_availability(q1, q2):
    rhos = [-1.0, -0.9, -0.5, -0.1, 0.0, 0.2, 0.5, 0.8, 0.95, 1.0]
    res = [ss.exact(pair_model(q1, q2, rho=r)) for r in rhos]
    # unavailabilities keep their digits; availabilities agree to rounding
    par = [r["both"].unavailability for r in res]
    ser = [r["either"].unavailability for r in res]
    assert all(x <= y * (1 + 1e-12) for x, y in zip(par, par[1:]))
    assert all(x >= y * (1 - 1e-12) for x, y in zip(ser, ser[1:]))
    assert par[0] < par[-1] and ser[0] > ser[-1]
    for r in res:
        assert r["both"].availability == pytest.approx(1 - r["both"].unavailability,
                                                       abs=1e-15)


def test_independent_loadings_and_comonotone_pairs():
    q1, q2 = 1e-3, 5e-3
    r0 = ss.exact(pair_model(q1, q2, loadings=[0.0, 0.9]))["both"]
    assert r0.unavailability == pytest.approx(q1 * q2, rel=1e-14)
    r1 = ss.exact(pair_model(q1, q2, loadings=[1.0, 1.0]))["both"]
    assert r1.unavailability == pytest.approx(min(q1, q2), rel=1e-10)
    rm = ss.exact(pair_model(0.4, 0.7, loadings=[1.0, -1.0]))["both"]
    assert rm.unavailability == pytest.approx(0.1, rel=1e-10)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dags(max_leaves=7, max_journeys=2), st.data())
def test_exact_equals_factor_reference_on_random_dags(spec, data):
    names = spec.leaf_names
    assume(len(names) >= 2)
    members = data.draw(st.lists(st.sampled_from(names), min_size=2,
                                 max_size=min(4, len(names)), unique=True))
    loads = data.draw(st.lists(st.sampled_from([-1.0, -0.6, 0.0, 0.3, 0.8, 0.97, 1.0]),
                               min_size=len(members), max_size=len(members)))
    built = spec.instantiate()
    by_name = {n.name: n for n in built.nodes if n.name is not None}
    model = ss.Model(built.journeys, nodes=built.named, copulas=[
        ss.GaussianCopula("f", [by_name[m] for m in members], loadings=loads)])
    ref = factor_reference(model, dict(zip(members, loads)))
    res = ss.exact(model)
    for name, q in ref.items():
        assert res[name].unavailability == pytest.approx(q, rel=1e-7, abs=1e-300)
        assert res[name].availability == pytest.approx(1 - q, rel=1e-7, abs=1e-12)


def test_exact_conditionals_force_a_member():
    """R(i up) and R(i down) force member i and keep the others' law."""
    q1, q2, rho = 1e-3, 2e-3, 0.6
    model = pair_model(q1, q2, rho=rho)
    r = ss.exact(model)["both"]
    i, k = r.components.index("a"), r.components.index("b")
    assert r.availability_if_up[i] == 1.0
    assert r.availability_if_down[i] == pytest.approx(1 - q2, rel=1e-12)
    assert r.birnbaum[k] == pytest.approx(q1, rel=1e-10)
    # a component outside the copula keeps the multilinearity identity
    c = C("c", unavailability=0.01)
    a, b = C("a", unavailability=q1), C("b", unavailability=q2)
    m2 = ss.Model(ss.series(ss.parallel(a, b), c, name="j"),
                  copulas=[ss.GaussianCopula("ab", [a, b], loadings=pair_loadings(rho))])
    r2 = ss.exact(m2)["j"]
    ic = r2.components.index("c")
    assert r2.availability == pytest.approx(
        0.99 * r2.availability_if_up[ic] + 0.01 * r2.availability_if_down[ic], rel=1e-12)


def test_exact_refuses_what_it_cannot_integrate():
    a, b, c, d = (C(n, unavailability=0.01) for n in "abcd")
    top = ss.parallel(a, b, c, d, name="top")
    matrix = ss.GaussianCopula("m", [a, b, c], correlation=GENERAL)
    with pytest.raises(ss.ExactUnsupportedError, match="'m' has a general correlation"
                       ".*slosim.simulate"):
        ss.exact(ss.Model(top, copulas=[matrix]))
    exchangeable = ss.GaussianCopula("e", [a, b, c, d], correlation=np.full((4, 4), 0.3)
                                     + 0.7 * np.eye(4))
    by_loadings = ss.GaussianCopula("e", [a, b, c, d], loadings=[0.3**0.5] * 4)
    assert ss.exact(ss.Model(top, copulas=[exchangeable]))["top"].unavailability == \
        pytest.approx(ss.exact(ss.Model(top, copulas=[by_loadings]))["top"].unavailability,
                      rel=1e-12)
    two = [ss.GaussianCopula("x", [a, b], loadings=[0.5, 0.5]),
           ss.GaussianCopula("y", [c, d], loadings=[0.5, 0.5])]
    with pytest.raises(ss.ExactUnsupportedError, match="'x', 'y' each have their own"):
        ss.exact(ss.Model(top, copulas=two))
    # a copula whose members do not vary is no factor at all
    e, f = C("e", unavailability=0.0), C("f", unavailability=1.0)
    fine = ss.Model(ss.parallel(a, e, f, b, name="t"), copulas=[
        ss.GaussianCopula("x", [e, f], loadings=[0.9, 0.9]),
        ss.GaussianCopula("y", [a, b], loadings=[0.5, 0.5])])
    assert ss.exact(fine)["t"].unavailability == 0.0


def test_an_integral_that_does_not_converge_is_a_convergence_error(monkeypatch):
    """Not an ExactUnsupportedError: the model is supported, the numbers
    did not reach their tolerance (here: one no double can meet, within
    a hundred panels)."""
    from slosim.engines import _quadrature

    a, b = C("a", unavailability=1e-3), C("b", unavailability=2e-3)
    model = ss.Model(ss.parallel(a, b, name="ab"), copulas=[
        ss.GaussianCopula("day", [a, b], loadings=[0.9, 0.8])])
    monkeypatch.setattr(_quadrature, "_MAX_PANELS", 100)
    monkeypatch.setattr(_quadrature, "_RTOL", 1e-30)
    with pytest.raises(ss.ConvergenceError, match="did not converge to a relative "
                       "error of 1e-30 in 100 panels .*slosim.simulate") as info:
        ss.exact(model)
    assert isinstance(info.value, ArithmeticError)
    assert not isinstance(info.value, ss.ExactUnsupportedError)
    monkeypatch.undo()
    assert ss.exact(model)["ab"].unavailability > 2e-6


def test_exact_with_shocks_and_copula():
    """Shocks act on top of the copula: condition on the shock by hand."""
    q1, q2, rho, p = 1e-3, 1e-3, 0.5, 1e-4
    a, b = C("a", unavailability=q1), C("b", unavailability=q2)
    model = ss.Model(ss.parallel(a, b, name="pair"),
                     shocks=[ss.Shock("zone", p, members=[a, b])],
                     copulas=[ss.GaussianCopula("c", [a, b], loadings=pair_loadings(rho))])
    expect = p + (1 - p) * bivariate(q1, q2, rho)
    assert ss.exact(model)["pair"].unavailability == pytest.approx(expect, rel=1e-6)


# --- simulate ------------------------------------------------------------------


def _simulate(model, n, seed, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.FewFailuresWarning)
        return ss.simulate(model, n, rng=seed, **kw)


@pytest.mark.parametrize("matrix", [False, True])
@pytest.mark.parametrize("q1, q2, rho", [(1e-3, 2e-3, 0.5), (0.3, 0.6, -0.7),
                                         (0.01, 0.05, 1.0), (1e-4, 0.97, 0.9)])
def test_simulate_pair_within_error_of_bivariate(seed, matrix, q1, q2, rho):
    n = 2 * 10**6 if matrix else 10**7
    model = pair_model(q1, q2, rho=rho, matrix=matrix)
    res = _simulate(model, n, seed)
    both = bivariate(q1, q2, rho)
    for name, q in [("both", both), ("either", q1 + q2 - both), ("a", q1), ("b", q2)]:
        assert_consistent(res[name].failures, res[name].samples, q, what=name)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dags(max_leaves=7, max_journeys=2), st.data(), st.integers(0, 2**32 - 1),
       st.sampled_from([1000, 70_001, 300_000]))
def test_simulate_within_error_of_exact_on_random_dags(spec, data, draw_seed, n):
    """Both forms against exact of the one-factor form (a matrix of the
    form outer(l, l) is the same copula); n covers partial blocks."""
    names = spec.leaf_names
    assume(len(names) >= 2)
    members = data.draw(st.lists(st.sampled_from(names), min_size=2,
                                 max_size=min(4, len(names)), unique=True))
    loads = np.array(data.draw(st.lists(
        st.sampled_from([-1.0, -0.6, 0.0, 0.3, 0.8, 0.97, 1.0]),
        min_size=len(members), max_size=len(members))))
    matrix = data.draw(st.booleans())
    built = spec.instantiate()
    by_name = {n.name: n for n in built.nodes if n.name is not None}
    nodes = [by_name[m] for m in members]
    exact = ss.exact(ss.Model(built.journeys, nodes=built.named, copulas=[
        ss.GaussianCopula("f", nodes, loadings=loads)]))
    if matrix:
        r = np.outer(loads, loads)
        np.fill_diagonal(r, 1.0)
        cop = ss.GaussianCopula("f", nodes, correlation=r)
    else:
        cop = ss.GaussianCopula("f", nodes, loadings=loads)
    res = _simulate(ss.Model(built.journeys, nodes=built.named, copulas=[cop]), n,
                    draw_seed)
    for name, r in res.items():
        assert_consistent(r.failures, r.samples, exact[name].unavailability, what=name)


def trivariate_below(t, r):
    return float(multivariate_normal.cdf(t, mean=np.zeros(3), cov=r, abseps=1e-12,
                                         releps=1e-8))


@pytest.mark.parametrize("q", [[1e-3, 2e-3, 5e-3], [0.1, 0.3, 0.2], [0.02, 0.97, 0.5]])
def test_simulate_general_matrix_against_trivariate_normal(seed, q):
    """The matrix sampler, on a matrix with no one-factor form: all down is
    the trivariate normal distribution function at the thresholds, all up
    the same at minus them."""
    cs = [C(f"m{i}", unavailability=qi) for i, qi in enumerate(q)]
    cop = ss.GaussianCopula("g", cs, correlation=GENERAL)
    assert not cop.one_factor
    model = ss.Model([ss.parallel(*cs, name="all-down"), ss.series(*cs, name="any-down")],
                     copulas=[cop])
    t = ndtri(np.array(q))
    res = _simulate(model, 10**6 + 12345, seed)
    assert_consistent(res["all-down"].failures, res["all-down"].samples,
                      trivariate_below(t, GENERAL), what="all-down")
    assert_consistent(res["any-down"].failures, res["any-down"].samples,
                      1 - trivariate_below(-t, GENERAL), what="any-down")


def test_simulate_two_factor_groups_are_independent(seed):
    """Two separate copulas: the two pairs are independent of each other."""
    q, rho = 0.01, 0.7
    ms = [C(n, unavailability=q) for n in "abcd"]
    cops = [ss.GaussianCopula("x", ms[:2], loadings=pair_loadings(rho)),
            ss.GaussianCopula("y", ms[2:], correlation=[[1, rho], [rho, 1]])]
    model = ss.Model([ss.parallel(*ms[:2], name="p1"), ss.parallel(*ms[2:], name="p2"),
                      ss.parallel(ss.parallel(*ms[:2]), ss.parallel(*ms[2:]), name="all")],
                     copulas=cops)
    res = _simulate(model, 4 * 10**6, seed)
    both = bivariate(q, q, rho)
    for name, p in [("p1", both), ("p2", both), ("all", both * both)]:
        assert_consistent(res[name].failures, res[name].samples, p, what=name)


def test_simulate_with_copula_is_reproducible_at_any_thread_count(seed):
    model = pair_model(1e-3, 2e-3, rho=0.6)
    one = _simulate(model, 3 * 2**22 + 12345, seed, threads=1)
    two = _simulate(model, 3 * 2**22 + 12345, seed, threads=2)
    for name in one:
        assert one[name].failures == two[name].failures


def test_kernel_rejects_inconsistent_copula_arrays():
    from slosim._core import _kernels as K
    from slosim.engines import compile_model

    p = compile_model(pair_model(1e-3, 2e-3, rho=0.5))
    nodes = np.empty((p.n_nodes, p.block_words), dtype=np.uint64)
    scratch = np.empty((p.scratch_rows, p.block_words), dtype=np.uint64)
    args = (np.random.PCG64(1), 1000, p.leaf_lam, p.leaf_method, p.leaf_qbits,
            p.gate_op, p.gate_param, p.child_ptr, p.child_idx, p.outputs,
            nodes, scratch, np.zeros(len(p.outputs), dtype=np.uint64))
    with pytest.raises(ValueError, match="member of exactly one copula group"):
        K.simulate_chunk(*args)
    bad = list(p.factor)
    bad[13] = bad[13][:-1]
    with pytest.raises(ValueError, match="edges"):
        K.simulate_chunk(*args, factor=tuple(bad))
    bad = list(p.factor)
    bad[3] = np.array([0.5, 1.5])
    with pytest.raises(ValueError, match="out of range"):
        K.simulate_chunk(*args, factor=tuple(bad))


def test_simulate_rare_factor_model_at_scale(seed):
    """2e9 samples of a rare-event model: a bias of two parts in a
    thousand in the thinned, stratified sampler would show here."""
    cs = [C(f"r{i}", unavailability=q) for i, q in enumerate([1e-4, 3e-4, 1e-3, 2e-3])]
    cop = ss.GaussianCopula("day", cs, loadings=[0.9, 0.7, -0.4, 0.6])
    model = ss.Model([ss.parallel(cs[0], cs[1], name="pair"),
                      ss.k_of_n(3, cs, name="3-of-4"),
                      ss.series(*cs, name="all")], copulas=[cop])
    exact = ss.exact(model)
    res = _simulate(model, 2 * 10**9, seed)
    for name, r in res.items():
        assert_consistent(r.failures, r.samples, exact[name].unavailability, what=name)


def test_services_and_shocked_members(seed):
    """A Service's own component can be a member, by object or by name, and
    a member may also be hit by a shock; both engines agree."""
    db = C("db", unavailability=1e-3)
    a = ss.Service("api-a", unavailability=2e-3, requires=[db])
    b = ss.Service("api-b", unavailability=2e-3, requires=[db])
    zone = ss.Shock("zone", 1e-4, members=[a])
    cop = ss.GaussianCopula("day", [a, "api-b"], loadings=[0.8, 0.8])
    model = ss.Model(ss.parallel(a, b, name="api"), shocks=[zone], copulas=[cop])
    ex = ss.exact(model)["api"]
    # by hand: db down, or both own parts down (zone on a's side)
    p, q, rho = 1e-4, 2e-3, 0.64
    both = (1 - p) * bivariate(q, q, rho) + p * q
    assert ex.unavailability == pytest.approx(1e-3 + (1 - 1e-3) * both, rel=1e-8)
    res = _simulate(model, 10**7, seed)["api"]
    assert_consistent(res.failures, res.samples, ex.unavailability, what="api")


@pytest.mark.parametrize("q, loads", [(1e-120, [1.0, 0.999]), (1e-120, [-1.0, -1.0]),
                                      (1e-60, [0.9, 0.9]), (1e-200, [0.95, 0.99])])
def test_exact_keeps_tiny_unavailabilities_that_fail_far_in_the_tails(q, loads):
    """Members with tiny q and loadings near one fail together only at
    factor values far beyond |F| = 14; the integral must reach them."""
    model = pair_model(q, q, loadings=loads)
    r = ss.exact(model)
    ref = factor_reference(model, dict(zip("ab", loads)))
    assert ref["both"] > 0.0
    assert r["both"].unavailability == pytest.approx(ref["both"], rel=1e-8)
    assert r["a"].unavailability == pytest.approx(q, rel=1e-10)
