"""One exception class per failure a user can act on.

A message is read in a pull request, so it has a shape: one **headline** (what
was refused or failed, and why), then short **detail** lines, then the **ways
out**, one a line. Each class holds templates with named fields and renders
them from its fields (:meth:`PolicyAttachmentError.render`); a detail or way
out whose fields are unknown (None) is left out, so callers that learn more
(names, counts, a root ID) add it with :meth:`~PolicyAttachmentError.with_fields`
instead of building another message. Where the program declared the resource
(a stack config entry) is added once, the same way for every class, with
:meth:`~PolicyAttachmentError.at`.

The provider and the plan-time guard raise the same classes, so a refusal reads
the same in ``pulumi preview`` and in ``pulumi up``. Nothing here calls AWS.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="PolicyAttachmentError")

_FORMATTER = string.Formatter()


class Message:
    """A message rendered from named fields: one headline, detail lines, ways out.

    Subclasses set the templates; a detail or way out naming a field that is
    missing or None is left out, and such a field reads "?" in the headline.
    The program's own errors (a ``pulumi.RunError`` family) render the same way.
    """

    headline: ClassVar[str] = "The operation failed."
    details: ClassVar[tuple[str, ...]] = ()
    ways_out: ClassVar[tuple[str, ...]] = ()
    #: fields a template may use that callers need not give
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: name the ``where`` field (the config entry) on a line of its own, after the headline
    where_line: ClassVar[bool] = True

    fields: dict[str, Any]

    def render(self) -> str:
        """The headline, then the detail lines, then "Ways out:" and one line each."""
        fields = self.template_fields()
        lines = [self.headline.format_map(_Known(fields))]
        if fields.get("where") and self.where_line:
            lines.append(f"Declared at: {fields['where']}")
        lines += [line for line in (_fill(t, fields) for t in self.details) if line]
        ways = [way for way in (_fill(t, fields) for t in self.ways_out) if way]
        if ways:
            lines.append("Ways out:")
            lines += [f"  - {way}" for way in ways]
        return "\n".join(lines)

    def template_fields(self) -> dict[str, Any]:
        """The fields the templates see (override to derive some)."""
        return self.fields

    @property
    def headline_text(self) -> str:
        """The rendered headline alone (summaries show it on one line)."""
        return self.headline.format_map(_Known(self.template_fields()))


class PolicyAttachmentError(Message, Exception):
    """Base class: every failure this package reports on purpose."""

    headline = "A policy attachment operation failed."

    def __init__(self, **fields: Any) -> None:
        self.fields = {**self.defaults, **fields}
        super().__init__(self.render())

    @property
    def kwargs(self) -> dict[str, Any]:
        """The fields this error was built with (pickling, tests)."""
        return self.fields

    def with_fields(self: E, **fields: Any) -> E:
        """The same error with more (or corrected) fields; the cause is kept."""
        copy = type(self)(**{**self.fields, **fields})
        copy.__cause__ = self.__cause__
        return copy

    def at(self: E, where: str) -> E:
        """The same error, naming where the program declared the resource (its config entry)."""
        return self.with_fields(where=where)

    def __reduce__(self):  # keep the fields across pickling (gRPC, multiprocessing)
        return (_rebuild, (type(self), self.fields))


def _rebuild(cls: type[PolicyAttachmentError], fields: dict[str, Any]) -> PolicyAttachmentError:
    return cls(**fields)


class _Known(dict[str, Any]):
    """Fields for a headline: a missing or None one reads "?"."""

    def __missing__(self, key: str) -> str:
        return "?"

    def __getitem__(self, key: str) -> Any:
        value = super().get(key)
        return "?" if value is None else value


def _fill(template: str, fields: Mapping[str, Any]) -> str:
    """``template`` formatted with ``fields``; '' when a field it names is missing or None."""
    names = {name.split(".")[0].split("[")[0] for _, name, _, _ in _FORMATTER.parse(template) if name}
    if any(fields.get(name) is None for name in names):
        return ""
    return template.format(**fields)


_SKIP_DESTROY_WAY = ("first set skip_destroy: true on it (code: skip_destroy=True) and run `pulumi up`; "
                     "removing it then leaves it attached in AWS")


class InvalidAttachmentIdError(PolicyAttachmentError):
    """Raised when an ID given to import or read is not ``TARGETID:POLICYID``."""

    headline = "'{resource_id}' is not a policy attachment ID: expected TARGETID:POLICYID."
    details = ("For example ou-ab12-cdef3456:p-examplepolicy1 or 123456789012:p-FullAWSAccess.",)


class AlreadyAttachedError(PolicyAttachmentError):
    """Raised when creating an attachment that already exists in AWS."""

    headline = "{policy} is already attached to {target}: there is nothing to create."
    details = ("AWS attaches FullAWSAccess to every root, OU and account by itself.",)
    ways_out = (
        "to manage the existing attachment, import it: in the stack config write the item as "
        "{{policy: <name or ID>, import: true}}; in code add "
        'opts=pulumi.ResourceOptions(import_="{target_id}:{policy_id}")',
        "or remove it from the program",
    )
    defaults = {"policy": None, "target": None}

    def __init__(self, **fields: Any) -> None:
        fields.setdefault("policy", fields.get("policy_id"))
        fields.setdefault("target", fields.get("target_id"))
        super().__init__(**fields)


class ImportIdMismatchError(PolicyAttachmentError):
    """Raised when ``import_`` names another attachment than the resource's inputs."""

    headline = "import_ is '{import_id}', but this resource attaches {policy_id} to {target_id}."
    ways_out = ('use import_="{target_id}:{policy_id}", or fix policy_id / target_id',)


class LastPolicyError(PolicyAttachmentError):
    """Raised before a detach that would leave a target below AWS's minimum of
    its policy type: in practice, a root, OU or account with no SCP."""

    headline = "Refusing to detach {policy} from {target}: it is the last {type_label} attached there."
    details = ("AWS requires every root, OU and account to keep at least {minimum} {type_label} attached "
               "at all times, and refuses this detach.",)
    ways_out = (
        "attach a replacement {type_label} to {target} in the same update (declare its attachment)",
        "or keep this attachment in the program",
        "or " + _SKIP_DESTROY_WAY,
    )


class LockoutError(PolicyAttachmentError):
    """Raised before a detach that would leave a target only SCPs that allow
    no action (Deny statements only): every account below it would be denied
    everything. AWS accepts such a detach; this package does not."""

    headline = ("Refusing to detach {policy} from {target}: the SCPs it would keep allow no action at all, "
                "locking out {scope}.")
    details = (
        "It would keep: {remaining} (none has an Allow statement).",
        "SCPs only filter: an action is allowed at a root, OU or account only if an SCP attached directly "
        "to it allows it; the management account is never restricted. AWS would accept this detach.",
    )
    ways_out = (
        "keep {policy}, or another SCP that allows actions, attached to {target}",
        "to deny everything there on purpose, keep FullAWSAccess and attach an SCP with "
        '{{"Effect": "Deny", "Action": "*", "Resource": "*"}} next to it',
        "to switch {target} to an allow-list, attach the SCP that allows the permitted actions in the "
        "same update (declare its attachment)",
        "to stop managing this attachment but leave it in AWS, " + _SKIP_DESTROY_WAY,
    )


class PolicyLimitExceededError(PolicyAttachmentError):
    """Raised before an attach that would put more policies of one type on a
    target than the stack's limits allow (10 SCPs, unless overridden)."""

    headline = "Refusing to attach {policy} to {target}: it would carry {count} {type_label}s, and {limit_source}."
    details = (
        "Attached there before this update: {attached}.",
        "Arriving there in this update before it: {arriving}.",
    )
    ways_out = (
        "declare fewer {type_label}s on {target}: it can carry {maximum}",
        "if this update also removes one from that target (a swap of one of {maximum}): Pulumi attaches new "
        "policies before it detaches removed ones, so remove it in one `pulumi up` and add the new one in the next",
        "in code, for a resource whose policy_id or target_id changes (a replace): "
        "opts=pulumi.ResourceOptions(delete_before_replace=True)",
        "if AWS allows more than {aws_maximum} now, set org-policies:limits: "
        "{{{policy_type}: {{maximum: <n>}}}} in the stack config",
        "this stack's org-policies:limits set the maximum to {overridden_maximum}: raise it there if AWS "
        "allows more",
    )
    defaults = {"limit_source": None, "policy_type": None, "arriving": None, "aws_maximum": None,
                "overridden_maximum": None}

    def __init__(self, **fields: Any) -> None:
        if fields.get("limit_source") is None and fields.get("maximum") is not None:
            fields["limit_source"] = f"AWS allows at most {fields['maximum']}"
        super().__init__(**fields)


class AwsLimitExceededError(PolicyAttachmentError):
    """Raised when AWS itself refuses an attach for its per-target maximum
    (``MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``) that the stack's limits let
    through: AWS's number is lower than the one the stack assumed."""

    headline = ("AWS refused to attach {policy} to {target}: the target already has the most policies of "
                "that type AWS allows.")
    details = (
        "This stack assumed at most {assumed} ({assumed_source}); AWS's number is lower here (a partition "
        "can lag behind AWS's changes).",
        "Attached there now: {attached}.",
    )
    ways_out = (
        "set org-policies:limits: {{{policy_type}: {{maximum: <AWS's number>}}}} in the stack config, so "
        "`pulumi preview` refuses this before applying",
        "detach one of the target's policies of that type first, or attach this policy elsewhere",
    )
    defaults = {"policy_type": None, "assumed": None, "assumed_source": None, "attached": None,
                "type_label": None}


class UndetachablePolicyError(PolicyAttachmentError):
    """Raised for AWS-managed policies that AWS never lets anyone detach."""

    headline = "Refusing to detach {policy_id} from {target}: AWS never allows detaching it."
    details = ("AWS attaches it automatically wherever its policy type is enabled.",)
    ways_out = ("set skip_destroy: true on this attachment (code: skip_destroy=True), or run "
                "`pulumi state delete` on it, so Pulumi stops managing it",)
    defaults = {"target": None}

    def __init__(self, **fields: Any) -> None:
        fields.setdefault("target", fields.get("target_id"))
        super().__init__(**fields)


class PolicyNotFoundError(PolicyAttachmentError):
    """Raised when the policy ID names no policy in the organization."""

    headline = "Policy {policy_id} does not exist in this organization."
    ways_out = ("check the ID: aws organizations list-policies --filter <POLICY_TYPE> "
                "(e.g. SERVICE_CONTROL_POLICY)",
                "or create the policy before attaching it")


class TargetNotFoundError(PolicyAttachmentError):
    """Raised when the root, OU or account ID names nothing in the organization."""

    headline = "Target {target_id} ({target_kind}) does not exist in this organization."
    details = ("It may have been moved out of the organization or deleted.",)
    ways_out = ("check the ID: aws organizations list-roots / list-organizational-units-for-parent / "
                "list-accounts",)
    defaults = {"target_kind": "target"}


class PolicyTypeNotEnabledError(PolicyAttachmentError):
    """Raised when the policy's type is not enabled on the organization's root."""

    headline = "Cannot attach {policy_id} to {target_id}: its policy type is not enabled in this organization."
    details = ("{policy_id} is a {policy_type}.",)
    ways_out = ("enable the type first: aws organizations enable-policy-type --root-id {root_id} "
                "--policy-type {policy_type}",)
    defaults = {"policy_type": None, "root_id": "<root ID>"}


class AccessDeniedError(PolicyAttachmentError):
    """Raised when the credentials may not manage Organizations policies."""

    headline = "AWS denied organizations:{operation}."
    details = ("AWS said: {detail}",
               "Policy attachments can only be managed from the organization's management account (or a "
               "delegated administrator for policy management) with organizations:{operation} allowed.")
    ways_out = ("check which credentials are in use (aws sts get-caller-identity) and the AWS_PROFILE / "
                "aws:profile setting",)


class OrganizationsNotInUseError(PolicyAttachmentError):
    """Raised when the account is not a member of an organization."""

    headline = "The account behind these credentials is not in an AWS organization ({operation})."
    ways_out = ("use the management account's credentials, or create the organization first",)


class RetriesExhaustedError(PolicyAttachmentError):
    """Raised when AWS kept answering a retryable error until the bounded retry gave up."""

    headline = "AWS Organizations {operation} kept failing with {code} after {attempts} attempts over {elapsed:.1f}s."
    details = ("Meaning: {meaning}.",)
    ways_out = ("{advice}",)
    defaults = {"meaning": "the organization is busy or AWS is having trouble",
                "advice": "run the update again later"}


class AwsCallError(PolicyAttachmentError):
    """Raised for an AWS error this package has no specific advice for."""

    headline = "AWS Organizations {operation} on {subject} failed with {code}."
    details = ("AWS said: {message}",)
    ways_out = ("check the IDs and the organization's state in the AWS console or CLI "
                "(aws organizations {cli_hint})",
                "if they are right and this persists, make the same call with the AWS CLI and the same "
                "credentials to see AWS's full answer")
    defaults = {"subject": "the organization", "cli_hint": "list-roots"}


class AwsConnectionError(PolicyAttachmentError):
    """Raised when AWS could not be called at all (credentials, profile, network)."""

    headline = "Could not call AWS Organizations {operation}{tried}."
    details = ("Cause: {detail}",)
    ways_out = ("check the credentials (aws sts get-caller-identity), the profile (AWS_PROFILE or "
                "aws:profile), the region (aws:region) and, for a local endpoint, AWS_ENDPOINT_URL_ORGANIZATIONS",)

    def __init__(self, **fields: Any) -> None:
        attempts, elapsed = fields.pop("attempts", None), fields.pop("elapsed", None)
        if "tried" not in fields:
            fields["tried"] = f" ({attempts} attempts over {elapsed:.1f}s)" if attempts else ""
        super().__init__(**fields)


class CheckNotPossibleError(PolicyAttachmentError):
    """Reported by ``check`` when AWS could not answer the questions a new
    attachment needs answered (access, connection, retries spent)."""

    headline = "Could not check {policy_id} on {target_id}: AWS Organizations did not answer."
    details = ("{cause}",)


class ExclusiveOrderError(PolicyAttachmentError):
    """Raised (and reported by ``check`` at preview) when no order of attaches
    and detaches can make a target's policies of one type exactly the declared
    set within the limits."""

    headline = "Cannot make the {type_label}s of {target} exactly the declared set: {reason}."
    details = ("Declared: {declared}.", "Attached now: {attached}.", "Limits: {limits}.")
    ways_out = ("change the declared set of {target_id}: every step must keep it within the limits, "
                "with one SCP that allows some action",)
    defaults = {"limits": None}


class PolicyTypeMismatchError(PolicyAttachmentError):
    """Raised when a policy declared in an exclusive set is not of that set's type."""

    headline = "{policy} is a {actual_type}, but the exclusive set of {target} holds {policy_type}s only."
    ways_out = ("declare it in the set of its own type (config: add {actual_type} to the target's "
                "exclusive_types)", "or attach it with a PolicyAttachment")


class ExclusiveRestoreError(PolicyAttachmentError):
    """Raised when deleting an exclusive set cannot put the target back as the
    stack found it without breaking the limits or locking it out."""

    headline = "Cannot give {target} back the {type_label}s it had before this stack managed them: {reason}."
    details = ("It had: {found}.", "Attached now: {attached}.")
    ways_out = ("to stop managing the target and leave its policies as they are, first set "
                "skip_destroy: true in its mapping (code: skip_destroy=True) and run `pulumi up`, then remove it",)


class ExclusiveConflictError(PolicyAttachmentError):
    """Raised at preview when a program declares a PolicyAttachment on a target
    whose policies of that type an ExclusivePolicies resource owns."""

    headline = ("{policy} is declared as a PolicyAttachment on {target}, whose {type_label}s the exclusive "
                "set {exclusive} owns.")
    details = ("The two would undo each other on every update.",)
    ways_out = ("put the policy in the exclusive set's list instead (config: the target's policies)",
                "or remove the exclusive set")


class ExclusiveHandoverError(PolicyAttachmentError):
    """Raised at preview when one update removes an exclusive set and declares
    PolicyAttachments of the same type on that target: deleting the set would
    give back what it found and detach the policies those attachments manage."""

    headline = ("{target} stops being exclusive for {type_label}s in the same update that declares "
                "attachments for it ({policies}).")
    details = ("Deleting the exclusive set gives the target back what it had before the stack managed it and "
               "detaches the ones it attached, theirs included.",)
    ways_out = ("do it in two updates: first set skip_destroy: true in the target's mapping "
                "(code: skip_destroy=True) and run `pulumi up`; then write the list form (items already "
                "attached with import: true)",)


class ExclusiveTakeoverError(PolicyAttachmentError):
    """Raised at preview when one update removes a PolicyAttachment from a
    target that an exclusive set declared in the same update takes over: the
    detach would run after the set converged and undo it."""

    headline = ("{target} becomes exclusive for {type_label}s ({exclusive}) in the same update that removes "
                "the attachment of {policy}.")
    details = ("That detach would run after the exclusive set took over, and undo it.",)
    ways_out = ("do it in two updates: first set skip_destroy: true on the item (code: skip_destroy=True) and "
                "run `pulumi up`; then make the target exclusive (its set takes over what is attached)",)
