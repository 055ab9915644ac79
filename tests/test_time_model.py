"""Behaviour over time in the model: durations, rates, time distributions,
components with up and down times or incident classes, timed shocks, and
what the existing engines read from them (the long-run mean error ratio)."""

import datetime
import math
import pickle

from hypothesis import given, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim._validation import duration_seconds, format_duration, rate_per_second
from slosim.model import LogNormal, TimeBehaviour, lower

DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0


@pytest.mark.parametrize("text, seconds", [
    ("30d", 30 * DAY), ("6h", 6 * HOUR), ("5m", 5 * MINUTE), ("90s", 90.0),
    ("1h30m", 1.5 * HOUR), ("1.5h", 1.5 * HOUR), (" 2w ", 14 * DAY), ("0.25s", 0.25),
    ("1e3s", 1000.0), ("1d 12h", 1.5 * DAY),
    (datetime.timedelta(hours=2, seconds=3), 7203.0), (45, 45.0), (0.5, 0.5),
])
def test_durations(text, seconds):
    assert duration_seconds(text, "d", "f") == seconds


@pytest.mark.parametrize("value, error", [
    ("", ValueError), ("30", ValueError), ("-5m", ValueError), ("0s", ValueError),
    ("5x", ValueError), ("h", ValueError), ("5 minutes", ValueError),
    (datetime.timedelta(0), ValueError), (datetime.timedelta(hours=-1), ValueError),
    (float("nan"), ValueError), (float("inf"), ValueError), (-1, ValueError),
    (0, ValueError), (True, TypeError), (None, TypeError), ([1], TypeError),
])
def test_bad_durations_name_the_parameter(value, error):
    with pytest.raises(error, match="'window' parameter of f must be a positive duration"):
        duration_seconds(value, "window", "f")


def test_zero_duration_when_allowed():
    assert duration_seconds("0s", "d", "f", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="non-negative duration"):
        duration_seconds("-1s", "d", "f", allow_zero=True)


@given(st.integers(0, 10**8), st.sampled_from([0.0, 0.25, 0.5]))
def test_format_duration_round_trips(seconds, fraction):
    value = seconds + fraction
    if value == 0:
        assert format_duration(0) == "0s"
        return
    assert duration_seconds(format_duration(value), "d", "f") == value


@pytest.mark.parametrize("text, per_second", [
    ("2/30d", 2 / (30 * DAY)), ("10/h", 10 / HOUR), ("1/365d", 1 / (365 * DAY)),
    ("0.5/ 5m", 0.5 / 300), ("3/1h30m", 3 / 5400), (0.1, 0.1),
])
def test_rates(text, per_second):
    assert rate_per_second(text, "r", "f") == pytest.approx(per_second, rel=1e-15)


@pytest.mark.parametrize("value, error", [
    ("2", ValueError), ("0/h", ValueError), ("-1/h", ValueError), ("1/0s", ValueError),
    ("a/h", ValueError), ("1/x", ValueError), (0, ValueError), (-0.5, ValueError),
    (float("inf"), ValueError), (True, TypeError), (None, TypeError),
])
def test_bad_rates(value, error):
    with pytest.raises(error, match="'rate' parameter of f must be a positive rate"):
        rate_per_second(value, "rate", "f")


# -- distributions of durations ---------------------------------------------------


DURATIONS = [ss.Exponential("1h"), ss.Weibull(0.7, "2h"), ss.Weibull(3.0, "30m"),
             LogNormal.from_median("40m", 3), ss.Fixed("20m")]


@pytest.mark.parametrize("d", DURATIONS, ids=repr)
def test_duration_distributions_are_consistent(d, seed):
    # ppf inverts cdf; the sample has the stated mean and variance
    u = np.linspace(0.001, 0.999, 41)
    if not isinstance(d, ss.Fixed):
        assert d.cdf(d.ppf(u)) == pytest.approx(u, rel=1e-9)
    n = 200_000
    x = d.sample(n, rng=seed)
    assert np.all(x > 0)
    # the sample mean within 6 standard errors (a 2e-9 chance of failing)
    assert abs(x.mean() - d.mean) <= 6 * d.std / math.sqrt(n) + 1e-9 * d.mean
    if d.var > 0:
        # the variance's own error from the fourth moment
        m4 = np.mean((x - x.mean()) ** 4)
        assert abs(x.var() - d.var) <= 6 * math.sqrt((m4 - x.var() ** 2) / n)
    assert type(d)(*d.args) == d and hash(type(d)(*d.args)) == hash(d)
    assert pickle.loads(pickle.dumps(d)) == d


def test_known_moments():
    assert ss.Exponential("1h").mean == 3600 and ss.Exponential("1h").var == 3600 ** 2
    w = ss.Weibull(2.0, 100.0)
    assert w.mean == pytest.approx(100 * math.sqrt(math.pi) / 2, rel=1e-15)
    assert w.var == pytest.approx(100 ** 2 * (1 - math.pi / 4), rel=1e-13)
    assert ss.Weibull(1.0, "1h").mean == pytest.approx(3600, rel=1e-15)
    ln = LogNormal.from_median("40m", 3)
    assert ln.upper is None and ln.median == 2400 and ln.support == (0.0, math.inf)
    assert ln.mean == pytest.approx(2400 * math.exp(ln.sigma ** 2 / 2), rel=1e-14)
    assert float(ln.ppf(0.95)) == pytest.approx(7200, rel=1e-12)


def test_lognormal_truncation_is_kept_for_probabilities():
    # the default truncation at 1 is unchanged; upper=None has none
    p = LogNormal(1e-3, 1.0)
    assert p.upper == 1.0 and p.args == (1e-3, 1.0, 1.0)
    assert pickle.loads(pickle.dumps(p)) == p
    free = LogNormal(0.5, 2.0, upper=None)
    assert free.tail == 0 and free.mean == pytest.approx(0.5 * math.exp(2.0), rel=1e-14)
    with pytest.raises(ValueError, match="P\\(X > 1\\)"):
        LogNormal(0.5, 2.0)
    bounded = LogNormal(2.0, 0.1, upper=10.0)
    assert bounded.tail < 1e-50 and "upper=10" in repr(bounded)
    with pytest.raises(ValueError, match="P\\(X > 3\\)"):
        LogNormal(2.0, 1.0, upper=3.0)
    # a lognormal of durations is not a probability
    with pytest.raises(ss.ProbabilityError, match="support"):
        ss.Component("x", unavailability=free)


# -- components and services over time --------------------------------------------


def test_mttf_mttr_give_the_long_run_availability():
    db = ss.Component("db", mttf="30d", mttr="1h")
    assert db.unavailability == 1 / 721
    assert db.behaviour == TimeBehaviour(ss.Exponential("30d"), ss.Exponential("1h"))
    assert repr(db) == "Component('db', mttf='30d', mttr='1h')"
    api = ss.Service("api", mttf="7d", mttr="10m", requires=[db])
    assert api.unavailability == pytest.approx(600 / (7 * DAY + 600), rel=1e-15)
    assert repr(api) == "Service('api', mttf='7d', mttr='10m', requires=['db'])"
    # what the exact engine reads
    assert ss.exact(db)["db"].unavailability == db.unavailability


def test_up_down_distributions():
    c = ss.Component("c", up=ss.Weibull(1.5, "20d"), down=LogNormal.from_median("30m", 4))
    up, down = c.behaviour.up.mean, c.behaviour.down.mean
    assert c.unavailability == pytest.approx(down / (up + down), rel=1e-15)
    assert "up=Weibull(shape=1.5" in repr(c)


def test_incident_classes():
    outage = ss.Incidents(rate="2/30d", duration=LogNormal.from_median("40m", 3))
    slow = ss.Incidents(rate="10/30d", duration="20m", error_ratio=0.05)
    c = ss.Component("idv", incidents=[outage, slow])
    load = 2 / (30 * DAY) * outage.duration.mean + 10 / (30 * DAY) * 1200 * 0.05
    assert c.unavailability == pytest.approx(-math.expm1(-load), rel=1e-14)
    assert slow.load == pytest.approx(10 / (30 * DAY) * 1200 * 0.05, rel=1e-15)
    # incidents on top of up and down times: independent processes
    both = ss.Component("b", mttf="30d", mttr="1h", incidents=slow)
    q1, q2 = 1 / 721, -math.expm1(-slow.load)
    assert both.unavailability == pytest.approx(1 - (1 - q1) * (1 - q2), rel=1e-14)
    assert pickle.loads(pickle.dumps(slow)) == slow
    assert repr(pickle.loads(pickle.dumps(slow))) == repr(slow)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"mttf": "30d"}, ss.ModelError, "both mttf= and mttr="),
    ({"mttr": "1h"}, ss.ModelError, "both mttf= and mttr="),
    ({"up": ss.Exponential("1d")}, ss.ModelError, "both up= and down="),
    ({"mttf": "1d", "mttr": "1h", "up": ss.Exponential("1d"),
      "down": ss.Exponential("1h")}, ss.ModelError, "not both"),
    ({"mttf": "1d", "mttr": "1h", "availability": 0.99}, ss.AvailabilitySpecError,
     "not both"),
    ({"incidents": [], }, ss.ModelError, "incidents= is empty"),
    ({"incidents": ["x"]}, TypeError, "sequence of Incidents"),
    ({"mttf": "-1d", "mttr": "1h"}, ValueError, "'mttf' parameter"),
    ({"mttf": "1d", "mttr": 0}, ValueError, "'mttr' parameter"),
    ({"up": "1d", "down": "1h"}, TypeError, "give mttf= and mttr="),
    ({"up": ss.Beta(1, 2), "down": ss.Exponential("1h")}, TypeError,
     "distribution of durations"),
    ({"up": LogNormal(0.5, 0.1), "down": ss.Exponential("1h")}, TypeError,
     "upper=None"),
    ({}, ss.AvailabilitySpecError, "got neither"),
])
def test_bad_behaviour_is_refused_with_the_component_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.Component("db", **kwargs)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"rate": "1/d", "duration": "1h", "error_ratio": 1.5}, ValueError, "error_ratio"),
    ({"rate": "1/d", "duration": "1h", "error_ratio": -0.1}, ValueError, "error_ratio"),
    ({"rate": "1/d", "duration": "1h", "error_ratio": "1"}, TypeError, "error_ratio"),
    ({"rate": "0/d", "duration": "1h"}, ValueError, "'rate' parameter of Incidents"),
    ({"rate": "1/d", "duration": "-1h"}, ValueError, "'duration' parameter of Incidents"),
    ({"rate": "1/d", "duration": ss.Uniform(0, 1)}, TypeError, "distribution of durations"),
])
def test_bad_incidents(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.Incidents(**kwargs)


def test_timed_shocks():
    a, b = ss.Component("a", mttf="30d", mttr="1h"), ss.Component("b", mttf="30d", mttr="1h")
    zone = ss.Shock("zone", rate="1/365d", duration=ss.Exponential("2h"), members=[a, b])
    assert zone.probability == pytest.approx(-math.expm1(-2 / (365 * 24)), rel=1e-14)
    assert zone.behaviour.incidents[0].error_ratio == 1.0
    assert "duration=Exponential(mean=7200)" in repr(zone)
    fixed = ss.Shock("z2", rate="1/365d", duration="2h", members=[a])
    assert repr(fixed) == "Shock('z2', rate='1/365d', duration='2h', members=['a'])"
    model = ss.Model(ss.parallel(a, b, name="pair"), shocks=[zone])
    s = lower(model)
    assert s.events == ("a", "b", "zone")
    assert s.timing == (a.behaviour, b.behaviour, zone.behaviour)
    assert s.q.tolist() == [a.unavailability, b.unavailability, zone.probability]
    for kwargs, match in [({"rate": "1/d"}, "both rate= and duration="),
                          ({"duration": "1h"}, "both rate= and duration="),
                          ({"rate": "1/d", "duration": "1h", "probability": 0.1},
                           "not both")]:
        with pytest.raises(ss.ModelError, match=match):
            ss.Shock("z", members=[a], **kwargs)
    with pytest.raises(ss.ProbabilityError, match="give a probability"):
        ss.Shock("z", members=[a])
    with pytest.raises(ss.ModelError, match="no members"):
        ss.Shock("z", rate="1/d", duration="1h")


def test_a_model_without_time_has_no_timing():
    assert lower(ss.Component("x", availability=0.9)).timing == ()
    mixed = ss.series(ss.Component("x", availability=0.9),
                      ss.Component("y", mttf="1d", mttr="1h"), name="j")
    assert lower(mixed).timing[0] is None


def test_rebuilding_a_service_keeps_its_behaviour():
    db = ss.Component("db", availability=0.999)
    api = ss.Service("api", mttf="7d", mttr="10m",
                     incidents=ss.Incidents("1/d", "5m", 0.1), requires=[db])
    model = ss.Model(ss.Journey(api, name="j"))
    again = model.replace(availabilities={"db": 0.99})
    assert again.node("api").behaviour == api.behaviour
    assert again.node("db").availability == 0.99
