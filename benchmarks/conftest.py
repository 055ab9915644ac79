"""Benchmark session: collection of ``bench_*.py``, the models, the summary.

* Collects ``bench_*.py`` files (pytest's default pattern is ``test_*.py``).
* ``bench_models``: models (a) and (b) with their exact unavailabilities,
  built once, after checking the exact evaluator against brute force and
  the baselines' gate logic against boolean evaluation; also (a+zones),
  and (a+day) and (a+matrix) with a Gaussian copula (after checking the
  copula baselines' gates exactly and their sampling statistically).
* ``record_rate``: benchmarks report samples/second here; the end of the
  session prints them with the ratios slosim / bit-packed NumPy and
  2 threads / 1 thread (and adds them to the JSON output of
  ``--benchmark-json`` / ``--benchmark-autosave`` under ``slosim_rates``).
* ``record_exact``: the exact-engine benchmarks (``bench_exact.py``) report
  their times here; the end of the session prints them with the ratios
  SCRAM / slosim (JSON: ``slosim_exact``).
* ``record_import``: the import-time benchmarks (``bench_import.py``) report
  their medians here; the end of the session prints them and the difference.
* ``record_allocate``: the allocation benchmarks (``bench_allocate.py``)
  report slosim's and the naive way's times here; the end of the session
  prints them with the ratios and the goals' verdicts (JSON:
  ``slosim_allocate``).
* ``bench_batch.py``, ``bench_uncertainty.py``, ``bench_timeline.py`` and
  ``bench_dask.py`` keep their numbers in their own ``RECORDS``; the end
  of the session prints their ``summary_lines()`` (JSON: ``slosim_batch``,
  ``slosim_uncertainty``, ``slosim_timeline`` and ``slosim_dask``, from
  their ``summary()`` where they have one).
* ``record_choose``: the design-choice benchmarks (``bench_choose.py``)
  report each redundancy-allocation instance and the dynamic programme's
  time here; the end of the session prints them (JSON: ``slosim_choose``).
* Refuses to run against a compiled kernel older than its sources.
"""

import os

import pytest

_RATES = {}  # (model, implementation) -> {samples: (median rate, best rate)}
_LOAD = {}   # system load average (1 min) at the start and end of the session
_EXACT = {}  # model -> {implementation: values}, from bench_exact.py
_IMPORT = {}  # "numpy" / "slosim" -> {"median": s, "min": s}, from bench_import.py
_ALLOCATE = {}  # model -> {kind: values}, from bench_allocate.py
_CHOOSE = {}  # weight limit (or "all") -> {kind: values}, from bench_choose.py


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself.
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_")
            and not parent.session.isinitpath(file_path)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _loadavg():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def pytest_configure(config):
    from slosim._core import stale_extensions

    _LOAD["start"] = _loadavg()
    stale = stale_extensions()
    if stale:
        raise pytest.UsageError(
            f"compiled slosim kernels are older than their sources "
            f"({', '.join(stale)}): rebuild with `make dev` before benchmarking")


@pytest.fixture(scope="session")
def bench_models():
    """``{"a", "b", "a+zones", "a+day", "a+matrix"} -> BenchModel``,
    validated, programs compiled."""
    from slosim.engines import compile_model

    from . import baselines, models

    models.check_exact_evaluator()
    baselines.check_baselines()
    baselines.check_copula_baselines()
    out = {"a": models.model_a(), "b": models.model_b(),
           "a+zones": models.model_a_zones(), "a+day": models.model_a_day(),
           "a+matrix": models.model_a_matrix()}
    for m in out.values():
        compile_model(m.model)  # compile outside the timed region (it is kept)
    return out


@pytest.fixture(scope="session")
def record_rate():
    """``record_rate(model, impl, samples, median_rate, best_rate)``."""
    def record(model, impl, samples, median, best):
        _RATES.setdefault((model, impl), {})[samples] = (median, best)
    return record


@pytest.fixture(scope="session")
def record_exact():
    """``record_exact(model, implementation, **values)``; returns the
    model's records so far (implementation -> values)."""
    def record(model, impl, **values):
        _EXACT.setdefault(model, {})[impl] = values
        return _EXACT[model]
    return record


@pytest.fixture(scope="session")
def record_import():
    """``record_import(name, median=s, min=s)``, name "numpy" or "slosim"."""
    def record(name, **values):
        _IMPORT[name] = values
    return record


@pytest.fixture(scope="session")
def record_allocate():
    """``record_allocate(model, kind, **values)``, kind "slosim",
    "naive-slsqp" or "naive-gradient"."""
    def record(model, kind, **values):
        _ALLOCATE.setdefault(model, {})[kind] = values
    return record


@pytest.fixture(scope="session")
def record_choose():
    """``record_choose(key, kind, **values)``: key a weight limit and kind
    "slosim", or key "all" and kind "dp"."""
    def record(key, kind, **values):
        _CHOOSE.setdefault(key, {})[kind] = values
    return record


def _best(model, impl, which):
    runs = _RATES.get((model, impl))
    if not runs:
        return None
    return max(r[which] for r in runs.values())


def summary():
    """Rates (samples/s, best over sample counts) and ratios, as a dict."""
    out = {}
    for model in sorted({m for m, _ in _RATES}):
        rates = {}
        for impl in sorted({i for m, i in _RATES if m == model}):
            rates[impl] = {"median": _best(model, impl, 0), "best": _best(model, impl, 1)}
        ratios = {}
        for which in ("median", "best"):
            s1 = rates.get("slosim-1t", {}).get(which)
            s2 = rates.get("slosim-2t", {}).get(which)
            for base in ("numpy-bitpacked", "numpy-naive", "numpy-sparse"):
                b = rates.get(base, {}).get(which)
                if s1 and b:
                    ratios[f"slosim-1t/{base} ({which})"] = s1 / b
            if s1 and s2:
                ratios[f"slosim-2t/slosim-1t ({which})"] = s2 / s1
        out[model] = {"samples_per_s": rates, "ratios": ratios}
    out["cpus"] = os.cpu_count()
    out["load_average_1min"] = {"start": _LOAD.get("start"), "end": _loadavg()}
    return out


def _module_summaries():
    """(title, module) of the benchmark modules that keep their own
    ``RECORDS`` and ran in this session."""
    import sys

    titles = {"bench_batch": "batched diagram evaluation beside NumPy and per-vector exact",
              "bench_uncertainty": "uncertainty beside SALib driving a NumPy model",
              "bench_timeline": "timeline (event simulation over time) beside NumPy",
              "bench_dask": "simulate on a dask cluster of 2 workers beside 1 thread"}
    for name, title in titles.items():
        module = sys.modules.get(f"{__package__}.{name}")
        if module is not None and module.RECORDS:
            yield name, title, module


def pytest_terminal_summary(terminalreporter):
    for _, title, module in _module_summaries():
        terminalreporter.section(title)
        for line in module.summary_lines():
            terminalreporter.write_line(line)
    if _EXACT:
        from .bench_exact import summary_lines

        terminalreporter.section("slosim.exact and SCRAM")
        for line in summary_lines(_EXACT):
            terminalreporter.write_line(line)
    if _IMPORT:
        from .bench_import import summary_lines as import_lines

        terminalreporter.section("import time (fresh interpreters)")
        for line in import_lines(_IMPORT):
            terminalreporter.write_line(line)
    if _ALLOCATE:
        from .bench_allocate import summary_lines as allocate_lines

        terminalreporter.section("allocate(method='cost') beside the naive way "
                                 "(SLSQP, finite differences over exact)")
        for line in allocate_lines(_ALLOCATE):
            terminalreporter.write_line(line)
    if _CHOOSE:
        from .bench_choose import summary_lines as choose_lines

        terminalreporter.section("choose: redundancy allocation (Fyffe, Hines and Lee) "
                                 "beside the dynamic programme")
        for line in choose_lines(_CHOOSE):
            terminalreporter.write_line(line)
    if not _RATES:
        return
    tr = terminalreporter
    tr.section("slosim throughput (samples/s; per implementation the best "
               "over sample counts of the median and of the fastest round)")
    s_all = summary()
    cpus = s_all.pop("cpus")
    load = s_all.pop("load_average_1min")
    fmt = "{:.2f}".format
    tr.write_line(f"{cpus} CPUs; 1-minute load average {fmt(load['start'])} at the "
                  f"start, {fmt(load['end'])} at the end (other work on the machine "
                  f"skews the 2-thread numbers first)")
    for model, s in s_all.items():
        tr.write_line(f"model ({model}):")
        for impl, r in s["samples_per_s"].items():
            tr.write_line(f"  {impl:<18} median {r['median']:10.4g}   best {r['best']:10.4g}")
        for name, ratio in s["ratios"].items():
            tr.write_line(f"  {name:<44} {ratio:8.3g}")


def pytest_benchmark_update_json(config, benchmarks, output_json):
    for name, _, module in _module_summaries():
        if hasattr(module, "summary"):
            output_json["slosim_" + name.removeprefix("bench_")] = module.summary()
    if _RATES:
        output_json["slosim_rates"] = summary()
    if _EXACT:
        from .bench_exact import summary as exact_summary

        output_json["slosim_exact"] = exact_summary(_EXACT)
    if _ALLOCATE:
        from .bench_allocate import summary as allocate_summary

        output_json["slosim_allocate"] = allocate_summary(_ALLOCATE)
    if _CHOOSE:
        from .bench_choose import summary as choose_summary

        output_json["slosim_choose"] = choose_summary(_CHOOSE)
