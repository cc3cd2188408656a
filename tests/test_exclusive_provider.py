"""ExclusivePoliciesProvider through the SDK's real dynamic-provider server
(gRPC, pickle round trip) against the local endpoint, which enforces AWS's
per-target limits: an order that broke them would fail here."""

from __future__ import annotations

import pickle

import pytest

from harness.provider_server import ProviderError, ProviderServer
from provider import ExclusivePoliciesProvider
from provider.exclusive import exclusive_id

SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
FAST_RETRY = {"policyAttachment:baseDelay": "0.01", "policyAttachment:maxDelay": "0.02"}


@pytest.fixture(scope="module")
def server(endpoint):
    srv = ProviderServer(provider=ExclusivePoliciesProvider())
    srv.configure({"aws:region": "us-east-1", **FAST_RETRY})
    yield srv
    srv.close()


def attached(client, target_id: str, policy_type: str = SCP) -> set[str]:
    return {p["Id"] for p in client.list_policies_for_target(TargetId=target_id, Filter=policy_type)["Policies"]}


def props(target_id, policy_ids, policy_type=SCP, skip_destroy=False):
    return {"target_id": target_id, "policy_ids": policy_ids, "policy_type": policy_type,
            "skip_destroy": skip_destroy}


def test_the_pickled_provider_holds_nothing():
    assert len(pickle.dumps(ExclusivePoliciesProvider())) < 120


def test_check_plans_replacing_full_aws_access_with_one_list_call(server, org, calls, make_scps):
    ou, [allow] = org["ous"]["Root/Workloads"], make_scps(1, allow=True)
    inputs, failures = server.check({**props(ou, [allow]), "show_plan": True})  # a preview
    assert failures == [] and "show_plan" not in inputs
    assert inputs["attach"] == [f"AllowList0 ({allow})"]
    assert inputs["detach"] == [f"FullAWSAccess ({FULL})"]
    made = {op: n for op, n in calls().items() if op != "CreatePolicy"}  # make_scps made the policy
    assert made == {"ListPoliciesForTarget": 1, "DescribePolicy": 1}  # the policy to attach


@pytest.mark.parametrize("declared, expected", [
    (lambda org, extra: extra[:11], "11 policies are declared and at most 10 are allowed"),
    (lambda org, extra: [], "at least 1 must stay attached"),
    (lambda org, extra: [org["policies"]["RequireCostCenterTag"]], "is a TAG_POLICY"),
    (lambda org, extra: ["p-doesnotexist1"], "does not exist"),
])
def test_check_refuses_sets_no_order_can_reach(server, org, make_scps, orgs_client, calls, declared, expected):
    ou = org["ous"]["Root/Sandbox"]
    _, failures = server.check(props(ou, declared(org, make_scps(11))))
    assert len(failures) == 1 and failures[0][0] == "policy_ids"
    assert expected in failures[0][1] and ou in failures[0][1]
    assert "AttachPolicy" not in calls() and "DetachPolicy" not in calls()


@pytest.mark.parametrize("news, reason", [
    ({"target_id": "ou-nope", "policy_ids": []}, "is not a target ID"),
    ({"target_id": "r-abcd", "policy_ids": "p-FullAWSAccess"}, "must be a list"),
    ({"target_id": "r-abcd", "policy_ids": ["FullAWSAccess"]}, "not a policy ID"),
    ({"target_id": "r-abcd", "policy_ids": [FULL, FULL]}, "more than once"),
    ({"target_id": "r-abcd", "policy_ids": [FULL], "skip_destroy": "yes"}, "true or false"),
])
def test_check_refuses_malformed_inputs_without_calling_aws(server, org, calls, news, reason):
    _, failures = server.check(news)
    assert any(reason in r for _, r in failures), failures
    assert calls() == {}


def test_create_replaces_full_aws_access_then_delete_gives_it_back(server, org, orgs_client, calls, make_scps):
    ou, [allow] = org["ous"]["Root/Workloads"], make_scps(1, allow=True)
    id_, outs = server.create(props(ou, [allow]))
    made = calls()
    assert (made["ListPoliciesForTarget"], made["AttachPolicy"], made["DetachPolicy"]) == (1, 1, 1)
    assert id_ == exclusive_id(ou, SCP) == f"{ou}/{SCP}"
    assert attached(orgs_client, ou) == {allow}
    assert outs["found"] == [FULL] and outs["attached"] == [allow] and outs["target_type"] == "ORGANIZATIONAL_UNIT"

    server.delete(id_, outs)
    assert attached(orgs_client, ou) == {FULL}


def test_declared_sets_of_six_to_ten_scps_are_planned_and_the_eleventh_refused(server, org, orgs_client, make_scps):
    target = org["accounts"]["prod-app"]
    extra = make_scps(11, allow=True)
    for count in range(6, 11):
        inputs, failures = server.check({**props(target, extra[:count]), "show_plan": True})
        assert failures == [] and len(inputs["attach"]) == count, count
    _, failures = server.check(props(target, extra))
    assert failures and "11 policies are declared and at most 10 are allowed" in failures[0][1]
    id_, outs = server.create(props(target, extra[:10]))
    assert attached(orgs_client, target) == set(extra[:10])
    server.delete(id_, outs)
    assert attached(orgs_client, target) == {FULL}


def test_swap_at_ten_detaches_first(server, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    extra = make_scps(10, allow=True)
    id_, outs = server.create(props(target, extra[:10]))  # FullAWSAccess out, ten in
    assert attached(orgs_client, target) == set(extra[:10])
    new = make_scps(0) or orgs_client.create_policy(
        Name="Swap", Description="x", Type=SCP,
        Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:y","Resource":"*"}]}',
    )["Policy"]["PolicySummary"]["Id"]
    news = {**props(target, [*extra[:9], new]), "show_plan": True}
    inputs, failures = server.check(news, olds=outs)
    assert failures == [] and len(inputs["detach"]) == 1 and len(inputs["attach"]) == 1
    assert server.diff(id_, outs, inputs).changes == 2  # DIFF_SOME
    outs = server.update(id_, outs, inputs)  # the endpoint refuses an 11th: the detach went first
    assert attached(orgs_client, target) == {*extra[:9], new}
    assert outs["found"] == [FULL]  # kept from creation


def test_drift_shows_in_check_and_diff_and_update_removes_it(server, org, orgs_client):
    ou = org["ous"]["Root/Workloads/Prod"]
    id_, outs = server.create(props(ou, [FULL]))
    inputs, _ = server.check(props(ou, [FULL]), olds=outs)
    assert (inputs["attach"], inputs["detach"]) == ([], [])
    assert server.diff(id_, outs, inputs).changes == 1  # DIFF_NONE: nothing to do, nothing shown

    deny = org["policies"]["DenyRootUser"]
    orgs_client.attach_policy(PolicyId=deny, TargetId=ou)  # by hand, out of band
    inputs, _ = server.check({**props(ou, [FULL]), "show_plan": True}, olds=outs)  # a preview
    assert inputs["detach"] == [f"DenyRootUser ({deny})"]
    assert server.diff(id_, outs, inputs).changes == 2
    # an update: the plan stays out of the inputs stored in state, the diff still sees it
    inputs, _ = server.check(props(ou, [FULL]), olds=outs)
    assert (inputs["attach"], inputs["detach"]) == ([], [])
    assert server.diff(id_, outs, inputs).changes == 2
    assert server.diff(id_, outs, inputs).changes == 2  # no check before it: asks AWS itself
    _, read_outs, _ = server.read(id_, outs)  # refresh reports the actual set
    assert read_outs["attached"] == sorted([FULL, deny])
    server.update(id_, outs, inputs)
    assert attached(orgs_client, ou) == {FULL}


def test_delete_keeps_what_was_there_and_what_the_stack_did_not_put_there(server, org, orgs_client):
    root = org["root"]
    leave, regions = org["policies"]["DenyLeaveOrganization"], org["policies"]["RestrictRegions"]
    id_, outs = server.create(props(root, [FULL, leave, regions]))
    assert outs["found"] == sorted([FULL, leave])
    deny = org["policies"]["DenyRootUser"]
    orgs_client.attach_policy(PolicyId=deny, TargetId=root)  # after the last up, by hand
    server.delete(id_, outs)
    assert attached(orgs_client, root) == {FULL, leave, deny}  # only RestrictRegions went


def test_skip_destroy_leaves_the_set_as_it_is(server, org, orgs_client, make_scps):
    account = org["accounts"]["sandbox-1"]
    [allow] = make_scps(1, allow=True)
    id_, outs = server.create(props(account, [allow], skip_destroy=True))
    server.delete(id_, outs)
    assert attached(orgs_client, account) == {allow}


def test_delete_that_cannot_restore_says_how_to_release(server, org, orgs_client, make_scps):
    account = org["accounts"]["prod-app"]
    extra = make_scps(11, allow=True)
    for policy in extra[1:6]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # found: FullAWSAccess + 5
    id_, outs = server.create(props(account, [extra[0]]))
    for policy in extra[6:11]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # five more by hand
    with pytest.raises(ProviderError) as err:  # giving back six and keeping five: eleven
        server.delete(id_, outs)
    assert err.value.message.startswith(f"Cannot give account prod-app ({account}) back the service control policy")
    assert "skip_destroy: true" in err.value.message and "at most 10" in err.value.message
    assert attached(orgs_client, account) == {extra[0], *extra[6:11]}  # nothing changed


def test_read_of_a_target_that_is_gone_drops_the_resource(server, org):
    id_ = exclusive_id("ou-abcd-zzzzzzzz", SCP)
    assert server.read(id_, props("ou-abcd-zzzzzzzz", [FULL]))[0] == ""


def test_a_policy_not_known_yet_plans_unknown_changes_without_calling_aws(server, org, calls):
    """A policy the stack creates in the same update has no ID in preview."""
    from pulumi.runtime.rpc import UNKNOWN

    ou = org["ous"]["Root/Workloads"]
    inputs, failures = server.check({**props(ou, [FULL, UNKNOWN]), "show_plan": True})
    assert failures == [] and calls() == {}
    assert server.diff(exclusive_id(ou, SCP), {**props(ou, [FULL]), "found": [FULL]}, inputs).changes == 2


def test_rcp_full_aws_access_stays_on_an_exclusive_rcp_target(server, org, orgs_client):
    root = org["root"]
    rcp = "RESOURCE_CONTROL_POLICY"
    assert attached(orgs_client, root, rcp) == {"p-RCPFullAWSAccess"}
    inputs, failures = server.check({**props(root, [], policy_type=rcp), "show_plan": True})
    assert failures == [] and (inputs["attach"], inputs["detach"]) == ([], [])
    _, outs = server.create(props(root, [], policy_type=rcp))
    assert outs["attached"] == ["p-RCPFullAWSAccess"]
    assert attached(orgs_client, root, rcp) == {"p-RCPFullAWSAccess"}


def test_under_the_old_limits_a_swap_at_five_detaches_first_and_six_are_refused(endpoint, org, orgs_client,
                                                                                make_scps):
    """org-policies:limits back to 5 SCPs, against an endpoint that enforces 5."""
    import json

    from emulator.limits import BEFORE_2026_05_15

    old = {t: dict(n) for t, n in BEFORE_2026_05_15.items()}
    endpoint.control.set_limits(old)
    srv = ProviderServer(provider=ExclusivePoliciesProvider())
    try:
        srv.configure({"aws:region": "us-east-1", **FAST_RETRY, "org-policies:limits": json.dumps(old)})
        target = org["accounts"]["dev-app"]
        extra = make_scps(6, allow=True)
        _, failures = srv.check(props(target, extra))
        assert "6 policies are declared and at most 5 are allowed" in failures[0][1]
        assert "Limits: 1 to 5 per target (this stack's org-policies:limits)." in failures[0][1]
        id_, outs = srv.create(props(target, extra[:5]))
        inputs, failures = srv.check({**props(target, [*extra[:4], extra[5]]), "show_plan": True}, olds=outs)
        assert failures == [] and inputs["detach"][0].startswith("AllowList4") and len(inputs["attach"]) == 1
        srv.update(id_, outs, inputs)  # the endpoint refuses a sixth: the detach went first
        assert attached(orgs_client, target) == {*extra[:4], extra[5]}
    finally:
        srv.close()


def test_a_give_back_that_would_lock_the_target_out_is_refused_at_apply(server, org, orgs_client, make_scps):
    """The apply half of the regression the guard test covers at preview: a target the
    set found with deny-only SCPs, made exclusive with an allow-list. Giving it back
    detaches the allow-list and locks it out: delete refuses, before any call."""
    account = org["accounts"]["prod-app"]
    deny, [allow] = org["policies"]["DenyRootUser"], make_scps(1, allow=True)
    orgs_client.attach_policy(PolicyId=deny, TargetId=account)
    orgs_client.detach_policy(PolicyId=FULL, TargetId=account)  # locked out by hand: deny-only
    id_, outs = server.create(props(account, [allow]))
    assert outs["found"] == [deny] and attached(orgs_client, account) == {allow}
    with pytest.raises(ProviderError) as err:
        server.delete(id_, outs)
    assert err.value.message.startswith(f"Cannot give account prod-app ({account}) back the service control policy")
    assert attached(orgs_client, account) == {allow}  # nothing changed
