"""program/changes.py: what an update changes per target, from the stack's record,
this run's declarations and the engine's answers. Pure: tables."""

from __future__ import annotations

import pytest

from program.changes import ATTACHMENT, EXCLUSIVE, Action, Change, Declared, Outcome, classify, removed

OU, ACCOUNT = "ou-ab12-cdef3456", "123456789012"


def attachment(policy: str, target: str = OU, *, label: str = "", skip_destroy: bool = False,
               adopt: bool = False) -> Declared:
    return Declared(f"{target}/{policy}", ATTACHMENT, target, "Root/Prod" if target == OU else "sandbox",
                    policy, label or policy, skip_destroy, adopt)


def exclusive(target: str = OU, *, skip_destroy: bool = False) -> Declared:
    return Declared(f"{target}/SERVICE_CONTROL_POLICY", EXCLUSIVE, target, "Root/Prod", "SERVICE_CONTROL_POLICY",
                    "SERVICE_CONTROL_POLICY", skip_destroy)


def by_name(*entries: Declared) -> dict[str, Declared]:
    return {e.name: e for e in entries}


def actions(result) -> list[tuple[str, str, str]]:
    return [(t.target_id, c.action.value, c.policy) for t in result for c in t.changes]


CREATED = Outcome(created=True)

CASES = [
    ("nothing changes", by_name(attachment("p-a")), by_name(attachment("p-a")), {}, []),
    ("a new attachment", {}, by_name(attachment("p-a")), {f"{OU}/p-a": CREATED}, [(OU, "attach", "p-a")]),
    ("declared before, created again (refresh dropped it)", by_name(attachment("p-a")), by_name(attachment("p-a")),
     {f"{OU}/p-a": CREATED}, [(OU, "attach", "p-a")]),
    ("an import of an attachment AWS has", {}, by_name(attachment("p-a", adopt=True)),
     {f"{OU}/p-a": Outcome(created=True, attached_now=True)}, [(OU, "adopt", "p-a")]),
    ("an import of one AWS lacks attaches it", {}, by_name(attachment("p-a", adopt=True)),
     {f"{OU}/p-a": Outcome(created=True, attached_now=False)}, [(OU, "attach", "p-a")]),
    ("removed", by_name(attachment("p-a"), attachment("p-b")), by_name(attachment("p-b")), {},
     [(OU, "detach", "p-a")]),
    ("removed with skip_destroy", by_name(attachment("p-a", skip_destroy=True)), {}, {}, [(OU, "forget", "p-a")]),
    ("replaced: the same entry, a policy this stack re-created",
     by_name(Declared(f"{OU}/Mine", ATTACHMENT, OU, "Root/Prod", "Mine", "Mine")),
     by_name(Declared(f"{OU}/Mine", ATTACHMENT, OU, "Root/Prod", "Mine", "Mine")), {f"{OU}/Mine": CREATED},
     [(OU, "attach", "Mine")]),
    ("a target becomes exclusive", {}, by_name(exclusive()),
     {f"{OU}/SERVICE_CONTROL_POLICY": Outcome(plan_attach=("Allow (p-allow)",), plan_detach=("Full (p-full)",))},
     [(OU, "take over", "SERVICE_CONTROL_POLICY"), (OU, "exclusive attach", "Allow (p-allow)"),
      (OU, "exclusive detach", "Full (p-full)")]),
    ("an exclusive target drifted", by_name(exclusive()), by_name(exclusive()),
     {f"{OU}/SERVICE_CONTROL_POLICY": Outcome(plan_detach=("ByHand (p-hand)",))},
     [(OU, "exclusive detach", "ByHand (p-hand)")]),
    ("an exclusive target unchanged", by_name(exclusive()), by_name(exclusive()),
     {f"{OU}/SERVICE_CONTROL_POLICY": Outcome()}, []),
    ("a target stops being exclusive", by_name(exclusive()), {}, {}, [(OU, "give back", "SERVICE_CONTROL_POLICY")]),
    ("a target stops being exclusive with skip_destroy", by_name(exclusive(skip_destroy=True)), {}, {}, []),
    ("targets in label order, actions in order", by_name(attachment("p-b", ACCOUNT), attachment("p-z")),
     by_name(attachment("p-a", ACCOUNT)), {f"{ACCOUNT}/p-a": CREATED},
     [(OU, "detach", "p-z"), (ACCOUNT, "attach", "p-a"), (ACCOUNT, "detach", "p-b")]),
]


@pytest.mark.parametrize("case, previous, current, outcomes, expected", CASES, ids=[c[0] for c in CASES])
def test_classify(case, previous, current, outcomes, expected):
    assert actions(classify(previous, current, outcomes)) == expected


def test_a_replace_names_the_new_id_and_a_removal_its_entry():
    before = Declared(f"{OU}/Mine", ATTACHMENT, OU, "Root/Prod", "p-old00001", "Mine")
    now = Declared(f"{OU}/Mine", ATTACHMENT, OU, "Root/Prod", "p-new00001", "Mine")
    [target] = classify({before.name: before}, {now.name: now}, {now.name: Outcome(created=True)})
    assert target.changes == [Change(Action.REPLACE, "Mine", "p-new00001", now.name)]
    [target] = classify({before.name: before}, {}, {})
    assert target.changes == [Change(Action.DETACH, "Mine", "p-old00001", before.name)]


@pytest.mark.parametrize("value, expected", [
    (attachment("p-a", skip_destroy=True).to_record(), attachment("p-a", skip_destroy=True)),
    # a record from before the stack kept more than the label
    ("Root/Prod: DenyRootUser", Declared(f"{OU}/p-a", ATTACHMENT, OU, "Root/Prod", "p-a", "DenyRootUser")),
    ("Root/Prod: exclusive SERVICE_CONTROL_POLICY",
     Declared(f"{OU}/p-a", EXCLUSIVE, OU, "Root/Prod", "p-a", "SERVICE_CONTROL_POLICY")),
])
def test_records_read_back(value, expected):
    assert Declared.from_record(f"{OU}/p-a", value) == expected


def test_removed_lists_what_the_run_no_longer_declares_by_label():
    previous = by_name(attachment("p-b"), attachment("p-a"), attachment("p-c"))
    assert [e.key for e in removed(previous, [f"{OU}/p-c"])] == ["p-a", "p-b"]
