"""AWS's attachment rules, and the lockout rule, as pure decisions: a snapshot of
a target in, a verdict out.

Nothing here talks to AWS or to Pulumi. The provider (at apply time) and the
plan-time guard (at preview time) only *gather* a :class:`TargetState`: what is
attached now, what this run attaches and detaches, the documents of policies
created in this update, how many arriving attachments are unknown. Then they
ask one function here, so a preview refuses exactly what ``pulumi up`` would:

* :func:`judge_detach`: may this detach happen (the minimum of the type; for
  SCPs, the lockout rule)?
* :func:`judge_attach`: would this attach put more on the target than the type's maximum?
* :func:`plan_exclusive` / :func:`plan_give_back`: the order of calls that makes a
  target's set exactly the declared one, or gives it back what the stack found,
  within the limits and never through a lockout.

Limits (:class:`provider.limits.Limits`) are an argument: AWS's numbers, or the
stack's override of them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

from .limits import SERVICE_CONTROL_POLICY, Limits, TypeLimits
from .ordering import Acceptable, Impossible, Step, given_back, plan_order

#: AWS-managed policies that AWS refuses to detach at all.
UNDETACHABLE_POLICIES = frozenset({"p-RCPFullAWSAccess"})

#: AWS-managed SCPs whose (immutable) document allows every action: no need to
#: read them to know a target that keeps one is not locked out.
ALLOW_ALL_POLICIES = frozenset({"p-FullAWSAccess"})

#: The only values AWS accepts for a statement's Effect (case-sensitive, per the
#: IAM policy grammar that SCPs use).
_EFFECTS = frozenset({"Allow", "Deny"})

#: A policy's document by ID; None when it is gone or unknown. May call AWS:
#: decisions call it lazily, only for what they need, and stop once they know.
Documents = Callable[[str], Optional[str]]


def _no_documents(_: str) -> Optional[str]:
    return None


def is_undetachable(policy_id: str) -> bool:
    """True for AWS-managed policies that can never be detached (RCPFullAWSAccess)."""
    return policy_id in UNDETACHABLE_POLICIES


@dataclass(frozen=True)
class TargetState:
    """One target's policies of one type, as a decision sees them.

    ``attached``: the IDs AWS shows attached now. ``arriving``: IDs this run
    attaches to it. ``leaving``: IDs this run detaches from it, already approved
    (the one being judged is passed separately). ``new_documents``: documents of
    policies of this type that this update creates and attaches (their IDs are
    unknown in a preview). ``unknowns``: arriving attachments whose policy's
    type and document are unknown (an Output ID a program gives); each may be
    the replacement, none is judged a lockout.
    """

    policy_type: str
    attached: frozenset[str]
    arriving: frozenset[str] = frozenset()
    leaving: frozenset[str] = frozenset()
    new_documents: tuple[str, ...] = ()
    unknowns: int = 0

    def after(self, detaching: Iterable[str] = ()) -> frozenset[str]:
        """The IDs the target carries after this run: (attached ∪ arriving) − leaving − ``detaching``."""
        return (self.attached | self.arriving) - self.leaving - frozenset(detaching)


class Detach(Enum):
    """The verdict on one detach (:func:`judge_detach`)."""

    ALLOWED = "allowed"
    #: allowed only by counting an arriving attachment of unknown type as the replacement
    ALLOWED_IF_UNKNOWN_REPLACES = "allowed if an unknown arriving policy replaces it"
    TOO_FEW = "too few"  # the target would be left below the type's minimum (its last SCP)
    LOCKS_OUT = "locks out"  # an SCP target would keep only SCPs that allow nothing


@dataclass(frozen=True)
class DetachDecision:
    """A verdict and what the target keeps (the IDs a refusal names)."""

    verdict: Detach
    remaining: frozenset[str]

    @property
    def allowed(self) -> bool:
        return self.verdict in (Detach.ALLOWED, Detach.ALLOWED_IF_UNKNOWN_REPLACES)


def detach_needs_documents(state: TargetState, policy_id: str, limits: Limits) -> bool:
    """True when :func:`judge_detach` would read documents for this detach: an SCP
    target that keeps enough SCPs, none of them FullAWSAccess, and no unknown
    arrival. Callers that must not block (the guard's hooks) fetch them elsewhere."""
    remaining = state.after([policy_id])
    return (state.policy_type == SERVICE_CONTROL_POLICY and not state.unknowns
            and not _too_few(state, remaining, limits.of(state.policy_type))
            and remaining.isdisjoint(ALLOW_ALL_POLICIES))


def judge_detach(state: TargetState, policy_id: str, limits: Limits,
                 documents: Documents = _no_documents) -> DetachDecision:
    """The verdict on detaching ``policy_id`` from the target ``state`` describes.

    Below the type's minimum: TOO_FEW, unless an arriving attachment of unknown
    type may be the replacement (ALLOWED_IF_UNKNOWN_REPLACES). For an SCP, also
    LOCKS_OUT when the detached SCP allows some action and what the target keeps
    allows none (:func:`detach_locks_out`); never on an unknown document.
    """
    remaining = state.after([policy_id])
    if _too_few(state, remaining, limits.of(state.policy_type)):
        verdict = Detach.ALLOWED_IF_UNKNOWN_REPLACES if state.unknowns else Detach.TOO_FEW
        return DetachDecision(verdict, remaining)
    if (state.policy_type == SERVICE_CONTROL_POLICY and not state.unknowns
            and detach_locks_out(policy_id, remaining, documents, state.new_documents)):
        return DetachDecision(Detach.LOCKS_OUT, remaining)
    return DetachDecision(Detach.ALLOWED, remaining)


def _too_few(state: TargetState, remaining: Set[str], limits: TypeLimits) -> bool:
    return len(remaining) + len(state.new_documents) < limits.minimum


@dataclass(frozen=True)
class TooMany:
    """An attach refused: the target would carry ``count`` policies of the type,
    more than ``maximum``. Besides the new one: ``attached`` (there now and
    staying) and ``arriving`` (this run's other attaches approved before it)."""

    count: int
    maximum: int
    attached: frozenset[str]
    arriving: frozenset[str]


def judge_attach(state: TargetState, policy_id: str, limits: Limits) -> Optional[TooMany]:
    """None when attaching ``policy_id`` (with the run's other ``arriving`` ones,
    minus ``leaving``) keeps the target within its type's maximum; else TooMany.
    A type whose maximum is not published is never refused here."""
    maximum = limits.of(state.policy_type).maximum
    after = (state.attached | state.arriving | {policy_id}) - state.leaving
    if maximum is None or len(after) <= maximum:
        return None
    staying = (state.attached - state.leaving) - {policy_id}
    return TooMany(count=len(after), maximum=maximum, attached=staying, arriving=after - staying - {policy_id})


def document_too_long(document: str, policy_type: str, limits: Limits) -> Optional[int]:
    """The type's limit when ``document`` (as sent to AWS) has more characters than it, else None."""
    maximum = limits.of(policy_type).document_characters
    return maximum if maximum is not None and len(document) > maximum else None


# -- exclusive sets ----------------------------------------------------------------


def plan_exclusive(attached: Iterable[str], declared: Iterable[str], policy_type: str, limits: Limits,
                   documents: Documents = _no_documents) -> tuple[Step, ...] | Impossible:
    """The calls that make the target's ``policy_type`` policies exactly
    ``declared`` (RCPFullAWSAccess stays where it is attached: AWS never detaches
    it), each step within the type's limits and, for SCPs, never leaving the
    target only SCPs that allow nothing."""
    start = frozenset(attached)
    end = frozenset(declared) | (start & UNDETACHABLE_POLICIES)
    return _plan(start, end, policy_type, limits, documents)


def plan_give_back(attached: Iterable[str], found: Iterable[str], declared: Iterable[str], policy_type: str,
                   limits: Limits, documents: Documents = _no_documents) -> tuple[Step, ...] | Impossible:
    """The calls that give the target back what its exclusive set ``found`` when it
    was created (:func:`provider.ordering.given_back`), under the same rules as
    :func:`plan_exclusive`. ``found`` holds only policies that still exist."""
    start = frozenset(attached)
    return _plan(start, given_back(start, found, declared), policy_type, limits, documents)


def _plan(start: frozenset[str], end: frozenset[str], policy_type: str, limits: Limits,
          documents: Documents) -> tuple[Step, ...] | Impossible:
    return plan_order(start, end, limits.of(policy_type), acceptable=lockout_predicate(policy_type, start, documents),
                      undetachable=UNDETACHABLE_POLICIES)


def lockout_predicate(policy_type: str, start: frozenset[str], documents: Documents) -> Acceptable:
    """The lockout rule as the planner's predicate: no step may leave an SCP target
    only SCPs that allow nothing. A target that starts that way cannot be made
    worse, so it is not constrained. Documents are read only when a set without
    FullAWSAccess is judged."""
    if policy_type != SERVICE_CONTROL_POLICY:
        return _always

    def allows(policies: frozenset[str]) -> bool:
        if policies & ALLOW_ALL_POLICIES:
            return True
        return not allows_nothing(documents(p) for p in sorted(policies))

    locked_out: list[bool] = []  # asked only when a step is planned

    def acceptable(policies: frozenset[str]) -> bool:
        if not locked_out:
            locked_out.append(not allows(start))
        return locked_out[0] or allows(policies)

    return acceptable


def _always(_: frozenset[str]) -> bool:
    return True


# -- lockout: SCPs that allow nothing ------------------------------------------------
#
# SCPs only filter: an action is allowed at a root, OU or account only if some SCP
# attached *directly* to it allows it. A target whose SCPs hold Deny statements only
# denies every action to every account below it (the management account excepted),
# and AWS accepts the detach that gets it there.


def document_allows(document: Optional[str]) -> Optional[bool]:
    """Whether an SCP document allows any action.

    True: some statement has ``"Effect": "Allow"`` and an ``Action`` or
    ``NotAction`` (conditions and resources are not evaluated: an Allow counts).
    False: the document is well formed and every statement denies. None: the
    document is unknown or not one AWS would accept (not JSON, no Statement,
    a statement that is not an object, an Effect other than exactly ``Allow`` or
    ``Deny``): callers must never refuse on such a guess.
    """
    if document is None:
        return None
    try:
        parsed: Any = json.loads(document)
    except (TypeError, ValueError):
        return None
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(statements, dict):  # AWS accepts one statement as an object
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return None
    allows = False
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in _EFFECTS:
            return None
        action, not_action = _actions(statement.get("Action")), _actions(statement.get("NotAction"))
        if action is None or not_action is None or not (action or not_action):
            return None  # AWS requires one of them, as a string or a list of strings
        allows = allows or statement["Effect"] == "Allow"
    return allows


def _actions(value: Any) -> Optional[bool]:
    """True for a non-empty action string or list of strings, False when absent,
    None when malformed."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return bool(value)
    return None


def allows_nothing(documents: Iterable[Optional[str]]) -> bool:
    """True when the SCP documents a target keeps, taken together, allow no
    action at all: each is readable and none allows anything. A single unknown
    or unreadable document (None from :func:`document_allows`) makes it False:
    never refuse on a guess. An empty collection allows nothing (True); the
    minimum rule refuses that case first.
    """
    return all(document_allows(document) is False for document in documents)


def detach_locks_out(
    policy_id: str,
    remaining: Iterable[str],
    content: Documents,
    new_documents: Iterable[Optional[str]] = (),
) -> bool:
    """True when detaching the SCP ``policy_id`` takes its target from allowing
    some action to allowing none: the detached SCP allows something and the
    SCPs the target keeps (``remaining`` policy IDs, plus documents of policies
    not created yet) allow nothing (:func:`allows_nothing`).

    Detaching an SCP that allows nothing never takes anything away, even from
    a target that is already locked out, so it is never refused. Documents are
    read through ``content`` lazily, stopping as soon as the answer is known;
    FullAWSAccess is never read.
    """
    remaining = sorted(remaining)
    if any(p in ALLOW_ALL_POLICIES for p in remaining):
        return False
    if policy_id not in ALLOW_ALL_POLICIES and document_allows(content(policy_id)) is not True:
        return False
    return allows_nothing(itertools.chain(new_documents, map(content, remaining)))


def lockout_applies(target_id: str, management_account_id: Optional[str]) -> bool:
    """False for the organization's management account: SCPs never restrict it,
    so leaving it SCPs that allow nothing locks nobody out."""
    return target_id != management_account_id
