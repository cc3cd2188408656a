"""The local endpoint enforces AWS's attachment rules, injects faults and counts calls.

Every rule is proved over HTTP with real boto3, each refusal next to a row where the nearly
identical call succeeds. Refused calls must leave the target's policies as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import ControlError
from emulator.faults import FaultConfig, FaultConfigError, FaultInjector
from emulator.limits import BEFORE_2026_05_15
from tests.conftest import statement_document

SCP = "SERVICE_CONTROL_POLICY"
TAG = "TAG_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
BACKUP = "BACKUP_POLICY"
CHATBOT = "CHATBOT_POLICY"  # a document size published, no per-target maximum
INSPECTOR = "INSPECTOR_POLICY"  # no number published at all
ANY_JSON = '{"Version": "2012-10-17", "Statement": []}'

# Well-formed IDs that exist nowhere, and malformed ones.
UNKNOWN_ROOT = "r-zz99"
UNKNOWN_OU = "ou-zz99-zzzz9999"
UNKNOWN_ACCOUNT = "999999999999"
UNKNOWN_POLICY = "p-zzzz9999"

MIN_REASON = "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
MAX_REASON = "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
CONTENT_REASON = "POLICY_CONTENT_LIMIT_EXCEEDED"


@dataclass(frozen=True)
class Step:
    """One call: ``op`` is attach, detach, list (policy = the Filter type), create
    (target = the type) or enable (policy = the type, on the root)."""

    op: str
    policy: str
    target: str = ""


def create(name: str, policy_type: str) -> Step:
    return Step("create", name, policy_type)


def created_and_attached(prefix: str, count: int, policy_type: str, target: str) -> list[Step]:
    names = [f"{prefix}{i}" for i in range(1, count + 1)]
    return [create(n, policy_type) for n in names] + [Step("attach", n, target) for n in names]


#: Root/Sandbox's seeded FullAWSAccess plus the sample's three other SCPs: four of ten slots.
SANDBOX_AT_FOUR_SCPS = [Step("attach", name, "Root/Sandbox")
                        for name in ("RestrictRegions", "DenyRootUser", "DenyLeaveOrganization")]


@dataclass(frozen=True)
class Case:
    call: Step
    code: str | None  # None: the call must succeed
    reason: str | None = None
    message: str = ""
    setup: list[Step] = field(default_factory=list)
    limits: Mapping[str, Mapping[str, int]] | None = None  # an override set before the setup


CASES = {
    # DetachPolicy: the last SCP stays; min 0 types and a second SCP make detach fine.
    "detach-last-scp-from-ou-refused": Case(
        Step("detach", "FullAWSAccess", "Root/Sandbox"),
        "ConstraintViolationException", MIN_REASON, "You must have at least one attached",
    ),
    "detach-last-scp-from-account-refused": Case(
        Step("detach", "FullAWSAccess", "prod-app"),
        "ConstraintViolationException", MIN_REASON, "cannot remove the last policy",
    ),
    "detach-one-of-two-scps-ok": Case(
        Step("detach", "FullAWSAccess", "Root/Sandbox"), None,
        setup=[Step("attach", "RestrictRegions", "Root/Sandbox")],
    ),
    "detach-one-of-two-scps-from-root-ok": Case(
        Step("detach", "DenyLeaveOrganization", "Root"), None,
    ),
    # AWS accepts a detach that leaves only Deny SCPs (every account below locked out):
    # the project's guard refuses it, the endpoint must not.
    "detach-full-aws-access-leaving-deny-only-scp-ok": Case(
        Step("detach", "FullAWSAccess", "Root"), None,
    ),
    "detach-last-tag-policy-ok": Case(
        Step("detach", "RequireCostCenterTag", "Root/Sandbox"), None,
        setup=[Step("attach", "RequireCostCenterTag", "Root/Sandbox")],
    ),
    "detach-not-attached-refused": Case(
        Step("detach", "RestrictRegions", "Root/Sandbox"),
        "PolicyNotAttachedException", message="isn't attached to the specified target",
    ),
    "detach-rcpfullawsaccess-refused": Case(
        Step("detach", "RCPFullAWSAccess", "Root/Workloads"),
        "InvalidInputException", "NON_DETACHABLE_POLICY", "can't detach",
    ),
    "detach-own-rcp-ok": Case(
        Step("detach", "OwnRcp", "Root/Workloads"), None,
        setup=[create("OwnRcp", RCP), Step("attach", "OwnRcp", "Root/Workloads")],
    ),
    # AttachPolicy: duplicates, per-target maxima, type enabled.
    "attach-duplicate-refused": Case(
        Step("attach", "DenyLeaveOrganization", "Root"),
        "DuplicatePolicyAttachmentException", message="already attached",
    ),
    "attach-new-scp-ok": Case(Step("attach", "RestrictRegions", "Root"), None),
    # SCPs: 10 per target since 2026-05-15 (5 before).
    "attach-6th-scp-ok": Case(
        Step("attach", "Extra2", "Root/Sandbox"), None,
        setup=[*SANDBOX_AT_FOUR_SCPS, *created_and_attached("Extra", 1, SCP, "Root/Sandbox"),
               create("Extra2", SCP)],
    ),
    "attach-10th-scp-ok": Case(
        Step("attach", "Extra6", "Root/Sandbox"), None,
        setup=[*SANDBOX_AT_FOUR_SCPS, *created_and_attached("Extra", 5, SCP, "Root/Sandbox"),
               create("Extra6", SCP)],
    ),
    "attach-11th-scp-refused": Case(
        Step("attach", "Extra7", "Root/Sandbox"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*SANDBOX_AT_FOUR_SCPS, *created_and_attached("Extra", 6, SCP, "Root/Sandbox"),
               create("Extra7", SCP)],
    ),
    "attach-11th-scp-to-account-refused": Case(
        Step("attach", "Extra10", "dev-app"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*created_and_attached("Extra", 9, SCP, "dev-app"), create("Extra10", SCP)],
    ),
    # RCPs: still 5 per target, RCPFullAWSAccess included.
    "attach-5th-rcp-ok": Case(
        Step("attach", "Rcp4", "Root/Workloads"), None,
        setup=[*created_and_attached("Rcp", 3, RCP, "Root/Workloads"), create("Rcp4", RCP)],
    ),
    "attach-6th-rcp-refused": Case(
        Step("attach", "Rcp5", "Root/Workloads"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*created_and_attached("Rcp", 4, RCP, "Root/Workloads"), create("Rcp5", RCP)],
    ),
    # The same targets under an override (the control API's PUT /_emulator/limits).
    "attach-5th-scp-ok-under-the-old-limits": Case(
        Step("attach", "Extra1", "Root/Sandbox"), None,
        setup=[*SANDBOX_AT_FOUR_SCPS, create("Extra1", SCP)], limits=BEFORE_2026_05_15,
    ),
    "attach-6th-scp-refused-under-the-old-limits": Case(
        Step("attach", "Extra2", "Root/Sandbox"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*SANDBOX_AT_FOUR_SCPS, *created_and_attached("Extra", 1, SCP, "Root/Sandbox"),
               create("Extra2", SCP)],
        limits=BEFORE_2026_05_15,
    ),
    "attach-3rd-tag-policy-refused-over-an-overridden-maximum-of-2": Case(
        Step("attach", "Tag3", "Root/Security"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*created_and_attached("Tag", 2, TAG, "Root/Security"), create("Tag3", TAG)],
        limits={TAG: {"maximum": 2}},
    ),
    "attach-3rd-inspector-policy-refused-over-an-overridden-maximum-of-2": Case(
        Step("attach", "Many3", "Root/Security"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[Step("enable", INSPECTOR), *created_and_attached("Many", 2, INSPECTOR, "Root/Security"),
               create("Many3", INSPECTOR)],
        limits={INSPECTOR: {"maximum": 2}},
    ),
    "detach-last-tag-policy-refused-under-an-overridden-minimum-of-1": Case(
        Step("detach", "RequireCostCenterTag", "Root/Sandbox"),
        "ConstraintViolationException", MIN_REASON, "at least one attached",
        setup=[Step("attach", "RequireCostCenterTag", "Root/Sandbox")], limits={TAG: {"minimum": 1}},
    ),
    "detach-last-scp-ok-under-an-overridden-minimum-of-0": Case(
        Step("detach", "FullAWSAccess", "Root/Sandbox"), None, limits={SCP: {"minimum": 0}},
    ),
    # No maximum published: more than any published maximum is accepted.
    **{
        f"attach-12th-{policy_type.lower().replace('_', '-')}-ok": Case(
            Step("attach", "Many12", "Root/Security"), None,
            setup=[Step("enable", policy_type), *created_and_attached("Many", 11, policy_type, "Root/Security"),
                   create("Many12", policy_type)],
        )
        for policy_type in (CHATBOT, INSPECTOR)
    },
    "attach-10th-tag-policy-ok": Case(
        Step("attach", "Tag10", "Root/Security"), None,
        setup=[*created_and_attached("Tag", 9, TAG, "Root/Security"), create("Tag10", TAG)],
    ),
    "attach-11th-tag-policy-refused": Case(
        Step("attach", "Tag11", "Root/Security"),
        "ConstraintViolationException", MAX_REASON, "maximum number of policies",
        setup=[*created_and_attached("Tag", 10, TAG, "Root/Security"), create("Tag11", TAG)],
    ),
    "attach-backup-policy-type-not-enabled": Case(
        Step("attach", "Backups", "Root"),
        "PolicyTypeNotEnabledException", message="isn't currently enabled",
        setup=[create("Backups", BACKUP)],
    ),
    "attach-tag-policy-type-enabled-ok": Case(Step("attach", "RequireCostCenterTag", "Root"), None),
    # Unknown and malformed IDs.
    **{
        f"{op}-unknown-{kind}-target-not-found": Case(
            Step(op, policy, target), "TargetNotFoundException", message="TargetId"
        )
        for op, policy in (("attach", "RestrictRegions"), ("detach", "FullAWSAccess"),
                           ("list", SCP))
        for kind, target in (("root", UNKNOWN_ROOT), ("ou", UNKNOWN_OU),
                             ("account", UNKNOWN_ACCOUNT))
    },
    "list-known-account-ok": Case(Step("list", SCP, "prod-app"), None),
    "attach-unknown-policy-not-found": Case(
        Step("attach", UNKNOWN_POLICY, "Root"), "PolicyNotFoundException", message="PolicyId"
    ),
    "detach-unknown-policy-not-found": Case(
        Step("detach", UNKNOWN_POLICY, "Root"), "PolicyNotFoundException", message="PolicyId"
    ),
    "attach-malformed-policy-id": Case(
        Step("attach", "policy-1", "Root"),
        "InvalidInputException", "INVALID_SYNTAX_POLICY_ID", "invalid policy ID",
    ),
    "detach-malformed-target-id": Case(
        Step("detach", "FullAWSAccess", "r-abcd-extra"),
        "InvalidInputException", "INVALID_PATTERN_TARGET_ID", "required pattern",
    ),
    "list-malformed-target-id": Case(
        Step("list", SCP, "12345"),
        "InvalidInputException", "INVALID_PATTERN_TARGET_ID", "required pattern",
    ),
}


class World:
    """Resolves the names used in the table to the seeded (or test-created) IDs."""

    def __init__(self, client: Any, ids: dict[str, Any]) -> None:
        self.client = client
        self.ids = ids
        self.policies = dict(ids["policies"])

    def target(self, name: str) -> str:
        if name == "Root":
            return self.ids["root"]
        return self.ids["ous"].get(name) or self.ids["accounts"].get(name) or name

    def run(self, step: Step) -> Any:
        c = self.client
        if step.op == "enable":
            return c.enable_policy_type(RootId=self.ids["root"], PolicyType=step.policy)
        if step.op == "create":
            created = c.create_policy(Name=step.policy, Description="", Content=ANY_JSON,
                                      Type=step.target)
            self.policies[step.policy] = created["Policy"]["PolicySummary"]["Id"]
            return created
        if step.op == "list":
            return c.list_policies_for_target(TargetId=self.target(step.target),
                                              Filter=step.policy)
        method = c.attach_policy if step.op == "attach" else c.detach_policy
        return method(PolicyId=self.policies.get(step.policy, step.policy),
                      TargetId=self.target(step.target))

    def attached(self, target: str) -> set[str]:
        target_id = self.target(target)
        if not target_id.startswith(("r-", "ou-")) and not target_id.isdigit():
            return set()
        try:
            return {p["Id"] for t in (SCP, TAG, RCP, CHATBOT, INSPECTOR)
                    for p in self.client.list_policies_for_target(TargetId=target_id,
                                                                  Filter=t)["Policies"]}
        except ClientError:
            return set()


OPERATIONS = {"attach": "AttachPolicy", "detach": "DetachPolicy", "list": "ListPoliciesForTarget"}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_aws_rule(case: Case, org: dict[str, Any], endpoint: Any, orgs_client: Any) -> None:
    if case.limits is not None:
        endpoint.control.set_limits(case.limits)
    world = World(orgs_client, org)
    for step in case.setup:
        world.run(step)
    before = world.attached(case.call.target)

    if case.code is None:
        world.run(case.call)
        after = world.attached(case.call.target)
        policy_id = world.policies.get(case.call.policy)
        if case.call.op == "attach":
            assert after == before | {policy_id}
        elif case.call.op == "detach":
            assert after == before - {policy_id}
        return

    with pytest.raises(ClientError) as raised:
        world.run(case.call)
    err = raised.value
    assert err.operation_name == OPERATIONS[case.call.op]
    assert err.response["Error"]["Code"] == case.code
    assert case.message in err.response["Error"]["Message"]
    assert err.response.get("Reason") == case.reason
    assert world.attached(case.call.target) == before, "a refused call changed the target"


def test_rcp_reason_and_scp_message_are_aws_words(org: dict[str, Any], orgs_client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=org["ous"]["Root/Sandbox"])
    assert raised.value.response["Error"]["Message"] == (
        "You cannot remove the last policy attached to the specified target. "
        "You must have at least one attached at all times."
    )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# (case, policy type, document length, refused, limits override)
CONTENT_SIZES = [
    ("SCP at 5,121 (refused before 2026-05-15)", SCP, 5_121, False, None),
    ("SCP at 10,240", SCP, 10_240, False, None),
    ("SCP at 10,241", SCP, 10_241, True, None),
    ("SCP at 5,120 under the old limits", SCP, 5_120, False, BEFORE_2026_05_15),
    ("SCP at 5,121 under the old limits", SCP, 5_121, True, BEFORE_2026_05_15),
    ("RCP at 5,120", RCP, 5_120, False, None),
    ("RCP at 5,121", RCP, 5_121, True, None),
    ("tag policy at 10,000", TAG, 10_000, False, None),
    ("tag policy at 10,001", TAG, 10_001, True, None),
    ("AI opt-out policy at 2,500", "AISERVICES_OPT_OUT_POLICY", 2_500, False, None),
    ("AI opt-out policy at 2,501", "AISERVICES_OPT_OUT_POLICY", 2_501, True, None),
    ("chatbot policy at 10,001", CHATBOT, 10_001, True, None),
    ("inspector policy at 50,000 (no limit published)", INSPECTOR, 50_000, False, None),
    ("inspector policy at 1,001 over an overridden 1,000", INSPECTOR, 1_001, True,
     {INSPECTOR: {"documentCharacters": 1_000}}),
]


@pytest.mark.parametrize("case, policy_type, length, refused, limits", CONTENT_SIZES, ids=[r[0] for r in CONTENT_SIZES])
def test_create_and_update_policy_enforce_the_document_size_of_the_type(
        org: dict[str, Any], endpoint: Any, orgs_client: Any, case: str, policy_type: str, length: int,
        refused: bool, limits: Mapping[str, Mapping[str, int]] | None) -> None:
    if limits is not None:
        endpoint.control.set_limits(limits)
    document = statement_document(length)
    assert len(document) == length
    created = orgs_client.create_policy(Name="Small", Description="x", Type=policy_type,
                                        Content=statement_document(200))["Policy"]["PolicySummary"]["Id"]
    for call in (lambda: orgs_client.create_policy(Name="Big", Description="x", Type=policy_type, Content=document),
                 lambda: orgs_client.update_policy(PolicyId=created, Content=document)):
        if not refused:
            call()
            continue
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ConstraintViolationException"
        assert raised.value.response["Reason"] == CONTENT_REASON
    if refused:  # a refused call changed nothing
        names = {p["Name"] for p in orgs_client.list_policies(Filter=policy_type)["Policies"]}
        assert "Big" not in names
        content = orgs_client.describe_policy(PolicyId=created)["Policy"]["Content"]
        assert len(content) == 200


def test_concurrent_attaches_never_pass_the_maximum(
    org: dict[str, Any], orgs_client: Any, make_client: Any
) -> None:
    """Eleven threads attach eleven SCPs to a target holding FullAWSAccess: exactly nine succeed."""
    setup = orgs_client
    target = org["ous"]["Root/Sandbox"]
    policy_ids = [setup.create_policy(Name=f"Race{i}", Description="", Content=ANY_JSON,
                                      Type=SCP)["Policy"]["PolicySummary"]["Id"]
                  for i in range(11)]
    clients = [make_client() for _ in policy_ids]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(policy_ids))

    def attach(client: Any, policy_id: str) -> None:
        barrier.wait()
        try:
            client.attach_policy(PolicyId=policy_id, TargetId=target)
            outcomes.append("ok")
        except ClientError as err:
            outcomes.append(err.response.get("Reason", err.response["Error"]["Code"]))

    threads = [threading.Thread(target=attach, args=pair)
               for pair in zip(clients, policy_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [MAX_REASON] * 2 + ["ok"] * 9


# --- faults -----------------------------------------------------------------------------------


NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def client(make_client: Any) -> Any:
    """A client that does not retry, so each boto3 call is exactly one request."""
    return make_client(config=NO_RETRIES)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("TooManyRequestsException", 400, "too many requests"),
        ("ConcurrentModificationException", 400, "conflicts with another attempt"),
        ("PolicyChangesInProgressException", 400, "in progress"),
        ("ServiceException", 500, "internal service error"),
    ],
)
def test_fault_fails_the_call_and_changes_nothing(
    code: str, status: int, message: str, org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    target = org["ous"]["Root/Sandbox"]
    endpoint.control.set_faults(rate=1.0, codes=[code])

    with pytest.raises(ClientError) as raised:
        client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=target)

    err = raised.value
    assert (err.operation_name, err.response["Error"]["Code"]) == ("AttachPolicy", code)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert message in err.response["Error"]["Message"]
    endpoint.control.clear_faults()
    attached = client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
    assert [p["Name"] for p in attached] == ["FullAWSAccess"]


def test_throttling_carries_its_modeled_type_field(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    endpoint.control.set_faults(rate=1.0, codes=["TooManyRequests"])  # short name accepted
    with pytest.raises(ClientError) as raised:
        client.list_roots()
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["Type"] == "Throttling"


def test_faults_apply_only_to_the_listed_operations(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    endpoint.control.set_faults(rate=1.0, codes=["ServiceException"], operations=["AttachPolicy"])
    client.list_policies_for_target(TargetId=org["root"], Filter=SCP)  # not faulted
    with pytest.raises(ClientError):
        client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["root"])
    assert endpoint.control.faulted() == {"AttachPolicy": 1}


def test_fault_limit_fails_the_first_calls_then_lets_them_through(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    endpoint.control.set_faults(rate=1.0, codes=["ConcurrentModification"], limit=2)
    outcomes = []
    for _ in range(3):
        try:
            client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["root"])
            outcomes.append("attached")
        except ClientError as err:
            outcomes.append(err.response["Error"]["Code"])
    assert outcomes == ["ConcurrentModificationException"] * 2 + ["attached"]
    assert endpoint.control.faults()["injected"] == 2
    assert endpoint.control.calls() == {"AttachPolicy": 3}


def fault_sequence(endpoint: Any, client: Any, seed: int, calls: int = 24) -> list[str | None]:
    endpoint.control.set_faults(rate=0.5, codes=["TooManyRequests", "ServiceException",
                                                 "ConcurrentModification"], seed=seed)
    sequence: list[str | None] = []
    for _ in range(calls):
        try:
            client.list_roots()
            sequence.append(None)
        except ClientError as err:
            sequence.append(err.response["Error"]["Code"])
    return sequence


def test_same_fault_seed_gives_the_same_sequence(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    first = fault_sequence(endpoint, client, seed=7)
    again = fault_sequence(endpoint, client, seed=7)
    other = fault_sequence(endpoint, client, seed=8)
    assert first == again
    assert first != other
    assert None in first and len(set(first)) > 2, "rate 0.5 should mix passes and codes"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"rate": 1.5}, "rate must be a number from 0 to 1"),
        ({"rate": -0.1}, "rate must be a number from 0 to 1"),
        ({"rate": "often"}, "rate must be a number from 0 to 1"),
        ({"rate": 0.5, "codes": []}, "codes must name at least one"),
        ({"rate": 0.5, "codes": ["Throttled"]}, "unknown fault code 'Throttled'"),
        ({"rate": 0.5, "operations": ["AttachPolicyy"]}, "unknown operations: AttachPolicyy"),
        ({"rate": 0.5, "seed": "x"}, "seed must be an integer"),
        ({"rate": 0.5, "limit": -1}, "limit must be null or an integer >= 0"),
        ({"rate": 0.5, "colour": "red"}, "unknown fields ['colour']"),
        ({"codes": ["ServiceException"]}, "rate is required"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_fault_settings_are_refused_over_http(
    settings: dict[str, Any], problem: str, org: dict[str, Any], endpoint: Any
) -> None:
    with pytest.raises(ControlError) as raised:
        endpoint.control._request("PUT", "faults", settings)
    assert "400" in str(raised.value) and problem in str(raised.value)
    assert endpoint.control.faults()["rate"] == 0.0, "a refused setting must not apply"


def test_fault_injector_draws_from_its_injected_rng() -> None:
    class FixedRng:
        def __init__(self, seed: int) -> None:
            self.values = iter([0.1, 0.9, 0.1])

        def random(self) -> float:
            return next(self.values)

        def choice(self, codes: tuple[str, ...]) -> str:
            return codes[-1]

    injector = FaultInjector(rng_factory=FixedRng)  # type: ignore[arg-type]
    injector.configure(FaultConfig.build(0.5, ["TooManyRequests", "ServiceException"]))
    assert [injector.draw("ListRoots") for _ in range(3)] == [
        "ServiceException", None, "ServiceException"]


@pytest.mark.parametrize(
    ("rate", "codes", "operations"),
    [(2, None, None), (0.1, "TooManyRequests", None), (0.1, None, "AttachPolicy")],
    ids=["rate-over-one", "codes-as-string", "operations-as-string"],
)
def test_fault_config_build_refuses(rate: Any, codes: Any, operations: Any) -> None:
    with pytest.raises(FaultConfigError):
        FaultConfig.build(rate, codes, 0, operations)


# --- call accounting and the control API ---------------------------------------------------


def test_calls_are_counted_per_operation_faulted_or_refused(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    assert endpoint.control.calls() == {}
    client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["root"])
    with pytest.raises(ClientError):  # refused by a rule: still a call AWS received
        client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["root"])
    endpoint.control.set_faults(rate=1.0, codes=["ServiceException"])
    with pytest.raises(ClientError):
        client.list_roots()

    assert endpoint.control.calls() == {"AttachPolicy": 2, "ListRoots": 1}
    assert endpoint.control.faulted() == {"ListRoots": 1}
    endpoint.control.reset_calls()
    assert endpoint.control.calls() == {} and endpoint.control.faulted() == {}


def test_reset_rebuilds_the_sample_and_clears_counts_and_faults(
    org: dict[str, Any], endpoint: Any, client: Any
) -> None:
    client.attach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["root"])
    endpoint.control.set_faults(rate=0.5, codes=["ServiceException"])

    ids = endpoint.control.reset()

    assert ids["organization"] != org["organization"]
    assert ids == endpoint.control.ids() == endpoint.ids
    assert endpoint.control.calls() == {}
    assert endpoint.control.faults()["rate"] == 0.0
    attached = client.list_policies_for_target(TargetId=ids["root"], Filter=SCP)["Policies"]
    assert sorted(p["Name"] for p in attached) == ["DenyLeaveOrganization", "FullAWSAccess"]


def test_sample_organization_matches_its_description(org: dict[str, Any], orgs_client: Any) -> None:
    assert set(org["ous"]) == {"Root/Security", "Root/Workloads", "Root/Workloads/Prod",
                               "Root/Workloads/Dev", "Root/Sandbox"}
    assert set(org["accounts"]) == {"management", "security-tooling", "prod-app", "dev-app",
                                    "sandbox-1"}
    assert org["management_account"] == org["accounts"]["management"]
    assert org["policies"]["FullAWSAccess"] == "p-FullAWSAccess"
    parents = orgs_client.list_parents(ChildId=org["accounts"]["prod-app"])["Parents"]
    assert parents == [{"Id": org["ous"]["Root/Workloads/Prod"], "Type": "ORGANIZATIONAL_UNIT"}]
    root = orgs_client.list_roots()["Roots"][0]
    assert {t["Type"] for t in root["PolicyTypes"]} == {SCP, TAG, RCP}
    tag = orgs_client.describe_policy(PolicyId=org["policies"]["RequireCostCenterTag"])
    assert tag["Policy"]["PolicySummary"]["Type"] == TAG
    assert orgs_client.describe_account(AccountId=org["management_account"])[
        "Account"]["Name"] == "management"


@pytest.mark.parametrize(
    ("method", "route", "status"),
    [("GET", "nowhere", 404), ("POST", "calls", 405), ("GET", "reset", 405)],
)
def test_control_api_refuses_unknown_routes(
    method: str, route: str, status: int, endpoint: Any
) -> None:
    with pytest.raises(ControlError) as raised:
        endpoint.control._request(method, route)
    assert f"failed with {status}" in str(raised.value)


def test_non_organizations_requests_reach_moto_uncounted(
    org: dict[str, Any], endpoint: Any, make_client: Any
) -> None:
    sts = make_client("sts")
    assert sts.get_caller_identity()["Account"] == org["management_account"]
    assert endpoint.control.calls() == {}


def test_session_environment_points_at_the_endpoint(endpoint: Any) -> None:
    import os

    assert os.environ["AWS_ENDPOINT_URL_ORGANIZATIONS"] == endpoint.url
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"


def test_second_in_process_endpoint_is_refused(endpoint: Any) -> None:
    from emulator import start_endpoint

    with pytest.raises(RuntimeError, match="already runs at"):
        start_endpoint(seed=None)
