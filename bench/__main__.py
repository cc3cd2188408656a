"""``python -m bench``: measure, print a table, optionally write JSON and the chart.

Every measurement starts its own in-process endpoint on a generated
organization and points this process's AWS_* variables at it; provider
servers inherit them. Nothing reaches AWS.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import adopt, calls, cpu, engine, engine_soak, exclusive, preview, soak, summary, timing
from .org import OrgShape, all_targets, client, serving

#: The fewest calls each operation's behaviour needs. create: AttachPolicy and, for its
#: outputs (type, name), one DescribePolicy per policy per process. delete: DetachPolicy,
#: and for an SCP first ListPoliciesForTarget, because the provider refuses a target's last
#: SCP (or a lockout) *without* calling DetachPolicy (AWS's own refusal is only the backstop
#: for races): one call more than AWS alone would need, on purpose.
MINIMAL_CALLS = {"create": 2, "read": 1, "update": 0, "delete": 2}


@dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    rounds: int
    cold_runs: int
    preview_shape: OrgShape
    removals: tuple[tuple[int, int], ...]
    refresh_sizes: tuple[int, ...]
    scaling_sizes: tuple[int, ...]
    soak_count: int
    soak_shape: OrgShape
    engine_sizes: tuple[int, ...]
    engine_repeats: int
    engine_soak_count: int
    engine_soak_shape: OrgShape
    lockout_targets: int = 100
    exclusive_sizes: tuple[int, ...] = exclusive.DEFAULT_SIZES
    adopt_shape: adopt.AdoptShape = adopt.FULL


FULL = Plan(rounds=30, cold_runs=5, preview_shape=OrgShape.with_attachments(1000),
            removals=preview.DEFAULT_REMOVALS, refresh_sizes=(10, 100, 1000),
            scaling_sizes=(100, 500, 1000, 2000), soak_count=200, soak_shape=OrgShape(targets=40),
            engine_sizes=(10, 100, 1000), engine_repeats=3,
            engine_soak_count=300, engine_soak_shape=OrgShape(targets=60))
QUICK = Plan(rounds=10, cold_runs=3, preview_shape=OrgShape.with_attachments(200),
             removals=((0, 0), (1, 1), (10, 5), (40, 20), (200, 40)), refresh_sizes=(10, 100),
             scaling_sizes=(100, 500), soak_count=50, soak_shape=OrgShape(targets=12),
             engine_sizes=(10, 100), engine_repeats=1, lockout_targets=20, exclusive_sizes=(1, 10),
             engine_soak_count=60, engine_soak_shape=OrgShape(targets=12), adopt_shape=adopt.QUICK)


SECTIONS = ("serialized_provider_bytes", "api_calls", "overhead_ratio", "preview_calls", "preview_lockout_calls",
            "preview_check_calls", "preview_scaling", "refresh_calls", "exclusive_preview_calls",
            "cold_start_ratio", "guard_cpu_ms", "soak", "engine_soak", "engine", "adopt", "summary")


def run(plan: Plan, log: Callable[[str], None], only: Sequence[str] = SECTIONS) -> dict[str, Any]:
    """The measurements of ``plan`` named in ``only`` (default: every one); the JSON document."""
    results: dict[str, Any] = {}

    def step(key: str, measure: Callable[[], Any]) -> None:
        if key not in only:
            return
        started = time.perf_counter()
        results[key] = measure()
        log(f"  {key}: {time.perf_counter() - started:.1f} s")

    step("serialized_provider_bytes", calls.serialized_provider_bytes)
    step("api_calls", calls.api_calls)
    step("overhead_ratio", lambda: timing.overhead_ratio(rounds=plan.rounds))
    step("preview_calls", lambda: preview.guard_calls(plan.preview_shape, plan.removals))
    step("preview_lockout_calls", lambda: preview.lockout_calls(plan.preview_shape, plan.lockout_targets))
    step("preview_check_calls", lambda: preview.check_calls(plan.preview_shape))
    step("preview_scaling", lambda: preview.scaling(plan.scaling_sizes))
    step("refresh_calls", lambda: calls.refresh_calls(plan.refresh_sizes))
    step("exclusive_preview_calls", lambda: exclusive.preview_calls(plan.exclusive_sizes))
    step("cold_start_ratio", lambda: timing.cold_start_ratio(runs=plan.cold_runs))
    step("guard_cpu_ms", cpu.guard_cpu_ms)
    step("soak", lambda: _soak(plan))
    step("engine_soak", lambda: _engine_soak(plan))
    step("engine", lambda: engine.measure(plan.engine_sizes, plan.engine_repeats))
    step("adopt", lambda: adopt.measure(plan.adopt_shape))
    step("summary", lambda: summary.measure(plan.adopt_shape))
    return results


def _engine_soak(plan: Plan) -> dict[str, Any]:
    """The engine soak through the real CLI, or why it could not run."""
    import tempfile

    from harness.cli import CliMissingError, require_cli

    try:
        require_cli()
    except CliMissingError as err:
        return {"skipped": str(err)}
    with serving(plan.engine_soak_shape) as endpoint, tempfile.TemporaryDirectory(prefix="bench-engine-") as work:
        started = time.perf_counter()
        report = engine_soak.run_engine_soak(endpoint, client(endpoint), all_targets(endpoint.ids),
                                             Path(work), plan.engine_soak_count)
        return {**report.summary(), "wall_s": round(time.perf_counter() - started, 1)}


def _soak(plan: Plan) -> dict[str, Any]:
    with serving(plan.soak_shape) as endpoint:
        report = soak.run_soak(endpoint, client(endpoint), all_targets(endpoint.ids), plan.soak_count)
    return {**report.summary(), "errors": report.errors, "applied": report.applied,
            "faulted": report.faulted}


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(metric, measured, target, met) rows, for the sections ``results`` holds."""
    rows: list[tuple[str, str, str, bool]] = []
    for key, section in _SECTION_VERDICTS.items():
        if key in results:
            rows += section(results[key])
    return rows


def _provider_bytes(size: int) -> list[tuple[str, str, str, bool]]:
    return [("serialized_provider_bytes", str(size), "< 200", size < 200)]


def _api_calls(api: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    rows = []
    for op, minimal in MINIMAL_CALLS.items():
        ops = ", ".join(f"{k} {v}" for k, v in api["detail"][op].items()) or "none"
        rows.append((f"api_calls.{op}", f"{api[op]} ({ops})", f"minimal: {minimal}", api[op] <= minimal))
    return rows


def _overhead(overhead: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    rows = []
    medians = overhead["medians_ms"]
    for op in ("create", "read", "delete"):
        rows.append((f"overhead_ratio.{op}",
                     f"{overhead[op]} ({medians['provider'][op]} / {medians['direct'][op]} ms)",
                     "<= 1.3", overhead[op] <= 1.3))
    floor = overhead["floor_ms"]
    rows.append(("overhead floor (no AWS call)", f"gRPC round trip {floor['grpc_round_trip']} ms, "
                 f"Update {floor['update_no_aws']} ms", "(info)", True))
    return rows


def _preview_calls(found: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    rows = []
    for row in found:
        refused = "".join(f", {row[k]} {k}" for k in ("refused", "lockouts") if row[k])
        # FullAWSAccess staying on every touched target: no document is read at all
        most = row["involved"] if row["full_aws_access_removed"] else 0
        rows.append((f"preview_calls K={row['removed']} T={row['targets']}",
                     f"lists {row['lists']}, describes {row['describes']} "
                     f"({row['declared_unchanged']} unchanged: 0{refused})",
                     f"lists == {row['targets']}, describes <= {most}",
                     row["lists"] == row["targets"] and row["describes"] <= most))
    return rows


def _lockout(lock: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(f"preview_lockout T={lock['targets']} (FullAWSAccess removed, deny SCPs stay)",
             f"lists {lock['lists']}, describes {lock['describes']}, {lock['lockouts']} refused "
             f"(+{lock['message_calls']} calls for the messages)",
             f"lists == {lock['targets']}, describes <= {lock['involved']}, all refused",
             lock["lists"] == lock["targets"] and lock["describes"] <= lock["involved"]
             and lock["lockouts"] == lock["targets"])]


def _check_calls(check: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(f"preview: provider check of {check['declared']} declared",
             f"{check['calls']} ({', '.join(f'{k} {v}' for k, v in check['by_operation'].items())})",
             "(info)", True)]


def _scaling(found: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    rows = []
    for row in found:
        naive = f", naive {row['naive']}" if "naive" in row else ""
        rows.append((f"preview_scaling N={row['attachments']} (K={row['removed']} T={row['targets']})",
                     f"{row['guard']}{naive}", f"== {row['targets']}", row["guard"] == row["targets"]))
    return rows


def _refresh(found: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(f"refresh_calls N={n}",
             f"ours {row['ours']}, list_targets {row['list_targets']} (measured {row['list_targets_measured']})",
             "ours == 1", row["ours"] == 1) for n, row in found.items()]


def _exclusive(found: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    rows = []
    for row in found:
        state = "drift on every target" if row["drift"] else "unchanged"
        rows.append((f"exclusive_preview_calls E={row['exclusive']} ({state})",
                     f"{row['calls']} (ListPoliciesForTarget {row['list_calls']}; {row['changed']} shown changed)",
                     f"== E ({row['exclusive']})", row["calls"] == row["list_calls"] == row["exclusive"]))
    return rows


def _cold_start(cold: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [("cold_start_ratio", f"{cold['ratio']} ({cold['provider_s']} / {cold['plain_boto3_s']} s)",
             "< 2", cold["ratio"] < 2)]


def _guard_cpu(cpu_ms: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [("guard_cpu_ms", f"{cpu_ms['ms']} ({cpu_ms['declared']} declared, {cpu_ms['deletions']} deletions)",
             "(info)", True)]


def _soak_row(s: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(f"soak ({s['attachments']} attachments)",
             f"lost {s['lost']}, duplicated {s['duplicated']}, unexpected {s['unexpected_changes']}, "
             f"faults {s['faults_injected']}", "0 / 0 / 0",
             (s["lost"], s["duplicated"], s["unexpected_changes"]) == (0, 0, 0) and not s["errors"])]


def _engine_soak_row(e: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    if "skipped" in e:
        return [("engine_soak", f"skipped: {e['skipped']}", "(info)", True)]
    return [(f"engine_soak ({e['attachments']} attachments, {e['fault_rate']:.0%} faults, "
             f"{e['rate_limit']:g} req/s)",
             f"lost {e['lost']}, duplicated {e['duplicated']}, unexpected {e['unexpected_changes']}, "
             f"completed {'yes' if e['completed'] else 'NO'}; {e['wall_s']} s (up {e['up_s']} s, "
             f"destroy {e['destroy_s']} s), {e['requests']} requests, {e['retries']} retries "
             f"({e['faults_injected']} faults, {e['throttled']} throttled)",
             "0 / 0 / 0, completed",
             (e["lost"], e["duplicated"], e["unexpected_changes"]) == (0, 0, 0) and e["completed"])]


def engine_verdicts(engine_rows: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """Whole stacks through the CLI: time against the floor, and AWS calls per preview."""
    rows: list[tuple[str, str, str, bool]] = []
    for row in engine_rows:
        n, t, p = row["attachments"], row["targets"], row["policies"]
        for step in engine.STEPS:
            rows.append((f"engine.{step} N={n}",
                         f"{row['ratio'][step]} ({row['ours_s'][step]} / {row['floor_s'][step]} s)",
                         "<= 1.3", row["ratio"][step] <= 1.3))
        for step in ("preview_new", "preview_same", "preview_removals"):
            found = row["calls"][step]
            detail = ", ".join(f"{op} {count}" for op, count in found.items()) or "none"
            total = sum(found.values())
            # New pairs: the provider's check asks once per policy and per target, plus one
            # ListRoots (no guard hook runs for creates); removals: one list per target.
            bound = {"preview_new": t + p + 1, "preview_same": 0,
                     "preview_removals": row["removed"]}[step]
            rows.append((f"engine.calls.{step} N={n} T={t} P={p}", f"{total} ({detail})",
                         f"<= {bound}", total <= bound))
    return rows


#: Each section's rows of the verdict table, in the table's order.
_SECTION_VERDICTS: dict[str, Callable[[Any], list[tuple[str, str, str, bool]]]] = {
    "serialized_provider_bytes": _provider_bytes, "api_calls": _api_calls, "overhead_ratio": _overhead,
    "preview_calls": _preview_calls, "preview_lockout_calls": _lockout, "preview_check_calls": _check_calls,
    "preview_scaling": _scaling, "refresh_calls": _refresh, "exclusive_preview_calls": _exclusive,
    "cold_start_ratio": _cold_start, "guard_cpu_ms": _guard_cpu, "soak": _soak_row,
    "engine_soak": _engine_soak_row, "engine": engine_verdicts, "adopt": adopt.verdicts,
    "summary": summary.verdicts,
}


def table(rows: Sequence[tuple[str, str, str, bool]]) -> str:
    headers = ("metric", "measured", "target", "met")
    body = [(m, v, t, "yes" if ok else "NO") for m, v, t, ok in rows]
    widths = [max(len(r[i]) for r in (headers, *body)) for i in range(4)]
    line = lambda r: "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, body)])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    parser.add_argument("--chart", type=Path, metavar="PNG",
                        help="draw the preview chart (needs bench/requirements.txt)")
    parser.add_argument("--only", choices=SECTIONS, action="append", metavar="SECTION",
                        help="run only this section (repeatable), one of: " + ", ".join(SECTIONS)
                        + "; e.g. --only engine: whole stacks through the CLI against the floor")
    args = parser.parse_args(argv)
    if args.chart and args.only and not {"preview_scaling", "engine"} <= set(args.only):
        parser.error("--chart needs the preview_scaling and engine sections")

    started = time.perf_counter()
    results = run(QUICK if args.quick else FULL, log=lambda text: print(text, flush=True),
                  only=args.only or SECTIONS)
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine()}
    rows = verdicts(results)
    results["targets_met"] = {metric: ok for metric, _, target, ok in rows if target != "(info)"}
    print()
    print(table(rows))
    print(f"\nwall time: {results['wall_s']} s")
    if args.chart:
        from .chart import draw_engine_times, draw_preview_calls

        print(f"chart: {draw_preview_calls(results['preview_scaling'], args.chart)}")
        engine_chart = args.chart.with_name(args.chart.stem + "-engine" + args.chart.suffix)
        print(f"chart: {draw_engine_times(results['engine'], engine_chart)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"json: {args.json}")
    return 0  # a measurement, not a gate: missed targets show as NO in the table


if __name__ == "__main__":
    raise SystemExit(main())
