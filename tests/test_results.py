"""Contract tests of SimulationResult and SimulationResults.

Bounded reprs, JSON round trips, pandas frames, mapping behaviour, the exact
(Clopper-Pearson) interval against scipy and against its coverage
guarantee, and exact results for constant journeys.
"""

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import slosim as ss
from slosim import SimulationResult, SimulationResults, binomial_interval

CASES = [  # (failures, samples): none, few, many, all, tiny samples
    (0, 10**6), (3, 10**6), (5015, 10**7), (500_000, 10**6), (10**6, 10**6),
    (1, 1), (0, 1), (7, 13), (123_456, 1_234_567), (2, 10**12),
]


def make(failures, samples, **kw):
    return SimulationResult("checkout", samples=samples, failures=failures, **kw)


def make_results(n_journeys, samples=10**6):
    journeys = {}
    for i in range(n_journeys):
        exact = i % 7 == 3
        f = 0 if exact else (17 * i) % 1000
        journeys[f"journey-{i}"] = SimulationResult(
            f"journey-{i}", samples=samples, failures=f, exact=exact,
            target=0.999 if i % 2 else None)
    return SimulationResults(journeys, samples=samples, chunk_size=2**22)


# --- SimulationResult ---------------------------------------------------------------

@pytest.mark.parametrize("f, n", CASES)
def test_attributes(f, n):
    r = make(f, n)
    u = f / n
    assert (r.failures, r.samples, r.journey) == (f, n, "checkout")
    assert r.unavailability == u and r.availability == 1.0 - u
    assert r.std_error == pytest.approx(math.sqrt(u * (1 - u) / n), rel=1e-12, abs=0)
    lo, hi = r.unavailability_ci
    assert 0.0 <= lo <= u <= hi <= 1.0
    assert r.ci == pytest.approx((1.0 - hi, 1.0 - lo), rel=1e-15)
    assert r.confidence == 0.95 and r.target is None and r.exact is False


@pytest.mark.parametrize("f, n", CASES)
@pytest.mark.parametrize("target", [None, 0.9995])
def test_repr_is_one_bounded_line(f, n, target):
    text = repr(make(f, n, target=target))
    assert "\n" not in text and len(text) < 220, text
    assert "'checkout'" in text and f"failures={f}" in text
    assert "Clopper-Pearson" in text and "95%" in text
    if target is not None:
        assert "target=0.9995" in text


def test_repr_readable():
    r = make(5015, 10**7)
    text = repr(r)
    assert text.startswith("SimulationResult(journey='checkout', availability=0.9994")
    assert "samples=10**7" in text
    assert "samples=1_234_567" in repr(make(3, 1_234_567))
    exact = make(0, 10**6, exact=True)
    assert "(exact)" in repr(exact) and "\n" not in repr(exact)


@pytest.mark.parametrize("f, n, exact", [(f, n, False) for f, n in CASES]
                         + [(0, 10**6, True), (10**6, 10**6, True)])
def test_to_dict_json_round_trip(f, n, exact):
    r = make(f, n, exact=exact, target=0.999, confidence=0.9)
    d = r.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["failures"] == f and d["samples"] == n and d["exact"] is exact
    assert d["ci"] == list(r.ci) and d["unavailability_ci"] == list(r.unavailability_ci)
    assert d["availability"] == r.availability and d["confidence"] == 0.9
    assert d["target"] == 0.999 and d["journey"] == "checkout"


def test_to_dict_with_numpy_counts():
    r = SimulationResult("x", samples=np.int64(10**6), failures=np.uint64(12))
    d = r.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert type(d["samples"]) is int and type(d["failures"]) is int


def test_frozen():
    r = make(3, 100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.failures = 4


def test_to_frame():
    pd = pytest.importorskip("pandas")
    r = make(5015, 10**7, target=0.999)
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["checkout"]
    row = frame.loc["checkout"]
    assert row["failures"] == 5015 and row["samples"] == 10**7
    assert row["availability"] == r.availability
    assert (row["ci_low"], row["ci_high"]) == r.ci
    assert row["target"] == 0.999


def test_to_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)   # import pandas fails
    with pytest.raises(ImportError, match="pip install"):
        make(3, 100).to_frame()
    with pytest.raises(ImportError, match="pandas"):
        make_results(2).to_frame()


def test_pandas_is_imported_only_when_needed():
    code = "import sys, slosim; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --- the interval ---------------------------------------------------------------------

@pytest.mark.parametrize("f, n", [c for c in CASES if c[1] < 10**12] + [(40, 10**9)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_interval_is_clopper_pearson(f, n, confidence):
    r = make(f, n, confidence=confidence)
    lo, hi = r.unavailability_ci
    assert (lo, hi) == binomial_interval(f, n, confidence)
    assert r.ci == pytest.approx((1 - hi, 1 - lo), rel=1e-15)
    # scipy's exact interval (its root finder stops at an absolute 2e-12)
    want = stats.binomtest(f, n).proportion_ci(confidence_level=confidence,
                                              method="exact")
    assert lo == pytest.approx(want.low, rel=1e-9, abs=1e-11)
    assert hi == pytest.approx(want.high, rel=1e-9, abs=1e-11)
    # the definition: each tail beyond the observed count has alpha / 2
    half = (1 - confidence) / 2
    if f > 0:
        assert stats.binom.sf(f - 1, n, lo) == pytest.approx(half, rel=1e-8)
    else:
        assert lo == 0.0
    if f < n:
        assert stats.binom.cdf(f, n, hi) == pytest.approx(half, rel=1e-8)
    else:
        assert hi == 1.0


@pytest.mark.parametrize("args, error, match", [
    ((5, 3), ValueError, r"'failures' parameter of binomial_interval must be an int in "
                         r"the range \[0, 3\]. Got 5"),
    ((-1, 3), ValueError, r"'failures' parameter .* Got -1"),
    ((0, 0), ValueError, r"'samples' parameter of binomial_interval must be an int in "
                         r"the range \[1, inf\]. Got 0"),
    ((1.5, 3), TypeError, r"'failures' parameter .* Got 1.5"),
    ((1, 3.0), TypeError, r"'samples' parameter .* Got 3.0"),
    ((1, 3, 1.0), ValueError, r"'confidence' parameter of binomial_interval must be a "
                              r"float in the range \(0, 1\). Got 1.0"),
    ((1, 3, "0.9"), TypeError, r"'confidence' parameter"),
])
def test_interval_arguments_are_checked(args, error, match):
    with pytest.raises(error, match=match):
        binomial_interval(*args)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(samples=10, failures=11), ValueError, r"'failures' parameter of "
     r"SimulationResult must be an int in the range \[0, 10\]. Got 11"),
    (dict(samples=0, failures=0), ValueError, r"'samples' parameter of SimulationResult"),
    (dict(samples=10, failures=1, confidence=0), ValueError, r"'confidence' parameter"),
    (dict(samples=10, failures=1, target=1.5), ValueError, r"'target' parameter"),
    (dict(samples=10.0, failures=1), TypeError, r"'samples' parameter"),
])
def test_result_arguments_are_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        SimulationResult("j", **kwargs)


def test_result_counts_become_ints():
    r = SimulationResult("j", samples=np.int64(1000), failures=np.uint64(3))
    assert type(r.samples) is int and type(r.failures) is int


@pytest.mark.parametrize("n", [10, 1000, 10**6, 10**9])
def test_interval_at_zero_failures(n):
    """No failures: the bound solves (1 - hi)**n = alpha / 2, about 3.689 / n."""
    lo, hi = make(0, n).unavailability_ci
    assert lo == 0.0
    assert n * math.log1p(-hi) == pytest.approx(math.log(0.025), rel=1e-9)
    if n >= 10**6:
        assert round(hi * n, 3) == 3.689


@pytest.mark.parametrize("n, confidence", [(20, 0.95), (50, 0.9), (200, 0.95)])
def test_interval_coverage(n, confidence):
    """Exact coverage: for every p, P(p inside the interval) >= confidence."""
    ks = np.arange(n + 1)
    bounds = np.array([binomial_interval(int(k), n, confidence) for k in ks])
    for p in np.concatenate([np.geomspace(1e-6, 0.5, 300), np.linspace(0.5, 1, 101)[1:-1]]):
        covered = (bounds[:, 0] <= p) & (p <= bounds[:, 1])
        coverage = stats.binom.pmf(ks[covered], n, p).sum()
        assert coverage >= confidence - 1e-9, (p, coverage)


def test_exact_result_interval_is_a_point():
    up = make(0, 1000, exact=True)
    down = make(1000, 1000, exact=True)
    assert up.ci == (1.0, 1.0) and up.unavailability_ci == (0.0, 0.0)
    assert down.ci == (0.0, 0.0) and down.unavailability_ci == (1.0, 1.0)
    assert up.std_error == 0.0 and down.std_error == 0.0


# --- SimulationResults -------------------------------------------------------------------

def test_mapping_behaviour():
    res = make_results(3)
    assert len(res) == 3
    assert list(res) == ["journey-0", "journey-1", "journey-2"]
    assert "journey-1" in res and "nope" not in res
    assert res["journey-2"].journey == "journey-2"
    assert res.get("nope") is None
    assert dict(res) == res.journeys
    assert [r.journey for r in res.values()] == list(res.keys())
    assert res.samples == 10**6 and res.chunk_size == 2**22


def test_missing_journey_names_the_known_ones():
    res = make_results(3)
    with pytest.raises(KeyError) as info:
        res["chekout"]
    message = str(info.value)
    assert "chekout" in message
    for name in res:
        assert name in message


def test_results_repr_is_a_short_table():
    res = make_results(5)
    lines = repr(res).splitlines()
    assert lines[0].startswith("SimulationResults(") and "samples=10**6" in lines[0]
    assert "journeys=5" in lines[0]
    assert len(lines) == 6
    for (name, r), line in zip(res.items(), lines[1:]):
        assert name in line and len(line) < 120
        assert ("(exact)" in line) == r.exact
        if not r.exact:
            assert f"failures={r.failures}" in line


def test_results_repr_bounded_for_many_journeys():
    res = make_results(500)
    lines = repr(res).splitlines()
    assert len(lines) <= 13
    assert all(len(line) < 120 for line in lines)
    assert "490 more" in lines[-1]


def test_results_to_dict_round_trip():
    res = make_results(12)
    d = res.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert list(d["journeys"]) == list(res)
    assert d["samples"] == 10**6 and d["chunk_size"] == 2**22
    assert d["journeys"]["journey-5"] == res["journey-5"].to_dict()


def test_results_to_frame():
    pytest.importorskip("pandas")
    res = make_results(12)
    frame = res.to_frame()
    assert list(frame.index) == list(res)
    assert frame["failures"].tolist() == [r.failures for r in res.values()]
    assert frame["availability"].tolist() == [r.availability for r in res.values()]


# --- from simulate ------------------------------------------------------------------------

def test_constant_journeys_are_exact(seed):
    """A journey that folds to a constant is known exactly: no interval, no
    warning (pytest turns warnings into errors)."""
    up = ss.Component("up", unavailability=0)
    down = ss.Component("down", unavailability=1)
    live = ss.series(ss.Component("a", unavailability=0.02), up, name="live")
    never = ss.parallel(up, ss.Component("b", unavailability=0.3), name="never")
    model = ss.Model([never, live, ss.Journey(down, name="broken"),
                      ss.series(down, ss.Component("c", unavailability=0.5), name="off")])
    n = 100_003
    res = ss.simulate(model, n, rng=seed)
    assert list(res) == ["never", "live", "broken", "off"]
    for name in ("never",):
        r = res[name]
        assert r.exact and r.failures == 0 and r.samples == n
        assert r.availability == 1.0 and r.ci == (1.0, 1.0) and r.std_error == 0.0
        assert "(exact)" in repr(r)
    for name in ("broken", "off"):
        r = res[name]
        assert r.exact and r.failures == n and r.availability == 0.0
        assert r.ci == (0.0, 0.0) and r.unavailability_ci == (1.0, 1.0)
    r = res["live"]
    assert not r.exact and r.samples == n
    lo, hi = stats.binom.ppf(3e-7, n, 0.02), stats.binom.isf(3e-7, n, 0.02)
    assert lo <= r.failures <= hi
    d = res.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    lines = repr(res).splitlines()
    assert len(lines) == 5 and sum("(exact)" in line for line in lines) == 3


def test_only_constant_journeys(seed):
    res = ss.simulate(ss.Model([ss.Component("up", unavailability=0)]), 1000, rng=seed)
    assert res["up"].exact and res["up"].failures == 0 and res.samples == 1000
