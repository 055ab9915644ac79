"""The layers of slosim stay layers (see docs/architecture.rst).

Reads every module's imports with :mod:`ast` (function-local imports
included) and fails when

* a layer imports a layer it may not (the model imports nothing above it;
  ``_core`` imports no Python module of slosim; analyses reach the kernels
  only through the engines; nothing below ``io`` knows a file);
* a module reaches into another layer's private modules (``from
  ..model._nodes import ...``): a layer is used through its package, whose
  ``__init__`` says what it offers; the kernels of ``_core`` are the one
  exception, being modules of their own;
* anything touches a private attribute of another object (``x._y`` with
  ``x`` not ``self`` or ``cls``), a Model's above all;
* a module of a package does not start with an underscore (so no public
  function shadows a module), or a public name of ``slosim`` is a module.
"""

import ast
import pathlib
import re

import pytest

import slosim

SRC = pathlib.Path(slosim.__file__).resolve().parent

#: Each layer (a top-level package or module of slosim) and the layers it
#: may import; "slosim" itself (the re-exporting __init__) may import all.
ALLOWED = {
    "slosim._version": set(),
    "slosim._errors": set(),
    "slosim._validation": {"slosim._errors"},
    "slosim._core": set(),
    "slosim.results": {"slosim._errors", "slosim._validation"},
    "slosim.model": {"slosim._errors", "slosim._validation"},
    "slosim.cost": {"slosim._errors", "slosim._validation"},
    "slosim.engines": {"slosim._core", "slosim.model", "slosim.results",
                       "slosim._errors", "slosim._validation"},
    "slosim.alerts": {"slosim.results", "slosim._errors", "slosim._validation"},
    "slosim.analysis": {"slosim.engines", "slosim.model", "slosim.results",
                        "slosim.cost", "slosim.alerts", "slosim._errors",
                        "slosim._validation"},
    "slosim.io": {"slosim.model", "slosim._errors", "slosim._validation",
                  "slosim._version"},
}


def _module_name(path):
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


SOURCES = sorted(SRC.rglob("*.py"))
MODULES = {_module_name(p): p for p in SOURCES}
#: Compiled modules (``.pyx``) are modules too.
MODULES.update({_module_name(p): p for p in SRC.rglob("*.pyx")})


def _layer(name):
    parts = name.split(".")
    return name if len(parts) == 1 else ".".join(parts[:2])


def _imports(name, source, is_package):
    """(line, imported slosim module) for every import in module ``name``."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "slosim":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "slosim":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                # ``from pkg import module`` imports the module
                yield node.lineno, sub if sub in MODULES else target


def import_problems(name, source, is_package=False):
    """What is wrong with the imports of module ``name``, one line each."""
    own = _layer(name)
    bad = []
    for line, target in _imports(name, source, is_package):
        layer = _layer(target)
        if layer == own:
            continue
        if layer == "slosim" or layer not in ALLOWED[own]:
            bad.append(f"line {line}: {own} may not import {target}")
            continue
        private = [p for p in target.split(".")[2:] if p.startswith("_")]
        if private and layer != "slosim._core":
            bad.append(f"line {line}: {target} is private to {layer}; import "
                       f"from {layer} itself")
    return bad


def private_attributes(source):
    """Every ``x._y`` with ``x`` not ``self`` or ``cls`` (dunders aside)."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        bad.append(f"line {node.lineno}: {ast.unparse(node)}")
    return bad


def test_every_module_is_in_a_known_layer():
    layers = {_layer(m) for m in MODULES if m != "slosim"}
    unknown = layers - set(ALLOWED)
    assert not unknown, (f"new top-level modules {sorted(unknown)}: give each a "
                         f"layer in ALLOWED and in docs/architecture.rst")


@pytest.mark.parametrize("path", SOURCES, ids=_module_name)
def test_imports_follow_the_layers(path):
    name = _module_name(path)
    if name == "slosim":
        return
    bad = import_problems(name, path.read_text(encoding="utf-8"),
                          path.name == "__init__.py")
    assert not bad, f"{path.relative_to(SRC.parent)}:\n" + "\n".join(bad)


def test_the_kernels_import_no_python_module_of_slosim():
    pattern = re.compile(r"^\s*(?:c?import|from)\s+(?:slosim\b|\.)", re.M)
    for pyx in SRC.joinpath("_core").glob("*.pyx"):
        found = pattern.findall(pyx.read_text(encoding="utf-8"))
        assert not found, f"{pyx.name} imports from slosim: {found}"


@pytest.mark.parametrize("pyx", sorted((SRC / "_core").glob("*.pyx")), ids=lambda p: p.name)
def test_every_kernel_has_a_stub_naming_its_python_entries(pyx):
    # type checkers and IDEs see a kernel only through its .pyi
    stub = pyx.with_suffix(".pyi")
    assert stub.exists(), f"{pyx.name} has no {stub.name}"
    entries = set(re.findall(r"^(?:def|class|cdef class) (\w+)", pyx.read_text(), re.M))
    declared = set(re.findall(r"^(?:def|class) (\w+)", stub.read_text(), re.M))
    public = {e for e in entries if not e.startswith("_")}
    assert public <= declared, f"{stub.name} misses {sorted(public - declared)}"


@pytest.mark.parametrize("path", SOURCES, ids=_module_name)
def test_no_private_attribute_of_another_object(path):
    bad = private_attributes(path.read_text(encoding="utf-8"))
    assert not bad, f"{path.relative_to(SRC.parent)}:\n" + "\n".join(bad)


def test_modules_inside_packages_are_private():
    public = [m for m, p in MODULES.items()
              if p.name != "__init__.py" and not m.rpartition(".")[2].startswith("_")]
    assert not public, f"modules without a leading underscore: {public}"


def test_public_names_are_not_modules():
    import types

    for name in slosim.__all__:
        assert not isinstance(getattr(slosim, name), types.ModuleType), name
    # the functions are the functions, the packages the packages
    assert callable(slosim.simulate) and callable(slosim.exact)
    assert isinstance(slosim.engines, types.ModuleType)
    assert slosim.engines.simulate is slosim.simulate
    assert slosim.engines.DEFAULT_CHUNK_SIZE > 0 and slosim.engines.DEFAULT_MAX_NODES > 0


@pytest.mark.parametrize("name, source, problem", [
    ("slosim.model._probe", "from ..engines import simulate\n",
     "line 1: slosim.model may not import slosim.engines"),
    ("slosim.model._probe", "def f():\n    import slosim.results\n",
     "line 2: slosim.model may not import slosim.results"),
    ("slosim.engines._probe", "from ..model._nodes import Component\n",
     "line 1: slosim.model._nodes is private to slosim.model; import from "
     "slosim.model itself"),
    ("slosim.analysis._probe", "from .._core import _kernels\n",
     "line 1: slosim.analysis may not import slosim._core._kernels"),
    ("slosim.io._probe", "from .. import exact\n",
     "line 1: slosim.io may not import slosim"),
    ("slosim.results._probe", "from .. import model\n",
     "line 1: slosim.results may not import slosim.model"),
])
def test_the_import_check_sees_a_violation(name, source, problem):
    assert import_problems(name, source) == [problem]


def test_the_attribute_check_sees_a_violation():
    source = "def f(model, self):\n    return model._order, self._x, type(model).__name__\n"
    assert private_attributes(source) == ["line 2: model._order"]
