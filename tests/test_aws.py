"""The AWS layer's error mapping, against the local endpoint: each refusal AWS
can give becomes the exception a user can act on."""

from __future__ import annotations

import pytest

from provider import errors
from provider.aws import OrganizationsApi
from provider.retry import RetryPolicy


@pytest.fixture
def api(endpoint, org):
    return OrganizationsApi(retry=RetryPolicy(sleep=lambda _: None))


def test_detach_race_on_the_last_scp_maps_to_the_same_refusal(api, org):
    """Two parallel deletes can both pass the pre-check; AWS then refuses the
    second with MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED."""
    target = org["accounts"]["sandbox-1"]
    with pytest.raises(errors.LastPolicyError) as err:
        api.detach_policy("p-FullAWSAccess", target)
    assert "FullAWSAccess (p-FullAWSAccess)" in str(err.value) and target in str(err.value)
    assert isinstance(err.value.__cause__, Exception)


def test_detach_of_rcp_full_aws_access_maps_to_undetachable(api, org):
    with pytest.raises(errors.UndetachablePolicyError):
        api.detach_policy("p-RCPFullAWSAccess", org["accounts"]["prod-app"])


@pytest.mark.parametrize("policy, target", [
    (lambda org: org["policies"]["RestrictRegions"], lambda org: org["accounts"]["prod-app"]),  # not attached
    (lambda org: "p-doesnotexist1", lambda org: org["accounts"]["prod-app"]),  # no policy
    (lambda org: "p-FullAWSAccess", lambda org: "ou-zzzz-zzzzzzzz"),  # no target
])
def test_detach_of_something_already_gone_returns_false(api, org, policy, target):
    assert api.detach_policy(policy(org), target(org)) is False


def test_duplicate_attach_maps_to_already_attached_with_import_hint(api, org):
    with pytest.raises(errors.AlreadyAttachedError) as err:
        api.attach_policy("p-FullAWSAccess", org["root"])
    assert f'import_="{org["root"]}:p-FullAWSAccess"' in str(err.value)


@pytest.mark.parametrize("first_failure, adopted", [
    ("ServiceException", True),  # may have applied: the Duplicate is our own attempt's
    ("ConnectionClosedError", True),  # sent, answer lost: the same
    ("ConcurrentModificationException", False),  # changed nothing: the Duplicate is real
    ("EndpointConnectionError", False),  # never sent: the same
])
def test_duplicate_after_a_retry_is_ours_only_after_an_ambiguous_failure(api, org, orgs_client, first_failure, adopted):
    target, policy = org["accounts"]["prod-app"], org["policies"]["RestrictRegions"]
    orgs_client.attach_policy(PolicyId=policy, TargetId=target)  # as if the first attempt had applied
    calls = []
    original = api.client.attach_policy

    def first_fails(**kw):
        calls.append(kw)
        if len(calls) == 1:
            from botocore import exceptions
            if first_failure.endswith("Error"):  # a transport failure, not an AWS answer
                raise getattr(exceptions, first_failure)(endpoint_url="http://127.0.0.1:1")
            raise exceptions.ClientError({"Error": {"Code": first_failure, "Message": "x"}}, "AttachPolicy")
        return original(**kw)

    api.client.attach_policy = first_fails
    if adopted:
        api.attach_policy(policy, target)
    else:
        with pytest.raises(errors.AlreadyAttachedError):
            api.attach_policy(policy, target)
    assert len(calls) == 2


def test_an_unreachable_endpoint_is_a_connection_error_naming_what_to_check(monkeypatch):
    from provider.aws import AwsSettings

    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", "http://127.0.0.1:9")  # discard port: nothing listens
    api = OrganizationsApi(AwsSettings(), RetryPolicy(sleep=lambda _: None))
    with pytest.raises(errors.AwsConnectionError) as err:
        api.describe_policy("p-12345678")
    assert "DescribePolicy" in str(err.value) and "AWS_ENDPOINT_URL_ORGANIZATIONS" in str(err.value)


@pytest.mark.parametrize("code, cls, words", [
    ("AccessDeniedException", errors.AccessDeniedError, ["AttachPolicy", "management account"]),
    ("AWSOrganizationsNotInUseException", errors.OrganizationsNotInUseError, ["not a member of an AWS organization"]),
    ("UnsupportedAPIEndpointException", errors.AwsCallError,
     ["AttachPolicy on policy p-12345678 and target r-ab12", "UnsupportedAPIEndpointException"]),
])
def test_codes_the_endpoint_cannot_give_map_to_their_classes(code, cls, words):
    """The local endpoint is always a management account in an organization:
    botocore's Stubber gives the answers it cannot."""
    from botocore.stub import Stubber

    api = OrganizationsApi(retry=RetryPolicy(sleep=lambda _: None))
    with Stubber(api.client) as stub:
        stub.add_client_error("attach_policy", service_error_code=code, service_message="m", http_status_code=400)
        with pytest.raises(cls) as err:
            api.attach_policy("p-12345678", "r-ab12")
    for word in words:
        assert word in str(err.value)


def test_retries_exhausted_names_the_operation(api, org, endpoint):
    api.retry = RetryPolicy(max_attempts=3, sleep=lambda _: None)
    endpoint.control.set_faults(rate=1.0, codes=["ConcurrentModificationException"], operations=["DetachPolicy"])
    with pytest.raises(errors.RetriesExhaustedError) as err:
        api.detach_policy("p-FullAWSAccess", org["root"])
    assert "DetachPolicy" in str(err.value) and "3 attempts" in str(err.value)
    assert endpoint.control.calls()["DetachPolicy"] == 3


def test_policies_for_target_follows_next_token():
    """The endpoint (moto) answers in one page; AWS pages: Stubber gives the second page."""
    from botocore.stub import Stubber

    api = OrganizationsApi(retry=RetryPolicy(sleep=lambda _: None))

    def page(ids):
        return [{"Id": i, "Arn": "arn:aws:organizations::1:policy/" + i, "Name": i,
                 "Description": "", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False} for i in ids]

    with Stubber(api.client) as stub:
        stub.add_response("list_policies_for_target", {"Policies": page(["p-aaaaaaaa"]), "NextToken": "t1"},
                          {"TargetId": "r-ab12", "Filter": "SERVICE_CONTROL_POLICY"})
        stub.add_response("list_policies_for_target", {"Policies": page(["p-bbbbbbbb"])},
                          {"TargetId": "r-ab12", "Filter": "SERVICE_CONTROL_POLICY", "NextToken": "t1"})
        found = api.policies_for_target("r-ab12", "SERVICE_CONTROL_POLICY")
        stub.assert_no_pending_responses()
    assert [p.id for p in found] == ["p-aaaaaaaa", "p-bbbbbbbb"]


def test_describe_policy_carries_the_document(api, org):
    summary = api.describe_policy(org["policies"]["DenyRootUser"])
    assert '"Effect": "Deny"' in summary.content and summary.name == "DenyRootUser"


@pytest.mark.parametrize("target, budget, name, accounts", [
    (lambda org: org["accounts"]["sandbox-1"], 10, "sandbox-1", 1),
    (lambda org: org["ous"]["Root/Workloads"], 10, "Workloads", 2),  # prod-app and dev-app, in child OUs
    (lambda org: org["ous"]["Root/Workloads"], 3, "Workloads", None),  # too many calls to count: unknown
    (lambda org: org["root"], 10, "Root", 5),
    (lambda org: "ou-zzzz-zzzzzzzz", 10, None, None),  # no such OU: nothing learnt, nothing raised
])
def test_target_facts_for_a_refusal_message(api, org, calls, monkeypatch, target, budget, name, accounts):
    monkeypatch.setattr("provider.aws.COUNT_CALL_BUDGET", budget)
    facts = api.target_facts(target(org))
    assert (facts.name, facts.accounts) == (name, accounts)
    assert facts.management_account_id == org["management_account"]
    assert sum(n for op, n in calls().items() if op.startswith("List")) <= budget
