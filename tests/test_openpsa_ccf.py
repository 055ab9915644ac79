"""Open-PSA common-cause groups give the reference tool's numbers.

* SCRAM's common-cause test system (three trains, a group of three pumps
  and one of three valves; ``data/openpsa/ccf-trains-*.xml``, one
  parametric model a file) against SCRAM 0.16.2's BDD results with
  ``--ccf``, to the six digits SCRAM prints (1e-6 relative but for MGL,
  1.8e-6) in ``exact``, exactly against an enumeration, and within error in
  ``simulate``; the same groups built with ``marginal="exact"`` give
  slosim's former numbers.
* Random groups (each model, 2 to 5 members, factors with or without
  levels, in any order): the reader's ``Q_k`` and each member's own event
  follow the standard formulas, written here in rational arithmetic, and a
  model written by ``write_openpsa`` reads back with identical numbers.
"""

from fractions import Fraction
import io
import math
import pathlib

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.io import read_openpsa, write_openpsa

from model_numbers import probabilities, unavailabilities
from oracle import assert_consistent, checked_simulate

DATA = pathlib.Path(__file__).resolve().parent / "data" / "openpsa"

#: SCRAM 0.16.2, BDD with --ccf: P(system down) of each ccf-trains-*.xml,
#: as it prints them (six significant digits: within 5e-8).
SCRAM = {"beta": 0.0430804, "mgl": 0.0162948, "alpha": 0.0529814, "phi": 0.0410393}
PRINTED = 5e-8

#: slosim before the standard convention (each member's total exactly Q,
#: phi-factor Q_k divided by C(m-1, k-1)), as issue 12 reports them.
EXACT_MARGINAL = {"beta": 0.0432884, "alpha": 0.0536581, "phi": 0.0314115}

PUMPS = ["pump-1", "pump-2", "pump-3"]
VALVES = ["valve-1", "valve-2", "valve-3"]


#: Each file's Q_k (k = 1, 2, 3; Q = 0.1), from the standard formulas by hand.
TRAINS_Q_K = {
    "beta": [Fraction(8, 100), 0, Fraction(2, 100)],              # (1-b)Q, -, bQ
    "mgl": [Fraction(8, 100), Fraction(9, 1000), Fraction(2, 1000)],  # .8Q, .2*.9Q/2, .2*.1Q
    # alpha_t = 0.7 + 0.4 + 0.3 = 1.4; Q_k = k/C(2,k-1) alpha_k Q / alpha_t
    "alpha": [Fraction(7, 140), Fraction(2, 140), Fraction(3, 140)],
    "phi": [Fraction(7, 100), Fraction(2, 100), Fraction(1, 100)],  # phi_k Q
}


def trains_reference(q_k):
    """P(system down) by enumerating each group's 7 independent events."""
    sets = [{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}]
    probs = [q_k[len(s) - 1] for s in sets]

    def down_sets():        # (probability, members down) of one group
        out = {}
        for mask in range(1 << 7):
            w, down = Fraction(1), frozenset()
            for i in range(7):
                happens = mask >> i & 1
                w *= probs[i] if happens else 1 - probs[i]
                down = down | sets[i] if happens else down
            out[down] = out.get(down, 0) + w
        return out

    group = down_sets()
    return sum(wp * wv for dp, wp in group.items() for dv, wv in group.items()
               if dp | dv == {0, 1, 2})


@pytest.mark.parametrize("kind", sorted(SCRAM))
def test_scram_trains_exact(kind):
    model = read_openpsa(DATA / f"ccf-trains-{kind}.xml")
    got = ss.exact(model)["system"].unavailability
    reference = trains_reference(TRAINS_Q_K[kind])
    assert close(got, reference, 1e-12)
    # SCRAM's number, to the digits it prints (1e-6 relative but for MGL,
    # whose six digits round 0.01629477 by 1.8e-6 relative).
    assert abs(reference - Fraction(SCRAM[kind])) <= PRINTED
    assert got == pytest.approx(SCRAM[kind], rel=3e-6)


@pytest.mark.parametrize("kind", sorted(SCRAM))
def test_scram_trains_simulate(kind, seed):
    model = read_openpsa(DATA / f"ccf-trains-{kind}.xml")
    samples = 400_000
    res = checked_simulate(model, samples, rng=np.random.SeedSequence([seed, 12]))
    assert_consistent(res["system"].failures, samples, SCRAM[kind],
                      what=f"ccf-trains-{kind}.xml")


def _python_group(kind, name, members, marginal):
    Q = 0.1
    if kind == "beta":
        return ss.beta_factor(name, members, unavailability=Q, beta=0.2, marginal=marginal)
    if kind == "mgl":
        return ss.multiple_greek_letter(name, members, unavailability=Q,
                                        factors=[0.2, 0.1], marginal=marginal)
    if kind == "alpha":
        return ss.alpha_factor(name, members, unavailability=Q, alphas=[0.7, 0.2, 0.1],
                               marginal=marginal)
    return ss.phi_factor(name, members, unavailability=Q, phis=[0.7, 0.2, 0.1],
                         marginal=marginal)


def _python_trains(kind, marginal):
    pumps = _python_group(kind, "pumps", PUMPS, marginal)
    valves = _python_group(kind, "valves", VALVES, marginal)
    trains = [ss.series(p, v, name=f"train-{i}")         # down when either is
              for i, (p, v) in enumerate(zip(pumps.components, valves.components), 1)]
    return ss.Model(ss.parallel(*trains, name="system"), shocks=[pumps, valves])


@pytest.mark.parametrize("kind", sorted(SCRAM))
def test_python_constructors_default_to_the_reader_numbers(kind):
    """The default (standard) convention: the very probabilities the reader
    gives, so the same system number."""
    built, read = _python_trains(kind, "standard"), read_openpsa(DATA / f"ccf-trains-{kind}.xml")
    assert unavailabilities(built) == unavailabilities(read)
    assert probabilities(built) == probabilities(read)
    assert abs(ss.exact(built)["system"].unavailability - SCRAM[kind]) <= PRINTED


@pytest.mark.parametrize("kind", sorted(EXACT_MARGINAL))
def test_exact_marginal_gives_the_former_numbers(kind):
    got = ss.exact(_python_trains(kind, "exact"))["system"].unavailability
    assert abs(got - EXACT_MARGINAL[kind]) <= PRINTED


# --- random groups -----------------------------------------------------------------------

MODELS = ("beta-factor", "MGL", "alpha-factor", "phi-factor")


def _decimal(thousandths):
    return Fraction(thousandths, 1000), f"{thousandths / 1000:.3f}"


@st.composite
def mef_groups(draw):
    """(model, m, Q, factors by level, the group's MEF text)."""
    model = draw(st.sampled_from(MODELS))
    m = draw(st.integers(2, 5))
    Q, q_text = _decimal(draw(st.integers(1, 300)))
    if model == "beta-factor":
        levels, raw = [m], [draw(st.integers(0, 1000))]
    elif model == "MGL":
        levels = list(range(2, m + 1))
        raw = draw(st.lists(st.integers(0, 1000), min_size=m - 1, max_size=m - 1))
    else:
        levels = list(range(1, m + 1))
        cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=m - 1, max_size=m - 1)))
        raw = [b - a for a, b in zip([0, *cuts], [*cuts, 1000])]
    factors = {lv: _decimal(x) for lv, x in zip(levels, raw)}
    with_levels = draw(st.booleans())
    order = draw(st.permutations(levels)) if with_levels else levels
    xml = "".join(
        f'<factor{f" level={chr(34)}{lv}{chr(34)}" if with_levels else ""}>'
        f'<float value="{factors[lv][1]}"/></factor>' for lv in order)
    members = "".join(f'<basic-event name="x-{i}"/>' for i in range(1, m + 1))
    refs = "".join(f'<basic-event name="x-{i}"/>' for i in range(1, m + 1))
    text = (f'<opsa-mef><define-fault-tree name="ft">'
            f'<define-gate name="top"><atleast min="2">{refs}</atleast></define-gate>'
            f'</define-fault-tree>'
            f'<define-CCF-group name="G" model="{model}"><members>{members}</members>'
            f'<distribution><float value="{q_text}"/></distribution>'
            f'<factors>{xml}</factors></define-CCF-group></opsa-mef>')
    return model, m, Q, {lv: f for lv, (f, _) in factors.items()}, text


def standard_q_k(model, m, Q, f):
    """Q_k, k = 1..m, by NUREG/CR-5485 as PRA codes apply it (issue 12)."""
    C = math.comb
    if model == "beta-factor":
        return [(1 - f[m]) * Q] + [Fraction(0)] * (m - 2) + [f[m] * Q]
    if model == "MGL":
        rho = [Fraction(1)] + [f[k] for k in range(2, m + 1)] + [Fraction(0)]
        return [math.prod(rho[:k]) * (1 - rho[k]) * Q / C(m - 1, k - 1)
                for k in range(1, m + 1)]
    if model == "alpha-factor":
        alpha_t = sum(k * f[k] for k in range(1, m + 1))
        return [Fraction(k, C(m - 1, k - 1)) * f[k] / alpha_t * Q for k in range(1, m + 1)]
    return [f[k] * Q for k in range(1, m + 1)]


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def close(a, b, rel=1e-12):
    return abs(Fraction(a) - b) <= rel * abs(b)


@PROPERTY
@given(mef_groups())
def test_reader_q_k_follow_the_standard_formulas(group):
    model_kind, m, Q, factors, text = group
    model = read_openpsa(io.StringIO(text))
    q_k = standard_q_k(model_kind, m, Q, factors)
    for i in range(1, m + 1):           # each member's own event is Q_1
        assert close(unavailabilities(model)[f"x-{i}"], q_k[0]), (i, q_k)
    shocks = probabilities(model)
    expected = sum(math.comb(m, k) for k in range(2, m + 1) if q_k[k - 1] > 0)
    assert len(shocks) == expected
    for shock in model.shocks.values():
        k = len(shock.members)
        assert close(shocks[shock.name], q_k[k - 1]), (shock.name, q_k)


@PROPERTY
@given(mef_groups())
def test_written_and_read_back_gives_identical_numbers(group):
    model = read_openpsa(io.StringIO(group[-1]))
    buffer = io.StringIO()
    write_openpsa(model, buffer)
    back = read_openpsa(io.StringIO(buffer.getvalue()))
    assert unavailabilities(back) == unavailabilities(model)
    assert probabilities(back) == probabilities(model)
    assert ss.exact(back)["top"].unavailability == ss.exact(model)["top"].unavailability
