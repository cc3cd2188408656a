"""The pure decisions shared by the provider and the guard."""

import pytest

from provider import rules
from provider.limits import Limits, limits_from_config
from provider.rules import Detach, TargetState

SCP = "SERVICE_CONTROL_POLICY"
FULL_AWS_ACCESS_DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
DENY_ROOT_DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'
ALLOW_LIST_DOC = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ec2:*"],"Resource":"*"}}'


TODAY = Limits()  # AWS's numbers as of the table's date
OLD = limits_from_config({SCP: {"maximum": 5, "documentCharacters": 5120}})  # before 2026-05-15


def ids_(count: int, prefix: str = "p-extra") -> frozenset[str]:
    return frozenset(f"{prefix}{n:04d}" for n in range(count))


@pytest.mark.parametrize("case, state, detaching, limits, verdict", [
    ("the target's last SCP", TargetState(SCP, frozenset({"p-a"})), "p-a", TODAY, Detach.TOO_FEW),
    ("one stays", TargetState(SCP, frozenset({"p-a", "p-FullAWSAccess"})), "p-a", TODAY, Detach.ALLOWED),
    ("a replacement declared in the same run", TargetState(SCP, frozenset({"p-a"}), arriving=frozenset({"p-c"})),
     "p-a", TODAY, Detach.ALLOWED),
    ("declaring the one being detached does not save it",
     TargetState(SCP, frozenset({"p-a"}), arriving=frozenset({"p-a"})), "p-a", TODAY, Detach.TOO_FEW),
    ("the other one already leaves in this run",
     TargetState(SCP, frozenset({"p-a", "p-b"}), leaving=frozenset({"p-b"})), "p-a", TODAY, Detach.TOO_FEW),
    ("an arriving policy of unknown type may replace it",
     TargetState(SCP, frozenset({"p-a"}), unknowns=1), "p-a", TODAY, Detach.ALLOWED_IF_UNKNOWN_REPLACES),
    ("a policy created in this update replaces it",
     TargetState(SCP, frozenset({"p-a"}), new_documents=(FULL_AWS_ACCESS_DOC,)), "p-a", TODAY, Detach.ALLOWED),
    ("no minimum for tag policies", TargetState("TAG_POLICY", frozenset({"p-a"})), "p-a", TODAY, Detach.ALLOWED),
    ("no minimum for RCPs", TargetState("RESOURCE_CONTROL_POLICY", frozenset({"p-a"})), "p-a", TODAY,
     Detach.ALLOWED),
    ("an override's minimum counts",
     TargetState("TAG_POLICY", frozenset({"p-a"})), "p-a", limits_from_config({"TAG_POLICY": {"minimum": 1}}),
     Detach.TOO_FEW),
])
def test_judge_detach_minimum(case, state, detaching, limits, verdict):
    assert rules.judge_detach(state, detaching, limits).verdict is verdict


DOCUMENTS = {"p-deny": DENY_ROOT_DOC, "p-allow": ALLOW_LIST_DOC, "p-bad": "{not json"}


@pytest.mark.parametrize("case, state, detaching, verdict, read", [
    ("FullAWSAccess stays: nothing read", TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny", "p-allow"})),
     "p-allow", Detach.ALLOWED, []),
    ("FullAWSAccess leaves, a deny-only SCP stays",
     TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny"})), "p-FullAWSAccess", Detach.LOCKS_OUT, ["p-deny"]),
    ("an allow-list stays", TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny", "p-allow"})),
     "p-FullAWSAccess", Detach.ALLOWED, ["p-allow"]),
    ("a deny leaves: never a lockout", TargetState(SCP, frozenset({"p-deny", "p-bad"})), "p-deny",
     Detach.ALLOWED, ["p-deny"]),
    ("an unreadable document stays: never a guess", TargetState(SCP, frozenset({"p-FullAWSAccess", "p-bad"})),
     "p-FullAWSAccess", Detach.ALLOWED, ["p-bad"]),
    ("an allowing policy created in this update",
     TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny"}), new_documents=(ALLOW_LIST_DOC,)),
     "p-FullAWSAccess", Detach.ALLOWED, []),
    ("an arriving policy of unknown document: never a guess",
     TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny"}), unknowns=1), "p-FullAWSAccess", Detach.ALLOWED, []),
    ("RCPs have no lockout rule", TargetState("RESOURCE_CONTROL_POLICY", frozenset({"p-FullAWSAccess", "p-deny"})),
     "p-FullAWSAccess", Detach.ALLOWED, []),
])
def test_judge_detach_lockout_reads_only_what_it_needs(case, state, detaching, verdict, read):
    """The lockout rule reads documents lazily, and only where FullAWSAccess does not settle it."""
    asked: list[str] = []

    def documents(policy_id: str):
        asked.append(policy_id)
        return DOCUMENTS.get(policy_id)

    assert rules.judge_detach(state, detaching, TODAY, documents).verdict is verdict
    assert asked == read
    if read:  # a decision that read documents said so first (the guard reads them off its event loop)
        assert rules.detach_needs_documents(state, detaching, TODAY)


@pytest.mark.parametrize("case, attached, arriving, leaving, limits, refused_at", [
    ("today: the 6th to the 10th SCP pass, the 11th is refused", 1, 9, 0, TODAY, 11),
    ("the old limit, by override: the 6th is refused", 1, 4, 0, OLD, 6),
    ("a policy leaving first frees its slot", 10, 0, 1, TODAY, 11),
])
def test_judge_attach_counts_attached_arriving_and_leaving(case, attached, arriving, leaving, limits, refused_at):
    on_target, coming = ids_(attached, "p-on"), ids_(arriving, "p-new")
    state = TargetState(SCP, on_target, arriving=coming, leaving=frozenset(sorted(on_target)[:leaving]))
    count = len(state.after()) + 1
    refusal = rules.judge_attach(state, "p-thenext1", limits)
    if count < refused_at:
        assert refusal is None
    else:
        assert refusal is not None and (refusal.count, refusal.maximum) == (count, refused_at - 1)
        assert refusal.attached | refusal.arriving == state.after()
        assert (refusal.attached, refusal.arriving) == (state.attached - state.leaving, state.arriving)


def test_judge_attach_every_slot_up_to_the_maximum_then_one_more():
    attached: frozenset[str] = frozenset({"p-FullAWSAccess"})
    for n in range(9):  # FullAWSAccess plus 9 more: 10
        assert rules.judge_attach(TargetState(SCP, attached), f"p-extra{n:04d}", TODAY) is None
        attached |= {f"p-extra{n:04d}"}
    refusal = rules.judge_attach(TargetState(SCP, attached), "p-eleventh", TODAY)
    assert refusal == rules.TooMany(count=11, maximum=10, attached=attached, arriving=frozenset())


def test_judge_attach_tells_what_is_there_from_what_arrives_in_the_same_run():
    attached = frozenset({"p-FullAWSAccess", *(f"p-old{n:05d}" for n in range(6))})
    arriving = frozenset(f"p-new{n:05d}" for n in range(3))  # 10 with them
    leaving = frozenset({"p-old00000"})
    assert rules.judge_attach(TargetState(SCP, attached, arriving, leaving), "p-eleventh", TODAY) is None
    refusal = rules.judge_attach(TargetState(SCP, attached, arriving | {"p-new00009"}, leaving), "p-eleventh", TODAY)
    assert refusal == rules.TooMany(count=11, maximum=10, attached=attached - leaving,
                                    arriving=arriving | {"p-new00009"})


@pytest.mark.parametrize("policy_type, count, refused", [
    ("TAG_POLICY", 10, False), ("TAG_POLICY", 11, True),
    ("AISERVICES_OPT_OUT_POLICY", 5, False), ("AISERVICES_OPT_OUT_POLICY", 6, True),
    ("RESOURCE_CONTROL_POLICY", 5, False), ("RESOURCE_CONTROL_POLICY", 6, True),
    ("INSPECTOR_POLICY", 40, False),  # no published maximum: left to AWS
])
def test_judge_attach_other_types(policy_type, count, refused):
    state = TargetState(policy_type, ids_(count - 1))
    assert (rules.judge_attach(state, "p-thelastone", TODAY) is not None) is refused


@pytest.mark.parametrize("policy_type, length, limits, too_long", [
    (SCP, 10_240, TODAY, None), (SCP, 10_241, TODAY, 10_240),
    (SCP, 5_120, OLD, None), (SCP, 5_121, OLD, 5_120),
    ("RESOURCE_CONTROL_POLICY", 5_121, TODAY, 5_120),
    ("AISERVICES_OPT_OUT_POLICY", 2_501, TODAY, 2_500),
    ("TAG_POLICY", 10_000, TODAY, None), ("TAG_POLICY", 10_001, TODAY, 10_000),
    ("INSPECTOR_POLICY", 50_000, TODAY, None),  # no published size: left to AWS
])
def test_document_too_long_counts_characters(policy_type, length, limits, too_long):
    assert rules.document_too_long("x" * length, policy_type, limits) == too_long


def test_document_size_counts_characters_not_bytes():
    assert rules.document_too_long("é" * 10_240, SCP, TODAY) is None  # 20,480 bytes in UTF-8


@pytest.mark.parametrize("policy_id, undetachable", [("p-RCPFullAWSAccess", True), ("p-FullAWSAccess", False)])
def test_is_undetachable(policy_id, undetachable):
    assert rules.is_undetachable(policy_id) is undetachable


FULL_AWS_ACCESS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
DENY_ROOT = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",'
             '"Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}')
ALLOW_LIST = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}}'


@pytest.mark.parametrize(
    "document, allows",
    [
        (FULL_AWS_ACCESS, True),
        (ALLOW_LIST, True),  # an allow-list SCP, Statement as a single object
        ('{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"},'
         '{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}', True),  # one Allow among Denies
        ('{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}', True),  # NotAction allows
        ('{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b",'
         '"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}', True),  # conditions not evaluated
        (DENY_ROOT, False),
        ('{"Statement":{"Effect":"Deny","NotAction":["iam:*"],"Resource":"*"}}', False),
        ('{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Deny","Action":["s3:*"]}]}', False),
        # never refuse on a guess: unknown or malformed documents are None
        (None, None),
        ("", None),
        ("{not json", None),
        ("[]", None),
        ('{"Version":"2012-10-17"}', None),  # no Statement
        ('{"Statement":[]}', None),
        ('{"Statement":"Deny"}', None),
        ('{"Statement":["Deny"]}', None),
        ('{"Statement":[{"Effect":"deny","Action":"*"}]}', None),  # Effect is case-sensitive
        ('{"Statement":[{"Effect":"allow","Action":"*"}]}', None),
        ('{"Statement":[{"Action":"*"}]}', None),  # no Effect
        ('{"Statement":[{"Effect":"Deny","Resource":"*"}]}', None),  # no Action nor NotAction
        ('{"Statement":[{"Effect":"Deny","Action":[]}]}', None),
        ('{"Statement":[{"Effect":"Deny","Action":42}]}', None),
        ('{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Deny","Action":7}]}', None),
    ],
)
def test_document_allows(document, allows):
    assert rules.document_allows(document) is allows


@pytest.mark.parametrize(
    "documents, nothing",
    [
        ([DENY_ROOT], True),
        ([DENY_ROOT, '{"Statement":{"Effect":"Deny","Action":"s3:*"}}'], True),
        ([], True),  # no SCP at all (the minimum rule refuses that first)
        ([FULL_AWS_ACCESS], False),
        ([DENY_ROOT, ALLOW_LIST], False),
        ([DENY_ROOT, None], False),  # one document unknown: no verdict of lockout
        ([DENY_ROOT, "{not json"], False),
    ],
)
def test_allows_nothing(documents, nothing):
    assert rules.allows_nothing(documents) is nothing


def test_allows_nothing_stops_at_the_first_allowing_document():
    """Callers pass a lazy iterable so an allowing SCP spares the other lookups."""
    asked = []

    def fetch(document):
        asked.append(document)
        return document

    assert rules.allows_nothing(fetch(d) for d in (FULL_AWS_ACCESS, DENY_ROOT)) is False
    assert asked == [FULL_AWS_ACCESS]


@pytest.mark.parametrize("state, needs", [
    (TargetState(SCP, frozenset({"p-FullAWSAccess", "p-deny"})), False),  # FullAWSAccess stays
    (TargetState(SCP, frozenset({"p-allow", "p-deny"})), True),
    (TargetState(SCP, frozenset({"p-allow"})), False),  # too few: refused without documents
    (TargetState(SCP, frozenset({"p-allow", "p-deny"}), unknowns=1), False),  # never judged a lockout
    (TargetState("TAG_POLICY", frozenset({"p-allow", "p-deny"})), False),
])
def test_detach_needs_documents(state, needs):
    assert rules.detach_needs_documents(state, "p-allow", TODAY) is needs
