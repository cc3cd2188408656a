"""An organization created through the API, not seeded, matches AWS's fresh organization.

AWS (CreateOrganization in botocore's model): with FeatureSet ALL (the default) "service control
policies [are] automatically enabled in the root". moto enables no type, so before the emulator
fixed it every client that built its own organization was refused its first SCP attach.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SCP_CONTENT

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


@pytest.fixture
def fresh(endpoint, org, orgs_client):
    """Wipe moto over HTTP as any client may (``/moto-api/reset``); the test creates the org.
    ``/_emulator/reset`` (the next test's ``org``) brings the seed back."""
    request = urllib.request.Request(f"{endpoint.url}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    with pytest.raises(ClientError, match="AWSOrganizationsNotInUseException"):
        orgs_client.list_roots()
    return orgs_client


def create(orgs: Any, feature_set: str | None) -> str:
    orgs.create_organization(**({"FeatureSet": feature_set} if feature_set else {}))
    return orgs.list_roots()["Roots"][0]["Id"]


def enabled(orgs: Any) -> list[str]:
    root = orgs.list_roots()["Roots"][0]
    return sorted(t["Type"] for t in root["PolicyTypes"] if t["Status"] == "ENABLED")


def attached(orgs: Any, target: str, policy_type: str = SCP) -> list[str]:
    return [p["Id"] for p in orgs.list_policies_for_target(TargetId=target, Filter=policy_type)["Policies"]]


@pytest.mark.parametrize("feature_set, types", [
    (None, [SCP]),  # AWS's default is ALL
    ("ALL", [SCP]),
    ("CONSOLIDATED_BILLING", []),  # negative row: no policies without all features
])
def test_a_created_organization_has_exactly_the_types_aws_enables(fresh, feature_set, types):
    create(fresh, feature_set)
    assert enabled(fresh) == types


def test_scps_work_at_once_on_root_ous_and_accounts_with_full_aws_access_everywhere(fresh):
    root = create(fresh, "ALL")
    management = fresh.describe_organization()["Organization"]["MasterAccountId"]
    ou = fresh.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    account = fresh.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]["AccountId"]
    for target in (root, management, ou, account):
        assert attached(fresh, target) == ["p-FullAWSAccess"]
    policy = fresh.create_policy(Name="Deny", Description="d", Type=SCP, Content=SCP_CONTENT)
    policy_id = policy["Policy"]["PolicySummary"]["Id"]
    for target in (root, ou, account):
        fresh.attach_policy(PolicyId=policy_id, TargetId=target)
        assert sorted(attached(fresh, target)) == sorted(["p-FullAWSAccess", policy_id])
    # The AWS rules still hold on a created organization: the last SCP stays.
    fresh.detach_policy(PolicyId=policy_id, TargetId=ou)
    with pytest.raises(ClientError) as err:
        fresh.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
    assert err.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


@pytest.mark.parametrize("policy_type, code", [
    (SCP, "PolicyTypeAlreadyEnabledException"),
    (RCP, None),  # not enabled by CreateOrganization: enabling it works
    ("TAG_POLICY", None),
])
def test_enabling_a_type_again_is_refused_and_others_can_be_enabled(fresh, policy_type, code):
    root = create(fresh, "ALL")
    if code is None:
        fresh.enable_policy_type(RootId=root, PolicyType=policy_type)
        assert policy_type in enabled(fresh)
    else:
        with pytest.raises(ClientError) as err:
            fresh.enable_policy_type(RootId=root, PolicyType=policy_type)
        assert err.value.response["Error"]["Code"] == code


def test_a_type_not_enabled_is_refused_on_a_created_organization(fresh):
    root = create(fresh, "ALL")
    policy = fresh.create_policy(Name="Tags", Description="d", Type="TAG_POLICY",
                                 Content=json.dumps({"tags": {"a": {"tag_key": {"@@assign": "A"}}}}))
    with pytest.raises(ClientError) as err:
        fresh.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=root)
    assert err.value.response["Error"]["Code"] == "PolicyTypeNotEnabledException"


def test_the_seed_comes_back_after_a_created_organization(fresh, endpoint):
    create(fresh, "ALL")
    ids = endpoint.control.reset()
    assert enabled(fresh) == [RCP, SCP, "TAG_POLICY"]  # the sample seed's list, SCPs enabled once
    assert "RestrictRegions" in ids["policies"]
    assert ids["policies"]["DenyLeaveOrganization"] in attached(fresh, ids["root"])
