"""The change summary of one run, as a reviewer reads it in a preview: gathered,
built, printed in the preview's own output, and written to the file CI posts.

:func:`start` runs once the stack's record (:class:`~program.removals.RemovalLimit`)
has answered and the resources are declared. It waits for the engine's answers
to the declared resources (a preview's unknown outputs mark what it creates; an
exclusive set's outputs carry its planned calls), then builds the summary off
the event loop (:func:`provider.off_loop`: AWS calls never wait on the SDK's own
executor) and prints it with ``pulumi.log.info``: it appears in the preview's
output, so the text a CI job posts carries it. With ``ORG_POLICIES_SUMMARY``
naming a file, it also writes it there (Markdown; JSON for ``*.json``).

Summaries are made in previews, which ``pulumi up`` runs first (``--skip-preview``
skips them): an update's own run applies what its preview showed. A summary
that cannot be built (AWS could not answer) is a warning, never a failure.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi

import provider

from . import changes, reach
from .changes import ATTACHMENT, EXCLUSIVE, Declared, Outcome
from .config import PolicySpec
from .declare import Registered
from .plan import PlannedAttachment, PlannedExclusive
from .summary import RemovalLimitRefusal, Summary, as_text, not_made_for, rendered_for

#: The environment variable naming the file the summary is written to.
SUMMARY_FILE = "ORG_POLICIES_SUMMARY"
#: Targets reported at once (their lookups are independent; the answers are cached per run).
WORKERS = 8


@dataclass(frozen=True)
class StackPolicies:
    """What the run knows of the policies this stack creates, whose IDs a preview
    does not know: their type per entry, their documents per target and type."""

    types: Mapping[str, str] = field(default_factory=dict)  # resource name -> policy type
    documents: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)


def entries(plan: tuple[PlannedAttachment, ...], exclusive: tuple[PlannedExclusive, ...]) -> list[Declared]:
    """What this run declares, as the stack's record keeps it."""
    return [*(Declared(a.resource_name, ATTACHMENT, a.target_id, a.target_label, a.stack_policy or a.policy_id or "",
                       a.policy_label, a.skip_destroy, a.adopt) for a in plan),
            *(Declared(e.resource_name, EXCLUSIVE, e.target_id, e.target_label, e.policy_type, e.policy_type,
                       e.skip_destroy) for e in exclusive)]


def stack_policies(specs: tuple[PolicySpec, ...], documents: Mapping[str, str],
                   plan: tuple[PlannedAttachment, ...]) -> StackPolicies:
    by_name = {spec.name: spec for spec in specs}
    types: dict[str, str] = {}
    arriving: dict[str, dict[str, tuple[str, ...]]] = {}
    for attachment in plan:
        spec = by_name.get(attachment.stack_policy or "")
        if spec is None:
            continue
        types[attachment.resource_name] = spec.type
        per_type = arriving.setdefault(attachment.target_id, {})
        per_type[spec.type] = (*per_type.get(spec.type, ()), documents[spec.name])
    return StackPolicies(types, arriving)


def begin() -> None:
    """At the start of a preview with ``ORG_POLICIES_SUMMARY`` set: write the
    "not made" summary there (:func:`program.summary.not_made_for`), which the
    run's own summary replaces. A preview that stops first (the config refused,
    a resource's check failed: the engine then ends the program before any
    summary) so never leaves an earlier run's summary for CI to post."""
    path = os.environ.get(SUMMARY_FILE)
    if path and pulumi.runtime.is_dry_run():
        _write_summary_file(path, not_made_for(path))


def start(previous: Mapping[str, Declared], current: list[Declared], registered: Optional[Registered],
          policies: StackPolicies, refused: Optional[RemovalLimitRefusal] = None) -> pulumi.Output[None]:
    """Make, print and write this run's summary, in a preview; an Output the SDK
    waits for before the program ends. Outside a preview: nothing."""
    if not pulumi.runtime.is_dry_run():
        return pulumi.Output.from_input(None)
    task = asyncio.ensure_future(_review(dict(previous), {e.name: e for e in current}, registered, policies,
                                         refused))
    return pulumi.Output.from_input(task)


async def _review(previous: dict[str, Declared], current: dict[str, Declared], registered: Optional[Registered],
                  policies: StackPolicies, refused: Optional[RemovalLimitRefusal]) -> None:
    try:
        outcomes = await _outcomes(registered) if registered is not None else {}
        summary = await provider.off_loop(build, previous, current, outcomes, policies, refused)
    except Exception as err:  # noqa: BLE001 - a summary never fails the preview it describes
        pulumi.log.warn(f"org-policies: the change summary could not be made: {err}")
        return
    provider.summarised_removals(e.name for e in changes.removed(previous, current))
    try:
        pulumi.log.info(as_text(summary))
    except Exception:  # noqa: BLE001 - the engine stopped (a refusal it printed): nothing to add
        return
    path = os.environ.get(SUMMARY_FILE)
    if path:
        _write_summary_file(path, rendered_for(path, summary))


def _write_summary_file(path: str, text: str) -> None:
    """Write ``text`` to the summary file; a failure is a warning, never the preview's end."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        pulumi.log.warn(f"org-policies: could not write the change summary to {path} ({SUMMARY_FILE}): {err}")


async def _outcomes(registered: Registered) -> dict[str, Outcome]:
    """What the engine answered for each declared resource: created (a preview's
    unknown outputs), the ID it attaches, an exclusive set's planned calls. A
    resource the engine refused (its check failed: the preview says why) is left out."""
    found: dict[str, Outcome] = {}
    for name, attachment in registered.attachments.items():
        try:
            created = not await attachment.target_type.is_known()
            policy_id = await _known(attachment.policy_id)
        except Exception:  # noqa: BLE001 - refused by its check, reported by the engine already
            continue
        found[name] = Outcome(created=created, policy_id=policy_id if isinstance(policy_id, str) else None)
    for name, owned in registered.exclusive.items():
        try:
            attach, detach = await _known(owned.attach), await _known(owned.detach)
        except Exception:  # noqa: BLE001 - as above
            continue
        found[name] = Outcome(plan_attach=tuple(attach or ()), plan_detach=tuple(detach or ()))
    return found


async def _known(output: pulumi.Output[Any]) -> Any:
    return await output.future() if await output.is_known() else None


def build(previous: Mapping[str, Declared], current: Mapping[str, Declared], outcomes: Mapping[str, Outcome],
          policies: StackPolicies, refused: Optional[RemovalLimitRefusal] = None) -> Summary:
    """The summary from the record, this run's declarations and the engine's answers
    (blocking: names, reach and the guard's verdicts come from AWS, cached per run)."""
    lookups = provider.run_lookups()
    adoption = provider.in_caller_context(lambda name: _adoption(current.get(name), outcomes[name], lookups))
    report = provider.in_caller_context(lambda target: reach.report(
        target, lookups, policy_types=policies.types, new_documents=policies.documents.get(target.target_id, {})))
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="org-policies-summary") as pool:
        settled = dict(zip(outcomes, pool.map(adoption, outcomes), strict=True))
        reports = list(pool.map(report, changes.classify(
            previous, current, {n: o for n, o in settled.items() if n in current})))
    return Summary(reports, refused)


def _adoption(entry: Optional[Declared], outcome: Outcome, lookups: provider.Lookups) -> Outcome:
    """An ``import: true`` entry being created: whether AWS shows it attached now."""
    if entry is None or not (entry.adopt and outcome.created and outcome.policy_id):
        return outcome
    policy = lookups.policy(outcome.policy_id)
    attached = lookups.attached(entry.target_id, policy.type) if policy else None
    now = any(p.id == outcome.policy_id for p in attached or ())
    return Outcome(created=True, attached_now=now, policy_id=outcome.policy_id)


def refusal_of(record: Any) -> Optional[RemovalLimitRefusal]:
    """The record's ``refused`` output, typed."""
    if not isinstance(record, Mapping) or "count" not in record:
        return None
    return RemovalLimitRefusal(count=int(record["count"]), limit=int(record["limit"]))
