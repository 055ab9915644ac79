"""Tests of :func:`slosim.simulate`: statistics against exact values,
reproducibility, parameters, memory, and edge cases.

Every statistical check compares a failure count with an exact probability
(the enumeration oracle of ``tests/oracle.py`` or a closed form) through
exact binomial quantiles at 5 sigma, so it passes for any session seed.
"""

from fractions import Fraction
import json
import math
import tracemalloc
import warnings

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest
from scipy import stats

import slosim as ss
from slosim.engines import _executor as EX, _simulate as SIM, compile_model
from slosim.results import binomial_interval

from oracle import (
    assert_consistent,
    checked_simulate,
    poisson_binomial_pmf,
    unavailability as exact_unavailability,
)
from strategies import dags

C = ss.Component

HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rng_for(seed, *salt):
    """A SeedSequence from the session seed and the example's own salt."""
    return np.random.SeedSequence([seed, *salt])


def assert_matches(res, model, what=""):
    """Every journey of ``res`` agrees with the oracle on ``model``."""
    exact = exact_unavailability(model, exact=True)
    approx = exact_unavailability(model)
    assert set(res) == set(exact)
    for name, r in res.items():
        assert 0 <= r.failures <= r.samples == res.samples
        constant = exact[name] in (0, 1)
        assert r.exact == constant, (name, exact[name])
        if constant:
            assert r.failures == (r.samples if exact[name] == 1 else 0)
        assert_consistent(r.failures, r.samples, approx[name], what=f"{what}{name}")


def small_model():
    """Three journeys over five components, with sharing and a 2-of-3 gate."""
    a = C("a", unavailability=0.02)
    b = C("b", unavailability=0.3)
    c = C("c", unavailability=0.25)  # dyadic: the bit sampler
    d = C("d", unavailability=0.97)
    e = C("e", unavailability=1e-3)
    db = ss.k_of_n(2, [a, b, c], name="db")
    api = ss.Service("api", unavailability=0.01, requires=[db, "e"])
    return ss.Model([
        ss.Journey(api, name="checkout"),
        ss.Journey(ss.parallel(d, b, a), name="search"),
        ss.Journey(ss.series(db, d), name="report"),
    ], nodes=[e])


# --- against the oracle ----------------------------------------------------


@HYPOTHESIS
@given(spec=dags(), salt=st.integers(0, 2**32 - 1),
       samples=st.sampled_from([10**5, 2 * 10**5 + 17, 10**6]),
       chunk_size=st.sampled_from([1000, 65536, SIM.DEFAULT_CHUNK_SIZE]))
def test_random_dags_match_oracle(seed, spec, salt, samples, chunk_size):
    model = spec.build()
    res = checked_simulate(model, samples, rng=rng_for(seed, salt),
                           chunk_size=chunk_size)
    assert res.samples == samples and res.chunk_size == chunk_size
    assert_matches(res, model)


def test_small_model_matches_oracle_at_many_chunks(seed):
    model = small_model()
    res = checked_simulate(model, 3 * 10**6 + 5, rng=rng_for(seed), chunk_size=4096)
    assert_matches(res, model)


@pytest.mark.parametrize("threads", [1, 2])
def test_high_power_every_sampler(seed, threads):
    """4 * 10**8 samples: relative biases of about 1e-4 in any of the leaf
    samplers (hits for small q, hits on up states for q near 1, exact bits
    for dyadic q) would show."""
    qs = [1e-5, 1e-3, 0.1, 0.3, 0.375, 0.5, 0.7, 0.9, 0.999, 1 - 1e-5, 0.25, 2.0**-30]
    model = ss.Model([C(f"x{i}", unavailability=q) for i, q in enumerate(qs)])
    res = checked_simulate(model, 4 * 10**8, rng=rng_for(seed, threads), threads=threads)
    for i, q in enumerate(qs):
        assert_consistent(res[f"x{i}"].failures, res.samples, q, what=f"q={q}")


def test_high_power_every_gate(seed):
    """4 * 10**7 samples through every kind of gate evaluation: series,
    parallel, and k-of-n with thresholds near either end (recurrences over
    up or down bits) and in the middle (bit-sliced counter), each on 40
    components whose probabilities put the threshold where the action is."""
    gen = np.random.default_rng(7)
    groups = {  # q range -> thresholds k (children that must be up), gates
        (0.85, 0.97): ((2, 3, 5, 7), ("parallel",)),
        (0.3, 0.6): ((15, 18, 20, 22, 25), ("series", "parallel")),
        (0.01, 0.1): ((33, 36, 38, 39), ("series",)),
    }
    journeys = {}
    for g, ((low, high), (ks, gates)) in enumerate(groups.items()):
        qs = gen.uniform(low, high, 40)
        xs = [C(f"x{g}-{i}", unavailability=float(q)) for i, q in enumerate(qs)]
        pmf = poisson_binomial_pmf(1 - qs)  # of the number of children up
        for k in ks:
            journeys[f"{k}-of-40 ({low}-{high})"] = (ss.k_of_n(k, xs), float(pmf[:k].sum()))
        if "series" in gates:
            journeys[f"series ({low}-{high})"] = (ss.series(*xs[:5]), series_u(qs[:5]))
        if "parallel" in gates:
            journeys[f"parallel ({low}-{high})"] = (ss.parallel(*xs[:5]),
                                                    float(np.prod(qs[:5])))
    model = ss.Model([ss.Journey(node, name=name) for name, (node, _) in journeys.items()])
    res = checked_simulate(model, 4 * 10**7, rng=rng_for(seed), threads=2)
    for name, (_, u) in journeys.items():
        assert 1e-4 < u < 1 - 1e-4, (name, u)  # every check has power
        assert_consistent(res[name].failures, res.samples, u, what=name)


def series_u(qs):
    return float(-np.expm1(np.log1p(-np.asarray(qs)).sum()))


# --- few failures warning and constant journeys ------------------------------


def test_few_failures_warns_with_advice(seed):
    rare = C("rare", unavailability=1e-7)
    with pytest.warns(ss.FewFailuresWarning,
                      match=r"journey 'rare'.*samples would give") as record:
        res = ss.simulate(rare, 10**5, rng=rng_for(seed))
    assert record[0].filename == __file__  # points at the caller
    r = res["rare"]
    assert r.failures < 100 and not r.exact
    assert_consistent(r.failures, r.samples, 1e-7)


def test_few_failures_warning_only_for_the_rare_journey(seed):
    rare = C("rare", unavailability=1e-6)
    common = C("common", unavailability=0.05)
    model = ss.Model([rare, common])
    with pytest.warns(ss.FewFailuresWarning) as record:
        res = ss.simulate(model, 10**5, rng=rng_for(seed))
    assert [str(w.message).split(":")[0] for w in record] == ["journey 'rare'"]
    assert res["common"].failures >= 100  # 5000 expected; 100 is > 60 sigma off


def test_no_warning_with_many_failures(seed):
    model = ss.Model([C("a", unavailability=0.01), C("b", unavailability=0.5)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ss.simulate(model, 10**5, rng=rng_for(seed))
    assert all(r.failures >= 100 for r in res.values())


def test_constant_journeys_are_exact_and_silent(seed):
    up = C("up", unavailability=0.0)
    down = C("down", availability=0.0)
    x = C("x", unavailability=0.1)
    model = ss.Model([
        ss.Journey(ss.series(up, ss.Component("up2", availability=1)), name="all-up"),
        ss.Journey(ss.series(x, down), name="series-down"),
        ss.Journey(ss.parallel(x, up), name="parallel-up"),
        ss.Journey(ss.k_of_n(2, [down, down, up]), name="2-of-3-down"),
        ss.Journey(down, name="down"),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ss.simulate(model, 1000, rng=rng_for(seed))
    expected_down = {"all-up": False, "series-down": True, "parallel-up": False,
                     "2-of-3-down": True, "down": True}
    for name, is_down in expected_down.items():
        r = res[name]
        assert r.exact
        assert r.samples == 1000
        assert r.failures == (1000 if is_down else 0)
        assert r.availability == (0.0 if is_down else 1.0)
        assert r.unavailability == (1.0 if is_down else 0.0)
        assert r.ci == (r.availability, r.availability)


def test_constant_folding_keeps_the_random_part(seed):
    """series with an always-up child and parallel with an always-down child
    are the random child itself."""
    x = C("x", unavailability=0.2)
    model = ss.Model([
        ss.Journey(ss.series(x, C("up", unavailability=0)), name="s"),
        ss.Journey(ss.parallel(x, C("down", unavailability=1)), name="p"),
        ss.Journey(ss.k_of_n(2, [x, C("up2", unavailability=0), C("down2", unavailability=1)]),
                   name="k"),
        ss.Journey(x, name="x"),
    ])
    res = checked_simulate(model, 10**5, rng=rng_for(seed))
    # all four journeys are x, sample by sample
    assert len({r.failures for r in res.values()}) == 1
    assert not any(r.exact for r in res.values())
    assert_consistent(res["x"].failures, 10**5, 0.2)


# --- reproducibility ---------------------------------------------------------


@pytest.mark.parametrize("chunk_size,samples", [(4096, 10**6 + 3), (65536, 3 * 10**6)])
def test_thread_count_independence(seed, chunk_size, samples):
    model = small_model()
    dicts = [
        checked_simulate(model, samples, rng=seed, threads=t,
                         chunk_size=chunk_size).to_dict()
        for t in (1, 2, 8)
    ]
    assert dicts[0] == dicts[1] == dicts[2]
    assert dicts[0]["samples"] == samples


@pytest.mark.parametrize("batch", [1, 3, 64, 1000])
def test_stream_batching_does_not_change_results(seed, monkeypatch, batch):
    model = small_model()
    reference = checked_simulate(model, 10**6 + 3, rng=seed, chunk_size=4096).to_dict()
    monkeypatch.setattr(EX, "_BATCH_CHUNKS", batch)
    for threads in (1, 2):
        got = checked_simulate(model, 10**6 + 3, rng=seed, threads=threads,
                               chunk_size=4096)
        assert got.to_dict() == reference


def test_samples_across_chunks_add_up(seed):
    """Samples not a multiple of the chunk, the word or the block."""
    model = small_model()
    for samples, chunk in [(1, 64), (63, 64), (65, 64), (10**5 + 37, 100),
                           (10**5 + 1, 65536)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ss.FewFailuresWarning)
            res = ss.simulate(model, samples, rng=rng_for(seed, samples), chunk_size=chunk)
        assert res.samples == samples
        assert_matches(res, model, what=f"samples={samples} chunk={chunk}: ")


def test_padding_samples_are_not_counted(seed):
    """A component down with probability 1 - 1e-12 is down in every sample
    drawn and in none beyond: counts equal samples exactly for sizes that
    end mid-word, mid-block and mid-chunk."""
    almost = C("almost", unavailability=1 - 1e-12)
    never = C("never", unavailability=1e-12)
    model = ss.Model([almost, never, ss.parallel(almost, never, name="both")])
    for samples in [1, 2, 63, 64, 65, 127, 1000, 65535, 65537]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ss.FewFailuresWarning)
            res = ss.simulate(model, samples, rng=rng_for(seed, samples), chunk_size=1000)
        assert res["almost"].failures == samples
        assert res["never"].failures == 0
        assert res["both"].failures == 0


def test_same_rng_same_result(seed):
    model = small_model()
    runs = [
        (ss.simulate(model, 10**5, rng=seed), ss.simulate(model, 10**5, rng=seed)),
        (ss.simulate(model, 10**5, rng=np.random.SeedSequence(seed)),
         ss.simulate(model, 10**5, rng=np.random.SeedSequence(seed))),
        (ss.simulate(model, 10**5, rng=np.random.default_rng(seed)),
         ss.simulate(model, 10**5, rng=np.random.default_rng(seed))),
        (ss.simulate(model, 10**5, rng=np.random.PCG64(seed)),
         ss.simulate(model, 10**5, rng=np.random.PCG64(seed))),
    ]
    for first, second in runs:
        assert first.to_dict() == second.to_dict()
    # An int seeds a SeedSequence, as numpy.random.default_rng does.
    assert runs[0][0].to_dict() == runs[1][0].to_dict()


def contested_model():
    """Four journeys near 50% unavailability: two independent runs give the
    same four counts with probability about 1e-13."""
    xs = [C(f"x{i}", unavailability=q) for i, q in enumerate([0.5, 0.4, 0.6, 0.45])]
    return ss.Model(xs)


def test_generator_twice_gives_independent_results(seed):
    model = contested_model()
    gen = np.random.default_rng(seed)
    first = ss.simulate(model, 10**6, rng=gen)
    second = ss.simulate(model, 10**6, rng=gen)
    assert first.to_dict() != second.to_dict()
    for r in (first, second):
        for name, q in zip(r, [0.5, 0.4, 0.6, 0.45]):
            assert_consistent(r[name].failures, r[name].samples, q)
    # and different from a fresh generator with the same seed used once
    fresh = ss.simulate(model, 10**6, rng=np.random.default_rng(seed))
    assert fresh.to_dict() == first.to_dict()


def test_different_seeds_differ(seed):
    model = contested_model()
    a = ss.simulate(model, 10**6, rng=rng_for(seed, 1))
    b = ss.simulate(model, 10**6, rng=rng_for(seed, 2))
    assert a.to_dict() != b.to_dict()


@pytest.mark.parametrize("make", [
    lambda s: s,
    lambda s: np.random.SeedSequence(s),
    lambda s: np.random.default_rng(s),
    lambda s: np.random.PCG64(s),
    lambda s: np.random.Philox(s),
    lambda s: np.random.SFC64(s),
    lambda s: None,
], ids=["int", "SeedSequence", "Generator", "PCG64", "Philox", "SFC64", "None"])
def test_rng_kinds_accepted(seed, make):
    model = small_model()
    res = checked_simulate(model, 2 * 10**5, rng=make(seed))
    assert_matches(res, model)


@pytest.mark.parametrize("bad,cls", [
    ("abc", TypeError), (1.5, TypeError), (-1, ValueError), (object(), TypeError),
    (True, TypeError), (b"seed", TypeError),
])
def test_bad_rng_rejected(bad, cls):
    with pytest.raises(cls, match=r"^The 'rng' parameter of simulate must be .*"
                                  r"Got .* instead\.$"):
        ss.simulate(C("a", unavailability=0.1), 100, rng=bad)


@pytest.mark.parametrize("make", [
    lambda: np.random.RandomState(1),
    lambda: np.random.default_rng(np.random.RandomState(1)),
], ids=["RandomState", "Generator-over-legacy-MT19937"])
def test_unspawnable_rng_rejected_naming_rng(make):
    """A legacy RandomState (or a generator over its bit generator) cannot
    spawn independent streams: rejected with the standard message."""
    with pytest.raises((TypeError, ValueError),
                       match=r"^The 'rng' parameter of simulate must be"):
        ss.simulate(C("a", unavailability=0.1), 100, rng=make())


# --- parameters ---------------------------------------------------------------


def _bad(param, value, cls, **extra):
    kwargs = {param: value, **extra}
    samples = kwargs.pop("samples", 1000)
    with pytest.raises(cls) as info:
        ss.simulate(C("a", unavailability=0.1), samples, rng=0, **kwargs)
    msg = str(info.value)
    assert msg.startswith(f"The {param!r} parameter of simulate must be "), msg
    assert msg.endswith(f"Got {value!r} instead."), msg
    return msg


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (-5, ValueError), (1.5, TypeError), ("10", TypeError),
    (True, TypeError), (None, TypeError), (1e6, TypeError),
])
def test_bad_samples(value, cls):
    msg = _bad("samples", value, cls)
    assert "an int in the range [1, inf" in msg


def test_numpy_ints_accepted(seed):
    res = checked_simulate(C("a", unavailability=0.1), np.int64(10**5),
                           rng=seed, threads=np.int32(2), chunk_size=np.uint32(4096))
    assert res.samples == 10**5 and isinstance(res.samples, int)
    assert_consistent(res["a"].failures, 10**5, 0.1)


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError),
    (True, TypeError),
])
def test_bad_threads(value, cls):
    _bad("threads", value, cls)


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (-4096, ValueError), (63, ValueError), (4096.0, TypeError),
    ("4096", TypeError), (False, TypeError), (None, TypeError),
])
def test_bad_chunk_size(value, cls):
    _bad("chunk_size", value, cls)


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (1, ValueError), (1.5, ValueError), (-0.1, ValueError),
    (float("nan"), ValueError), ("0.95", TypeError), (True, TypeError),
    (None, TypeError),
])
def test_bad_confidence(value, cls):
    _bad("confidence", value, cls)


@pytest.mark.parametrize("value,cls", [
    (0, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
    (float("inf"), ValueError), ("0.1", TypeError), (True, TypeError),
])
def test_bad_rel_error(value, cls):
    _bad("rel_error", value, cls)


@pytest.mark.parametrize("value,cls", [
    (999, ValueError), (0, ValueError), (1e6, TypeError), ("10", TypeError),
])
def test_bad_max_samples(value, cls):
    _bad("max_samples", value, cls, rel_error=0.1)


@pytest.mark.parametrize("bad", ["a", 3, None, [0.1]])
def test_bad_model(bad):
    with pytest.raises(TypeError, match=r"^The 'model' parameter of simulate must be"):
        ss.simulate(bad, 100, rng=0)


def assert_clopper_pearson(f, n, confidence, lo, hi):
    """``(lo, hi)`` is the exact interval by its definition: each bound is
    where the observed count becomes an ``(1 - confidence) / 2`` tail."""
    half = (1 - confidence) / 2
    if f == 0:
        assert lo == 0
    else:
        assert stats.binom.sf(f - 1, n, lo) == pytest.approx(half, rel=1e-8)
    if f == n:
        assert hi == 1
    else:
        assert stats.binom.cdf(f, n, hi) == pytest.approx(half, rel=1e-8)


# --- rel_error -------------------------------------------------------------------


def _half_width_ok(r, rel_error):
    lo, hi = binomial_interval(r.failures, r.samples, r.confidence)
    assert_clopper_pearson(r.failures, r.samples, r.confidence, lo, hi)
    return (hi - lo) / 2 <= rel_error * r.unavailability


@pytest.mark.parametrize("rel_error,confidence", [(0.05, 0.95), (0.1, 0.99)])
def test_rel_error_reached(seed, rel_error, confidence):
    model = ss.Model([
        C("a", unavailability=0.01),
        ss.Journey(ss.parallel(C("b", unavailability=0.1), C("c", unavailability=0.2)),
                   name="bc"),
        ss.Journey(C("up", unavailability=0.0), name="never-down"),
    ])
    res = checked_simulate(model, 10**4, rng=rng_for(seed), rel_error=rel_error,
                           max_samples=10**8, confidence=confidence)
    assert 10**4 <= res.samples <= 10**8
    for name in ("a", "bc"):
        r = res[name]
        assert r.confidence == confidence
        assert _half_width_ok(r, rel_error), (name, r)
        assert_consistent(r.failures, r.samples, {"a": 0.01, "bc": 0.02}[name])
    assert res["never-down"].exact and res["never-down"].failures == 0


def test_rel_error_already_met_by_first_batch(seed):
    res = checked_simulate(C("a", unavailability=0.5), 10**6, rng=rng_for(seed),
                           rel_error=0.1)
    assert res.samples == 10**6
    assert _half_width_ok(res["a"], 0.1)


def test_rel_error_with_only_constant_journeys(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ss.simulate(C("up", unavailability=0), 1000, rng=rng_for(seed),
                          rel_error=0.01)
    assert res.samples == 1000 and res["up"].exact


def test_precision_warning_when_max_samples_too_small(seed):
    with pytest.warns(ss.FewFailuresWarning), \
            pytest.warns(ss.PrecisionWarning, match=r"rel_error=0\.01.*max_samples") as record:
        res = ss.simulate(C("rare", unavailability=1e-6), 10**4, rng=rng_for(seed),
                          rel_error=0.01, max_samples=10**5)
    assert res.samples == 10**5
    assert not _half_width_ok(res["rare"], 0.01)
    assert [w.filename for w in record if w.category is ss.PrecisionWarning] == [__file__]


def test_max_samples_ignored_without_rel_error(seed):
    res = checked_simulate(C("a", unavailability=0.1), 10**5, rng=rng_for(seed),
                           max_samples=10)
    assert res.samples == 10**5


# --- memory ------------------------------------------------------------------------


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def wide_model(n=300):
    """Enough nodes that the chunk's work buffers are about 1 MiB."""
    xs = [C(f"x{i}", unavailability=0.01 + 0.001 * (i % 7)) for i in range(n)]
    return ss.Model([ss.k_of_n(n - 3, xs, name="k"), ss.parallel(*xs[:5], name="p")])


@pytest.mark.parametrize("threads", [1, 2])
def test_memory_bounded_by_chunk_not_samples(seed, threads):
    model = wide_model()
    program = compile_model(model)  # compile outside the measurement
    buffer = program.block_words * 8 * program.n_nodes
    assert buffer >= 2**19  # numpy reports these allocations to tracemalloc

    def run(samples):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ss.FewFailuresWarning)
            ss.simulate(model, samples, rng=rng_for(seed), threads=threads,
                        chunk_size=2**18)

    run(10**6)  # warm up imports and caches
    small = _peak(lambda: run(10**6))
    large = _peak(lambda: run(10**8))
    assert small >= buffer  # the measurement sees the buffers
    assert large <= small + 256 * 1024, (small, large)


def test_streams_for_10_to_12_samples_never_materialised(seed, monkeypatch):
    """Run the driver for 10**12 samples with the kernel replaced by a stub:
    streams are spawned in batches of at most _BATCH_CHUNKS, one per chunk,
    and peak memory does not grow with the number of chunks."""
    taken = []
    real_take = EX.Streams.take

    def take(self, n):
        taken.append(n)
        return real_take(self, n)

    def chunk(task, c):
        assert issubclass(task.kind, np.random.BitGenerator)
        assert isinstance(c.seed, np.random.SeedSequence)
        assert 0 < c.size <= chunk_size
        return np.zeros(len(task.outputs), dtype=np.uint64)

    monkeypatch.setattr(EX.Streams, "take", take)
    monkeypatch.setattr(SIM, "_chunk", chunk)
    model = small_model()
    chunk_size = 2**26

    def run(samples):
        taken.clear()
        with pytest.warns(ss.FewFailuresWarning):  # the stub never fails
            return ss.simulate(model, samples, rng=rng_for(seed), chunk_size=chunk_size)

    small = _peak(lambda: run(10**9))  # 15 chunks
    assert sum(taken) == math.ceil(10**9 / chunk_size)
    holder = {}
    large = _peak(lambda: holder.setdefault("res", run(10**12)))
    assert holder["res"].samples == 10**12
    assert sum(taken) == math.ceil(10**12 / chunk_size)  # 14902 streams
    assert max(taken) <= EX._BATCH_CHUNKS <= 1024
    assert large <= small + 256 * 1024, (small, large)


# --- edge cases ------------------------------------------------------------------------


def test_single_component(seed):
    for q in (1e-3, 0.5, 0.999):
        res = checked_simulate(C("only", unavailability=q), 10**5, rng=rng_for(seed))
        assert list(res) == ["only"]
        assert_consistent(res["only"].failures, 10**5, q)


def test_single_component_via_availability(seed):
    res = checked_simulate(ss.Journey(C("only", availability=0.99), name="j"), 10**5,
                           rng=rng_for(seed))
    assert list(res) == ["j"]
    assert_consistent(res["j"].failures, 10**5, 0.01)


@pytest.mark.parametrize("n", [2, 5, 17])
def test_k_equal_1_and_n(seed, n):
    gen = np.random.default_rng(n)
    qs = gen.uniform(0.05, 0.6, n).tolist()
    xs = [C(f"x{i}", unavailability=q) for i, q in enumerate(qs)]
    model = ss.Model([
        ss.k_of_n(1, xs, name="k1"), ss.parallel(*xs, name="par"),
        ss.k_of_n(n, xs, name="kn"), ss.series(*xs, name="ser"),
    ])
    res = checked_simulate(model, 2 * 10**5, rng=rng_for(seed, n))
    # same samples: k=1 is parallel and k=n is series, sample by sample
    assert res["k1"].failures == res["par"].failures
    assert res["kn"].failures == res["ser"].failures
    assert_consistent(res["k1"].failures, res.samples, math.prod(qs))
    assert_consistent(res["kn"].failures, res.samples,
                      -math.expm1(sum(math.log1p(-q) for q in qs)))


DEPTH = 10**4


def test_very_deep_alternating_graph(seed):
    """10**4 nested levels: series(prev, c) and parallel(prev, c) in turn."""
    gen = np.random.default_rng(1)
    node = C("c0", unavailability=0.01)
    u = 0.01
    for i in range(1, DEPTH):
        if i % 2:
            q = float(gen.uniform(0.005, 0.02))
            node = ss.series(node, C(f"c{i}", unavailability=q))
            u = u + q - u * q
        else:
            q = float(gen.uniform(0.3, 0.7))
            node = ss.parallel(node, C(f"c{i}", unavailability=q))
            u = u * q
    model = ss.Model(ss.Journey(node, name="deep"))
    res = checked_simulate(model, 2 * 10**5, rng=rng_for(seed))
    assert 0.005 < u < 0.05
    assert_consistent(res["deep"].failures, res.samples, u)


def test_very_deep_threshold_chain(seed):
    """10**4 nested 2-of-3 gates, each over the previous level and two new
    components."""
    node = C("base", unavailability=0.1)
    u = 0.1
    for i in range(DEPTH):
        a, b = 0.05, 0.2
        node = ss.k_of_n(2, [node, C(f"a{i}", unavailability=a),
                             C(f"b{i}", unavailability=b)])
        # down when at least two of the three are down
        u = u * a + u * b + a * b - 2 * u * a * b
    model = ss.Model(ss.Journey(node, name="deep"))
    res = checked_simulate(model, 10**5, rng=rng_for(seed))
    assert_consistent(res["deep"].failures, res.samples, u)


def test_very_deep_single_child_chain(seed):
    node = C("x", unavailability=0.3)
    for i in range(DEPTH):
        node = ss.series(node) if i % 3 == 0 else (
            ss.parallel(node) if i % 3 == 1 else ss.k_of_n(1, [node]))
    res = checked_simulate(ss.Model(ss.Journey(node, name="j")), 10**5,
                           rng=rng_for(seed))
    assert_consistent(res["j"].failures, 10**5, 0.3)


WIDTH = 10**4


def test_very_wide_series(seed):
    qs = np.random.default_rng(2).uniform(0, 2e-5, WIDTH)
    model = ss.Model(ss.series(*[C(f"w{i}", unavailability=float(q))
                                 for i, q in enumerate(qs)], name="wide"))
    res = checked_simulate(model, 5 * 10**5, rng=rng_for(seed))
    assert_consistent(res["wide"].failures, res.samples, -np.expm1(np.log1p(-qs).sum()))


def test_very_wide_parallel(seed):
    qs = np.random.default_rng(3).uniform(0.9997, 0.99999, WIDTH)
    model = ss.Model(ss.parallel(*[C(f"w{i}", unavailability=float(q))
                                   for i, q in enumerate(qs)], name="wide"))
    res = checked_simulate(model, 5 * 10**5, rng=rng_for(seed))
    assert_consistent(res["wide"].failures, res.samples, np.exp(np.log(qs).sum()))


@pytest.mark.parametrize("k,low,high", [
    (WIDTH // 2, 0.3, 0.7),            # middle threshold: bit-sliced counter
    (WIDTH // 2 + 1, 0.5, 0.5),        # identical, exactly 0.5 (bit sampler)
    (WIDTH - 3, 1e-4, 5e-4),           # down when >= 4 down: threshold recurrence
    (3, 0.9997, 0.9999),               # up when >= 3 up: recurrence over up bits
])
def test_very_wide_k_of_n(seed, k, low, high):
    qs = np.random.default_rng(k).uniform(low, high, WIDTH)
    model = ss.Model(ss.k_of_n(k, [C(f"w{i}", unavailability=float(q))
                                   for i, q in enumerate(qs)], name="wide"))
    # down when fewer than k children are up
    if low == high:
        u = stats.binom.cdf(k - 1, WIDTH, 1 - low)
    else:
        u = poisson_binomial_pmf(1 - qs)[:k].sum()
    assert 0.01 < u < 0.99
    res = checked_simulate(model, 10**5, rng=rng_for(seed, k))
    assert_consistent(res["wide"].failures, res.samples, u)


# --- result fields -------------------------------------------------------------------


def test_result_fields(seed):
    model = small_model()
    journeys = {j.name: j for j in model.journeys}
    res = checked_simulate(model, 10**5 + 7, rng=rng_for(seed), confidence=0.9)
    assert list(res) == ["checkout", "search", "report"] == list(res.to_dict()["journeys"])
    assert len(res) == 3
    for name, r in res.items():
        n, f = r.samples, r.failures
        assert r.journey == name
        assert n == res.samples == 10**5 + 7
        assert isinstance(f, int) and 0 <= f <= n
        assert r.unavailability == f / n  # directly, not 1 - availability
        assert r.availability == 1 - f / n
        assert r.std_error == pytest.approx(math.sqrt(f / n * (1 - f / n) / n), rel=1e-12)
        lo, hi = r.ci
        assert lo <= r.availability <= hi
        ulo, uhi = r.unavailability_ci
        assert ulo <= r.unavailability <= uhi
        assert (lo, hi) == (1 - uhi, 1 - ulo)
        assert_clopper_pearson(f, n, 0.9, ulo, uhi)
        assert r.confidence == 0.9 and r.target == journeys[name].target
        assert json.loads(json.dumps(r.to_dict())) == r.to_dict()
    assert json.loads(json.dumps(res.to_dict())) == res.to_dict()
    with pytest.raises(KeyError, match="checkout"):
        res["nope"]


def test_unavailability_keeps_rare_digits():
    """One failure in 10**12 samples: the unavailability is exactly the
    float nearest 1e-12, which 1 - availability is not."""
    r = ss.SimulationResult("j", samples=10**12, failures=1)
    assert r.unavailability == 1e-12
    assert r.availability == 1 - 1e-12
    assert float(Fraction(1, 10**12)) == r.unavailability


def test_targets_pass_through(seed):
    a = C("a", unavailability=0.01)
    model = ss.Model([ss.Journey(a, name="with", target=0.999),
                      ss.Journey(ss.series(a), name="without")])
    res = checked_simulate(model, 10**5, rng=rng_for(seed))
    assert res["with"].target == 0.999 and res["without"].target is None
    assert res["with"].failures == res["without"].failures
