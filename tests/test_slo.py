"""Tests of slosim.slo_report and BudgetPolicy.

The report's arithmetic is checked on hand-made timeline arrays (a window
by window account anyone can redo), the interval's coverage on Bernoulli
windows with and without dependence between a run's windows, and the
whole report against the exact distribution of one exponential
component's downtime in a window (tests/timeline_oracle.py).
"""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import slosim as ss
from slosim._core._timeline import TOL
from slosim._validation import error_allowance
from slosim.analysis._slo import BudgetPolicy, clustered_proportion, summarise

DAY = 86400.0
W = 30 * DAY


def fake_timeline(bad, *, target=0.999, levels=(1.0,), attribution=(0.0,),
                  events=("a",), incidents=None, crossings=None):
    """A timeline result with one journey 'j' and the given bad times
    (runs, windows); crossings computed as if each window's bad time were
    spent at a constant rate over the window (a rate of bad / W)."""
    bad = np.asarray(bad, dtype=float)
    budget = error_allowance(target) * W
    if crossings is None:
        with np.errstate(divide="ignore"):
            crossings = np.stack([np.where(bad >= level * budget,
                                           level * budget / bad * W, np.inf)
                                  for level in levels], axis=-1)
    j = SimpleNamespace(target=target, budget=budget, bad=bad, requests=None, bad_requests=None,
                        crossings=np.asarray(crossings, dtype=float),
                        incidents=np.zeros(bad.shape, int) if incidents is None
                        else np.asarray(incidents),
                        attribution=np.asarray(attribution, dtype=float),
                        worst_window=None, time_out=None)
    return SimpleNamespace(journeys=("j",), targets=(target,), window=W,
                           events=events, horizon=bad.shape[1] * W, n_windows=bad.shape[1],
                           runs=bad.shape[0], j=j)


class Timeline(SimpleNamespace):
    def __getitem__(self, name):
        return self.j


def timeline_of(*args, **kwargs):
    return Timeline(**vars(fake_timeline(*args, **kwargs)))


def test_window_by_window_account():
    budget = 0.001 * W                        # 2592 s
    bad = np.array([[0.0, 0.5 * budget, budget, 2 * budget],
                    [0.1 * budget, 0.0, 0.0, 3 * budget]])
    tl = timeline_of(bad, attribution=[bad.sum() * 0.8, bad.sum() * 0.5],
                     events=("db", "api"), incidents=[[0, 1, 2, 1], [1, 0, 0, 4]])
    r = summarise(tl, "j", levels=(1.0,), policy=None, confidence=0.95)
    assert r.budget_consumed == pytest.approx(np.array([[0, 0.5, 1, 2], [0.1, 0, 0, 3]]),
                                              rel=1e-15)
    assert r.budget_consumed[0, 2] == 1.0       # exactly at the budget
    assert r.sli == pytest.approx(1 - bad / W, rel=1e-15)
    # a window exactly at its budget meets its target
    assert r.p_meet == 6 / 8 and r.p_exhausted == 3 / 8
    assert sorted(r.time_to_exhaustion.tolist()) == pytest.approx(sorted(
        [W, W / 2, W / 3]), rel=1e-12)
    assert r.mean_incidents == 9 / 8
    assert r.budget_share == {"db": 0.8, "api": 0.5}
    lo, hi = r.p_meet_interval
    assert lo < 6 / 8 < hi
    d = r.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert "P(window meets target)  0.7500" in repr(r)


def test_policy_states_from_the_crossings():
    policy = BudgetPolicy({"normal": 0.40, "focus": 0.25, "freeze": 0.0})
    assert policy.levels == (0.75, 1.0)
    budget = 0.001 * W
    # window 1: 0.5 budget (normal all along); window 2: 0.8 budget at a
    # constant rate (focus from 0.75 / 0.8 of the window on); window 3: 2
    # budgets (focus from 3/8, freeze from 1/2 of the window on)
    bad = np.array([[0.5 * budget, 0.8 * budget, 2 * budget]])
    tl = timeline_of(bad, levels=(0.75, 1.0))
    r = summarise(tl, "j", levels=(0.75, 1.0), policy=policy, confidence=0.95)
    p = r.policy
    focus = (1 - 0.75 / 0.8) + (1 / 2 - 3 / 8)
    freeze = 1 / 2
    assert p.time_share["focus"] == pytest.approx(focus / 3, rel=1e-12)
    assert p.time_share["freeze"] == pytest.approx(freeze / 3, rel=1e-12)
    assert p.time_share["normal"] == pytest.approx(1 - (focus + freeze) / 3, rel=1e-12)
    assert p.window_share == {"normal": 1.0, "focus": 2 / 3, "freeze": 1 / 3}
    assert p.entries_per_year["freeze"] == pytest.approx(1 / 3 * 365.25 / 30, rel=1e-12)
    assert json.loads(json.dumps(p.to_dict())) == p.to_dict()
    assert "freeze" in repr(p)


@pytest.mark.parametrize("thresholds, error, match", [
    ({"normal": 0.4}, ValueError, "at least two"),
    ([("a", 0.4)], TypeError, "dict"),
    ({"normal": 0.25, "focus": 0.4}, ValueError, "strictly decreasing"),
    ({"normal": 0.4, "focus": 0.4}, ValueError, "strictly decreasing"),
    ({"normal": 1.2, "focus": 0.4}, ValueError, "thresholds\\['normal'\\]"),
    ({"normal": 0.4, 3: 0.1}, TypeError, "state names"),
    ({"normal": "high", "focus": 0.1}, TypeError, "thresholds\\['normal'\\]"),
])
def test_bad_policies(thresholds, error, match):
    with pytest.raises(error, match=match):
        BudgetPolicy(thresholds)


def test_policy_is_a_value():
    a = BudgetPolicy({"normal": 0.4, "freeze": 0.0})
    assert a == BudgetPolicy({"normal": 0.4, "freeze": 0})
    assert hash(a) == hash(BudgetPolicy({"normal": 0.4, "freeze": 0}))
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.states = ()


def test_the_interval_covers_independent_windows(seed):
    # 400 repetitions of 200 runs x 12 windows at p = 0.97: the 95%
    # interval misses about 5% of the time at most (Clopper-Pearson is
    # conservative); a 99.9999%-sure bound on the misses
    rng = np.random.default_rng(seed)
    p, reps = 0.97, 400
    misses = 0
    for _ in range(reps):
        hits = rng.random((200, 12)) < p
        _, lo, hi = clustered_proportion(hits, 0.95)
        misses += not (lo <= p <= hi)
    assert misses <= reps * 0.05 + 5.0 * math.sqrt(reps * 0.05 * 0.95)


def test_the_interval_widens_for_dependent_windows(seed):
    # a run is good or bad as a whole: 12 windows carry one run's
    # information, and the interval must cover p still
    rng = np.random.default_rng(seed)
    p, reps = 0.9, 400
    misses = 0
    widths = []
    for _ in range(reps):
        runs = rng.random(200) < p
        hits = np.repeat(runs[:, None], 12, axis=1)
        _, lo, hi = clustered_proportion(hits, 0.95)
        misses += not (lo <= p <= hi)
        widths.append(hi - lo)
    assert misses <= reps * 0.05 + 5.0 * math.sqrt(reps * 0.05 * 0.95)
    # as wide as 200 independent trials' interval, not 2400's
    x = int(round(p * 200))
    lo, hi = ss.results.binomial_interval(200 - x, 200)
    assert np.median(widths) == pytest.approx(hi - lo, rel=0.2)


def test_the_interval_at_the_edges():
    # all 30 windows met: [0.025 ** (1 / 30), 1]; none: [0, 1 - 0.025 ** (1 / 30)]
    p, lo, hi = clustered_proportion(np.ones((10, 3), bool), 0.95)
    assert p == 1 and hi == 1 and lo == pytest.approx(0.025 ** (1 / 30), rel=1e-12)
    p, lo, hi = clustered_proportion(np.zeros((10, 3), bool), 0.95)
    assert p == 0 and lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 30), rel=1e-12)


# -- the report on the timeline engine --------------------------------------------

from timeline_oracle import p_window_meets  # noqa: E402


@pytest.mark.parametrize("mttf, mttr, target", [
    ("10d", "2h", 0.995), ("20d", "1h", 0.999), ("5d", "30m", 0.995)])
@pytest.mark.parametrize("start", ["stationary", "clean"])
def test_p_meet_is_the_exact_law_of_the_downtime(mttf, mttr, target, start, seed):
    from slosim._validation import duration_seconds as sec

    model = ss.Model(ss.Journey(ss.Component("db", mttf=mttf, mttr=mttr), name="j",
                                target=target))
    # one window per run for the clean start (later windows are not clean)
    windows = 3 if start == "stationary" else 1
    r = ss.slo_report(model, runs=4000, windows=windows, rng=seed, start=start,
                      confidence=1 - 1e-6)["j"]
    exact = p_window_meets(target, W, sec(mttf, "", ""), sec(mttr, "", ""),
                           "stationary" if start == "stationary" else "up")
    lo, hi = r.p_meet_interval
    assert lo <= exact <= hi
    assert list(r.budget_share) == ["db"]
    assert r.budget_share["db"] == pytest.approx(1.0, rel=1e-12)
    assert r.p_exhausted == pytest.approx(1 - r.p_meet, abs=1e-12)


def two_services(target=0.999):
    api = ss.Component("api", mttf="20d", mttr="30m")
    db = ss.Component("db", incidents=[ss.Incidents("1/30d", LogNormalHour),
                                       ss.Incidents("6/30d", "20m", error_ratio=0.05)])
    return ss.Model(ss.Journey(ss.series(api, db), name="checkout", target=target))


LogNormalHour = ss.LogNormal.from_median("1h", 3)


def test_the_policy_follows_the_budget(seed):
    policy = BudgetPolicy({"normal": 0.40, "focus": 0.25, "freeze": 0.0})
    r = ss.slo_report(two_services(), runs=500, rng=seed, policy=policy)["checkout"]
    p = r.policy
    assert sum(p.time_share.values()) == pytest.approx(1.0, rel=1e-12)
    # a window enters a state when its budget consumed reaches the state's
    # level: the freeze when it runs out, focus once 75% is gone, a window
    # within TOL of the window's length of a level counting as at it
    tol = TOL * r.window / (error_allowance(r.target) * r.window)
    for state, level in (("freeze", 1.0), ("focus", 0.75)):
        assert (np.mean(r.budget_consumed >= level + tol) <= p.window_share[state]
                <= np.mean(r.budget_consumed >= level - tol))
    assert p.window_share["freeze"] <= p.window_share["focus"] <= 1.0
    assert set(r.budget_share) == {"api", "db"}
    assert "policy: normal" in repr(r)


def test_rolling_windows_are_no_better_than_calendar_ones(seed):
    r = ss.slo_report(two_services(), runs=200, windows=4, rng=seed, rolling=True)["checkout"]
    # every calendar window is a rolling window
    assert np.all(r.worst_window <= r.sli.min(axis=1) + 1e-12)
    assert np.all((r.time_out >= 0) & (r.time_out <= r.horizon))


def test_poisson_traffic_counts_requests(seed):
    fluid = ss.slo_report(two_services(), runs=300, rng=seed)["checkout"]
    heavy = ss.slo_report(two_services(), runs=300, rng=seed, traffic="100/s")["checkout"]
    # the same paths (traffic has a stream of its own); with 2.6e8 requests
    # a window the request SLI is the fluid one within a few of its own
    # standard deviations, sqrt(e (1 - e) / n) < 1e-5
    assert np.abs(heavy.sli - fluid.sli).max() < 1e-4
    light = ss.slo_report(two_services(), runs=300, rng=seed, traffic="1/h")["checkout"]
    # 720 requests a window: many windows see no failed request at all
    assert np.mean(light.sli == 1.0) > np.mean(fluid.sli == 1.0)


def test_the_report_serialises_frames_and_plots(seed):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rep = ss.slo_report(two_services(), runs=100, windows=2, rng=seed)
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert "checkout" in repr(rep)
    r = rep["checkout"]
    frame = r.to_frame()
    assert len(frame) == 200 and list(frame.columns) == ["sli", "budget_consumed",
                                                          "incidents"]
    assert list(rep.to_frame().index) == ["checkout"]
    ax = r.plot(bins=20)
    assert len(ax.patches) == 20
    assert ax.lines[0].get_xdata()[0] == 0.999
    plt.close("all")


def test_the_same_report_at_any_thread_count(seed):
    one = ss.slo_report(two_services(), runs=130, rng=seed, threads=1)["checkout"]
    two = ss.slo_report(two_services(), runs=130, rng=seed, threads=2)["checkout"]
    assert np.array_equal(one.sli, two.sli) and one.p_meet == two.p_meet


@pytest.mark.parametrize("kwargs, error, match", [
    ({"windows": 0}, ValueError, "'windows' parameter of slo_report"),
    ({"policy": {"normal": 0.4}}, TypeError, "'policy' parameter"),
    ({"rolling": 1}, TypeError, "'rolling' parameter"),
    ({"confidence": 1.0}, ValueError, "'confidence' parameter"),
    ({"window": "monthly"}, ValueError, "'window' parameter"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.slo_report(two_services(), runs=10, **kwargs)


def test_a_model_without_targets_is_refused():
    model = ss.Model(ss.Journey(ss.Component("db", mttf="10d", mttr="1h"), name="j"))
    with pytest.raises(ss.ModelError, match="no journey has one"):
        ss.slo_report(model, runs=10)
