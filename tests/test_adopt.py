"""python -m program.adopt against the local endpoint (real boto3 over HTTP): what it
prints, how it names, what it merges, that it only reads, and how it fails."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.stub import Stubber

from program.adopt.command import main
from program.adopt.errors import OrganizationReadError, ReadDeniedError
from program.adopt.readonly import ReadOnlyApi
from program.adopt.scan import ScanRequest, reading, scan
from program.config import ATTACHMENTS_KEY, parse_config
from program.directory import Directory
from program.errors import OrganizationLookupError
from program.plan import plan_targets
from provider import AccessDeniedError, AwsCallError, OrganizationsApi, PolicyAttachmentError
from tests.conftest import SCP_CONTENT

STACK = "adoptee"
SCP = "SERVICE_CONTROL_POLICY"
#: Every Organizations operation that changes something: whatever is not a List* or Describe*.
WRITES = sorted(op for op in botocore.session.get_session().get_service_model("organizations").operation_names
                if not op.startswith(("List", "Describe")))


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def attachments(self) -> dict[str, Any]:
        return dict(yaml.safe_load(self.out)[ATTACHMENTS_KEY] or {})


@pytest.fixture
def folder(tmp_path: Path, org: dict) -> Path:
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text("config:\n  aws:region: us-east-1\n")
    return tmp_path


def adopt(folder: Path, *args: str, api: Any = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--stack", STACK, "--cwd", str(folder), *args], api=api, stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def declared_pairs(attachments: dict[str, Any], config: dict[str, Any] | None = None) -> set[tuple[str, str]]:
    """(target ID, policy ID) of what the mapping declares, resolved by the program itself."""
    config = config or {}
    parsed = parse_config(config.get("org-policies:policies"), attachments)
    planned, exclusive = plan_targets(parsed, Directory(OrganizationsApi()))
    return {(a.target_id, a.policy_id or "") for a in planned} | {
        (e.target_id, p.policy_id or "") for e in exclusive for p in e.policies}


def attached(client: Any, org: dict, policy_type: str = SCP, managed: bool = False) -> set[tuple[str, str]]:
    """Every (target, policy) of ``policy_type`` attached now, asked of the endpoint directly."""
    found = set()
    for policy in client.list_policies(Filter=policy_type)["Policies"]:
        if policy["AwsManaged"] and not managed:
            continue
        for target in client.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]:
            found.add((target["TargetId"], policy["Id"]))
    return found


def new_scp(client: Any, name: str, policy_type: str = SCP, content: str = SCP_CONTENT) -> str:
    return client.create_policy(Name=name, Description=name, Type=policy_type,
                                Content=content)["Policy"]["PolicySummary"]["Id"]


def new_account(client: Any, name: str, parent: str, root: str) -> str:
    n = sum(1 for _ in client.list_accounts()["Accounts"])
    account = client.create_account(Email=f"a{n}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
    if parent != root:
        client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    return account


# -- output shape ------------------------------------------------------------------------


def test_prints_the_sample_organizations_scps_as_import_items(folder, calls):
    run = adopt(folder)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith(f"{ATTACHMENTS_KEY}:\n")
    assert run.attachments == {"Root": [{"policy": "DenyLeaveOrganization", "import": True}]}
    assert not set(calls()) & set(WRITES)


def test_what_it_prints_resolves_to_exactly_what_is_attached(folder, org, orgs_client):
    ous, accounts, policies = org["ous"], org["accounts"], org["policies"]
    for target in (ous["Root/Workloads/Prod"], ous["Root/Sandbox"], accounts["dev-app"], accounts["management"]):
        orgs_client.attach_policy(PolicyId=policies["DenyRootUser"], TargetId=target)
    orgs_client.attach_policy(PolicyId=policies["RestrictRegions"], TargetId=ous["Root/Workloads/Prod"])
    run = adopt(folder)
    assert run.code == 0
    assert list(run.attachments) == ["Root", "Root/Sandbox", "Root/Workloads/Prod", "dev-app", "management"]
    assert run.attachments["Root/Workloads/Prod"] == [{"policy": "DenyRootUser", "import": True},
                                                      {"policy": "RestrictRegions", "import": True}]
    assert declared_pairs(run.attachments) == attached(orgs_client, org)


# -- names and IDs -------------------------------------------------------------------------


def test_ambiguous_or_unwritable_names_are_written_as_ids(folder, org, orgs_client):
    root, workloads = org["root"], org["ous"]["Root/Workloads"]
    deny = org["policies"]["DenyRootUser"]
    twin_a = new_account(orgs_client, "twin", workloads, root)
    twin_b = new_account(orgs_client, "twin", root, root)
    digits = new_account(orgs_client, "123456789012", root, root)  # reads as an account ID
    called_root = new_account(orgs_client, "Root", root, root)
    dup_a = orgs_client.create_organizational_unit(ParentId=workloads, Name="Dup")["OrganizationalUnit"]["Id"]
    dup_b = orgs_client.create_organizational_unit(ParentId=workloads, Name="Dup")["OrganizationalUnit"]["Id"]
    slash = orgs_client.create_organizational_unit(ParentId=root, Name="a/b")["OrganizationalUnit"]["Id"]
    below_slash = orgs_client.create_organizational_unit(ParentId=slash, Name="Team")["OrganizationalUnit"]["Id"]
    unique = orgs_client.create_organizational_unit(ParentId=dup_a, Name="Unique")["OrganizationalUnit"]["Id"]
    id_like = new_scp(orgs_client, "p-lookslikeanid")  # its name would read as a policy ID
    targets = (twin_a, twin_b, digits, called_root, dup_a, dup_b, slash, below_slash, unique)
    for target in targets:
        orgs_client.attach_policy(PolicyId=deny, TargetId=target)
    orgs_client.attach_policy(PolicyId=id_like, TargetId=org["accounts"]["prod-app"])

    run = adopt(folder)
    assert run.code == 0
    written = run.attachments
    for target in targets:  # each by its ID, never by a name that would read as something else
        assert written[target] == [{"policy": "DenyRootUser", "import": True}], target
    assert written["prod-app"] == [{"policy": id_like, "import": True}]
    for quoted in (twin_a, twin_b, digits, called_root):  # account IDs stay strings in YAML
        assert f"'{quoted}':" in run.out
    assert declared_pairs(written) == attached(orgs_client, org)


def test_a_policy_the_stack_creates_under_the_same_name_is_written_by_id(folder, org, orgs_client):
    policy = new_scp(orgs_client, "Guardrail")
    orgs_client.attach_policy(PolicyId=policy, TargetId=org["ous"]["Root/Sandbox"])
    (folder / f"Pulumi.{STACK}.yaml").write_text(
        "config:\n  org-policies:policies:\n    Guardrail: {file: policies/deny-all.json}\n")
    run = adopt(folder)
    assert run.attachments["Root/Sandbox"] == [{"policy": policy, "import": True}]


# -- types and AWS-managed policies ----------------------------------------------------------


@pytest.mark.parametrize("types, expected", [
    ("TAG_POLICY", {"Root/Workloads": [{"policy": "RequireCostCenterTag", "import": True}]}),
    ("SERVICE_CONTROL_POLICY,TAG_POLICY", {"Root": [{"policy": "DenyLeaveOrganization", "import": True}],
                                           "Root/Workloads": [{"policy": "RequireCostCenterTag", "import": True}]}),
    ("RESOURCE_CONTROL_POLICY", {}),  # only RCPFullAWSAccess, AWS-managed: left out
])
def test_types_choose_the_policy_types(folder, org, orgs_client, types, expected):
    orgs_client.attach_policy(PolicyId=org["policies"]["RequireCostCenterTag"], TargetId=org["ous"]["Root/Workloads"])
    run = adopt(folder, "--types", types)
    assert run.code == 0
    assert run.attachments == expected


def test_include_managed_adds_aws_managed_policies_with_skip_destroy(folder, org):
    run = adopt(folder, "--include-managed", "--types", "SERVICE_CONTROL_POLICY,RESOURCE_CONTROL_POLICY")
    assert run.code == 0
    targets = [org["root"], *org["ous"].values(), *org["accounts"].values()]
    assert len(run.attachments) == len(targets) == 11
    assert run.attachments["Root"] == [
        {"policy": "RCPFullAWSAccess", "import": True, "skip_destroy": True},
        {"policy": "DenyLeaveOrganization", "import": True},
        {"policy": "FullAWSAccess", "import": True, "skip_destroy": True}]
    assert run.attachments["sandbox-1"] == [
        {"policy": "RCPFullAWSAccess", "import": True, "skip_destroy": True},
        {"policy": "FullAWSAccess", "import": True, "skip_destroy": True}]


# -- --under -------------------------------------------------------------------------------------


@pytest.mark.parametrize("under", ["Root/Workloads", "ou"])
def test_under_limits_the_scan_to_one_subtree(folder, org, orgs_client, under):
    under = org["ous"]["Root/Workloads"] if under == "ou" else under
    deny = org["policies"]["DenyRootUser"]
    for target in (org["ous"]["Root/Workloads/Dev"], org["accounts"]["prod-app"], org["accounts"]["sandbox-1"]):
        orgs_client.attach_policy(PolicyId=deny, TargetId=target)
    run = adopt(folder, "--under", under)
    assert run.code == 0
    assert run.attachments == {"Root/Workloads/Dev": [{"policy": "DenyRootUser", "import": True}],
                               "prod-app": [{"policy": "DenyRootUser", "import": True}]}


# -- --exclusive ----------------------------------------------------------------------------------


def test_exclusive_lists_every_scp_of_the_target_full_aws_access_included(folder, org, orgs_client):
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=org["ous"]["Root/Sandbox"])
    run = adopt(folder, "--exclusive")
    assert run.code == 0
    assert run.attachments == {
        "Root": {"exclusive": True, "policies": ["DenyLeaveOrganization", "FullAWSAccess"]},
        "Root/Sandbox": {"exclusive": True, "policies": ["DenyRootUser", "FullAWSAccess"]}}
    on_them = {org["root"], org["ous"]["Root/Sandbox"]}
    assert declared_pairs(run.attachments) == {
        pair for pair in attached(orgs_client, org, managed=True) if pair[0] in on_them}


def test_exclusive_leaves_a_target_declared_as_a_list_as_it_is(folder, org):
    path = folder / f"Pulumi.{STACK}.yaml"
    path.write_text("config:\n  org-policies:attachments:\n    Root: [{policy: DenyLeaveOrganization, import: true}]\n")
    before = path.read_text()
    run = adopt(folder, "--exclusive", "--write")
    assert run.code == 0
    assert "note: Root: declared in list form" in run.err
    assert path.read_text() == before


# -- --write: merging -------------------------------------------------------------------------------

COMMENTED = """\
# The production organization.
config:
  aws:region: us-east-1   # where the stack's calls go

  # Guardrails: reviewed by the security team.
  org-policies:attachments:
    Root:
      - {{policy: DenyLeaveOrganization, import: true}}   # on since 2019
    "{sandbox}":                                      # sandbox-1, by its ID
      - {{policy: {deny}, import: true}}

  # Keep it small.
  org-policies:maxRemovals: 3
"""


def test_write_merges_keeps_comments_and_never_declares_twice(folder, org, orgs_client):
    deny, sandbox = org["policies"]["DenyRootUser"], org["accounts"]["sandbox-1"]
    for target in (sandbox, org["ous"]["Root/Workloads"], org["root"]):
        orgs_client.attach_policy(PolicyId=deny, TargetId=target)
    path = folder / f"Pulumi.{STACK}.yaml"
    path.write_text(COMMENTED.format(sandbox=sandbox, deny=deny))

    run = adopt(folder, "--write")
    assert run.code == 0, run.err
    assert run.out.splitlines()[:2] == ["Root: + DenyRootUser", "Root/Workloads: DenyRootUser"]
    assert "Added 2 attachment(s) on 2 target(s)" in run.out
    text = path.read_text()
    comments = [line.strip() for line in COMMENTED.splitlines() if "#" in line]
    assert [line.split("#", 1)[1] for line in text.splitlines() if "#" in line] == [
        c.split("#", 1)[1] for c in comments]  # every comment kept, in order
    assert text.index("Root/Workloads:") < text.index("# Keep it small.")  # appended inside the block
    config = yaml.safe_load(text)["config"]
    assert config["org-policies:maxRemovals"] == 3
    assert config[ATTACHMENTS_KEY] == {
        "Root": [{"policy": "DenyLeaveOrganization", "import": True}, {"policy": "DenyRootUser", "import": True}],
        sandbox: [{"policy": deny, "import": True}],  # declared by ID: not again by name
        "Root/Workloads": [{"policy": "DenyRootUser", "import": True}]}
    assert declared_pairs(config[ATTACHMENTS_KEY]) == attached(orgs_client, org)

    again = adopt(folder, "--write")
    assert (again.code, again.out.strip()) == (0, f"Nothing to add: {path.name} already declares every "
                                                  "attachment found.")
    assert path.read_text() == text


def test_write_into_a_file_without_attachments_starts_the_key(folder, org):
    path = folder / f"Pulumi.{STACK}.yaml"
    path.write_text("encryptionsalt: v1:abc\nconfig:\n  aws:region: us-east-1\n  # end of config\n")
    assert adopt(folder, "--write").code == 0
    text = path.read_text()
    assert text.startswith("encryptionsalt: v1:abc\nconfig:\n  aws:region: us-east-1\n")
    assert yaml.safe_load(text)["config"][ATTACHMENTS_KEY] == {
        "Root": [{"policy": "DenyLeaveOrganization", "import": True}]}
    assert text.rstrip().endswith("# end of config")


def test_write_refuses_a_stack_file_the_program_refuses(folder, org):
    path = folder / f"Pulumi.{STACK}.yaml"
    path.write_text("config:\n  org-policies:attachments:\n    Root: []\n")
    run = adopt(folder, "--write")
    assert run.code == 1
    assert run.err.startswith("error: The stack file's config would be refused by the program")
    assert 'target "Root": the list of policies is empty' in run.err
    assert path.read_text() == "config:\n  org-policies:attachments:\n    Root: []\n"


# -- read-only, access denied, bad arguments ---------------------------------------------------------


def test_never_calls_an_api_that_changes_the_organization(folder, org, orgs_client, endpoint, calls):
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=org["ous"]["Root/Sandbox"])
    endpoint.control.reset_calls()
    for args in ([], ["--write"], ["--include-managed", "--write"], ["--exclusive"],
                 ["--under", "Root/Workloads", "--types", "SERVICE_CONTROL_POLICY,TAG_POLICY"]):
        assert adopt(folder, *args).code == 0
    made = calls()
    assert {op: made.get(op, 0) for op in WRITES} == dict.fromkeys(WRITES, 0)
    assert made.get("ListTargetsForPolicy") and made.get("ListRoots")  # it did read


def stubbed(responses: list[tuple[str, Any]]) -> ReadOnlyApi:
    """A read-only AWS layer whose client answers ``responses`` in order, then nothing."""
    api = ReadOnlyApi()
    stubber = Stubber(api.client)
    for method, answer in responses:
        if isinstance(answer, str):
            stubber.add_client_error(method, service_error_code=answer, service_message="not allowed",
                                     http_status_code=400)
        else:
            stubber.add_response(method, answer)
    stubber.activate()
    return api


ROOT = {"Roots": [{"Id": "r-ab12", "Arn": "arn:aws:organizations::111111111111:root/o-abcdefghij/r-ab12",
                   "Name": "Root", "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}]}]}


def _policy(policy_id: str, name: str, managed: bool) -> dict[str, Any]:
    return {"Id": policy_id, "Arn": f"arn:aws:organizations::aws:policy/{policy_id}", "Name": name,
            "Description": "", "Type": SCP, "AwsManaged": managed}


@pytest.mark.parametrize("denied, before", [
    ("ListRoots", []),
    ("ListTargetsForPolicy", [
        ("list_roots", ROOT),
        ("list_organizational_units_for_parent", {"OrganizationalUnits": []}),
        ("list_accounts", {"Accounts": [{"Id": f"{n:012d}", "Name": f"a{n}"} for n in range(40)]}),
        ("list_policies", {"Policies": [_policy("p-FullAWSAccess", "FullAWSAccess", True),
                                        _policy("p-custom1234", "Custom", False)]})]),
])
def test_access_denied_is_one_line_naming_the_action(folder, denied, before):
    method = "list_roots" if denied == "ListRoots" else "list_targets_for_policy"
    run = adopt(folder, api=stubbed([*before, (method, "AccessDeniedException")]))
    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith(f"error: AWS denied organizations:{denied}: adopt needs the read-only actions")
    assert run.err.count("\n") == 1 and "Traceback" not in run.err


@pytest.mark.parametrize("args, says", [
    (["--stack", "nosuch"], "No stack settings file"),
    (["--types", "SERVICE_CONTROL_POLCY"], "Unknown policy type 'SERVICE_CONTROL_POLCY' in --types (did you mean "
                                           "SERVICE_CONTROL_POLICY?)"),
    (["--types", "BACKUP_POLICY"], "Policy type BACKUP_POLICY is not enabled in this organization"),
    (["--under", "Root/Workload"], "--under 'Root/Workload' names no OU: there is no Root/Workload: close "
                                   "candidates: Root/Workloads."),
    (["--under", "Workloads"], "--under 'Workloads' is not an OU path from the root"),
    (["--under", "ou-zzzz-zzzzzzzz"], "--under 'ou-zzzz-zzzzzzzz' is no OU of this organization"),
    (["--under", "dev-app-id"], "is an account, not an OU"),
    (["--exclusiv"], "unrecognized arguments: --exclusiv"),
])
def test_bad_arguments_get_one_line_and_exit_code_2(folder, org, args, says):
    args = [org["accounts"]["dev-app"] if a == "dev-app-id" else a for a in args]
    out, err = io.StringIO(), io.StringIO()
    argv = args if args[0] == "--stack" else ["--stack", STACK, *args]
    code = main([*argv, "--cwd", str(folder)], stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue().startswith("error: ") and says in err.getvalue()
    assert err.getvalue().count("\n") == 1 and out.getvalue() == ""


def test_a_missing_stack_argument_is_one_line_too(folder, capsys):
    err = io.StringIO()
    assert main(["--cwd", str(folder)], stderr=err) == 2
    assert err.getvalue() == ("error: python -m program.adopt: the following arguments are required: --stack "
                              "(see --help).\n")


# -- scale: pages, the listing chosen, throttling ----------------------------------------------------


def test_every_page_of_child_ous_and_of_a_targets_policies_is_read(folder, org, orgs_client, endpoint, calls):
    """ListOrganizationalUnitsForParent and ListPoliciesForTarget answer 20 a page here."""
    root, deny = org["root"], org["policies"]["DenyRootUser"]
    parent = orgs_client.create_organizational_unit(ParentId=root, Name="Many")["OrganizationalUnit"]["Id"]
    many = [orgs_client.create_organizational_unit(ParentId=parent, Name=f"ou{n:02d}")["OrganizationalUnit"]["Id"]
            for n in range(25)]
    for ou in many:
        orgs_client.attach_policy(PolicyId=deny, TargetId=ou)
    orgs_client.enable_policy_type(RootId=root, PolicyType="CHATBOT_POLICY")  # no per-target maximum
    account = org["accounts"]["sandbox-1"]
    chatbot = [new_scp(orgs_client, f"Chat{n:02d}", "CHATBOT_POLICY", '{"chatbot":{}}') for n in range(25)]
    for policy in chatbot:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)
    endpoint.control.reset_calls()

    run = adopt(folder, "--under", "Root/Many")
    assert [key for key in run.attachments if key != "Root/Many"] == [f"Root/Many/ou{n:02d}" for n in range(25)]
    assert calls()["ListOrganizationalUnitsForParent"] >= 2 + 25  # two pages for Many's children

    endpoint.control.reset_calls()
    run = adopt(folder, "--under", "Root/Sandbox", "--types", "CHATBOT_POLICY")  # 2 targets: per target
    assert run.attachments == {"sandbox-1": [{"policy": f"Chat{n:02d}", "import": True} for n in range(25)]}
    made = calls()
    assert made["ListPoliciesForTarget"] == 1 + 2  # Root/Sandbox, and sandbox-1 in two pages
    assert "ListTargetsForPolicy" not in made


def test_the_listing_is_per_policy_for_the_organization_and_per_target_for_a_small_subtree(folder, endpoint, calls):
    assert adopt(folder).code == 0
    whole = calls()
    assert whole["ListTargetsForPolicy"] == 3  # the three custom SCPs; FullAWSAccess is not asked
    assert "ListPoliciesForTarget" not in whole
    endpoint.control.reset_calls()
    assert adopt(folder, "--under", "Root/Sandbox").code == 0
    subtree = calls()
    assert subtree["ListPoliciesForTarget"] == 2 and "ListTargetsForPolicy" not in subtree


def test_per_policy_within_a_budget_falls_back_to_per_target_once_the_calls_pass_it(endpoint):
    """4 targets, 4 custom SCPs: 4 to 5 calls per policy, 4 per target. The first policy takes
    4 pages (AWS's 20 targets a page): the budget is spent, the rest is listed per target."""
    accounts = [{"Id": f"{n:012d}", "Name": f"a{n}"} for n in range(1, 4)]
    policies = [_policy(f"p-custom{n:04d}", f"Custom{n}", False) for n in range(4)]
    target = {"Arn": "arn:aws:organizations::1:account/o-1/x", "Type": "ACCOUNT", "Name": "a1",
              "TargetId": "000000000001"}
    pages = [("list_targets_for_policy", {"Targets": [target], "NextToken": f"t{n}"}) for n in range(3)]
    attached = {"Policies": [{k: v for k, v in policies[0].items() if k != "Description"}]}
    api = stubbed([("list_roots", ROOT), ("list_organizational_units_for_parent", {"OrganizationalUnits": []}),
                   ("list_accounts", {"Accounts": accounts}), ("list_policies", {"Policies": policies}),
                   *pages, ("list_targets_for_policy", {"Targets": [target]}),
                   *[("list_policies_for_target", attached)] * 4])
    snapshot, choice = scan(api, ScanRequest(types=(SCP,), workers=1))
    assert (choice.budgeted, choice.fell_back) == (True, True)
    assert api.calls == {"ListRoots": 1, "ListOrganizationalUnitsForParent": 1, "ListAccounts": 1,
                         "ListPolicies": 1, "ListTargetsForPolicy": 4, "ListPoliciesForTarget": 4}
    assert snapshot.attached == {t: ("p-custom0000",) for t in ("r-ab12", "000000000001", "000000000002",
                                                                 "000000000003")}


def test_targets_for_policy_follows_every_page():
    """The endpoint (moto) answers ListTargetsForPolicy in one page; AWS pages 20 at a time."""
    api = OrganizationsApi()
    stubber = Stubber(api.client)
    target = {"Arn": "arn:aws:organizations::1:account/o-1/x", "Type": "ACCOUNT"}
    stubber.add_response("list_targets_for_policy", {
        "Targets": [{**target, "TargetId": f"{n:012d}", "Name": f"a{n}"} for n in range(20)], "NextToken": "page2"},
        {"PolicyId": "p-custom1234"})
    stubber.add_response("list_targets_for_policy", {
        "Targets": [{**target, "TargetId": "000000000020", "Name": "a20"}]},
        {"PolicyId": "p-custom1234", "NextToken": "page2"})
    with stubber:
        found = api.targets_for_policy("p-custom1234")
    assert [t.id for t in found] == [f"{n:012d}" for n in range(21)]
    stubber.assert_no_pending_responses()


def test_throttling_goes_through_the_stacks_retry_settings(folder, org, endpoint, orgs_client):
    (folder / f"Pulumi.{STACK}.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  policyAttachment:baseDelay: 0.01\n  policyAttachment:maxDelay: 0.05\n"
        "  policyAttachment:maxAttempts: 20\n")
    quiet = adopt(folder, "--include-managed").attachments
    endpoint.control.set_faults(rate=0.4, codes=["TooManyRequestsException"], seed=7)
    try:
        run = adopt(folder, "--include-managed")
    finally:
        endpoint.control.clear_faults()
    assert run.code == 0, run.err
    assert run.attachments == quiet
    assert sum(endpoint.control.faulted().values()) > 0


def test_progress_goes_to_stderr_only_when_asked(folder, org):
    shown = adopt(folder, "--progress")
    assert shown.code == 0 and "read 11 targets" in shown.err
    assert yaml.safe_load(shown.out) == yaml.safe_load(adopt(folder).out)
    assert adopt(folder).err == ""  # stderr is no terminal here


@pytest.mark.parametrize("raised, expected, headline, says", [
    (AccessDeniedError(operation="ListPolicies", detail="no"), ReadDeniedError,
     "AWS denied organizations:ListPolicies: ", "read-only actions"),
    (AwsCallError(operation="ListRoots", code="ServiceException", message="down"), OrganizationReadError,
     "Could not read the organization: ", "AWS Organizations ListRoots on the organization failed"),
])
def test_failures_of_the_programs_name_lookups_read_as_adopts_own(raised, expected, headline, says):
    """Directory wraps the AWS layer's errors (OrganizationLookupError); adopt still names the action."""
    with pytest.raises(expected) as caught:
        with reading():
            try:
                raise raised
            except PolicyAttachmentError as err:
                raise OrganizationLookupError(what="the policies", reason=str(err)) from err
    assert str(caught.value).startswith(headline) and says in str(caught.value)
    with pytest.raises(expected):  # and the AWS layer's own, unwrapped
        with reading():
            raise raised
