"""The cost functions of target allocation (slosim.cost).

Each built-in is checked against its formula in r, with ``1 - r`` written
as ``q = 10**-n``, evaluated in ``Decimal`` at 120 digits (mpmath is not
available). The reference slope and curvature are central differences of
that reference value, at 120 digits with a step 1e-20 of the cost's local
scale: truncation ~1e-40 and rounding ~1e-80 relative, so the reference
depends on nothing but the formula in r, and in particular not on the
analytic derivatives the code uses. The float results must agree within
the first-order propagation of their inputs' roundings (derived per cost
below), times a safety factor of 4.

The convexity claims are checked, not asserted: on random parameters, the
reference second difference is positive and the float curvature is >= 0.
"""

from decimal import Decimal, localcontext
import math
import pickle

from hypothesis import assume, given, settings, strategies as st
import numpy as np
import pytest

from slosim.cost import Cost, CostStack, exponential, feasibility, per_nine

EPS = float(np.finfo(np.float64).eps)
FMAX = Decimal(float(np.finfo(np.float64).max))
PREC = 120
#: The reference differences' step, relative to the cost's local scale.
STEP = Decimal("1e-20")
#: Relative error of the reference itself (difference truncation ~1e-40).
REF_RTOL = 1e-30

PROPERTY = settings(max_examples=150, deadline=None)


# -- references in Decimal -----------------------------------------------------------


def _dec(x):
    return Decimal(float(x))


def ref_per_nine(a):
    # c(r) = -a log10(1 - r)
    return lambda q: -_dec(a) * q.log10()


def ref_exponential(alpha, beta):
    # c(r) = alpha exp(beta / (1 - r))
    return lambda q: _dec(alpha) * (_dec(beta) / q).exp()


def ref_feasibility(f, r_min, r_max):
    # c(r) = exp((1 - f) (r - r_min) / (r_max - r)), with r_min and r_max read
    # through their shortest decimal form (as the docstring says)
    k = 1 - _dec(f)
    lo, hi = Decimal(repr(float(r_min))), Decimal(repr(float(r_max)))
    return lambda q: (k * ((1 - q) - lo) / (hi - (1 - q))).exp()


def reference(cost_of_q, n, scale):
    """(value, slope, curvature) at float ``n`` of the Decimal cost ``cost_of_q``,
    the derivatives by central differences with step ``STEP * scale``."""
    with localcontext(prec=PREC):
        n = _dec(n)
        h = STEP * Decimal(scale)
        c = [cost_of_q(Decimal(10) ** -(n + i * h)) for i in (-1, 0, 1)]
        return c[1], (c[2] - c[0]) / (2 * h), (c[2] - 2 * c[1] + c[0]) / (h * h)


def assert_close(got, ref, rtol):
    """``got`` (float) within ``rtol`` of ``ref`` (Decimal) relative, or both
    beyond the float range."""
    if abs(ref) > FMAX:
        assert got == math.copysign(math.inf, ref)
        return
    ref = float(ref)
    assert math.isfinite(got)
    assert abs(got - ref) <= (rtol + REF_RTOL) * abs(ref) + 1e-300, (got, ref, rtol)


# -- strategies ----------------------------------------------------------------------


def log_uniform(lo, hi):
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)


fractions_01 = st.one_of(st.sampled_from([0.0, 1e-12, 0.5, 1.0]), st.floats(0.0, 1.0))


@st.composite
def feasibility_params(draw):
    """(f, r_min, r_max): f in [0, 1), 0 <= r_min < r_max <= 1, from 1 - 1e-15
    to 0 (r_max = 1 one time in five)."""
    f = draw(st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.999999]),
                       st.floats(0.0, 1.0, exclude_max=True)))
    m_max = draw(st.floats(0.05, 15.0))
    r_max = 1.0 if draw(st.integers(0, 4)) == 0 else 1.0 - 10.0**-m_max
    r_min = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda w: w * r_max),
                           st.floats(0.0, 1.0).map(lambda w: 1.0 - 10.0**-(w * m_max))))
    assume(r_min < r_max)
    q_min, q_max = (float(1 - Decimal(repr(r))) for r in (r_min, r_max))
    assume(q_min > q_max)
    return f, r_min, r_max


def feasibility_nines(f, r_min, r_max, x):
    """The nines at which feasibility's exponent is about ``x`` (solved in the
    test: q = (k q_min + x q_max) / (k + x))."""
    k = 1.0 - f
    q_min, q_max = (float(1 - Decimal(repr(r))) for r in (r_min, r_max))
    return float(-np.log10((k * q_min + x * q_max) / (k + x))) + 0.0


exponents = st.one_of(st.just(0.0), log_uniform(1e-12, 600.0), st.floats(0.0, 600.0))


def feasibility_scale(f, r_min, r_max, n):
    """The local scale in nines of feasibility at n: 1 / (ln10 (1 + q/t) (1 + x))."""
    q = 10.0**-n
    q_min, q_max = (float(1 - Decimal(repr(r))) for r in (r_min, r_max))
    t = q - q_max
    if t <= 0:  # at the pole, to float precision: no scale (tests assume one)
        return 0.0, q, t, math.inf, q_min, q_max
    x = (1 - f) * (q_min - q) / t
    return 1.0 / (math.log(10) * (1 + q / t) * (1 + abs(x))), q, t, x, q_min, q_max


# -- each built-in against its formula ----------------------------------------------


@PROPERTY
@given(a=log_uniform(1e-6, 1e6), n=st.one_of(st.floats(0.0, 300.0), st.sampled_from(
    [0.0, 1.0, 6.0, 12.0, 300.0])).filter(lambda n: n == 0 or n > 1e-60))
def test_per_nine_matches_its_formula(a, n):
    # (n > 1e-60: 120 digits hold q = 10**-n only that far from 1)
    cost = per_nine(a)
    value, slope, curvature = reference(ref_per_nine(a), n, 1.0)
    # value a*n: one rounding; slope a: exact; curvature 0 exactly
    assert_close(cost.value(n), value, EPS)
    assert_close(cost.slope(n), slope, 0.0)
    assert abs(curvature) < 1e-60 * (1 + a * n) and cost.curvature(n) == 0.0


@PROPERTY
@given(alpha=log_uniform(1e-6, 1e6), beta=log_uniform(1e-9, 10.0), w=fractions_01)
def test_exponential_matches_its_formula(alpha, beta, w):
    n = w * math.log10(600.0 / beta)  # u = beta 10**n in [beta, 600]
    cost = exponential(alpha, beta)
    u = beta * 10.0**n
    value, slope, curvature = reference(ref_exponential(alpha, beta), n,
                                        1.0 / (math.log(10) * (1 + u)))
    # q = 10**-n within 1 ulp, u = beta / q within 2.5 ulp, so e**u within
    # 2.5 eps u, and the factors alpha ln10 u (1 + u) add a few roundings
    rtol = 4 * EPS * (2.5 * u + 6)
    assert_close(cost.value(n), value, rtol)
    assert_close(cost.slope(n), slope, rtol)
    assert_close(cost.curvature(n), curvature, rtol)


def feasibility_rtol(f, r_min, r_max, n):
    """First-order error of feasibility in float at n nines (relative).

    The exponent x = k (q_min - q) / t, t = q - q_max, takes the roundings
    of q = 10**-n (1 ulp: eps q absolute), of q_min and q_max (eps / 2 each)
    and of k = 1 - f (eps / 2), so its absolute error is within
    2 eps (|x| (1 + q/t) + k (q + q_min) / t); that is the relative error of
    e**x. The slope's and curvature's factors k D ln10 q / t**2 and
    (q + q_max) / t add about eps (1 + q/t) each, and D = q_min - q_max
    carries eps (q_min + q_max) / D.
    """
    _, q, t, x, q_min, q_max = feasibility_scale(f, r_min, r_max, n)
    k = 1.0 - f
    d = q_min - q_max
    err = (2 * EPS * (abs(x) * (1 + q / t) + k * (q + q_min) / t)
           + 4 * EPS * (1 + q / t) + EPS * (q_min + q_max) / d + 4 * EPS)
    return 4 * err


@PROPERTY
@given(params=feasibility_params(), x=exponents)
def test_feasibility_matches_its_formula(params, x):
    f, r_min, r_max = params
    n = feasibility_nines(f, r_min, r_max, x)
    cost = feasibility(f, r_min, r_max)
    low, high = cost.domain
    assume(low <= n < high)
    scale, *_ = feasibility_scale(f, r_min, r_max, n)
    assume(scale > 1e-12)  # the reference's step stays well inside the domain
    value, slope, curvature = reference(ref_feasibility(f, r_min, r_max), n, scale)
    rtol = feasibility_rtol(f, r_min, r_max, n)
    assert_close(cost.value(n), value, rtol)
    assert_close(cost.slope(n), slope, rtol)
    assert_close(cost.curvature(n), curvature, rtol)


@PROPERTY
@given(params=feasibility_params(), x=exponents)
def test_feasibility_is_convex_in_nines(params, x):
    # the claim convex=True, checked: the reference second difference (from
    # the formula in r alone) is positive, and so is the float curvature
    f, r_min, r_max = params
    n = feasibility_nines(f, r_min, r_max, x)
    cost = feasibility(f, r_min, r_max)
    assume(cost.domain[0] <= n < cost.domain[1])
    scale, *_ = feasibility_scale(f, r_min, r_max, n)
    assume(scale > 1e-12)
    assert cost.convex
    assert reference(ref_feasibility(f, r_min, r_max), n, scale)[2] > 0
    assert cost.curvature(n) > 0


# -- the same at availability r ------------------------------------------------------


@PROPERTY
@given(r=st.one_of(st.just(0.0), st.floats(1e-60, 0.5), st.floats(0.5, 1.0, exclude_max=True),
                   st.floats(1.0, 15.0).map(lambda m: 1.0 - 10.0**-m)))
def test_call_and_derivative_match_the_formula_in_r(r):
    # (r > 1e-60: 120 digits hold 1 - r only that far from 1)
    # r is exact; 1 - r is exact for r >= 1/2 and within eps/2 below, so
    # the costs take only a few roundings more than their values in nines
    costs = [
        (per_nine(2.5), lambda r: -Decimal("2.5") * (1 - r).log10(), 8 * EPS),
        (exponential(3.0, 1e-13), lambda r: 3 * (Decimal(1e-13) / (1 - r)).exp(), None),
    ]
    with localcontext(prec=PREC):
        rd = _dec(r)
        for cost, formula, rtol in costs:
            exact = formula(rd)
            if rtol is None:  # exponential: e**u with u = beta / (1 - r)
                rtol = 4 * EPS * (2.5 * float(Decimal(1e-13) / (1 - rd)) + 6)
            h = STEP * (1 - rd) ** 2
            slope = (formula(rd + h) - formula(rd - h)) / (2 * h)
            if r == 0.0:  # the formula is defined only for r >= 0
                slope = (formula(rd + h) - formula(rd)) / h
            assert_close(cost(r), exact, rtol)
            assert_close(cost.derivative(r), slope, rtol + 1e-12 * (r == 0.0))


def test_feasibility_at_availability_r():
    cost = feasibility(0.5, 0.99, 0.9999)
    # about e**49 (r - r_min = 0.0098, r_max - r = 0.0001), at the float r;
    # 1 - r is exact, so the error is that of the exponent 49: a few eps
    with localcontext(prec=PREC):
        r = _dec(0.9998)
        x = Decimal("0.5") * (r - Decimal("0.99")) / (Decimal("0.9999") - r)
        exact = x.exp()
        slope = Decimal("0.5") * Decimal("0.0099") / (Decimal("0.9999") - r) ** 2 * exact
    assert 48.9 < x < 49.1
    assert_close(cost(0.9998), exact, 8 * EPS * 51)
    assert_close(cost.derivative(0.9998), slope, 8 * EPS * 51)
    assert cost(0.99) == pytest.approx(1.0, abs=1e-13)
    assert cost(0.9999) == math.inf
    assert np.isnan(cost(0.98)) and np.isnan(cost(0.99995))


def test_vectorised_over_arrays():
    cost = feasibility(0.5, 0.9, 0.99999)
    n = np.array([[1.0, 2.0], [3.0, 4.0]])
    for method in (cost.value, cost.slope, cost.curvature):
        out = method(n)
        assert out.shape == (2, 2) and out.dtype == np.float64
        assert out[1, 0] == method(3.0)
    assert isinstance(cost.value(2.0), float)
    r = np.array([0.9, 0.99, 0.999])
    assert cost(r).shape == (3,) and cost.derivative(r)[1] == cost.derivative(0.99)
    assert per_nine(1.0).value([1, 2]).tolist() == [1.0, 2.0]


# -- float finite differences of the methods ------------------------------------------


def assert_difference_agrees(f, df, n, h, rel_err):
    """``df(n)`` against the central difference of ``f`` at ``n``.

    The difference with step h errs by truncation C h**2 and by rounding,
    at most rel_err max|f| / h (f's relative error over the step). The
    truncation is estimated from the differences at h and 2h, which differ
    by 3 C h**2 (Richardson): their difference bounds it with room to spare.
    """
    def central(step):
        return (f(n + step) - f(n - step)) / (2 * step)

    d1, d2 = central(h), central(2 * h)
    fmax = max(abs(f(n + s)) for s in (-2 * h, -h, h, 2 * h))
    tol = abs(d1 - d2) + 4 * rel_err * fmax / h
    assert abs(df(n) - d1) <= tol, (df(n), d1, tol)


@PROPERTY
@given(alpha=log_uniform(1e-3, 1e3), beta=log_uniform(1e-6, 1.0), w=fractions_01)
def test_exponential_derivatives_are_differences(alpha, beta, w):
    n = 0.01 + w * math.log10(300.0 / beta)
    u = beta * 10.0**n
    cost = exponential(alpha, beta)
    h = 1e-3 / (math.log(10) * (1 + u))
    rel_err = 4 * EPS * (2.5 * u + 6)
    assert_difference_agrees(cost.value, cost.slope, n, h, rel_err)
    assert_difference_agrees(cost.slope, cost.curvature, n, h, rel_err)


@PROPERTY
@given(params=feasibility_params(), x=st.floats(0.01, 300.0))
def test_feasibility_derivatives_are_differences(params, x):
    f, r_min, r_max = params
    n = feasibility_nines(f, r_min, r_max, x)
    cost = feasibility(f, r_min, r_max)
    scale, *_ = feasibility_scale(f, r_min, r_max, n)
    assume(cost.domain[0] + 2e-3 * scale <= n and scale > 1e-9)
    h = 1e-3 * scale
    rel_err = max(feasibility_rtol(f, r_min, r_max, n + s) for s in (-2 * h, 2 * h))
    assert_difference_agrees(cost.value, cost.slope, n, h, rel_err)
    assert_difference_agrees(cost.slope, cost.curvature, n, h, rel_err)


def test_per_nine_derivatives_are_differences():
    cost = per_nine(3.0)
    for n in (0.5, 3.0, 12.0):
        assert_difference_agrees(cost.value, cost.slope, n, 1e-3, EPS)
        assert_difference_agrees(cost.slope, cost.curvature, n, 1e-3, EPS)


# -- precision at high availability ----------------------------------------------------


def test_per_nine_keeps_every_nine():
    cost = per_nine(1.0)
    assert cost.value(12.0) == 12.0
    assert cost.value(300.0) == 300.0
    assert cost(1 - 1e-12) == pytest.approx(12.0, rel=1e-4)  # r itself keeps 4 digits of q
    assert cost(0.5) == pytest.approx(math.log10(2), rel=4 * EPS)
    assert cost(1e-300) == pytest.approx(1e-300 / math.log(10), rel=4 * EPS)  # log1p


def test_feasibility_keeps_its_digits_near_r_max():
    # where the exponent is 600, r_max - r is 1.7e-8; computed in r, from
    # r = 1 - 10**-n, it would carry the spacing of floats near 1 (1.1e-16),
    # a relative error 7e-9 that the exponent multiplies by 600; in q-space
    # the cost keeps its digits
    f, r_min, r_max = 0.999, 0.99, 0.999999999
    cost = feasibility(f, r_min, r_max)
    assert cost.domain == (2.0, 9.0)
    n = feasibility_nines(f, r_min, r_max, 600.0)
    scale, *_ = feasibility_scale(f, r_min, r_max, n)
    value, slope, curvature = reference(ref_feasibility(f, r_min, r_max), n, scale)
    rtol = feasibility_rtol(f, r_min, r_max, n)
    assert rtol < 1e-11
    assert_close(cost.value(n), value, rtol)
    assert_close(cost.slope(n), slope, rtol)
    assert_close(cost.curvature(n), curvature, rtol)
    r = 1.0 - 10.0**-n
    in_r = math.exp((1 - f) * (r - r_min) / (r_max - r))
    assert abs(in_r / float(value) - 1) > 1e-9  # what q-space saves
    assert cost.value(9.0) == math.inf and np.isnan(cost.value(9.0 + 1e-12))


def test_overflow_is_inf_silently():
    # filterwarnings = error: any overflow warning would fail this test
    e = exponential(1.0, 1.0)
    for method in (e.value, e.slope, e.curvature):
        assert method(3.0) == math.inf and method(400.0) == math.inf
        assert method(math.inf) == math.inf
    assert e(1.0) == math.inf and e.derivative(1.0) == math.inf
    # a tiny scale keeps a product that exp alone would overflow
    assert exponential(1e-300, 1.0).value(math.log10(750.0)) == pytest.approx(
        math.exp(750.0 - 300 * math.log(10)), rel=1e-12)
    fz = feasibility(0.0, 0.0, 1.0)
    for method in (fz.value, fz.slope, fz.curvature):
        assert method(20.0) == math.inf and method(400.0) == math.inf
        assert method(math.inf) == math.inf
    assert fz(1.0) == math.inf and fz.derivative(1.0) == math.inf
    assert per_nine(1.0)(1.0) == math.inf and per_nine(1.0).value(math.inf) == math.inf


def test_outside_the_domain_is_nan():
    cost = feasibility(0.5, 0.9, 0.999)
    assert cost.domain == (1.0, 3.0)
    for method in (cost.value, cost.slope, cost.curvature):
        assert np.isnan(method(0.5)) and np.isnan(method(3.5)) and np.isnan(method(np.nan))
        assert method(3.0) == math.inf
    for c in (per_nine(1.0), exponential(1.0, 1.0)):
        assert c.domain == (0.0, math.inf)
        assert np.isnan(c.value(-1.0)) and np.isnan(c(-0.5)) and np.isnan(c(1.5))
    assert feasibility(0.5, 0.0, 1.0).domain == (0.0, math.inf)


# -- convexity claims, on a grid ------------------------------------------------------


def test_convex_costs_have_nonnegative_curvature(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        a, alpha = 10.0 ** rng.uniform(-6, 6, size=2)
        beta = 10.0 ** rng.uniform(-9, 1)
        r_max = 1.0 - 10.0 ** -rng.uniform(0.1, 15)
        r_min = r_max * rng.uniform()
        f = rng.uniform()
        costs = [per_nine(a), exponential(alpha, beta), feasibility(f, r_min, r_max),
                 feasibility(f, r_min, 1.0)]
        for cost in costs:
            low, high = cost.domain
            n = np.linspace(low, min(high, low + 30.0), 257)[:-1]
            curvature = cost.curvature(n)
            assert cost.convex
            assert not np.isnan(curvature).any()
            assert (curvature >= 0).all(), (cost, n[curvature < 0])


def test_the_curvature_sees_a_concave_cost():
    # sqrt(n) is concave in nines: the finite-difference curvature says so
    root = Cost(lambda r: np.sqrt(-np.log10(1 - r)),
                lambda r: 1 / (2 * np.sqrt(-np.log10(1 - r)) * (1 - r) * np.log(10)))
    assert not root.convex
    assert (root.curvature(np.linspace(0.5, 10.0, 20)) < 0).all()


# -- increasing_on ----------------------------------------------------------------------


def test_builtins_increase_on_their_domain():
    assert per_nine(0.1).increasing_on(0.0, 300.0)
    e = exponential(2.0, 1e-3)
    assert e.increasing_on(0.0, math.log10(600 / 1e-3))
    # past u ~ 700 the slope overflows to +inf: still increasing
    assert e.slope(300.0) == math.inf and e.increasing_on(0.0, 300.0)
    for f, r_min, r_max in [(0.0, 0.0, 1.0), (0.5, 0.9, 0.99999), (0.999, 0.999, 0.9999)]:
        cost = feasibility(f, r_min, r_max)
        low, high = cost.domain
        n_high = feasibility_nines(f, r_min, r_max, 600.0)  # e**600: finite
        assert cost.increasing_on(low, n_high, points=1001)
        assert not cost.increasing_on(low - 0.5, n_high)  # nan below r_min
        if high < math.inf:  # up to the pole, where the slope overflows
            assert cost.increasing_on(low, np.nextafter(high, 0), points=1001)
            assert cost.increasing_on(low, high)
            assert not cost.increasing_on(low, high + 0.1)  # nan past r_max


def test_increasing_on_refuses_decreasing_and_nan_slopes():
    falling = Cost(lambda r: 1 - r, lambda r: -np.ones_like(r))
    assert not falling.increasing_on(0.5, 6.0)
    flat = Cost(lambda r: np.zeros_like(r), lambda r: np.zeros_like(r))
    assert not flat.increasing_on(0.5, 6.0)
    gap = Cost(lambda r: r, lambda r: np.where(r < 0.999, 1.0, np.nan))
    assert gap.increasing_on(0.1, 2.9)
    assert not gap.increasing_on(0.1, 6.0)
    falls_late = Cost(lambda r: r, lambda r: np.where(r < 0.999, 1.0, -np.inf))
    assert not falls_late.increasing_on(0.1, 6.0)
    assert per_nine(1.0).increasing_on(2.0, 2.0)


@pytest.mark.parametrize("args, error, match", [
    ((0.0, math.inf), ValueError, r"The 'n_high' parameter of increasing_on must be a "
     r"float in the range \(-inf, inf\)\. Got inf instead\."),
    ((math.nan, 1.0), ValueError, r"The 'n_low' parameter of increasing_on"),
    (("0", 1.0), TypeError, r"The 'n_low' parameter of increasing_on must be a float"),
    ((2.0, 1.0), ValueError, r"The 'n_low' and 'n_high' parameters of increasing_on "
     r"must satisfy n_low <= n_high\. Got n_low=2\.0 and n_high=1\.0 instead\."),
    ((0.0, 1.0, 1), ValueError, r"The 'points' parameter of increasing_on must be an "
     r"int in the range \[2, inf\]\. Got 1 instead\."),
    ((0.0, 1.0, 2.5), TypeError, r"The 'points' parameter of increasing_on"),
])
def test_increasing_on_checks_its_arguments(args, error, match):
    with pytest.raises(error, match=match):
        per_nine(1.0).increasing_on(*args)


# -- parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("make, error, match", [
    (lambda: per_nine(-1), ValueError, r"^The 'a' parameter of per_nine must be a float "
     r"in the range \(0, inf\)\. Got -1 instead\.$"),
    (lambda: per_nine(0.0), ValueError, r"'a' parameter of per_nine .* Got 0\.0 instead"),
    (lambda: per_nine(math.inf), ValueError, r"'a' parameter of per_nine .* Got inf"),
    (lambda: per_nine("1"), TypeError, r"^The 'a' parameter of per_nine must be a float "
     r"in the range \(0, inf\)\. Got '1' instead\.$"),
    (lambda: per_nine(True), TypeError, r"'a' parameter of per_nine"),
    (lambda: exponential(0, 1), ValueError, r"^The 'alpha' parameter of exponential must "
     r"be a float in the range \(0, inf\)\. Got 0 instead\.$"),
    (lambda: exponential(1, -2.0), ValueError, r"^The 'beta' parameter of exponential "
     r"must be a float in the range \(0, inf\)\. Got -2\.0 instead\.$"),
    (lambda: exponential(1, math.nan), ValueError, r"'beta' parameter of exponential"),
    (lambda: exponential(None, 1), TypeError, r"'alpha' parameter of exponential"),
    (lambda: feasibility(1.0, 0.9, 0.99), ValueError, r"^The 'f' parameter of feasibility "
     r"must be a float in the range \[0, 1\)\. Got 1\.0 instead\.$"),
    (lambda: feasibility(-0.1, 0.9, 0.99), ValueError, r"'f' parameter of feasibility"),
    (lambda: feasibility(0.5, -0.1, 0.99), ValueError, r"^The 'r_min' parameter of "
     r"feasibility must be a float in the range \[0, 1\)\. Got -0\.1 instead\.$"),
    (lambda: feasibility(0.5, 1.0, 1.0), ValueError, r"'r_min' parameter of feasibility"),
    (lambda: feasibility(0.5, 0.9, 1.5), ValueError, r"^The 'r_max' parameter of "
     r"feasibility must be a float in the range \(0, 1\]\. Got 1\.5 instead\.$"),
    (lambda: feasibility(0.5, 0.0, 0.0), ValueError, r"'r_max' parameter of feasibility"),
    (lambda: feasibility(0.5, 0.99, 0.9), ValueError, r"^The 'r_min' and 'r_max' "
     r"parameters of feasibility must satisfy r_min < r_max \(the cost is defined for "
     r"r_min <= r < r_max\)\. Got r_min=0\.99 and r_max=0\.9 instead\.$"),
    (lambda: feasibility(0.5, 0.99, 0.99), ValueError, r"r_min=0\.99 and r_max=0\.99"),
    (lambda: feasibility(0.5, 1e-17, 2e-17), ValueError, r"must differ by more than the "
     r"float resolution of 1 - r\. Got r_min=1e-17 and r_max=2e-17 instead"),
    (lambda: feasibility("0.5", 0.9, 0.99), TypeError, r"'f' parameter of feasibility"),
    (lambda: Cost(3, abs), TypeError, r"^The 'function' parameter of Cost must be a "
     r"callable of the availability r\. Got 3 instead\.$"),
    (lambda: Cost(abs, None), TypeError, r"^The 'derivative' parameter of Cost must be a "
     r"callable of the availability r\. Got None instead\.$"),
    (lambda: Cost(abs, abs, convex="yes"), TypeError, r"^The 'convex' parameter of Cost "
     r"must be a bool\. Got 'yes' instead\.$"),
    (lambda: Cost(abs, abs, name=3), TypeError, r"^The 'name' parameter of Cost must be "
     r"None or a str\. Got 3 instead\.$"),
    (lambda: Cost(abs, abs, True), TypeError, r"positional argument"),
])
def test_bad_parameters_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_parameters_accept_numpy_and_ints():
    assert per_nine(np.float32(2.0)).value(1.0) == 2.0
    assert exponential(1, 1) == exponential(1.0, 1.0)
    assert feasibility(0, 0, 1).domain == (0.0, math.inf)


# -- repr, immutability, pickling, equality --------------------------------------------


def nines_squared(r):
    return np.log10(1 - r) ** 2


def nines_squared_derivative(r):
    return -2 * np.log10(1 - r) / ((1 - r) * np.log(10))


def test_reprs_read_as_the_call():
    assert repr(per_nine(1.0)) == "per_nine(1.0)"
    assert repr(per_nine(2)) == "per_nine(2.0)"
    assert repr(exponential(2.0, 0.001)) == "exponential(2.0, 0.001)"
    assert repr(feasibility(0.5, 0.99, 0.9999)) == "feasibility(0.5, 0.99, 0.9999)"
    assert (repr(Cost(nines_squared, nines_squared_derivative))
            == "Cost(<function nines_squared>, <function nines_squared_derivative>)")
    assert (repr(Cost(lambda r: r, np.sqrt, convex=True, name="db"))
            == "Cost(<function <lambda>>, <function sqrt>, convex=True, name='db')")
    assert "\n" not in repr(Cost(np.vectorize(abs), abs))


def test_costs_are_immutable():
    user = Cost(nines_squared, nines_squared_derivative)
    for cost in (per_nine(1.0), exponential(1.0, 1.0), feasibility(0.5, 0.9, 0.99), user):
        with pytest.raises(AttributeError):
            cost.convex = False
        with pytest.raises(AttributeError, match="immutable"):
            cost._name = "x"
        with pytest.raises(AttributeError, match="immutable"):
            cost.extra = 1
        with pytest.raises(AttributeError, match="immutable"):
            del cost._convex
    assert per_nine(1.0).name == "per_nine" and user.name is None


@pytest.mark.parametrize("cost", [per_nine(1.5), exponential(2.0, 1e-3),
                                  feasibility(0.7, 0.9, 0.99999), feasibility(0.0, 0.0, 1.0)],
                         ids=repr)
def test_builtins_pickle(cost):
    back = pickle.loads(pickle.dumps(cost))
    assert back == cost and hash(back) == hash(cost) and repr(back) == repr(cost)
    assert back.domain == cost.domain and back.convex == cost.convex
    n = np.linspace(cost.domain[0], min(cost.domain[1], 8.0), 50)[:-1]
    for method in ("value", "slope", "curvature"):
        np.testing.assert_array_equal(getattr(back, method)(n), getattr(cost, method)(n))


def test_equality_is_by_value_for_builtins_and_identity_for_user_costs():
    assert per_nine(1.0) == per_nine(1.0) and per_nine(1.0) != per_nine(2.0)
    assert per_nine(1.0) != exponential(1.0, 1.0)
    assert len({feasibility(0.5, 0.9, 0.99), feasibility(0.5, 0.9, 0.99)}) == 1
    a = Cost(nines_squared, nines_squared_derivative)
    assert a == a and a != Cost(nines_squared, nines_squared_derivative)
    back = pickle.loads(pickle.dumps(Cost(nines_squared, nines_squared_derivative,
                                          convex=True, name="sq")))
    assert back.convex and back.name == "sq" and back.value(3.0) == pytest.approx(9.0)


# -- a user's cost --------------------------------------------------------------------


def test_user_cost_from_lambdas():
    # c(r) = (-log10(1 - r))**2 = n**2: slope 2n, curvature 2 (log1p keeps
    # the digits of 1 - r at small r, where 1 - r itself would round)
    cost = Cost(lambda r: (-np.log1p(-r) / np.log(10)) ** 2,
                lambda r: -2 * np.log1p(-r) / ((1 - r) * np.log(10) ** 2), convex=True)
    n = np.array([0.0, 1e-7, 0.5, 1.0, 3.0, 6.0, 9.0, 12.0])
    # value and slope inherit the rounding of r = 1 - 10**-n, which keeps
    # 1 - r to eps / 2 absolute: eps 10**n relative (and n carries 2 ulp)
    rtol = 2 * EPS * np.maximum(1.0, 10**n) + 4 * EPS
    assert (abs(cost.value(n) - n**2) <= 2 * rtol * n**2).all()
    assert (abs(cost.slope(n) - 2 * n) <= rtol * 2 * n).all()
    # the documented accuracy of the difference: (eps 10**n)**(2/3), here
    # with a factor 10 (the step is within a factor ~3 of the optimum)
    rtol = 10 * (EPS * np.maximum(1.0, 10**n)) ** (2 / 3)
    assert (abs(cost.curvature(n) - 2.0) <= 2.0 * rtol).all(), cost.curvature(n)
    assert cost.curvature(0.0) == pytest.approx(2.0, rel=1e-8)  # one-sided at 0
    assert cost.convex and cost.domain == (0.0, math.inf)
    assert cost(0.999) == pytest.approx(9.0, rel=1e-12)
    assert cost.increasing_on(1e-3, 14.0)


def test_user_cost_curvature_matches_the_analytic_one():
    # c(r) = 1 / (1 - r) = 10**n: curvature ln10**2 10**n
    cost = Cost(lambda r: 1 / (1 - r), lambda r: 1 / (1 - r) ** 2)
    for n in (0.2, 1.0, 4.0, 8.0):
        exact = math.log(10) ** 2 * 10**n
        assert cost.curvature(n) == pytest.approx(exact, rel=10 * (EPS * 10**n) ** (2 / 3))


def test_user_cost_of_scalar_functions():
    # math.log10 fails on an array: the cost calls it element by element
    cost = Cost(lambda r: -math.log10(1 - r), lambda r: 1 / ((1 - r) * math.log(10)))
    np.testing.assert_allclose(cost.value(np.array([1.0, 2.0, 4.0])), [1.0, 2.0, 4.0],
                               rtol=1e-11)
    np.testing.assert_allclose(cost.slope([[1.0], [2.0]]), [[1.0], [1.0]], rtol=1e-11)
    assert cost.value(np.array([3.0])).shape == (1,)
    assert cost(0.99) == pytest.approx(2.0) and cost.derivative(0.9) == pytest.approx(
        10 / math.log(10))
    # a constant derivative is broadcast
    assert Cost(lambda r: r, lambda r: 1.0).slope([1.0, 2.0]).shape == (2,)


def test_user_cost_of_the_wrong_shape_is_refused():
    cost = Cost(lambda r: np.zeros(3), lambda r: np.zeros(3))
    with pytest.raises(ValueError, match=r"the function of Cost\(.*\) returned an array "
                       r"of shape \(3,\) for availabilities of shape \(2,\)"):
        cost.value([1.0, 2.0])
    with pytest.raises(ValueError, match=r"the derivative of Cost"):
        cost.derivative([0.5, 0.9])


def test_user_cost_errors_propagate():
    def broken(r):
        raise ZeroDivisionError("no")

    with pytest.raises(ZeroDivisionError):
        Cost(broken, broken).value([1.0, 2.0])


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_a_stack_evaluates_each_cost_as_it_would_alone(data):
    """Built-ins of one kind are evaluated together, with arrays of their
    parameters; every entry equals the cost's own value, to the bit."""
    kinds = [
        lambda: per_nine(data.draw(st.floats(0.1, 10))),
        lambda: exponential(data.draw(st.floats(0.1, 10)), data.draw(st.floats(1e-6, 1e-2))),
        lambda: feasibility(data.draw(st.floats(0, 0.99)), 0.99, 0.99999),
        lambda: Cost(lambda r: -np.log10(1 - r), lambda r: 1 / ((1 - r) * math.log(10))),
    ]
    costs = [data.draw(st.sampled_from(kinds))() for _ in range(data.draw(st.integers(1, 12)))]
    n = np.array([data.draw(st.floats(2.0, 4.9)) for _ in costs])
    stack = CostStack(costs)
    for method in ("value", "slope", "curvature"):
        alone = np.array([getattr(c, method)(x) for c, x in zip(costs, n.tolist())])
        np.testing.assert_array_equal(getattr(stack, method)(n), alone, err_msg=method)


def test_a_stack_checks_its_input():
    with pytest.raises(TypeError, match=r"costs\[1\] must be a slosim.cost.Cost"):
        CostStack([per_nine(1.0), 2.0])
    with pytest.raises(ValueError, match=r"n must have one entry per cost \(2\)"):
        CostStack([per_nine(1.0), per_nine(2.0)]).value([1.0])
    assert per_nine(2.5).parameters == (2.5,)
    assert feasibility(0.5, 0.99, 0.999).parameters == (0.5, 0.99, 0.999)
