"""The pure decisions shared by the provider and the guard."""

import pytest

from provider import rules

SCP = "SERVICE_CONTROL_POLICY"


@pytest.mark.parametrize(
    "policy_type, minimum, maximum",
    [
        ("SERVICE_CONTROL_POLICY", 1, 5),
        ("TAG_POLICY", 0, 10),
        ("BACKUP_POLICY", 0, 10),
        ("AISERVICES_OPT_OUT_POLICY", 0, 5),
        ("RESOURCE_CONTROL_POLICY", 0, 5),
        ("SOME_FUTURE_POLICY", 0, 5),  # unknown types get defaults, not an error
    ],
)
def test_limits_for(policy_type, minimum, maximum):
    assert rules.limits_for(policy_type) == rules.PolicyLimits(minimum, maximum)


@pytest.mark.parametrize(
    "attached, declared, detached, expected",
    [
        ({"a"}, set(), {"a"}, set()),  # last SCP removed
        ({"a", "b"}, set(), {"a"}, {"b"}),
        ({"a", "b"}, set(), {"a", "b"}, set()),  # two last SCPs together
        ({"a"}, {"c"}, {"a"}, {"c"}),  # replacement declared in the same run
        ({"a"}, {"a"}, {"a"}, set()),  # declaring the one being detached does not save it
        (set(), set(), set(), set()),
    ],
)
def test_policies_after(attached, declared, detached, expected):
    assert rules.policies_after(attached, declared, detached) == expected


@pytest.mark.parametrize(
    "policy_type, remaining, too_few",
    [
        ("SERVICE_CONTROL_POLICY", set(), True),
        ("SERVICE_CONTROL_POLICY", {"b"}, False),
        ("TAG_POLICY", set(), False),
        ("RESOURCE_CONTROL_POLICY", set(), False),
    ],
)
def test_detach_leaves_too_few(policy_type, remaining, too_few):
    assert rules.detach_leaves_too_few(policy_type, frozenset(remaining)) is too_few


@pytest.mark.parametrize(
    "policy_type, count, exceeds",
    [
        ("SERVICE_CONTROL_POLICY", 5, False),
        ("SERVICE_CONTROL_POLICY", 6, True),
        ("TAG_POLICY", 10, False),
        ("TAG_POLICY", 11, True),
        ("AISERVICES_OPT_OUT_POLICY", 6, True),
    ],
)
def test_attach_exceeds_maximum(policy_type, count, exceeds):
    after = frozenset(f"p-{i:08d}" for i in range(count))
    assert rules.attach_exceeds_maximum(policy_type, after) is exceeds


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


@pytest.mark.parametrize("policy_type, remaining, arriving, verdict", [
    (SCP, set(), 0, rules.Detach.TOO_FEW),  # the target's last SCP
    (SCP, set(), 1, rules.Detach.READ_DOCUMENTS),  # a new SCP arrives: is it an allow?
    (SCP, {"p-FullAWSAccess"}, 0, rules.Detach.ALLOWED),  # FullAWSAccess stays: nothing to read
    (SCP, {"p-denyonly1"}, 0, rules.Detach.READ_DOCUMENTS),
    ("TAG_POLICY", set(), 0, rules.Detach.ALLOWED),  # no minimum
    ("RESOURCE_CONTROL_POLICY", set(), 0, rules.Detach.ALLOWED),  # no lockout rule for RCPs
])
def test_detach_verdict(policy_type, remaining, arriving, verdict):
    assert rules.detach_verdict(policy_type, frozenset(remaining), arriving) is verdict
