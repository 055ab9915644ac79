"""Tests of slosim.alert_report: alerting rules on simulated timelines.

First on hand-made paths (``from_paths``), where every fire, detection and
budget share can be worked out by hand from the Workbook's formulas (a
burn-rate rule ``b`` over ``L`` fires ``b (1 - s) L / e`` into constant
errors ``e``, having spent ``b L / period`` of the budget); then on the
timeline engine: the fires are the exact evaluator's on the same paths,
the page rate is the rate of outages long enough to page, the Workbook's
set misses no long full outage, and the report does not depend on the
thread count.
"""

import json
import math

import numpy as np
import pytest

import slosim as ss
from slosim.analysis._alert_report import _proportion, from_paths
from slosim.analysis._slo import clustered_proportion

H = 3600.0
DAY = 86400.0
PERIOD = 30 * DAY
BUDGET = 0.001 * PERIOD          # 2592 s of full outage at 99.9%


def path(*pieces):
    """A path from ``(start, end, error ratio)`` pieces (seconds), zero between."""
    times, ratios, t = [0.0], [0.0], 0.0
    for start, end, ratio in pieces:
        if start > t:
            times.append(start)
            ratios.append(ratio)
        else:
            ratios[-1] = ratio
        times.append(end)
        ratios.append(0.0)
        t = end
    return np.array(times), np.array(ratios)


# -- hand-made paths ----------------------------------------------------------------

@pytest.mark.parametrize("error_ratio", [1.0, 0.5, 0.1])
def test_one_outage_is_detected_at_the_workbook_time(error_ratio):
    rule = ss.BurnRateAlert("1h", burn_rate=14.4)
    r = from_paths([path((2 * H, 3 * H, error_ratio))], rule, slo=0.999, horizon=6 * H)
    row = r[rule]
    assert (row.fires, row.true_fires, row.events, row.detected) == (1, 1, 1, 1)
    assert row.precision == 1.0 and row.recall == 1.0
    # fires b (1 - s) L / e into the errors, having spent b L / period
    assert row.detection_seconds.tolist() == pytest.approx([14.4 * 0.001 * H / error_ratio],
                                                          rel=1e-12)
    assert row.budget_at_detection.tolist() == pytest.approx([14.4 * H / PERIOD], rel=1e-12)
    # one fire over the 4 counted hours (an hour of warm-up at each end)
    assert r.warmup == H and row.fires_per_period == pytest.approx(PERIOD / (4 * H))
    assert r.overall.detection_seconds.tolist() == row.detection_seconds.tolist()


def test_each_rule_of_the_workbook_set_at_its_own_time():
    rules = ss.alerts.multiwindow(slo=0.999)
    # a full outage of an hour on day 4 of 10 (three days of warm-up each end)
    r = from_paths([path((4 * DAY, 4 * DAY + H, 1.0))], rules, slo=0.999, horizon=10 * DAY)
    for rule in rules:
        row = r[rule.name]
        assert row.detection_seconds.tolist() == pytest.approx(
            [rule.burn_rate * 0.001 * rule.long], rel=1e-12)
        assert row.budget_at_detection.tolist() == pytest.approx(
            [rule.budget_share("30d")], rel=1e-12)
    # groups page as one: the earliest of their rules, one episode each
    assert list(r.severities) == ["page", "ticket"]
    assert r.severities["page"].detection_seconds.tolist() == pytest.approx([51.84])
    assert r.severities["ticket"].detection_seconds.tolist() == pytest.approx([259.2])
    assert r.overall.detection_seconds.tolist() == pytest.approx([51.84])
    assert (r.overall.fires, r.severities["page"].fires) == (1, 1)
    assert r.overall.rules == tuple(rule.name for rule in rules)


def blips():
    """A: 10 minutes of full outage at 2h (23% of the budget, significant);
    B: 30 seconds of it 10 minutes after A ends (1.16%, not significant)."""
    a = (2 * H, 2 * H + 600.0, 1.0)
    b = (a[1] + 600.0, a[1] + 630.0, 1.0)
    return path(a, b), a, b


def test_a_fire_after_the_long_window_past_an_event_is_false():
    # 5 minutes above 5%: fires 15 s into A and into B; B's episode fires 10
    # minutes after A ended, past A's end + 5 minutes: a false page
    rule = ss.alerts.ThresholdAlert("5m", error_ratio=0.05)
    p, a, b = blips()
    row = from_paths([p], rule, slo=0.999, horizon=6 * H)[rule]
    assert (row.fires, row.true_fires, row.events, row.detected) == (2, 1, 1, 1)
    assert row.precision == 0.5 and row.recall == 1.0
    assert row.detection_seconds.tolist() == pytest.approx([15.0], rel=1e-12)
    # merged with A (gap 10 minutes < 15), B's page is A's
    merged = from_paths([p], rule, slo=0.999, horizon=6 * H, merge="15m")[rule]
    assert (merged.fires, merged.true_fires, merged.events) == (2, 2, 1)
    # significant at 1%, B is an event of its own, detected 15 s in
    low = from_paths([p], rule, slo=0.999, horizon=6 * H, significant=0.01)[rule]
    assert (low.fires, low.true_fires, low.events, low.detected) == (2, 2, 2, 2)
    assert low.detection_seconds.tolist() == pytest.approx([15.0, 15.0], rel=1e-12)
    # the 1h rule at 14.4 fires for A until long after B: with it, the set
    # pages once, a true page (one of its rules' episodes matches A)
    hour = ss.BurnRateAlert("1h", burn_rate=14.4)
    both = from_paths([p], [rule, hour], slo=0.999, horizon=6 * H).overall
    assert (both.fires, both.true_fires, both.events, both.detected) == (1, 1, 1, 1)
    assert both.detection_seconds.tolist() == pytest.approx([15.0], rel=1e-12)


def test_an_episode_matches_an_event_while_its_long_window_holds_the_errors():
    # the same rule with a for_ clause of 9m50s: fires 15 s + 9m50s into A,
    # after A ended, while its window still holds A's errors (B never holds
    # the condition that long)
    rule = ss.alerts.ThresholdAlert("5m", error_ratio=0.05, for_="9m50s")
    p, a, b = blips()
    row = from_paths([p], rule, slo=0.999, horizon=6 * H)[rule]
    assert (row.fires, row.true_fires, row.events, row.detected) == (1, 1, 1, 1)
    assert row.detection_seconds.tolist() == pytest.approx([605.0], rel=1e-12)
    # spent all of A (600 s) by then
    assert row.budget_at_detection.tolist() == pytest.approx([600 / BUDGET], rel=1e-12)
    # a 2 s blip just after A is an event of its own (merge=0), whose errors
    # are not A's
    blip = (a[1] + 2.0, a[1] + 4.0, 1.0)
    row = from_paths([path(a, blip)], rule, slo=0.999, horizon=6 * H, merge=0)[rule]
    assert row.detection_seconds.tolist() == pytest.approx([605.0], rel=1e-12)
    assert row.budget_at_detection.tolist() == pytest.approx([600 / BUDGET], rel=1e-12)


def test_a_rule_already_firing_detects_at_once():
    # a 30 s blip fires the rule, a long outage starts 30 s after it while
    # the rule still fires: one episode, a detection time of 0
    rule = ss.alerts.ThresholdAlert("5m", error_ratio=0.05)
    p = path((2 * H, 2 * H + 30, 1.0), (2 * H + 60, 2 * H + 660, 1.0))
    row = from_paths([p], rule, slo=0.999, horizon=6 * H, merge=0)[rule]
    assert (row.fires, row.true_fires, row.events, row.detected) == (1, 1, 1, 1)
    assert row.detection_seconds.tolist() == [0.0]
    assert row.budget_at_detection.tolist() == [0.0]


def test_the_ends_of_a_run_do_not_count():
    rule = ss.BurnRateAlert("1h", burn_rate=14.4)
    # in progress at time 0 (a stationary start), and ending past horizon - 1h
    p = path((0.0, H, 1.0), (5.5 * H, 6 * H, 1.0))
    r = from_paths([p], rule, slo=0.999, horizon=6 * H)
    row = r[rule]
    assert (row.fires, row.events) == (0, 0)
    assert math.isnan(row.precision) and math.isnan(row.recall)
    assert all(math.isnan(x) for x in row.precision_interval + row.recall_interval)
    assert "-" in repr(r).splitlines()[-1]
    d = r.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["rules"]["page 1h"]["precision"] is None


def test_sampled_evaluation():
    # every 30 s, the rule is first seen above its threshold at 2h1m
    rule = ss.BurnRateAlert("1h", burn_rate=14.4)
    r = from_paths([path((2 * H, 3 * H, 1.0))], rule, slo=0.999, horizon=6 * H,
                   evaluation_interval="30s")
    assert r[rule].detection_seconds.tolist() == [60.0]
    assert r.evaluation_interval == 30.0 and "evaluated every 30s" in repr(r)


def test_the_interval_treats_runs_as_clusters(seed):
    rng = np.random.default_rng(seed)
    # one trial a run: the exact Clopper-Pearson interval
    hits = (rng.random(300) < 0.8).astype(np.int64)
    p, interval = _proportion(hits, np.ones(300, np.int64), 0.95)
    assert p == hits.mean()
    assert interval == ss.binomial_interval(int(hits.sum()), 300)
    # equal clusters: slo_report's clustered interval, up to whole trials
    runs = rng.random(200) < 0.9
    grid = np.repeat(runs[:, None], 12, axis=1)
    p, (lo, hi) = _proportion(grid.sum(axis=1), np.full(200, 12), 0.95)
    q, lo2, hi2 = clustered_proportion(grid, 0.95)
    assert p == q
    assert lo == pytest.approx(lo2, abs=0.01) and hi == pytest.approx(hi2, abs=0.01)
    # and nothing to count: undefined
    p, interval = _proportion(np.zeros(3, np.int64), np.zeros(3, np.int64), 0.95)
    assert math.isnan(p) and all(math.isnan(x) for x in interval)


# -- on the timeline engine ----------------------------------------------------------

def outages(mttf="10d", mttr="1h", target=0.999):
    return ss.Model(ss.Journey(ss.Component("db", mttf=mttf, mttr=mttr), name="pay",
                               target=target))


def test_fires_are_the_exact_evaluators_on_the_same_paths(seed):
    rules = ss.alerts.multiwindow(slo=0.999)
    api = ss.Component("api", mttf="20d", mttr="30m")
    db = ss.Component("db", incidents=[ss.Incidents("6/30d", "20m", error_ratio=0.05),
                                       ss.Incidents("1/30d", "4h", error_ratio=0.005)])
    model = ss.Model(ss.Journey(ss.series(api, db), name="checkout", target=0.999))
    horizon, runs = 120 * DAY, 24
    r = ss.alert_report(model, rules, horizon="120d", runs=runs, rng=seed, chunk_size=8)
    tl = ss.engines.timeline(model, horizon, runs, window=horizon, rng=seed,
                             keep_paths=runs, chunk_size=8)
    lo, hi = 3 * DAY, horizon - 3 * DAY
    for k, (times, ratios) in enumerate(tl["checkout"].paths):
        scenario = ss.Scenario(list(times) + [horizon], list(ratios))
        res = ss.evaluate_alerts(rules, 0.999, scenario)
        for rule in rules:
            fires = [f for f in res[rule.name].fire_seconds if lo <= f < hi]
            assert r[rule].fires_per_run[k] == len(fires), (k, rule.name)
    assert r.overall.fires > 0 and r.overall.events > 0


def test_the_page_rate_is_that_of_outages_long_enough_to_page(seed):
    # full outages of mean 1h, 10 days apart (never within the hour of the
    # rule's window or of the merge): the 1h rule at 14.4 pages for each
    # longer than 51.84 s, every one of them significant (>= 51.84 s of
    # errors) and detected 51.84 s in
    rule = ss.BurnRateAlert("1h", burn_rate=14.4)
    model = ss.Model(ss.Journey(ss.Component("db", up=ss.Fixed("10d"),
                                             down=ss.Exponential("1h")), target=0.999))
    runs, horizon = 60, 365 * DAY
    r = ss.alert_report(model, rule, horizon="365d", runs=runs, rng=seed)
    row = r[rule]
    observed = runs * (horizon - 2 * H)
    expected = observed / (10 * DAY + H) * math.exp(-51.84 / H)
    # the outages come like clockwork, the thinning is binomial: the
    # Poisson standard deviation bounds the count's
    assert abs(row.fires - expected) <= 5 * math.sqrt(expected)
    assert row.precision == 1.0 and row.recall == 1.0
    assert row.detected == row.events
    assert np.allclose(row.detection_seconds, 51.84, rtol=1e-9)
    assert np.allclose(row.budget_at_detection, 0.02, rtol=1e-9)
    assert row.fires_per_period == pytest.approx(row.fires * PERIOD / observed)


def test_the_workbook_set_misses_no_long_full_outage(seed):
    model = ss.Model(ss.Journey(ss.Component("db", up=ss.Exponential("15d"),
                                             down=ss.Fixed("2h")), name="pay",
                                target=0.999))
    r = ss.alert_report(model, ss.alerts.multiwindow(slo=0.999), runs=30, horizon="180d",
                        rng=seed)
    assert r.overall.events > 100
    assert r.overall.recall == 1.0 and r.overall.precision == 1.0
    assert r["page 1h/5m"].recall == 1.0
    lo, hi = r.overall.recall_interval
    assert lo < 1.0 == hi


def test_a_rule_that_can_never_fire(seed):
    # at 90%, a burn rate of 14.4 waits for an error ratio of 1.44
    rule = ss.BurnRateAlert("1h", "5m", burn_rate=14.4)
    r = ss.alert_report(outages(mttf="5d", mttr="10h", target=0.9), rule, runs=10,
                        horizon="120d", rng=seed)
    row = r[rule]
    assert row.events > 0 and row.fires == 0 and row.recall == 0.0
    assert math.isnan(row.precision) and all(math.isnan(x) for x in row.precision_interval)
    assert row.recall_interval[0] == 0.0 < row.recall_interval[1]
    assert row.detection_seconds.size == 0
    assert math.isnan(row.detection_quantiles[0.5])


def test_the_same_report_at_any_thread_count(seed):
    rules = ss.alerts.multiwindow(slo=0.999)
    one = ss.alert_report(outages(), rules, runs=40, horizon="90d", rng=seed,
                          chunk_size=8, threads=1)
    three = ss.alert_report(outages(), rules, runs=40, horizon="90d", rng=seed,
                            chunk_size=8, threads=3)
    assert one.to_dict() == three.to_dict()
    for name in one:
        assert np.array_equal(one[name].detection_seconds, three[name].detection_seconds)


def test_the_report_serialises_frames_and_plots(seed):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rules = ss.alerts.multiwindow(slo=0.999)
    r = ss.alert_report(outages(mttr="20m"), rules, runs=20, horizon="90d", rng=seed)
    d = r.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    text = repr(r)
    assert len(text.splitlines()) == 2 + 1 + 3 + 2 + 1
    assert text.splitlines()[-1].startswith("  any rule")
    assert set(r) == {"page 1h/5m", "page 6h/30m", "ticket 3d/6h"}
    assert r[rules[0]] is r["page 1h/5m"]
    with pytest.raises(KeyError, match="no rule 'page'"):
        r["page"]
    pd = pytest.importorskip("pandas")
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["page 1h/5m", "page 6h/30m", "ticket 3d/6h",
                                 "any page", "any ticket", "any rule"]
    assert frame.loc["any rule", "events"] == r.overall.events
    ax = r.plot()
    lines = ax.get_lines()
    assert len(lines) == len(rules) + 1
    for line, row in zip(lines, [*r.rules.values(), r.overall]):
        # each line climbs to its rule's recall, by its detection times
        assert line.get_ydata()[-1] == pytest.approx(row.recall)
        assert row.name in line.get_label()
    assert "detected" in ax.get_ylabel()
    plt.close("all")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"rules": "page"}, TypeError, "'rules' parameter of alert_report"),
    ({"rules": []}, ValueError, "'rules' parameter of alert_report"),
    ({"rules": [ss.BurnRateAlert("1h", burn_rate=14.4), 3]}, TypeError, r"'rules\[1\]'"),
    ({"rules": [ss.BurnRateAlert("1h", burn_rate=14.4),
                ss.BurnRateAlert("1h", burn_rate=6)]}, ValueError, "two rules named"),
    ({"slo": 1.0}, ValueError, "'slo' parameter of alert_report"),
    ({"journey": "home"}, ValueError, "'journey' parameter .* journey of the model"),
    ({"horizon": "6d"}, ValueError, "longer than twice the rules' longest window"),
    ({"significant": 0}, ValueError, "'significant' parameter"),
    ({"merge": "-1m"}, ValueError, "'merge' parameter"),
    ({"evaluation_interval": 0}, ValueError, "'evaluation_interval' parameter"),
    ({"confidence": 1.0}, ValueError, "'confidence' parameter"),
    ({"start": "cold"}, ValueError, "'start' parameter of alert_report"),
    ({"runs": 0}, ValueError, "'runs' parameter of alert_report"),
])
def test_bad_parameters(kwargs, error, match):
    kwargs = {"rules": ss.alerts.multiwindow(), **kwargs}
    with pytest.raises(error, match=match):
        ss.alert_report(outages(), runs=kwargs.pop("runs", 2), horizon=kwargs.pop(
            "horizon", "30d"), **kwargs)


def test_the_journey_and_its_slo():
    rule = ss.BurnRateAlert("1h", burn_rate=14.4)
    a = ss.Journey(ss.Component("a", mttf="10d", mttr="1h"), name="a", target=0.999)
    b = ss.Journey(ss.Component("b", mttf="10d", mttr="1h"), name="b", target=0.99)
    with pytest.raises(ss.ModelError, match="2 with a target .* journey="):
        ss.alert_report(ss.Model([a, b]), rule, runs=2, horizon="1d")
    r = ss.alert_report(ss.Model([a, b]), rule, journey="b", runs=2, horizon="1d", rng=0)
    assert (r.journey, r.slo) == ("b", 0.99)
    untargeted = ss.Journey(ss.Component("c", mttf="10d", mttr="1h"), name="c")
    with pytest.raises(ss.ModelError, match="needs an SLO for journey 'c'"):
        ss.alert_report(untargeted, rule, runs=2, horizon="1d")
    assert ss.alert_report(untargeted, rule, slo=0.995, runs=2, horizon="1d",
                           rng=0).slo == 0.995
