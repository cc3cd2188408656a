"""program.directory and program.plan against the local endpoint's sample
organization: what each kind of name resolves to, what it costs in calls, and
the refusals (not found with candidates, ambiguous, duplicates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from program.config import PolicyKind, PolicyRef, TargetKind, TargetRef, parse_config
from program.directory import Directory
from program.errors import (
    AmbiguousNameError,
    ConfigError,
    NameNotFoundError,
    OrganizationLookupError,
    PolicyTypeNotEnabledError,
)
from program.plan import plan_attachments
from provider.aws import OrganizationsApi, PolicySummary, RootSummary
from provider.retry import RetryPolicy

SCP = "SERVICE_CONTROL_POLICY"
CONTENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:x","Resource":"*"}]}'
ENABLED_TYPES = 3  # SCP, TAG_POLICY and RCP in the sample organization


class NoApi:
    """Stands in for OrganizationsApi where every listing is stubbed."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected AWS use: {name}")


@pytest.fixture
def directory(org: dict[str, Any]) -> Directory:
    return Directory(OrganizationsApi())


# (case, target, kind, where its ID is in the org fixture, calls it costs)
TARGETS = [
    ("Root", "Root", TargetKind.ROOT, ("root",), {"ListRoots": 1}),
    ("OU path", "Root/Workloads/Prod", TargetKind.OU_PATH, ("ous", "Root/Workloads/Prod"),
     {"ListRoots": 1, "ListOrganizationalUnitsForParent": 2}),
    ("top-level OU path", "Root/Sandbox", TargetKind.OU_PATH, ("ous", "Root/Sandbox"),
     {"ListRoots": 1, "ListOrganizationalUnitsForParent": 1}),
    ("account name", "prod-app", TargetKind.ACCOUNT_NAME, ("accounts", "prod-app"), {"ListAccounts": 1}),
    ("account ID", "{accounts.prod-app}", TargetKind.ID, ("accounts", "prod-app"), {}),
    ("OU ID", "{ous.Root/Workloads}", TargetKind.ID, ("ous", "Root/Workloads"), {}),
    ("root ID", "{root}", TargetKind.ID, ("root",), {}),
]


def lookup(org: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = org
    for key in path:
        value = value[key]
    return value


def fill(org: dict[str, Any], text: str) -> str:
    if text.startswith("{") and text.endswith("}"):
        return lookup(org, tuple(text[1:-1].split(".", 1)))
    return text


@pytest.mark.parametrize("case, text, kind, where, cost", TARGETS, ids=[row[0] for row in TARGETS])
def test_each_target_kind_resolves_with_only_the_calls_it_needs(
        org: dict[str, Any], directory: Directory, calls: Callable[[], dict[str, int]],
        case: str, text: str, kind: TargetKind, where: tuple[str, ...], cost: dict[str, int]) -> None:
    assert directory.target_id(TargetRef(fill(org, text), kind)) == lookup(org, where)
    assert calls() == cost


# (case, policy reference, expected policy name in the org fixture, calls)
POLICIES = [
    ("SCP by name", "DenyRootUser", "DenyRootUser", {"ListRoots": 1, "ListPolicies": ENABLED_TYPES}),
    ("AWS-managed by name", "FullAWSAccess", "FullAWSAccess",
     {"ListRoots": 1, "ListPolicies": ENABLED_TYPES}),
    ("tag policy by name", "RequireCostCenterTag", "RequireCostCenterTag",
     {"ListRoots": 1, "ListPolicies": ENABLED_TYPES}),
    ("by ID", "{policies.RestrictRegions}", "RestrictRegions", {}),
]


@pytest.mark.parametrize("case, text, name, cost", POLICIES, ids=[row[0] for row in POLICIES])
def test_policies_resolve_by_name_in_every_enabled_type_and_by_id_without_a_call(
        org: dict[str, Any], directory: Directory, calls: Callable[[], dict[str, int]],
        case: str, text: str, name: str, cost: dict[str, int]) -> None:
    ref = parse_config(None, {"Root": [fill(org, text)]}).attachments[0].items[0].policy
    assert directory.policy_id(ref) == org["policies"][name]
    assert calls() == cost


def test_a_stack_policy_is_planned_by_its_name_without_any_call(
        org: dict[str, Any], directory: Directory, calls: Callable[[], dict[str, int]]) -> None:
    config = parse_config({"DenyRootUser": {"file": "x.json"}},
                          {org["root"]: ["DenyRootUser"]})  # also an AWS name: the stack's wins
    (planned,) = plan_attachments(config, directory)
    assert (planned.resource_name, planned.policy_id, planned.stack_policy) == (
        f"{org['root']}/DenyRootUser", None, "DenyRootUser")
    assert calls() == {}
    with pytest.raises(ValueError):
        directory.policy_id(PolicyRef("DenyRootUser", PolicyKind.STACK))


def test_each_listing_is_asked_once_per_run(
        org: dict[str, Any], directory: Directory, calls: Callable[[], dict[str, int]]) -> None:
    config = parse_config(None, {
        "Root/Workloads/Prod": ["DenyRootUser"], "Root/Workloads/Dev": ["DenyRootUser"],
        "Root/Workloads": ["RestrictRegions"], "prod-app": ["RestrictRegions"],
        "sandbox-1": ["DenyRootUser", "RequireCostCenterTag"], "Root": ["FullAWSAccess"],
    })
    planned = plan_attachments(config, directory)
    assert len(planned) == 7
    assert calls() == {"ListRoots": 1, "ListOrganizationalUnitsForParent": 2, "ListAccounts": 1,
                       "ListPolicies": ENABLED_TYPES}


def test_listings_read_every_page(endpoint: Any, org: dict[str, Any], orgs_client: Any,
                                  directory: Directory, calls: Callable[[], dict[str, int]]) -> None:
    # moto pages ListPolicies and ListOrganizationalUnitsForParent by 20
    sandbox = org["ous"]["Root/Sandbox"]
    last_ou = [orgs_client.create_organizational_unit(ParentId=sandbox, Name=f"Team{n:02}")
               ["OrganizationalUnit"]["Id"] for n in range(21)][-1]
    last_policy = [orgs_client.create_policy(Name=f"Extra{n:02}", Description="x", Type=SCP,
                                             Content=CONTENT)["Policy"]["PolicySummary"]["Id"]
                   for n in range(21)][-1]
    endpoint.control.reset_calls()
    assert directory.ou_id(("Sandbox", "Team20")) == last_ou
    assert directory.policy("Extra20").id == last_policy
    assert calls()["ListOrganizationalUnitsForParent"] == 1 + 2  # Root's children, Sandbox's two pages
    assert calls()["ListPolicies"] == ENABLED_TYPES + 1  # SCPs take two pages


# (case, target, policy, error class, message parts)
REFUSED = [
    ("unknown OU", "Root/Workloads/Prd", "DenyRootUser", NameNotFoundError,
     ['target "Root/Workloads/Prd"', "organizational unit 'Root/Workloads/Prd' matches nothing",
      "Close candidates: Root/Workloads/Prod", "OUs under Root/Workloads: Dev, Prod"]),
    ("unknown parent OU", "Root/Workload/Prod", "DenyRootUser", NameNotFoundError,
     ["'Root/Workload' matches nothing", "Root/Workloads"]),
    ("unknown account", "prod-ap", "DenyRootUser", NameNotFoundError,
     ['target "prod-ap"', "account 'prod-ap' matches nothing", "Close candidates: prod-app", "12-digit ID"]),
    ("bare OU name", "Workloads", "DenyRootUser", NameNotFoundError,
     ["account 'Workloads' matches nothing", "path from the root"]),
    ("unknown policy", "Root", "DenyRootUsr", NameNotFoundError,
     ['item 1 ("DenyRootUsr")', "policy 'DenyRootUsr' matches nothing", "SERVICE_CONTROL_POLICY",
      "Close candidates: DenyRootUser"]),
    ("wrong case", "Root", "fullawsaccess", NameNotFoundError, ["Close candidates: FullAWSAccess"]),
    ("malformed policy ID", "Root", "p-abc", NameNotFoundError, ["not a policy ID either"]),
]


@pytest.mark.parametrize("case, target, policy, error, parts", REFUSED, ids=[r[0] for r in REFUSED])
def test_unknown_names_are_refused_with_close_candidates(
        directory: Directory, case: str, target: str, policy: str, error: type[Exception],
        parts: list[str]) -> None:
    with pytest.raises(error) as caught:
        plan_attachments(parse_config(None, {target: [policy]}), directory)
    for part in parts:
        assert part in str(caught.value), f"{part!r} not in {str(caught.value)!r}"


def test_a_policy_name_of_a_disabled_type_says_so_with_the_command(
        org: dict[str, Any], orgs_client: Any, directory: Directory) -> None:
    orgs_client.enable_policy_type(RootId=org["root"], PolicyType="BACKUP_POLICY")
    orgs_client.create_policy(Name="DailyBackups", Description="x", Type="BACKUP_POLICY", Content="{}")
    orgs_client.disable_policy_type(RootId=org["root"], PolicyType="BACKUP_POLICY")
    with pytest.raises(PolicyTypeNotEnabledError) as caught:
        plan_attachments(parse_config(None, {"Root": ["DailyBackups"]}), directory)
    assert str(caught.value) == (
        'org-policies:attachments, target "Root", item 1 ("DailyBackups"): policy \'DailyBackups\' is a '
        "BACKUP_POLICY, and policies of that type are not enabled in this organization.\nEnable the type "
        f"first: aws organizations enable-policy-type --root-id {org['root']} --policy-type BACKUP_POLICY.")


def test_two_accounts_with_the_same_name_are_ambiguous(org: dict[str, Any], orgs_client: Any,
                                                       directory: Directory) -> None:
    orgs_client.create_account(AccountName="prod-app", Email="prod-app-2@example.com")
    with pytest.raises(AmbiguousNameError) as caught:
        plan_attachments(parse_config(None, {"prod-app": ["DenyRootUser"]}), directory)
    message = str(caught.value)
    assert 'target "prod-app"' in message and "matches 2 accounts" in message
    assert org["accounts"]["prod-app"] in message and "Use the ID" in message


def test_one_policy_name_in_two_types_is_ambiguous() -> None:
    # AWS (and the endpoint) refuse a second policy with a name in use, whatever its type;
    # should a listing ever show two, the name is refused rather than one picked.
    class TwoTypes(Directory):
        def root(self) -> RootSummary:
            return RootSummary("r-ab12", frozenset({SCP, "TAG_POLICY"}))

        def policies(self, policy_type: str) -> list[PolicySummary]:
            return [PolicySummary(f"p-{policy_type[:3].lower()}00001", "Baseline", policy_type)]

    with pytest.raises(AmbiguousNameError) as caught:
        TwoTypes(NoApi()).policy("Baseline")
    assert str(caught.value) == ("policy 'Baseline' matches 2 policies: p-ser00001 (SERVICE_CONTROL_POLICY), "
                                 "p-tag00001 (TAG_POLICY).\nUse the ID of the one you mean instead of the name.")


@pytest.mark.parametrize("first, second", [("Root", "{root}"), ("Root/Workloads", "{ous.Root/Workloads}"),
                                           ("sandbox-1", "{accounts.sandbox-1}")])
def test_two_keys_for_one_target_are_a_duplicate(org: dict[str, Any], directory: Directory,
                                                 first: str, second: str) -> None:
    second = fill(org, second)
    with pytest.raises(ConfigError) as caught:
        plan_attachments(parse_config(None, {first: ["DenyRootUser"], second: ["RestrictRegions"]}),
                         directory)
    assert f'"{first}" and "{second}" are the same target ({second})' in str(caught.value)
    assert str(caught.value).startswith(f'org-policies:attachments, target "{second}"')


def test_one_policy_by_name_and_by_id_on_a_target_is_a_duplicate(org: dict[str, Any],
                                                                 directory: Directory) -> None:
    policy_id = org["policies"]["FullAWSAccess"]
    with pytest.raises(ConfigError) as caught:
        plan_attachments(parse_config(None, {"Root": ["FullAWSAccess", policy_id]}), directory)
    assert f'items 1 ("FullAWSAccess") and 2 ("{policy_id}") are the same policy' in str(caught.value)


def test_aws_failures_name_what_was_being_listed(endpoint: Any, org: dict[str, Any]) -> None:
    endpoint.control.set_faults(1.0, ["ConcurrentModificationException"], operations=["ListAccounts"])
    api = OrganizationsApi(retry=RetryPolicy(max_attempts=2, sleep=lambda _: None))
    with pytest.raises(OrganizationLookupError) as caught:
        plan_attachments(parse_config(None, {"prod-app": ["p-FullAWSAccess"]}), Directory(api))
    message = str(caught.value)
    assert message.startswith('org-policies:attachments, target "prod-app": Could not list the accounts')
    assert "ConcurrentModificationException" in message and "aws:profile" in message
    assert ".." not in message.replace("...", "")  # the AWS layer's sentence ends once
