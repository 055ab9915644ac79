"""Redundancy allocation: Fyffe, Hines and Lee's system, all 33 weight limits.

Fourteen subsystems in series; each holds 1 to 8 active-parallel units of
its 3 or 4 component types, mixed as the designer likes. Find the design
of greatest system availability within a cost of 130 and a weight of W,
for W = 159 ... 191 (Fyffe, Hines and Lee 1968; the weight limits of
Nakagawa and Miyazaki 1981; the data in ``rap_fyffe.csv``).

Each subsystem is one :class:`slosim.Choice` over its options from
:func:`slosim.redundancy_options` (164 or 494 of them); the system's
availability factorises over the subsystems, so :func:`slosim.choose`
solves each instance as a mixed-integer linear programme, proven optimal.
An independent check beside it: the classic dynamic programme over
(cost, weight), exact for integer resources, with each option's
availability from its closed form 1 - prod(q).

Run it with ``python redundancy_allocation.py [W ...]`` (all 33 by default).
"""

import collections
import csv
import math
import pathlib
import sys
import time

import numpy as np

import slosim as ss

DATA = pathlib.Path(__file__).resolve().with_name("rap_fyffe.csv")
COST = 130
WEIGHTS = range(159, 192)
MAX_UNITS = 8


def subsystems(path=DATA):
    """Subsystem number -> its component types, each a dict with ``type``,
    ``availability``, ``cost`` and ``weight``."""
    with open(path, newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        out = collections.defaultdict(list)
        for row in rows:
            out[int(row["subsystem"])].append({
                "type": f"t{row['type']}", "availability": float(row["availability"]),
                "cost": int(row["cost"]), "weight": int(row["weight"])})
    return dict(sorted(out.items()))


def rap_model(path=DATA, max_units=MAX_UNITS):
    """The system as a model: one Choice per subsystem, in series."""
    slots = []
    for s, types in subsystems(path).items():
        units = [ss.Option(t["type"], ss.Component(f"s{s}/{t['type']}",
                                                   availability=t["availability"]),
                           cost=t["cost"], weight=t["weight"]) for t in types]
        slots.append(ss.Choice(f"s{s}", ss.redundancy_options(f"s{s}", units,
                                                               max_units=max_units)))
    return ss.Model(ss.Journey(ss.series(*slots), name="system"))


def solve(model, weight, cost=COST):
    """The most available design within ``cost`` and ``weight``."""
    return ss.choose(model, maximize="system", limits={"cost": cost, "weight": weight})


def dynamic_programme(path=DATA, cost=COST, weights=WEIGHTS, max_units=MAX_UNITS):
    """W -> (availability, {subsystem: label}) for every W in ``weights``, by
    the dynamic programme over (cost, weight) in log-availability."""
    weights = list(weights)
    top = max(weights)
    best = np.zeros((cost + 1, top + 1))    # best ln A within (c, w), no subsystem yet
    picks = []
    for s, types in subsystems(path).items():
        options = _options(types, max_units)
        new = np.full_like(best, -np.inf)
        pick = np.full(best.shape, -1, dtype=np.int32)
        for i, (_, c, w, log_a) in enumerate(options):
            if c > cost or w > top:
                continue
            value = best[:cost + 1 - c, :top + 1 - w] + log_a
            part = new[c:, w:]
            better = value > part
            part[better] = value[better]
            pick[c:, w:][better] = i
        picks.append((s, options, pick))
        best = new
    out = {}
    for W in weights:
        c, w, labels = cost, W, {}
        for s, options, pick in reversed(picks):
            label, dc, dw, _ = options[pick[c, w]]
            labels[f"s{s}"] = label
            c, w = c - dc, w - dw
        out[W] = (math.exp(best[cost, W]), dict(reversed(labels.items())))
    return out


def _options(types, max_units):
    """(label, cost, weight, ln availability) of every multiset of 1 to
    ``max_units`` units, labelled as redundancy_options labels them."""
    out = []
    for units in range(1, max_units + 1):
        for counts in _counts(len(types), units):
            used = [(t, n) for t, n in zip(types, counts) if n]
            label = "+".join(f"{n}x{t['type']}" for t, n in used)
            q = math.prod((1 - t["availability"]) ** n for t, n in used)
            out.append((label, sum(t["cost"] * n for t, n in used),
                        sum(t["weight"] * n for t, n in used), math.log1p(-q)))
    return out


def _counts(n_types, units):
    if n_types == 1:
        yield (units,)
        return
    for first in range(units, -1, -1):
        for rest in _counts(n_types - 1, units - first):
            yield (first,) + rest


def main(weights=WEIGHTS):
    weights = list(weights)
    started = time.perf_counter()
    model = rap_model()
    built = time.perf_counter() - started
    options = sum(len(c.options) for c in model.choices.values())
    print(f"Redundancy allocation (Fyffe, Hines and Lee): 14 subsystems, {options:,} "
          f"options,\n{len(model.components):,} components; cost <= {COST}, weight <= W "
          f"(model built in {built:.2f} s)\n")
    check = dynamic_programme(weights=weights)
    print(f"  {'W':>3}  {'availability':>12}  {'cost':>4}  {'weight':>6}  {'proven':>6}  "
          f"{'seconds':>7}  {'DP':>8}")
    for W in weights:
        started = time.perf_counter()
        design = solve(model, W)
        seconds = time.perf_counter() - started
        dp, _ = check[W]
        agrees = "agrees" if math.isclose(design.value, dp, rel_tol=1e-12) else f"{dp:.6f}"
        print(f"  {W:>3}  {design.value:>12.6f}  {design.resources['cost']:>4.0f}  "
              f"{design.resources['weight']:>6.0f}  {'yes' if design.optimal else 'no':>6}  "
              f"{seconds:>7.2f}  {agrees:>8}")
    print(f"\n  The design at W = {weights[-1]}:")
    for name, label in design.items():
        print(f"    {name:<4} {label}")


if __name__ == "__main__":
    main([int(w) for w in sys.argv[1:]] or WEIGHTS)
