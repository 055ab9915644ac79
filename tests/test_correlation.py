"""Common-cause groups: the parametric models' formulas and their shocks.

Both conventions for a member's independent part: ``"standard"`` (the
default; ``Q_1``, and ``Q_k = phi_k Q`` for the phi-factor model, as PRA
tools compute) and ``"exact"`` (each member's total failure probability is
exactly ``Q``).
"""

from math import comb

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss

from oracle import assert_consistent

unit = st.floats(0.0, 1.0, allow_nan=False)
Qs = st.sampled_from([1e-6, 1e-4, 1e-3, 0.01, 0.2])


def names(m):
    return [f"x{i}" for i in range(m)]


def simplex(draw, m):
    w = draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m))
    return [v / sum(w) for v in w]


@st.composite
def groups(draw, marginal=None):
    m = draw(st.integers(2, 5))
    Q = draw(Qs)
    if marginal is None:
        marginal = draw(st.sampled_from(["standard", "exact"]))
    kind = draw(st.sampled_from(["beta", "mgl", "alpha", "alpha-staggered", "phi"]))
    if kind == "beta":
        return ss.beta_factor("g", names(m), unavailability=Q, beta=draw(unit),
                              marginal=marginal)
    if kind == "mgl":
        return ss.multiple_greek_letter("g", names(m), unavailability=Q,
                                        factors=draw(st.lists(unit, min_size=m - 1,
                                                              max_size=m - 1)),
                                        marginal=marginal)
    if kind == "phi":
        return ss.phi_factor("g", names(m), unavailability=Q, phis=simplex(draw, m),
                             marginal=marginal)
    return ss.alpha_factor("g", names(m), unavailability=Q, alphas=simplex(draw, m),
                           staggered=kind == "alpha-staggered", marginal=marginal)


def member_total(g):
    """1 - (1 - Q_1) prod_k (1 - Q_k)^C(m-1, k-1): a member's own event or
    any group event containing it."""
    m = len(g.components)
    own = g.components[0].unavailability
    return 1 - (1 - own) * np.prod([(1 - g.q_k[k - 1]) ** comb(m - 1, k - 1)
                                    for k in range(2, m + 1)])


@settings(max_examples=80, deadline=None)
@given(groups())
def test_q_k_sum_back_to_q(g):
    """The shares C(m-1, k-1) Q_k sum to Q, but for the standard phi-factor
    model, whose Q_k = phi_k Q are each event's own."""
    m = len(g.components)
    total = sum(comb(m - 1, k - 1) * g.q_k[k - 1] for k in range(1, m + 1))
    if g.model == "phi-factor" and g.marginal == "standard":
        assert g.q_k.sum() == pytest.approx(g.unavailability, rel=1e-12)
    else:
        assert total == pytest.approx(g.unavailability, rel=1e-12)
    assert np.all(g.q_k >= 0)


@settings(max_examples=60, deadline=None)
@given(groups(marginal="exact"))
def test_exact_marginal_keeps_each_member_total_failure_probability(g):
    """marginal="exact": the member's marginal, with every shock that hits
    it, is exactly Q."""
    model = ss.Model(list(g.components), shocks=[g])
    res = ss.exact(model)
    for c in g.components:
        assert res[c.name].unavailability == pytest.approx(g.unavailability, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(groups(marginal="standard"))
def test_standard_marginal_is_q1_and_the_group_events(g):
    """marginal="standard": each member's own event is Q_1, and it fails
    with that or any group event containing it."""
    assert all(c.unavailability == g.q_k[0] for c in g.components)
    model = ss.Model(list(g.components), shocks=[g])
    res = ss.exact(model)
    for c in g.components:
        assert res[c.name].unavailability == pytest.approx(member_total(g), rel=1e-12)
    if g.model != "phi-factor":     # below Q by O(Q**2) only
        assert member_total(g) <= g.unavailability * (1 + 1e-9)    # 1 - (1 - q) rounds
        assert member_total(g) >= g.unavailability - g.unavailability**2


@settings(max_examples=40, deadline=None)
@given(groups())
def test_shocks_are_one_per_set_of_two_or_more(g):
    m = len(g.components)
    expected = sum(comb(m, k) for k in range(2, m + 1) if g.q_k[k - 1] > 0)
    assert len(g.shocks) == expected
    for s in g.shocks:
        k = len(s.members)
        assert k >= 2 and s.probability == g.q_k[k - 1]
        assert s.name.startswith("g[")


@pytest.mark.parametrize("marginal", ["standard", "exact"])
def test_beta_pair_both_down(seed, marginal):
    """P(both down) = beta Q + (1 - beta Q) q_ind**2, with q_ind = (1 - beta) Q
    (standard) or 1 - (1 - Q) / (1 - beta Q) (exact); both are
    beta Q + ((1 - beta) Q)**2 to first order."""
    Q, beta = 0.02, 0.05
    g = ss.beta_factor("zone", ["a", "b"], unavailability=Q, beta=beta,
                       marginal=marginal)
    pair = ss.Model(ss.parallel(*g.components, name="pair"), shocks=[g])
    q_ind = (1 - beta) * Q if marginal == "standard" else 1 - (1 - Q) / (1 - beta * Q)
    exact = beta * Q + (1 - beta * Q) * q_ind**2
    assert ss.exact(pair)["pair"].unavailability == pytest.approx(exact, rel=1e-13)
    assert exact == pytest.approx(beta * Q + ((1 - beta) * Q) ** 2, rel=2 * Q)
    res = ss.simulate(pair, 4 * 10**6, rng=seed)["pair"]
    assert_consistent(res.failures, res.samples, exact)


def test_five_percent_beta_on_a_redundant_pair():
    """The how-to's zone example: a 99.9% pair goes from 1e-6 to ~5e-5."""
    independent = ss.exact(ss.parallel(ss.Component("a", unavailability=1e-3),
                                       ss.Component("b", unavailability=1e-3),
                                       name="api"))["api"].unavailability
    g = ss.beta_factor("zone", ["a", "b"], unavailability=1e-3, beta=0.05)
    shared = ss.exact(ss.Model(ss.parallel(*g.components, name="api"),
                               shocks=[g]))["api"].unavailability
    assert independent == pytest.approx(1e-6, rel=1e-12)
    assert shared == pytest.approx(5e-5 + (9.5e-4) ** 2, rel=1e-3)


def test_mgl_and_alpha_formulas():
    g = ss.multiple_greek_letter("g", names(4), unavailability=1e-3,
                                 factors=[0.2, 0.5, 0.4])
    rho = [1, 0.2, 0.5, 0.4, 0]
    for k in range(1, 5):
        expected = np.prod(rho[:k]) * (1 - rho[k]) * 1e-3 / comb(3, k - 1)
        assert g.q_k[k - 1] == pytest.approx(expected, rel=1e-14)
    a = [0.9, 0.06, 0.03, 0.01]
    g = ss.alpha_factor("g", names(4), unavailability=1e-3, alphas=a)
    alpha_t = sum(k * a[k - 1] for k in range(1, 5))
    for k in range(1, 5):
        expected = k * a[k - 1] * 1e-3 / (comb(3, k - 1) * alpha_t)
        assert g.q_k[k - 1] == pytest.approx(expected, rel=1e-14)
    g = ss.alpha_factor("g", names(4), unavailability=1e-3, alphas=a, staggered=True)
    for k in range(1, 5):
        assert g.q_k[k - 1] == pytest.approx(a[k - 1] * 1e-3 / comb(3, k - 1), rel=1e-14)


def test_group_in_a_model_simulates_within_error(seed):
    g = ss.multiple_greek_letter("db", ["db-0", "db-1", "db-2"], unavailability=0.01,
                                 factors=[0.1, 0.3])
    db = ss.k_of_n(2, g.components, name="db")
    model = ss.Model(db, shocks=[g])
    exact = ss.exact(model)["db"].unavailability
    res = ss.simulate(model, 10**6, rng=seed)["db"]
    assert_consistent(res.failures, res.samples, exact)


@pytest.mark.parametrize("call, match", [
    (lambda: ss.beta_factor("g", ["a"], unavailability=0.1, beta=0.1), "2..12 members"),
    (lambda: ss.beta_factor("g", "ab", unavailability=0.1, beta=0.1), "list of component names"),
    (lambda: ss.beta_factor("g", ["a", "a"], unavailability=0.1, beta=0.1), "given twice"),
    (lambda: ss.beta_factor("g", ["a", "b"], unavailability=0.1, beta=1.5), "beta"),
    (lambda: ss.beta_factor("g", ["a", "b"], unavailability=-1, beta=0.1), "unavailability"),
    (lambda: ss.multiple_greek_letter("g", ["a", "b", "c"], unavailability=0.1,
                                      factors=[0.1]), "2 factors"),
    (lambda: ss.alpha_factor("g", ["a", "b"], unavailability=0.1, alphas=[0.5, 0.4]),
     "sum to 1"),
    (lambda: ss.phi_factor("g", ["a", "b"], unavailability=0.1, phis=[0.5]), "2 factors"),
    (lambda: ss.beta_factor("g", [f"x{i}" for i in range(13)], unavailability=0.1,
                            beta=0.1), "2..12 members"),
    (lambda: ss.multiple_greek_letter("g", ["a", "b", "c"], unavailability=0.1,
                                      factors=(f for f in [0.1, 0.2])),
     "factors must be a sequence of 2 factors, got a generator, which is not a sequence"),
    (lambda: ss.alpha_factor("g", ["a", "b"], unavailability=0.1, alphas=iter([0.9, 0.1])),
     "alphas must be a sequence of 2 factors, got a list_iterator"),
    (lambda: ss.phi_factor("g", ["a", "b"], unavailability=0.1, phis={0.9, 0.1}),
     "phis must be a sequence of 2 factors, got a set"),
    (lambda: ss.phi_factor("g", ["a", "b"], unavailability=0.1, phis=0.5),
     "phis must be a sequence of 2 factors, got 0.5"),
])
def test_bad_groups_are_model_errors(call, match):
    with pytest.raises(ss.ModelError, match=match):
        call()


@pytest.mark.parametrize("marginal", ["Exact", "rare-event", None, 1])
def test_bad_marginal_is_the_standard_parameter_error(marginal):
    with pytest.raises(ValueError, match=(
            r"^The 'marginal' parameter of alpha_factor must be 'standard' or "
            r"'exact'\. Got .* instead\.$")):
        ss.alpha_factor("g", ["a", "b"], unavailability=0.1, alphas=[0.9, 0.1],
                        marginal=marginal)


def test_group_repr_names_the_exact_marginal():
    g = ss.beta_factor("zone", ["a", "b"], unavailability=1e-3, beta=0.1,
                       marginal="exact")
    assert repr(g).endswith("shocks=1, marginal='exact')")
    assert g.marginal == "exact"


def test_the_two_conventions_differ_only_in_what_they_say():
    """Same Q_k (phi-factor excepted); the independent part is Q_1 or the
    exact one, and the phi-factor's Q_k differ by C(m-1, k-1)."""
    a = [0.9, 0.06, 0.03, 0.01]
    std = ss.alpha_factor("g", names(4), unavailability=0.01, alphas=a)
    ex = ss.alpha_factor("g", names(4), unavailability=0.01, alphas=a, marginal="exact")
    np.testing.assert_array_equal(std.q_k, ex.q_k)
    assert std.components[0].unavailability == std.q_k[0]
    shocks = np.prod([(1 - ex.q_k[k - 1]) ** comb(3, k - 1) for k in range(2, 5)])
    assert ex.components[0].unavailability == pytest.approx(1 - 0.99 / shocks, rel=1e-13)
    std = ss.phi_factor("g", names(4), unavailability=0.01, phis=a)
    ex = ss.phi_factor("g", names(4), unavailability=0.01, phis=a, marginal="exact")
    for k in range(1, 5):
        assert std.q_k[k - 1] == pytest.approx(a[k - 1] * 0.01, rel=1e-14)
        assert ex.q_k[k - 1] == pytest.approx(a[k - 1] * 0.01 / comb(3, k - 1), rel=1e-14)


def test_group_repr_and_model_accepts_group_or_its_shocks():
    g = ss.beta_factor("zone", ["a", "b", "c"], unavailability=1e-3, beta=0.1)
    assert repr(g) == ("CommonCauseGroup('zone', model='beta-factor', members=3, "
                       "unavailability=0.001, shocks=1)")
    j = ss.series(*g.components, name="j")
    one = ss.exact(ss.Model(j, shocks=[g]))["j"].unavailability
    two = ss.exact(ss.Model(j, shocks=list(g.shocks)))["j"].unavailability
    assert one == two


def test_factors_within_tolerance_are_normalised():
    """Alphas or phis summing to 1 within 1e-9 are divided by their sum, so
    the group still sums back to Q exactly."""
    g = ss.alpha_factor("g", ["a", "b"], unavailability=0.01,
                        alphas=[0.9, 0.1 + 5e-10], staggered=True)
    assert g.q_k[0] + g.q_k[1] == pytest.approx(0.01, rel=1e-15)
    g = ss.phi_factor("g", ["a", "b", "c"], unavailability=0.01,
                      phis=[0.8, 0.1, 0.1 - 5e-10], marginal="exact")
    assert g.q_k[0] + 2 * g.q_k[1] + g.q_k[2] == pytest.approx(0.01, rel=1e-15)
    g = ss.phi_factor("g", ["a", "b", "c"], unavailability=0.01,
                      phis=[0.8, 0.1, 0.1 - 5e-10])
    assert g.q_k.sum() == pytest.approx(0.01, rel=1e-15)
