"""program.run() under Pulumi's mocks: the resources it registers, their names
and resolved inputs, the guard hooks, and refusals before any registration.

Hooks are observed where the engine would see them: a MockMonitor subclass
records each RegisterResourceHook call (the hook names the program registers)
and the ``hooks`` binding of each RegisterResourceRequest (the names bound to
each resource). ``MockResourceArgs`` carries no hooks, and the mock monitor
never calls them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from unittest import mock

import pulumi
import pytest
import yaml
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs

import program
import provider
from program import ConfigError
from program.removals import RemovalLimitError
from provider import guard
from provider.guard import BEFORE_DELETE_EXCLUSIVE_HOOK, BEFORE_DELETE_HOOK

ROOT_DIR = Path(__file__).resolve().parent.parent
ATTACHMENT = "pulumi-python:dynamic/organizations:PolicyAttachment"
AWS_POLICY = "aws:organizations/policy:Policy"
GUARD_HOOKS = {BEFORE_DELETE_HOOK}
#: registered on every run (the exclusive sets' delete hook), bound to no attachment
REGISTERED_HOOKS = GUARD_HOOKS | {BEFORE_DELETE_EXCLUSIVE_HOOK}
OU = "ou-ab12-cdef3456"
ACCOUNT = "111111111111"


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers every registration with ``<name>-id`` and records it. The stack's
    record (RemovalLimit) answers as its provider's check would, given the
    previous record ``record_olds`` (None: a stack with no record yet)."""

    def __init__(self, record_olds: Optional[dict[str, Any]] = None) -> None:
        self.resources: list[MockResourceArgs] = []
        self.record_olds = record_olds

    def new_resource(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        self.resources.append(args)
        if args.typ == REMOVAL_LIMIT:
            from program.removals import RemovalLimitProvider

            olds = {"declared": self.record_olds} if self.record_olds is not None else {}
            return f"{args.name}-id", RemovalLimitProvider().check(olds, dict(args.inputs)).inputs
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: Any) -> tuple[dict, Optional[list]]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """The mock monitor, also recording hook registrations and bindings."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registered_hooks: list[str] = []
        self.bindings: dict[str, dict[str, list[str]]] = {}

    def RegisterResourceHook(self, request: Any) -> Any:
        self.registered_hooks.append(request.name)
        return super().RegisterResourceHook(request)

    def RegisterResource(self, request: Any) -> Any:
        self.bindings[request.name] = {"before_delete": list(request.hooks.before_delete),
                                       "before_create": list(request.hooks.before_create)}
        return super().RegisterResource(request)


@dataclass
class Run:
    """What one program run registered and exported."""

    monitor: RecordingMonitor
    mocks: RecordingMocks
    exports: dict[str, Any] = field(default_factory=dict)
    guard: Optional[guard.Guard] = None  # the run's plan-time guard

    def of_type(self, typ: str) -> dict[str, dict[str, Any]]:
        return {r.name: r.inputs for r in self.mocks.resources if r.typ == typ}

    def attachments(self) -> dict[str, tuple[str, str, bool]]:
        return {name: (i["target_id"], i["policy_id"], i["skip_destroy"])
                for name, i in self.of_type(ATTACHMENT).items()}


LAST_RUN: Optional[Run] = None


class NoAws:
    """An OrganizationsApi stand-in that fails the test on any use."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the program asked AWS ({name}) for a config that needs no lookup")


def run_program(config: dict[str, Any], *, api: Any = None, project_dir: Optional[Path] = None,
                preview: bool = False, before: Callable[[], None] = lambda: None,
                record_olds: Optional[dict[str, Any]] = None) -> Run:
    """Run program.run() in a fresh mock engine with ``config`` as the stack config."""
    mocks = RecordingMocks(record_olds)
    monitor = RecordingMonitor(mocks)
    # Each run gets its own event loop and root stack, as each engine run does; other test
    # modules' asyncio.run() leaves no current loop behind, which set_mocks needs.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(mocks, project="org-policies", stack="test", preview=preview,
                             monitor=monitor)
    pulumi.runtime.set_all_config({key: value if isinstance(value, str) else json.dumps(value)
                                   for key, value in {"aws:region": "us-east-1", **config}.items()})
    result = Run(monitor, mocks)
    global LAST_RUN
    LAST_RUN = result

    @pulumi.runtime.test
    def body() -> Any:
        try:
            before()
            result.guard = guard.current()
            program.run(api=api, project_dir=project_dir)
        except Exception as err:  # noqa: BLE001 - re-raised once the hooks are registered
            return settle_then_raise(err)
        return None

    try:
        with mock.patch("pulumi.export", side_effect=lambda k, v: result.exports.__setitem__(k, v)):
            body()
    finally:
        # Leave no engine, config or loop behind for other test modules.
        pulumi.runtime.settings.reset_options()
        pulumi.runtime.set_all_config({})
        loop.close()
        asyncio.set_event_loop(None)
    return result


async def settle_then_raise(err: Exception) -> None:
    """Let the hook registrations the run started finish, then fail the run.

    The SDK's run loop does not wait for a hook registration that has not
    started when the program raises; under mocks the loop is reused, the
    orphaned registration runs during the next test and crashes grpc. The CLI
    ends the process on a failed run, so only tests need this.
    """
    hooks = guard.current()._hooks or ()
    await asyncio.gather(*(hook._registered for hook in hooks), return_exceptions=True)
    raise err


def registered_by_last_run() -> list[MockResourceArgs]:
    """Resources the last run_program registered, also when it raised."""
    assert LAST_RUN is not None
    return LAST_RUN.mocks.resources


def registered_before_the_attachments(run: Run, typ: str) -> MockResourceArgs:
    """The one resource of type ``typ`` the run registered, checked to come before
    every attachment and policy (the program waits for the engine's answer to it)."""
    types = [r.typ for r in run.mocks.resources]
    (found,) = [r for r in run.mocks.resources if r.typ == typ]
    later = [n for n, t in enumerate(types) if t in (ATTACHMENT, AWS_POLICY)]
    assert not later or types.index(typ) < min(later), types
    return found


def attachments_config(mapping: dict[str, Any]) -> dict[str, Any]:
    return {"org-policies:attachments": mapping}


#: A stack that declares no attachment, on purpose.
DECLARES_NONE = {"org-policies:attachments": {}, "org-policies:allowEmpty": True}
UNRESOLVED = "pulumi-python:dynamic/org-policies:UnresolvedName"
REMOVAL_LIMIT = "pulumi-python:dynamic/org-policies:RemovalLimit"


# -- IDs only: no AWS ------------------------------------------------------------------


def test_ids_need_no_aws_call_and_name_each_attachment_target_slash_policy() -> None:
    run = run_program(attachments_config({
        OU: ["p-examplepolicy1", {"policy": "p-FullAWSAccess", "skip_destroy": True}],
        ACCOUNT: ["p-examplepolicy1"],
    }), api=NoAws())
    assert run.attachments() == {
        f"{OU}/p-examplepolicy1": (OU, "p-examplepolicy1", False),
        f"{OU}/p-FullAWSAccess": (OU, "p-FullAWSAccess", True),
        f"{ACCOUNT}/p-examplepolicy1": (ACCOUNT, "p-examplepolicy1", False),
    }
    assert run.exports["attachments"] == {
        ACCOUNT: ["p-examplepolicy1"], OU: ["p-FullAWSAccess", "p-examplepolicy1"]}


def test_the_users_own_hooks_are_kept_once_next_to_the_guards() -> None:
    def declare_with_user_hooks() -> None:
        mine = pulumi.ResourceHook("my-audit", lambda args: None)
        provider.PolicyAttachment("mine", policy_id="p-examplepolicy1", target_id=OU,
                                  opts=pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(
                                      before_delete=[mine], before_create=[mine])))

    run = run_program(DECLARES_NONE, api=NoAws(), before=declare_with_user_hooks)
    assert run.monitor.bindings["mine"] == {"before_delete": ["my-audit", BEFORE_DELETE_HOOK],
                                            "before_create": ["my-audit"]}


def test_import_true_adopts_through_the_import_id_input() -> None:
    """``import: true`` becomes PolicyAttachment's import_ option, which the
    resource turns into the import_id input (see provider.resource)."""
    run = run_program(attachments_config({
        OU: [{"policy": "p-FullAWSAccess", "import": True}, "p-examplepolicy1"]}), api=NoAws())
    inputs = {r.name: r.inputs for r in run.mocks.resources}
    assert inputs[f"{OU}/p-FullAWSAccess"]["import_id"] == f"{OU}:p-FullAWSAccess"
    assert "import_id" not in inputs[f"{OU}/p-examplepolicy1"]


def test_every_attachment_carries_the_guards_delete_hook_and_no_create_hook() -> None:
    run = run_program(attachments_config({OU: ["p-examplepolicy1", "p-examplepolicy2"]}), api=NoAws())
    assert sorted(run.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)
    for name in run.attachments():
        assert run.monitor.bindings[name] == {"before_delete": [BEFORE_DELETE_HOOK], "before_create": []}


@pytest.mark.parametrize("config", [{}, attachments_config(None), attachments_config({})],
                         ids=["no key", "null", "empty map without allowEmpty"])
def test_guard_hooks_are_registered_even_when_the_config_is_refused(config: dict[str, Any]) -> None:
    # The engine looks the hooks up by name to delete the attachments that carry them.
    with pytest.raises(ConfigError) as caught:
        run_program(config, api=NoAws())
    assert "org-policies:allowEmpty: true" in str(caught.value)
    assert registered_by_last_run() == []
    assert sorted(LAST_RUN.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)


def test_guard_hooks_are_registered_when_nothing_is_declared_on_purpose() -> None:
    # A run that no longer declares any attachment must still register the hooks: the
    # engine looks them up by name to delete the attachments that carry them.
    run = run_program(DECLARES_NONE, api=NoAws())
    assert [r.typ for r in run.mocks.resources] == [REMOVAL_LIMIT] and run.attachments() == {}
    assert sorted(run.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)
    assert run.exports["attachments"] == {}


def test_each_run_in_one_process_registers_the_hooks_once_with_its_own_engine() -> None:
    # An Automation API inline program runs preview, then up, in one process.
    first = run_program(attachments_config({OU: ["p-examplepolicy1"]}), api=NoAws())
    second = run_program(attachments_config({OU: ["p-examplepolicy1"]}), api=NoAws())
    assert sorted(first.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)
    assert sorted(second.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)


def test_hooks_registered_earlier_in_the_same_run_are_not_registered_again() -> None:
    # `import provider` inside a program run (the CLI's __main__.py) registers the hooks
    # before run() is called; the engine refuses a second registration of a name.
    def import_time_registration() -> None:
        guard.register_guard()

    run = run_program(attachments_config({OU: ["p-examplepolicy1"]}), api=NoAws(),
                      before=import_time_registration)
    assert sorted(run.monitor.registered_hooks) == sorted(REGISTERED_HOOKS)


def test_reordering_the_config_changes_no_name_or_input() -> None:
    forward = run_program(attachments_config({
        OU: ["p-examplepolicy1", "p-examplepolicy2"], ACCOUNT: ["p-examplepolicy2"]}), api=NoAws())
    backward = run_program(attachments_config({
        ACCOUNT: ["p-examplepolicy2"], OU: ["p-examplepolicy2", "p-examplepolicy1"]}), api=NoAws())
    assert forward.attachments() == backward.attachments()
    assert forward.exports == backward.exports


# -- policies this stack creates ----------------------------------------------------------


def test_stack_policies_are_created_from_their_file_and_attached_by_their_id(org: dict[str, Any]) -> None:
    # The only AWS call: ListRoots, for the policy types enabled on the root.
    run = run_program({
        "org-policies:policies": {
            "DenyS3PublicAccessChanges": {"file": "policies/deny-s3-public-access.json",
                                          "description": "Keep S3 Block Public Access on."},
        },
        "org-policies:attachments": {OU: ["DenyS3PublicAccessChanges"]},
    })
    document = json.loads((ROOT_DIR / "policies/deny-s3-public-access.json").read_text())
    policy = run.of_type(AWS_POLICY)["DenyS3PublicAccessChanges"]
    assert policy["name"] == "DenyS3PublicAccessChanges"
    assert policy["type"] == "SERVICE_CONTROL_POLICY"
    assert json.loads(policy["content"]) == document
    assert policy["description"] == "Keep S3 Block Public Access on."
    assert run.attachments() == {
        f"{OU}/DenyS3PublicAccessChanges": (OU, "DenyS3PublicAccessChanges-id", False)}
    assert run.exports["attachments"] == {OU: ["DenyS3PublicAccessChanges"]}
    # the guard knows the document of the policy behind that attachment (its ID is unknown
    # in a preview), to judge a lockout by what the file says
    assert run.guard is not None and run.guard.ledger.new_policies == {f"{OU}/DenyS3PublicAccessChanges": guard.NewPolicy(
        "DenyS3PublicAccessChanges", "SERVICE_CONTROL_POLICY", policy["content"])}


def test_every_policy_file_in_the_repository_is_a_valid_document(org: dict[str, Any]) -> None:
    files = sorted(p.relative_to(ROOT_DIR).as_posix() for p in (ROOT_DIR / "policies").glob("*.json"))
    assert files, "policies/ should hold example documents"
    run = run_program({**DECLARES_NONE, "org-policies:policies": {
        Path(f).stem: {"file": f} for f in files}})
    assert sorted(run.of_type(AWS_POLICY)) == sorted(Path(f).stem for f in files)


OLD_LIMITS = {"org-policies:limits": {"SERVICE_CONTROL_POLICY": {"maximum": 5, "documentCharacters": 5120}}}


@pytest.mark.parametrize("policy_type, length, limits", [
    ("SERVICE_CONTROL_POLICY", 10_240, {}), ("SERVICE_CONTROL_POLICY", 5_120, OLD_LIMITS),
    ("TAG_POLICY", 10_000, {}), ("INSPECTOR_POLICY", 50_000, {})],
    ids=["SCP at the limit", "SCP at the old limit, by override", "tag policy at the limit",
         "a type with no published limit"])
def test_a_document_within_its_types_limit_once_minified_is_accepted(
        tmp_path: Path, org: dict[str, Any], orgs_client: Any, policy_type: str, length: int,
        limits: dict[str, Any]) -> None:
    if policy_type == "INSPECTOR_POLICY":
        orgs_client.enable_policy_type(RootId=org["root"], PolicyType=policy_type)
    (tmp_path / "doc.json").write_text(document_of(length, indent=4))  # longer as a file: whitespace
    run = run_program({"org-policies:policies": {"Doc": {"file": "doc.json", "type": policy_type}},
                       **DECLARES_NONE, **limits}, project_dir=tmp_path)
    assert len(run.of_type(AWS_POLICY)["Doc"]["content"]) == length


def test_a_stack_policy_of_a_type_not_enabled_on_the_root_is_refused_with_the_command(
        org: dict[str, Any]) -> None:
    config = {"org-policies:policies": {"Backups": {"file": "policies/deny-s3-public-access.json",
                                                    "type": "BACKUP_POLICY"}}, **DECLARES_NONE}
    with pytest.raises(ConfigError) as caught:
        run_program(config)
    message = str(caught.value)
    assert message.startswith('org-policies:policies, policy "Backups": policies of type BACKUP_POLICY '
                              "are not enabled in this organization")
    assert (f"aws organizations enable-policy-type --root-id {org['root']} --policy-type BACKUP_POLICY"
            in message)
    assert registered_by_last_run() == []


def test_pulumi_aws_is_not_imported_without_stack_policies() -> None:
    with mock.patch.dict("sys.modules", {"pulumi_aws": None}):  # any import would fail
        run = run_program(attachments_config({OU: ["p-examplepolicy1"]}), api=NoAws())
    assert list(run.attachments()) == [f"{OU}/p-examplepolicy1"]


# -- refusals before any registration -------------------------------------------------------

BAD_DOCUMENT = {"org-policies:policies": {"Bad": {"file": "bad.json"}},
                "org-policies:attachments": {OU: ["Bad"]}}
TAG_DOCUMENT = {"org-policies:policies": {"Bad": {"file": "bad.json", "type": "TAG_POLICY"}},
                "org-policies:attachments": {OU: ["Bad"]}}


def document_of(length: int, indent: int = 0) -> str:
    """A policy document of ``length`` characters once minified; ``indent`` pads the file."""
    empty = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Deny", "Action": "s3:x",
                                                     "Resource": "*"}]}
    padding = length - len(json.dumps(empty, separators=(",", ":")))
    empty["Statement"][0]["Sid"] = "x" * padding
    return json.dumps(empty, indent=indent or None)

# (case, config, files in the project dir, error class, message parts). The config's own
# rules are tests/test_config.py's; these rows check what only a run shows: that run()
# sees every config key, reads values that are not JSON, checks the retry settings and
# reads the policy files.
REFUSED = [
    ("a misspelt config key", {"org-policies:attachment": {OU: ["p-examplepolicy1"]}}, {}, ConfigError,
     ["org-policies:attachment", "did you mean org-policies:attachments?"]),
    ("a config value that is not JSON", {"org-policies:attachments": "Root"}, {}, ConfigError,
     ["org-policies:attachments", "not a string"]),
    ("bad retry setting", {**attachments_config({OU: ["p-examplepolicy1"]}),
                           "policyAttachment:maxAttempts": "0"}, {}, ConfigError,
     ["policyAttachment:maxAttempts: must be a whole number from 1 to 50", "not '0'"]),
    ("missing policy file", {**BAD_DOCUMENT}, {}, ConfigError,
     ["org-policies:policies", 'policy "Bad"', "bad.json", "no such file"]),
    ("invalid JSON", {**BAD_DOCUMENT}, {"bad.json": '{"Version": "2012-10-17",}'}, ConfigError,
     ['policy "Bad"', "bad.json", "not valid JSON", "line 1"]),
    ("JSON not an object", {**BAD_DOCUMENT}, {"bad.json": "[1]"}, ConfigError,
     ['policy "Bad"', "bad.json", "not an object"]),
    ("SCP over 10,240 characters", {**BAD_DOCUMENT}, {"bad.json": document_of(10_241)}, ConfigError,
     ['org-policies:policies, policy "Bad", file bad.json', "10,241 characters once minified",
      "AWS allows at most 10,240 for a SERVICE_CONTROL_POLICY"]),
    ("SCP over 5,120 characters under the old limit", {**BAD_DOCUMENT, **OLD_LIMITS},
     {"bad.json": document_of(5_121)}, ConfigError,
     ['policy "Bad"', "5,121 characters once minified",
      "this stack's org-policies:limits allow at most 5,120 for a SERVICE_CONTROL_POLICY"]),
    ("limits: not a mapping", {**DECLARES_NONE, "org-policies:limits": "ten"}, {}, ConfigError,
     ["org-policies:limits: ", "must be a mapping of policy type", "Write e.g. org-policies:limits: "
      "{SERVICE_CONTROL_POLICY: {maximum: 10, documentCharacters: 10240}}"]),
    ("limits: a misspelt type", {**DECLARES_NONE, "org-policies:limits": {"SERVICE_CONTROL": {"maximum": 5}}},
     {}, ConfigError, ["org-policies:limits: ", "unknown policy type 'SERVICE_CONTROL'"]),
    ("limits: a bad number", {**DECLARES_NONE, "org-policies:limits": {"SERVICE_CONTROL_POLICY": {"maximum": 0}}},
     {}, ConfigError, ["org-policies:limits: ", "SERVICE_CONTROL_POLICY.maximum must be a whole number, 1 or more"]),
    ("tag policy over 10,000 characters", {**TAG_DOCUMENT}, {"bad.json": document_of(10_001)}, ConfigError,
     ['policy "Bad"', "10,001 characters", "at most 10,000 for a TAG_POLICY"]),
]


@pytest.mark.parametrize("case, config, files, error, parts", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_config_is_refused_before_any_resource_is_registered(
        tmp_path: Path, case: str, config: dict[str, Any], files: dict[str, str],
        error: type[Exception], parts: list[str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(error) as caught:
        run_program(config, api=NoAws(), project_dir=tmp_path)
    for part in parts:
        assert part in str(caught.value), f"{part!r} not in {str(caught.value)!r}"
    assert registered_by_last_run() == []


# -- names, resolved against the local endpoint's sample organization --------------------------


def sample_stack_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT_DIR / "Pulumi.local.yaml").read_text())["config"]


def test_the_sample_stack_resolves_against_the_sample_organization(org: dict[str, Any]) -> None:
    run = run_program(sample_stack_config())
    ous, accounts, policies = org["ous"], org["accounts"], org["policies"]
    expected = {
        (org["root"], policies["DenyLeaveOrganization"], True),
        (ous["Root/Workloads"], policies["RestrictRegions"], False),
        (ous["Root/Workloads"], policies["RequireCostCenterTag"], False),
        (ous["Root/Workloads/Prod"], policies["DenyRootUser"], False),
        (accounts["sandbox-1"], policies["DenyRootUser"], False),
    }
    assert run.attachments() == {f"{t}/{p}": (t, p, skip) for t, p, skip in expected}
    assert run.exports["attachments"] == {
        "Root": ["DenyLeaveOrganization"],
        "Root/Workloads": ["RequireCostCenterTag", "RestrictRegions"],
        "Root/Workloads/Prod": ["DenyRootUser"],
        "sandbox-1": ["DenyRootUser"],
    }
    for name in run.attachments():
        assert set(sum(run.monitor.bindings[name].values(), [])) == GUARD_HOOKS


def test_the_sample_stack_imports_exactly_the_attachments_the_organization_already_has(
        org: dict[str, Any], orgs_client: Any) -> None:
    run = run_program(sample_stack_config())
    inputs = {r.name: r.inputs for r in run.mocks.resources}
    for name, (target_id, policy_id, _) in run.attachments().items():
        policy_type = orgs_client.describe_policy(PolicyId=policy_id)["Policy"]["PolicySummary"]["Type"]
        attached = orgs_client.list_policies_for_target(TargetId=target_id, Filter=policy_type)["Policies"]
        assert (policy_id in {p["Id"] for p in attached}) == ("import_id" in inputs[name]), name


def test_a_name_and_its_id_give_the_same_resource(org: dict[str, Any]) -> None:
    by_name = run_program(attachments_config({"Root/Workloads": ["RestrictRegions"]}))
    by_id = run_program(attachments_config(
        {org["ous"]["Root/Workloads"]: [org["policies"]["RestrictRegions"]]}), api=NoAws())
    assert by_name.attachments() == by_id.attachments()


def test_entries_that_turn_out_the_same_are_refused_before_any_resource_is_registered(
        org: dict[str, Any]) -> None:
    # Which entries turn out the same, and what the message says, is
    # tests/test_program_directory.py's table; here: the run stops before registering anything.
    with pytest.raises(ConfigError) as caught:
        run_program(attachments_config({"Root": ["RestrictRegions"], org["root"]: ["DenyRootUser"]}))
    assert f'"Root" and "{org["root"]}" are the same target' in str(caught.value)
    assert registered_by_last_run() == []


# (case, attachments, the entry's label, message parts). A name that matches nothing (or
# several things) is declared as an UnresolvedName, first, whose check refuses it in preview
# and up; a destroy never checks it (see program.unresolved).
VANISHED = [
    ("unknown OU", {"Root/Workloads/Prd": ["DenyRootUser"], "sandbox-1": ["DenyRootUser"]},
     "Root/Workloads/Prd",
     ['org-policies:attachments, target "Root/Workloads/Prd"', "Root/Workloads/Prod",
      "still holds its attachments (DenyRootUser)", "remove this entry", "destroy --run-program"]),
    ("unknown policy", {"Root/Sandbox": ["DenyRootUsr"], "sandbox-1": ["DenyRootUser"]},
     "Root/Sandbox: DenyRootUsr",
     ['target "Root/Sandbox", item 1 ("DenyRootUsr")', "DenyRootUser", "remove item 1"]),
    ("root in lower case", {"root": ["DenyRootUser"], "sandbox-1": ["DenyRootUser"]}, "root",
     ["account 'root' matches nothing", "The organization's root is written Root"]),
]


@pytest.mark.parametrize("case, attachments, label, parts", VANISHED, ids=[r[0] for r in VANISHED])
def test_a_name_that_resolves_to_nothing_is_declared_unresolved_first_and_the_rest_normally(
        org: dict[str, Any], case: str, attachments: dict[str, Any], label: str, parts: list[str]) -> None:
    run = run_program(attachments_config(attachments))
    first = registered_before_the_attachments(run, UNRESOLVED)
    assert first.name == f"unresolved: {label}"
    for part in parts:
        assert part in first.inputs["message"], f"{part!r} not in {first.inputs['message']!r}"
    sandbox = org["accounts"]["sandbox-1"]
    assert run.attachments() == {f"{sandbox}/{org['policies']['DenyRootUser']}":
                                 (sandbox, org["policies"]["DenyRootUser"], False)}


def test_the_unresolved_names_provider_refuses_every_check_with_its_message() -> None:
    from program.unresolved import UnresolvedNameProvider

    result = UnresolvedNameProvider().check({}, {"message": "Root/Sandbox matches nothing."})
    assert [(f.property, f.reason) for f in result.failures] == [("", "Root/Sandbox matches nothing.")]


def test_two_accounts_with_one_name_are_refused(org: dict[str, Any], orgs_client: Any) -> None:
    orgs_client.create_account(AccountName="prod-app", Email="prod-app-2@example.com")
    run = run_program(attachments_config({"prod-app": ["DenyRootUser"]}))
    first = registered_before_the_attachments(run, UNRESOLVED)
    assert first.name == "unresolved: prod-app" and run.attachments() == {}
    message = first.inputs["message"]
    assert 'target "prod-app"' in message and org["accounts"]["prod-app"] in message
    assert "Use the ID" in message


# -- the removal limit (program.removals) --------------------------------------------------


@pytest.mark.parametrize("config, limit", [
    (attachments_config({OU: ["p-examplepolicy1"]}), 5),
    ({**attachments_config({OU: ["p-examplepolicy1"]}), "org-policies:maxRemovals": 12}, 12),
    ({**attachments_config({OU: ["p-examplepolicy1"]}), "org-policies:allowEmpty": True}, 5),
    (DECLARES_NONE, None),
], ids=["default", "set", "allowEmpty with attachments", "nothing declared on purpose"])
def test_the_record_is_declared_before_the_attachments_with_every_entry(
        config: dict[str, Any], limit: Optional[int]) -> None:
    config = {**config}
    if config["org-policies:attachments"]:
        config["org-policies:attachments"] = {
            OU: ["p-examplepolicy1", {"policy": "p-FullAWSAccess", "skip_destroy": True}]}
    run = run_program(config, api=NoAws())
    first = registered_before_the_attachments(run, REMOVAL_LIMIT)
    assert first.name == "removal-limit"
    assert first.inputs.get("limit") == limit  # the SDK leaves a None input out
    expected = {} if limit is None else {
        f"{OU}/p-examplepolicy1": record("p-examplepolicy1"),
        f"{OU}/p-FullAWSAccess": record("p-FullAWSAccess", skip_destroy=True)}  # kept: the summary names it
    assert first.inputs["declared"] == expected


def record(key: str, target: str = OU, skip_destroy: bool = False, label: Optional[str] = None) -> dict[str, Any]:
    return {"kind": "attachment", "target": target, "target_label": target, "key": key, "label": label or key,
            "skip_destroy": skip_destroy, "adopt": False}


A, B, C = (record(f"p-example{n}000") for n in "abc")
SKIPPED = record("p-exampleskip", skip_destroy=True)

# (case, old declared, new declared, limit, refused count, the record check keeps)
REMOVAL_CHECKS = [
    ("first run", None, {"a": A}, 0, None, {"a": A}),
    ("nothing removed", {"a": A}, {"a": A, "b": B}, 0, None, {"a": A, "b": B}),
    ("at the limit", {"a": A, "b": B, "c": C}, {"c": C}, 2, None, {"c": C}),
    ("past the limit: the previous record stays", {"a": A, "b": B, "c": C}, {"c": C}, 1, 2, {"a": A, "b": B, "c": C}),
    ("skip_destroy removals do not count", {"a": A, "s": SKIPPED}, {"a": A}, 0, None, {"a": A}),
    ("a record from before it kept entries (labels)", {"x/p-examplea000": "Root: A", "y/p-exampleb000": "Root: B"},
     {}, 1, 2, {"x/p-examplea000": "Root: A", "y/p-exampleb000": "Root: B"}),
    ("everything, no limit", {"a": A, "b": B}, {}, None, None, {}),
]


@pytest.mark.parametrize("case, olds, news, limit, refused, kept", REMOVAL_CHECKS,
                         ids=[row[0] for row in REMOVAL_CHECKS])
def test_the_record_check_counts_what_the_last_update_declared_and_this_one_does_not(
        case: str, olds: Optional[dict[str, Any]], news: dict[str, Any], limit: Optional[int],
        refused: Optional[int], kept: dict[str, Any]) -> None:
    from program.removals import RemovalLimitProvider

    provider_ = RemovalLimitProvider()
    result = provider_.check({"declared": olds} if olds is not None else {}, {"declared": news, "limit": limit})
    assert result.failures == []  # never a check failure: the program refuses, once, with the summary
    assert result.inputs["declared"] == kept and result.inputs["previous"] == (olds or {})
    assert result.inputs["refused"] == ({} if refused is None else {"count": refused, "limit": limit})
    diff = provider_.diff("removal-limit", provider_.create(result.inputs).outs, result.inputs)
    assert diff.changes is bool(refused)  # stored as checked: a change only when refused again
    assert provider_.create(result.inputs).outs["previous"] == kept  # settled: "no change" when read back


def test_a_run_past_the_removal_limit_declares_no_attachment_and_names_what_it_removes() -> None:
    previous = {f"{OU}/p-example{n}000": record(f"p-example{n}000", label=f"Policy{n}") for n in "abcdefg"}
    with pytest.raises(RemovalLimitError) as caught:
        run_program(attachments_config({OU: ["p-examplea000"]}), api=NoAws(), record_olds=previous)
    message = str(caught.value)
    assert message.splitlines()[0] == ("Refusing this update: it removes 6 attachments from the stack, more than "
                                       "org-policies:maxRemovals allows (5).")
    assert f"Removed: {OU}: Policyb; {OU}: Policyc;" in message
    assert "org-policies:maxRemovals: 6" in message and "`pulumi destroy --run-program`" in message
    assert [r.typ for r in registered_by_last_run()] == [REMOVAL_LIMIT]
