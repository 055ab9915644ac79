"""Throughput of :func:`slosim.simulate` with a Gaussian copula, beside NumPy.

Two groups, both model (a) with every component a member of one Gaussian
copula (:data:`models.DAY_LOADINGS`: loading 0.6 for the replicas of api,
db and cache, 0.3 for the other components):

* (a+day): the copula as one-factor loadings. slosim samples it at a cost
  that grows with the failures drawn (the factor stratified per block,
  member failures as Poisson hits thinned at the factor value of the
  sample hit); the baselines :func:`baselines.copula_naive` and
  :func:`baselines.copula_bitpacked` draw the factor and one normal per
  component per sample.
* (a+matrix): a second factor for the zone-1 replicas on top
  (:data:`models.ZONE_LOADINGS`), given as a correlation matrix with no
  one-factor form. slosim draws a correlated normal vector per sample; the
  baselines :func:`baselines.matrix_naive` and
  :func:`baselines.matrix_bitpacked` too (``Z = A e``, ``A`` the Cholesky
  factor).

The baselines are recorded as ``numpy-naive`` and ``numpy-bitpacked``, so
the session summary prints ``slosim-1t/numpy-bitpacked`` and the other
ratios for these models as for the others. As in :mod:`bench_simulate`,
the sample counts differ by implementation (compare samples/second, in
``extra_info``), and every benchmark checks its failure count against the
exact unavailability (``slosim.exact``, integrated over the zone factor
for (a+matrix), each checked by an independent quadrature in
:mod:`models`) within the two-sided 5-sigma
range of the binomial distribution. slosim's one-factor sampler is
stratified in the factor, so its count varies less than a binomial one:
the range is conservative for it.
"""

import pytest

from . import baselines
from .bench_simulate import SEED, cases, run, run_slosim


# (a+matrix) costs slosim about 170 ns a sample, so a chunk of the default
# size (2**22 samples) takes most of a second: 2**21 samples are one chunk
# and a second thread has nothing to do; 2**23 are two chunks.
@pytest.mark.parametrize("threads", [1, 2], ids=["1t", "2t"])
@pytest.mark.parametrize("model, n", cases(**{"a+day": [2**26, 2**28],
                                              "a+matrix": [2**21, 2**23]}))
def test_slosim(benchmark, record_rate, bench_models, model, n, threads):
    run_slosim(benchmark, record_rate, bench_models, model, n, threads)


def _count(m, n, one_factor, matrix):
    """Failures in ``n`` samples of model ``m`` by the baseline for its form."""
    if m.correlation is None:
        return one_factor(m.structure, m.loadings, n, rng=SEED)
    return matrix(m.structure, m.correlation, n, rng=SEED)


@pytest.mark.parametrize("model, n", cases(**{"a+day": [2**20, 2**22],
                                              "a+matrix": [2**20, 2**22]}))
def test_numpy_naive(benchmark, record_rate, bench_models, model, n):
    m = bench_models[model]
    run(benchmark, record_rate, bench_models, model, "numpy-naive", n,
        lambda: _count(m, n, baselines.copula_naive, baselines.matrix_naive),
        rounds=3)


@pytest.mark.parametrize("model, n", cases(**{"a+day": [2**20, 2**22],
                                              "a+matrix": [2**20, 2**22]}))
def test_numpy_bitpacked(benchmark, record_rate, bench_models, model, n):
    m = bench_models[model]
    run(benchmark, record_rate, bench_models, model, "numpy-bitpacked", n,
        lambda: _count(m, n, baselines.copula_bitpacked,
                       baselines.matrix_bitpacked),
        rounds=3)
