"""The change summary's cost on a large organization: AWS calls and wall time.

The organization is adopt's (:data:`bench.adopt.FULL`: 2,000 OUs, 5,000 accounts,
3,000 custom SCP attachments), served from a process of its own, plus one OU made for
the bench with 50 accounts below it (``Root/t00/review``, its accounts in two child
OUs). Three previews, each a summary of one new SCP attachment, built as a preview
builds it (:func:`program.review.build`, with a fresh guard and cache, so every
answer is asked for):

* ``root``: attached to the root, the worst case (it reaches every account);
* ``ou``: attached to the OU with 50 accounts below it;
* ``account``: attached to one account.

The calls are counted at the endpoint. ``python -m bench.summary [--quick]`` runs
this section alone.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from .adopt import FULL, QUICK, AdoptShape, endpoint_client, write_seed
from .org import EndpointProcess, serving_seed_apart
from .section import section_main

SCP = "SERVICE_CONTROL_POLICY"
REVIEWED_ACCOUNTS = 50


def measure(shape: AdoptShape) -> dict[str, Any]:
    """The three summaries of the module docstring on an organization of ``shape``."""
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as work:
        started = time.perf_counter()
        with serving_seed_apart(write_seed(shape, Path(work))) as endpoint:
            results: dict[str, Any] = {"shape": vars(shape) | {"targets": shape.targets}}
            ou, account = _reviewed_ou(endpoint)
            results["setup_s"] = round(time.perf_counter() - started, 1)
            for case, target in (("root", endpoint.ids["root"]), ("ou", ou), ("account", account)):
                results[case] = _summarised(endpoint, target)
    return results


def _reviewed_ou(endpoint: EndpointProcess) -> tuple[str, str]:
    """``Root/t00/review``: two child OUs, 50 accounts below it; (its ID, one account's ID)."""
    client = endpoint_client(endpoint)
    parent = endpoint.ids["ous"]["Root/t00"]
    review = client.create_organizational_unit(ParentId=parent, Name="review")["OrganizationalUnit"]["Id"]
    teams = [client.create_organizational_unit(ParentId=review, Name=f"team{n}")["OrganizationalUnit"]["Id"]
             for n in range(2)]
    account = ""
    for n in range(REVIEWED_ACCOUNTS):
        status = client.create_account(AccountName=f"review-{n:02d}", Email=f"review-{n:02d}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=account, SourceParentId=endpoint.ids["root"], DestinationParentId=teams[n % 2])
    return review, account


def _summarised(endpoint: EndpointProcess, target: str) -> dict[str, Any]:
    from program import review, summary
    from program.changes import ATTACHMENT, Declared, Outcome
    from provider import guard

    policy = endpoint.ids["policies"]["Scp000"]
    entry = Declared(f"{target}/{policy}", ATTACHMENT, target, target, policy, "Scp000")
    guard.start_run()  # a new run: nothing cached
    endpoint.control.reset_calls()
    started = time.perf_counter()
    result = review.build({}, {entry.name: entry}, {entry.name: Outcome(created=True)}, review.StackPolicies())
    elapsed = time.perf_counter() - started
    calls = {op: n for op, n in sorted(endpoint.control.calls().items()) if n}
    [report] = result.reports
    # The endpoint lists 100 accounts a page, AWS 20: the same listing at AWS's page size.
    aws_pages = sum(calls.values()) - calls.get("ListAccounts", 0) + (
        math.ceil(report.reach.count / 20) if "ListAccounts" in calls else 0)
    return {"wall_s": round(elapsed, 2), "calls": calls, "total": sum(calls.values()), "at_aws_pages": aws_pages,
            "accounts_reached": report.reach.count, "heading": summary.target_heading(report)}


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(metric, measured, target, met) rows for the bench table: the calls of a summary
    grow with the OUs below the changed target (every account for the root)."""
    shape = results["shape"]
    rows = []
    for case, bound in (("root", None), ("ou", 20), ("account", 10)):
        row = results[case]
        detail = ", ".join(f"{op} {n}" for op, n in row["calls"].items())
        target = "grows with the accounts (ListAccounts pages)" if bound is None else f"<= {bound} calls"
        rows.append((f"summary.{case} ({shape['ous']} OUs, {shape['accounts']} accounts)",
                     f"{row['total']} calls ({row['at_aws_pages']} at AWS's page size) in {row['wall_s']} s, "
                     f"{row['accounts_reached']} accounts reached ({detail})", target,
                     bound is None or row["total"] <= bound))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    return section_main("python -m bench.summary", __doc__ or "", measure, verdicts, (FULL, QUICK),
                        lambda r: f"setting up the organization: {r['setup_s']} s", argv)


if __name__ == "__main__":
    raise SystemExit(main())
