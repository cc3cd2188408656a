"""The plan-time guard's hooks, called as the engine calls them, against the
local Organizations endpoint."""

from __future__ import annotations

import asyncio

import pulumi
import pytest
from pulumi.runtime.rpc import UNKNOWN

from harness.hooks import delete_args
from provider import errors as provider_errors
from provider import guard
from provider.errors import LastPolicyError, LockoutError, UndetachablePolicyError
from tests.conftest import ALLOW_LIST_CONTENT, SCP_CONTENT

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture
def ledger(endpoint, org):
    return guard.start_run()


def run(coro):
    return asyncio.run(coro)


def declare(target_id, policy_id, name=None):
    """What PolicyAttachment tells the guard as the program declares it."""
    guard.current().record_declared("attachment", target_id, policy_id, name or f"{target_id}/{policy_id}")


def remove_in_parallel(target_id: str, *policy_ids: str) -> list:
    """The before_delete hooks of removing each of ``policy_ids`` from ``target_id``, run
    concurrently as the engine runs deletes; each result is None (approved) or the refusal."""
    async def together():
        return await asyncio.gather(*(guard.current().before_delete(delete_args(p, target_id)) for p in policy_ids),
                                    return_exceptions=True)

    return run(together())


def test_removing_the_last_scp_fails_naming_target_policy_and_way_out(ledger, org, calls):
    target = org["accounts"]["sandbox-1"]
    with pytest.raises(LastPolicyError) as err:
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target, name="FullAWSAccess")))
    message = str(err.value)
    assert message.splitlines()[0] == (f"Refusing to detach FullAWSAccess (p-FullAWSAccess) from account sandbox-1 "
                                       f"({target}): it is the last service control policy (SCP) attached there.")
    for part in ("replacement", "skip_destroy: true", "\nWays out:\n  - "):
        assert part in message
    assert calls() == {"ListPoliciesForTarget": 1, "DescribeAccount": 1}  # the decision, then the name


def test_removing_one_of_two_scps_passes(ledger, org):
    """FullAWSAccess stays on the root: the deny SCP can go."""
    run(guard.current().before_delete(delete_args(org["policies"]["DenyLeaveOrganization"], org["root"])))


def test_two_last_scps_removed_together_first_allowed_second_refused(ledger, org, orgs_client, calls, make_scps):
    target = org["accounts"]["sandbox-1"]
    [allow_list] = make_scps(1, allow=True)  # an allowing SCP, so the first removal is no lockout
    orgs_client.attach_policy(PolicyId=allow_list, TargetId=target)
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    with pytest.raises(LastPolicyError):
        run(guard.current().before_delete(delete_args(allow_list, target)))
    assert calls()["ListPoliciesForTarget"] == 1  # one list per target per run


def test_parallel_deletes_of_both_scps_refuse_exactly_one(ledger, org, orgs_client, make_scps):
    target = org["accounts"]["sandbox-1"]
    [allow_list] = make_scps(1, allow=True)
    orgs_client.attach_policy(PolicyId=allow_list, TargetId=target)
    results = remove_in_parallel(target, "p-FullAWSAccess", allow_list)
    assert sum(isinstance(r, LastPolicyError) for r in results) == 1
    assert sum(r is None for r in results) == 1


def test_removal_with_a_replacement_declared_in_the_same_run_passes(ledger, org, make_scps):
    target = org["accounts"]["sandbox-1"]
    [allow_list] = make_scps(1, allow=True)
    declare(target, allow_list)
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))


def test_declaring_the_policy_being_detached_does_not_save_it(ledger, org):
    target = org["accounts"]["sandbox-1"]
    declare(target, "p-FullAWSAccess", name="renamed")
    with pytest.raises(LastPolicyError):
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))


def test_replacement_of_another_type_does_not_count(ledger, org):
    target = org["accounts"]["sandbox-1"]
    declare(target, org["policies"]["RequireCostCenterTag"])
    with pytest.raises(LastPolicyError):
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))


def test_replacement_with_unknown_policy_id_counts_with_a_warning(ledger, org, capsys):
    target = org["accounts"]["sandbox-1"]
    declare(target, UNKNOWN)
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    assert "whose ID is not known yet" in capsys.readouterr().err


def test_output_ids_are_counted_once_settled(ledger, org):
    """Declared with Outputs (e.g. another resource's ID): recorded when the delete hook runs."""
    target = org["accounts"]["sandbox-1"]
    [deny] = [org["policies"]["DenyRootUser"]]

    async def declare_then_delete() -> None:
        declare(pulumi.Output.from_input(target), pulumi.Output.secret("p-FullAWSAccess"), name="kept")
        await guard.current().before_delete(delete_args(deny, target))  # not attached: passes, nothing read
        await guard.current().before_delete(delete_args("p-FullAWSAccess", target))

    with pytest.raises(LastPolicyError):  # declaring FullAWSAccess again does not replace it
        run(declare_then_delete())
    assert ledger.ledger.declared[target] == {"p-FullAWSAccess": "kept"}


def test_unknown_policy_on_another_target_does_not_count(ledger, org):
    declare(org["accounts"]["prod-app"], UNKNOWN)
    with pytest.raises(LastPolicyError):
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", org["accounts"]["sandbox-1"])))


@pytest.mark.parametrize("args", [
    lambda org: delete_args("p-FullAWSAccess", org["accounts"]["sandbox-1"], skip_destroy=True),
    lambda org: delete_args(org["policies"]["RequireCostCenterTag"], org["accounts"]["sandbox-1"],
                            policy_type="TAG_POLICY"),
    lambda org: delete_args("p-FullAWSAccess", "ou-zzzz-zzzzzzzz"),  # target gone: nothing to detach
    lambda org: delete_args(org["policies"]["RestrictRegions"], org["accounts"]["sandbox-1"]),  # not attached
])
def test_deletes_that_leave_the_minimum_untouched_pass(ledger, org, calls, args):
    run(guard.current().before_delete(args(org)))
    delete = args(org).old_outputs
    lists = 0 if delete["skip_destroy"] or delete["policy_type"] != SCP else 1
    assert calls().get("ListPoliciesForTarget", 0) == lists


def test_skip_destroy_and_other_types_make_no_aws_call(ledger, org, calls):
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", org["root"], skip_destroy=True)))
    run(guard.current().before_delete(delete_args("p-12345678", org["root"], policy_type="TAG_POLICY")))
    assert calls() == {}


def test_rcp_full_aws_access_is_refused_at_plan_time(ledger, org):
    with pytest.raises(UndetachablePolicyError):
        run(guard.current().before_delete(delete_args("p-RCPFullAWSAccess", org["root"],
                                                  policy_type="RESOURCE_CONTROL_POLICY")))


def test_secret_ids_are_unwrapped_not_skipped(ledger, org):
    """The SDK hands secret values to hooks as secret Outputs."""
    target = org["accounts"]["sandbox-1"]

    async def with_secret_target():
        args = delete_args("p-FullAWSAccess", target)
        args.old_outputs["target_id"] = pulumi.Output.secret(target)
        await guard.current().before_delete(args)

    with pytest.raises(LastPolicyError):
        run(with_secret_target())


def test_unknowns_as_the_sdk_deserializes_them(ledger, org, capsys):
    """keep_unknowns=True gives pulumi.output.Unknown objects, not the sentinel string."""
    from pulumi.output import Unknown

    target = org["accounts"]["sandbox-1"]
    declare(target, Unknown())
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    assert "whose ID is not known yet" in capsys.readouterr().err


def test_preview_calls_one_list_per_affected_target_and_none_elsewhere(ledger, org, orgs_client, calls, make_scps):
    a, b = org["accounts"]["prod-app"], org["accounts"]["dev-app"]
    extra = make_scps(2)
    for target in (a, b):
        for policy in extra:
            orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    before = calls()

    async def deletes():
        await asyncio.gather(*(guard.current().before_delete(delete_args(p, t))
                               for t in (a, b) for p in extra))

    run(deletes())
    after = calls()
    assert after["ListPoliciesForTarget"] - before.get("ListPoliciesForTarget", 0) == 2
    assert sum(after.values()) - sum(before.values()) == 2


# -- lockout: the SCPs a target keeps must allow something ----------------------------

@pytest.mark.parametrize("target, name, scope", [
    (lambda org: org["accounts"]["sandbox-1"], "account sandbox-1", lambda org: "locking out account sandbox-1 ("),
    (lambda org: org["ous"]["Root/Workloads"], "Root/Workloads",
     lambda org: f"locking out the 2 accounts of Root/Workloads ({org['ous']['Root/Workloads']})"),
    (lambda org: org["root"], "Root", lambda org: "locking out the 5 accounts of the organization"),
])
def test_removing_full_aws_access_leaving_deny_only_scps_is_refused(ledger, org, orgs_client, calls, target, name, scope):
    target_id, deny = target(org), org["policies"]["DenyRootUser"]
    if target_id != org["root"]:  # the root keeps DenyLeaveOrganization: deny-only already
        orgs_client.attach_policy(PolicyId=deny, TargetId=target_id)
    calls_before = calls()
    with pytest.raises(LockoutError) as err:
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target_id, name="FullAWSAccess")))
    message = str(err.value)
    kept = "DenyLeaveOrganization" if target_id == org["root"] else "DenyRootUser"
    headline = message.splitlines()[0]
    assert headline.startswith(f"Refusing to detach FullAWSAccess (p-FullAWSAccess) from {name} ({target_id}): "
                               "the SCPs it would keep allow no action at all, ")
    assert scope(org) in headline
    for part in (f"It would keep: {kept} (p-", "keep FullAWSAccess (p-FullAWSAccess)", '"Effect": "Deny", "Action": "*"',
                 "allow-list", "same update"):
        assert part in message
    made = {op: n - calls_before.get(op, 0) for op, n in calls().items()}
    assert made["ListPoliciesForTarget"] == 1 and made["DescribePolicy"] == 1
    assert "DetachPolicy" not in made


@pytest.mark.parametrize("kept, describes", [
    ("allow_list", 2),  # the allow-list SCP stays (read: it allows); DenyRootUser read: it allows nothing
    ("full_aws_access", 0),  # FullAWSAccess stays: known to allow everything, no read
])
def test_detaches_that_keep_an_allowing_scp_pass(ledger, org, orgs_client, calls, make_scps, kept, describes):
    target, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    [allow_list] = make_scps(1, allow=True)
    for policy in (deny, allow_list):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    removed = "p-FullAWSAccess" if kept == "allow_list" else allow_list
    before = calls().get("DescribePolicy", 0)
    run(guard.current().before_delete(delete_args(removed, target)))
    run(guard.current().before_delete(delete_args(deny, target)))  # a deny SCP leaving: never a lockout
    assert calls().get("DescribePolicy", 0) - before == describes


def test_one_describe_per_distinct_scp_across_targets(ledger, org, orgs_client, calls, make_scps):
    [allow_list] = make_scps(1, allow=True)
    targets = [org["accounts"][n] for n in ("sandbox-1", "dev-app", "prod-app")]
    for target in targets:
        orgs_client.attach_policy(PolicyId=allow_list, TargetId=target)
    before = calls()

    async def deletes():
        await asyncio.gather(*(guard.current().before_delete(delete_args("p-FullAWSAccess", t)) for t in targets))

    run(deletes())
    made = {op: n - before.get(op, 0) for op, n in calls().items() if n > before.get(op, 0)}
    assert made == {"ListPoliciesForTarget": 3, "DescribePolicy": 1}


def test_parallel_removal_of_the_two_allowing_scps_refuses_exactly_one(ledger, org, orgs_client, make_scps):
    target = org["accounts"]["sandbox-1"]
    [allow_list] = make_scps(1, allow=True)
    for policy in (allow_list, org["policies"]["DenyRootUser"]):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    results = remove_in_parallel(target, "p-FullAWSAccess", allow_list)
    assert sum(isinstance(r, LockoutError) for r in results) == 1
    assert sum(r is None for r in results) == 1


def test_a_target_already_left_with_deny_only_scps_may_lose_one(ledger, org, orgs_client, make_scps):
    """Detaching an SCP that allows nothing takes nothing away: not a lockout,
    even where FullAWSAccess went out of band (the swap that fixes it attaches first)."""
    target = org["accounts"]["sandbox-1"]
    deny = [org["policies"]["DenyRootUser"], *make_scps(1)]
    for policy in deny:
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)
    run(guard.current().before_delete(delete_args(deny[0], target)))


def test_the_management_account_is_never_locked_out(ledger, org, orgs_client):
    """SCPs never restrict the management account: a deny-only set there is harmless."""
    management = org["management_account"]
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=management)
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", management)))


def test_a_document_gone_since_the_listing_is_never_a_lockout(ledger, org, orgs_client, make_scps):
    """A deny SCP listed on the target, then deleted before its document is read:
    unknown, so no guess (the apply-time check reads afresh)."""
    target = org["accounts"]["sandbox-1"]
    [policy] = make_scps(1)
    orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    ledger.lookups.attached(target, SCP)  # this run's listing
    orgs_client.detach_policy(PolicyId=policy, TargetId=target)
    orgs_client.delete_policy(PolicyId=policy)
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))


NEW = "sandbox/NewPolicy"  # the attachment's resource name, as the program names it


@pytest.mark.parametrize("content, policy_type, refusal", [
    (ALLOW_LIST_CONTENT, SCP, None),  # an allow-list created in the same update: the way out
    (SCP_CONTENT, SCP, LockoutError),  # a deny-only one created in the same update does not help
    ('{"tags":{}}', "TAG_POLICY", LockoutError),  # another type: DenyRootUser is still all that stays
])
def test_a_policy_created_in_the_same_update_counts_as_its_document_says(
        ledger, org, orgs_client, calls, capsys, content, policy_type, refusal):
    target = org["accounts"]["sandbox-1"]
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=target)
    guard.expect_new_policy(NEW, name="NewPolicy", policy_type=policy_type, content=content)
    declare(target, UNKNOWN, name=NEW)
    if refusal is None:
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    else:
        with pytest.raises(refusal) as err:
            run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
        created = "NewPolicy (created in this update)"
        assert (created in str(err.value)) is (policy_type == SCP)
    assert "whose ID is not known yet" not in capsys.readouterr().err


@pytest.mark.parametrize("content, refusal", [(ALLOW_LIST_CONTENT, None), (SCP_CONTENT, LockoutError)])
def test_a_new_scp_replacing_a_targets_only_scp_counts_without_a_warning(ledger, org, capsys, content, refusal):
    target = org["accounts"]["sandbox-1"]  # FullAWSAccess only
    guard.expect_new_policy(NEW, name="NewPolicy", policy_type=SCP, content=content)
    declare(target, UNKNOWN, name=NEW)
    if refusal is None:
        run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    else:
        with pytest.raises(refusal):
            run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))
    assert "whose ID is not known yet" not in capsys.readouterr().err


def test_an_unknown_policy_without_a_document_is_never_a_lockout(ledger, org, orgs_client):
    """Your own code attaching an Output policy ID: its document is unknown, so no guess."""
    target = org["accounts"]["sandbox-1"]
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=target)
    declare(target, UNKNOWN, name="not-announced")
    run(guard.current().before_delete(delete_args("p-FullAWSAccess", target)))


@pytest.mark.parametrize("labels, second_line", [
    ({"a": 'org-policies:attachments, target "sandbox-1", policy "FullAWSAccess"'},
     'Declared at: org-policies:attachments, target "sandbox-1", policy "FullAWSAccess"'),
    ({}, "AWS requires every root, OU and account to keep at least 1"),
], ids=["declared in config", "declared in code"])
def test_refusals_name_where_the_program_declared_the_resource(ledger, org, labels, second_line):
    args = delete_args("p-FullAWSAccess", org["accounts"]["sandbox-1"])
    guard.current().labels.clear()
    guard.current().label_resources({args.name: labels["a"]} if labels else {})
    with pytest.raises(provider_errors.PolicyAttachmentError) as err:
        run(guard.current()._labelled(guard.current().before_delete)(args))
    lines = str(err.value).splitlines()
    assert lines[0].startswith("Refusing to detach") and lines[1].startswith(second_line)
    guard.current().labels.clear()


def test_a_declaration_whose_input_failed_is_not_counted(ledger, org):
    """An attachment whose policy ID comes from a resource that failed never comes:
    the delete hook neither waits for it nor counts it as a replacement."""
    target = org["accounts"]["sandbox-1"]

    async def declare_then_delete() -> None:
        async def failed() -> str:
            raise RuntimeError("the policy's registration failed")

        async def known() -> bool:
            return True

        declare(target, pulumi.Output(set(), asyncio.ensure_future(failed()), asyncio.ensure_future(known())))
        await guard.current().before_delete(delete_args("p-FullAWSAccess", target))

    with pytest.raises(LastPolicyError):
        run(declare_then_delete())
