"""The seed file: every kind of bad entry is refused with one line naming file, line and entry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator import SAMPLE_SEED, SeedError
from emulator.limits import BEFORE_2026_05_15, TODAY, LimitsConfig
from emulator.seed import load_seed
from tests.conftest import statement_document

POLICY_JSON = '{"Version": "2012-10-17", "Statement": []}'
OLD_SCP_LIMITS = "limits:\n  SERVICE_CONTROL_POLICY: {maximum: 5, documentCharacters: 5120}\n"


def scps_on_root(count: int) -> str:
    """``count`` SCPs S1, S2, ... all attached to Root (FullAWSAccess makes one more)."""
    names = [f"S{i}" for i in range(1, count + 1)]
    return ("policies:\n" + "".join(f"  - {{name: {n}, content_file: p.json}}\n" for n in names)
            + f"attachments:\n  - target: Root\n    policies: [{', '.join(names)}]\n")


def write_seed(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    for name, content in {"p.json": POLICY_JSON, **(files or {})}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    seed = tmp_path / "org.yaml"
    seed.write_text(textwrap.dedent(text))
    return seed


# (yaml, extra files, line, parts of the message a user needs)
BAD_SEEDS = {
    "missing-policy-json-file": (
        """\
        policies:
          - {name: A, content_file: missing.json}
        """, {}, 2, ["policies[0] (A)", "missing.json not found", "relative to the seed"]),
    "invalid-policy-json": (
        """\
        policies:
          - name: A
            content_file: broken.json
        """, {"broken.json": '{"Version": '}, 2,
        ["policies[0] (A)", "broken.json is not valid JSON", "line 1 column", "fix the JSON"]),
    "unknown-top-level-key": (
        """\
        policys:
          - {name: A, content_file: p.json}
        """, {}, 2, ["policys: unknown key", "use one of: enabled_policy_types"]),
    "unknown-key-in-account": (
        """\
        accounts:
          - {name: a1, parent: Root}
        """, {}, 2, ["accounts[0]", "unknown key 'parent'", "name, ou, email"]),
    "unknown-policy-in-attachment": (
        """\
        policies:
          - {name: A, content_file: p.json}
        attachments:
          - target: Root
            policies: [A, Nope]
        """, {}, 4, ["attachments[0] (target Root)", "policy 'Nope' is not defined",
                     "add it under policies"]),
    "unknown-target-in-attachment": (
        """\
        policies:
          - {name: A, content_file: p.json}
        attachments:
          - {target: nobody, policies: [A]}
        """, {}, 4, ["attachments[0] (target nobody)", "unknown target 'nobody'",
                     "an account name"]),
    "attachment-to-undefined-ou": (
        """\
        organizational_units: [Root/A]
        attachments:
          - {target: Root/B, policies: [FullAWSAccess]}
        """, {}, 3, ["attachments[0] (target Root/B)", "OU 'Root/B' is not defined",
                     "add it to organizational_units"]),
    "ou-path-not-under-root": (
        """\
        organizational_units:
          - Root/Security
          - Workloads/Prod
        """, {}, 3, ["organizational_units[1] ('Workloads/Prod')", "is not under Root",
                     "'Root/Workloads/Prod'"]),
    "ou-path-with-empty-name": (
        """\
        organizational_units: [Root//Prod]
        """, {}, 1, ["organizational_units[0]", "empty, padded or too long name"]),
    "root-listed-as-ou": (
        """\
        organizational_units: [Root]
        """, {}, 1, ["Root is the organization's root, not an OU"]),
    "duplicate-ou-path": (
        """\
        organizational_units:
          - Root/A
          - Root/A
        """, {}, 3, ["organizational_units[1] ('Root/A')", "duplicate OU path"]),
    "duplicate-account-name": (
        """\
        organizational_units: [Root/A, Root/B]
        accounts:
          - {name: app, ou: Root/A}
          - {name: app, ou: Root/B}
        """, {}, 4, ["accounts[1] (app)", "already used", "exactly one OU"]),
    "account-named-like-management": (
        """\
        accounts:
          - {name: management}
        """, {}, 2, ["accounts[0] (management)", "already used"]),
    "duplicate-account-email": (
        """\
        accounts:
          - {name: a1, email: same@example.com}
          - {name: a2, email: same@example.com}
        """, {}, 3, ["accounts[1] (a2)", "email 'same@example.com' is already used"]),
    "account-in-undefined-ou": (
        """\
        accounts:
          - {name: a1, ou: Root/Nowhere}
        """, {}, 2, ["accounts[0] (a1)", "OU 'Root/Nowhere' is not defined"]),
    "duplicate-policy-name": (
        """\
        policies:
          - {name: A, content_file: p.json}
          - {name: A, content_file: p.json}
        """, {}, 3, ["policies[1] (A)", "policy name 'A' is already used"]),
    "policy-named-like-aws-managed": (
        """\
        policies:
          - {name: FullAWSAccess, content_file: p.json}
        """, {}, 2, ["policies[0] (FullAWSAccess)", "already used"]),
    "unknown-policy-type": (
        """\
        policies:
          - {name: A, type: SCP, content_file: p.json}
        """, {}, 2, ["policies[0] (A)", "unknown policy type 'SCP'", "SERVICE_CONTROL_POLICY"]),
    "eleventh-scp-on-a-target": (
        scps_on_root(10), {}, 13, ["attachments[0] (target Root)", "attaching 'S10' makes 11",
                                   "SERVICE_CONTROL_POLICY", "the maximum is 10", "raise its maximum in limits"]),
    "sixth-scp-under-the-seeds-limits": (
        OLD_SCP_LIMITS + scps_on_root(5), {}, 10, ["attachments[0] (target Root)", "attaching 'S5' makes 6",
                                                  "the maximum is 5"]),
    "scp-document-over-10240-characters": (
        """\
        policies:
          - {name: Big, content_file: big.json}
        """, {"big.json": statement_document(10_241)}, 2,
        ["policies[0] (Big)", "big.json has 10,241 characters, a SERVICE_CONTROL_POLICY may have 10,240",
         "raise documentCharacters in limits"]),
    "scp-document-over-the-seeds-5120-characters": (
        OLD_SCP_LIMITS + "policies:\n  - {name: Big, content_file: big.json}\n",
        {"big.json": statement_document(5_121)}, 4, ["big.json has 5,121 characters", "may have 5,120"]),
    "limits-unknown-policy-type": (
        """\
        limits:
          SCP: {maximum: 5}
        """, {}, 2, ["limits.SCP: unknown policy type", "use one of: SERVICE_CONTROL_POLICY"]),
    "limits-unknown-key": (
        """\
        limits:
          SERVICE_CONTROL_POLICY:
            maximum: 5
            max: 5
        """, {}, 4, ["limits.SERVICE_CONTROL_POLICY.max: unknown key", "documentCharacters"]),
    "limits-not-a-whole-number": (
        """\
        limits:
          TAG_POLICY:
            maximum: "5"
        """, {}, 3, ["limits.TAG_POLICY.maximum: must be a whole number, got '5'"]),
    "limits-negative-number": (
        """\
        limits:
          SERVICE_CONTROL_POLICY: {documentCharacters: -1}
        """, {}, 2, ["limits.SERVICE_CONTROL_POLICY.documentCharacters: must not be negative"]),
    "limits-maximum-zero": (
        """\
        policies: []
        limits:
          RESOURCE_CONTROL_POLICY:
            maximum: 0
        """, {}, 4, ["limits.RESOURCE_CONTROL_POLICY.maximum: must be at least 1"]),
    "limits-minimum-above-maximum": (
        """\
        limits:
          TAG_POLICY:
            maximum: 2
            minimum: 3
        """, {}, 4, ["limits.TAG_POLICY.minimum: the minimum, 3, is above the maximum, 2"]),
    "limits-type-not-a-mapping": (
        """\
        limits:
          TAG_POLICY: 5
        """, {}, 2, ["limits.TAG_POLICY: expected an object"]),
    "limits-not-a-mapping": (
        """\
        accounts: []
        limits: [5]
        """, {}, 2, ["limits: expected an object of policy types"]),
    "policy-type-not-enabled": (
        """\
        enabled_policy_types: [SERVICE_CONTROL_POLICY]
        policies:
          - {name: B, type: BACKUP_POLICY, content_file: p.json}
        attachments:
          - {target: Root, policies: [B]}
        """, {}, 5, ["attachments[0] (target Root)", "BACKUP_POLICY, which is not enabled",
                     "add BACKUP_POLICY to enabled_policy_types"]),
    "policy-listed-twice-for-a-target": (
        """\
        attachments:
          - {target: Root, policies: [FullAWSAccess, FullAWSAccess]}
        """, {}, 2, ["policy 'FullAWSAccess' is listed twice"]),
    "target-with-two-entries": (
        """\
        attachments:
          - {target: Root, policies: [FullAWSAccess]}
          - {target: Root, policies: [RCPFullAWSAccess]}
        """, {}, 3, ["attachments[1] (target Root)", "also has an entry at line 2"]),
    "yaml-syntax-error": (
        """\
        accounts:
          - {name: a1
        organizational_units: []
        """, {}, 3, ["invalid YAML", "fix the YAML syntax"]),
    "yaml-duplicate-key": (
        """\
        accounts: []
        accounts: []
        """, {}, 2, ["key 'accounts' appears twice"]),
    "not-a-mapping": ("- just a list\n", {}, 1, ["must be a YAML mapping"]),
    "list-expected": (
        """\
        accounts: {name: a1}
        """, {}, 1, ["accounts: must be a list"]),
}


@pytest.mark.parametrize(("text", "files", "line", "parts"), BAD_SEEDS.values(),
                         ids=BAD_SEEDS.keys())
def test_bad_seed_is_refused_with_file_line_and_entry(
    tmp_path: Path, text: str, files: dict[str, str], line: int, parts: list[str]
) -> None:
    seed = write_seed(tmp_path, text, files)
    with pytest.raises(SeedError) as raised:
        load_seed(seed)
    message = str(raised.value)
    assert message.startswith(f"{seed}:{line}: "), message
    assert "\n" not in message
    for part in parts:
        assert part in message, message


def test_missing_seed_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"nope\.yaml: seed file not found; .*--no-seed"):
        load_seed(tmp_path / "nope.yaml")


def test_parents_are_implicit_and_defaults_filled(tmp_path: Path) -> None:
    seed = write_seed(tmp_path, """\
        organizational_units: [Root/Workloads/Prod/Web]
        accounts:
          - {name: My App, ou: Root/Workloads/Prod}
        policies:
          - {name: A, content_file: policies/a.json}
        attachments:
          - {target: My App, policies: [FullAWSAccess, A]}
        """, {"policies/a.json": POLICY_JSON})
    spec = load_seed(seed)
    assert spec.ous == ("Root/Workloads", "Root/Workloads/Prod", "Root/Workloads/Prod/Web")
    assert spec.accounts[0].email == "my-app@example.com"
    assert spec.policies[0].policy_type == "SERVICE_CONTROL_POLICY"
    assert spec.enabled_policy_types == ("SERVICE_CONTROL_POLICY",)
    assert spec.management_account_name == "management"


def test_nine_own_scps_plus_full_aws_access_fit_on_one_target(tmp_path: Path) -> None:
    names = [f"S{i}" for i in range(1, 10)]
    policies = "".join(f"  - {{name: {n}, content_file: p.json}}\n" for n in names)
    seed = write_seed(tmp_path, f"policies:\n{policies}attachments:\n"
                                f"  - {{target: Root, policies: [{', '.join(names)}]}}\n")
    assert load_seed(seed).attachments[0].policies == tuple(names)


def test_seed_limits_are_the_ones_it_is_checked_against(tmp_path: Path) -> None:
    seed = write_seed(tmp_path, OLD_SCP_LIMITS + scps_on_root(4).replace("p.json", "max.json"),
                      {"max.json": statement_document(5_120)})
    spec = load_seed(seed)
    assert spec.limits == LimitsConfig.from_json(BEFORE_2026_05_15)
    assert spec.limits.limits_for("SERVICE_CONTROL_POLICY").numbers() == (1, 5, 5_120)
    assert len(spec.attachments[0].policies) == 4


def test_limits_given_to_load_seed_replace_the_files(tmp_path: Path) -> None:
    seed = write_seed(tmp_path, OLD_SCP_LIMITS + scps_on_root(9))
    with pytest.raises(SeedError, match="the maximum is 5"):
        load_seed(seed)
    assert load_seed(seed, TODAY).limits == TODAY


def test_a_seed_without_limits_has_todays(tmp_path: Path) -> None:
    assert load_seed(write_seed(tmp_path, "accounts: []\n")).limits == TODAY


def test_every_aws_policy_type_is_accepted(tmp_path: Path) -> None:
    seed = write_seed(tmp_path, """\
        enabled_policy_types: [SERVICE_CONTROL_POLICY, BACKUP_POLICY, CHATBOT_POLICY]
        policies:
          - {name: C, type: CHATBOT_POLICY, content_file: p.json}
        attachments:
          - {target: Root, policies: [C]}
        """)
    assert load_seed(seed).policies[0].policy_type == "CHATBOT_POLICY"


def test_sample_seed_loads() -> None:
    spec = load_seed(SAMPLE_SEED)
    assert [p.name for p in spec.policies] == [
        "DenyLeaveOrganization", "RestrictRegions", "DenyRootUser", "RequireCostCenterTag"]
    assert "BACKUP_POLICY" not in spec.enabled_policy_types
