"""adopt's pure parts, as tables: how names are written (program.adopt.naming), which
listing is chosen (program.adopt.listing), what is written (program.adopt.adoption)."""

from __future__ import annotations

import pytest

from program.adopt import adoption, listing, naming
from program.adopt.declared import Declared, DeclaredTarget
from program.adopt.snapshot import Snapshot
from program.config import TargetKind
from provider import PolicySummary, TargetSummary

SCP, TAG = "SERVICE_CONTROL_POLICY", "TAG_POLICY"
ROOT = "r-ab12"
FULL = PolicySummary("p-FullAWSAccess", "FullAWSAccess", SCP, aws_managed=True)
DENY = PolicySummary("p-deny000001", "DenyRoot", SCP)
LEAVE = PolicySummary("p-leave00001", "DenyLeave", SCP)
TAGS = PolicySummary("p-tags000001", "Tags", TAG)


PARENTS: dict[str, str] = {}


def ou(n: int, name: str, parent: str = ROOT) -> TargetSummary:
    PARENTS[f"ou-ab12-{n:08d}"] = parent
    return TargetSummary(f"ou-ab12-{n:08d}", name)


def snapshot(ous: tuple[TargetSummary, ...] = (), accounts: dict[str, str] | None = None,
             attached: dict[str, tuple[str, ...]] | None = None,
             policies: tuple[PolicySummary, ...] = (FULL, DENY, LEAVE, TAGS)) -> Snapshot:
    children: dict[str, list[str]] = {ROOT: []}
    for unit in ous:
        children.setdefault(PARENTS[unit.id], []).append(unit.id)
        children.setdefault(unit.id, [])
    accounts = accounts or {}
    scope = (ROOT, *(u.id for u in ous), *accounts)
    return Snapshot(root_id=ROOT, enabled_types=frozenset({SCP, TAG}), ous={u.id: u for u in ous},
                    parents={u.id: PARENTS[u.id] for u in ous},
                    children={k: tuple(v) for k, v in children.items()}, accounts=accounts, policies=policies,
                    scope=scope, attached=attached or {}, types=(SCP,))


# -- naming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind, usable", [
    ("prod-app", TargetKind.ACCOUNT_NAME, True),
    ("Prod App", TargetKind.ACCOUNT_NAME, True),
    ("Root", TargetKind.ACCOUNT_NAME, False),  # the root
    ("root", TargetKind.ACCOUNT_NAME, True),
    ("123456789012", TargetKind.ACCOUNT_NAME, False),  # an account ID
    ("ou-ab12-abcdefgh", TargetKind.ACCOUNT_NAME, False),
    ("team/app", TargetKind.ACCOUNT_NAME, False),  # refused: OU paths start at Root
    ("Root/app", TargetKind.ACCOUNT_NAME, False),  # an OU path
    (" padded", TargetKind.ACCOUNT_NAME, False),
    ("", TargetKind.ACCOUNT_NAME, False),
])
def test_an_account_name_is_written_only_when_the_config_reads_it_as_one(text, kind, usable):
    assert naming.reads_as_target(text, kind) is usable


@pytest.mark.parametrize("name, usable", [
    ("DenyRootUser", True),
    ("p-lookslikeanid", False),  # a policy ID
    ("p-short", True),  # too short for an ID
    ("  spaced", False),
    ("", False),
])
def test_a_policy_name_is_written_only_when_the_config_reads_it_as_a_name(name, usable):
    assert naming.reads_as_policy(name) is usable


def test_ou_paths_and_ids():
    a = ou(1, "Workloads")
    a_child = ou(2, "Prod", a.id)
    dup1, dup2 = ou(3, "Dup"), ou(4, "Dup")
    below_dup = ou(5, "Team", dup1.id)
    slash = ou(6, "a/b")
    spaced = ou(7, "Lab ")
    same_name_elsewhere = ou(8, "Prod")  # another Prod, under the root: no clash with Workloads/Prod
    texts = naming.target_texts(snapshot((a, a_child, dup1, dup2, below_dup, slash, spaced, same_name_elsewhere)))
    assert texts == {ROOT: "Root", a.id: "Root/Workloads", a_child.id: "Root/Workloads/Prod",
                     dup1.id: dup1.id, dup2.id: dup2.id, below_dup.id: below_dup.id, slash.id: slash.id,
                     spaced.id: spaced.id, same_name_elsewhere.id: "Root/Prod"}


def test_account_names_shared_by_two_accounts_are_written_as_ids():
    texts = naming.target_texts(snapshot(accounts={"111111111111": "twin", "222222222222": "twin",
                                                   "333333333333": "solo", "444444444444": "Root"}))
    assert texts == {ROOT: "Root", "111111111111": "111111111111", "222222222222": "222222222222",
                     "333333333333": "solo", "444444444444": "444444444444"}


def test_policy_names_shared_by_two_types_or_declared_by_the_stack_are_written_as_ids():
    twin_tag = PolicySummary("p-twintag0001", "DenyRoot", TAG)
    texts = naming.policy_texts([FULL, DENY, LEAVE, twin_tag], stack_names={"DenyLeave"})
    assert texts == {FULL.id: "FullAWSAccess", DENY.id: DENY.id, twin_tag.id: twin_tag.id, LEAVE.id: LEAVE.id}


# -- listing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_scope, organization, counts, per_policy, budgeted", [
    # the whole organization of the bench: 7,002 targets, 20 custom SCPs: at most 3,521 calls
    (7002, 7002, {SCP: listing.TypeCounts(0, 20, 10)}, True, False),
    # --exclusive: FullAWSAccess is listed too (351 pages)
    (7002, 7002, {SCP: listing.TypeCounts(1, 20, 10)}, True, False),
    # a subtree of 350 targets: 20 to 3,521 calls per policy: tried within a budget of 350
    (350, 7002, {SCP: listing.TypeCounts(0, 20, 10)}, True, True),
    # a small subtree: one call per policy is already more than one per target
    (11, 7002, {SCP: listing.TypeCounts(0, 20, 10)}, False, False),
    (2, 11, {SCP: listing.TypeCounts(0, 3, 10)}, False, False),
    # the sample organization: 3 custom SCPs on 11 targets -> at most 3 + 2 calls
    (11, 11, {SCP: listing.TypeCounts(0, 3, 10)}, True, False),
    # a type with no published maximum: bounded by its number of policies
    (100, 100, {"CHATBOT_POLICY": listing.TypeCounts(0, 25, None)}, True, True),
    # two types: per target pays twice
    (1000, 1000, {SCP: listing.TypeCounts(0, 5, 10), TAG: listing.TypeCounts(0, 5, 10)}, True, False),
])
def test_the_listing_is_per_policy_only_when_it_can_cost_less(in_scope, organization, counts, per_policy, budgeted):
    choice = listing.choose(in_scope=in_scope, in_organization=organization, types=counts)
    assert (choice.per_policy, choice.budgeted) == (per_policy, budgeted)
    assert choice.per_target_calls == in_scope * len(counts)
    assert choice.per_policy_floor <= choice.per_policy_bound
    if per_policy and not budgeted:
        assert choice.per_policy_bound <= choice.per_target_calls  # certainly no more calls
    if not per_policy:
        assert choice.per_policy_floor > choice.per_target_calls  # certainly more calls


def test_the_per_policy_bound_counts_pages_of_20():
    choice = listing.choose(in_scope=7001, in_organization=7001, types={SCP: listing.TypeCounts(1, 20, 10)})
    assert choice.per_policy_floor == 351 + 20  # FullAWSAccess on every target; one call per custom policy
    assert choice.per_policy_bound == 351 + 20 + 3501  # and 10 slots a target filled


# -- adoption -----------------------------------------------------------------------------------

WORKLOADS = ou(1, "Workloads")
ATTACHED = {ROOT: (FULL.id, LEAVE.id), WORKLOADS.id: (FULL.id, DENY.id), "111111111111": (FULL.id,)}
ORG = snapshot((WORKLOADS,), {"111111111111": "dev"}, ATTACHED)
TARGETS = naming.target_texts(ORG)
POLICIES = naming.policy_texts(ORG.policies, ())


def written(options: adoption.Options, declared: Declared = adoption.NOTHING_DECLARED) -> list[tuple]:
    entries, _ = adoption.entries(ORG, TARGETS, POLICIES, options, declared)
    return [(e.key, [(i.policy, i.adopt, i.skip_destroy) for i in e.items], e.existing, e.exclusive)
            for e in entries]


def test_default_adopts_custom_policies_with_import():
    assert written(adoption.Options()) == [
        ("Root", [("DenyLeave", True, False)], False, False),
        ("Root/Workloads", [("DenyRoot", True, False)], False, False)]


def test_managed_policies_come_with_skip_destroy_when_asked():
    assert written(adoption.Options(managed=True)) == [
        ("Root", [("DenyLeave", True, False), ("FullAWSAccess", True, True)], False, False),
        ("Root/Workloads", [("DenyRoot", True, False), ("FullAWSAccess", True, True)], False, False),
        ("dev", [("FullAWSAccess", True, True)], False, False)]


def test_exclusive_lists_everything_attached_without_flags():
    assert written(adoption.Options(exclusive=True)) == [
        ("Root", [("DenyLeave", False, False), ("FullAWSAccess", False, False)], False, True),
        ("Root/Workloads", [("DenyRoot", False, False), ("FullAWSAccess", False, False)], False, True)]


def test_what_the_file_declares_is_never_written_again():
    declared = Declared(targets={ROOT: DeclaredTarget("r-ab12"), WORKLOADS.id: DeclaredTarget("Root/Workloads")},
                        pairs=frozenset({(ROOT, LEAVE.id)}), keys=frozenset({"r-ab12", "Root/Workloads"}),
                        owned=frozenset({(WORKLOADS.id, SCP)}))
    assert written(adoption.Options(managed=True), declared) == [
        ("r-ab12", [("FullAWSAccess", True, True)], True, False),  # under the file's own key
        ("dev", [("FullAWSAccess", True, True)], False, False)]  # Workloads: an exclusive set owns its SCPs


def test_exclusive_notes_a_target_declared_as_a_list_and_a_key_in_use_falls_back_to_the_id():
    declared = Declared(targets={ROOT: DeclaredTarget("Root")}, keys=frozenset({"Root", "Root/Workloads"}))
    entries, notes = adoption.entries(ORG, TARGETS, POLICIES, adoption.Options(exclusive=True), declared)
    assert [n.key for n in notes] == ["Root"]
    assert [e.key for e in entries] == [WORKLOADS.id]  # "Root/Workloads" names something else in the file
