"""The endpoint's modules depend one way: each imports only modules listed below it in LAYERS.

Imports under ``if TYPE_CHECKING:`` count too: an upward import there still ties a lower module
to a higher one (that is how ``middleware`` once imported ``server``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import imports

PACKAGE = "emulator"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

#: Bottom first. A module may import only modules before it; a new module must be placed here.
LAYERS = (
    # Leaves and near-leaves: AWS's shapes and rules, the endpoint's settings, the seed.
    "wsgi",
    "service_model",
    "limits",
    "accounting",
    "ratelimit",
    "errors",
    "faults",
    "seed",
    "moto_compat",
    "aws_rules",
    # What one endpoint holds: moto's model, counts, faults, rate limit.
    "state",
    # The control API, client and server side, over the state.
    "control",
    # Request handling in front of moto.
    "middleware",
    # The HTTP server, the command line, the package's public names.
    "server",
    "__main__",
    "__init__",
)


def package_imports(source: str, package: str = PACKAGE) -> set[str]:
    """Names of ``package``'s modules that ``source`` imports (the package itself: ``__init__``)."""
    return imports.package_imports(source, package, PACKAGE_DIR)


PARSED = {
    "relative module": ("from .state import EndpointState", {"state"}),
    "relative submodule list": ("from . import aws_rules, errors", {"aws_rules", "errors"}),
    "relative name of the package": ("from . import start_endpoint", {"__init__"}),
    "absolute module": ("from emulator.control import ControlError", {"control"}),
    "absolute package": ("from emulator import Endpoint", {"__init__"}),
    "plain import": ("import emulator.seed", {"seed"}),
    "type checking only": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .server import Endpoint", {"server"}),
    "another package": ("from provider.rules import DEFAULT_LIMITS\nimport moto", set()),
    "a package above": ("from .. import provider", set()),
}


@pytest.mark.parametrize(("source", "expected"), PARSED.values(), ids=PARSED.keys())
def test_package_imports_finds_every_form_of_import(source: str, expected: set[str]) -> None:
    assert package_imports(source) == expected


def test_every_module_of_the_package_has_a_layer() -> None:
    modules = sorted(p.stem for p in PACKAGE_DIR.glob("*.py"))
    assert sorted(LAYERS) == modules


@pytest.mark.parametrize("module", LAYERS)
def test_module_imports_only_modules_below_it(module: str) -> None:
    source = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    below = set(LAYERS[: LAYERS.index(module)])
    upward = package_imports(source) - below
    assert not upward, f"{PACKAGE}/{module}.py imports {sorted(upward)}, which are not below it in LAYERS"
