"""Burn-rate alerting (slosim.alerts): when rules fire and clear.

* Constant errors from a clean start against the closed forms: a rule with
  long window ``L``, burn rate ``b`` and SLO ``s`` fires after ``b (1 - s)
  L / e``, and, once the errors stop, clears when the errors left in its
  (shortest) window fall to the threshold, ``W (1 - b (1 - s) / e)`` after
  the end.
* A brute-force evaluator on a one-second grid, in integers (so exact),
  against the exact evaluator: identical at every evaluation when the rule
  is evaluated on the same grid, and every transition within a grid step
  in continuous time, for random step-function scenarios, single and
  multiwindow rules, strict and inclusive conditions and ``for`` clauses.
* The SRE Workbook's multiwindow burn rates and its printed numbers for
  its six alerting strategies (chapter "Alerting on SLOs").
* Scenarios (superposition, chaining, spikes, ramps, arrays), results
  (repr, JSON, pandas) and the errors for bad input.
"""

import datetime
from decimal import Decimal
from fractions import Fraction
import json
import math
import pickle
import sys

from hypothesis import assume, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.alerts import (
    AlertResult,
    AlertResults,
    BurnRateAlert,
    Scenario,
    ThresholdAlert,
    evaluate_alerts,
    multiwindow,
)

EPS = float(np.finfo(np.float64).eps)
PROPERTY = settings(max_examples=200, deadline=None)
DAY = 86400.0


def close(got, want, scale):
    """``got`` is ``want`` to rounding: a few ulps of the magnitudes involved."""
    return abs(got - want) <= 64 * EPS * scale


# -- constant errors: the closed forms ----------------------------------------------

slos = st.one_of(st.sampled_from([0.9, 0.99, 0.995, 0.999, 0.9995, 0.99999]),
                 st.floats(0.5, 0.99999))


@st.composite
def constant_cases(draw):
    """(slo, burn rate, threshold, error ratio, L, start): e above the threshold.

    The threshold takes ``1 - slo`` from the SLO's decimal form, as slosim
    does (in floats, ``1 - 0.9995`` loses 13 digits).
    """
    slo = draw(slos)
    burn = draw(st.floats(0.1, 1000.0))
    theta = burn * float(1 - Decimal(repr(slo)))
    assume(theta < 0.99)
    e = draw(st.one_of(st.just(1.0), st.floats(theta, 1.0)))
    assume(e > theta * (1 + 1e-9))
    long = draw(st.floats(1.0, 1e6))
    start = draw(st.one_of(st.just(0.0), st.floats(0.0, 1e6)))
    return slo, burn, theta, e, long, start


@PROPERTY
@given(constant_cases())
def test_constant_errors_fire_after_the_workbook_time(case):
    slo, burn, theta, e, long, start = case
    rule = BurnRateAlert(long, burn_rate=burn)
    res = evaluate_alerts(rule, slo, Scenario.constant(e, start=start))
    want = theta * long / e   # (1 - SLO) / error ratio * window * burn rate
    assert res.fire_seconds[0] > start
    assert close(res.detection_seconds, want, start + want)
    assert res.clear_seconds == (None,) and res.reset_time is None  # never ends
    # the budget spent by then: burn rate * window / period
    assert res.budget_consumed == pytest.approx(burn * long / (30 * DAY), rel=1e-12)


@PROPERTY
@given(constant_cases(), st.floats(1e-6, 20.0))
def test_constant_errors_clear_when_the_window_empties(case, longer):
    slo, burn, theta, e, long, start = case
    fire = theta * long / e
    duration = fire * (1 + longer)      # long enough to fire
    rule = BurnRateAlert(long, burn_rate=burn)
    res = evaluate_alerts(rule, slo, Scenario.constant(e, start=start, duration=duration))
    assert len(res.fire_seconds) == 1
    assert close(res.detection_seconds, fire, start + fire)
    # e * (L - u) = threshold * L: the errors left in the window
    assert close(res.reset_seconds, long * (1 - theta / e), start + duration + long)
    if e == 1.0:
        assert close(res.reset_seconds, long * (1 - burn * float(1 - Decimal(repr(slo)))),
                     start + duration + long)


@PROPERTY
@given(constant_cases(), st.floats(1e-6, 20.0), st.floats(0.01, 1.0))
def test_multiwindow_constant_errors_clear_with_the_short_window(case, longer, share):
    slo, burn, theta, e, long, start = case
    short = long * share
    fire = theta * long / e
    duration = fire * (1 + longer)
    rule = BurnRateAlert(long, short, burn_rate=burn)
    res = evaluate_alerts(rule, slo, Scenario.constant(e, start=start, duration=duration))
    assert len(res.fire_seconds) == 1
    assert close(res.detection_seconds, fire, start + fire)
    assert close(res.reset_seconds, short * (1 - theta / e), start + duration + long)


@PROPERTY
@given(constant_cases(), st.floats(0.0, 5.0))
def test_a_for_clause_delays_the_fire(case, hold_share):
    slo, burn, theta, e, long, start = case
    hold = long * hold_share
    res = evaluate_alerts(BurnRateAlert(long, burn_rate=burn, for_=hold), slo,
                          Scenario.constant(e, start=start))
    assert close(res.detection_seconds, theta * long / e + hold, start + long * 6)


def test_a_window_at_the_threshold_is_a_tie():
    # 14.4 x (1 - 0.999) is exactly 0.0144: never above, and at it from 1h on
    at = Scenario.constant(0.0144)
    assert not evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4), 0.999, at).fired
    res = evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4, inclusive=True), 0.999, at)
    assert res.fire_seconds == (3600.0,) and res.clear_seconds == (None,)
    # a touch: the window's ratio reaches the threshold at one instant
    touch = Scenario.constant(0.0144, duration="1h")
    res = evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4, inclusive=True), 0.999, touch)
    assert res.episodes == [(datetime.timedelta(hours=1), datetime.timedelta(hours=1))]
    assert not evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4), 0.999, touch).fired


# -- a brute-force evaluator on a grid ------------------------------------------------


@st.composite
def grid_cases(draw):
    """A step-function scenario in whole seconds and thousandths of error ratio,
    and a rule on whole-second windows with a threshold b (1 - s)."""
    start = draw(st.integers(0, 300))
    ratios = st.one_of(st.sampled_from([0, 1, 6, 10, 144, 150, 500, 1000]),
                       st.integers(0, 1000))
    pieces = draw(st.lists(st.tuples(st.integers(1, 400), ratios), min_size=1, max_size=6))
    long = draw(st.integers(2, 900))
    short = draw(st.one_of(st.none(), st.integers(1, long)))
    slo = draw(st.sampled_from(["0.9", "0.99", "0.995", "0.999"]))
    burn = draw(st.one_of(st.sampled_from([1, 6, 10, 144, 150]), st.integers(1, 500)))
    inclusive = draw(st.booleans())
    hold = draw(st.sampled_from([0, 0, 0, 1, 7, 60]))
    step = draw(st.sampled_from([1, 1, 2, 5]))
    return start, pieces, long, short, slo, burn, inclusive, hold, step


def grid_condition(start, pieces, windows, threshold, inclusive, horizon):
    """The rule's condition at t = 0, 1, ..., horizon, in integers: the
    errors of each one-second cell summed over each window."""
    cells = np.zeros(horizon, dtype=np.int64)   # thousandths, one per second
    t = start
    for length, milli in pieces:
        cells[t:t + length] = milli
        t += length
    before = np.concatenate([[0], np.cumsum(cells)])   # errors before t
    k = np.arange(horizon + 1)
    holds = np.ones(horizon + 1, dtype=bool)
    for w in windows:
        errors = before[k] - before[np.maximum(k - w, 0)]
        lhs = errors * threshold.denominator
        rhs = threshold.numerator * w * 1000
        holds &= (lhs >= rhs) if inclusive else (lhs > rhs)
    return holds


def grid_episodes(holds, hold, step):
    """(fire, clear) as an evaluator every ``step`` seconds sees them: pending
    at the first evaluation that holds, firing at the first one at least
    ``hold`` seconds later if it still holds, cleared at the first that
    fails; the last value holds for ever."""
    holds = holds[::step]
    out, k, n = [], 0, len(holds)
    while k < n:
        if not holds[k]:
            k += 1
            continue
        first = k
        while k < n and holds[k]:
            k += 1
        last = None if k == n else k - 1
        fire = first + -(-hold // step)
        if last is None or fire <= last:
            out.append((float(fire * step), None if last is None else float((last + 1) * step)))
    return out


def build(case):
    start, pieces, long, short, slo, burn, inclusive, hold, step = case
    times = [start]
    for length, _ in pieces:
        times.append(times[-1] + length)
    scenario = Scenario(times, [m / 1000 for _, m in pieces])
    rule = BurnRateAlert(long, short, burn_rate=float(burn), for_=hold, inclusive=inclusive)
    threshold = Fraction(burn) * (1 - Fraction(Decimal(slo)))
    horizon = times[-1] + long + 2 * step
    windows = (long,) if short is None else (long, short)
    holds = grid_condition(start, pieces, windows, threshold, inclusive, horizon)
    return scenario, rule, float(Decimal(slo)), holds


@PROPERTY
@given(grid_cases())
def test_evaluated_on_a_grid_it_is_the_brute_force(case):
    scenario, rule, slo, holds = build(case)
    hold, step = case[-2:]
    res = evaluate_alerts(rule, slo, scenario, evaluation_interval=step)
    got = list(zip(res.fire_seconds, res.clear_seconds))
    assert got == grid_episodes(holds, hold, step)


@PROPERTY
@given(grid_cases())
def test_in_continuous_time_it_agrees_with_the_brute_force_within_a_step(case):
    case = case[:-2] + (0, 1)   # the continuous for-clause is checked above
    scenario, rule, slo, holds = build(case)
    res = evaluate_alerts(rule, slo, scenario)
    episodes = list(zip(res.fire_seconds, res.clear_seconds))
    # sampled at every second, the exact episodes are the brute force
    k = np.arange(len(holds), dtype=np.float64)
    sampled = np.zeros(len(holds), dtype=bool)
    for fire, clear in episodes:
        clear = math.inf if clear is None else clear
        sampled |= (fire <= k) & (k <= clear) if rule.inclusive else (fire < k) & (k < clear)
    assert np.array_equal(sampled, holds)
    # every change the grid sees happens less than a step before it
    fires = np.flatnonzero(holds[1:] & ~holds[:-1]) + 1
    clears = np.flatnonzero(~holds[1:] & holds[:-1]) + 1
    for k, times in ((fires, res.fire_seconds),
                     (clears, [c for c in res.clear_seconds if c is not None])):
        for step in k:
            assert any(step - 1 <= t <= step for t in times), (step, times)


def test_the_grid_misses_what_the_continuous_time_sees():
    # 100% errors for 0.7 s: the 10-minute rule at 0.1% fires after 0.6 s of them
    # and clears when 0.6 s are left in its window...
    spike = Scenario.constant(1.0, start=0.2, duration=0.7)
    rule = BurnRateAlert("10m", burn_rate=1)
    res = evaluate_alerts(rule, 0.999, spike)
    assert res.fire_seconds == (pytest.approx(0.8, rel=1e-15),)
    assert res.clear_seconds == (pytest.approx(600.3, rel=1e-15),)
    # ...and an evaluator every 30 s sees it from 30 s to 630 s
    res = evaluate_alerts(rule, 0.999, spike, evaluation_interval="30s")
    assert list(zip(res.fire_seconds, res.clear_seconds)) == [(30.0, 630.0)]
    # a dip between two evaluations is not seen: one episode, not two
    dip = Scenario([0, 100, 105, 200], [1.0, 0.0, 1.0])
    rule = ThresholdAlert("1s", error_ratio=0.5)
    assert len(evaluate_alerts(rule, 0.999, dip).fire_seconds) == 2
    res = evaluate_alerts(rule, 0.999, dip, evaluation_interval="30s")
    assert list(zip(res.fire_seconds, res.clear_seconds)) == [(30.0, 210.0)]


# -- the SRE Workbook ---------------------------------------------------------------


@pytest.mark.parametrize("period, rates", [
    ("30d", (14.4, 6.0, 1.0)),
    ("28d", (13.44, 5.6, 14 / 15)),
])
def test_multiwindow_burn_rates(period, rates):
    rules = multiwindow(slo=0.999, period=period)
    assert tuple(r.burn_rate for r in rules) == rates   # exact: the nearest floats
    assert [(r.long, r.short) for r in rules] == [(3600.0, 300.0), (21600.0, 1800.0),
                                                   (3 * DAY, 21600.0)]
    assert [r.severity for r in rules] == ["page", "page", "ticket"]
    assert [r.name for r in rules] == ["page 1h/5m", "page 6h/30m", "ticket 3d/6h"]
    # the share of the budget: 2%, 5%, 10% of the period
    assert [r.budget_share(period) for r in rules] == [0.02, 0.05, 0.1]
    days = Fraction(period[:-1])
    assert rules[2].threshold(0.999, exact=True) == days / 30 / 1000


def test_multiwindow_warns_when_a_rule_cannot_fire():
    # the Workbook: at 90%, a full outage spends only 1.4% of the budget in an hour
    with pytest.warns(ss.SlosimWarning, match=r"'page 1h/5m' can never fire .* 1\.39%"):
        rules = multiwindow(slo=0.9)
    outage = Scenario.constant(1.0)
    assert not evaluate_alerts(rules[0], 0.9, outage).fired
    assert evaluate_alerts(rules[1], 0.9, outage).fired


SLO = 0.999
OUTAGE = Scenario.constant(1.0, duration="3d")    # 100% errors, long enough


def workbook_detection(error_ratio, window, burn_rate=1.0):
    """The Workbook: (1 - SLO) / error ratio * alerting window size * burn rate."""
    return (1 - SLO) / error_ratio * window * burn_rate


def test_workbook_strategy_1_target_error_rate():
    rule = BurnRateAlert("10m", burn_rate=1, inclusive=True)    # error rate >= 0.1%
    res = evaluate_alerts(rule, SLO, OUTAGE)
    assert res.detection_seconds == pytest.approx(0.6, rel=1e-15)     # "0.6 seconds"
    assert res.detection_seconds == pytest.approx(workbook_detection(1.0, 600))
    # a 0.1% error rate for 10 minutes alerts, having spent window / period of
    # the budget ("only 0.02%")
    res = evaluate_alerts(rule, SLO, Scenario.constant(0.001, duration="10m"))
    assert res.fired and res.budget_consumed == pytest.approx(600 / (30 * DAY))
    assert round(100 * res.budget_consumed, 2) == 0.02


def test_workbook_strategy_2_increased_window():
    rule = BurnRateAlert("36h", burn_rate=1)
    res = evaluate_alerts(rule, SLO, OUTAGE)
    assert res.detection_seconds == pytest.approx(workbook_detection(1.0, 36 * 3600))
    assert round(res.detection_seconds) == 130                     # "2 minutes and 10 seconds"
    assert res.budget_consumed == pytest.approx(0.05)               # 5% of the budget
    assert res.reset_seconds == pytest.approx(36 * 3600 * (1 - 0.001))  # "the next 36 hours"


def test_workbook_strategy_3_alert_duration():
    rule = BurnRateAlert("1m", burn_rate=1, for_="1h")
    full = evaluate_alerts(rule, SLO, OUTAGE)
    small = evaluate_alerts(rule, SLO, Scenario.constant(0.002, duration="3d"))
    # "a 100% outage alerts after one hour, the same detection time as a 0.2% outage"
    assert full.detection_seconds == pytest.approx(3600 + 0.06)
    assert small.detection_seconds == pytest.approx(3600 + 30)
    assert round(full.budget_consumed, 2) == 1.39                   # "140%"
    # spikes that reset the timer: 100% for 5 minutes every 10, never an alert
    spikes = Scenario.spikes(1.0, duration="5m", every="10m", count=3)
    assert not evaluate_alerts(rule, SLO, spikes).fired
    assert round(spikes.budget_consumed(SLO), 2) == 0.35            # "35%"
    assert Scenario.constant(1.0, duration="5m").budget_consumed(SLO) == pytest.approx(
        5 / 43.2)                                                   # "almost 12%"


def test_workbook_strategy_4_burn_rate():
    rule = BurnRateAlert("1h", burn_rate=36)    # 5% of a 30-day budget in an hour
    assert rule.budget_share("30d") == 0.05
    res = evaluate_alerts(rule, SLO, OUTAGE)
    assert res.detection_seconds == pytest.approx(workbook_detection(1.0, 3600, 36))
    assert res.budget_consumed == pytest.approx(36 * 3600 / (30 * DAY))   # burn * window / period
    assert round(res.reset_seconds / 60) == 58                      # "58 minutes"
    # "a 35x burn rate never alerts, but consumes all of the budget in 20.5 hours"
    leak = Scenario.constant(35 * (1 - Fraction("0.999")))
    assert not evaluate_alerts(rule, SLO, leak).fired
    hours = leak.budget_exhausted_at(SLO).total_seconds() / 3600
    assert hours == pytest.approx(720 / 35) and math.floor(hours * 2) / 2 == 20.5


@pytest.mark.parametrize("burn, days", [(1, 30), (2, 15), (10, 3), (1000, 0.03)])
def test_workbook_table_of_burn_rates(burn, days):
    at = Scenario.constant(burn * 0.001).budget_exhausted_at(SLO)
    assert at.total_seconds() == pytest.approx(days * DAY)         # 1,000: "43 minutes"


def test_workbook_strategy_5_multiple_burn_rates():
    rules = [BurnRateAlert(r.long, burn_rate=r.burn_rate, severity=r.severity)
             for r in multiwindow()]
    res = evaluate_alerts(rules, SLO, OUTAGE)
    for rule, r in zip(rules, res.values()):
        assert r.detection_seconds == pytest.approx(
            workbook_detection(1.0, rule.long, rule.burn_rate))
        assert r.reset_seconds == pytest.approx(rule.long * (1 - rule.burn_rate * 0.001))
    assert [round(r.budget_consumed, 6) for r in res.values()] == [0.02, 0.05, 0.1]


def test_workbook_strategy_6_multiwindow():
    rules = multiwindow(slo=SLO)
    res = evaluate_alerts(rules, SLO, OUTAGE)
    for rule, r in zip(rules, res.values()):
        assert r.detection_seconds == pytest.approx(
            workbook_detection(1.0, rule.long, rule.burn_rate))
        assert r.reset_seconds == pytest.approx(rule.short * (1 - rule.burn_rate * 0.001))
    # "ceasing to fire five minutes later, rather than one hour later"
    assert round(res["page 1h/5m"].reset_seconds / 60) == 5
    # 15% errors for 10 minutes: the long window crosses after "5 minutes",
    # the short one "immediately"; the alert stops "5 minutes after the errors
    # stop", the long window alone "60 minutes after"
    burst = Scenario.constant(0.15, duration="10m")
    page = evaluate_alerts(rules[0], SLO, burst)
    assert page.detection_seconds == pytest.approx(0.0144 * 3600 / 0.15)   # 5m45.6s
    assert page.reset_seconds == pytest.approx(300 * (1 - 0.0144 / 0.15))   # 4m31.2s
    short = evaluate_alerts(BurnRateAlert("5m", burn_rate=14.4), SLO, burst)
    long = evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4), SLO, burst)
    assert short.detection_seconds == pytest.approx(28.8)
    assert long.reset_seconds == pytest.approx(3600 - 0.0144 * 3600 / 0.15)  # 54m14.4s


def test_workbook_extreme_availability_goals():
    # 99.999%: a full outage exhausts a month's budget in 26 seconds; 1% of
    # users in 43 minutes
    assert Scenario.constant(1.0).budget_exhausted_at(0.99999).total_seconds() == 25.92
    assert Scenario.constant(0.01).budget_exhausted_at(0.99999).total_seconds() == 2592.0


# -- scenarios ----------------------------------------------------------------------


def test_scenario_from_arrays():
    s = Scenario(np.array([0.0, 60.0, 120.0, 180.0]), np.array([0.5, 0.0, 0.25]))
    assert s.pieces == ((0, 60, Fraction(1, 2)), (120, 180, Fraction(1, 4)))
    assert s.times.tolist() == [0.0, 60.0, 120.0, 180.0]
    assert s.error_ratios.tolist() == [0.5, 0.0, 0.25]
    assert (s.start, s.end) == (0.0, 180.0)
    assert s.error_ratio([0, 59.9, 60, 130, 180, -1]).tolist() == [0.5, 0.5, 0, 0.25, 0, 0]
    endless = Scenario(["1h", "2h", math.inf], [0.1, 0.2])
    assert endless.end == math.inf and endless.pieces[-1] == (7200, None, Fraction(1, 5))
    assert endless.times.tolist() == [3600.0, 7200.0, math.inf]
    assert Scenario([], []).pieces == () and repr(Scenario([], [])) == "Scenario(no errors)"
    mixed = Scenario([datetime.timedelta(minutes=1), "2m", 180], [0.1, 0.1])
    assert mixed == Scenario.constant(0.1, start="1m", duration="2m")


def test_scenario_superposition_and_chaining():
    a = Scenario.constant(0.1, start="1h", duration="2h")
    b = Scenario.spikes(0.2, duration="10m", every="1h", count=4)
    assert a + b == b + a
    total = a + b
    assert total.error_ratio([300, 3700, 4500, 7500, 11000]).tolist() == pytest.approx(
        [0.2, 0.3, 0.1, 0.3, 0.2])
    assert total.budget_consumed(0.99) == pytest.approx(
        a.budget_consumed(0.99) + b.budget_consumed(0.99), rel=1e-15)
    chained = a.then(b)
    assert chained.start == 3600.0 and chained.end == 3 * 3600 + 3 * 3600 + 600
    assert chained == a + b.shift("3h")
    assert a.then(Scenario([], [])) == a and Scenario([], []).then(a) == a
    # exact: 0.1 + 0.2 is 0.3, so it ties with a 0.3 threshold
    third = Scenario.constant(0.1) + Scenario.constant(0.2)
    assert third.pieces == ((0, None, Fraction(3, 10)),)


step_scenarios = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50), st.integers(0, 100)),
                         min_size=0, max_size=5).map(
    lambda ps: sum((Scenario.constant(m / 1000, start=s, duration=d) for s, d, m in ps),
                   Scenario([], [])))


@PROPERTY
@given(step_scenarios, step_scenarios, st.lists(st.floats(0, 120), max_size=20))
def test_superposition_adds_the_error_ratios(a, b, t):
    total = a + b
    assert total == b + a
    assert total.error_ratio(t).tolist() == pytest.approx(
        (a.error_ratio(t) + b.error_ratio(t)).tolist(), abs=1e-15)
    for x, y in zip(total.pieces, total.pieces[1:]):   # canonical: sorted, merged
        assert x[1] <= y[0] and (x[1] < y[0] or x[2] != y[2])


def test_ramp_and_spikes():
    ramp = Scenario.ramp(0.05, duration="5h", steps=5, start="1h")
    assert ramp.error_ratios.tolist() == [0.01, 0.02, 0.03, 0.04, 0.05]
    assert ramp.times.tolist() == [3600.0 * k for k in range(1, 7)]
    spikes = Scenario.spikes(1.0, duration="5m", every="5m", count=3)
    assert spikes == Scenario.constant(1.0, duration="15m")


@PROPERTY
@given(st.lists(st.tuples(st.integers(1, 100), st.integers(0, 1000)), min_size=1,
                max_size=6),
       st.floats(0.0, 800.0), st.integers(1, 300))
def test_window_ratio_in_floats_matches_the_exact_sums(pieces, t, window):
    times = np.concatenate([[0], np.cumsum([p[0] for p in pieces])])
    s = Scenario(times, [p[1] / 1000 for p in pieces])
    exact = Fraction(0)
    lo, hi = Fraction(t) - window, Fraction(t)
    for a, b, r in s.pieces:
        exact += r * max(Fraction(0), min(b, hi) - max(a, lo))
    assert s.window_ratio(t, window) == pytest.approx(float(exact / window), abs=1e-12)


def test_scenarios_pickle_and_hash():
    s = Scenario.ramp(0.3, duration="1h") + Scenario.constant(0.1, start="2h")
    assert pickle.loads(pickle.dumps(s)) == s and hash(s) == hash(pickle.loads(pickle.dumps(s)))
    with pytest.raises(AttributeError, match="immutable"):
        s.x = 1


# -- rules --------------------------------------------------------------------------


def test_rules_read_their_numbers_exactly():
    rule = BurnRateAlert("1h", "5m", burn_rate=14.4)
    assert rule.threshold(0.999, exact=True) == Fraction(144, 10000)
    assert rule.threshold(0.999) == 0.0144
    assert BurnRateAlert("1h", burn_rate=Fraction(1, 3)).threshold(0.9, exact=True) == \
        Fraction(1, 30)
    assert BurnRateAlert("1h", burn_rate=Decimal("0.5")).burn_rate == 0.5
    t = ThresholdAlert("10m", error_ratio=0.001)
    assert t.threshold(exact=True) == Fraction(1, 1000) and t.threshold(0.5) == 0.001
    assert t.name == "page 10m > 0.001" and t.windows == (600.0,)


def test_rule_names_reprs_and_equality():
    rule = BurnRateAlert("6h", "30m", burn_rate=6, severity="ticket", for_="2m",
                         inclusive=True)
    assert rule.name == "ticket 6h/30m for 2m"
    assert repr(rule) == ("BurnRateAlert('6h', '30m', burn_rate=6.0, severity='ticket', "
                          "for_='2m', inclusive=True)")
    named = BurnRateAlert("1h", burn_rate=14.4, name="fast burn")
    assert named.name == "fast burn" and "name='fast burn'" in repr(named)
    assert BurnRateAlert("1h", burn_rate=14.4) == BurnRateAlert(3600, burn_rate=14.4)
    assert BurnRateAlert("1h", burn_rate=14.4) != BurnRateAlert("1h", burn_rate=14.5)
    assert BurnRateAlert("1h", burn_rate=1) != ThresholdAlert("1h", error_ratio=1)
    for r in (rule, named, ThresholdAlert("10m", "1m", error_ratio=0.01)):
        assert pickle.loads(pickle.dumps(r)) == r
        assert hash(pickle.loads(pickle.dumps(r))) == hash(r)
    with pytest.raises(AttributeError, match="immutable"):
        rule.burn_rate = 2


def test_threshold_alert_and_results_by_rule():
    rules = [ThresholdAlert("10m", error_ratio=0.01), BurnRateAlert("10m", burn_rate=10)]
    with pytest.raises(ValueError, match="another name="):
        evaluate_alerts(rules + [ThresholdAlert("10m", error_ratio=0.01)], 0.999,
                        Scenario.constant(0.5))
    res = evaluate_alerts(rules, 0.999, Scenario.constant(0.5, duration="1h"))
    a, b = res[rules[0]], res[rules[1]]
    assert a is res["page 10m > 0.01"] and b is res["page 10m"]
    assert a.fire_seconds == b.fire_seconds == (12.0,)
    with pytest.raises(KeyError, match="rules are: 'page 10m > 0.01', 'page 10m'"):
        res["nope"]


# -- results ------------------------------------------------------------------------


def results_for(**kw):
    scenario = (Scenario.spikes(1.0, duration="5m", every="30m", count=15)
                + Scenario.constant(0.002, start="1d"))
    return evaluate_alerts(multiwindow() + (BurnRateAlert("1m", burn_rate=1),), 0.999,
                           scenario, **kw)


@pytest.mark.parametrize("kw", [{}, {"evaluation_interval": "1m"}])
def test_results_contract(kw):
    res = results_for(**kw)
    assert isinstance(res, AlertResults) and len(res) == 4 and list(res)[0] == "page 1h/5m"
    text = repr(res)
    assert len(text.splitlines()) == 6 and "errors from 0s on" in text
    d = res.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["budget_consumed"] is None and d["errors_end"] is None
    for r in res.values():
        assert isinstance(r, AlertResult)
        assert len(repr(r).splitlines()) <= 13
        rd = r.to_dict()
        assert json.loads(json.dumps(rd, allow_nan=False)) == rd
    flappy = res["page 1h/5m"]
    assert len(flappy.fire_seconds) == 15 and "... 5 more" in repr(flappy)
    assert flappy.reset_time is None    # the 0.2% errors never end
    with pytest.raises(Exception, match="cannot assign"):
        flappy.rule = "x"


def test_results_times_are_timedeltas():
    res = evaluate_alerts(BurnRateAlert("1h", "5m", burn_rate=14.4), 0.999,
                          Scenario.constant(1.0, start="1h", duration="10m"))
    assert res.fire_time == datetime.timedelta(hours=1, seconds=51.84)
    assert res.clear_time == datetime.timedelta(hours=1, minutes=14, seconds=55.68)
    assert res.episodes == [(res.fire_time, res.clear_time)]
    assert res.detection_time == datetime.timedelta(seconds=51.84)
    assert res.reset_time == datetime.timedelta(seconds=295.68)
    never = evaluate_alerts(BurnRateAlert("1h", burn_rate=14.4), 0.999,
                            Scenario.constant(0.01))
    assert (never.fired, never.fire_time, never.detection_time, never.reset_time,
            never.budget_consumed, never.episodes) == (False, None, None, None, None, [])
    assert repr(never) == "AlertResult(rule='page 1h', never fires)"


def test_reset_time_is_negative_when_the_alert_clears_before_the_errors_end():
    scenario = Scenario.constant(1.0, duration="10m").then(Scenario.constant(0.001,
                                                                             duration="1h"))
    res = evaluate_alerts(BurnRateAlert("1h", "5m", burn_rate=14.4), 0.999, scenario)
    assert res.reset_seconds == pytest.approx(295.68 + 300 * 0.001 / (1 - 0.0144) - 3600,
                                              abs=1.0)
    assert res.reset_time < datetime.timedelta(0) and "reset=-" in repr(res)


def test_results_frames():
    pd = pytest.importorskip("pandas")
    res = results_for()
    frame = res.to_frame()
    assert list(frame.index) == list(res)
    assert frame.loc["page 1h/5m", "episodes"] == 15
    assert frame.loc["page 1h/5m", "detection_time"] == pd.Timedelta(seconds=51.84)
    assert pd.isna(frame.loc["page 1h/5m", "reset_time"])
    episodes = res["page 1h/5m"].to_frame()
    assert list(episodes.index) == list(range(1, 16))
    # the long window still holds the first spike: the short one decides
    assert episodes["fire"].iloc[1] == pd.Timedelta(minutes=30, seconds=4.32)


def test_to_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install"):
        results_for().to_frame()


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("make, error, match", [
    (lambda: BurnRateAlert("1h", burn_rate=0), ValueError,
     r"The 'burn_rate' parameter of BurnRateAlert must be a positive finite number\. Got 0"),
    (lambda: BurnRateAlert("1h", burn_rate=-1.0), ValueError, "'burn_rate'"),
    (lambda: BurnRateAlert("1h", burn_rate=math.nan), ValueError, "'burn_rate'"),
    (lambda: BurnRateAlert("1h", burn_rate=math.inf), ValueError, "'burn_rate'"),
    (lambda: BurnRateAlert("1h", burn_rate="14.4"), TypeError, "'burn_rate'"),
    (lambda: BurnRateAlert("1h", burn_rate=True), TypeError, "'burn_rate'"),
    (lambda: BurnRateAlert("5m", "1h", burn_rate=1), ValueError,
     r"The 'short' parameter of BurnRateAlert must be a window no longer than the long "
     r"window \(5m\)\. Got '1h' instead"),
    (lambda: BurnRateAlert("-1h", burn_rate=1), ValueError, "'long' parameter"),
    (lambda: BurnRateAlert(0, burn_rate=1), ValueError, "'long' parameter"),
    (lambda: BurnRateAlert("1h", "0s", burn_rate=1), ValueError, "'short' parameter"),
    (lambda: BurnRateAlert("1h", burn_rate=1, for_=-60), ValueError, "'for_' parameter"),
    (lambda: BurnRateAlert("1h", burn_rate=1, severity=""), TypeError, "'severity'"),
    (lambda: BurnRateAlert("1h", burn_rate=1, severity=3), TypeError, "'severity'"),
    (lambda: BurnRateAlert("1h", burn_rate=1, name=" "), TypeError, "'name'"),
    (lambda: BurnRateAlert("1h", burn_rate=1, inclusive=1), TypeError, "'inclusive'"),
    (lambda: ThresholdAlert("10m", error_ratio=1.5), ValueError,
     r"'error_ratio' parameter of ThresholdAlert must be an error ratio in \(0, 1\]"),
    (lambda: ThresholdAlert("10m", error_ratio=0), ValueError, "'error_ratio'"),
    (lambda: multiwindow(slo=1.0), ValueError, "'slo' parameter of multiwindow"),
    (lambda: multiwindow(period="0d"), ValueError, "'period' parameter of multiwindow"),
    (lambda: BurnRateAlert("1h", burn_rate=1).threshold(1.2), ValueError, "'slo'"),
    (lambda: Scenario([0, 10], [1.2]), ValueError,
     r"The 'error_ratios\[0\]' parameter of Scenario must be an error ratio in \[0, 1\]"),
    (lambda: Scenario([0, 10], [-0.1]), ValueError, r"'error_ratios\[0\]'"),
    (lambda: Scenario([0, 10], [math.nan]), ValueError, r"'error_ratios\[0\]'"),
    (lambda: Scenario([0, 10], ["0.1"]), TypeError, r"'error_ratios\[0\]'"),
    (lambda: Scenario([0, 10, 5], [0.1, 0.1]), ValueError,
     r"'times\[2\]' parameter of Scenario must be a time after times\[1\]"),
    (lambda: Scenario([0, 10], [0.1, 0.2]), ValueError, "one more time than error ratios"),
    (lambda: Scenario(["-1h", 0], [0.1]), ValueError, r"'times\[0\]'"),
    (lambda: Scenario([math.inf], []), ValueError, r"'times\[0\]'"),
    (lambda: Scenario([0, math.inf, 10], [0.1, 0.1]), ValueError, r"'times\[1\]'"),
    (lambda: Scenario.constant(1.5), ValueError, "'error_ratio' parameter of Scenario.constant"),
    (lambda: Scenario.constant(0.5, duration=0), ValueError, "'duration'"),
    (lambda: Scenario.constant(0.5, start="-1h"), ValueError, "'start'"),
    (lambda: Scenario.spikes(1.0, duration="10m", every="5m", count=2), ValueError,
     r"'every' parameter of Scenario.spikes must be a duration no shorter than the "
     r"spikes' \(10m\)"),
    (lambda: Scenario.spikes(1.0, duration="1m", every="5m", count=0), ValueError, "'count'"),
    (lambda: Scenario.ramp(1.0, duration="1h", steps=0), ValueError, "'steps'"),
    (lambda: Scenario.constant(0.6) + Scenario.constant(0.5, start="1h"), ValueError,
     "superposing these scenarios gives an error ratio of 1.1 from 1h on"),
    (lambda: Scenario.constant(0.6).then(Scenario.constant(0.1)), ValueError,
     "never end"),
    (lambda: Scenario.constant(0.6).then(0.1), TypeError, "'other'"),
    (lambda: Scenario.constant(0.6).shift("-1h"), ValueError, "'delay'"),
])
def test_bad_input_is_refused_with_the_standard_message(make, error, match):
    with pytest.raises(error, match=match):
        make()


RULE = BurnRateAlert("1h", burn_rate=14.4)
S = Scenario.constant(1.0, duration="1h")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"slo": 1.0}, ValueError,
     r"The 'slo' parameter of evaluate_alerts must be a float in the range \(0, 1\)\. "
     r"Got 1\.0 instead"),
    ({"slo": 0}, ValueError, "'slo'"),
    ({"slo": "0.999"}, TypeError, "'slo'"),
    ({"scenario": [0, 1]}, TypeError, "'scenario' parameter of evaluate_alerts"),
    ({"rules": []}, ValueError, "'rules' parameter of evaluate_alerts"),
    ({"rules": "page"}, TypeError, "'rules'"),
    ({"rules": [RULE, "x"]}, TypeError, r"'rules\[1\]'"),
    ({"rules": [RULE, BurnRateAlert(3600, burn_rate=6)]}, ValueError,
     r"'rules\[1\]' parameter of evaluate_alerts must be a rule whose name is not that "
     r"of rules\[0\] \('page 1h'\)"),
    ({"period": "-30d"}, ValueError, "'period'"),
    ({"evaluation_interval": 0}, ValueError, "'evaluation_interval'"),
])
def test_bad_evaluation_input(kwargs, error, match):
    args = {"rules": RULE, "slo": 0.999, "scenario": S} | kwargs
    with pytest.raises(error, match=match):
        evaluate_alerts(**args)


def test_exports():
    assert ss.BurnRateAlert is BurnRateAlert and ss.Scenario is Scenario
    assert ss.evaluate_alerts is evaluate_alerts and ss.alerts.multiwindow is multiwindow
    assert ss.results.AlertResults is AlertResults
    assert {"BurnRateAlert", "Scenario", "evaluate_alerts"} <= set(ss.__all__)
