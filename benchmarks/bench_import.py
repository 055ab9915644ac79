"""Import time of slosim beside its baseline, ``import numpy``.

One group, ``import``, with two benchmarks measured in the same run:

* ``numpy``: ``python -c "import numpy"``;
* ``slosim``: ``python -c "import slosim"``.

Each round is a fresh interpreter (:data:`sys.executable`, started by
:func:`subprocess.run` with the same environment and working directory for
both), so a round is the whole process: interpreter start-up, the import and
exit. Bytecode caching is on whatever the calling environment says
(``PYTHONDONTWRITEBYTECODE`` is dropped), and the warm-up round writes the
caches: an installed slosim has its bytecode compiled (pip compiles it at
install), so compiling the sources every round would time something users
never pay. Start-up is the same on both sides; the difference of the medians is
what importing slosim costs on top of NumPy, which slosim imports anyway.
The goal: at most :data:`GOAL_S` seconds.

Timings are recorded (``extra_info["median_s"]``), never asserted: the end
of the session prints both medians, the difference and whether the goal is
met. What is asserted is the answer: every import succeeds, and, checked
once outside the timed region, ``import slosim`` does not import SciPy at
all (``scipy.special`` is imported on first use only). That is the
structural reason the goal holds, and unlike a time it is deterministic.
"""

import os
import subprocess
import sys

import pytest

#: Most seconds ``import slosim`` may take beyond ``import numpy``.
GOAL_S = 0.15

#: Fresh interpreters per benchmark (after one warm-up round).
ROUNDS = 15

GROUP = "import"

#: Which import statement each benchmark runs.
STATEMENTS = {"numpy": "import numpy", "slosim": "import slosim"}

#: Prints, at the first import of SciPy, the stack below it (slosim's frames
#: first): who imports SciPy. Only for the failure message.
_WHO_IMPORTS_SCIPY = """
import sys, traceback
class Finder:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy" or name.startswith("scipy."):
            sys.meta_path.remove(self)
            print("".join(f for f in traceback.format_stack()[:-1]
                          if "<frozen " not in f))
        return None
sys.meta_path.insert(0, Finder())
import slosim
"""


@pytest.fixture(scope="session")
def interpreter(tmp_path_factory):
    """``run(code)``: ``python -c code`` in a fresh interpreter, the same
    environment and an empty working directory for every call."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cwd = tmp_path_factory.mktemp("import")

    def run(code, *options):
        return subprocess.run([sys.executable, *options, "-c", code], env=env,
                              cwd=cwd, capture_output=True, text=True)
    return run


def time_import(benchmark, record_import, interpreter, name):
    """Time :data:`STATEMENTS` ``[name]`` in fresh interpreters, check that
    every one succeeded, record the median."""
    code = STATEMENTS[name]
    benchmark.group = GROUP
    failed = []

    def fn():
        proc = interpreter(code)
        if proc.returncode != 0:
            failed.append(proc)

    benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert not failed, (
        f"`python -c {code!r}` failed in {len(failed)} of {ROUNDS + 1} rounds "
        f"(exit status {failed[0].returncode}):\n{failed[0].stderr}")
    if benchmark.stats is None:  # --benchmark-disable: checked, not timed
        return
    st = benchmark.stats.stats
    benchmark.extra_info.update(statement=code, median_s=st.median, min_s=st.min,
                                rounds=ROUNDS)
    record_import(name, median=st.median, min=st.min)


def test_import_numpy(benchmark, record_import, interpreter):
    time_import(benchmark, record_import, interpreter, "numpy")


def test_import_slosim(benchmark, record_import, interpreter):
    time_import(benchmark, record_import, interpreter, "slosim")
    # Not timed: slosim must leave SciPy unimported.
    proc = interpreter("import sys, slosim; print('scipy' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    if proc.stdout.strip() != "False":
        who = interpreter(_WHO_IMPORTS_SCIPY)
        pytest.fail(f"`import slosim` imports SciPy (printed {proc.stdout.strip()!r}, "
                    f"expected 'False'); the import of SciPy comes from:\n"
                    f"{who.stdout}{who.stderr}")
    if benchmark.stats is not None:
        benchmark.extra_info["imports_scipy"] = False


def summary_lines(records):
    """The session summary: both medians, the difference and the verdict on
    :data:`GOAL_S`; ``records``: name -> ``{"median": s, "min": s}``."""
    lines = [f"  {f'import {name}':<14} median {r['median']:.3f} s   "
             f"min {r['min']:.3f} s   ({ROUNDS} fresh interpreters)"
             for name, r in sorted(records.items())]
    if "numpy" in records and "slosim" in records:
        diff = records["slosim"]["median"] - records["numpy"]["median"]
        verdict = "met" if diff <= GOAL_S else "NOT met"
        lines.append(f"  slosim - numpy (medians): {diff:+.3f} s; goal at most "
                     f"{GOAL_S:.2f} s: {verdict}")
    else:
        lines.append("  (only one side ran: no difference, no verdict)")
    return lines
