# The README's commands. Everything the project needs is installed here,
# into .venv, from pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test lint dev bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip

# Install slosim (a regular, non-editable install) and run the example.
demo: $(PY)
	$(PIP) install .
	cd examples && ../$(PY) account_opening.py

# Editable install with the test extras (builds the Cython core), then the
# whole suite: tests/ and the doctests of every public docstring.
test: $(PY)
	$(PIP) install -e ".[test]"
	$(PY) -m pytest

# ruff (configured in pyproject.toml) over the Python, cython-lint over the
# Cython kernels. The tools are the `lint` extra of pyproject.toml, installed
# without building slosim; cython-lint runs pycodestyle from the venv's PATH.
LINT_TOOLS = $(PY) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['lint']))"

lint: $(PY)
	$(PIP) install $$($(LINT_TOOLS))
	$(VENV)/bin/ruff check src tests benchmarks examples docs/conf.py setup.py
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/cython-lint src/slosim/_core/*.pyx

# Rebuild the Cython core after editing a .pyx (no build isolation: fast).
dev: $(PY)
	$(PIP) install "setuptools>=69" "Cython>=3.0.10" "numpy>=2.0" scipy
	$(PIP) install --no-build-isolation -e ".[test]"

bench: $(PY)
	$(PIP) install -e ".[bench]"
	$(PY) -m pytest benchmarks -p no:cacheprovider --benchmark-only \
		--benchmark-group-by=group --benchmark-columns=min,median,rounds \
		$(BENCH_ARGS)

docs: $(PY)
	$(PIP) install -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf build dist src/*.egg-info docs/_build
	find src -name '*.so' -delete -o -name '*.c' -delete -o -name '*.html' -delete
