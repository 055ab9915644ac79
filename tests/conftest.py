"""Shared test configuration.

* ``seed``: the session's random seed, printed in the header. Set
  ``SLOSIM_TEST_SEED`` to reproduce a run; CI gets a new one each run, and
  every statistical test must pass for any seed.
* Refuses to run against a compiled kernel older than its ``.pyx`` source.
"""

import os
import pathlib
import secrets

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("SLOSIM_TEST_SEED", secrets.randbelow(2**32)))


def _stale_extensions():
    import slosim._core._kernels as k

    stale = []
    so = pathlib.Path(k.__file__)
    for pyx in so.parent.glob("*.pyx"):
        built = next(so.parent.glob(pyx.stem + ".*.so"), None) or \
            next(so.parent.glob(pyx.stem + ".*.pyd"), None)
        if built is None or built.stat().st_mtime < pyx.stat().st_mtime:
            stale.append(pyx.name)
    return stale


def pytest_configure(config):
    stale = _stale_extensions()
    if stale:
        raise pytest.UsageError(
            f"compiled slosim kernels are older than their source "
            f"({', '.join(stale)}): rebuild with `make dev` "
            f"(or `pip install -e . --no-build-isolation`) before testing"
        )


def pytest_report_header(config):
    return f"slosim test seed: {SEED} (reproduce with SLOSIM_TEST_SEED={SEED})"


@pytest.fixture
def seed():
    """The session's seed; tests derive their rngs from it."""
    return SEED
