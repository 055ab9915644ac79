"""Throughput of :func:`slosim.simulate` beside NumPy baselines.

One group per model: (a) the 12-component checkout journey, (b) the
random 200-component DAG, and (a+zones), model (a) with three zone
outages as common-cause shocks (see :mod:`models`; the baselines sample
each zone as one more component ORed into its members). Each group holds slosim with
one and two threads and three NumPy baselines (:mod:`baselines`) doing the
same job: count the journey's failures in ``n`` samples. The sample counts
differ by implementation (each round takes a fraction of a second to a
second or two), so compare the samples/second recorded in ``extra_info``,
not the times. Every benchmark checks its count against the exact
unavailability (within the central 1 - 5.7e-7 of the exact binomial
distribution, the two-sided 5-sigma range): a fast wrong answer fails.
"""

import math

import pytest
from scipy import stats

import slosim as ss

from . import baselines

SEED = 20240601

#: Two-sided 5-sigma coverage.
COVERAGE = 1 - 2 * stats.norm.sf(5)


def binomial_range(n, p):
    """Failure counts within the central ``COVERAGE`` of Binomial(n, p)."""
    lo, hi = stats.binom.interval(COVERAGE, n, p)
    return int(lo), int(hi)


def _id(model, n):
    return f"{model}-2^{int(math.log2(n))}"


def cases(**sizes):
    return [pytest.param(m, n, id=_id(m, n)) for m, ns in sizes.items() for n in ns]


def run(benchmark, record_rate, bench_models, model, impl, n, fn, rounds):
    """Time ``fn`` (returns failures in ``n`` samples), check it, record rates."""
    m = bench_models[model]
    benchmark.group = f"model ({model})"
    failures = benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)
    lo, hi = binomial_range(n, m.exact_unavailability)
    assert lo <= failures <= hi, (
        f"{impl} on model ({model}): {failures} failures in {n} samples "
        f"(unavailability {failures / n:.6g}); the exact unavailability "
        f"{m.exact_unavailability:.10g} allows {lo}..{hi}")
    if benchmark.stats is None:  # --benchmark-disable: checked, not timed
        return
    st = benchmark.stats.stats
    median, best = n / st.median, n / st.min
    benchmark.extra_info.update(
        implementation=impl, model=model, samples=n, failures=failures,
        exact_unavailability=m.exact_unavailability,
        samples_per_s=median, samples_per_s_best=best)
    record_rate(model, impl, n, median, best)


@pytest.mark.parametrize("threads", [1, 2], ids=["1t", "2t"])
@pytest.mark.parametrize("model, n", cases(a=[2**32, 2**34], b=[2**27, 2**29],
                                           **{"a+zones": [2**32]}))
def test_slosim(benchmark, record_rate, bench_models, model, n, threads):
    run_slosim(benchmark, record_rate, bench_models, model, n, threads)


def run_slosim(benchmark, record_rate, bench_models, model, n, threads):
    """Time :func:`slosim.simulate` on ``model`` with ``threads`` threads."""
    m = bench_models[model]

    def fn():
        res = ss.simulate(m.model, samples=n, rng=SEED, threads=threads)
        return res[m.journey].failures

    run(benchmark, record_rate, bench_models, model, f"slosim-{threads}t", n, fn,
        rounds=5)


@pytest.mark.parametrize("model, n", cases(a=[2**22, 2**24], b=[2**17, 2**19],
                                           **{"a+zones": [2**22]}))
def test_numpy_naive(benchmark, record_rate, bench_models, model, n):
    st = bench_models[model].structure
    run(benchmark, record_rate, bench_models, model, "numpy-naive", n,
        lambda: baselines.naive(st, n, rng=SEED), rounds=3)


@pytest.mark.parametrize("model, n", cases(a=[2**22, 2**24], b=[2**18, 2**20],
                                           **{"a+zones": [2**22]}))
def test_numpy_bitpacked(benchmark, record_rate, bench_models, model, n):
    st = bench_models[model].structure
    run(benchmark, record_rate, bench_models, model, "numpy-bitpacked", n,
        lambda: baselines.bitpacked(st, n, rng=SEED), rounds=3)


@pytest.mark.parametrize("model, n", cases(a=[2**28, 2**30], b=[2**24, 2**26],
                                           **{"a+zones": [2**28]}))
def test_numpy_sparse(benchmark, record_rate, bench_models, model, n):
    st = bench_models[model].structure
    run(benchmark, record_rate, bench_models, model, "numpy-sparse", n,
        lambda: baselines.sparse(st, n, rng=SEED), rounds=3)

