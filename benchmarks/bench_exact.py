"""The exact engine beside SCRAM's BDD, on the same Open-PSA MEF files.

One group per model (:data:`CASES`, built by :mod:`exact_models`), each
holding

* ``slosim.exact``: :func:`slosim.exact` on the model (every journey, with
  every component's conditionals);
* ``slosim read+exact``: :func:`slosim.io.read_openpsa` of the model's MEF
  file, then :func:`slosim.exact`: from the file to the answer, as SCRAM;
* ``scram``: ``scram --bdd --probability true`` on the same file, timed as a
  subprocess (see :mod:`scram`: the wall time, plus the times SCRAM reports
  for its analysis and, from its log, for its BDD alone);

and one group with SCRAM's start-up: the wall time of a run on a model of
two basic events.

Beside these, the fault trees people exchange, read from their own files
(:data:`FILE_CASES`): the public Aralia benchmark trees, from the
directory named by the environment variable ``SLOSIM_ARALIA`` (one
``NAME.xml`` per tree; not shipped with slosim), SCRAM's shipped examples
(``/usr/share/scram/input``, a fault tree and its basic events in two
files), and the non-coherent and common-cause models of slosim's own
tests (``tests/data/openpsa``; SCRAM runs with ``--ccf``). Each is timed
as ``slosim.exact`` (the model read once), ``slosim read+exact`` and
``scram`` (with ``--limit-order 1``: SCRAM's probability comes from its
BDD whatever the order limit, and its minimal cut sets, which the
comparison leaves out, then cost little time and disk; a call of slosim
under 20 ms gets more rounds, about a quarter of a second of them);
slosim's answer is checked against the same engine without preprocessing
(1e-12) and against
SCRAM's printed probabilities. A tree too large for slosim's node budget
records the bounds :func:`slosim.exact` reports instead; one whose diagram
is known to need more than the default budget (:data:`BIG`: das9701) runs
with the budget it needs, as a user would.

The MEF file is written by :func:`slosim.io.write_openpsa` (the benchmark
writer :func:`scram.write_mef` when slosim.io is missing). Answers are
checked: slosim's against a Monte Carlo estimate (within the two-sided
5-sigma range of the exact binomial distribution) and against SCRAM's
printed probabilities (six significant digits); SCRAM's on both writers'
files (for the smaller models) agree; read+exact equals exact. A fast wrong
answer fails. Timings are recorded, never asserted: the end of the session
prints the times and the ratios SCRAM / slosim (above 1: slosim is
faster), and whether slosim is at least as fast as SCRAM's BDD on every
model SCRAM solves and solves the models SCRAM cannot finish within
:data:`SCRAM_TIMEOUT`.

SCRAM is only a comparison: without ``scram`` on ``PATH`` the SCRAM
benchmarks skip and the slosim ones run.
"""

from dataclasses import dataclass
import math
import os
import pathlib
import statistics
import time

import pytest
from scipy import stats

import slosim as ss
from slosim.engines import DEFAULT_MAX_NODES

from . import exact_models as em, scram

try:
    import slosim.io as slosim_io
except ImportError:  # the MEF bridge is optional for these benchmarks
    slosim_io = None

SEED = 20240601

#: Seconds SCRAM gets per run; the goal is to solve what it cannot finish
#: in two minutes.
SCRAM_TIMEOUT = 120.0

#: A model SCRAM cannot finish counts for the goal when slosim solves it
#: exactly, or reports lower and upper bounds within this many seconds.
BOUNDED_WITHIN_S = 60.0

#: Node budget of the reference solution (checking, not timed); the timed
#: benchmark uses slosim's default budget.
REFERENCE_MAX_NODES = 50_000_000

#: Two-sided 5-sigma coverage.
COVERAGE = 1 - 2 * stats.norm.sf(5)

#: Most Monte Carlo samples for checking a reference answer.
MC_MAX_SAMPLES = 2**27


def have_io():
    return slosim_io is not None and hasattr(slosim_io, "read_openpsa") \
        and hasattr(slosim_io, "write_openpsa")


@dataclass(frozen=True)
class Case:
    """A benchmark model.

    ``scram_rounds``: SCRAM runs (1 for the slow ones); ``crosscheck``:
    also run SCRAM on the other writer's file; ``scram_may_not_finish``:
    the model meant to exceed :data:`SCRAM_TIMEOUT`.
    """

    name: str
    build: object
    note: str
    slosim_rounds: int = 5
    scram_rounds: int = 3
    crosscheck: bool = False
    scram_may_not_finish: bool = False


CASES = [
    Case("service-500",
         lambda: em.service_graph(500, n_shared=50, n_journeys=4, seed=SEED),
         "the issue's scale model: 500 components, 50 shared infrastructure "
         "components, k-of-n pools, 3 regions, 4 journeys",
         slosim_rounds=10, scram_rounds=5, crosscheck=True),
    Case("service-2000",
         lambda: em.service_graph(2000, n_shared=200, n_journeys=4, seed=SEED),
         "2000 components, 200 shared, 4 journeys", scram_rounds=1),
    Case("pra-200", lambda: em.pra_fault_tree(200, seed=SEED),
         "PRA-style fault tree, 200 basic events", slosim_rounds=10, crosscheck=True),
    Case("pra-500", lambda: em.pra_fault_tree(500, seed=SEED),
         "PRA-style fault tree, 500 basic events"),
    Case("pra-1000", lambda: em.pra_fault_tree(1000, seed=SEED),
         "PRA-style fault tree, 1000 basic events", scram_rounds=1),
    Case("random-200", lambda: em.random_fault_tree(200, seed=SEED),
         "unstructured random fault tree, 200 basic events, 30 used 2-3 times",
         crosscheck=True),
    Case("random-250", lambda: em.random_fault_tree(250, seed=SEED),
         "unstructured random fault tree, 250 basic events, 37 used 2-3 times",
         scram_rounds=1),
    # the random fault trees where SCRAM's BDD was faster, or finished at all
    Case("random-200-s1", lambda: em.random_fault_tree(200, seed=1),
         "random fault tree, 200 events, seed 1: SCRAM's preprocessing leaves 43 "
         "events", scram_rounds=3),
    Case("random-200-s4", lambda: em.random_fault_tree(200, seed=4),
         "random fault tree, 200 events, seed 4", scram_rounds=3),
    Case("random-300-s5", lambda: em.random_fault_tree(300, seed=5),
         "random fault tree, 300 events, seed 5", scram_rounds=1),
    Case("random-300-s1", lambda: em.random_fault_tree(300, seed=1),
         "random fault tree, 300 events, seed 1: SCRAM does not finish",
         slosim_rounds=3, scram_rounds=1, scram_may_not_finish=True),
    Case("service-quorum",
         lambda: em.service_graph(600, n_shared=50, n_journeys=4, seed=SEED,
                                  quorums=[(26, 50)]),
         "service-500's kind of graph with a quorum store, 26 of 50 replicas up "
         "(an atleast 25 of 50 gate for SCRAM)",
         scram_rounds=1, scram_may_not_finish=True),
]


@dataclass
class Prepared:
    """A case ready to run: the model, its MEF files, its reference answers."""

    case: Case
    model: ss.Model
    mef: object            # the file the benchmarks use
    writer: str            # which writer wrote it
    other_mef: object      # the other writer's file (None without slosim.io)
    other_tops: dict       # top gate -> journey in other_mef
    tops: dict             # top gate -> journey in mef
    reference: dict        # journey -> unavailability (slosim, large budget)
    description: dict


_PREPARED = {}


@pytest.fixture(scope="session")
def exact_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("exact")


@pytest.fixture(scope="session")
def prepare(exact_dir):
    """``prepare(case)``: build, write and solve a case once per session.

    The reference answer (slosim.exact with a large node budget) is checked
    against a Monte Carlo estimate here.
    """
    def get(case):
        if case.name in _PREPARED:
            return _PREPARED[case.name]
        model = case.build()
        ref = ss.exact(model, max_nodes=REFERENCE_MAX_NODES)
        reference = {j: r.unavailability for j, r in ref.items()}
        check_monte_carlo(model, reference)
        mine = exact_dir / f"{case.name}.bench-writer.xml"
        mine_tops = {top: j for j, top in scram.write_mef(model, mine).items()}
        if have_io():
            mef = exact_dir / f"{case.name}.xml"
            slosim_io.write_openpsa(model, mef)
            marked = scram.top_journeys(mef)  # renamed top gate -> journey
            tops = dict(marked)
            tops.update({j.name: j.name for j in model.journeys
                         if j.name not in marked.values()})
            prepared = Prepared(case, model, mef, "slosim.io.write_openpsa", mine,
                                mine_tops, tops, reference, em.describe(model))
        else:
            prepared = Prepared(case, model, mine, "benchmarks.scram.write_mef", None,
                                {}, mine_tops, reference, em.describe(model))
        _PREPARED[case.name] = prepared
        return prepared
    return get


def check_monte_carlo(model, reference):
    """Each journey's failures within 5 sigma of the exact unavailability.

    Samples enough for about 2000 failures of the least available journey
    (between 2**20 and :data:`MC_MAX_SAMPLES`); a journey too available for
    100 failures in that many samples is left to the SCRAM check.
    """
    low = min(reference.values())
    n = int(min(MC_MAX_SAMPLES, max(2**20, math.ceil(2000 / max(low, 1e-300)))))
    checked = {j: u for j, u in reference.items() if u * n >= 100}
    if not checked:
        return
    res = ss.simulate(model, samples=n, rng=SEED)
    for j, u in checked.items():
        lo, hi = stats.binom.interval(COVERAGE, n, u)
        f = res[j].failures
        assert lo <= f <= hi, (
            f"journey {j!r}: {f} failures in {n} samples; the exact "
            f"unavailability {u!r} allows {int(lo)}..{int(hi)}")


def _ids(cases):
    return [pytest.param(c, id=c.name) for c in cases]


def _group(case):
    return f"exact ({case.name})"


def _median_min(benchmark):
    st = benchmark.stats.stats
    return st.median, st.min


# --- slosim -----------------------------------------------------------------


@pytest.mark.parametrize("case", _ids(CASES))
def test_slosim_exact(benchmark, record_exact, prepare, case):
    p = prepare(case)
    benchmark.group = _group(case)
    res = benchmark.pedantic(lambda: ss.exact(p.model), rounds=case.slosim_rounds,
                             iterations=1, warmup_rounds=1)
    for j, u in p.reference.items():
        # another budget may race to another order: the same number to 1e-12
        assert math.isclose(res[j].unavailability, u, rel_tol=1e-12, abs_tol=1e-300), (
            j, res[j].unavailability, u)
    median, best = _median_min(benchmark)
    benchmark.extra_info.update(implementation="slosim.exact", model=case.name,
                                bdd_nodes=res.bdd_nodes, unavailability=p.reference,
                                **p.description)
    record_exact(case.name, "slosim.exact", median=median, min=best,
                 bdd_nodes=res.bdd_nodes, description=p.description, note=case.note)


@pytest.mark.parametrize("case", _ids(CASES))
def test_slosim_read_exact(benchmark, record_exact, prepare, case):
    if not have_io():
        pytest.skip("slosim.io.read_openpsa / write_openpsa are not available")
    p = prepare(case)
    benchmark.group = _group(case)

    def fn():
        return ss.exact(slosim_io.read_openpsa(p.mef))

    res = benchmark.pedantic(fn, rounds=case.slosim_rounds, iterations=1,
                             warmup_rounds=1)
    assert set(res) == set(p.reference)
    for j, u in p.reference.items():
        assert math.isclose(res[j].unavailability, u, rel_tol=1e-12, abs_tol=0), (
            j, res[j].unavailability, u)
    # The benchmark writer's file reads back to the same probabilities too.
    back = ss.exact(slosim_io.read_openpsa(p.other_mef), max_nodes=REFERENCE_MAX_NODES)
    for top, j in p.other_tops.items():
        assert math.isclose(back[top].unavailability, p.reference[j], rel_tol=1e-12), (
            top, back[top].unavailability, p.reference[j])
    median, best = _median_min(benchmark)
    benchmark.extra_info.update(implementation="slosim read+exact", model=case.name)
    record_exact(case.name, "slosim read+exact", median=median, min=best)


# --- SCRAM ------------------------------------------------------------------

needs_scram = pytest.mark.skipif(
    not scram.available(),
    reason="scram is not on PATH (Debian package scram, 0.16): the SCRAM "
           "comparison is skipped, the slosim benchmarks still run")


def check_scram(run, tops, reference, where):
    """SCRAM's printed probability of every top equals slosim's, rounded."""
    assert set(run.probabilities) == set(tops), (where, sorted(run.probabilities))
    for top, text in run.printed.items():
        u = reference[tops[top]]
        tol = scram.printed_tolerance(text) * (1 + 1e-9) + 1e-12 * abs(u)
        assert abs(u - float(text)) <= tol, (
            f"{where}: SCRAM prints {text} for {top!r}, slosim.exact gives {u!r}")


@needs_scram
def test_scram_startup(benchmark, record_exact, exact_dir):
    """SCRAM's wall time on two basic events: start-up, reading, writing."""
    tiny = ss.Model(ss.Journey(ss.parallel(
        ss.Component("a", unavailability=0.25), ss.Component("b", unavailability=0.5),
        name="both"), name="both"))
    path = exact_dir / "tiny.xml"
    scram.write_mef(tiny, path)
    benchmark.group = "scram start-up"
    run = benchmark.pedantic(lambda: scram.run(path, timeout=60), rounds=5,
                             iterations=1, warmup_rounds=1)
    run.require_ok()
    assert run.printed == {"both-gate": "0.125"}
    median, best = _median_min(benchmark)
    benchmark.extra_info.update(implementation="scram", model="two events",
                                scram_version=scram.version())
    record_exact("(start-up)", "scram", median=median, min=best,
                 version=scram.version())


@needs_scram
@pytest.mark.parametrize("case", _ids(CASES))
def test_scram(benchmark, record_exact, prepare, exact_dir, case):
    p = prepare(case)
    benchmark.group = _group(case)
    runs = []

    def fn():
        report = exact_dir / f"{case.name}.report-{len(runs)}.xml"
        runs.append(scram.run(p.mef, timeout=SCRAM_TIMEOUT, report_path=report,
                              parse=False))

    benchmark.pedantic(fn, rounds=case.scram_rounds, iterations=1, warmup_rounds=0)
    finished = [r.read_report() for r in runs if r.ok]
    info = dict(implementation="scram", model=case.name, writer=p.writer,
                status=[r.status for r in runs], wall=[r.wall_time for r in runs],
                timeout=SCRAM_TIMEOUT)
    if len(finished) < len(runs):
        if not case.scram_may_not_finish:
            for r in runs:
                r.require_ok()
        benchmark.extra_info.update(info)
        record_exact(case.name, "scram", finished=False,
                     status=[r.status for r in runs],
                     wall=statistics.median(r.wall_time for r in runs),
                     log=runs[-1].log[-500:])
        return
    for i, r in enumerate(finished):
        check_scram(r, p.tops, p.reference, f"{case.name}, round {i}")
    if case.crosscheck and p.other_mef is not None:
        other = scram.run(p.other_mef, timeout=SCRAM_TIMEOUT,
                          report_path=exact_dir / f"{case.name}.other.report.xml")
        other.require_ok()
        check_scram(other, p.other_tops, p.reference, f"{case.name}, benchmark writer")
        for top, text in other.printed.items():
            mine = finished[0].printed[next(t for t, j in p.tops.items()
                                            if j == p.other_tops[top])]
            assert text == mine, (top, text, mine)
    wall = statistics.median(r.wall_time for r in finished)
    analysis = statistics.median(r.analysis_time() for r in finished)
    bdd = statistics.median(r.bdd_time() for r in finished)
    info.update(analysis_time=analysis, bdd_time=bdd,
                products=finished[0].products, report_bytes=finished[0].report_bytes,
                printed=finished[0].printed)
    recs = record_exact(case.name, "scram", finished=True, wall=wall,
                        wall_min=min(r.wall_time for r in finished), analysis=analysis,
                        bdd=bdd, products=sum(finished[0].products.values()),
                        report_bytes=finished[0].report_bytes)
    # Ratios SCRAM / slosim (above 1: slosim faster), when slosim ran first.
    if "slosim.exact" in recs:
        t = recs["slosim.exact"]["median"]
        info.update(ratio_bdd_over_exact=bdd / t, ratio_analysis_over_exact=analysis / t)
    if "slosim read+exact" in recs:
        info["ratio_wall_over_read_exact"] = wall / recs["slosim read+exact"]["median"]
    benchmark.extra_info.update(info)


# --- models from files: Aralia trees, SCRAM's examples, slosim's tests ------

#: Environment variable naming a directory of Aralia trees (``NAME.xml``).
ARALIA_ENV = "SLOSIM_ARALIA"

#: SCRAM's shipped examples (Debian package ``scram``).
SCRAM_INPUT = pathlib.Path("/usr/share/scram/input")

#: slosim's own MEF test models.
TEST_DATA = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "openpsa"

#: SCRAM's shipped fault trees: name -> files under :data:`SCRAM_INPUT`.
SHIPPED = {
    "scram-baobab1": ("Baobab/baobab1.xml", "Baobab/baobab1-basic-events.xml"),
    "scram-baobab2": ("Baobab/baobab2.xml", "Baobab/baobab2-basic-events.xml"),
    "scram-cea9601": ("CEA9601/CEA9601.xml", "CEA9601/CEA9601-basic-events.xml"),
    "scram-chinese": ("Chinese/chinese.xml", "Chinese/chinese-basic-events.xml"),
}


@dataclass(frozen=True)
class FileCase:
    """A model read from its MEF files (see the module docstring)."""

    name: str
    sources: tuple
    note: str
    scram_args: tuple = ("--limit-order", "1")
    slosim_rounds: int = 5
    max_nodes: int = DEFAULT_MAX_NODES


#: Aralia trees whose diagram needs more than exact's default node budget
#: (a memory guard), run with the budget they need: das9701's diagram has
#: 10.7 million nodes (about 0.5 GB).
BIG = {"das9701": 20_000_000}


def file_cases():
    """The file models present on this machine (none is required)."""
    cases = []
    aralia = os.environ.get(ARALIA_ENV)
    if aralia and pathlib.Path(aralia).is_dir():
        for path in sorted(pathlib.Path(aralia).glob("*.xml")):
            big = {"max_nodes": BIG[path.stem], "slosim_rounds": 1} if path.stem in BIG else {}
            cases.append(FileCase(path.stem, (path,), "Aralia benchmark fault tree", **big))
    for name, files in SHIPPED.items():
        paths = tuple(SCRAM_INPUT / f for f in files)
        if all(p.is_file() for p in paths):
            cases.append(FileCase(name, paths, "SCRAM's shipped example"))
    for path in sorted(TEST_DATA.glob("ccf-trains-*.xml")):
        cases.append(FileCase(path.stem, (path,), "common-cause group (SCRAM --ccf)",
                              scram_args=("--limit-order", "1", "--ccf", "true")))
    cases.append(FileCase("mef-not", (TEST_DATA / "not.xml",), "non-coherent logic"))
    return cases


FILE_CASES = file_cases()

_READ = {}

#: Node budget of a file model's reference solution (exact without
#: preprocessing): the largest trees exceed any budget, so a moderate one.
FILE_REFERENCE_MAX_NODES = 10_000_000


def read_case(case):
    """(model, reference): the model read once, and its journeys'
    unavailabilities from exact without preprocessing (None where that
    exceeds :data:`FILE_REFERENCE_MAX_NODES`)."""
    if case.name not in _READ:
        model = slosim_io.read_openpsa(*case.sources)
        try:
            ref = ss.exact(model, max_nodes=FILE_REFERENCE_MAX_NODES, _preprocess=False)
            reference = {j: r.unavailability for j, r in ref.items()}
        except ss.DiagramTooLargeError:
            reference = None
        _READ[case.name] = model, reference
    return _READ[case.name]


#: A file model whose call takes less than this (s) gets more rounds than
#: its case's, about :data:`SHORT_TOTAL` seconds of them, at most
#: :data:`MAX_ROUNDS`: five rounds of a 0.3 ms call are noisy.
SHORT_CALL = 0.02
SHORT_TOTAL = 0.25
MAX_ROUNDS = 50


def _rounds(fn, rounds):
    """Rounds to time ``fn`` for: ``rounds``, or more for a short call
    (timed once here, which also warms it up)."""
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    if took >= SHORT_CALL:
        return rounds
    return max(rounds, min(MAX_ROUNDS, int(SHORT_TOTAL / max(took, 1e-6))))


def _file_ids(cases):
    return [pytest.param(c, id=c.name) for c in cases]


needs_io = pytest.mark.skipif(not have_io(), reason="slosim.io is not available")


@needs_io
@pytest.mark.parametrize("case", _file_ids(FILE_CASES))
def test_slosim_file_exact(benchmark, record_exact, case):
    model, reference = read_case(case)
    benchmark.group = f"exact ({case.name})"
    description = {"components": len(model.components)}

    def fn():
        try:
            return ss.exact(model, max_nodes=case.max_nodes)
        except ss.DiagramTooLargeError as exc:
            return exc

    res = benchmark.pedantic(fn, rounds=_rounds(fn, case.slosim_rounds), iterations=1,
                             warmup_rounds=1)
    median, best = _median_min(benchmark)
    if isinstance(res, ss.DiagramTooLargeError):
        # what exact got to: bounds, checked against the reference if any
        assert res.bounds is not None or not ss.model.lower(model).coherent, str(res)
        for j, (lo, hi) in (res.bounds or {}).items():
            if reference is not None:
                assert lo * (1 - 1e-12) <= reference[j] <= hi * (1 + 1e-12), (j, lo, hi)
        benchmark.extra_info.update(implementation="slosim.exact", model=case.name,
                                    bounds=res.bounds, message=str(res))
        record_exact(case.name, "slosim.exact", median=median, min=best, bdd_nodes=0,
                     description=description, note=case.note, bounds=res.bounds,
                     solved=False)
        return
    if reference is not None:
        for j, u in reference.items():
            assert math.isclose(res[j].unavailability, u, rel_tol=1e-12, abs_tol=1e-300), (
                j, res[j].unavailability, u)
    benchmark.extra_info.update(implementation="slosim.exact", model=case.name,
                                bdd_nodes=res.bdd_nodes,
                                unavailability={j: r.unavailability for j, r in res.items()})
    record_exact(case.name, "slosim.exact", median=median, min=best,
                 bdd_nodes=res.bdd_nodes, description=description, note=case.note,
                 unavailability={j: r.unavailability for j, r in res.items()})


@needs_io
@pytest.mark.parametrize("case", _file_ids(FILE_CASES))
def test_slosim_file_read_exact(benchmark, record_exact, case):
    model, reference = read_case(case)
    benchmark.group = f"exact ({case.name})"

    def fn():
        try:
            return ss.exact(slosim_io.read_openpsa(*case.sources), max_nodes=case.max_nodes)
        except ss.DiagramTooLargeError as exc:
            return exc

    res = benchmark.pedantic(fn, rounds=_rounds(fn, case.slosim_rounds), iterations=1,
                             warmup_rounds=1)
    if reference is not None and not isinstance(res, ss.DiagramTooLargeError):
        for j, u in reference.items():
            assert math.isclose(res[j].unavailability, u, rel_tol=1e-12, abs_tol=1e-300)
    median, best = _median_min(benchmark)
    record_exact(case.name, "slosim read+exact", median=median, min=best)


@needs_io
@needs_scram
@pytest.mark.parametrize("case", _file_ids(FILE_CASES))
def test_scram_file(benchmark, record_exact, exact_dir, case):
    model, reference = read_case(case)
    benchmark.group = f"exact ({case.name})"
    runs = []

    def fn():
        report = exact_dir / f"{case.name}.report-{len(runs)}.xml"
        runs.append(scram.run(list(case.sources), timeout=SCRAM_TIMEOUT,
                              report_path=report, args=case.scram_args, parse=False))

    benchmark.pedantic(fn, rounds=1 if reference is None else 3, iterations=1,
                       warmup_rounds=0)
    finished = [r.read_report() for r in runs if r.ok]
    if len(finished) < len(runs):
        record_exact(case.name, "scram", finished=False, status=[r.status for r in runs],
                     wall=statistics.median(r.wall_time for r in runs),
                     log=runs[-1].log[-500:])
        benchmark.extra_info.update(implementation="scram", model=case.name,
                                    status=[r.status for r in runs])
        return
    if reference is not None:
        tops = {top: top for top in finished[0].printed}
        missing = set(tops) - set(reference)
        assert not missing, f"SCRAM's tops {sorted(missing)} are no journeys of slosim's"
        for i, r in enumerate(finished):
            check_scram(r, tops, reference, f"{case.name}, round {i}")
    wall = statistics.median(r.wall_time for r in finished)
    bdd = statistics.median(r.bdd_time() for r in finished)
    analysis = statistics.median(r.analysis_time() for r in finished)
    recs = record_exact(case.name, "scram", finished=True, wall=wall,
                        wall_min=min(r.wall_time for r in finished), analysis=analysis,
                        bdd=bdd, products=sum(finished[0].products.values()),
                        report_bytes=finished[0].report_bytes)
    info = dict(implementation="scram", model=case.name, wall=wall, bdd_time=bdd,
                analysis_time=analysis, printed=finished[0].printed)
    if "slosim.exact" in recs:
        info["ratio_bdd_over_exact"] = bdd / recs["slosim.exact"]["median"]
    benchmark.extra_info.update(info)


# --- the session summary (printed by conftest.py) ----------------------------


def summary(records):
    """Times and ratios per model, and the goal's verdict, from the records.

    ``records``: ``{model: {implementation: values}}`` as ``record_exact``
    stores them. Ratios are SCRAM's time over slosim's (above 1: slosim is
    faster): ``bdd/exact`` compares SCRAM's BDD phases (Boolean graph,
    preprocessing, BDD, probability; no cut sets, start-up or I/O) with
    slosim.exact; ``analysis/exact`` SCRAM's reported analysis time (with
    the minimal cut sets); ``wall/read+exact`` the two from the file to the
    answer.
    """
    out = {"models": {}}
    startup = records.get("(start-up)", {}).get("scram")
    if startup:
        out["scram_startup_s"] = startup["median"]
        out["scram_version"] = startup.get("version")
    slower, unsolved, unfinished = [], [], []
    scram_runs = any("scram" in rec for name, rec in records.items()
                     if name != "(start-up)")
    for name, rec in records.items():
        if name == "(start-up)":
            continue
        s = rec.get("slosim.exact")
        rx = rec.get("slosim read+exact")
        sc = rec.get("scram")
        row = {"note": (s or {}).get("note")}
        if s:
            row.update(components=s["description"]["components"],
                       slosim_exact_s=s["median"], bdd_nodes=s["bdd_nodes"])
            if s.get("solved") is False:
                row["bounds"] = s.get("bounds")
        if rx:
            row["slosim_read_exact_s"] = rx["median"]
        if sc and sc.get("finished"):
            row.update(scram_wall_s=sc["wall"], scram_analysis_s=sc["analysis"],
                       scram_bdd_s=sc["bdd"], scram_products=sc["products"],
                       scram_report_bytes=sc["report_bytes"])
            if s and s.get("solved") is False:
                unsolved.append(name)
            elif s:
                row["ratio_bdd/exact"] = sc["bdd"] / s["median"]
                row["ratio_analysis/exact"] = sc["analysis"] / s["median"]
                if row["ratio_bdd/exact"] < 1:
                    slower.append(name)
            else:
                unsolved.append(name)
            if rx:
                row["ratio_wall/read+exact"] = sc["wall"] / rx["median"]
        elif sc:
            row.update(scram_status=sc["status"], scram_wall_s=sc["wall"])
            if not s:
                outcome = None
            elif s.get("solved") is not False:
                outcome = "solved"
            elif s.get("bounds") and s["median"] <= BOUNDED_WITHIN_S:
                outcome = "bounded"
            else:
                outcome = None
            unfinished.append((name, outcome))
        out["models"][name] = row
    out["goal"] = {
        "slosim_slower_than_scram_bdd": slower,
        "scram_solved_slosim_did_not": unsolved,
        "scram_did_not_finish": [n for n, _ in unfinished],
        "of_which_slosim_solved": [n for n, o in unfinished if o == "solved"],
        "of_which_slosim_bounded": [n for n, o in unfinished if o == "bounded"],
        # None: no SCRAM run to judge by
        "met": (not slower and not unsolved and bool(unfinished)
                and all(o is not None for _, o in unfinished)) if scram_runs else None,
    }
    return out


def summary_lines(records):
    """The summary as lines of text."""
    s = summary(records)
    lines = []
    if "scram_startup_s" in s:
        lines.append(f"SCRAM {s['scram_version']}: start-up, reading and writing "
                     f"a two-event model take {s['scram_startup_s']:.3f} s of each "
                     f"wall time")
    lines.append("times in seconds (medians); ratios SCRAM / slosim, above 1: "
                 "slosim faster")
    head = (f"{'model':<15}{'comps':>6}{'exact':>9}{'read+ex':>9}{'SCRAM':>9}"
            f"{'analys.':>9}{'BDD':>9}{'BDD/ex':>8}{'an./ex':>8}{'wall/rx':>8}")
    lines.append(head)

    def f(x, w=9, fmt=".4f"):
        return f"{x:>{w}{fmt}}" if isinstance(x, (int, float)) else f"{'-':>{w}}"

    for name, row in s["models"].items():
        line = (f"{name:<15}{row.get('components', '-'):>6}"
                f"{f(row.get('slosim_exact_s'))}{f(row.get('slosim_read_exact_s'))}")
        if "bounds" in row:
            line += ("  exact gave bounds: " + ", ".join(
                f"{j} in [{lo:.4g}, {hi:.4g}]" for j, (lo, hi) in row["bounds"].items())
                if row["bounds"] else "  exact gave up (no bounds: not coherent)")
        if "scram_status" in row:
            line += (f"  SCRAM did not finish: {'/'.join(row['scram_status'])} "
                     f"after {row['scram_wall_s']:.0f} s")
        else:
            line += (f"{f(row.get('scram_wall_s'))}{f(row.get('scram_analysis_s'))}"
                     f"{f(row.get('scram_bdd_s'))}{f(row.get('ratio_bdd/exact'), 8, '.2f')}"
                     f"{f(row.get('ratio_analysis/exact'), 8, '.2f')}"
                     f"{f(row.get('ratio_wall/read+exact'), 8, '.2f')}")
        lines.append(line)
    g = s["goal"]
    verdict = {True: "met", False: "NOT met", None: "not judged (no SCRAM run)"}
    lines.append("goal (at least as fast as SCRAM's BDD on every model it solves; "
                 "the models it cannot finish in two minutes solved, or bounded "
                 f"within {BOUNDED_WITHIN_S:.0f} s): " + verdict[g["met"]])
    if g["slosim_slower_than_scram_bdd"]:
        lines.append("  slower than SCRAM's BDD on: "
                     + ", ".join(g["slosim_slower_than_scram_bdd"]))
    if g["scram_solved_slosim_did_not"]:
        lines.append("  SCRAM solved, slosim.exact did not: "
                     + ", ".join(g["scram_solved_slosim_did_not"]))
    if g["scram_did_not_finish"]:
        lines.append("  SCRAM did not finish: " + ", ".join(g["scram_did_not_finish"])
                     + "; slosim solved: " + (", ".join(g["of_which_slosim_solved"])
                                               or "none")
                     + "; bounded: " + (", ".join(g["of_which_slosim_bounded"])
                                        or "none"))
    elif g["met"] is not None:
        lines.append("  no model here that SCRAM did not finish")
    return lines
