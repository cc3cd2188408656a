"""The command line of one benchmark section that runs on its own (``python -m bench.adopt``,
``python -m bench.summary``): an organization's size, a JSON file, a verdict a row."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional, TypeVar

Shape = TypeVar("Shape")
Verdicts = Callable[[dict[str, Any]], list[tuple[str, str, str, bool]]]


def section_main(prog: str, doc: str, measure: Callable[[Shape], dict[str, Any]], verdicts: Verdicts,
                 shapes: tuple[Shape, Shape], footer: Callable[[dict[str, Any]], str],
                 argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``--quick`` (the second of ``shapes``) and ``--json FILE``, measure, print a
    line per verdict row and ``footer``; exit code 0."""
    full, quick = shapes
    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"a smaller organization ({quick})")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    args = parser.parse_args(argv)
    results = measure(quick if args.quick else full)
    for metric, measured, target, met in verdicts(results):
        print(f"{metric}: {measured} [{target}]{'' if met else '  (NOT MET)'}")
    print(footer(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0
