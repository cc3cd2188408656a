"""``python -m emulator``: run the local AWS Organizations endpoint until Ctrl-C.

Bad input (options, seed file, busy port) prints one line to stderr and exits 2. SIGINT and
SIGTERM stop the server cleanly and exit 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .faults import FAULT_CODES, FaultConfig, FaultConfigError
from .limits import LimitsConfig, LimitsConfigError
from .ratelimit import RateLimitConfig, RateLimitConfigError
from .seed import SAMPLE_SEED, SeedError
from .server import Endpoint, start_endpoint
from .service_model import aws_operation_names

PROG = "python -m emulator"
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage block.
        self.exit(EXIT_BAD_INPUT, f"{PROG}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


_port.__name__ = "port (0-65535)"  # what argparse names in "invalid ... value"


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Local AWS Organizations endpoint: moto's server plus "
                "the AWS rules moto lacks, seeded with a sample organization.")
    p.add_argument("--port", type=_port, default=0,
                   help="port on 127.0.0.1 (default 0: a free port, printed at start)")
    seed = p.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=Path, default=SAMPLE_SEED, metavar="FILE",
                      help="seed YAML file (default: the shipped sample organization)")
    seed.add_argument("--no-seed", action="store_true",
                      help="start with a bare organization (SCPs enabled, nothing else)")
    p.add_argument("--ids-out", type=Path, metavar="FILE",
                   help="write the created IDs as JSON to FILE (rewritten on every reset)")
    p.add_argument("--fault-rate", type=float, default=0.0, metavar="RATE",
                   help="share of Organizations calls that fail, 0 to 1 (default 0)")
    p.add_argument("--fault-codes", type=_comma_list, metavar="CODES",
                   help=f"comma list of errors to inject (default all: {','.join(FAULT_CODES)};"
                   " short names like TooManyRequests work)")
    p.add_argument("--fault-operations", type=_comma_list, metavar="OPS",
                   help="comma list of operations to fault (default: all)")
    p.add_argument("--fault-seed", type=int, default=0, metavar="N",
                   help="seed of the fault sequence (default 0)")
    p.add_argument("--fault-limit", type=int, metavar="N",
                   help="inject at most N faults, then let calls through (default: no limit)")
    p.add_argument("--rate-limit", type=float, metavar="RPS",
                   help="throttle Organizations calls beyond RPS requests per second with "
                   "TooManyRequestsException (default: no limit)")
    p.add_argument("--rate-limit-burst", type=float, metavar="N",
                   help="requests allowed at once before throttling (default: RPS, at least 1)")
    p.add_argument("--limits", metavar="JSON",
                   help="replace AWS's limits of today (or the seed's limits:) for some types, "
                   'e.g. \'{"SERVICE_CONTROL_POLICY": {"maximum": 5, "documentCharacters": 5120}}\'')
    p.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    stop = threading.Event()
    # First thing, so a Ctrl-C during start-up is also a clean stop.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    args = parser().parse_args(argv)
    try:
        faults = FaultConfig.build(args.fault_rate, args.fault_codes, args.fault_seed,
                                   args.fault_operations, aws_operation_names(),
                                   args.fault_limit)
    except FaultConfigError as err:
        return _fail(f"--fault options: {err}")
    try:
        rate_limit = RateLimitConfig.build(args.rate_limit, args.rate_limit_burst)
    except RateLimitConfigError as err:
        return _fail(f"--rate-limit options: {err}")
    try:
        limits = None if args.limits is None else LimitsConfig.from_json(json.loads(args.limits))
    except LimitsConfigError as err:
        return _fail(f"--limits: {err}")
    except ValueError as err:  # JSONDecodeError
        return _fail(f"--limits: invalid JSON ({err})")
    if args.ids_out is not None and not args.ids_out.parent.is_dir():
        return _fail(f"--ids-out {args.ids_out}: folder {args.ids_out.parent} does not exist; "
                     "create it or choose another path")
    seed = None if args.no_seed else args.seed
    try:
        endpoint = start_endpoint(seed, args.port, faults=faults, rate_limit=rate_limit,
                                  limits=limits, ids_out=args.ids_out,
                                  log_requests=args.log_requests)
    except SeedError as err:
        return _fail(f"seed {err}")
    except OSError as err:
        return _fail(f"cannot listen on 127.0.0.1:{args.port} ({err.strerror or err}); "
                     "choose another --port, or 0 for a free one")
    try:
        _announce(endpoint, seed, faults, rate_limit)
        while not stop.wait(0.5):
            pass
    finally:
        endpoint.stop()
    print("Stopped.", flush=True)
    return 0


def _announce(endpoint: Endpoint, seed: Path | None, faults: FaultConfig,
              rate_limit: RateLimitConfig) -> None:
    lines = [
        f"AWS Organizations endpoint listening on {endpoint.url}",
        f"Seed: {seed}" if seed else "Seed: none (bare organization)",
        "Point AWS SDKs, the CLI and Pulumi at it with:",
        *(f"export {name}={value}" for name, value in endpoint.env().items()),
        f"Control API: {endpoint.url}/_emulator/ (calls, faults, rate-limit, limits, reset, ids)",
        f"IDs: {json.dumps(endpoint.ids)}",
    ]
    if faults.rate > 0:
        lines.append(f"Faults: {json.dumps(faults.to_json())}")
    if rate_limit.rate is not None:
        lines.append(f"Rate limit: {json.dumps(rate_limit.to_json())}")
    if endpoint.limits.override:
        lines.append(f"Limits other than AWS's today: {json.dumps(endpoint.limits.to_json())}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
