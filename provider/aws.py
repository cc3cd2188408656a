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
* Methods translate AWS error codes (never message text) into this package's
  exceptions; "already gone" answers become return values where the caller's
  contract says gone is fine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

import boto3
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import BotoCoreError, ClientError

from . import errors, ids
from .refusals import last_policy_error, limit_error
from .retry import RetryPolicy, error_code, may_have_applied
from .rules import SERVICE_CONTROL_POLICY, limits_for

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


@dataclass(frozen=True)
class PolicySummary:
    """What this package needs to know about one policy."""

    id: str
    name: str
    type: str
    #: the policy document, when the answer carried it (DescribePolicy does,
    #: ListPoliciesForTarget does not)
    content: Optional[str] = field(default=None, compare=False, repr=False)

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


@dataclass(frozen=True)
class TargetFacts:
    """What a refusal message says about a target; each field None when unknown."""

    name: Optional[str] = None
    #: accounts at or below the target (the management account included), when
    #: counting them took few calls
    accounts: Optional[int] = None
    management_account_id: Optional[str] = None


#: Most calls :meth:`OrganizationsApi.target_facts` spends counting accounts.
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


def policy_display(policy_id: str, name: Optional[str]) -> str:
    """``"Name (p-id)"`` for messages, or the bare ID when the name is unknown."""
    return f"{name} ({policy_id})" if name and name != policy_id else policy_id


def summary_display(summary: Optional[PolicySummary], policy_id: str) -> str:
    """How messages name ``policy_id``: its summary's display, or the bare ID
    when it could not be described (gone, or the lookup failed)."""
    return summary.display if summary else policy_id


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

    def detach_policy(self, policy_id: str, target_id: str, *, policy_display: str = "") -> bool:
        """Detach; True if this call detached it, False if it was already gone
        (not attached, or the policy or target no longer exists)."""
        try:
            self._call(
                "DetachPolicy",
                lambda: self.client.detach_policy(PolicyId=policy_id, TargetId=target_id),
            )
        except ClientError as err:
            if error_code(err) in GONE_ON_DETACH:
                return False
            raise self.translate(
                err, "DetachPolicy", policy_id=policy_id, target_id=target_id, policy_display=policy_display
            ) from err
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

    def target_facts(self, target_id: str) -> TargetFacts:
        """Best effort, for a refusal message: the target's name, how many
        accounts its SCPs govern (when :data:`COUNT_CALL_BUDGET` calls suffice
        to count them) and the management account's ID (which SCPs never
        restrict). Never raises: a field it could not learn is None."""
        kind = ids.target_type(target_id)
        client = self.client
        if kind == ids.ACCOUNT:
            name = self._quiet(lambda: client.describe_account(AccountId=target_id)["Account"].get("Name"))
            accounts: Optional[int] = 1
        elif kind == ids.ORGANIZATIONAL_UNIT:
            name = self._quiet(lambda: client.describe_organizational_unit(
                OrganizationalUnitId=target_id)["OrganizationalUnit"].get("Name"))
            accounts = self._quiet(lambda: self._count_accounts_under(target_id))
        else:
            name = "Root"
            accounts = self._quiet(lambda: len(self._ids_within(
                _CallBudget(COUNT_CALL_BUDGET), "list_accounts", "Accounts")))
        management = self._quiet(lambda: client.describe_organization()["Organization"].get("MasterAccountId"))
        return TargetFacts(name=name or None, accounts=accounts, management_account_id=management)

    def _count_accounts_under(self, ou_id: str) -> int:
        """Accounts anywhere below ``ou_id``; raises _BudgetSpent past the call budget."""
        budget, total, parents = _CallBudget(COUNT_CALL_BUDGET), 0, [ou_id]
        while parents:
            parent = parents.pop()
            total += len(self._ids_within(budget, "list_accounts_for_parent", "Accounts", ParentId=parent))
            parents += self._ids_within(budget, "list_organizational_units_for_parent", "OrganizationalUnits",
                                        ParentId=parent)
        return total

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

    def translate(
        self,
        err: ClientError,
        operation: str,
        *,
        policy_id: str = "",
        target_id: str = "",
        policy_display: str = "",
    ) -> errors.PolicyAttachmentError:
        """Map an AWS error to the exception a user can act on (by code and Reason)."""
        code = error_code(err)
        reason = str(err.response.get("Reason", ""))
        display = policy_display or policy_id
        if code == "DuplicatePolicyAttachmentException":
            return errors.AlreadyAttachedError(policy_id=policy_id, target_id=target_id)
        if code == "PolicyNotFoundException":
            return errors.PolicyNotFoundError(policy_id=policy_id)
        if code in TARGET_MISSING:
            return errors.TargetNotFoundError(target_id=target_id, target_kind=target_kind(target_id))
        if code == "PolicyTypeNotEnabledException":
            summary = self._quiet(lambda: self.describe_policy(policy_id))
            root = self._quiet(self.root)
            return errors.PolicyTypeNotEnabledError(
                policy_id=policy_id,
                target_id=target_id,
                policy_type=summary.type if summary else "<policy type>",
                root_id=root.id if root else "<root id>",
            )
        if code == "ConstraintViolationException" and reason == MIN_REASON:
            summary = self._quiet(lambda: self.describe_policy(policy_id))
            policy_type = summary.type if summary else SERVICE_CONTROL_POLICY
            return last_policy_error(summary.display if summary else display, target_id, policy_type)
        if code == "ConstraintViolationException" and reason == MAX_REASON:
            return self._limit_error(policy_id, target_id)
        if reason == NON_DETACHABLE_REASON:
            return errors.UndetachablePolicyError(policy_id=policy_id, target_id=target_id)
        if code in ("AccessDeniedException", "AccessDenied"):
            return errors.AccessDeniedError(operation=operation, detail=_message(err))
        if code == "AWSOrganizationsNotInUseException":
            return errors.OrganizationsNotInUseError(operation=operation)
        return errors.AwsCallError(
            operation=operation,
            code=code or "an unknown error",
            message=_message(err),
            subject=_subject(policy_id, target_id),
        )

    def _limit_error(self, policy_id: str, target_id: str) -> errors.PolicyAttachmentError:
        summary = self._quiet(lambda: self.describe_policy(policy_id))
        policy_type = summary.type if summary else SERVICE_CONTROL_POLICY
        attached = self._quiet(lambda: self.policies_for_target(target_id, policy_type)) or []
        count = max(len(attached), limits_for(policy_type).maximum) + 1
        return limit_error(summary_display(summary, policy_id), target_id, policy_type, count,
                           [p.display for p in attached])

    @staticmethod
    def _quiet(fn: Callable[[], Any]) -> Any:
        """Best-effort extra lookup for a better message; never masks the real error."""
        try:
            return fn()
        except Exception:  # noqa: BLE001 - only enriches a message being built
            return None


def _summary(item: dict[str, Any], content: Optional[str] = None) -> PolicySummary:
    return PolicySummary(id=item["Id"], name=item.get("Name", ""), type=item.get("Type", ""), content=content)


def _target_summary(item: dict[str, Any]) -> TargetSummary:
    return TargetSummary(id=item["Id"], name=item.get("Name", ""))


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


def target_kind(target_id: str) -> str:
    """"root", "organizational unit" or "account" for messages ("target" if malformed)."""
    kind = ids.target_type(target_id)
    return {ids.ROOT: "root", ids.ORGANIZATIONAL_UNIT: "organizational unit", ids.ACCOUNT: "account"}.get(
        kind or "", "target"
    )
