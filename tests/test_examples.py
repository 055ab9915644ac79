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
