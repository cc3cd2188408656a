"""provider/'s modules depend one way, and program/ uses only the package's public names.

Each provider module imports only modules listed below it in LAYERS (imports in
functions and under ``if TYPE_CHECKING:`` count too), so there is no cycle, hidden
or not. The pure modules import neither boto3/botocore nor pulumi. program/
imports ``provider`` itself (and the modules it exports: ids, names, schema),
never another of its modules: the surface a user's own program has.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import provider
from tests import imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "provider"

#: Bottom first. A module may import only modules before it; a new module must be placed here.
LAYERS = (
    # Pure: names, numbers and decisions; no AWS, no Pulumi.
    "schema",  # property names, hints, type tokens
    "errors",  # one class per failure a user can act on
    "limits",  # AWS's numbers and a stack's override
    "ids",  # ID formats
    "names",  # how messages name types, policies, targets
    "ordering",  # the exclusive planner
    "rules",  # every decision, on a target snapshot
    "refusals",  # a refused decision as an error
    # The SDK's and botocore's edges.
    "sdk_compat",
    "inputs",
    "retry",
    # AWS: one method per call, then cached answers and names.
    "aws",
    "lookups",
    "settings",
    # Pulumi: the providers' base, the plan-time guard, the two resources.
    "base",
    "guard",
    "resource",
    "exclusive",
    "__init__",
)
PURE = ("schema", "errors", "limits", "ids", "names", "ordering", "rules", "refusals")


def test_every_module_of_the_package_has_a_layer() -> None:
    assert sorted(LAYERS) == sorted(p.stem for p in PACKAGE_DIR.glob("*.py"))


@pytest.mark.parametrize("module", LAYERS)
def test_module_imports_only_modules_below_it(module: str) -> None:
    source = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    below = set(LAYERS[: LAYERS.index(module)])
    upward = imports.package_imports(source, "provider", PACKAGE_DIR) - below
    assert not upward, f"provider/{module}.py imports {sorted(upward)}, which are not below it in LAYERS"


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_aws_sdk_and_no_pulumi(module: str) -> None:
    found = imports.third_party_imports((PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8"))
    assert not found & {"boto3", "botocore", "pulumi"}, f"provider/{module}.py imports {sorted(found)}"


@pytest.mark.parametrize("path", sorted((ROOT / "program").glob("*.py")), ids=lambda p: p.name)
def test_program_uses_only_the_public_surface_of_provider(path: Path) -> None:
    used = imports.package_imports(path.read_text(encoding="utf-8"), "provider", PACKAGE_DIR, inside=False)
    public = {"__init__", *(name for name in provider.__all__ if (PACKAGE_DIR / f"{name}.py").exists())}
    assert used <= public, f"program/{path.name} reaches into provider's modules {sorted(used - public)}"


def test_the_public_surface_is_what_init_exports() -> None:
    assert sorted(provider.__all__) == sorted(set(provider.__all__))
    for name in provider.__all__:
        assert hasattr(provider, name), name


@pytest.mark.parametrize("source, expected", [
    ("from .rules import judge_detach", {"rules"}),
    ("from . import errors, guard", {"errors", "guard"}),
    ("from . import register_guard", {"__init__"}),
    ("import provider.aws", {"aws"}),
    ("from provider import schema", {"schema"}),
    ("from provider import PolicyAttachment", {"__init__"}),
    ("def f():\n    from .guard import current", {"guard"}),  # in a function: counts
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .aws import TargetFacts", {"aws"}),
    ("from emulator.limits import LimitsConfig\nimport boto3", set()),
])
def test_package_imports_finds_every_form_of_import(source: str, expected: set[str]) -> None:
    assert imports.package_imports(source, "provider", PACKAGE_DIR) == expected
