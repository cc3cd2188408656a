"""The plan-time guard's hooks, called as the engine calls them, against the
local Organizations endpoint."""

from __future__ import annotations

import asyncio

import pulumi
import pytest
from pulumi.runtime.rpc import UNKNOWN

from provider import errors as provider_errors, guard
from provider.aws import OrganizationsApi
from provider.errors import LastPolicyError, PolicyLimitExceededError, UndetachablePolicyError

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture
def ledger(endpoint, org):
    return guard.reset_ledger(OrganizationsApi())


def outputs(policy_id, target_id, policy_type=SCP, name=None, skip_destroy=False):
    return {"policy_id": policy_id, "target_id": target_id, "skip_destroy": skip_destroy,
            "target_type": "ACCOUNT", "policy_type": policy_type, "policy_name": name or policy_id,
            "__provider": "gAR..."}


def delete_args(policy_id, target_id, **kw) -> pulumi.ResourceHookArgs:
    outs = outputs(policy_id, target_id, **kw)
    ins = {k: outs[k] for k in ("policy_id", "target_id", "skip_destroy", "__provider")}
    return pulumi.ResourceHookArgs(urn="urn:x", id=f"{target_id}:{policy_id}", name="a",
                                   type="pulumi-python:dynamic/organizations:PolicyAttachment",
                                   old_inputs=ins, old_outputs=outs)


def create_args(policy_id, target_id) -> pulumi.ResourceHookArgs:
    return pulumi.ResourceHookArgs(urn="urn:x", id="", name="a",
                                   type="pulumi-python:dynamic/organizations:PolicyAttachment",
                                   new_inputs={"policy_id": policy_id, "target_id": target_id,
                                               "skip_destroy": False, "__provider": "gAR..."})


def run(coro):
    return asyncio.run(coro)


def test_removing_the_last_scp_fails_naming_target_policy_and_way_out(ledger, org, calls):
    target = org["accounts"]["sandbox-1"]
    with pytest.raises(LastPolicyError) as err:
        run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target, name="FullAWSAccess")))
    for part in ("FullAWSAccess (p-FullAWSAccess)", target, "last service control policy",
                 "replacement", "skip_destroy=True"):
        assert part in str(err.value)
    assert calls() == {"ListPoliciesForTarget": 1}


def test_removing_one_of_two_scps_passes(ledger, org):
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", org["root"])))


def test_two_last_scps_removed_together_first_allowed_second_refused(ledger, org, orgs_client, calls):
    target = org["accounts"]["sandbox-1"]
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=target)
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target)))
    with pytest.raises(LastPolicyError):
        run(guard.guard_before_delete(delete_args(org["policies"]["DenyRootUser"], target)))
    assert calls()["ListPoliciesForTarget"] == 1  # one list per target per run


def test_parallel_deletes_of_both_scps_refuse_exactly_one(ledger, org, orgs_client):
    target = org["accounts"]["sandbox-1"]
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=target)

    async def both():
        return await asyncio.gather(
            guard.guard_before_delete(delete_args("p-FullAWSAccess", target)),
            guard.guard_before_delete(delete_args(org["policies"]["DenyRootUser"], target)),
            return_exceptions=True,
        )

    results = run(both())
    assert sum(isinstance(r, LastPolicyError) for r in results) == 1
    assert sum(r is None for r in results) == 1


def test_removal_with_a_replacement_declared_in_the_same_run_passes(ledger, org):
    target = org["accounts"]["sandbox-1"]
    run(guard.guard_before_create(create_args(org["policies"]["DenyRootUser"], target)))
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target)))


def test_replacement_of_another_type_does_not_count(ledger, org):
    target = org["accounts"]["sandbox-1"]
    run(guard.guard_before_create(create_args(org["policies"]["RequireCostCenterTag"], target)))
    with pytest.raises(LastPolicyError):
        run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target)))


def test_replacement_with_unknown_policy_id_counts_with_a_warning(ledger, org, capsys):
    target = org["accounts"]["sandbox-1"]
    run(guard.guard_before_create(create_args(UNKNOWN, target)))
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target)))
    assert "not known until it is created" in capsys.readouterr().err


def test_unknown_policy_on_another_target_does_not_count(ledger, org):
    run(guard.guard_before_create(create_args(UNKNOWN, org["accounts"]["prod-app"])))
    with pytest.raises(LastPolicyError):
        run(guard.guard_before_delete(delete_args("p-FullAWSAccess", org["accounts"]["sandbox-1"])))


@pytest.mark.parametrize("args", [
    lambda org: delete_args("p-FullAWSAccess", org["accounts"]["sandbox-1"], skip_destroy=True),
    lambda org: delete_args(org["policies"]["RequireCostCenterTag"], org["accounts"]["sandbox-1"],
                            policy_type="TAG_POLICY"),
    lambda org: delete_args("p-FullAWSAccess", "ou-zzzz-zzzzzzzz"),  # target gone: nothing to detach
    lambda org: delete_args(org["policies"]["RestrictRegions"], org["accounts"]["sandbox-1"]),  # not attached
])
def test_deletes_that_leave_the_minimum_untouched_pass(ledger, org, calls, args):
    run(guard.guard_before_delete(args(org)))
    assert calls().get("ListPoliciesForTarget", 0) <= 1


def test_skip_destroy_and_other_types_make_no_aws_call(ledger, org, calls):
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", org["root"], skip_destroy=True)))
    run(guard.guard_before_delete(delete_args("p-12345678", org["root"], policy_type="TAG_POLICY")))
    assert calls() == {}


def test_rcp_full_aws_access_is_refused_at_plan_time(ledger, org):
    with pytest.raises(UndetachablePolicyError):
        run(guard.guard_before_delete(delete_args("p-RCPFullAWSAccess", org["root"],
                                                  policy_type="RESOURCE_CONTROL_POLICY")))


def test_sixth_scp_refused_fifth_allowed(ledger, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    extra = make_scps(4)
    for policy in extra[:3]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    run(guard.guard_before_create(create_args(extra[3], target)))  # the 5th
    with pytest.raises(PolicyLimitExceededError) as err:
        run(guard.guard_before_create(create_args(org["policies"]["RestrictRegions"], target)))  # a 6th
    message = str(err.value)
    assert message.startswith(f"Refusing to attach RestrictRegions ({org['policies']['RestrictRegions']}) "
                              f"to {target}: the target would carry 6 policies of type service control "
                              "policy (SCP) (Extra0 (")
    assert "Extra3 (" in message and "FullAWSAccess (p-FullAWSAccess)" in message  # named, approved ones too
    assert "at most 5" in message and "in one `pulumi up`, and add the new one in the next" in message
    assert "delete_before_replace=True" in message


def test_earlier_approvals_already_in_aws_count_once(ledger, org, orgs_client, make_scps):
    """In `up` the hook runs, then the create: the next hook must not count it twice."""
    target = org["accounts"]["dev-app"]
    extra = make_scps(4)
    for policy in extra[:3]:
        run(guard.guard_before_create(create_args(policy, target)))
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    run(guard.guard_before_create(create_args(extra[3], target)))


def test_replace_at_five_scps_is_refused_unless_delete_before_replace(ledger, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    extra = make_scps(5)
    for policy in extra[:4]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    # create-before-delete (the default): the new half needs a sixth slot
    with pytest.raises(PolicyLimitExceededError):
        run(guard.guard_before_create(create_args(extra[4], target)))
    # delete_before_replace: the engine deletes the old half first
    guard.reset_ledger(OrganizationsApi())
    run(guard.guard_before_delete(delete_args(extra[0], target)))
    run(guard.guard_before_create(create_args(extra[4], target)))


def test_unknown_target_or_policy_is_left_to_the_providers_check(ledger, org, calls):
    run(guard.guard_before_create(create_args("p-doesnotexist1", org["root"])))
    run(guard.guard_before_create(create_args("p-FullAWSAccess", "ou-zzzz-zzzzzzzz")))
    assert not any(ledger.attaches.values())  # neither is approved, nor refused here
    assert calls() == {"DescribePolicy": 2, "ListPoliciesForTarget": 1}


def test_secret_ids_are_unwrapped_not_skipped(ledger, org):
    """The SDK hands secret values to hooks as secret Outputs."""
    target = org["accounts"]["sandbox-1"]

    async def with_secret_target():
        args = delete_args("p-FullAWSAccess", target)
        args.old_outputs["target_id"] = pulumi.Output.secret(target)
        await guard.guard_before_delete(args)

    with pytest.raises(LastPolicyError):
        run(with_secret_target())


def test_unknowns_as_the_sdk_deserializes_them(ledger, org, capsys):
    """keep_unknowns=True gives pulumi.output.Unknown objects, not the sentinel string."""
    from pulumi.output import Unknown

    target = org["accounts"]["sandbox-1"]
    run(guard.guard_before_create(create_args(Unknown(), target)))
    run(guard.guard_before_delete(delete_args("p-FullAWSAccess", target)))
    assert "not known until it is created" in capsys.readouterr().err


def test_preview_calls_one_list_per_affected_target_and_none_elsewhere(ledger, org, orgs_client, calls, make_scps):
    a, b = org["accounts"]["prod-app"], org["accounts"]["dev-app"]
    extra = make_scps(2)
    for target in (a, b):
        for policy in extra:
            orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    before = calls()

    async def deletes():
        await asyncio.gather(*(guard.guard_before_delete(delete_args(p, t))
                               for t in (a, b) for p in extra))

    run(deletes())
    after = calls()
    assert after["ListPoliciesForTarget"] - before.get("ListPoliciesForTarget", 0) == 2
    assert sum(after.values()) - sum(before.values()) == 2


@pytest.mark.parametrize("labels, prefix", [
    ({"a": 'org-policies:attachments, target "dev-app", policy "RestrictRegions"'},
     'org-policies:attachments, target "dev-app", policy "RestrictRegions": Refusing to attach'),
    ({}, "Refusing to attach"),
], ids=["declared in config", "declared in code"])
def test_refusals_name_where_the_program_declared_the_resource(ledger, org, orgs_client, make_scps,
                                                               labels, prefix):
    target = org["accounts"]["dev-app"]
    for policy in make_scps(4):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    guard._labels.clear()
    guard.label_resources(labels)
    with pytest.raises(provider_errors.PolicyAttachmentError) as err:
        run(guard._labelled(guard.guard_before_create)(create_args(org["policies"]["RestrictRegions"], target)))
    assert str(err.value).startswith(prefix)
    guard._labels.clear()
