"""read_openpsa: MEF expressions as the probabilities of basic events.

Closed forms are checked to 1e-12 (relative) against the formulas of MEF
2.0 as SCRAM computes them (src/expression/exponential.cc).
"""

import io
import math
from statistics import NormalDist

import pytest

import slosim as ss
from slosim.io import OpenPSAError, read_openpsa

DOC = """<?xml version="1.0"?>
<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top">
      <or>
        <basic-event name="a"/>
        <basic-event name="e"/>
      </or>
    </define-gate>
  </define-fault-tree>
  <model-data>
    <define-basic-event name="a"><float value="0.1"/></define-basic-event>
{data}
    <define-basic-event name="e">
      {body}
    </define-basic-event>
  </model-data>
</opsa-mef>
"""


def f(x):
    return f'<float value="{x!r}"/>'


def expr(tag, *args):
    return f"<{tag}>" + "".join(args) + f"</{tag}>"


def param(name, body):
    return f'    <define-parameter name="{name}">{body}</define-parameter>'


def probability(body, data="", **kwargs):
    model = read_openpsa(io.StringIO(DOC.format(body=body, data=data)), **kwargs)
    return model.components["e"].unavailability


def check_error(body, marker, *fragments, data=""):
    text = DOC.format(body=body, data=data)
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(io.StringIO(text))
    exc = info.value
    line = text[: text.index(marker)].count("\n") + 1
    assert (exc.path, exc.line, exc.node) == ("<stream>", line, "e"), str(exc)
    for fragment in fragments:
        assert fragment in str(exc), (fragment, str(exc))
    return exc


# --- closed forms -----------------------------------------------------------


@pytest.mark.parametrize("lam, t", [(1e-4, 8760.0), (2.5e-3, 100.0), (1e-12, 1.0),
                                    (0.0, 5.0), (3.0, 0.0)])
def test_exponential(lam, t):
    got = probability(expr("exponential", f(lam), f(t)))
    exact = -math.expm1(-lam * t)     # 1 - exp(-lambda t), every digit
    assert got == pytest.approx(exact, rel=1e-12, abs=0)


def test_exponential_keeps_the_digits_of_small_probabilities():
    # 1 - exp(-1e-12) in floating point loses four digits; -expm1 keeps them.
    got = probability(expr("exponential", f(1e-6), f(1e-6)))
    assert got == pytest.approx(1e-12 - 0.5e-24, rel=1e-15)


def test_system_mission_time_defaults_to_scrams_8760_hours():
    body = expr("exponential", f(1e-4), "<system-mission-time/>")
    assert probability(body) == pytest.approx(1 - math.exp(-0.876), rel=1e-12)
    assert probability(body, mission_time=720) == pytest.approx(
        1 - math.exp(-0.072), rel=1e-12)


@pytest.mark.parametrize("gamma, lam, mu, t", [
    (0.01, 1e-4, 0.1, 8760.0), (0.0, 1e-3, 0.0, 100.0), (1.0, 2e-4, 0.05, 10.0),
    (0.2, 5e-3, 1e-2, 0.0),
])
def test_glm(gamma, lam, mu, t):
    got = probability(expr("GLM", f(gamma), f(lam), f(mu), f(t)))
    r = lam + mu
    exact = (lam - (lam - gamma * r) * math.exp(-r * t)) / r
    assert got == pytest.approx(exact, rel=1e-12, abs=0)


@pytest.mark.parametrize("alpha, beta, t0, t, exact", [
    (1000.0, 1.5, 0.0, 500.0, 1 - math.exp(-(0.5 ** 1.5))),
    (2000.0, 0.7, 100.0, 8760.0, 1 - math.exp(-(8660 / 2000) ** 0.7)),
    (50.0, 3.0, 10.0, 10.0, 0.0),      # no failure before t0
    (50.0, 3.0, 20.0, 10.0, 0.0),
])
def test_weibull(alpha, beta, t0, t, exact):
    got = probability(expr("Weibull", f(alpha), f(beta), f(t0), f(t)))
    assert got == pytest.approx(exact, rel=1e-12, abs=0)


@pytest.mark.parametrize("lam, tau, theta, t, since", [
    (1e-4, 720.0, 0.0, 8760.0, 8760.0 - 12 * 720),   # 120 h after the 12th test
    (1e-4, 720.0, 100.0, 50.0, 50.0),                # before the first test
    (2e-3, 100.0, 50.0, 350.0, 100.0),               # at a test: just before it
    (5e-5, 1000.0, 200.0, 2950.0, 750.0),
])
def test_periodic_test_instant_repair(lam, tau, theta, t, since):
    got = probability(expr("periodic-test", f(lam), f(tau), f(theta), f(t)))
    assert got == pytest.approx(1 - math.exp(-lam * since), rel=1e-12, abs=0)


def _markov_periodic_test(lam, mu, tau, theta, t):
    """The five-argument periodic test as its Markov chain (working,
    failed, in repair), stepped test by test with matrix exponentials: an
    oracle independent of the closed form."""
    import numpy as np
    from scipy.linalg import expm

    Q = np.array([[-lam, lam, 0.0], [0.0, 0.0, 0.0], [mu, 0.0, -mu]])
    p = np.array([1.0, 0.0, 0.0])
    now, test = 0.0, theta
    while test < t:
        p = p @ expm(Q * (test - now))
        p = np.array([p[0], 0.0, p[1] + p[2]])      # the test finds the failed
        now, test = test, test + tau
    p = p @ expm(Q * (t - now))
    return p[1] + p[2]


# SCRAM 0.16.2's six printed digits for the same basic events (scram --bdd
# --probability true, one event under an OR with an event of probability 0)
@pytest.mark.parametrize("lam, mu, tau, theta, t, scram", [
    (1e-3, 1e-1, 100.0, 50.0, 1000.0, 0.0485063),
    (1e-3, 1e-1, 100.0, 50.0, 30.0, 0.0295545),     # before the first test
    (1e-3, 1e-1, 100.0, 50.0, 150.0, 0.0947191),    # at a test: just before it
    (1e-3, 1e-1, 100.0, 50.0, 175.5, 0.0317155),
    (2e-3, 2e-3, 80.0, 20.0, 505.0, 0.456458),      # lambda = mu
    (1e-2, 5e-2, 24.0, 0.0, 1000.0, 0.238554),
    (5e-4, 1.0, 720.0, 360.0, 8760.0, 0.213253),
    (1e-4, 1e-3, 10.0, 5.0, 12345.0, 0.0913228),   # 1,234 tests
])
def test_periodic_test_with_repair(lam, mu, tau, theta, t, scram):
    got = probability(expr("periodic-test", f(lam), f(mu), f(tau), f(theta), f(t)))
    assert got == pytest.approx(scram, rel=5e-6, abs=0)
    assert got == pytest.approx(_markov_periodic_test(lam, mu, tau, theta, t),
                                rel=1e-9, abs=0)


@pytest.mark.parametrize("lam, tau, theta, t", [
    (1e-3, 100.0, 50.0, 1000.0), (2e-4, 720.0, 0.0, 8760.0), (1e-2, 24.0, 30.0, 10.0)])
def test_periodic_test_repair_limits(lam, tau, theta, t):
    """No repair: once failed, down for good (1 - exp(-lambda t)); a repair
    far faster than failures: the instant repair of the four-argument form."""
    none = probability(expr("periodic-test", f(lam), f(0.0), f(tau), f(theta), f(t)))
    assert none == pytest.approx(-math.expm1(-lam * t), rel=1e-12, abs=0)
    fast = probability(expr("periodic-test", f(lam), f(1e9), f(tau), f(theta), f(t)))
    instant = probability(expr("periodic-test", f(lam), f(tau), f(theta), f(t)))
    assert fast == pytest.approx(instant, rel=1e-6, abs=0)


def _stepped_periodic_test(lam, lam_test, mu, tau, theta, gamma, pi, x, sigma, omega, t):
    """The eleven-argument periodic test stepped test by test (working,
    failed, in repair, under test working, under test failed): an oracle
    for the reader's matrix powers."""
    import numpy as np
    from scipy.linalg import expm

    Q = np.zeros((5, 5))
    Q[0, 1], Q[2, 0], Q[2, 1], Q[3, 4] = lam, mu * (1 - omega), mu * omega, lam_test
    np.fill_diagonal(Q, -Q.sum(axis=1))

    def down(p, testing):
        return 1 - p[0] if testing and not x else p[1] + p[2] + p[4]

    p = np.array([1.0, 0, 0, 0, 0])
    if t <= theta:
        return down(p @ expm(Q * t), False)
    now, test = 0.0, theta
    while True:
        p = p @ expm(Q * (test - now))
        p = np.array([0, 0, p[2], p[0] * (1 - gamma), p[1] + p[0] * gamma])
        if t <= test + pi:
            return down(p @ expm(Q * (t - test)), True)
        p = p @ expm(Q * pi)
        p = np.array([p[0] + p[3], p[1] + p[4] * (1 - sigma), p[2] + p[4] * sigma, 0, 0])
        now, test = test + pi, test + tau
        if t < test:
            return down(p @ expm(Q * (t - now)), False)


# SCRAM 0.16.2's six printed digits (lambda, lambda under test, mu, tau,
# theta, gamma, pi, x, sigma, omega, t), each parameter at work, at a test,
# at its start and end, and between
@pytest.mark.parametrize("args, scram", [
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 0, 1, 0, 55), 1.0),
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 0, 1, 0, 150), 1.0),
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 0, 1, 0, 160), 0.999995),
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 1, 1, 0, 175.5), 0.0347279),
    ((1e-3, 1e-2, 0.1, 100, 50, 0, 10, 1, 1, 0, 160), 0.171882),
    ((1e-3, 1e-3, 0.1, 100, 50, 0.05, 10, 1, 1, 0, 150), 0.130854),
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 1, 0.7, 0, 160), 0.1106),
    ((1e-3, 1e-3, 0.1, 100, 50, 0, 10, 1, 1, 0.05, 160), 0.0972942),
    ((2e-3, 8e-3, 0.05, 100, 50, 0.02, 8, 0, 0.9, 0.03, 151.2), 0.999914),
    ((2e-3, 8e-3, 0.05, 100, 50, 0.02, 8, 0, 0.9, 0.03, 120), 0.13698),
    ((2e-3, 8e-3, 0.05, 100, 50, 0.02, 8, 1, 0.9, 0.03, 8760), 0.236064),
    ((1e-4, 3e-4, 1e-2, 720, 0, 0.01, 24, 0, 0.95, 0.01, 52), 0.0159282),
    ((1e-4, 3e-4, 1e-2, 720, 0, 0.01, 24, 0, 0.95, 0.01, 8760), 0.0456073),
])
def test_periodic_test_full_form(args, scram):
    got = probability(expr("periodic-test", *map(f, map(float, args))))
    assert got == pytest.approx(scram, rel=5e-6, abs=0)
    assert got == pytest.approx(_stepped_periodic_test(*args), rel=1e-9, abs=0)


@pytest.mark.parametrize("lam, mu, tau, theta, t", [
    (1e-3, 1e-1, 100.0, 50.0, 1000.0), (2e-3, 2e-3, 80.0, 20.0, 505.0),
    (1e-7, 1e-2, 720.0, 0.0, 8760.0)])
def test_periodic_test_full_form_reduces_to_the_five_arguments(lam, mu, tau, theta, t):
    """A test too short to matter, harmless, that always finds a failure,
    and good restarts: the five-argument form's closed form."""
    full = probability(expr("periodic-test", *map(f, (lam, lam, mu, tau, theta, 0.0, 1e-9,
                                                       1.0, 1.0, 0.0, t))))
    five = probability(expr("periodic-test", *map(f, (lam, mu, tau, theta, t))))
    assert full == pytest.approx(five, rel=1e-6, abs=0)


@pytest.mark.parametrize("n", [3, 6])
def test_periodic_test_other_forms_are_refused(n):
    check_error(expr("periodic-test", *[f(0.5)] * n), "<periodic-test>",
                f"<periodic-test> in basic event 'e' takes 4, 5 or 11 arguments, not {n}")


def test_periodic_test_duration_within_the_period():
    body = expr("periodic-test", *map(f, (1e-3, 1e-3, 0.1, 100.0, 50.0, 0.0, 120.0, 1.0,
                                          1.0, 0.0, 10.0)))
    check_error(body, "<periodic-test>", "the test duration 120.0 must not exceed the "
                "time between tests 100.0")


@pytest.mark.parametrize("i, value, name", [
    (5, 1.5, "the probability of a failure at a test's start"), (6, 0.0, "the test duration"),
    (8, -0.1, "the probability that a test finds a failure"),
    (9, 1.2, "the probability of a failed restart after a repair"),
    (1, -1.0, "the failure rate under test")])
def test_periodic_test_full_form_arguments_are_checked(i, value, name):
    args = [1e-3, 1e-3, 0.1, 100.0, 50.0, 0.0, 10.0, 1.0, 1.0, 0.0, 10.0]
    args[i] = value
    check_error(expr("periodic-test", *map(f, args)), f'<float value="{value!r}"', name)


def test_periodic_test_repair_rate_is_checked():
    check_error(expr("periodic-test", f(1e-3), f(-1.0), f(10.0), f(0.0), f(1.0)),
                "<float value=\"-1.0\"", "the repair rate", ">= 0")


def test_expressions_over_parameters():
    data = "\n".join([
        param("lambda", expr("div", f(1.0), f(20000.0))),     # per hour
        param("mission", "<system-mission-time/>"),
        param("t", expr("mul", '<parameter name="mission"/>', f(0.5))),
    ])
    body = expr("exponential", '<parameter name="lambda"/>', '<parameter name="t"/>')
    assert probability(body, data=data) == pytest.approx(
        1 - math.exp(-4380 / 20000), rel=1e-12)


# --- arithmetic -------------------------------------------------------------

ARITHMETIC = [
    ("neg", [-0.25], 0.25),
    ("add", [0.1, 0.2, 0.3], 0.6),
    ("sub", [0.9, 0.2, 0.3], 0.4),
    ("mul", [0.5, 0.4, 0.5], 0.1),
    ("div", [0.9, 2.0, 3.0], 0.15),
    ("abs", [-0.3], 0.3),
    ("exp", [-1.0], math.exp(-1)),
    ("log", [1.5], math.log(1.5)),
    ("log10", [2.0], math.log10(2)),
    ("pow", [0.5, 3.0], 0.125),
    ("sqrt", [0.25], 0.5),
    ("min", [0.3, 0.1, 0.2], 0.1),
    ("max", [0.3, 0.1, 0.2], 0.3),
    ("mean", [0.1, 0.2, 0.6], 0.3),
    ("sin", [0.5], math.sin(0.5)),
    ("cos", [1.0], math.cos(1.0)),
    ("tanh", [0.5], math.tanh(0.5)),
    ("asin", [0.5], math.asin(0.5)),
    ("ceil", [0.2], 1.0),
    ("floor", [1.7], 1.0),
    ("lt", [0.1, 0.2], 1.0),
    ("geq", [0.1, 0.2], 0.0),
    ("eq", [0.5, 0.5], 1.0),
    ("df", [0.5, 0.5], 0.0),
    ("not", [0.0], 1.0),
    ("and", [1.0, 0.0], 0.0),
    ("or", [1.0, 0.0], 1.0),
    ("ite", [1.0, 0.2, 0.7], 0.2),
    ("ite", [0.0, 0.2, 0.7], 0.7),
]


@pytest.mark.parametrize("tag, args, exact", ARITHMETIC)
def test_arithmetic(tag, args, exact):
    got = probability(expr(tag, *map(f, args)))
    assert got == pytest.approx(exact, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("a, b, exact", [(7.0, 4.0, 3.0), (-7.0, 4.0, -3.0),
                                         (7.9, 4.2, 3.0)])
def test_mod_is_scrams(a, b, exact):
    # The remainder of the integer parts, with the dividend's sign (C++'s %).
    body = expr("add", f(0.5), expr("div", expr("mod", f(a), f(b)), f(10.0)))
    assert probability(body) == pytest.approx(0.5 + exact / 10, rel=1e-12)


def test_pi_and_nesting():
    # 1 - pi / 4 = 1 - atan(1), nested through <sub> and <div>
    body = expr("sub", f(1.0), expr("div", "<pi/>", '<int value="4"/>'))
    assert probability(body) == pytest.approx(1 - math.atan(1), rel=1e-12)


def test_the_model_runs_with_the_evaluated_probability():
    body = expr("exponential", f(1e-4), "<system-mission-time/>")
    model = read_openpsa(io.StringIO(DOC.format(body=body, data="")))
    q = 1 - math.exp(-0.876)
    assert ss.exact(model)["top"].unavailability == pytest.approx(
        1 - 0.9 * (1 - q), rel=1e-12)


def test_common_cause_distribution_from_an_expression():
    text = """<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top"><and><basic-event name="p1"/>
      <basic-event name="p2"/></and></define-gate>
  </define-fault-tree>
  <define-CCF-group name="G" model="beta-factor">
    <members><basic-event name="p1"/><basic-event name="p2"/></members>
    <distribution><exponential><float value="1e-5"/><system-mission-time/>
      </exponential></distribution>
    <factor level="2"><float value="0.1"/></factor>
  </define-CCF-group>
</opsa-mef>"""
    model = read_openpsa(io.StringIO(text))
    q = -math.expm1(-1e-5 * 8760)
    (shock,) = model.shocks.values()
    assert shock.probability == pytest.approx(0.1 * q, rel=1e-12)


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize("body, marker, fragment", [
    (expr("exponential", f(-1e-3), f(10.0)), "<float value=\"-0.001\"",
     "<exponential> in basic event 'e': the failure rate is -0.001; it must be >= 0"),
    (expr("exponential", f(1e-3)), "<exponential>", "takes 2 arguments, not 1"),
    (expr("GLM", f(1.5), f(1e-3), f(0.0), f(1.0)), "<float value=\"1.5\"",
     "the failure probability on demand is 1.5; it must be in [0, 1]"),
    (expr("GLM", f(0.1), f(0.0), f(0.0), f(1.0)), "<float value=\"0.0\"",
     "the failure rate is 0.0; it must be > 0"),
    (expr("Weibull", f(0.0), f(1.0), f(0.0), f(1.0)), "<float value=\"0.0\"",
     "the scale is 0.0; it must be > 0"),
    (expr("periodic-test", f(1e-3), f(-1.0), f(0.0), f(1.0)), "<float value=\"-1.0\"",
     "the time between tests is -1.0; it must be > 0"),
    (expr("div", f(1.0), f(0.0)), "<div>", "<div> in basic event 'e' divides by zero"),
    (expr("log", f(-1.0)), "<log>", "<log> in basic event 'e' is undefined"),
    (expr("add", f(0.1)), "<add>", "takes 2 or more arguments, not 1"),
    (expr("pi", f(0.1)), "<pi>", "takes 0 arguments, not 1"),
    (expr("add", f(0.7), f(0.6)), "<add>",
     "basic event 'e': its expression <add> gives 1.2999999999999998, not a "
     "probability in [0, 1]"),
    (expr("exp", f(1e6)), "<exp>", "<exp> in basic event 'e' is undefined"),
    ('<system-mission-time><float value="1"/></system-mission-time>',
     '<float value="1"', "<system-mission-time> in basic event 'e' must be empty"),
])
def test_errors_name_the_file_line_and_construct(body, marker, fragment):
    check_error(body, marker, fragment)


def test_outside_unit_interval_names_the_line_of_the_expression():
    exc = check_error(expr("mul", f(2.0), f(0.8)), "<mul>",
                      "its expression <mul> gives 1.6")
    assert str(exc).startswith("<stream>:")


def test_parameter_cycle_through_an_expression():
    data = "\n".join([param("p", expr("mul", '<parameter name="q"/>', f(0.5))),
                      param("q", expr("add", '<parameter name="p"/>', f(0.1)))])
    text = DOC.format(body=f(0.1), data=data)
    with pytest.raises(OpenPSAError, match="parameter 'p' is defined through "
                                           "itself: p -> q -> p"):
        read_openpsa(io.StringIO(text))


@pytest.mark.parametrize("value, cls", [(-1.0, ValueError), (math.inf, ValueError),
                                        (math.nan, ValueError), ("8760", TypeError)])
def test_bad_mission_time(value, cls):
    with pytest.raises(cls, match="The 'mission_time' parameter of read_openpsa"):
        probability(f(0.1), mission_time=value)


# --- deviates -----------------------------------------------------------------

Z95 = 1.6448536269514722     # the standard normal 95th percentile


def component(body, data=""):
    model = read_openpsa(io.StringIO(DOC.format(body=body, data=data)))
    return model.components["e"]


def test_uniform_deviate_is_a_uniform():
    c = component(expr("uniform-deviate", f(0.01), f(0.03)))
    assert c.distribution == ss.Uniform(0.01, 0.03)
    assert c.unavailability == pytest.approx(0.02, rel=1e-12)


def test_beta_deviate_is_a_beta():
    c = component(expr("beta-deviate", f(2.0), f(998.0)))
    assert c.distribution == ss.Beta(2.0, 998.0)
    assert c.unavailability == pytest.approx(0.002, rel=1e-12)


@pytest.mark.parametrize("mean, ef, level, z", [
    (1e-3, 3.0, 0.95, Z95), (2e-4, 10.0, 0.95, Z95),
    (1e-3, 5.0, 0.9, 1.2815515655446004),
])
def test_lognormal_deviate_by_mean_and_error_factor(mean, ef, level, z):
    c = component(expr("lognormal-deviate", f(mean), f(ef), f(level)))
    sigma = math.log(ef) / z
    d = c.distribution
    assert isinstance(d, ss.LogNormal)
    assert d.sigma == pytest.approx(sigma, rel=1e-12)
    assert d.median == pytest.approx(mean * math.exp(-sigma**2 / 2), rel=1e-12)
    # The point value is the mean of the lognormal truncated to (0, 1]: the
    # MEF mean (SCRAM's point value) less E[X; X > 1], renormalised.
    mu = math.log(d.median)
    phi = NormalDist().cdf
    exact = mean * phi((-mu - sigma**2) / sigma) / phi(-mu / sigma)
    assert c.unavailability == pytest.approx(exact, rel=1e-9)
    assert c.unavailability == pytest.approx(mean, rel=1e-6)


def test_lognormal_deviate_far_from_one_keeps_scrams_mean():
    c = component(expr("lognormal-deviate", f(1e-3), f(3.0), f(0.95)))
    assert c.unavailability == pytest.approx(1e-3, rel=1e-12)


def test_lognormal_deviate_truncation_moves_a_heavy_mean():
    # mean 0.01, EF 10: P(X > 1) = 3.3e-5 before truncation; the mean drops
    # by E[X; X > 1], about 0.5%.
    c = component(expr("lognormal-deviate", f(0.01), f(10.0), f(0.95)))
    s = math.log(10.0) / Z95
    mu = math.log(0.01) - s * s / 2
    phi = NormalDist().cdf
    exact = 0.01 * phi((-mu - s * s) / s) / phi(-mu / s)
    assert c.unavailability == pytest.approx(exact, rel=1e-9)
    assert 0.99 < c.unavailability / 0.01 < 0.996


def test_lognormal_deviate_by_mu_and_sigma_as_scram():
    c = component(expr("lognormal-deviate", f(-7.0), f(0.5)))
    assert c.distribution == ss.LogNormal(math.exp(-7.0), 0.5)


@pytest.mark.parametrize("body, mean", [
    (expr("normal-deviate", f(0.01), f(0.001)), 0.01),
    (expr("gamma-deviate", f(2.0), f(0.001)), 0.002),
    (expr("histogram", f(0.0), expr("bin", f(0.1), f(1.0)),
          expr("bin", f(0.3), f(3.0))), (0.1 * 1 + 0.4 * 3) / 8),
])
def test_deviates_without_a_slosim_distribution_give_their_mean(body, mean):
    c = component(body)
    assert c.distribution is None
    assert c.unavailability == pytest.approx(mean, rel=1e-12)


def test_a_deviate_inside_an_expression_is_its_mean():
    data = param("rate", expr("lognormal-deviate", f(1e-4), f(3.0), f(0.95)))
    c = component(expr("exponential", '<parameter name="rate"/>',
                       "<system-mission-time/>"), data=data)
    assert c.distribution is None
    assert c.unavailability == pytest.approx(-math.expm1(-0.876), rel=1e-12)


def test_a_deviate_parameter_gives_each_event_its_distribution():
    data = param("q", expr("beta-deviate", f(1.0), f(99.0)))
    text = DOC.format(body='<parameter name="q"/>', data=data).replace(
        '<float value="0.1"/>', '<parameter name="q"/>')
    model = read_openpsa(io.StringIO(text))
    assert model.components["a"].distribution == ss.Beta(1.0, 99.0)
    assert model.components["e"].distribution == ss.Beta(1.0, 99.0)


@pytest.mark.parametrize("body, marker, fragment", [
    (expr("uniform-deviate", f(0.3), f(0.2)), "<uniform-deviate>",
     "the lower bound 0.3 must be below the upper bound 0.2"),
    (expr("lognormal-deviate", f(1e-3), f(1.0), f(0.95)), '<float value="1.0"',
     "the error factor is 1.0; it must be > 1"),
    (expr("lognormal-deviate", f(1e-3), f(3.0), f(1.0)), '<float value="1.0"',
     "the confidence level is 1.0; it must be in (0, 1)"),
    (expr("lognormal-deviate", f(1e-3)), "<lognormal-deviate>",
     "takes 2 or 3 arguments, not 1"),
    (expr("lognormal-deviate", f(0.3), f(10.0), f(0.95)), "<lognormal-deviate>",
     "basic event 'e': <lognormal-deviate> LogNormal("),
    (expr("beta-deviate", f(0.0), f(1.0)), '<float value="0.0"',
     "the shape alpha is 0.0; it must be > 0"),
    (expr("gamma-deviate", f(1.0), f(-1.0)), '<float value="-1.0"',
     "the scale theta is -1.0; it must be > 0"),
    (expr("normal-deviate", f(0.1), f(0.0)), '<float value="0.0"',
     "the standard deviation is 0.0; it must be > 0"),
    (expr("normal-deviate", f(2.0), f(0.1)), "<normal-deviate>",
     "its expression <normal-deviate> gives 2.0, not a probability"),
    (expr("histogram", f(0.2), expr("bin", f(0.1), f(1.0))), "<bin>",
     "the bounds must increase, but 0.1 follows 0.2"),
    (expr("histogram", f(0.0), expr("bin", f(0.1), f(-1.0))), '<float value="-1.0"',
     "the weight is -1.0; it must be >= 0"),
    (expr("histogram", f(0.0), expr("bin", f(0.1), f(0.0))), "<histogram>",
     "its weights sum to 0"),
    (expr("histogram", f(0.0)), "<histogram>", "takes a lower bound, then one or more"),
    (expr("histogram", f(0.0), expr("bin", f(0.1))), "<bin>",
     "<bin> in basic event 'e' takes an upper bound and a weight"),
])
def test_deviate_errors(body, marker, fragment):
    check_error(body, marker, fragment)


def test_a_distribution_outside_the_unit_interval():
    text = DOC.format(body=expr("uniform-deviate", f(0.5), f(2.0)), data="")
    with pytest.raises(OpenPSAError, match="basic event 'e': .*support is"):
        read_openpsa(io.StringIO(text))
