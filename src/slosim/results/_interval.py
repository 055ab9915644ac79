"""The exact (Clopper-Pearson) binomial interval of every Monte Carlo estimate."""

from .._validation import check_int, check_real

__all__ = ["binomial_interval"]


def binomial_interval(failures: int, samples: int,
                      confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion.

    Parameters
    ----------
    failures : int
        Observed failures, ``0 <= failures <= samples``.
    samples : int
        Number of trials (> 0).
    confidence : float
        Two-sided confidence level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        Bounds on the failure probability.

    Raises
    ------
    TypeError, ValueError
        If ``samples`` is not a positive int, ``failures`` not an int in
        ``[0, samples]`` or ``confidence`` not in (0, 1).

    Notes
    -----
    ``low = B(a/2; f, n - f + 1)`` and ``high = B(1 - a/2; f + 1, n - f)``
    with ``B`` the beta quantile and ``a = 1 - confidence`` [1]_. Its coverage
    is at least ``confidence`` for every failure probability, however rare,
    which the Wald (normal) interval cannot promise and the Wilson interval
    misses near 0 for small counts. With no failures, ``high`` is about
    ``-log(a/2) / n`` (3.7 / n at 95%).

    References
    ----------
    .. [1] C. J. Clopper and E. S. Pearson, "The use of confidence or fiducial
       limits illustrated in the case of the binomial", Biometrika 26 (1934).

    Examples
    --------
    >>> from slosim import binomial_interval
    >>> lo, hi = binomial_interval(0, 1_000_000)
    >>> lo, round(hi * 1e6, 3)
    (0.0, 3.689)
    """
    func = "binomial_interval"
    samples = check_int(samples, "samples", func, low=1)
    failures = check_int(failures, "failures", func, low=0, high=samples)
    confidence = check_real(confidence, "confidence", func, low=0, high=1,
                            low_open=True, high_open=True)
    # scipy.special on first use only: it costs more to import than the
    # rest of slosim together.
    from scipy.special import betainccinv, betaincinv

    alpha = 1.0 - confidence
    low = 0.0 if failures == 0 else float(
        betaincinv(failures, samples - failures + 1, alpha / 2))
    high = 1.0 if failures == samples else float(
        betainccinv(failures + 1, samples - failures, alpha / 2))
    return low, high
