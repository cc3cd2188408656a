"""ID formats and the TARGETID:POLICYID resource ID."""

import pytest

from provider import ids
from provider.errors import InvalidAttachmentIdError


@pytest.mark.parametrize(
    "target_id, expected",
    [
        ("r-ab12", "ROOT"),
        ("r-" + "a" * 32, "ROOT"),
        ("ou-ab12-cdef3456", "ORGANIZATIONAL_UNIT"),
        ("123456789012", "ACCOUNT"),
        ("r-ab1", None),  # too short
        ("r-AB12", None),  # upper case
        ("ou-ab12-cdef345", None),  # OU suffix too short
        ("1234567890123", None),  # 13 digits: the model's regex would accept a prefix match
        ("x123456789012", None),
        ("r-ab12 ", None),
        ("", None),
        (None, None),
        (123456789012, None),
    ],
)
def test_target_type_matches_each_alternative_in_full(target_id, expected):
    assert ids.target_type(target_id) == expected


@pytest.mark.parametrize(
    "policy_id, ok",
    [
        ("p-FullAWSAccess", True),
        ("p-12345678", True),
        ("p-abc_DEF_123", True),
        ("p-1234567", False),
        ("p-" + "a" * 129, False),
        ("FullAWSAccess", False),
        ("p-has-dash1", False),
        (None, False),
    ],
)
def test_is_policy_id(policy_id, ok):
    assert ids.is_policy_id(policy_id) is ok


def test_attachment_id_round_trips():
    rid = ids.attachment_id("ou-ab12-cdef3456", "p-12345678")
    assert rid == "ou-ab12-cdef3456:p-12345678"
    assert ids.parse_attachment_id(rid) == ("ou-ab12-cdef3456", "p-12345678")


@pytest.mark.parametrize(
    "bad",
    ["", "p-12345678", "p-12345678:ou-ab12-cdef3456", "r-ab12:p-1:extra", "r-ab12:", ":p-12345678",
     "r-ab12/p-12345678", "garbage:p-12345678"],
)
def test_parse_attachment_id_names_the_expected_format(bad):
    with pytest.raises(InvalidAttachmentIdError) as err:
        ids.parse_attachment_id(bad)
    assert "expected TARGETID:POLICYID" in str(err.value)
    assert repr(bad)[1:-1] in str(err.value)
