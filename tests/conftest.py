"""Shared test configuration.

* ``seed``: the session's random seed, printed in the header. Set
  ``SLOSIM_TEST_SEED`` to reproduce a run; CI gets a new one each run, and
  every statistical test must pass for any seed.
* Refuses to run against a compiled kernel older than its sources (its
  ``.pyx``, and the C headers and ``.pxd`` files of ``slosim/_core``).
"""

import os
import secrets

import pytest

SEED = int(os.environ.get("SLOSIM_TEST_SEED", secrets.randbelow(2**32)))


def pytest_configure(config):
    from slosim._core import stale_extensions

    stale = stale_extensions()
    if stale:
        raise pytest.UsageError(
            f"compiled slosim kernels are older than their sources "
            f"({', '.join(stale)}): rebuild with `make dev` "
            f"(or `pip install -e . --no-build-isolation`) before testing"
        )


def pytest_report_header(config):
    return f"slosim test seed: {SEED} (reproduce with SLOSIM_TEST_SEED={SEED})"


@pytest.fixture
def seed():
    """The session's seed; tests derive their rngs from it."""
    return SEED
