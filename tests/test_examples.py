"""The bundled example (the `make demo` job) runs and reports the right numbers."""

import importlib.util
import pathlib

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "account_opening.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("account_opening", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_reports_exact_and_simulated_values(demo, capsys, seed):
    demo.main(samples=10**6, rng=seed)
    out = capsys.readouterr().out
    promised = 0.9995**7
    observed = 0.9995**5 * 0.9970 * 0.9950
    assert f"exact {promised:.4%}" in out          # 99.6505%
    assert f"exact {observed:.4%}" in out          # 98.9537%
    assert "99.65%" in out and "98.95%" in out


def test_demo_model_is_seven_services_in_series(demo):
    import slosim as ss

    model = demo.account_opening({name: demo.TARGET for name in demo.SERVICES})
    assert list(model.components) == demo.SERVICES
    (journey,) = model.journeys
    assert journey.target == 0.9995
    assert ss.exact(model)["account opening"].availability == pytest.approx(0.9995**7, rel=1e-15)


RAP = EXAMPLE.with_name("redundancy_allocation.py")


@pytest.fixture(scope="module")
def rap():
    spec = importlib.util.spec_from_file_location("redundancy_allocation", RAP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_redundancy_allocation_is_proven_optimal_and_matches_the_dynamic_programme(rap):
    """choose (a MILP) and the textbook dynamic programme over (cost,
    weight), two exact methods sharing no code, agree on the tightest and
    the loosest weight limit."""
    import slosim as ss

    model = rap.rap_model()
    check = rap.dynamic_programme(weights=[159, 191])
    for W in (159, 191):
        design = rap.solve(model, W)
        assert design.optimal and design.method == "milp" and design.gap == 0.0
        assert design.resources["cost"] <= 130 and design.resources["weight"] <= W
        value, labels = check[W]
        assert design.value == pytest.approx(value, rel=1e-12)
        # the DP's design is as available, by the exact engine
        exact = ss.exact(model.resolve(labels))["system"].availability
        assert exact == pytest.approx(value, rel=1e-12)
        assert ss.exact(design.apply())["system"].availability == design.value


def test_redundancy_allocation_script_prints_every_instance(rap, capsys):
    rap.main([159, 160])
    out = capsys.readouterr().out
    assert out.count("agrees") == 2 and out.count("   yes ") == 2
    for W, (value, _) in rap.dynamic_programme(weights=[159, 160]).items():
        assert f"  {W}      {value:.6f}  " in out
