"""Run the sample stack against a fresh local Organizations endpoint.

``python -m program.local`` starts the project's local endpoint with the
sample organization, then runs ``pulumi preview`` and ``pulumi up`` of the
``local`` stack (config: Pulumi.local.yaml) through the Automation API, with
local state. No AWS account and no Pulumi Cloud account are involved. The
endpoint lives in memory, so each run starts from the same organization and
from empty state (kept under ``.pulumi-state/local`` until the next run).

Options: ``--destroy`` also destroys the stack at the end (with the program
running, as delete hooks require); ``--seed FILE`` uses another organization.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from pulumi import automation as auto

from .automation import CliMissingError, open_stack, require_cli, stack_config_file
from .stack import PROJECT_DIR

STATE_DIR = PROJECT_DIR / ".pulumi-state" / "local"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m program.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--destroy", action="store_true", help="destroy the stack after the update")
    parser.add_argument("--seed", type=Path, help="organization seed YAML (default: the sample)")
    parser.add_argument("--config", type=Path, default=PROJECT_DIR / "Pulumi.local.yaml",
                        help="stack settings file (default: Pulumi.local.yaml)")
    args = parser.parse_args(argv)

    try:
        require_cli()
    except CliMissingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not args.config.is_file():
        print(f"error: stack settings file {args.config} not found", file=sys.stderr)
        return 2

    from emulator import SAMPLE_SEED, SeedError, start_endpoint

    try:
        endpoint = start_endpoint(seed=args.seed or SAMPLE_SEED)
    except SeedError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with endpoint:
        import os

        os.environ.update(endpoint.env())
        print(f"Local Organizations endpoint: {endpoint.url} (sample organization, root {endpoint.ids['root']})")
        shutil.rmtree(STATE_DIR, ignore_errors=True)  # fresh endpoint, fresh state
        stack = open_stack("local", STATE_DIR, stack_config_file(args.config))
        try:
            print("\n=== pulumi preview ===")
            stack.preview(on_output=print)
            print("\n=== pulumi up ===")
            stack.up(on_output=print)
            if args.destroy:
                print("\n=== pulumi destroy --run-program ===")
                stack.destroy(run_program=True, on_output=print)
        except auto.CommandError:
            print("error: the Pulumi operation above failed (its output says why)", file=sys.stderr)
            return 1
        calls = {op: n for op, n in endpoint.control.calls().items() if n}
        print(f"\nAWS Organizations calls made: {calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
