"""PolicyAttachmentProvider through the SDK's real dynamic-provider server
(gRPC, pickle round trip) against the local Organizations endpoint over HTTP.

Every AWS rule these tests rely on is enforced by the endpoint, not assumed.
"""

from __future__ import annotations

import json

import pytest

from emulator.limits import BEFORE_2026_05_15
from harness.provider_server import FAST_RETRY, ProviderError, ProviderServer


@pytest.fixture(scope="module")
def server(endpoint):
    srv = ProviderServer()
    srv.configure(FAST_RETRY)
    yield srv
    srv.close()


def attached(client, target_id: str, policy_type: str = "SERVICE_CONTROL_POLICY") -> set[str]:
    pages = client.get_paginator("list_policies_for_target").paginate(TargetId=target_id, Filter=policy_type)
    return {p["Id"] for page in pages for p in page["Policies"]}


def targets(org):
    return {
        "root": org["root"],
        "ou": org["ous"]["Root/Workloads/Prod"],
        "account": org["accounts"]["sandbox-1"],
    }


def props(policy_id, target_id, skip_destroy=False):
    return {"policy_id": policy_id, "target_id": target_id, "skip_destroy": skip_destroy}


@pytest.mark.parametrize("kind, target_type", [
    ("root", "ROOT"), ("ou", "ORGANIZATIONAL_UNIT"), ("account", "ACCOUNT"),
])
def test_create_read_delete_round_trip(server, org, orgs_client, calls, kind, target_type):
    target = targets(org)[kind]
    policy = org["policies"]["RestrictRegions"]
    endpoint_calls_before = calls()
    assert endpoint_calls_before == {}

    id_, outs = server.create(props(policy, target))
    assert id_ == f"{target}:{policy}"
    assert outs == {
        "policy_id": policy, "target_id": target, "skip_destroy": False,
        "target_type": target_type, "policy_type": "SERVICE_CONTROL_POLICY", "policy_name": "RestrictRegions",
    }
    assert policy in attached(orgs_client, target)

    # refresh: one call, the type is known from state
    org_calls = calls()
    read_id, read_outs, read_inputs = server.read(id_, outs)
    assert (read_id, read_outs) == (id_, outs)
    assert read_inputs == props(policy, target)
    after = calls()
    assert after.get("ListPoliciesForTarget", 0) - org_calls.get("ListPoliciesForTarget", 0) == 1
    assert sum(after.values()) - sum(org_calls.values()) == 1

    server.delete(id_, outs)
    assert policy not in attached(orgs_client, target)
    server.delete(id_, outs)  # idempotent: already detached is success


def test_create_calls_attach_once_and_describe_once(server, org, calls):
    server.create(props(org["policies"]["DenyRootUser"], org["accounts"]["dev-app"]))
    assert calls() == {"AttachPolicy": 1, "DescribePolicy": 1}


def test_read_from_the_id_alone_returns_outputs_and_inputs(server, org):
    """No prior state (the shape of a Resource.get): DescribePolicy gives the type."""
    target = org["ous"]["Root/Workloads"]
    id_ = f"{target}:p-FullAWSAccess"
    read_id, outs, inputs = server.read(id_)
    assert read_id == id_
    assert outs["policy_name"] == "FullAWSAccess" and outs["target_type"] == "ORGANIZATIONAL_UNIT"
    assert inputs == props("p-FullAWSAccess", target)


@pytest.mark.parametrize("make_id", [
    lambda org: f"{org['accounts']['prod-app']}:{org['policies']['RestrictRegions']}",  # not attached
    lambda org: f"{org['accounts']['prod-app']}:p-doesnotexist1",  # no such policy
    lambda org: "ou-zzzz-zzzzzzzz:p-FullAWSAccess",  # no such target
])
def test_read_reports_gone_with_empty_id(server, org, make_id):
    read_id, outs, _ = server.read(make_id(org))
    assert read_id == "" and outs == {}


def test_read_sees_out_of_band_detach(server, org, orgs_client):
    target, policy = org["accounts"]["prod-app"], org["policies"]["RestrictRegions"]
    id_, outs = server.create(props(policy, target))
    orgs_client.detach_policy(PolicyId=policy, TargetId=target)
    assert server.read(id_, outs)[0] == ""


def test_import_with_malformed_id_names_the_format(server, org):
    with pytest.raises(ProviderError) as err:
        server.read("ou-workloads/p-FullAWSAccess")
    assert "expected TARGETID:POLICYID" in err.value.details


OLD = props("p-12345678", "r-ab12")


@pytest.mark.parametrize("news, changes, replaces", [
    (OLD, False, []),
    ({**OLD, "skip_destroy": True}, True, []),
    ({**OLD, "policy_id": "p-87654321"}, True, ["policy_id"]),
    ({**OLD, "target_id": "123456789012"}, True, ["target_id"]),
    ({**OLD, "policy_id": "p-87654321", "target_id": "123456789012"}, True, ["policy_id", "target_id"]),
])
def test_diff(server, news, changes, replaces):
    resp = server.diff("r-ab12:p-12345678", OLD, news)
    from pulumi.runtime.proto import provider_pb2

    assert resp.changes == (provider_pb2.DiffResponse.DIFF_SOME if changes else provider_pb2.DiffResponse.DIFF_NONE)
    assert list(resp.replaces) == replaces
    assert resp.deleteBeforeReplace is False  # create before delete: never a window without the guardrail


def test_diff_ignores_a_changed_provider_value(server):
    """__provider differs between SDK versions; it must never cause a diff."""
    olds = {**OLD, "__provider": "something-else"}
    assert list(server.diff("r-ab12:p-12345678", olds, OLD).replaces) == []


def test_update_of_skip_destroy_returns_full_outputs_without_aws_calls(server, org, calls):
    target, policy = org["accounts"]["prod-app"], org["policies"]["DenyRootUser"]
    id_, outs = server.create(props(policy, target))
    before = calls()
    new_outs = server.update(id_, outs, props(policy, target, skip_destroy=True))
    assert new_outs == {**outs, "skip_destroy": True}
    assert calls() == before


def test_skip_destroy_leaves_the_attachment_in_aws(server, org, orgs_client, calls):
    target, policy = org["accounts"]["prod-app"], org["policies"]["DenyRootUser"]
    id_, outs = server.create(props(policy, target, skip_destroy=True))
    before = calls()
    server.delete(id_, outs)
    assert calls() == before
    assert policy in attached(orgs_client, target)


@pytest.mark.parametrize("kind", ["root", "ou", "account"])
def test_last_scp_is_refused_before_calling_detach(server, endpoint, org, orgs_client, calls, kind):
    target = targets(org)[kind]
    if kind == "root":  # the root carries DenyLeaveOrganization too: take it off first
        orgs_client.detach_policy(PolicyId=org["policies"]["DenyLeaveOrganization"], TargetId=target)
        endpoint.control.reset_calls()
    _, outs, _ = server.read(f"{target}:p-FullAWSAccess")
    with pytest.raises(ProviderError) as err:
        server.delete(f"{target}:p-FullAWSAccess", outs)
    message = err.value.details
    for part in ("FullAWSAccess (p-FullAWSAccess)", target, "last service control policy",
                 "at least 1", "replacement", "skip_destroy=True"):
        assert part in message
    assert "p-FullAWSAccess" in attached(orgs_client, target)
    assert "DetachPolicy" not in calls()


def test_detach_allowed_when_another_scp_stays(server, org, orgs_client, make_scps):
    target = org["root"]
    [allow_list] = make_scps(1, allow=True)  # FullAWSAccess replaced by an allow-list
    orgs_client.attach_policy(PolicyId=allow_list, TargetId=target)
    _, outs, _ = server.read(f"{target}:p-FullAWSAccess")
    server.delete(f"{target}:p-FullAWSAccess", outs)
    assert attached(orgs_client, target) == {org["policies"]["DenyLeaveOrganization"], allow_list}


@pytest.mark.parametrize("kind", ["root", "ou", "account"])
def test_detach_leaving_only_deny_scps_is_refused_before_calling_detach(server, org, orgs_client, calls, kind):
    """AWS accepts this detach (the endpoint too): the provider refuses it itself."""
    target, deny = targets(org)[kind], org["policies"]["DenyRootUser"]
    if kind != "root":  # the root keeps DenyLeaveOrganization, deny-only already
        orgs_client.attach_policy(PolicyId=deny, TargetId=target)
    _, outs, _ = server.read(f"{target}:p-FullAWSAccess")
    with pytest.raises(ProviderError) as err:
        server.delete(f"{target}:p-FullAWSAccess", outs)
    message = err.value.details
    for part in ("Refusing to detach FullAWSAccess (p-FullAWSAccess)", target, "allow no action at all",
                 '"Effect": "Deny", "Action": "*"', "allow-list"):
        assert part in message
    assert "p-FullAWSAccess" in attached(orgs_client, target)
    assert "DetachPolicy" not in calls()


@pytest.mark.parametrize("keep", ["allow_list", "management_account"])
def test_detach_leaving_an_allowing_scp_or_on_the_management_account_proceeds(
        server, org, orgs_client, make_scps, keep):
    target = org["management_account"] if keep == "management_account" else org["accounts"]["sandbox-1"]
    kept = {org["policies"]["DenyRootUser"], *(make_scps(1, allow=True) if keep == "allow_list" else [])}
    for policy in kept:
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    _, outs, _ = server.read(f"{target}:p-FullAWSAccess")
    server.delete(f"{target}:p-FullAWSAccess", outs)
    assert attached(orgs_client, target) == kept


def test_detaching_a_deny_scp_from_a_target_already_without_allow_proceeds(server, org, orgs_client, make_scps):
    """Only a detach that takes the last allowing SCP away locks a target out."""
    target, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    [other] = make_scps(1)
    for policy in (deny, other):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)  # out of band
    _, outs, _ = server.read(f"{target}:{deny}")
    server.delete(f"{target}:{deny}", outs)
    assert attached(orgs_client, target) == {other}


def test_non_scp_types_have_no_minimum(server, org, orgs_client):
    target, policy = org["ous"]["Root/Workloads"], org["policies"]["RequireCostCenterTag"]
    id_, outs = server.create(props(policy, target))
    assert outs["policy_type"] == "TAG_POLICY"
    server.delete(id_, outs)
    assert attached(orgs_client, target, "TAG_POLICY") == set()


def test_rcp_full_aws_access_is_never_detached(server, org, orgs_client):
    target = org["accounts"]["prod-app"]
    outs = props("p-RCPFullAWSAccess", target) | {"policy_type": "RESOURCE_CONTROL_POLICY"}
    with pytest.raises(ProviderError) as err:
        server.delete(f"{target}:p-RCPFullAWSAccess", outs)
    assert "never allows detaching" in err.value.details and "skip_destroy=True" in err.value.details


def test_duplicate_create_shows_the_import_option(server, org):
    target = org["ous"]["Root/Sandbox"]
    expected = f'opts=pulumi.ResourceOptions(import_="{target}:p-FullAWSAccess")'
    _, failures = server.check(props("p-FullAWSAccess", target))
    assert [p for p, _ in failures] == ["policy_id"] and expected in failures[0][1]
    with pytest.raises(ProviderError) as err:
        server.create(props("p-FullAWSAccess", target))
    assert "already attached" in err.value.details and expected in err.value.details
    # the engine prints the host's traceback: ours is reduced to the message, no botocore chain
    assert "botocore" not in err.value.details and "direct cause" not in err.value.details


def test_aws_refusing_the_maximum_at_apply_says_so_and_names_the_override(server, endpoint, org, orgs_client,
                                                                          make_scps):
    """AWS stays the backstop: where its number is lower than the one this stack
    assumes (10 SCPs), the attach it refuses says so and names the override."""
    endpoint.control.set_limits(BEFORE_2026_05_15)  # a partition still at 5
    target = org["accounts"]["dev-app"]
    for policy in make_scps(4):
        server.create(props(policy, target))
    assert len(attached(orgs_client, target)) == 5
    with pytest.raises(ProviderError) as err:
        server.create(props(org["policies"]["RestrictRegions"], target))
    headline, *rest = err.value.message.splitlines()
    assert headline == (f"AWS refused to attach RestrictRegions ({org['policies']['RestrictRegions']}) to account "
                        f"dev-app ({target}): the target already has the most policies of that type AWS allows.")
    assert "This stack assumed at most 10 (AWS's number as of 2026-12-03)" in err.value.details
    assert "org-policies:limits: {SERVICE_CONTROL_POLICY: {maximum: <AWS's number>}}" in err.value.details
    assert "Attached there now: Extra0 (" in err.value.details and "FullAWSAccess (p-FullAWSAccess)" in err.value.details
    assert len(attached(orgs_client, target)) == 5


@pytest.mark.parametrize("code", [
    "ConcurrentModificationException", "PolicyChangesInProgressException", "ServiceException",
    "TooManyRequestsException",
])
def test_transient_errors_are_retried_and_attach_happens_exactly_once(server, org, orgs_client, endpoint, calls, code):
    target, policy = org["ous"]["Root/Workloads/Dev"], org["policies"]["DenyRootUser"]
    endpoint.control.set_faults(rate=1.0, codes=[code], seed=1, operations=["AttachPolicy"], limit=2)
    id_, outs = server.create(props(policy, target))
    endpoint.control.clear_faults()
    assert outs["policy_name"] == "DenyRootUser"
    assert calls()["AttachPolicy"] == 3  # two faulted, one applied
    assert policy in attached(orgs_client, target)


@pytest.mark.parametrize("news, prop, words", [
    (lambda org: props("p-doesnotexist1", org["root"]), "policy_id", ["p-doesnotexist1", "does not exist"]),
    (lambda org: props("p-FullAWSAccess", "ou-zzzz-zzzzzzzz"), "target_id", ["ou-zzzz-zzzzzzzz", "does not exist"]),
    (lambda org: props("p-FullAWSAccess", "999999999999"), "target_id", ["999999999999", "does not exist"]),
    (lambda org: props("p-FullAWSAccess", "ou-bad"), "target_id", ["'ou-bad'", "not a target ID"]),
    (lambda org: props("FullAWSAccess", org["root"]), "policy_id", ["'FullAWSAccess'", "not a policy ID"]),
])
def test_check_reports_bad_inputs_on_the_property(server, org, calls, news, prop, words):
    _, failures = server.check(news(org))
    assert [p for p, _ in failures] == [prop]
    for word in words:
        assert word in failures[0][1]
    if "not a" in words[1]:  # a malformed ID is refused without asking AWS
        assert calls() == {}


def test_check_accepts_unknowns_without_aws_calls(server, org, calls):
    from pulumi.runtime.rpc import UNKNOWN

    inputs, failures = server.check({"policy_id": UNKNOWN, "target_id": org["root"]})
    assert failures == [] and inputs["skip_destroy"] is False
    assert calls() == {}


def test_check_caches_lookups_across_attachments(org, endpoint, calls):
    """A preview of N attachments does not make N copies of the same call (fresh process)."""
    srv = ProviderServer()
    try:
        policy = org["policies"]["RestrictRegions"]
        for name in ("security-tooling", "prod-app", "dev-app"):
            assert server_check_ok(srv, props(policy, org["accounts"][name]))
        assert calls() == {"DescribePolicy": 1, "ListPoliciesForTarget": 3, "ListRoots": 1}
    finally:
        srv.close()


def server_check_ok(srv, news) -> bool:
    _, failures = srv.check(news)
    return failures == []


def test_unknown_policy_and_target_at_create_time(server, org):
    with pytest.raises(ProviderError) as err:
        server.create(props("p-doesnotexist1", org["root"]))
    assert "p-doesnotexist1 does not exist" in err.value.details
    with pytest.raises(ProviderError) as err:
        server.create(props("p-FullAWSAccess", "ou-zzzz-zzzzzzzz"))
    assert "ou-zzzz-zzzzzzzz" in err.value.details and "does not exist" in err.value.details


def test_policy_type_not_enabled(server, org, orgs_client):
    backup = orgs_client.create_policy(
        Name="Backups", Description="x", Type="BACKUP_POLICY", Content="{}",
    )["Policy"]["PolicySummary"]["Id"]
    _, failures = server.check(props(backup, org["root"]))
    assert failures and "enable-policy-type" in failures[0][1] and "BACKUP_POLICY" in failures[0][1]
    with pytest.raises(ProviderError) as err:
        server.create(props(backup, org["root"]))
    assert "not enabled" in err.value.details and org["root"] in err.value.details


def test_import_adopts_the_existing_attachment_without_attaching(server, org, calls):
    """PolicyAttachment turns opts.import_ into the import_id input (the SDK's
    dynamic host cannot serve the engine's import read)."""
    target = org["ous"]["Root/Workloads"]
    news = props("p-FullAWSAccess", target) | {"import_id": f"{target}:p-FullAWSAccess"}
    inputs, failures = server.check(news)
    assert failures == []
    id_, outs = server.create(inputs)
    assert id_ == f"{target}:p-FullAWSAccess" and outs["policy_name"] == "FullAWSAccess"
    assert "AttachPolicy" not in calls()


def test_import_of_another_pair_fails_the_preview(server, org):
    target, policy = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    _, failures = server.check(props(policy, target) | {"import_id": f"{target}:p-FullAWSAccess"})
    assert [p for p, _ in failures] == ["import_id"]
    assert "import_ is" in failures[0][1] and f'use import_="{target}:{policy}"' in failures[0][1]


def test_import_of_a_missing_attachment_attaches_it_once(server, org, calls, orgs_client):
    """``import_`` may stay after the adoption: when refresh dropped a detached
    attachment, the next update re-attaches it like any other."""
    target, policy = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    news = props(policy, target) | {"import_id": f"{target}:{policy}"}
    inputs, failures = server.check(news)
    assert failures == []
    id_, outs = server.create(inputs)
    assert id_ == f"{target}:{policy}" and outs["policy_name"] == "RestrictRegions"
    assert calls().get("AttachPolicy") == 1
    attached = orgs_client.list_policies_for_target(TargetId=target, Filter="SERVICE_CONTROL_POLICY")
    assert policy in {p["Id"] for p in attached["Policies"]}


def test_check_of_an_attachment_already_in_state_makes_no_aws_call(server, org, calls):
    target, policy = org["ous"]["Root/Workloads"], org["policies"]["RestrictRegions"]
    id_, outs = server.create(props(policy, target))
    before = calls()
    _, failures = server.check(props(policy, target, skip_destroy=True), olds=props(policy, target))
    assert failures == [] and calls() == before


def test_a_failing_policy_lookup_fails_create_before_anything_is_attached(org, endpoint, orgs_client, calls):
    """DescribePolicy exhausts its retries: the create fails and nothing is left attached."""
    srv = ProviderServer()
    try:
        srv.configure({**FAST_RETRY, "policyAttachment:maxAttempts": "2"})
        target, policy = org["accounts"]["prod-app"], org["policies"]["RestrictRegions"]
        endpoint.control.set_faults(rate=1.0, codes=["ConcurrentModificationException"],
                                    operations=["DescribePolicy"])
        with pytest.raises(ProviderError) as err:
            srv.create(props(policy, target))
        endpoint.control.clear_faults()
        assert "DescribePolicy kept failing" in err.value.details
        assert "AttachPolicy" not in calls()
        assert policy not in attached(orgs_client, target)
    finally:
        srv.close()


# -- the per-target maximum, counted across the attachments one operation checks ----------

@pytest.fixture
def fresh(endpoint):
    """A provider process of its own: what one engine operation checks."""
    srv = ProviderServer()
    srv.configure(FAST_RETRY)
    yield srv
    srv.close()


@pytest.fixture
def old_limits(endpoint, org):
    """A provider process assuming the limits before 2026-05-15 (org-policies:limits),
    against an endpoint that enforces them: the product under the old numbers."""
    endpoint.control.set_limits(BEFORE_2026_05_15)
    srv = ProviderServer()
    srv.configure({**FAST_RETRY, "org-policies:limits": json.dumps({t: dict(n) for t, n in BEFORE_2026_05_15.items()})})
    yield srv
    srv.close()


@pytest.mark.parametrize("limits, maximum, source", [
    ("today", 10, "AWS allows at most 10 (as of 2026-12-03)"),
    ("old", 5, "this stack's org-policies:limits allow at most 5"),
])
def test_every_scp_up_to_the_maximum_passes_check_and_create_the_next_is_refused_at_check(
        request, org, orgs_client, make_scps, calls, limits, maximum, source):
    """FullAWSAccess takes one slot: maximum - 1 more pass check and attach; one
    more is refused by check, before anything is attached."""
    srv = request.getfixturevalue("fresh" if limits == "today" else "old_limits")
    target = org["accounts"]["dev-app"]
    extra = make_scps(maximum - 1)
    for policy in extra:
        assert server_check_ok(srv, props(policy, target))
        srv.create(props(policy, target))
    assert len(attached(orgs_client, target)) == maximum
    restrict = org["policies"]["RestrictRegions"]
    made_before = calls()
    _, failures = srv.check(props(restrict, target))
    assert [p for p, _ in failures] == ["policy_id"]
    headline, *lines = failures[0][1].splitlines()
    assert headline == (f"Refusing to attach RestrictRegions ({restrict}) to account dev-app ({target}): it would "
                        f"carry {maximum + 1} service control policy (SCP)s, and {source}.")
    # attached since this provider process first listed the target: arriving in this update
    assert lines[0] == "Attached there before this update: FullAWSAccess (p-FullAWSAccess)."
    assert lines[1].startswith("Arriving there in this update before it: Extra0 (") and f"Extra{maximum - 2} (" in lines[1]
    assert lines[2:4] == ["Ways out:", f"  - declare fewer service control policy (SCP)s on account dev-app "
                                       f"({target}): it can carry {maximum}"]
    assert "in one `pulumi up` and add the new one in the next" in failures[0][1]
    raise_it = (["  - this stack's org-policies:limits set the maximum to 5: raise it there if AWS allows more"]
                if limits == "old" else ["  - if AWS allows more than 10 now, set org-policies:limits: "
                                         "{SERVICE_CONTROL_POLICY: {maximum: <n>}} in the stack config"])
    assert lines[-1:] == raise_it
    assert calls().get("AttachPolicy") == made_before.get("AttachPolicy")  # checking attaches nothing


def test_attaches_checked_in_one_operation_count_before_they_are_made(fresh, org, orgs_client, make_scps):
    """The engine checks every new attachment of a preview before creating any:
    the 6th to 10th pass counting the ones checked before, the 11th is refused."""
    target = org["accounts"]["dev-app"]
    extra = make_scps(10)
    for policy in extra[:9]:
        assert server_check_ok(fresh, props(policy, target))  # with FullAWSAccess: 2..10
    _, failures = fresh.check(props(extra[9], target))
    assert failures and "it would carry 11 service control policy (SCP)s" in failures[0][1]
    lines = failures[0][1].splitlines()
    assert lines[1] == "Attached there before this update: FullAWSAccess (p-FullAWSAccess)."
    assert lines[2].startswith("Arriving there in this update before it: Extra0 (") and "Extra8 (" in lines[2]


def test_attaches_checked_earlier_and_made_since_count_once(fresh, org, orgs_client, make_scps):
    """In `up` the engine checks, then creates: the next check must not count it twice."""
    target = org["accounts"]["dev-app"]
    extra = make_scps(9)
    for policy in extra[:8]:
        assert server_check_ok(fresh, props(policy, target))
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    assert server_check_ok(fresh, props(extra[8], target))


@pytest.mark.parametrize("deletes_first, refused", [(False, True), (True, False)])
def test_replace_at_ten_scps_needs_delete_before_replace(fresh, org, orgs_client, make_scps, deletes_first, refused):
    """The new half of a replace on the same target: created before the old half is
    deleted (an eleventh slot) unless the resource says delete_before_replace."""
    target = org["accounts"]["dev-app"]
    extra = make_scps(10)
    for policy in extra[:9]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    news = props(extra[9], target) | ({"delete_before_replace": True} if deletes_first else {})
    inputs, failures = fresh.check(news, olds=props(extra[0], target))
    assert bool(failures) is refused
    if refused:
        assert "(a swap of one of 10): Pulumi attaches new policies before it detaches removed ones" in failures[0][1]
        assert "delete_before_replace=True" in failures[0][1]
    assert "delete_before_replace" not in inputs  # a hint for check, never stored


def test_check_failures_name_where_the_program_declared_it(fresh, org):
    where = 'org-policies:attachments, target "Root", policy "FullAWSAccess"'
    inputs, failures = fresh.check(props("p-FullAWSAccess", org["root"]) | {"declared_at": where})
    assert [p for p, _ in failures] == ["policy_id"]
    headline, second, *_ = failures[0][1].splitlines()
    assert headline == f"FullAWSAccess (p-FullAWSAccess) is already attached to Root ({org['root']}): there is " \
                       "nothing to create."
    assert second == f"Declared at: {where}"
    assert "declared_at" not in inputs  # never stored: rewording the config is no diff
    _, failures = fresh.check(props("p-FullAWSAccess", org["root"]))
    assert "Declared at" not in failures[0][1]
