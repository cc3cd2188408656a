"""The change summary (program/review.py, reach.py, summary.py) against the local
endpoint: names, reach, SCP effects, refusals as the guard will give them, the
calls it costs, and the three forms it is written in."""

from __future__ import annotations

import contextvars
import json
from typing import Any

import pulumi
import pytest
from markdown_it import MarkdownIt

from program import review, summary
from program.changes import ATTACHMENT, EXCLUSIVE, Declared, Outcome
from provider import guard

SCP = "SERVICE_CONTROL_POLICY"
CREATED = Outcome(created=True)


@pytest.fixture
def run(endpoint, org):
    """A fresh guard for this run: the summary shares its cached answers."""
    return guard.start_run()


def entry(org: dict[str, Any], target: str, policy: str, *, skip_destroy: bool = False,
          adopt: bool = False) -> Declared:
    target_id = org["root"] if target == "Root" else org["ous"].get(target) or org["accounts"].get(target, target)
    policy_id = org["policies"].get(policy, policy)
    return Declared(f"{target_id}/{policy_id}", ATTACHMENT, target_id, target, policy_id, policy, skip_destroy, adopt)


def build(previous: list[Declared], current: list[Declared], outcomes: dict[str, Outcome] | None = None,
          policies: review.StackPolicies | None = None) -> summary.Summary:
    for e in current:  # what PolicyAttachment tells the guard as the program declares it
        if e.kind == ATTACHMENT:
            guard.current().record_declared("attachment", e.target_id, e.key, e.name)
    return review.build({e.name: e for e in previous}, {e.name: e for e in current}, outcomes or {},
                        policies or review.StackPolicies())


def test_an_unchanged_run_says_so_in_one_line_and_asks_aws_nothing(run, org, calls):
    kept = [entry(org, "Root/Workloads", "RestrictRegions")]
    result = build(kept, kept)
    assert summary.as_text(result) == "org-policies change summary: no change to policy attachments."
    assert calls() == {}


def test_a_removal_names_the_target_its_reach_and_what_the_accounts_lose(run, org, orgs_client, calls):
    ou, regions = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=regions, TargetId=ou)
    endpoint_calls_before = calls()
    result = build([entry(org, "Root/Workloads", "RestrictRegions")], [])
    assert summary.lines(result) == [
        (0, "org-policies change summary: 1 target changes."),
        (1, f"Root/Workloads ({ou}), reaching 2 accounts: dev-app, prod-app"),
        (2, f"- detach RestrictRegions ({regions}) [SCP]"),
        (2, f"SCPs: the 2 accounts at or below it lose RestrictRegions ({regions}) at this level."),
        (2, f"Root/Workloads ({ou}) keeps FullAWSAccess (p-FullAWSAccess)."),
    ]
    made = {op: n - endpoint_calls_before.get(op, 0) for op, n in calls().items()
            if n > endpoint_calls_before.get(op, 0)}
    # the policy; the SCPs of the target and of the root above it (is the lost one also
    # attached there?); its path (a name and a parent per level); the OUs and accounts
    # below it (the OU, Prod and Dev: one listing of each kind each)
    assert made == {"DescribePolicy": 1, "ListPoliciesForTarget": 2, "DescribeOrganizationalUnit": 1,
                    "ListParents": 1, "ListAccountsForParent": 3, "ListOrganizationalUnitsForParent": 3}


def test_the_summary_workers_share_the_run_of_the_engine_that_started_them(endpoint, org, orgs_client, calls):
    """The SDK keeps its engine connection in context variables, which worker threads
    do not inherit: a new thread sees the process-wide default, the first connection
    ever set (here another run's, as when one process serves several runs). A worker
    asking for the run must still find the caller's, not start a second guard with a
    cache of its own (the same target then listed twice)."""
    ou, regions = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=regions, TargetId=ou)
    settings = pulumi.runtime.settings
    default = contextvars.Context().run(settings.get_monitor)
    earlier_run, engine = object(), object()

    def in_a_run() -> tuple[guard.Guard, summary.Summary, guard.Guard]:
        settings.SETTINGS.monitor = earlier_run  # set from None: becomes the default threads see
        settings.SETTINGS.monitor = engine  # this run's, in this context only
        started = guard.start_run()
        result = build([entry(org, "Root/Workloads", "RestrictRegions")], [])
        return started, result, guard.current()

    before = calls()
    try:
        started, result, after = contextvars.Context().run(in_a_run)
    finally:
        contextvars.Context().run(setattr, settings.SETTINGS, "monitor", default)
    assert contextvars.Context().run(settings.get_monitor) is default
    assert after is started
    assert summary.lines(result)[2] == (2, f"- detach RestrictRegions ({regions}) [SCP]")
    assert calls().get("ListPoliciesForTarget", 0) - before.get("ListPoliciesForTarget", 0) == 2


def test_a_change_on_the_root_reaches_every_account(run, org, make_scps):
    [extra] = make_scps(1)
    result = build([], [entry(org, "Root", extra)], {f"{org['root']}/{extra}": CREATED})
    heading = summary.lines(result)[1][1]
    assert heading == f"Root ({org['root']}), reaching every account of the organization (5)"
    assert summary.lines(result)[3][1] == (f"SCPs: every account of the organization (5) gain Extra0 ({extra}) at "
                                           "this level.")


def test_an_scp_change_on_one_account_or_an_empty_ou_says_so_in_plain_words(run, org, orgs_client, make_scps):
    [extra] = make_scps(1)
    sandbox = org["accounts"]["sandbox-1"]
    empty = orgs_client.create_organizational_unit(ParentId=org["root"], Name="Empty")["OrganizationalUnit"]["Id"]
    orgs_client.attach_policy(PolicyId=extra, TargetId=empty)
    result = build([entry(org, empty, extra)], [entry(org, "sandbox-1", extra)],
                   {f"{sandbox}/{extra}": CREATED})
    by_target = {report.target_id: report for report in result.reports}
    assert by_target[sandbox].effects[0] == f"SCPs: the 1 account at or below it gains Extra0 ({extra}) at this level."
    assert by_target[empty].effects[0] == "SCPs: no account is at or below it today, so no account's permissions change."


def test_a_removal_the_guard_will_refuse_is_marked_with_its_refusal(run, org, orgs_client):
    sandbox, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    orgs_client.attach_policy(PolicyId=deny, TargetId=sandbox)
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)  # DenyRootUser is its only SCP
    result = build([entry(org, "sandbox-1", "DenyRootUser")], [])
    assert summary.headline(result) == "org-policies change summary: 1 target changes; 1 removal would be refused."
    [line] = result.reports[0].lines
    assert line.refused == (f"Refusing to detach DenyRootUser ({deny}) from account sandbox-1 ({sandbox}): it is "
                            "the last service control policy (SCP) attached there.")
    assert summary.change_line(line).endswith(f"-- REFUSED: {line.refused}")
    assert not [e for e in result.reports[0].effects if "lose" in e]  # a refused removal takes nothing away


def test_a_lockout_is_marked_and_a_replacement_in_the_same_update_passes(run, org, orgs_client, make_scps):
    sandbox, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    orgs_client.attach_policy(PolicyId=deny, TargetId=sandbox)
    full = entry(org, "sandbox-1", "p-FullAWSAccess")
    result = build([full, entry(org, "sandbox-1", "DenyRootUser")], [entry(org, "sandbox-1", "DenyRootUser")])
    assert "the SCPs it would keep allow no action at all" in (result.reports[0].lines[0].refused or "")
    guard.start_run()
    [allow] = make_scps(1, allow=True)
    allowed = entry(org, "sandbox-1", allow)
    result = build([full], [allowed], {allowed.name: CREATED})
    assert [line.refused for line in result.reports[0].lines] == [None, None]  # attach AllowList0, detach Full


def test_a_lost_scp_attached_above_the_target_says_where(run, org, orgs_client):
    ou, leave = org["ous"]["Root/Workloads/Prod"], org["policies"]["DenyLeaveOrganization"]
    orgs_client.attach_policy(PolicyId=leave, TargetId=ou)
    result = build([entry(org, "Root/Workloads/Prod", "DenyLeaveOrganization")], [])
    assert result.reports[0].effects[-1] == (f"DenyLeaveOrganization ({leave}) stays attached above it, to Root "
                                             f"({org['root']}).")


def test_adoptions_and_forgotten_attachments_change_nothing_in_aws(run, org):
    adopted = entry(org, "Root", "DenyLeaveOrganization", adopt=True)
    forgotten = entry(org, "Root/Workloads", "p-FullAWSAccess", skip_destroy=True)
    result = build([forgotten], [adopted], {adopted.name: Outcome(created=True, policy_id=adopted.key)})
    texts = [text for _, text in summary.lines(result)]
    leave = org["policies"]["DenyLeaveOrganization"]
    assert f"= adopt (already attached: no change in AWS) DenyLeaveOrganization ({leave}) [SCP]" in texts
    assert ("= stop managing (skip_destroy: stays attached in AWS) FullAWSAccess (p-FullAWSAccess) [SCP]" in texts)
    assert not any(text.startswith("SCPs:") for text in texts)  # nothing lost or gained


def test_an_exclusive_plan_is_listed_from_the_sets_outputs(run, org):
    ou = org["ous"]["Root/Sandbox"]
    owned = Declared(f"{ou}/{SCP}", EXCLUSIVE, ou, "Root/Sandbox", SCP, SCP)
    restrict = f"RestrictRegions ({org['policies']['RestrictRegions']})"
    result = build([], [owned], {owned.name: Outcome(plan_attach=(restrict,),
                                                     plan_detach=("FullAWSAccess (p-FullAWSAccess)",))})
    texts = [text for _, text in summary.lines(result)]
    assert texts[2:5] == ["~ becomes exclusive for service control policy (SCP)",
                          f"+ attach (exclusive) {restrict} [SCP]",
                          "- detach (exclusive) FullAWSAccess (p-FullAWSAccess) [SCP]"]


def test_a_policy_this_stack_creates_counts_by_its_document(run, org, orgs_client):
    """Its ID is unknown in a preview: the summary names it as written, typed by the config."""
    ou = org["ous"]["Root/Sandbox"]
    new = Declared(f"{ou}/Mine", ATTACHMENT, ou, "Root/Sandbox", "Mine", "Mine")
    result = build([], [new], {new.name: CREATED}, review.StackPolicies(types={new.name: SCP}))
    assert summary.lines(result)[2] == (2, "+ attach Mine [SCP]")


def test_the_removal_limit_is_in_the_headline(run, org):
    result = build([entry(org, "Root", "DenyLeaveOrganization")], [])
    refused = summary.Summary(result.reports, summary.RemovalLimitRefusal(count=7, limit=5))
    assert summary.headline(refused) == ("org-policies change summary: 1 target changes; refused: 7 removals, more "
                                         "than org-policies:maxRemovals (5) allows.")
    assert summary.headline(summary.Summary([], summary.RemovalLimitRefusal(count=7, limit=5))).endswith(
        ": refused: 7 removals, more than org-policies:maxRemovals (5) allows.")


def test_the_markdown_renders_each_change_with_its_sign_as_a_pull_request_shows_it(run, org, orgs_client, make_scps):
    """Rendered as CommonMark (GitHub's base): the changes of a target are one diff
    block, row for row, so "- detach" and "+ attach" keep their signs (as list
    items they would become nested, empty bullets)."""
    ou, regions = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=regions, TargetId=ou)
    [extra] = make_scps(1)
    result = build([entry(org, "Root/Workloads", "RestrictRegions")], [entry(org, "Root/Workloads", extra)],
                   {f"{ou}/{extra}": CREATED})
    tokens = MarkdownIt("commonmark").parse(summary.as_markdown(result))
    [block] = [t for t in tokens if t.type == "fence"]
    assert block.info == "diff"
    assert block.content.splitlines() == [f"+ attach Extra0 ({extra}) [SCP]", f"- detach RestrictRegions ({regions}) [SCP]"]
    depths = [t.level for t in tokens if t.type == "bullet_list_open"]
    assert depths == [0]  # one list (the effects), nothing nested in it
    items = [t.content for t in tokens if t.type == "inline" and t.level == 3]
    assert items == list(result.reports[0].effects) and items[0].startswith("SCPs: the 2 accounts")


def test_markdown_and_json_say_what_the_text_says(run, org, orgs_client):
    ou, regions = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=regions, TargetId=ou)
    result = build([entry(org, "Root/Workloads", "RestrictRegions")], [])
    markdown = summary.as_markdown(result)
    for _, text in summary.lines(result):
        assert text in markdown
    assert markdown.startswith("### org-policies change summary: 1 target changes.\n")
    data = json.loads(summary.as_json(result))
    assert data["changed"] is True and data["targets"][0]["target_id"] == ou
    assert data["targets"][0]["accounts"] == {"count": 2, "shown": ["dev-app", "prod-app"], "everything": False}
    assert data["targets"][0]["changes"] == [{"action": "detach", "policy": f"RestrictRegions ({regions})",
                                              "policy_type": SCP, "refused": None}]
    assert summary.rendered_for("out.JSON", result) == summary.as_json(result)
    assert summary.rendered_for("comment.md", result) == markdown
