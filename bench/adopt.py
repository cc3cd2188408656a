"""``adopt`` on a large organization: AWS calls per operation and wall time.

The organization (:class:`AdoptShape`): OUs nested three deep (``Root/tNN/mN/lN``),
accounts spread over them, custom SCPs attached across roots, OUs and accounts, and
FullAWSAccess everywhere (as AWS does). Each run is ``python -m program.adopt`` in
process (:func:`program.adopt.command.main`) against the in-process endpoint, with the
calls counted there:

* ``whole``: the whole organization, printed (the listing: per policy);
* ``exclusive``: the same in exclusive form (FullAWSAccess listed too);
* ``subtree``: ``--under`` one top-level OU (the listing: per target);
* ``write``: ``--write`` into a stack file with no attachment yet (the merge, and the
  program's own checks of the result).

The endpoint answers ListTargetsForPolicy in one page (moto does not paginate it) and
ListAccounts 100 a page; AWS answers 20 a page, so each row also gives the calls the same
scan makes against AWS's page sizes, computed from what was found, and the calls the
listing not chosen would have made.

``python -m bench.adopt [--quick]`` runs this section alone.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .org import REGION, EndpointProcess, serving_seed_apart
from .section import section_main

SCP = "SERVICE_CONTROL_POLICY"
PAGE = 20  # AWS's largest page of every listing adopt makes


@dataclass(frozen=True)
class AdoptShape:
    """``ous`` OUs (20 at the top, 10 below each, the rest a level deeper), ``accounts``
    accounts round-robin over them, ``attachments`` custom SCP attachments spread over
    every target (one per target at most) from ``policies`` SCPs."""

    ous: int
    accounts: int
    attachments: int
    policies: int = 20

    @property
    def targets(self) -> int:
        return 1 + self.ous + self.accounts + 1  # the root, OUs, members and the management account


FULL = AdoptShape(ous=2000, accounts=5000, attachments=3000)
QUICK = AdoptShape(ous=200, accounts=500, attachments=300)


def write_seed(shape: AdoptShape, folder: Path) -> Path:
    """``shape`` as a seed file in ``folder`` (JSON is YAML)."""
    (folder / "deny.json").write_text(json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "example:Nothing", "Resource": "*"}]}))
    ous: list[str] = []
    for top in range(20):
        ous.append(f"Root/t{top:02d}")
    for top in range(20):
        for middle in range(10):
            ous.append(f"Root/t{top:02d}/m{middle}")
    leaf = 0
    while len(ous) < shape.ous:
        ous.append(f"Root/t{leaf % 20:02d}/m{(leaf // 20) % 10}/l{leaf // 200}")
        leaf += 1
    ous = ous[:shape.ous]
    accounts = [{"name": f"acct-{n:05d}", "ou": ous[n % len(ous)]} for n in range(shape.accounts)]
    policies = [{"name": f"Scp{n:03d}", "content_file": "deny.json"} for n in range(shape.policies)]
    targets = ["Root", *ous, *(a["name"] for a in accounts)]
    if shape.attachments > len(targets):
        raise ValueError(f"{shape.attachments} attachments do not fit one per target on {len(targets)} targets")
    step = 7 if math.gcd(7, len(targets)) == 1 else 1
    attachments = [{"target": targets[(k * step) % len(targets)], "policies": [policies[k % shape.policies]["name"]]}
                   for k in range(shape.attachments)]
    seed = {"enabled_policy_types": [SCP], "management_account": {"name": "management"},
            "organizational_units": ous, "accounts": accounts, "policies": policies, "attachments": attachments}
    path = folder / "organization.yaml"
    path.write_text(json.dumps(seed))
    return path


def measure(shape: AdoptShape) -> dict[str, Any]:
    """Every run of the module docstring on an organization of ``shape``. The endpoint
    serves from a process of its own, so this process's CPU time is adopt's alone."""
    from program.adopt.command import parser, run

    with tempfile.TemporaryDirectory(prefix="bench-adopt-") as work:
        folder = Path(work)
        started = time.perf_counter()
        with serving_seed_apart(write_seed(shape, folder)) as endpoint:
            results: dict[str, Any] = {"shape": vars(shape) | {"targets": shape.targets},
                                       "seed_s": round(time.perf_counter() - started, 1),
                                       "ms_per_call": _ms_per_call(endpoint)}
            stack = folder / "Pulumi.bench.yaml"
            for name, args in (("whole", []), ("exclusive", ["--exclusive"]),
                               ("subtree", ["--under", "Root/t00"]), ("write", ["--write"])):
                stack.write_text("config:\n  aws:region: us-east-1\n")
                endpoint.control.reset_calls()
                out, err = io.StringIO(), io.StringIO()
                started, cpu = time.perf_counter(), time.process_time()
                outcome = run(parser().parse_args(["--stack", "bench", "--cwd", str(folder), *args]), api=None,
                              stdout=out, stderr=err)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                calls = {op: n for op, n in sorted(endpoint.control.calls().items()) if n}
                results[name] = {"args": args, "wall_s": round(elapsed, 2), "cpu_s": round(cpu, 2),
                                 "calls": calls, "total": sum(calls.values()),
                                 "entries": _entries(out.getvalue() if name != "write" else stack.read_text()),
                                 **_at_aws_page_sizes(endpoint, args, calls, outcome.listing.per_target_calls)}
    return results


def _ms_per_call(endpoint: EndpointProcess) -> float:
    """The endpoint's own time for one ListRoots at this size (it grows with the organization)."""
    client = endpoint_client(endpoint)
    started = time.perf_counter()
    for _ in range(20):
        client.list_roots()
    return round((time.perf_counter() - started) / 20 * 1000, 1)


def endpoint_client(endpoint: EndpointProcess) -> Any:
    import boto3

    return boto3.session.Session().client(
        "organizations", endpoint_url=endpoint.url, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing")


def _entries(text: str) -> int:
    import yaml

    loaded = yaml.safe_load(text)
    mapping = (loaded.get("config") or loaded).get("org-policies:attachments") or {}
    return len(mapping)


def _at_aws_page_sizes(endpoint: EndpointProcess, args: Sequence[str], calls: dict[str, int],
                       per_target: int) -> dict[str, Any]:
    """The same scan's calls at AWS's pages of 20, and what the listing not chosen would cost."""
    client = endpoint_client(endpoint)
    managed = "--exclusive" in args
    per_policy_pages = 0  # ListTargetsForPolicy of every policy listed, 20 targets a page
    for page in client.get_paginator("list_policies").paginate(Filter=SCP):
        for policy in page["Policies"]:
            if managed or not policy["AwsManaged"]:
                targets = client.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
                per_policy_pages += max(1, math.ceil(len(targets) / PAGE))
    accounts = len(endpoint.ids["accounts"])
    per_policy = "ListTargetsForPolicy" in calls
    aws = dict(calls)
    if "ListAccounts" in calls:  # the endpoint pages 100 accounts, AWS 20
        aws["ListAccounts"] = max(1, math.ceil(accounts / PAGE))
    if per_policy:  # the endpoint answers ListTargetsForPolicy in one page
        aws["ListTargetsForPolicy"] = per_policy_pages
    return {"listing": "per policy" if per_policy else "per target",
            "listing_at_aws_pages": per_policy_pages if per_policy else per_target,
            "other_listing": per_target if per_policy else per_policy_pages,
            "total_at_aws_pages": sum(aws.values())}


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(metric, measured, target, met) rows for the bench table."""
    shape = results["shape"]
    rows = []
    for name in ("whole", "exclusive", "subtree", "write"):
        row = results[name]
        detail = ", ".join(f"{op} {n}" for op, n in row["calls"].items())
        rows.append((f"adopt.{name} ({shape['ous']} OUs, {shape['accounts']} accounts, "
                     f"{shape['attachments']} attachments)",
                     f"{row['total']} calls in {row['wall_s']} s, adopt's CPU {row['cpu_s']} s ({detail}); "
                     f"{row['entries']} targets written; {row['listing']}: {row['listing_at_aws_pages']} listing "
                     f"calls at AWS's pages, the other listing {row['other_listing']} "
                     f"({row['total_at_aws_pages']} calls in all at AWS's pages)",
                     "no write call; listing <= the other",
                     not set(row["calls"]) & _WRITES and row["listing_at_aws_pages"] <= row["other_listing"]))
    return rows


_WRITES = {"AttachPolicy", "DetachPolicy", "CreatePolicy", "UpdatePolicy", "DeletePolicy"}


def main(argv: Optional[Sequence[str]] = None) -> int:
    return section_main("python -m bench.adopt", __doc__ or "", measure, verdicts, (FULL, QUICK),
                        lambda r: f"seeding the endpoint: {r['seed_s']} s; its time for one ListRoots: "
                                  f"{r['ms_per_call']} ms", argv)


if __name__ == "__main__":
    raise SystemExit(main())
