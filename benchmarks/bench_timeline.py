"""The timeline engine beside its NumPy baseline, in the same run.

The job: :data:`RUNS` runs of a year (:data:`HORIZON`) of the 200-component
service graph with a behaviour over time (``models.timed_random_dag``:
model (b), every component and service with exponential up and down times
keeping its availability, mttr 5 min to 4 h, and three timed zone
shocks), starting clean (everything up, no shock in progress); for each
run and each 30-day calendar window (:data:`WINDOW`; 12 windows, the last
5 days of the year in none), the integral of the journey's error ratio:
``res["journey"].bad``.

Groups:

* ``timeline (b-timed, ...)``:

  - ``slosim-1t``, ``slosim-2t``: ``ss.engines.timeline(model, HORIZON,
    RUNS, window=WINDOW, start="clean", threads=1 or 2)``;
  - ``numpy``: the plain NumPy baseline
    (:func:`timeline_baseline.numpy_timeline`: every leaf's path drawn for
    a chunk of runs at once, merged per run, then event by event across
    all runs at once with bit-packed gates), on :data:`NUMPY_RUNS` runs
    (one chunk), scaled: compare runs per second.
  - ``draws-only``: not a simulation but its floor: NumPy's C generator
    filling an array with one standard exponential per expected event of
    the :data:`RUNS` runs (:func:`expected_events` a run), nothing else.
    Any event simulation draws at least one random number per event, so
    its runs per second bound every exact event-driven engine from above
    (one draw per event is what slosim's kernel makes; it also keeps the
    event queue, the gates and the windows). The summary states the
    ceiling it puts on the ratio to the baseline.

Answers are checked, a fast wrong answer fails: each side's mean bad time
per window must lie within 5 standard errors of the exact mean
(:func:`exact_mean_bad`: the long-run unavailability from ``ss.exact``
times the window, less the clean start's deficit in the first window),
and the two sides within 5 standard errors of each other; two threads
give the one-thread arrays bit for bit. Before timing,
:func:`timeline_baseline.check_timeline_baseline` checks the baseline
against a per-run brute force on small models.

Times are recorded, never asserted: :data:`RECORDS` holds them, and
:func:`summary` / :func:`summary_lines` give runs per second, the ratios
and the verdicts on the goals (:data:`GOAL_RATIO` times the baseline on
one core, :data:`RUNS` runs under :data:`GOAL_S` s on one core).
``conftest.py`` prints ``summary_lines()`` at the end of the session.
"""

import math

import numpy as np
import pytest

import slosim as ss
from slosim.engines import ExactDiagram, evaluate_many

from . import models
from .timeline_baseline import check_timeline_baseline, numpy_timeline

SEED = 20240601

#: Runs of slosim, and of the NumPy baseline (one chunk; scaled).
RUNS = 10_000
NUMPY_RUNS = 4096

DAY = 86400.0
HORIZON = 365 * DAY
WINDOW = 30 * DAY

#: The goals: at least GOAL_RATIO times the baseline's runs per second on
#: one core, and RUNS runs in under GOAL_S seconds on one core.
GOAL_RATIO = 50.0
GOAL_S = 10.0

#: ``{implementation: values}``, filled by the benchmarks.
RECORDS = {}

MODEL = "b-timed"


def expected_events(tm, horizon=HORIZON):
    """The expected number of events of a run of ``tm`` from a clean start:
    about ``2 horizon / (mttf + mttr)`` transitions of each up/down leaf
    (exact in the long run; the clean start changes it by less than one)
    and ``2 rate horizon`` starts and ends of each shock."""
    n = 0.0
    for kind, a, b in tm.behaviours:
        n += 2 * a * horizon if kind == "shock" else 2 * horizon / (a + b)
    return n


def window_edges():
    """The calendar windows' edges: ``k WINDOW`` for ``k <= n_windows =
    floor(HORIZON / WINDOW)``."""
    return np.arange(int(HORIZON // WINDOW) + 1) * WINDOW


def exact_mean_bad(tm, edges, diagram):
    """Exact mean bad time per window, clean start.

    At time ``t`` the leaves are independent, up/down leaf ``i`` down with
    probability ``q_i (1 - exp(-(1 / mttf_i + 1 / mttr_i) t))`` and a
    shock in progress with probability ``1 - exp(-rate min(t, d))``; the
    journey's error ratio (0 or 1) has mean ``U(q(t))``, the exact
    unavailability at those probabilities (``evaluate_many`` on the
    model's diagram). So window ``w`` has mean ``int U(q(t)) dt``: the
    long-run ``U W`` from the second window on (the transient is below
    ``exp(-180)`` by then), and ``U W`` less ``int_0^{10 d} U - U(q(t))
    dt`` in the first (composite Gauss-Legendre, panels from a minute to
    10 days and split at the shocks' duration).
    """
    names = diagram.structure.events
    idx = {n: i for i, n in enumerate(tm.structure.names)}
    kind = np.array([tm.behaviours[idx[n]][0] == "shock" for n in names])
    a = np.array([tm.behaviours[idx[n]][1] for n in names])
    b = np.array([tm.behaviours[idx[n]][2] for n in names])
    q_inf = np.where(kind, -np.expm1(-a * b), b / (a + b))
    s = np.where(kind, 0.0, 1 / a + 1 / b)

    def q_at(t):
        t = t[:, None]
        return np.where(kind, -np.expm1(-a * np.minimum(t, b)), q_inf * -np.expm1(-s * t))

    shock_d = sorted(set(b[kind].tolist()))
    cuts = sorted({0.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 2 * 3600.0, 4 * 3600.0,
                   8 * 3600.0, 16 * 3600.0, DAY, 2 * DAY, 4 * DAY, 10 * DAY, *shock_d})
    x, w = np.polynomial.legendre.leggauss(16)
    t = np.concatenate([lo + (hi - lo) * (x + 1) / 2 for lo, hi in zip(cuts[:-1], cuts[1:])])
    wt = np.concatenate([(hi - lo) / 2 * w for lo, hi in zip(cuts[:-1], cuts[1:])])
    j = diagram.structure.journeys.index(tm.journey)
    U = evaluate_many(diagram, q_at(t)).unavailability[:, j]
    U_inf = evaluate_many(diagram, q_inf[None, :]).unavailability[0, j]
    deficit = float(np.dot(wt, U_inf - U))
    means = np.diff(edges) * U_inf
    means[0] -= deficit
    return means, float(U_inf), deficit


class Prepared:
    """The model, its exact per-window means, built once (after checking
    the baseline)."""

    def __init__(self):
        check_timeline_baseline()
        self.tm = models.timed_random_dag(SEED)
        self.edges = window_edges()
        self.diagram = ExactDiagram(self.tm.model)
        self.exact, self.u, self.deficit = exact_mean_bad(self.tm, self.edges, self.diagram)
        if abs(self.u - self.tm.exact_unavailability) > 1e-12 * self.u:
            raise AssertionError(f"the diagram gives {self.u!r}, ss.exact "
                                 f"{self.tm.exact_unavailability!r}")
        self.answers = {}     # implementation -> bad (runs, windows)


@pytest.fixture(scope="module")
def prepared():
    return Prepared()


def check_means(bad, exact, who):
    """Each window's mean within 5 standard errors of ``exact``."""
    mean = bad.mean(axis=0)
    se = bad.std(axis=0, ddof=1) / math.sqrt(len(bad))
    off = np.abs(mean - exact) > 5 * se
    assert not off.any(), (f"{who}: windows {np.flatnonzero(off).tolist()} off the exact "
                           f"mean: {mean[off].tolist()} != {exact[off].tolist()} "
                           f"(standard errors {se[off].tolist()})")
    return mean, se


def _record(benchmark, impl, runs, **values):
    if benchmark.stats is None:    # --benchmark-disable: checked, not timed
        return
    st = benchmark.stats.stats
    values.update(runs=runs, median_s=st.median, min_s=st.min,
                  runs_per_s=runs / st.median, best_runs_per_s=runs / st.min)
    benchmark.extra_info.update(implementation=impl, model=MODEL, **values)
    RECORDS[impl] = values


def _group():
    return f"timeline ({MODEL}, {RUNS} runs of {HORIZON / DAY:.0f} d, window "\
        f"{WINDOW / DAY:.0f} d)"


@pytest.mark.parametrize("threads", [1, 2], ids=["1t", "2t"])
def test_slosim(benchmark, prepared, threads):
    benchmark.group = _group()
    res = benchmark.pedantic(
        ss.engines.timeline, args=(prepared.tm.model, HORIZON, RUNS),
        kwargs={"window": WINDOW, "rng": SEED, "threads": threads, "start": "clean"},
        rounds=3, iterations=1, warmup_rounds=0)
    bad = res[prepared.tm.journey].bad
    assert bad.shape == (RUNS, len(prepared.edges) - 1)
    mean, se = check_means(bad, prepared.exact, f"slosim-{threads}t")
    if threads == 1:
        prepared.answers["slosim"] = bad
    elif "slosim" in prepared.answers:
        assert bad.tobytes() == prepared.answers["slosim"].tobytes()
    _record(benchmark, f"slosim-{threads}t", RUNS, threads=threads,
            mean_bad_s=mean.tolist(), std_error_s=se.tolist())


def test_numpy(benchmark, prepared):
    benchmark.group = _group()
    bad = benchmark.pedantic(
        numpy_timeline, args=(prepared.tm, NUMPY_RUNS, prepared.edges),
        kwargs={"rng": SEED, "chunk": NUMPY_RUNS}, rounds=2, iterations=1,
        warmup_rounds=0)
    mean, se = check_means(bad, prepared.exact, "numpy")
    other = prepared.answers.get("slosim")
    if other is None:
        other = ss.engines.timeline(prepared.tm.model, HORIZON, RUNS, window=WINDOW,
                                    rng=SEED, start="clean")[prepared.tm.journey].bad
    m2 = other.mean(axis=0)
    se2 = other.std(axis=0, ddof=1) / math.sqrt(len(other))
    off = np.abs(mean - m2) > 5 * np.hypot(se, se2)
    assert not off.any(), (f"slosim and numpy disagree in windows "
                           f"{np.flatnonzero(off).tolist()}: {m2[off].tolist()} != "
                           f"{mean[off].tolist()}")
    _record(benchmark, "numpy", NUMPY_RUNS, mean_bad_s=mean.tolist(),
            std_error_s=se.tolist())


def _draw_events(n_draws, chunk=1 << 22):
    """One standard exponential per event, in chunks of bounded memory."""
    rng = np.random.default_rng(SEED)
    out = np.empty(min(chunk, n_draws))
    left = n_draws
    while left > 0:
        k = min(left, len(out))
        rng.standard_exponential(out=out[:k])
        left -= k
    return out


def test_draws_only(benchmark, prepared):
    benchmark.group = _group()
    per_run = expected_events(prepared.tm)
    n = int(round(per_run * RUNS))
    out = benchmark.pedantic(_draw_events, args=(n,), rounds=3, iterations=1,
                             warmup_rounds=1)
    # the draws are what was asked for: Exp(1), mean 1 within 6 standard errors
    assert abs(float(out.mean()) - 1.0) < 6 / math.sqrt(len(out))
    _record(benchmark, "draws-only", RUNS, events_per_run=per_run)


# --- the session summary ---------------------------------------------------------------


def summary(records=None):
    """Runs per second of every implementation (median round), the ratios
    to slosim on one thread, the time for :data:`RUNS` runs, the mean bad
    time per window beside the exact one, and the verdicts, as a dict."""
    records = RECORDS if records is None else records
    out = {"model": MODEL, "runs": RUNS, "horizon_s": HORIZON, "window_s": WINDOW,
           "start": "clean", "runs_per_s": {}, "ratios": {}}
    for impl, v in sorted(records.items()):
        out["runs_per_s"][impl] = {"median": v["runs_per_s"], "best": v["best_runs_per_s"],
                                   "runs": v["runs"],
                                   "seconds_for_runs": RUNS / v["runs_per_s"]}
    r = {k: v["median"] for k, v in out["runs_per_s"].items()}
    if r.get("slosim-1t") and r.get("numpy"):
        out["ratios"]["slosim-1t/numpy"] = r["slosim-1t"] / r["numpy"]
    if r.get("slosim-1t") and r.get("slosim-2t"):
        out["ratios"]["slosim-2t/slosim-1t"] = r["slosim-2t"] / r["slosim-1t"]
    if r.get("draws-only") and r.get("numpy"):
        # the ratio no engine drawing one number per event can pass
        out["ratios"]["draws-only/numpy"] = r["draws-only"] / r["numpy"]
    ratio = out["ratios"].get("slosim-1t/numpy")
    out["goal_ratio"] = {"goal": GOAL_RATIO, "ratio": ratio,
                         "met": None if ratio is None else ratio >= GOAL_RATIO}
    t1 = out["runs_per_s"].get("slosim-1t", {}).get("seconds_for_runs")
    out["goal_time"] = {"goal_s": GOAL_S, "seconds": t1,
                        "met": None if t1 is None else t1 < GOAL_S}
    out["mean_bad_s"] = {impl: v.get("mean_bad_s") for impl, v in records.items()}
    return out


def _verdict(goal, g, key, fmt):
    """``goal: <goal>: met (<value>)``, or not met, or not judged."""
    words = {True: "met", False: "NOT met", None: "not judged (did not run)"}[g["met"]]
    value = "" if g[key] is None else " (" + fmt.format(g[key]) + ")"
    return f"goal: {goal}: {words}{value}"


def summary_lines(records=None):
    """The summary as lines of text."""
    s = summary(records)
    lines = [f"model {s['model']}, {RUNS} runs of {HORIZON / DAY:.0f} days, "
             f"{WINDOW / DAY:.0f}-day windows, clean start; runs per second (median "
             f"round; numpy timed on {NUMPY_RUNS} runs) and the time for {RUNS} runs"]
    for impl, v in s["runs_per_s"].items():
        lines.append(f"  {impl:<12}{v['median']:>10.4g}/s  (best {v['best']:.4g}/s)"
                     f"  {v['seconds_for_runs']:>9.2f} s")
    for name, ratio in s["ratios"].items():
        lines.append(f"  {name:<24}{ratio:>10.3g}")
    for impl, m in s["mean_bad_s"].items():
        if m:
            lines.append(f"  {impl:<12} mean bad time, windows 1 and 12: {m[0]:.0f} s, "
                         f"{m[-1]:.0f} s")
    lines.append(_verdict(f"at least {GOAL_RATIO:.0f}x the NumPy baseline on one core",
                          s["goal_ratio"], "ratio", "{:.1f}x"))
    lines.append(_verdict(f"{RUNS} runs under {GOAL_S:g} s on one core", s["goal_time"],
                          "seconds", "{:.2f} s"))
    rec = RECORDS if records is None else records
    floor, base = s["runs_per_s"].get("draws-only"), s["runs_per_s"].get("numpy")
    if floor and base:
        per_run = rec["draws-only"]["events_per_run"]
        need = 1e9 / (GOAL_RATIO * base["median"] * per_run)
        draw = 1e9 / (floor["median"] * per_run)
        lines.append(f"ceiling: drawing one exponential per event ({per_run:.0f} events "
                     f"a run) and nothing else is {floor['median'] / base['median']:.1f}x "
                     f"the baseline; {GOAL_RATIO:.0f}x leaves {need:.1f} ns per event, "
                     f"of which the draw takes {draw:.1f} ns")
        if "slosim-1t" in s["runs_per_s"]:
            own = 1e9 / (s["runs_per_s"]["slosim-1t"]["median"] * per_run)
            lines.append(f"  slosim-1t spends {own:.1f} ns per event")
    return lines
