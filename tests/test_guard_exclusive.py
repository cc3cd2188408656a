"""The exclusive sets' plan-time checks (provider/guard.py), called as the engine
calls the hooks, against the local endpoint; AWS calls counted there."""

from __future__ import annotations

import asyncio

import pulumi
import pytest

from provider import errors, guard
from tests.test_guard import declare, delete_args

SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
TYPE = "pulumi-python:dynamic/organizations:ExclusivePolicies"


@pytest.fixture
def ledger(endpoint, org):
    return guard.start_run()


def set_delete_args(target, declared, found, skip_destroy=False) -> pulumi.ResourceHookArgs:
    outs = {"target_id": target, "policy_type": SCP, "policy_ids": declared, "found": found,
            "attached": declared, "skip_destroy": skip_destroy, "__provider": "gAR..."}
    return pulumi.ResourceHookArgs(urn="urn:x", id=f"{target}/{SCP}", name="set", type=TYPE,
                                   old_inputs=outs, old_outputs=outs)


def run(coro):
    return asyncio.run(coro)


def test_removing_a_set_that_can_give_back_passes_with_one_list_call(ledger, endpoint, org, orgs_client, calls):
    ou, allow = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=allow, TargetId=ou)
    orgs_client.detach_policy(PolicyId=FULL, TargetId=ou)  # as the set left it
    endpoint.control.reset_calls()
    run(guard.current().before_delete_exclusive(set_delete_args(ou, [allow], [FULL])))
    # FullAWSAccess still exists (1); the lockout rule reads RestrictRegions, all the target has now (1)
    assert calls() == {"ListPoliciesForTarget": 1, "DescribePolicy": 2}


@pytest.mark.parametrize("skip_destroy, refused", [(False, True), (True, False)])
def test_removing_a_set_that_cannot_give_back_is_refused_unless_skip_destroy(
        ledger, org, orgs_client, make_scps, skip_destroy, refused):
    """The set found FullAWSAccess and five more; five were attached by hand since:
    giving back all eleven would break AWS's maximum of ten."""
    account = org["accounts"]["prod-app"]
    extra = make_scps(11)
    orgs_client.attach_policy(PolicyId=extra[0], TargetId=account)  # the set's
    orgs_client.detach_policy(PolicyId=FULL, TargetId=account)
    for policy in extra[6:11]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # five by hand since
    args = set_delete_args(account, [extra[0]], [FULL, *extra[1:6]], skip_destroy=skip_destroy)
    if refused:
        with pytest.raises(errors.ExclusiveRestoreError) as err:
            run(guard.current().before_delete_exclusive(args))
        assert account in str(err.value) and "at most 10" in str(err.value)
    else:
        run(guard.current().before_delete_exclusive(args))


def test_the_give_back_the_guard_passes_is_the_one_delete_makes_under_the_lockout_rule(
        ledger, org, orgs_client, make_scps):
    """Regression (the guard planned without the lockout rule the provider's delete
    applies): a target the set found with deny-only SCPs, made exclusive with an
    allow-list. Giving back detaches the allow-list, which would lock it out: the
    preview refuses, as the apply would."""
    account = org["accounts"]["prod-app"]
    deny, [allow] = org["policies"]["DenyRootUser"], make_scps(1, allow=True)
    orgs_client.attach_policy(PolicyId=deny, TargetId=account)
    orgs_client.detach_policy(PolicyId=FULL, TargetId=account)  # locked out by hand: deny-only
    orgs_client.attach_policy(PolicyId=allow, TargetId=account)  # the set's allow-list
    orgs_client.detach_policy(PolicyId=deny, TargetId=account)
    args = set_delete_args(account, [allow], [deny])
    with pytest.raises(errors.ExclusiveRestoreError) as err:
        run(guard.current().before_delete_exclusive(args))
    assert "allowing something at every step" in str(err.value) or "locked out" in str(err.value)


def test_removing_a_set_while_attachments_take_its_target_over_is_refused(ledger, org):
    ou, allow = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    declare(org["ous"]["Root/Sandbox"], allow)  # elsewhere: fine
    run(guard.current().before_delete_exclusive(set_delete_args(ou, [FULL], [FULL])))
    declare(ou, org["policies"]["DenyRootUser"])
    with pytest.raises(errors.ExclusiveHandoverError) as err:
        run(guard.current().before_delete_exclusive(set_delete_args(ou, [FULL], [FULL])))
    assert ou in str(err.value) and org["policies"]["DenyRootUser"] in str(err.value)


def test_a_set_and_an_attachment_on_one_target_and_type_conflict_in_either_order(ledger, org, calls):
    ou, tag = org["ous"]["Root/Workloads"], org["policies"]["RequireCostCenterTag"]
    deny = org["policies"]["DenyRootUser"]
    guard.current().record_declared("exclusive", ou, SCP, "set")
    declare(ou, tag)  # another type: no conflict
    with pytest.raises(guard.ConflictingDeclarationsError) as err:  # the attachment comes second
        declare(ou, deny, name="extra")
    assert isinstance(err.value, pulumi.RunError)  # printed without the program's traceback
    assert "exclusive set set" in str(err.value) and f"DenyRootUser ({deny})" in str(err.value)
    with pytest.raises(errors.ExclusiveTakeoverError):  # an attachment leaves as the set takes over
        run(guard.current().before_delete(delete_args(FULL, ou)))

    guard.start_run()
    guard.current().label_resources({"extra": 'org-policies:attachments, target "Root/Workloads", policy "DenyRootUser"'})
    declare(ou, deny, name="extra")
    declare(ou, tag, name="tagged")
    before = calls().get("DescribePolicy", 0)
    with pytest.raises(guard.ConflictingDeclarationsError) as err:  # the set comes second
        guard.current().record_declared("exclusive", ou, SCP, "set")
    assert str(err.value).splitlines()[1] == 'Declared at: org-policies:attachments, target "Root/Workloads", policy "DenyRootUser"'
    looked_up = sorted([deny, tag]).index(deny) + 1  # the target's attachments, in order, until the conflict
    assert calls()["DescribePolicy"] - before == looked_up
    guard.current().labels.clear()


def test_attachments_elsewhere_are_never_looked_up(ledger, org, calls):
    guard.current().record_declared("exclusive", org["ous"]["Root/Workloads"], SCP, "set")
    declare(org["ous"]["Root/Sandbox"], org["policies"]["DenyRootUser"])
    assert calls() == {}


def test_values_not_known_yet_are_not_recorded(ledger, org):
    async def record() -> None:
        guard.current().record_declared("exclusive", pulumi.Output.from_input("ou-x"), SCP, "set")
        guard.current().record_declared("attachment", org["root"], pulumi.Output.from_input("p-x"), "a")

    run(record())
    assert ledger.ledger.owners == {} and dict(ledger.ledger.declared) == {}
    assert [name for _, _, name in ledger.ledger.unresolved] == ["a"]  # settled when a delete hook runs
