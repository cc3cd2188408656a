"""One exception class per failure of the program that a user can act on.

Every class derives from :class:`pulumi.RunError`, which Pulumi prints as a
plain message, without a traceback. Each renders like the provider's errors
(:class:`provider.Message`): one headline naming where in the stack config the
problem is and what is wrong, then what to do on lines of their own. All of them
are raised before the program registers any attachment, so a bad config never
produces a partial plan.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provider import Message


class ProgramError(Message, pulumi.RunError):
    """Base class: every failure this program reports on purpose."""

    headline = "The org-policies program failed."
    where_line = False  # the headline starts with where, when known

    def __init__(self, **fields: Any) -> None:
        self.fields = {**self.defaults, **fields}
        super().__init__(self.render())

    def template_fields(self) -> dict[str, Any]:
        return self.describe(self.fields)

    def describe(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The templates' fields, derived from the constructor's (override to add some)."""
        return fields

    def at(self, where: str) -> ProgramError:
        """The same error, its headline starting with ``where`` (the config key and entry)."""
        return type(self)(**{**self.fields, "where": where})


class ConfigError(ProgramError):
    """Raised when the stack config has the wrong shape, an unknown key, a
    duplicate entry, an invalid value or an unreadable policy file."""

    headline = "{where}: {problem}."
    details = ("{fix}",)

    def __init__(self, *, where: str, problem: str, fix: str) -> None:
        super().__init__(where=where, problem=problem, fix=fix)


class NameNotFoundError(ProgramError):
    """Raised when a target or policy name matches nothing in the organization."""

    headline = "{prefix}{kind} {name!r} matches nothing in the organization{searched}."
    details = ("Close candidates: {listed}.", "{hint}")

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        candidates: tuple[str, ...] = (),
        searched: str = "",
        hint: str = "",
        where: str = "",
    ) -> None:
        self.candidates = candidates
        super().__init__(kind=kind, name=name, candidates=candidates, searched=searched,
                         hint=hint, where=where)

    def describe(self, fields: dict[str, Any]) -> dict[str, Any]:
        candidates = fields["candidates"]
        return {**fields, "prefix": _prefix(fields["where"]),
                "listed": ", ".join(candidates) if candidates else None, "hint": fields["hint"] or None}


class AmbiguousNameError(ProgramError):
    """Raised when a name matches more than one target or policy (two accounts
    with the same name, say): only an ID can tell which one is meant."""

    headline = "{prefix}{kind} {name!r} matches {count} {plural}: {listed}."
    details = ("Use the ID of the one you mean instead of the name.",)

    def __init__(self, *, kind: str, name: str, matches: tuple[str, ...], plural: str,
                 where: str = "") -> None:
        self.matches = matches
        super().__init__(kind=kind, name=name, matches=matches, plural=plural, where=where)

    def describe(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "prefix": _prefix(fields["where"]), "count": len(fields["matches"]),
                "listed": ", ".join(fields["matches"])}


class PolicyTypeNotEnabledError(ProgramError):
    """Raised when a policy named in the config exists, but its type is not
    enabled on the organization's root (so it can be attached to nothing)."""

    headline = ("{prefix}policy {name!r} is a {policy_type}, and policies of that type are not enabled in this "
                "organization.")
    details = ("Enable the type first: aws organizations enable-policy-type --root-id {root_id} "
               "--policy-type {policy_type}.",)

    def __init__(self, *, name: str, policy_type: str, root_id: str, where: str = "") -> None:
        super().__init__(name=name, policy_type=policy_type, root_id=root_id, where=where)

    def describe(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "prefix": _prefix(fields["where"])}


class OrganizationLookupError(ProgramError):
    """Raised when AWS Organizations cannot be asked to resolve the config's
    names (access denied, no credentials, endpoint unreachable, ...)."""

    headline = "{prefix}Could not list {what} in AWS Organizations to resolve names from the stack config."
    details = ("Cause: {reason}",
               "Names need read access to the organization from its management account: check aws:profile and "
               "aws:region in the stack config (or AWS_PROFILE); IDs (r-..., ou-..., 12-digit account IDs, p-...) "
               "need no lookup.")

    def __init__(self, *, what: str, reason: str, where: str = "") -> None:
        super().__init__(what=what, reason=reason, where=where)

    def describe(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "prefix": _prefix(fields["where"])}


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""
