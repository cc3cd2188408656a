"""The AWS layer: one method per Organizations call, and the error mapping.

Both the provider process and the plan-time guard (in the program's process)
talk to AWS through :class:`OrganizationsApi`, so they see the same answers
and raise the same exceptions (:mod:`provider.errors`).

Contracts:

* Clients are created lazily, under a lock (creating boto3 clients from
  several threads at once is unsafe), from a ``boto3.session.Session`` of
  their own, and reused. Credentials and the endpoint come from the standard
  AWS chain (profile, environment, ``AWS_ENDPOINT_URL_ORGANIZATIONS``).
* One retry layer: botocore sends each call once (``total_max_attempts=1``),
  :class:`provider.retry.RetryPolicy` retries throttling, "busy organization"
  codes, service errors and connection errors, each within its bound.
* Listings read every page through botocore's paginators, each built once per
  client (building one creates a class, which costs more than a one-page
  call). The bounded retry runs the whole listing: a failed page starts it again.
* Methods translate AWS error codes and reasons (never message text) into this
  package's exceptions through one pure table (:func:`translate`), which makes no
  call of its own: a caller that can name things better adds what it knows.
  "Already gone" answers become return values where the caller's contract says
  gone is fine.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

import boto3
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import BotoCoreError, ClientError

from . import errors, ids
from .names import policy_display, policy_type_label, target_kind
from .retry import RetryPolicy, error_code, may_have_applied

T = TypeVar("T")

DEFAULT_REGION = "us-east-1"

#: Answers to DetachPolicy that mean the attachment no longer exists.
GONE_ON_DETACH = frozenset(
    {"PolicyNotAttachedException", "PolicyNotFoundException", "TargetNotFoundException"}
)
#: Answers to lookups that mean the target does not exist.
TARGET_MISSING = frozenset(
    {
        "TargetNotFoundException",
        "OrganizationalUnitNotFoundException",
        "AccountNotFoundException",
        "ParentNotFoundException",
    }
)

MIN_REASON = "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
#: InvalidInputException's reason for an AWS-managed policy that cannot be detached.
NON_DETACHABLE_REASON = "NON_DETACHABLE_POLICY"
MAX_REASON = "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


@functools.lru_cache(maxsize=1)
def policy_types() -> frozenset[str]:
    """Policy types of the installed botocore's Organizations model (local data, no
    AWS call): new types arrive with botocore updates, so none is hard-coded."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("organizations")
    return frozenset(model.shape_for("PolicyType").enum)


@dataclass(frozen=True)
class PolicySummary:
    """What this package needs to know about one policy."""

    id: str
    name: str
    type: str
    #: the policy document, when the answer carried it (DescribePolicy does,
    #: ListPoliciesForTarget does not)
    content: Optional[str] = field(default=None, compare=False, repr=False)
    #: AWS manages it (FullAWSAccess, RCPFullAWSAccess): its ``AwsManaged`` flag
    aws_managed: bool = field(default=False, compare=False, repr=False)

    @property
    def display(self) -> str:
        return policy_display(self.id, self.name)


@dataclass(frozen=True)
class TargetSummary:
    """An account or an organizational unit: its ID and name."""

    id: str
    name: str


@dataclass(frozen=True)
class RootSummary:
    """The organization's root and the policy types enabled on it."""

    id: str
    enabled_types: frozenset[str]


#: Most requests :meth:`OrganizationsApi.count_accounts_under` spends counting accounts.
COUNT_CALL_BUDGET = 10


@dataclass(frozen=True)
class AwsSettings:
    """Where and how to reach AWS; nothing here is a credential."""

    region: str = DEFAULT_REGION
    profile: Optional[str] = None
    #: seconds to open a connection, and to wait for an answer, per HTTP request
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    @classmethod
    def from_config(cls, get: Callable[[str], Any]) -> AwsSettings:
        """Build from a Pulumi config getter taking namespaced keys (``aws:region``)."""
        region = get("aws:region") or DEFAULT_REGION
        profile = get("aws:profile") or None
        return cls(region=str(region), profile=str(profile) if profile else None)


@dataclass
class OrganizationsApi:
    """Thin, thread-safe wrapper of the Organizations calls this package makes."""

    settings: AwsSettings = field(default_factory=AwsSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    _client: Any = field(default=None, init=False, repr=False)
    #: botocore paginators of this client, by method name (see :meth:`_paginator`)
    _paginators: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def client(self) -> Any:
        """The boto3 Organizations client, created on first use and reused."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    session = boto3.session.Session(
                        profile_name=self.settings.profile, region_name=self.settings.region
                    )
                    self._client = session.client(
                        "organizations",
                        # One HTTP request per call: self.retry is the only retry layer.
                        config=BotocoreConfig(
                            retries={"mode": "standard", "total_max_attempts": 1},
                            connect_timeout=self.settings.connect_timeout,
                            read_timeout=self.settings.read_timeout,
                        ),
                    )
        return self._client

    # -- calls -----------------------------------------------------------------

    def attach_policy(self, policy_id: str, target_id: str) -> None:
        """Attach ``policy_id`` to ``target_id``; exactly once even when retried.

        Raises AlreadyAttachedError if the attachment existed before this call,
        and the specific error for every other refusal. A Duplicate answer after
        an attempt that failed *ambiguously* (a ServiceException or other 5xx, or
        a connection lost after the request was sent) means that attempt went through and
        only its answer was lost, so it counts as success. After refusals that
        change nothing (ConcurrentModification, throttling, a failed connect) a
        Duplicate is a real one.
        """
        ambiguous = False  # an earlier attempt failed in a way that may have applied it

        def note(err: BaseException) -> None:
            nonlocal ambiguous
            ambiguous = ambiguous or may_have_applied(err)

        try:
            self._call(
                "AttachPolicy",
                lambda: self.client.attach_policy(PolicyId=policy_id, TargetId=target_id),
                on_failure=note,
            )
        except ClientError as err:
            if error_code(err) == "DuplicatePolicyAttachmentException" and ambiguous:
                return
            raise self.translate(err, "AttachPolicy", policy_id=policy_id, target_id=target_id) from err

    def detach_policy(self, policy_id: str, target_id: str, *, policy: str = "", policy_type: str = "") -> bool:
        """Detach; True if this call detached it, False if it was already gone
        (not attached, or the policy or target no longer exists). ``policy`` and
        ``policy_type`` name the policy in an error, when the caller knows them."""
        try:
            self._call(
                "DetachPolicy",
                lambda: self.client.detach_policy(PolicyId=policy_id, TargetId=target_id),
            )
        except ClientError as err:
            if error_code(err) in GONE_ON_DETACH:
                return False
            raise self.translate(err, "DetachPolicy", policy_id=policy_id, target_id=target_id, policy=policy,
                                 policy_type=policy_type) from err
        return True

    def describe_policy(self, policy_id: str) -> Optional[PolicySummary]:
        """The policy's summary, or None when no such policy exists."""
        try:
            answer = self._call(
                "DescribePolicy", lambda: self.client.describe_policy(PolicyId=policy_id)
            )
        except ClientError as err:
            if error_code(err) == "PolicyNotFoundException":
                return None
            raise self.translate(err, "DescribePolicy", policy_id=policy_id) from err
        return _summary(answer["Policy"]["PolicySummary"], answer["Policy"].get("Content"))

    def policies_for_target(self, target_id: str, policy_type: str) -> Optional[list[PolicySummary]]:
        """Policies of ``policy_type`` attached directly to the target (every
        page), or None when the target does not exist."""
        try:
            return self._every_item("ListPoliciesForTarget", "list_policies_for_target", "Policies", _summary,
                                    TargetId=target_id, Filter=policy_type)
        except ClientError as err:
            if error_code(err) in TARGET_MISSING:
                return None
            raise self.translate(err, "ListPoliciesForTarget", target_id=target_id) from err

    def targets_for_policy(self, policy_id: str) -> list[TargetSummary]:
        """Every root, OU and account the policy is attached to directly
        (ListTargetsForPolicy, every page); the target's type is in its ID."""
        return self._list("ListTargetsForPolicy", "list_targets_for_policy", "Targets", _attached_target,
                          PolicyId=policy_id)

    def policies(self, policy_type: str) -> list[PolicySummary]:
        """Every policy of ``policy_type`` in the organization, AWS-managed ones
        included (ListPolicies, every page)."""
        return self._list("ListPolicies", "list_policies", "Policies", _summary, Filter=policy_type)

    def accounts(self) -> list[TargetSummary]:
        """Every account of the organization (ListAccounts, every page)."""
        return self._list("ListAccounts", "list_accounts", "Accounts", _target_summary)

    def child_ous(self, parent_id: str) -> list[TargetSummary]:
        """The OUs directly under ``parent_id``, a root or an OU
        (ListOrganizationalUnitsForParent, every page)."""
        return self._list("ListOrganizationalUnitsForParent", "list_organizational_units_for_parent",
                          "OrganizationalUnits", _target_summary, target_id=parent_id, ParentId=parent_id)

    def root(self) -> RootSummary:
        """The organization's (single) root and its enabled policy types."""
        try:
            answer = self._call("ListRoots", lambda: self.client.list_roots())
        except ClientError as err:
            raise self.translate(err, "ListRoots") from err
        root = answer["Roots"][0]
        enabled = frozenset(
            t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"
        )
        return RootSummary(id=root["Id"], enabled_types=enabled)

    # -- names and counts, for messages and summaries ------------------------------

    def account_name(self, account_id: str) -> Optional[str]:
        """The account's name (DescribeAccount); None when there is no such account."""
        return self._name("DescribeAccount", lambda: self.client.describe_account(AccountId=account_id),
                          "Account", account_id)

    def ou_name(self, ou_id: str) -> Optional[str]:
        """The OU's name (DescribeOrganizationalUnit); None when there is no such OU."""
        return self._name("DescribeOrganizationalUnit",
                          lambda: self.client.describe_organizational_unit(OrganizationalUnitId=ou_id),
                          "OrganizationalUnit", ou_id)

    def _name(self, operation: str, fn: Callable[[], Any], key: str, target_id: str) -> Optional[str]:
        try:
            answer = self._call(operation, fn)
        except ClientError as err:
            if error_code(err) in TARGET_MISSING:
                return None
            raise self.translate(err, operation, target_id=target_id) from err
        return str(answer[key].get("Name") or "") or None

    def parent_id(self, child_id: str) -> Optional[str]:
        """The root or OU directly above an OU or account (ListParents); None when there is no such child."""
        try:
            answer = self._call("ListParents", lambda: self.client.list_parents(ChildId=child_id))
        except ClientError as err:
            if error_code(err) in TARGET_MISSING | {"ChildNotFoundException"}:
                return None
            raise self.translate(err, "ListParents", target_id=child_id) from err
        parents = answer.get("Parents") or []
        return str(parents[0]["Id"]) if parents else None

    def management_account_id(self) -> Optional[str]:
        """The organization's management account (DescribeOrganization)."""
        try:
            answer = self._call("DescribeOrganization", lambda: self.client.describe_organization())
        except ClientError as err:
            raise self.translate(err, "DescribeOrganization") from err
        return answer["Organization"].get("MasterAccountId")

    def accounts_in(self, parent_id: str) -> list[TargetSummary]:
        """The accounts directly under a root or OU (ListAccountsForParent, every page)."""
        return self._list("ListAccountsForParent", "list_accounts_for_parent", "Accounts", _target_summary,
                          target_id=parent_id, ParentId=parent_id)

    def count_accounts_under(self, target_id: str, budget: int = COUNT_CALL_BUDGET) -> Optional[int]:
        """Accounts at or below a root or OU when ``budget`` requests suffice to count
        them, else None (best effort, for a message: no retry, never raises)."""
        calls = _CallBudget(budget)
        try:
            if ids.target_type(target_id) == ids.ROOT:
                return len(self._ids_within(calls, "list_accounts", "Accounts"))
            total, parents = 0, [target_id]
            while parents:
                parent = parents.pop()
                total += len(self._ids_within(calls, "list_accounts_for_parent", "Accounts", ParentId=parent))
                parents += self._ids_within(calls, "list_organizational_units_for_parent", "OrganizationalUnits",
                                            ParentId=parent)
            return total
        except Exception:  # noqa: BLE001 - a count for a message; its absence is said as "every account"
            return None

    # -- listings ----------------------------------------------------------------

    def _paginator(self, method: str) -> Any:
        """botocore's paginator for the client method ``method``, built once per
        client: ``get_paginator()`` builds a new class on every call, which costs
        more than a one-page listing. Paginators hold no per-listing state, so
        threads share them."""
        paginator = self._paginators.get(method)
        if paginator is None:
            # Two threads may both build one; setdefault keeps the first.
            paginator = self._paginators.setdefault(method, self.client.get_paginator(method))
        return paginator

    def _every_item(self, operation: str, method: str, key: str, convert: Callable[[dict[str, Any]], T],
                    **params: Any) -> list[T]:
        """The ``key`` items of every page of ``method``, converted; the whole
        listing is one call of the retry layer. AWS's refusals stay ClientErrors."""
        def every_page() -> list[T]:
            pages = self._paginator(method).paginate(**params)
            return [convert(item) for page in pages for item in page.get(key, [])]

        return self._call(operation, every_page)

    def _list(self, operation: str, method: str, key: str, convert: Callable[[dict[str, Any]], T], *,
              target_id: str = "", **params: Any) -> list[T]:
        """:meth:`_every_item`, with AWS's refusals translated (``target_id``
        names the target a not-found answer is about)."""
        try:
            return self._every_item(operation, method, key, convert, **params)
        except ClientError as err:
            raise self.translate(err, operation, target_id=target_id) from err

    def _ids_within(self, budget: _CallBudget, method: str, key: str, **params: Any) -> list[str]:
        """IDs of the ``key`` items of every page of ``method``, each page's
        request taken from ``budget`` before it is made (no retry: best effort)."""
        budget.take()
        found: list[str] = []
        for page in self._paginator(method).paginate(**params):
            found += [item["Id"] for item in page.get(key, [])]
            if page.get("NextToken"):  # the paginator will ask for the next page
                budget.take()
        return found

    # -- every call ---------------------------------------------------------------

    def _call(
        self,
        operation: str,
        fn: Callable[[], Any],
        on_failure: Optional[Callable[[BaseException], None]] = None,
    ) -> Any:
        """Run one call with the bounded retry; a failure to reach AWS at all
        (no credentials, unknown profile, endpoint unreachable) becomes
        AwsConnectionError. AWS's own answers stay ClientErrors for the caller."""
        try:
            return self.retry.call(operation, fn, on_failure)
        except BotoCoreError as err:
            raise errors.AwsConnectionError(operation=operation, detail=str(err)) from err

    # -- errors ----------------------------------------------------------------

    @staticmethod
    def translate(err: ClientError, operation: str, *, policy_id: str = "", target_id: str = "",
                  policy: str = "", policy_type: str = "") -> errors.PolicyAttachmentError:
        """The exception a user can act on for AWS's answer: :func:`translate`."""
        return translate(err, operation, policy_id=policy_id, target_id=target_id, policy=policy,
                         policy_type=policy_type)


def translate(err: ClientError, operation: str, *, policy_id: str = "", target_id: str = "",
              policy: str = "", policy_type: str = "") -> errors.PolicyAttachmentError:
    """Map an AWS error to the exception a user can act on, by its code and
    ``Reason`` (never its message text). Pure: the error's fields are what the
    caller knows (``policy``: how to name the policy, ``policy_type`` when
    known); a caller that can learn more adds it (``with_fields``)."""
    code = error_code(err)
    reason = str(err.response.get("Reason", ""))
    named = policy or policy_id
    label = policy_type_label(policy_type) if policy_type else None
    make = _BY_REASON.get((code, reason)) or _BY_REASON.get(("", reason)) or _BY_CODE.get(code)
    if make is None:
        return errors.AwsCallError(operation=operation, code=code or "an unknown error", message=_message(err),
                                   subject=_subject(policy_id, target_id))
    return make(_Answer(operation, policy_id, target_id, named, policy_type or None, label, _message(err)))


@dataclass(frozen=True)
class _Answer:
    """What a translation knows: the call and the caller's IDs and names."""

    operation: str
    policy_id: str
    target_id: str
    policy: str
    policy_type: Optional[str]
    type_label: Optional[str]
    message: str


_BY_CODE: dict[str, Callable[[_Answer], errors.PolicyAttachmentError]] = {
    "DuplicatePolicyAttachmentException": lambda a: errors.AlreadyAttachedError(
        policy_id=a.policy_id, target_id=a.target_id, policy=a.policy),
    "PolicyNotFoundException": lambda a: errors.PolicyNotFoundError(policy_id=a.policy_id),
    **{code: (lambda a: errors.TargetNotFoundError(target_id=a.target_id, target_kind=target_kind(a.target_id)))
       for code in ("TargetNotFoundException", "OrganizationalUnitNotFoundException", "AccountNotFoundException",
                    "ParentNotFoundException", "ChildNotFoundException")},
    "PolicyTypeNotEnabledException": lambda a: errors.PolicyTypeNotEnabledError(
        policy_id=a.policy_id, target_id=a.target_id, policy_type=a.policy_type),
    "AccessDeniedException": lambda a: errors.AccessDeniedError(operation=a.operation, detail=a.message),
    "AccessDenied": lambda a: errors.AccessDeniedError(operation=a.operation, detail=a.message),
    "AWSOrganizationsNotInUseException": lambda a: errors.OrganizationsNotInUseError(operation=a.operation),
}

#: (code, Reason) -> error; code "" matches any code with that Reason.
_BY_REASON: dict[tuple[str, str], Callable[[_Answer], errors.PolicyAttachmentError]] = {
    ("ConstraintViolationException", MIN_REASON): lambda a: errors.LastPolicyError(
        policy=a.policy, target=a.target_id, target_id=a.target_id, type_label=a.type_label or "policy of its type",
        minimum=1),
    ("ConstraintViolationException", MAX_REASON): lambda a: errors.AwsLimitExceededError(
        policy=a.policy, target=a.target_id, policy_type=a.policy_type, type_label=a.type_label),
    ("", NON_DETACHABLE_REASON): lambda a: errors.UndetachablePolicyError(
        policy_id=a.policy_id, target_id=a.target_id),
}


def _summary(item: dict[str, Any], content: Optional[str] = None) -> PolicySummary:
    return PolicySummary(id=item["Id"], name=item.get("Name", ""), type=item.get("Type", ""), content=content,
                         aws_managed=bool(item.get("AwsManaged", False)))


def _target_summary(item: dict[str, Any]) -> TargetSummary:
    return TargetSummary(id=item["Id"], name=item.get("Name", ""))


def _attached_target(item: dict[str, Any]) -> TargetSummary:
    return TargetSummary(id=item["TargetId"], name=item.get("Name", ""))


class _BudgetSpent(Exception):
    """A best-effort count needed more calls than it may make."""


@dataclass
class _CallBudget:
    """How many more requests a best-effort lookup may make."""

    left: int

    def take(self) -> None:
        """Spend one request; raises _BudgetSpent when none is left."""
        if self.left <= 0:
            raise _BudgetSpent()
        self.left -= 1


def _subject(policy_id: str, target_id: str) -> str:
    parts = [f"policy {policy_id}" if policy_id else "", f"target {target_id}" if target_id else ""]
    return " and ".join(p for p in parts if p) or "the organization"


def _message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", "")) or str(err)
