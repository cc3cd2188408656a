"""The stack config, parsed and checked into typed values: pure, no AWS call,
no Pulumi resource, no file read.

Two keys, in the ``org-policies`` namespace::

    org-policies:policies:            # policies this stack creates (optional)
      DenyS3PublicAccess:             # the policy's name in AWS
        file: policies/deny-s3-public-access.json   # relative to the project
        type: SERVICE_CONTROL_POLICY  # default
        description: ...              # optional
    org-policies:attachments:         # target -> policies attached to it
      Root/Workloads/Prod:            # Root, an OU path, an account name, or an ID
        - RestrictRegions             # an AWS policy name, a policy ID, or a name above
        - {policy: DenyS3PublicAccess, skip_destroy: true}
      "123456789012":                 # quote account IDs
        - p-examplepolicy1
      Root/Sandbox:                   # exclusive: exactly these (SCPs by default), others detached
        exclusive: true
        policies: [AllowListCore]
        exclusive_types: [SERVICE_CONTROL_POLICY]   # optional, the default
        skip_destroy: false           # optional: true leaves the set as it is when removed
    org-policies:limits:              # optional: AWS's numbers as this stack assumes them
      SERVICE_CONTROL_POLICY: {maximum: 10, documentCharacters: 10240}

How a reference is read (decided here, from the text alone):

* target: an ID (``r-…``, ``ou-…-…``, 12 digits) is used as is; ``Root`` is the
  root; ``Root/A/B`` is the OU path from the root; anything else is an account
  name. Names containing ``/`` must be OU paths.
* policy: an ID (``p-…``) is used as is; a name declared under
  ``org-policies:policies`` is that stack policy (it wins over any AWS policy of
  the same name: after the first ``pulumi up`` the stack's own policy *is* the
  AWS policy of that name, and AWS refuses to create a second policy with a
  name already in use); anything else is the name of an existing AWS policy.

:func:`parse_config` raises :class:`~program.errors.ConfigError` naming the key
and the entry for the first problem it finds.
"""

from __future__ import annotations

import difflib
import enum
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn, Optional

import provider
from provider import ids

from .errors import ConfigError

NAMESPACE = "org-policies"
POLICIES = "policies"
ATTACHMENTS = "attachments"
ALLOW_EMPTY = "allowEmpty"
MAX_REMOVALS = "maxRemovals"
LIMITS = "limits"
POLICIES_KEY = f"{NAMESPACE}:{POLICIES}"
ATTACHMENTS_KEY = f"{NAMESPACE}:{ATTACHMENTS}"
ALLOW_EMPTY_KEY = f"{NAMESPACE}:{ALLOW_EMPTY}"
MAX_REMOVALS_KEY = f"{NAMESPACE}:{MAX_REMOVALS}"
LIMITS_KEY = provider.CONFIG_KEY
#: Every key of the namespace this program reads.
KNOWN_KEYS = (POLICIES, ATTACHMENTS, ALLOW_EMPTY, MAX_REMOVALS, LIMITS)
#: Namespaces whose near-misses are typos: the program's and the provider's retry settings.
OWN_NAMESPACES = (NAMESPACE, "policyAttachment")  # the second: the provider's retry settings

#: How many attachments one update may remove from the program before the guard
#: refuses (``org-policies:maxRemovals`` changes it; see README "Removing attachments").
DEFAULT_MAX_REMOVALS = 5

DEFAULT_POLICY_TYPE = provider.SERVICE_CONTROL_POLICY
ROOT_NAME = "Root"
OU_SEPARATOR = "/"


class TargetKind(enum.Enum):
    """How a target reference is read (from its text alone, see the module docstring)."""

    ID = "id"  # r-…, ou-…-… or a 12-digit account ID, used as is
    ROOT = "root"  # Root
    OU_PATH = "ou_path"  # Root/A/B
    ACCOUNT_NAME = "account_name"  # anything else


class PolicyKind(enum.Enum):
    """How a policy reference is read (from its text and the stack's policy names)."""

    ID = "id"  # p-…, used as is
    STACK = "stack"  # a policy declared under org-policies:policies
    AWS_NAME = "aws_name"  # the name of an existing policy


POLICY_KEYS = ("file", "type", "description")
ITEM_KEYS = ("policy", "skip_destroy", "import")
#: Keys of a target written as a mapping: ``{exclusive: true, policies: [...]}``.
TARGET_KEYS = ("exclusive", "policies", "exclusive_types", "skip_destroy")

#: Names of policies this stack creates: they also name Pulumi resources.
STACK_POLICY_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,128}")
MAX_DESCRIPTION = 512  # AWS CreatePolicy's limit

_ATTACHMENTS_EXAMPLE = "e.g. {Root/Workloads: [RestrictRegions, {policy: DenyRootUser, skip_destroy: true}]}"


@dataclass(frozen=True)
class PolicySpec:
    """A policy this stack creates from a JSON file in the repository."""

    name: str
    file: str
    type: str = DEFAULT_POLICY_TYPE
    description: str = ""


@dataclass(frozen=True)
class TargetRef:
    """A target as written in the config, and how to read it."""

    text: str
    kind: TargetKind

    @property
    def ou_names(self) -> tuple[str, ...]:
        """For an OU path, the OU names below the root (``Root/A/B`` -> ``("A", "B")``)."""
        return tuple(self.text.split(OU_SEPARATOR)[1:]) if self.kind is TargetKind.OU_PATH else ()


@dataclass(frozen=True)
class PolicyRef:
    """A policy as written in the config, and how to read it."""

    text: str
    kind: PolicyKind


@dataclass(frozen=True)
class AttachmentItem:
    """One policy on one target. ``position`` is 1-based, for messages only."""

    policy: PolicyRef
    skip_destroy: bool = False
    position: int = 1
    adopt: bool = False  # ``import: true``: take over an attachment that exists in AWS


@dataclass(frozen=True)
class TargetEntry:
    """One key of ``org-policies:attachments`` and its list.

    ``exclusive``: the target's policies of each type in ``exclusive_types``
    are exactly the listed ones of that type (others are detached);
    ``skip_destroy`` then says what removing the target does (see README)."""

    target: TargetRef
    items: tuple[AttachmentItem, ...]
    exclusive: bool = False
    exclusive_types: tuple[str, ...] = ()
    skip_destroy: bool = False


@dataclass(frozen=True)
class ProgramConfig:
    """The whole checked config."""

    policies: tuple[PolicySpec, ...] = ()
    attachments: tuple[TargetEntry, ...] = ()
    allow_empty: bool = False  # org-policies:allowEmpty: an empty attachments map is meant
    max_removals: int = DEFAULT_MAX_REMOVALS
    limits: provider.Limits = provider.Limits()  # org-policies:limits: AWS's numbers as this stack assumes them

    def policy(self, name: str) -> PolicySpec:
        """The stack policy called ``name`` (KeyError if none)."""
        for spec in self.policies:
            if spec.name == name:
                return spec
        raise KeyError(name)


def declared_at(target: str, policy: Optional[str] = None) -> str:
    """Where an entry of ``org-policies:attachments`` is, as messages name it:
    ``org-policies:attachments, target "Root/Sandbox", policy "DenyRootUser"``
    (the target alone without ``policy``)."""
    where = f'{ATTACHMENTS_KEY}, target "{target}"'
    return where if policy is None else f'{where}, policy "{policy}"'


def known_policy_types() -> frozenset[str]:
    """Policy types from the installed botocore's Organizations model: new types
    arrive with botocore updates, so nothing here is hard-coded."""
    return provider.policy_types()


def parse_config(
    policies: Any,
    attachments: Any,
    *,
    allow_empty: Any = None,
    max_removals: Any = None,
    limits: Any = None,
    policy_types: Optional[Collection[str]] = None,
) -> ProgramConfig:
    """Check the raw values of ``org-policies:policies``,
    ``org-policies:attachments``, ``org-policies:allowEmpty``,
    ``org-policies:maxRemovals`` and ``org-policies:limits`` (``None`` when
    unset) and return them typed.

    ``attachments`` is required, and an empty mapping only with ``allow_empty``
    true: a stack that declares nothing detaches everything it attached, so
    that must be said on purpose, never follow from a missing or misspelt key.
    ``policy_types`` is the set of valid policy types (default:
    :func:`known_policy_types`). Raises ConfigError for the first problem.
    """
    allowed = _parse_flag(ALLOW_EMPTY_KEY, allow_empty)
    limit = _parse_count(MAX_REMOVALS_KEY, max_removals, DEFAULT_MAX_REMOVALS)
    types = frozenset(policy_types or known_policy_types())
    assumed = _parse_limits(limits, types)
    specs = _parse_policies(policies, types)
    stack_names = frozenset(spec.name for spec in specs)
    return ProgramConfig(policies=specs, attachments=_parse_attachments(attachments, stack_names, allowed, types),
                         allow_empty=allowed, max_removals=limit, limits=assumed)


def check_keys(keys: Iterable[str]) -> None:
    """Refuse config keys this program would silently ignore: an unknown key of
    its namespace, or any key of a namespace close to one it reads
    (``org-policy:attachments``, ``orgPolicies:…``, ``policyattachment:…``). A
    misspelt attachments key would otherwise declare nothing."""
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE and name not in KNOWN_KEYS:
            close = difflib.get_close_matches(name, KNOWN_KEYS, n=1, cutoff=0.6)
            fix = (f"did you mean {NAMESPACE}:{close[0]}?" if close
                   else "the keys this program reads are "
                        + ", ".join(f"{NAMESPACE}:{known}" for known in KNOWN_KEYS))
            _fail(key, "unknown config key", f"Rename or remove it: {fix}")
        meant = _namespace_meant(namespace)
        if meant is not None:
            _fail(key, f"unknown config namespace {namespace!r}, which this program never reads",
                  f"Rename the key to {meant}:{name} (namespaces are case-sensitive)")


def _namespace_meant(namespace: str) -> Optional[str]:
    """The namespace of OWN_NAMESPACES that ``namespace`` misspells, if any."""
    if namespace in OWN_NAMESPACES:
        return None
    squashed = re.sub(r"[^a-z0-9]", "", namespace.lower())
    for own in OWN_NAMESPACES:
        target = re.sub(r"[^a-z0-9]", "", own.lower())
        if squashed == target or difflib.SequenceMatcher(None, squashed, target).ratio() >= 0.8:
            return own
    return None


def _parse_flag(key: str, raw: Any) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        _fail(key, f"must be true or false, not {raw!r}", f"Write {key}: true (unquoted)")
    return raw


def _parse_count(key: str, raw: Any, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        _fail(key, f"must be a whole number, 0 or more, not {raw!r}",
              f"Write e.g. {key}: 20 (the default is {default})")
    return raw


def _parse_limits(raw: Any, policy_types: frozenset[str]) -> provider.Limits:
    """``org-policies:limits``: AWS's numbers as this stack assumes them, per type."""
    try:
        return provider.limits_from_config(raw, policy_types)
    except provider.LimitsConfigError as err:
        _fail(LIMITS_KEY, str(err).removeprefix(f"{LIMITS_KEY}").lstrip(".: ") or str(err),
              f"Write e.g. {LIMITS_KEY}: {{SERVICE_CONTROL_POLICY: {{maximum: 10, documentCharacters: 10240}}}}, "
              "or remove the key to use AWS's numbers (README: AWS's limits)")


# -- policies ----------------------------------------------------------------------


def _parse_policies(raw: Any, policy_types: frozenset[str]) -> tuple[PolicySpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        _fail(POLICIES_KEY, f"must be a mapping of policy name -> {{file, type, description}}, "
              f"not {_kind_of(raw)}",
              "Write e.g. {DenyS3PublicAccess: {file: policies/deny-s3-public-access.json}}")
    return tuple(_parse_policy(name, value, policy_types) for name, value in raw.items())


def _parse_policy(name: Any, value: Any, policy_types: frozenset[str]) -> PolicySpec:
    where = f"{POLICIES_KEY}, policy {_quote(name)}"
    if not isinstance(name, str) or not STACK_POLICY_NAME.fullmatch(name):
        _fail(where, "a policy name must be 1 to 128 letters, digits or _+=,.@-",
              "Rename it (the name becomes the policy's name in AWS)")
    if ids.is_policy_id(name):
        _fail(where, "the name looks like a policy ID, so references to it would be read as an ID",
              "Rename it")
    if not isinstance(value, dict):
        _fail(where, f"must be a mapping with keys {', '.join(POLICY_KEYS)}, not {_kind_of(value)}",
              "Write e.g. {file: policies/deny-s3-public-access.json, description: ...}")
    _refuse_unknown_keys(where, value, POLICY_KEYS)
    file = value.get("file")
    if not isinstance(file, str) or not file.strip():
        _fail(where, "'file' is required: the path of the policy's JSON document",
              "Add file: policies/<name>.json (relative to the project directory)")
    if file.startswith(OU_SEPARATOR) or posixpath.normpath(file).startswith(".."):
        _fail(where, f"file {file!r} is outside the project",
              "Put the JSON document in the repository (e.g. under policies/) and give its relative path")
    policy_type = value.get("type", DEFAULT_POLICY_TYPE)
    if policy_type not in policy_types:
        close = difflib.get_close_matches(str(policy_type).upper(), sorted(policy_types), n=1, cutoff=0.5)
        fix = f"Did you mean {close[0]}? " if close else ""
        _fail(where, f"unknown policy type {policy_type!r}",
              f"{fix}Use one of: {', '.join(sorted(policy_types))}")
    description = value.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        _fail(where, f"'description' must be a string of at most {MAX_DESCRIPTION} characters",
              "Shorten or quote it")
    return PolicySpec(name=name, file=file, type=policy_type, description=description)


# -- attachments -------------------------------------------------------------------


_DECLARE_NONE = (f"To manage no attachment on purpose (`pulumi up` then detaches every policy "
                 f"this stack attached), write {ATTACHMENTS_KEY}: {{}} and {ALLOW_EMPTY_KEY}: true")


def _parse_attachments(raw: Any, stack_names: frozenset[str], allow_empty: bool,
                       policy_types: frozenset[str] = frozenset()) -> tuple[TargetEntry, ...]:
    if raw is None or raw == "":
        problem = "is not set" if raw is None else "has no value"
        _fail(ATTACHMENTS_KEY, f"{problem}, so this stack would declare no attachment and "
              "remove every one it manages",
              f"Check the key's spelling in the stack config, and list target -> policies "
              f"({_ATTACHMENTS_EXAMPLE}). {_DECLARE_NONE}")
    if not isinstance(raw, dict):
        _fail(ATTACHMENTS_KEY, f"must be a mapping of target -> list of policies, not {_kind_of(raw)}",
              f"Write {_ATTACHMENTS_EXAMPLE}")
    if not raw and not allow_empty:
        _fail(ATTACHMENTS_KEY, "is empty, so this stack would remove every attachment it manages",
              f"List target -> policies ({_ATTACHMENTS_EXAMPLE}). {_DECLARE_NONE}")
    return tuple(_parse_entry(key, value, stack_names, policy_types) for key, value in raw.items())


def _parse_entry(key: Any, value: Any, stack_names: frozenset[str],
                 policy_types: frozenset[str] = frozenset()) -> TargetEntry:
    where = f"{ATTACHMENTS_KEY}, target {_quote(key)}"
    target = _target_ref(where, key)
    if isinstance(value, dict):
        return _parse_target_mapping(where, target, value, stack_names, policy_types)
    if not isinstance(value, list):
        _fail(where, f"must be a list of policies, not {_kind_of(value)}",
              f"Write {_quote(key)}: [{value if isinstance(value, str) else 'PolicyName'}]")
    if not value:
        _fail(where, "the list of policies is empty",
              "List at least one policy, or remove the target (removing it detaches the "
              "policies this stack attached to it)")
    return TargetEntry(target=target, items=_parse_items(where, value, stack_names))


def _parse_items(where: str, value: list[Any], stack_names: frozenset[str]) -> tuple[AttachmentItem, ...]:
    items = tuple(_parse_item(where, n, item, stack_names) for n, item in enumerate(value, start=1))
    seen: dict[str, int] = {}
    for item in items:
        first = seen.setdefault(item.policy.text, item.position)
        if first != item.position:
            _fail(f"{where}, item {item.position}", f"policy {item.policy.text!r} is listed twice "
                  f"(items {first} and {item.position})", "Keep one of them")
    return items


def _parse_target_mapping(where: str, target: TargetRef, raw: dict[Any, Any], stack_names: frozenset[str],
                          policy_types: frozenset[str]) -> TargetEntry:
    """``{exclusive: true, policies: [...], exclusive_types: [...], skip_destroy: ...}``."""
    _refuse_unknown_keys(where, raw, TARGET_KEYS)
    flags = {}
    for flag in ("exclusive", "skip_destroy"):
        flags[flag] = raw.get(flag, False)
        if not isinstance(flags[flag], bool):
            _fail(where, f"'{flag}' must be true or false, not {flags[flag]!r}", f"Write {flag}: true (unquoted)")
    exclusive = flags["exclusive"]
    policies = raw.get("policies")
    if "policies" not in raw:
        _fail(where, "the mapping has no 'policies'",
              "Write {exclusive: true, policies: [AllowListCore, DenyLeaveOrganization]}")
    if not isinstance(policies, list):
        _fail(where, f"'policies' must be a list of policies, not {_kind_of(policies)}",
              "Write {exclusive: true, policies: [AllowListCore, DenyLeaveOrganization]}")
    if not policies and not exclusive:
        _fail(where, "the list of policies is empty", "List at least one policy, or remove the target")
    if not exclusive:
        for key in ("exclusive_types", "skip_destroy"):
            if key in raw:
                _fail(where, f"'{key}' applies to exclusive targets only",
                      f"Add exclusive: true, or remove '{key}' (items take skip_destroy: true)")
    types = raw.get("exclusive_types", [DEFAULT_POLICY_TYPE] if exclusive else [])
    if not isinstance(types, list) or (exclusive and not types):
        _fail(where, "'exclusive_types' must be a non-empty list of policy types",
              f"Write exclusive_types: [{DEFAULT_POLICY_TYPE}] (the default)")
    for policy_type in types:
        if not isinstance(policy_type, str) or policy_type not in policy_types:
            close = difflib.get_close_matches(str(policy_type).upper(), sorted(policy_types), n=1, cutoff=0.5)
            _fail(where, f"unknown policy type {policy_type!r} in exclusive_types",
                  (f"Did you mean {close[0]}? " if close else "") + f"Use one of: {', '.join(sorted(policy_types))}")
    if len(set(types)) != len(types):
        _fail(where, "'exclusive_types' lists a type twice", "Keep one of them")
    items = _parse_items(where, policies, stack_names)
    return TargetEntry(target=target, items=items, exclusive=exclusive, exclusive_types=tuple(types),
                       skip_destroy=flags["skip_destroy"])


def _target_ref(where: str, key: Any) -> TargetRef:
    if not isinstance(key, str) or not key.strip():
        _fail(where, "a target must be a non-empty string",
              "Quote account IDs in YAML (\"123456789012\") so they stay strings")
    if key != key.strip():
        _fail(where, "the target has leading or trailing spaces", "Remove them")
    if ids.target_type(key) is not None:
        return TargetRef(key, TargetKind.ID)
    if key == ROOT_NAME:
        return TargetRef(key, TargetKind.ROOT)
    if key.startswith(ROOT_NAME + OU_SEPARATOR):
        if any(not part.strip() for part in key.split(OU_SEPARATOR)):
            _fail(where, "the OU path has an empty segment",
                  "Write the path as Root/<OU>/<child OU>, without doubled or trailing '/'")
        return TargetRef(key, TargetKind.OU_PATH)
    if OU_SEPARATOR in key:
        head, _, rest = key.strip(OU_SEPARATOR).partition(OU_SEPARATOR)
        path = f"{ROOT_NAME}/{rest}" if head.lower() == ROOT_NAME.lower() and rest else \
            f"{ROOT_NAME}/{key.strip(OU_SEPARATOR)}"
        _fail(where, f"an OU path must start at the root, written {ROOT_NAME!r}",
              f"Write {path} (account names with '/' must be given by ID)")
    return TargetRef(key, TargetKind.ACCOUNT_NAME)


def _parse_item(where: str, position: int, raw: Any, stack_names: frozenset[str]) -> AttachmentItem:
    at = f"{where}, item {position}"
    if isinstance(raw, str):
        return AttachmentItem(policy=_policy_ref(at, raw, stack_names), position=position)
    if not isinstance(raw, dict):
        _fail(at, f"an item must be a policy name or ID, or a mapping, not {_kind_of(raw)}",
              "Write PolicyName, p-..., or {policy: PolicyName, skip_destroy: true}")
    _refuse_unknown_keys(at, raw, ITEM_KEYS)
    if "policy" not in raw:
        _fail(at, "the mapping has no 'policy'", "Add policy: <policy name or ID>")
    policy = _policy_ref(at, raw["policy"], stack_names)
    flags = {}
    for flag in ("skip_destroy", "import"):
        flags[flag] = raw.get(flag, False)
        if not isinstance(flags[flag], bool):
            _fail(at, f"'{flag}' must be true or false, not {flags[flag]!r}",
                  f"Write {flag}: true (unquoted)")
    if flags["import"] and policy.kind is PolicyKind.STACK:
        _fail(at, f"'import' cannot adopt {policy.text!r}: this stack creates that policy, so "
                  "nothing can be attached to it yet", "Remove import: true")
    return AttachmentItem(policy=policy, skip_destroy=flags["skip_destroy"], position=position,
                          adopt=flags["import"])


def _policy_ref(where: str, text: Any, stack_names: frozenset[str]) -> PolicyRef:
    if not isinstance(text, str) or not text.strip():
        _fail(where, f"a policy must be a non-empty name or ID, not {text!r}",
              "Write a policy name (FullAWSAccess) or ID (p-...)")
    if ids.is_policy_id(text):
        return PolicyRef(text, PolicyKind.ID)
    if text in stack_names:
        return PolicyRef(text, PolicyKind.STACK)
    return PolicyRef(text, PolicyKind.AWS_NAME)


# -- helpers -------------------------------------------------------------------------


def _refuse_unknown_keys(where: str, mapping: dict[Any, Any], allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            _fail(where, f"unknown key {key!r}", f"{hint}Allowed keys: {', '.join(allowed)}")


def _fail(where: str, problem: str, fix: str) -> NoReturn:
    raise ConfigError(where=where, problem=problem, fix=fix if fix.endswith(("?", ".")) else fix + ".")


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _kind_of(value: Any) -> str:
    names = {str: "a string", list: "a list", dict: "a mapping", bool: "a boolean",
             int: "a number", float: "a number", type(None): "empty"}
    return names.get(type(value), type(value).__name__)


# -- the provider's retry settings -----------------------------------------------------

RETRY_NAMESPACE = "policyAttachment"
#: ``policyAttachment:*`` keys (read by provider.stack_settings) and what each accepts.
RETRY_SETTINGS = {
    "maxAttempts": "a whole number from 1 to 50 (default 7)",
    "baseDelay": "a number of seconds greater than 0, e.g. 2 or 0.5 (default 2)",
    "maxDelay": "a number of seconds greater than 0 (default 20)",
}


def _only(key: str, get: Callable[[str], Any]) -> Callable[[str], Any]:
    """``get`` for ``key`` alone: every other key reads as not set."""
    return lambda asked: get(key) if asked == key else None


def check_retry_settings(get: Callable[[str], Any]) -> None:
    """Refuse a bad ``policyAttachment:*`` retry setting once, at program start,
    naming the key and what it accepts (the provider would otherwise fail each
    resource with a traceback). The provider's own reader decides what is valid."""
    for name, accepted in RETRY_SETTINGS.items():
        key = f"{RETRY_NAMESPACE}:{name}"
        try:
            provider.stack_settings(_only(key, get))
        except ValueError:
            _fail(key, f"must be {accepted}, not {get(key)!r}",
                  f"Fix it (pulumi config set {key} <value>) or remove it to use the default")
