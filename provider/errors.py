"""One exception class per failure a user can act on.

Each class has a message template (``fmt``) with named fields; the message
says what happened, names the IDs involved and says what to do next. The
provider and the plan-time guard raise the same classes, so a refusal reads
the same in ``pulumi preview`` and in ``pulumi up``.
"""

from __future__ import annotations

from typing import Any


class PolicyAttachmentError(Exception):
    """Base class: every failure this package reports on purpose."""

    fmt = "A policy attachment operation failed."

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        super().__init__(self.fmt.format(**kwargs))

    def __reduce__(self):  # keep the fields across pickling (gRPC, multiprocessing)
        return (_rebuild, (type(self), self.kwargs))


def _rebuild(cls: type[PolicyAttachmentError], kwargs: dict[str, Any]) -> PolicyAttachmentError:
    return cls(**kwargs)


class InvalidAttachmentIdError(PolicyAttachmentError):
    """Raised when an ID given to import or read is not ``TARGETID:POLICYID``."""

    fmt = (
        "'{resource_id}' is not a policy attachment ID: expected TARGETID:POLICYID, "
        "e.g. ou-ab12-cdef3456:p-examplepolicy1 or 123456789012:p-FullAWSAccess."
    )


class AlreadyAttachedError(PolicyAttachmentError):
    """Raised when creating an attachment that already exists in AWS."""

    fmt = (
        "Policy {policy_id} is already attached to {target_id}, so there is nothing to "
        "create (AWS attaches FullAWSAccess to every root, OU and account by itself). "
        "To manage the existing attachment, import it: in this project's stack config "
        "write the item as {{policy: <name or ID>, import: true}}; in code add "
        'opts=pulumi.ResourceOptions(import_="{target_id}:{policy_id}") to this resource. '
        "Otherwise remove it from the program."
    )


class ImportIdMismatchError(PolicyAttachmentError):
    """Raised when ``import_`` names another attachment than the resource's inputs."""

    fmt = (
        "import_ is '{import_id}' but this resource attaches {policy_id} to {target_id}: "
        'use import_="{target_id}:{policy_id}", or fix policy_id / target_id.'
    )


class LastPolicyError(PolicyAttachmentError):
    """Raised before a detach that would leave a target below AWS's minimum of
    its policy type: in practice, a root, OU or account with no SCP."""

    fmt = (
        "Refusing to detach {policy} from {target_id}: it is the last {type_label} "
        "attached to that target, and AWS requires every root, OU and account to keep at "
        "least {minimum} attached at all times. Ways out: attach a replacement "
        "{type_label} to {target_id} in the same update (declare its PolicyAttachment); "
        "or keep this attachment in the program; or first set skip_destroy=True on it "
        "(config: skip_destroy: true) and run `pulumi up`, after which removing it leaves "
        "it attached in AWS."
    )


class LockoutError(PolicyAttachmentError):
    """Raised before a detach that would leave a target only SCPs that allow
    no action (Deny statements only): every account below it would be denied
    everything. AWS accepts such a detach; this package does not."""

    fmt = (
        "Refusing to detach {policy} from {target}: the service control policies (SCPs) "
        "that would remain attached to it, {remaining}, allow no action at all (none has an "
        "Allow statement). SCPs only filter: an action is allowed at a root, OU or account "
        "only if an SCP attached directly to it allows it, so every principal in {scope} "
        "would be denied every action (the management account excepted). AWS would accept "
        "this detach. Ways out: keep {policy}, or another SCP that allows actions, attached "
        "to {target_id}; to deny everything there on purpose, keep FullAWSAccess and attach an "
        'SCP with {{"Effect": "Deny", "Action": "*", "Resource": "*"}} next to it; or, to '
        "switch {target_id} to an allow-list, attach the SCP that allows the permitted actions "
        "to it in the same update (declare its PolicyAttachment); or, to stop managing this "
        "attachment but leave it in AWS, first set skip_destroy=True on it (config: "
        "skip_destroy: true) and run `pulumi up`."
    )


class PolicyLimitExceededError(PolicyAttachmentError):
    """Raised before an attach that would put more policies of one type on a
    target than AWS allows (5 SCPs)."""

    fmt = (
        "Refusing to attach {policy} to {target_id}: the target would carry {count} policies "
        "of type {type_label} ({attached}), and AWS allows at most {maximum}. Pulumi attaches "
        "new policies before it detaches removed ones, so swapping one of {maximum} needs a "
        "free slot first. In this project's stack config: remove the policy you are replacing "
        "from that target in one `pulumi up`, and add the new one in the next. In code: the "
        "same, or, for a resource whose policy_id or target_id changes (a replace), set "
        "opts=pulumi.ResourceOptions(delete_before_replace=True) on it."
    )


class DeclaredAtError(PolicyAttachmentError):
    """A refusal of the plan-time guard, prefixed with where the program
    declared the resource (the stack config key and entry)."""

    fmt = "{where}: {message}"


class UndetachablePolicyError(PolicyAttachmentError):
    """Raised for AWS-managed policies that AWS never lets anyone detach."""

    fmt = (
        "Refusing to detach {policy_id} from {target_id}: AWS attaches it automatically "
        "and never allows detaching it. Set skip_destroy=True on this attachment (or run "
        "`pulumi state delete` on it) so Pulumi stops managing it."
    )


class PolicyNotFoundError(PolicyAttachmentError):
    """Raised when the policy ID names no policy in the organization."""

    fmt = (
        "Policy {policy_id} does not exist in this organization. Check the ID "
        "(aws organizations list-policies --filter <POLICY_TYPE>, e.g. "
        "SERVICE_CONTROL_POLICY), or create the policy before attaching it."
    )


class TargetNotFoundError(PolicyAttachmentError):
    """Raised when the root, OU or account ID names nothing in the organization."""

    fmt = (
        "Target {target_id} ({target_kind}) does not exist in this organization. Check "
        "the ID (aws organizations list-roots / list-organizational-units-for-parent / "
        "list-accounts); it may have been moved out or deleted."
    )


class PolicyTypeNotEnabledError(PolicyAttachmentError):
    """Raised when the policy's type is not enabled on the organization's root."""

    fmt = (
        "Cannot attach {policy_id} to {target_id}: policies of type {policy_type} are not "
        "enabled in this organization. Enable the type first: aws organizations "
        "enable-policy-type --root-id {root_id} --policy-type {policy_type}."
    )


class AccessDeniedError(PolicyAttachmentError):
    """Raised when the credentials may not manage Organizations policies."""

    fmt = (
        "AWS denied {operation} ({detail}). Policy attachments can only be managed from "
        "the organization's management account (or a delegated administrator for policy "
        "management) with organizations:{operation} allowed. Check which credentials are "
        "in use (aws sts get-caller-identity) and the AWS_PROFILE / aws:profile setting."
    )


class OrganizationsNotInUseError(PolicyAttachmentError):
    """Raised when the account is not a member of an organization."""

    fmt = (
        "The account behind these credentials is not a member of an AWS organization "
        "({operation}). Use the management account's credentials, or create the "
        "organization first."
    )


class RetriesExhaustedError(PolicyAttachmentError):
    """Raised when AWS kept answering a retryable error until the bounded retry gave up."""

    fmt = (
        "AWS Organizations {operation} kept failing with {code} after {attempts} attempts "
        "over {elapsed:.1f}s: {meaning}. {advice}"
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("meaning", "the organization is busy or AWS is having trouble")
        kwargs.setdefault("advice", "Run the update again later.")
        super().__init__(**kwargs)


class AwsCallError(PolicyAttachmentError):
    """Raised for an AWS error this package has no specific advice for."""

    fmt = (
        "AWS Organizations {operation} on {subject} failed with {code}: {message}. "
        "Check the IDs and the organization's state in the AWS console or CLI "
        "(aws organizations {cli_hint}); if they are right and this persists, run with "
        "the same credentials from the AWS CLI to see AWS's full answer."
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("subject", "the organization")
        kwargs.setdefault("cli_hint", "list-roots")
        super().__init__(**kwargs)


class AwsConnectionError(PolicyAttachmentError):
    """Raised when AWS could not be called at all (credentials, profile, network)."""

    fmt = (
        "Could not call AWS Organizations {operation}{tried}: {detail}. Check the credentials "
        "(aws sts get-caller-identity), the profile (AWS_PROFILE or aws:profile), the region "
        "(aws:region) and, for a local endpoint, AWS_ENDPOINT_URL_ORGANIZATIONS."
    )

    def __init__(self, **kwargs: Any) -> None:
        attempts, elapsed = kwargs.pop("attempts", None), kwargs.pop("elapsed", None)
        if "tried" not in kwargs:
            kwargs["tried"] = f" ({attempts} attempts over {elapsed:.1f}s)" if attempts else ""
        super().__init__(**kwargs)


class ExclusiveOrderError(PolicyAttachmentError):
    """Raised (and reported by ``check`` at preview) when no order of attaches
    and detaches can make a target's policies of one type exactly the declared
    set within AWS's limits."""

    fmt = (
        "Cannot make {declared} exactly the {type_label}s of {target_id} (attached now: "
        "{attached}): {reason}. Change the declared set of {target_id}: every step must keep "
        "it within AWS's {minimum} to {maximum} {type_label}s, with one that allows some action."
    )


class PolicyTypeMismatchError(PolicyAttachmentError):
    """Raised when a policy declared in an exclusive set is not of that set's type."""

    fmt = (
        "{policy} is a {actual_type}, but the exclusive set of {target_id} holds "
        "{policy_type}s only. Declare it in the set of its own type (config: add "
        "{actual_type} to the target's exclusive_types), or attach it with a PolicyAttachment."
    )


class ExclusiveRestoreError(PolicyAttachmentError):
    """Raised when deleting an exclusive set cannot put the target back as the
    stack found it without breaking AWS's limits."""

    fmt = (
        "Cannot give {target_id} back the {type_label}s it had before this stack managed "
        "them ({found}; attached now: {attached}): {reason}. To stop managing the target and "
        "leave its policies as they are, first set skip_destroy: true in its mapping "
        "(code: skip_destroy=True) and run `pulumi up`, then remove it."
    )


class ExclusiveConflictError(PolicyAttachmentError):
    """Raised at preview when a program declares a PolicyAttachment on a target
    whose policies of that type an ExclusivePolicies resource owns."""

    fmt = (
        "{policy} is declared as a PolicyAttachment on {target_id}, whose {type_label}s are "
        "owned by the exclusive set {exclusive}: the two would undo each other on every "
        "update. Put the policy in the exclusive set's list instead (config: the target's "
        "policies), or remove the exclusive set."
    )


class ExclusiveHandoverError(PolicyAttachmentError):
    """Raised at preview when one update removes an exclusive set and declares
    PolicyAttachments of the same type on that target: deleting the set would
    give back what it found and detach the policies those attachments manage."""

    fmt = (
        "{target_id} stops being exclusive for {type_label}s in the same update that declares "
        "PolicyAttachments for it ({policies}). Deleting the exclusive set gives the target back "
        "the policies it had before the stack managed it and detaches the ones it attached, "
        "theirs included. Do it in two updates: first set skip_destroy: true in the target's "
        "mapping (code: skip_destroy=True) and run `pulumi up`; then write the list form (items "
        "already attached with import: true)."
    )


class ExclusiveTakeoverError(PolicyAttachmentError):
    """Raised at preview when one update removes a PolicyAttachment from a
    target that an exclusive set declared in the same update takes over: the
    detach would run after the set converged and undo it."""

    fmt = (
        "{target_id} becomes exclusive for {type_label}s ({exclusive}) in the same update that "
        "removes the PolicyAttachment of {policy}; that detach would run after the exclusive set "
        "took over and undo it. Do it in two updates: first set skip_destroy: true on the item "
        "(code: skip_destroy=True) and run `pulumi up`; then make the target exclusive (its set "
        "takes over what is attached)."
    )
