"""The AWS layer against the local endpoint: each refusal AWS can give becomes
the exception a user can act on, and each listing reads every page with the
calls it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from provider import errors
from provider.aws import OrganizationsApi, PolicySummary, TargetSummary, translate
from provider.lookups import Lookups
from provider.refusals import TargetFacts
from provider.retry import RetryPolicy

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture
def api(endpoint, org):
    return OrganizationsApi(retry=RetryPolicy(sleep=lambda _: None))


def test_detach_race_on_the_last_scp_maps_to_the_same_refusal(api, org, calls):
    """Two parallel deletes can both pass the pre-check; AWS then refuses the
    second with MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED. The mapping makes no
    call of its own: it names what the caller knows."""
    target = org["accounts"]["sandbox-1"]
    with pytest.raises(errors.LastPolicyError) as err:
        api.detach_policy("p-FullAWSAccess", target, policy="FullAWSAccess (p-FullAWSAccess)", policy_type=SCP)
    assert err.value.kwargs == {"policy": "FullAWSAccess (p-FullAWSAccess)", "target": target, "target_id": target,
                                "type_label": "service control policy (SCP)", "minimum": 1}
    assert calls() == {"DetachPolicy": 1}
    cause = err.value.__cause__
    assert type(cause) is api.client.exceptions.ConstraintViolationException
    assert cause.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


def test_detach_of_rcp_full_aws_access_maps_to_undetachable(api, org):
    target = org["accounts"]["prod-app"]
    with pytest.raises(errors.UndetachablePolicyError) as err:
        api.detach_policy("p-RCPFullAWSAccess", target)
    assert err.value.kwargs == {"policy_id": "p-RCPFullAWSAccess", "target_id": target, "target": target}
    assert type(err.value.__cause__) is api.client.exceptions.InvalidInputException


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
    assert err.value.kwargs == {"policy_id": "p-FullAWSAccess", "target_id": org["root"], "policy": "p-FullAWSAccess",
                                "target": org["root"]}
    assert f'import_="{org["root"]}:p-FullAWSAccess"' in str(err.value)
    assert type(err.value.__cause__) is api.client.exceptions.DuplicatePolicyAttachmentException


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
    assert err.value.kwargs["operation"] == "DescribePolicy"
    assert str(err.value).startswith("Could not call AWS Organizations DescribePolicy (3 attempts over ")
    assert "AWS_ENDPOINT_URL_ORGANIZATIONS" in str(err.value)
    assert type(err.value.__cause__) is EndpointConnectionError


@pytest.mark.parametrize("code, cls, words", [
    ("AccessDeniedException", errors.AccessDeniedError, ["AttachPolicy", "management account"]),
    ("AWSOrganizationsNotInUseException", errors.OrganizationsNotInUseError, ["not in an AWS organization"]),
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
    assert type(err.value) is cls
    assert type(err.value.__cause__) is getattr(api.client.exceptions, code)
    for word in words:
        assert word in str(err.value)


def test_retries_exhausted_names_the_operation(api, org, endpoint):
    api.retry = RetryPolicy(max_attempts=3, sleep=lambda _: None)
    endpoint.control.set_faults(rate=1.0, codes=["ConcurrentModificationException"], operations=["DetachPolicy"])
    with pytest.raises(errors.RetriesExhaustedError) as err:
        api.detach_policy("p-FullAWSAccess", org["root"])
    assert {k: err.value.kwargs[k] for k in ("operation", "code", "attempts")} == {
        "operation": "DetachPolicy", "code": "ConcurrentModificationException", "attempts": 3}
    assert "DetachPolicy kept failing with ConcurrentModificationException after 3 attempts" in str(err.value)
    assert type(err.value.__cause__) is api.client.exceptions.ConcurrentModificationException
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


@pytest.mark.parametrize("target, count, listed", [
    # prod-app and dev-app, in the child OUs Prod and Dev: two listings per OU
    (lambda org: org["ous"]["Root/Workloads"], 2, {"ListAccountsForParent": 3, "ListOrganizationalUnitsForParent": 3}),
    (lambda org: org["root"], 5, {"ListAccounts": 1}),
    (lambda org: "ou-zzzz-zzzzzzzz", None, {"ListAccountsForParent": 1}),  # no such OU: nothing learnt or raised
])
def test_count_accounts_under_a_target(api, org, calls, target, count, listed):
    assert api.count_accounts_under(target(org)) == count
    assert calls() == listed


def test_count_accounts_stops_at_its_budget(api, org, calls):
    """Too many calls to count: unknown, and the fourth call is never made."""
    assert api.count_accounts_under(org["ous"]["Root/Workloads"], budget=3) is None
    assert calls() == {"ListAccountsForParent": 2, "ListOrganizationalUnitsForParent": 1}


def test_names_of_accounts_ous_and_parents(api, org, calls):
    assert api.account_name(org["accounts"]["sandbox-1"]) == "sandbox-1"
    assert api.ou_name(org["ous"]["Root/Workloads/Prod"]) == "Prod"
    assert api.parent_id(org["ous"]["Root/Workloads/Prod"]) == org["ous"]["Root/Workloads"]
    assert api.parent_id(org["accounts"]["prod-app"]) == org["ous"]["Root/Workloads/Prod"]
    assert api.management_account_id() == org["management_account"]
    assert sorted(a.name for a in api.accounts_in(org["ous"]["Root/Workloads/Prod"])) == ["prod-app"]
    assert (api.account_name("999999999999"), api.ou_name("ou-zzzz-zzzzzzzz")) == (None, None)  # gone: None
    assert calls() == {"DescribeAccount": 2, "DescribeOrganizationalUnit": 2, "ListParents": 2,
                       "DescribeOrganization": 1, "ListAccountsForParent": 1}


@pytest.mark.parametrize("target, display, calls_made", [
    (lambda org: org["root"], lambda org: f"Root ({org['root']})", {}),
    (lambda org: org["accounts"]["sandbox-1"], lambda org: f"account sandbox-1 ({org['accounts']['sandbox-1']})",
     {"DescribeAccount": 1}),
    # a path: one name and one parent per level, once per run
    (lambda org: org["ous"]["Root/Workloads/Prod"],
     lambda org: f"Root/Workloads/Prod ({org['ous']['Root/Workloads/Prod']})",
     {"DescribeOrganizationalUnit": 2, "ListParents": 2}),
    (lambda org: "ou-zzzz-zzzzzzzz", lambda org: "ou-zzzz-zzzzzzzz", {"DescribeOrganizationalUnit": 1}),  # gone: the ID
])
def test_lookups_name_a_target_by_path_or_account_name(api, org, calls, target, display, calls_made):
    lookups = Lookups(api)
    assert lookups.target_display(target(org)) == display(org)
    assert lookups.target_display(target(org)) == display(org)  # asked again: cached
    assert calls() == calls_made


def test_lookups_target_facts_for_a_lockout_message(api, org):
    facts = Lookups(api).target_facts(org["ous"]["Root/Workloads"])
    assert facts == TargetFacts(display=f"Root/Workloads ({org['ous']['Root/Workloads']})", accounts=2,
                                management_account_id=org["management_account"])


# (AWS's answer, what the caller knows, the class and fields a user acts on); no call is made
TRANSLATIONS = [
    (("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"), {"policy_type": SCP},
     errors.LastPolicyError, {"type_label": "service control policy (SCP)", "minimum": 1}),
    (("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"), {},
     errors.LastPolicyError, {"type_label": "policy of its type"}),
    (("ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"), {"policy_type": SCP},
     errors.AwsLimitExceededError, {"policy_type": SCP}),
    (("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED"), {}, errors.AwsCallError,
     {"code": "ConstraintViolationException"}),  # another reason of the same code: no specific advice
    (("InvalidInputException", "NON_DETACHABLE_POLICY"), {}, errors.UndetachablePolicyError, {}),
    (("InvalidInputException", "INVALID_PATTERN_TARGET_ID"), {}, errors.AwsCallError, {}),
    (("DuplicatePolicyAttachmentException", ""), {}, errors.AlreadyAttachedError, {}),
    (("PolicyTypeNotEnabledException", ""), {"policy_type": "TAG_POLICY"}, errors.PolicyTypeNotEnabledError,
     {"policy_type": "TAG_POLICY", "root_id": "<root ID>"}),
    (("AccountNotFoundException", ""), {}, errors.TargetNotFoundError, {"target_kind": "root"}),
    (("AccessDenied", ""), {}, errors.AccessDeniedError, {"detail": "m"}),
]


@pytest.mark.parametrize("answer, known, cls, fields", TRANSLATIONS)
def test_translate_is_a_table_of_codes_and_reasons(answer, known, cls, fields):
    from botocore.exceptions import ClientError

    code, reason = answer
    err = ClientError({"Error": {"Code": code, "Message": "m"}, **({"Reason": reason} if reason else {})}, "X")
    translated = translate(err, "DetachPolicy", policy_id="p-12345678", target_id="r-ab12", **known)
    assert type(translated) is cls
    assert fields.items() <= translated.kwargs.items()


def add_ous(orgs_client: Any, parent_id: str, count: int) -> list[str]:
    return [orgs_client.create_organizational_unit(ParentId=parent_id, Name=f"Team{n:02}")
            ["OrganizationalUnit"]["Id"] for n in range(count)]


def add_accounts(orgs_client: Any, parent_id: str, root_id: str, count: int) -> list[str]:
    found = []
    for n in range(count):
        status = orgs_client.create_account(AccountName=f"extra-{n:02}", Email=f"extra-{n:02}@example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]
        orgs_client.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=parent_id)
        found.append(account_id)
    return found


def test_count_accounts_counts_every_page_within_its_budget(api, org, orgs_client, endpoint, calls):
    team = add_ous(orgs_client, org["ous"]["Root/Sandbox"], 1)[0]
    add_accounts(orgs_client, team, org["root"], 21)  # the endpoint pages ListAccountsForParent by 20
    endpoint.control.reset_calls()
    assert api.count_accounts_under(team) == 21
    assert calls() == {"ListAccountsForParent": 2, "ListOrganizationalUnitsForParent": 1}
    endpoint.control.reset_calls()
    assert api.count_accounts_under(team, budget=2) is None  # both pages spend the budget: no third call
    assert calls() == {"ListAccountsForParent": 2}


# -- listings ----------------------------------------------------------------------------


def test_accounts_lists_every_account_in_one_call(api, org, calls):
    found = api.accounts()  # the management account included
    assert sorted(found, key=lambda a: a.name) == sorted(
        [TargetSummary(account_id, name) for name, account_id in org["accounts"].items()], key=lambda a: a.name)
    assert len(found) == 5
    assert calls() == {"ListAccounts": 1}


def test_child_ous_lists_the_ous_directly_under_a_parent(api, org, calls):
    ous = org["ous"]
    assert sorted(api.child_ous(org["root"]), key=lambda ou: ou.name) == [
        TargetSummary(ous["Root/Sandbox"], "Sandbox"), TargetSummary(ous["Root/Security"], "Security"),
        TargetSummary(ous["Root/Workloads"], "Workloads")]
    assert sorted(api.child_ous(ous["Root/Workloads"]), key=lambda ou: ou.name) == [
        TargetSummary(ous["Root/Workloads/Dev"], "Dev"), TargetSummary(ous["Root/Workloads/Prod"], "Prod")]
    assert api.child_ous(ous["Root/Sandbox"]) == []
    assert calls() == {"ListOrganizationalUnitsForParent": 3}


def test_policies_lists_every_policy_of_one_type_aws_managed_included(api, org, calls):
    policies = org["policies"]
    assert sorted(api.policies(SCP), key=lambda p: p.name) == [
        PolicySummary(policies[name], name, SCP)
        for name in ("DenyLeaveOrganization", "DenyRootUser", "FullAWSAccess", "RestrictRegions")]
    assert [p.name for p in api.policies("TAG_POLICY")] == ["RequireCostCenterTag"]
    assert calls() == {"ListPolicies": 2}


def test_policies_for_target_lists_the_attached_policies_of_one_type_in_one_call(api, org, calls):
    policies = org["policies"]
    assert sorted(p.id for p in api.policies_for_target(org["root"], SCP)) == sorted(
        [policies["FullAWSAccess"], policies["DenyLeaveOrganization"]])
    assert api.policies_for_target("ou-zzzz-zzzzzzzz", SCP) is None  # no such target
    assert calls() == {"ListPoliciesForTarget": 2}


# (case, what to add beyond the endpoint's page size of 20, the listing, the IDs it must return, calls)
MULTI_PAGE = [
    ("child OUs", lambda org, client, make_scps: add_ous(client, org["ous"]["Root/Sandbox"], 21),
     lambda api, org: [ou.id for ou in api.child_ous(org["ous"]["Root/Sandbox"])],
     {"ListOrganizationalUnitsForParent": 2}),
    ("policies", lambda org, client, make_scps: make_scps(21) + [
        org["policies"][name] for name in ("DenyLeaveOrganization", "DenyRootUser", "FullAWSAccess",
                                           "RestrictRegions")],
     lambda api, org: [p.id for p in api.policies(SCP)], {"ListPolicies": 2}),
]


@pytest.mark.parametrize("case, add, listing, listed", MULTI_PAGE, ids=[row[0] for row in MULTI_PAGE])
def test_listings_read_every_page(api, org, orgs_client, make_scps, endpoint, calls, case: str,
                                  add: Callable[..., list[str]], listing: Callable[..., list[str]],
                                  listed: dict[str, int]) -> None:
    expected = add(org, orgs_client, make_scps)
    endpoint.control.reset_calls()
    found = listing(api, org)
    assert sorted(found) == sorted(expected) and len(found) == len(set(found))
    assert calls() == listed


def test_a_listing_is_retried_as_one_call_after_a_throttled_request(api, org, make_scps, endpoint, calls):
    expected = len(make_scps(21)) + 4
    endpoint.control.reset_calls()
    endpoint.control.set_faults(rate=1.0, codes=["TooManyRequestsException"], operations=["ListPolicies"], limit=1)
    assert len(api.policies(SCP)) == expected
    assert calls() == {"ListPolicies": 1 + 2}  # the throttled request, then both pages


def test_a_listing_that_keeps_failing_names_the_operation(api, org, endpoint, calls):
    api.retry = RetryPolicy(max_attempts=3, sleep=lambda _: None)
    endpoint.control.set_faults(rate=1.0, codes=["ConcurrentModificationException"], operations=["ListAccounts"])
    with pytest.raises(errors.RetriesExhaustedError) as err:
        api.accounts()
    assert (err.value.kwargs["operation"], err.value.kwargs["attempts"]) == ("ListAccounts", 3)
    assert calls() == {"ListAccounts": 3}


def test_child_ous_of_a_missing_parent_is_target_not_found_naming_it(api, org):
    with pytest.raises(errors.TargetNotFoundError) as err:
        api.child_ous("ou-zzzz-zzzzzzzz")
    assert err.value.kwargs["target_id"] == "ou-zzzz-zzzzzzzz"


def test_each_paginator_is_built_once_per_client(api, org, monkeypatch):
    built: list[str] = []
    get_paginator = api.client.get_paginator
    monkeypatch.setattr(api.client, "get_paginator", lambda name: built.append(name) or get_paginator(name))
    for _ in range(2):
        api.accounts()
        api.policies(SCP)
        api.policies_for_target(org["root"], SCP)
    assert built == ["list_accounts", "list_policies", "list_policies_for_target"]
