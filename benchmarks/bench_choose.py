"""``slosim.choose`` on the 33 redundancy-allocation instances, beside the
textbook dynamic programme, in the same run.

The problem (``examples/redundancy_allocation.py``, data
``examples/rap_fyffe.csv``): Fyffe, Hines and Lee's 14 subsystems in
series, each with 1 to 8 active-parallel units of its 3 or 4 types (4,276
options, 26,928 components), the most available design within cost 130
and weight W, for W = 159 ... 191.

Groups:

* ``choose (W = ...)``: :func:`slosim.choose` on one instance, one round
  each (the model is built once, outside the timing; the first instance
  also pays for what ``choose`` keeps per model: each option's
  availability from one exact evaluation); its answer must be proven
  optimal, within the limits, and as available as the dynamic
  programme's optimum (to 1e-12);
* ``dynamic programme (33 instances)``: the baseline, plain NumPy, the
  example's :func:`dynamic_programme` over (cost, weight) in
  log-availability, which solves all 33 instances with one table (an
  instance alone costs as much: the table to W = 191 is the work).

Times are recorded, never asserted; the end of the session prints every
instance's time and proof, and the ratios to the dynamic programme's time
of slosim's total for all 33 and of its median instance. The dynamic
programme exploits what only this problem has (integer resources, two of them, a series system);
``choose`` takes any model whose journeys factorise over its choices.
"""

import importlib.util
import math
import pathlib
import time

import pytest

EXAMPLE = (pathlib.Path(__file__).resolve().parent.parent / "examples"
           / "redundancy_allocation.py")
REL = 1e-12


def _example():
    spec = importlib.util.spec_from_file_location("redundancy_allocation", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rap():
    module = _example()
    started = time.perf_counter()
    model = module.rap_model()
    built = time.perf_counter() - started
    optimum = module.dynamic_programme()
    return module, model, built, optimum


@pytest.mark.parametrize("weight", list(range(159, 192)))
def test_choose(benchmark, rap, record_choose, weight):
    module, model, built, optimum = rap
    benchmark.group = f"choose (W = {weight})"
    started = time.perf_counter()
    design = benchmark.pedantic(module.solve, args=(model, weight), rounds=1,
                                iterations=1)
    seconds = time.perf_counter() - started
    assert design.optimal and design.gap == 0.0 and design.method == "milp"
    assert design.resources["cost"] <= module.COST and design.resources["weight"] <= weight
    value, _ = optimum[weight]
    assert math.isclose(design.value, value, rel_tol=REL), (design.value, value)
    record_choose(weight, "slosim", seconds=seconds, value=design.value,
                  optimal=design.optimal, cost=design.resources["cost"],
                  weight=design.resources["weight"], options=sum(
                      len(c.options) for c in model.choices.values()),
                  components=len(model.components), built_s=built)


def test_dynamic_programme(benchmark, rap, record_choose):
    module, model, _, optimum = rap
    benchmark.group = "dynamic programme (33 instances)"
    times = []

    def run():
        started = time.perf_counter()
        out = module.dynamic_programme()
        times.append(time.perf_counter() - started)
        return out

    out = benchmark.pedantic(run, rounds=3, iterations=1)
    assert out.keys() == optimum.keys()
    assert all(out[W][0] == optimum[W][0] for W in out)
    times.sort()
    record_choose("all", "dp", median=times[len(times) // 2], min=times[0])


def summary(records):
    """Per instance slosim's time, proof and value; the totals and the ratio
    slosim / dynamic programme. ``records``: ``{key: {kind: values}}`` as
    ``record_choose`` stores them."""
    rows = {W: r["slosim"] for W, r in records.items() if W != "all" and "slosim" in r}
    out = {"instances": {str(W): r for W, r in sorted(rows.items())}}
    if rows:
        total = sum(r["seconds"] for r in rows.values())
        seconds = sorted(r["seconds"] for r in rows.values())
        out.update(slosim_total_s=total, slosim_median_s=seconds[len(seconds) // 2],
                   proven=sum(r["optimal"] for r in rows.values()), instances_run=len(rows))
    dp = records.get("all", {}).get("dp")
    if dp:
        out["dp_s"] = dp["median"]
        if rows:
            out["ratio_median_over_dp"] = out["slosim_median_s"] / dp["median"]
        if len(rows) == 33:
            out["ratio_slosim_over_dp"] = out["slosim_total_s"] / dp["median"]
    return out


def summary_lines(records):
    """The summary as lines of text."""
    s = summary(records)
    lines = []
    rows = s["instances"]
    if rows:
        first = next(iter(rows.values()))
        lines.append(f"{first['options']:,} options, {first['components']:,} components "
                     f"(model built once in {first['built_s']:.2f} s); times in seconds")
        lines.append(f"{'W':>4}{'availability':>14}{'cost':>6}{'weight':>8}{'proven':>8}"
                     f"{'seconds':>9}")
        for W, r in rows.items():
            lines.append(f"{W:>4}{r['value']:>14.6f}{r['cost']:>6.0f}{r['weight']:>8.0f}"
                         f"{'yes' if r['optimal'] else 'no':>8}{r['seconds']:>9.2f}")
        lines.append(f"slosim: {s['proven']} of {s['instances_run']} instances proven "
                     f"optimal, {s['slosim_total_s']:.1f} s in all, median instance "
                     f"{s['slosim_median_s']:.2f} s")
    if "dp_s" in s:
        lines.append(f"dynamic programme (NumPy, all 33 in one table): {s['dp_s']:.2f} s")
    if "ratio_median_over_dp" in s:
        lines.append(f"ratio slosim (median instance) / dynamic programme: "
                     f"{s['ratio_median_over_dp']:.1f}")
    if "ratio_slosim_over_dp" in s:
        lines.append(f"ratio slosim (33 calls) / dynamic programme (one table): "
                     f"{s['ratio_slosim_over_dp']:.1f}")
    return lines
