"""What a module imports from one package, read from its source (for the layer tests)."""

from __future__ import annotations

import ast
from pathlib import Path


def package_imports(source: str, package: str, package_dir: Path, *, inside: bool = True) -> set[str]:
    """Names of ``package``'s modules that ``source`` imports (the package itself:
    ``__init__``). Every import counts: module level, in functions, and under
    ``if TYPE_CHECKING:`` (an upward import there still ties a lower module to a higher one).
    ``inside``: ``source`` is one of the package's modules, so its relative imports are the package's."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                if head == package:
                    found.add(rest.split(".")[0] or "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                head, _, rest = (node.module or "").partition(".")
                if head != package:
                    continue
            elif node.level == 1 and inside:
                rest = node.module or ""
            else:
                continue  # above the package: not one of its modules
            if rest:
                found.add(rest.split(".")[0])
            else:  # "from . import x": x may be a module or a name of __init__
                found.update(a.name if (package_dir / f"{a.name}.py").exists() else "__init__"
                             for a in node.names)
    return found


def third_party_imports(source: str) -> set[str]:
    """Top-level names of the absolute imports in ``source`` (``boto3``, ``pulumi``, ...)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found
