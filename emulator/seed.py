"""The seed file: a small YAML description of an organization, checked, then built in moto.

Format (every key optional; paths in ``content_file`` are relative to the YAML file)::

    enabled_policy_types: [SERVICE_CONTROL_POLICY, TAG_POLICY]   # default: [SERVICE_CONTROL_POLICY]
    management_account: {name: management}                      # moto's account, renamed
    organizational_units: [Root/Security, Root/Workloads/Prod]   # parents are created implicitly
    accounts:
      - {name: prod-app, ou: Root/Workloads/Prod, email: prod@example.com}  # ou default Root
    policies:
      - {name: DenyLeave, type: SERVICE_CONTROL_POLICY, description: ..., content_file: p.json}
    attachments:
      - {target: Root, policies: [DenyLeave]}   # target: Root, an OU path or an account name
    limits:                                     # default: AWS's limits today (limits.py)
      SERVICE_CONTROL_POLICY: {maximum: 5, documentCharacters: 5120}   # any of the keys,
                                                # and minimum; as the product's org-policies:limits

``load_seed`` checks everything AWS would refuse (unknown names, a type not enabled, more
policies on a target than the limits allow, a document too long) before anything is built,
and raises ``SeedError`` with one line naming the file, the line, the entry and what to do.
The limits the seed is checked against are also the ones the endpoint enforces after every
reset (``SeedSpec.limits``). ``apply_seed`` then builds the
organization through moto's own backend methods and returns the IDs it created.

Cycles cannot occur: an OU's parent is its path minus the last segment, a strictly shorter
path, so the OU tree is a tree by construction; and an account is one entry with one ``ou``, so
it cannot sit in two OUs (a second entry with the same name is a duplicate-name error).
AWS-managed FullAWSAccess and RCPFullAWSAccess are attached to every target already (moto does
that); naming them in ``attachments`` is allowed and changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import yaml

from .limits import (
    AWS_MANAGED_POLICIES,
    SERVICE_CONTROL_POLICY,
    TODAY,
    LimitsConfig,
    LimitsConfigError,
)
from .service_model import aws_policy_types

if TYPE_CHECKING:
    from moto.organizations.models import FakeRoot, OrganizationsBackend

SAMPLE_SEED = Path(__file__).parent / "sample" / "organization.yaml"
ROOT = "Root"
DEFAULT_MANAGEMENT_NAME = "management"
_MANAGED_BY_NAME = {p.name: p for p in AWS_MANAGED_POLICIES}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TOP_KEYS = (
    "enabled_policy_types",
    "management_account",
    "organizational_units",
    "accounts",
    "policies",
    "attachments",
    "limits",
)


class SeedError(Exception):
    """The seed file cannot be used. ``str()`` is one line: where, what is wrong, what to do."""

    def __init__(
        self, path: Path, problem: str, fix: str, line: int | None = None, entry: str = ""
    ) -> None:
        self.path, self.problem, self.fix, self.line, self.entry = path, problem, fix, line, entry
        where = f"{path}:{line}" if line else f"{path}"
        what = f"{entry}: {problem}" if entry else problem
        super().__init__(f"{where}: {what}; {fix}")


@dataclass(frozen=True)
class AccountSpec:
    name: str
    ou: str
    email: str


@dataclass(frozen=True)
class PolicySpec:
    name: str
    policy_type: str
    description: str
    content: str


@dataclass(frozen=True)
class AttachmentSpec:
    target: str
    policies: tuple[str, ...]


@dataclass(frozen=True)
class SeedSpec:
    """A checked seed. ``ous`` lists every OU path, implicit parents included, parents first;
    ``limits``: the ones it was checked against, which the endpoint enforces after a reset."""

    enabled_policy_types: tuple[str, ...] = (SERVICE_CONTROL_POLICY,)
    management_account_name: str = DEFAULT_MANAGEMENT_NAME
    ous: tuple[str, ...] = ()
    accounts: tuple[AccountSpec, ...] = ()
    policies: tuple[PolicySpec, ...] = ()
    attachments: tuple[AttachmentSpec, ...] = ()
    limits: LimitsConfig = TODAY


#: ``--no-seed``: the organization moto creates, SCPs enabled, the management account renamed.
BARE_SEED = SeedSpec()


def load_seed(path: Path | str, limits: LimitsConfig | None = None) -> SeedSpec:
    """Read and check the seed file at ``path``; SeedError on anything AWS or YAML would refuse.

    ``limits``, if given, replaces the file's ``limits:`` (still checked) for the checks and in
    the returned spec.
    """
    path = Path(path)
    return _Checker(path, limits).check(_read_yaml(path))


# --- YAML with line numbers ---------------------------------------------------------------


class _Map(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line = 0
    key_lines: dict[str, int]


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    line = 0
    item_lines: list[int]


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(
            path, "seed file not found", "pass an existing YAML file, or --no-seed"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise SeedError(path, f"cannot read the seed file ({err})", "check the path") from err
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return _Map() if node is None else _convert(node, loader, path)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise SeedError(
            path,
            f"invalid YAML: {err.problem or err.context}",
            "fix the YAML syntax",
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as err:
        raise SeedError(path, f"invalid YAML: {err}", "fix the YAML syntax") from None
    finally:
        loader.dispose()


def _convert(node: yaml.Node, loader: yaml.SafeLoader, path: Path) -> Any:
    """Like SafeLoader's construction, keeping lines and refusing duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        mapping = _Map()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, path)
            if not isinstance(key, str):
                raise SeedError(path, f"key {key!r} is not a string", "use names as keys",
                                line=key_node.start_mark.line + 1)
            if key in mapping:
                raise SeedError(path, f"key {key!r} appears twice in one mapping",
                                "keep one", line=key_node.start_mark.line + 1)
            mapping[key] = _convert(value_node, loader, path)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        seq = _Seq(_convert(item, loader, path) for item in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return loader.construct_object(node, deep=True)


# --- checking -------------------------------------------------------------------------------


class _Checker:
    """Turns the parsed YAML into a SeedSpec, failing on the first entry AWS would refuse."""

    def __init__(self, path: Path, limits: LimitsConfig | None = None) -> None:
        self.path = path
        self.limits_override = limits

    def fail(self, line: int | None, entry: str, problem: str, fix: str) -> NoReturn:
        raise SeedError(self.path, problem, fix, line=line or None, entry=entry)

    def check(self, doc: Any) -> SeedSpec:
        if not isinstance(doc, dict):
            self.fail(1, "", "the seed file must be a YAML mapping",
                      f"use top-level keys from: {', '.join(_TOP_KEYS)}")
        for key in doc:
            if key not in _TOP_KEYS:
                self.fail(self._key_line(doc, key), key, "unknown key",
                          f"use one of: {', '.join(_TOP_KEYS)}")
        limits = self._limits(doc)
        if self.limits_override is not None:
            limits = self.limits_override
        types = self._enabled_types(doc)
        management = self._management(doc.get("management_account"))
        ous = self._ous(doc)
        accounts = self._accounts(doc, ous, management)
        policies = self._policies(doc, limits)
        attachments = self._attachments(doc, ous, {a.name for a in accounts} | {management},
                                        {p.name: p for p in policies}, types, limits)
        return SeedSpec(types, management, tuple(ous), accounts, policies, attachments, limits)

    def _key_line(self, doc: Any, key: str) -> int:
        value = doc.get(key)
        return getattr(value, "line", 0) or getattr(doc, "line", 0)

    def _list(self, doc: Any, key: str) -> _Seq:
        value = doc.get(key)
        if value is None:
            return _Seq()
        if not isinstance(value, list):
            self.fail(self._key_line(doc, key), key, "must be a list", "write it as a YAML list")
        return value  # type: ignore[return-value]

    def _entry(self, seq: _Seq, index: int, key: str, fields: tuple[str, ...]) -> _Map:
        item = seq[index]
        line = seq.item_lines[index]
        if not isinstance(item, dict):
            self.fail(line, f"{key}[{index}]", "must be a mapping",
                      f"write it with the fields: {', '.join(fields)}")
        for field_name in item:
            if field_name not in fields:
                self.fail(line, f"{key}[{index}]", f"unknown key {field_name!r}",
                          f"use one of: {', '.join(fields)}")
        return item  # type: ignore[return-value]

    def _string(self, value: Any, line: int, entry: str, field_name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(line, entry, f"{field_name} must be a non-empty string",
                      f"give {field_name} a value")
        return value.strip()

    def _limits(self, doc: Any) -> LimitsConfig:
        value = doc.get("limits")
        if value is None:
            return TODAY
        try:
            return LimitsConfig.from_json(value)
        except LimitsConfigError as err:
            entry = ".".join(part for part in ("limits", err.policy_type, err.key) if part)
            self.fail(_line_of(doc, "limits", err.policy_type, err.key), entry, err.problem,
                      err.fix)

    def _enabled_types(self, doc: Any) -> tuple[str, ...]:
        if "enabled_policy_types" not in doc:
            return (SERVICE_CONTROL_POLICY,)
        seq = self._list(doc, "enabled_policy_types")
        known = aws_policy_types()
        types: list[str] = []
        for index, value in enumerate(seq):
            line, entry = seq.item_lines[index], f"enabled_policy_types[{index}]"
            if value not in known:
                self.fail(line, entry, f"unknown policy type {value!r}",
                          f"use one of: {', '.join(known)}")
            if value in types:
                self.fail(line, entry, f"{value} is listed twice", "keep one")
            types.append(value)
        return tuple(types)

    def _management(self, value: Any) -> str:
        if value is None:
            return DEFAULT_MANAGEMENT_NAME
        line = getattr(value, "line", 0)
        if not isinstance(value, dict) or set(value) - {"name"}:
            self.fail(line, "management_account", "must be a mapping with only 'name'",
                      "write it as {name: management}")
        name = self._string(value.get("name"), line, "management_account", "name")
        self._account_name(name, line, "management_account")
        return name

    def _ous(self, doc: Any) -> list[str]:
        seq = self._list(doc, "organizational_units")
        listed: set[str] = set()
        ous: list[str] = []
        for index, value in enumerate(seq):
            line = seq.item_lines[index]
            entry = f"organizational_units[{index}] ({value!r})"
            path = self._string(value, line, entry, "OU path")
            self._ou_path(path, line, entry)
            if path in listed:
                self.fail(line, entry, "duplicate OU path", "list each OU once")
            listed.add(path)
            segments = path.split("/")
            for depth in range(2, len(segments) + 1):
                prefix = "/".join(segments[:depth])
                if prefix not in ous:
                    ous.append(prefix)  # parents first: they are created implicitly
        return ous

    def _ou_path(self, path: str, line: int, entry: str) -> None:
        if path == ROOT:
            self.fail(line, entry, "Root is the organization's root, not an OU",
                      "list OUs under it, e.g. Root/Workloads")
        if not path.startswith(ROOT + "/"):
            self.fail(line, entry, f"OU path {path!r} is not under Root",
                      f"write it as 'Root/{path.lstrip('/')}'")
        for name in path.split("/")[1:]:
            if not name or name != name.strip() or len(name) > 128:
                self.fail(line, entry, f"OU path {path!r} has an empty, padded or too long "
                          "name", "use names of 1 to 128 characters separated by single '/'")

    def _account_name(self, name: str, line: int, entry: str) -> None:
        if "/" in name or name == ROOT or len(name) > 50:
            self.fail(line, entry, f"account name {name!r} cannot be used",
                      "use 1 to 50 characters, no '/', and not 'Root' (attachment targets "
                      "use '/' and 'Root' for OUs)")

    def _accounts(self, doc: Any, ous: list[str], management: str) -> tuple[AccountSpec, ...]:
        seq = self._list(doc, "accounts")
        accounts: dict[str, AccountSpec] = {}
        emails: set[str] = set()
        for index in range(len(seq)):
            item = self._entry(seq, index, "accounts", ("name", "ou", "email"))
            line = seq.item_lines[index]
            name = self._string(item.get("name"), line, f"accounts[{index}]", "name")
            entry = f"accounts[{index}] ({name})"
            self._account_name(name, line, entry)
            if name in accounts or name == management:
                self.fail(line, entry, f"account name {name!r} is already used",
                          "give each account one entry and a unique name (an account sits "
                          "in exactly one OU)")
            ou = self._string(item.get("ou", ROOT), line, entry, "ou")
            if ou != ROOT and ou not in ous:
                self._ou_path(ou, line, entry)
                self.fail(line, entry, f"OU {ou!r} is not defined",
                          "add it to organizational_units")
            email = self._string(item.get("email", _default_email(name)), line, entry, "email")
            if not _EMAIL.fullmatch(email):
                self.fail(line, entry, f"email {email!r} is not an email address",
                          "use name@domain.tld or leave email out to generate one")
            if email in emails:
                self.fail(line, entry, f"email {email!r} is already used",
                          "AWS needs a unique email per account")
            emails.add(email)
            accounts[name] = AccountSpec(name, ou, email)
        return tuple(accounts.values())

    def _policies(self, doc: Any, limits: LimitsConfig) -> tuple[PolicySpec, ...]:
        seq = self._list(doc, "policies")
        known = aws_policy_types()
        policies: dict[str, PolicySpec] = {}
        fields = ("name", "type", "description", "content_file")
        for index in range(len(seq)):
            item = self._entry(seq, index, "policies", fields)
            line = seq.item_lines[index]
            name = self._string(item.get("name"), line, f"policies[{index}]", "name")
            entry = f"policies[{index}] ({name})"
            if name in policies or name in _MANAGED_BY_NAME:
                self.fail(line, entry, f"policy name {name!r} is already used",
                          "give each policy a unique name (FullAWSAccess and "
                          "RCPFullAWSAccess are AWS's)")
            policy_type = item.get("type", SERVICE_CONTROL_POLICY)
            if policy_type not in known:
                self.fail(line, entry, f"unknown policy type {policy_type!r}",
                          f"use one of: {', '.join(known)}")
            description = item.get("description", "")
            if not isinstance(description, str):
                self.fail(line, entry, "description must be a string", "quote it")
            content_file = self._string(item.get("content_file"), line, entry, "content_file")
            content = self._content(self.path.parent / content_file, line, entry)
            longest = limits.limits_for(policy_type).document_characters
            if longest is not None and len(content) > longest:
                self.fail(line, entry, f"policy file {content_file} has {len(content):,} "
                          f"characters, a {policy_type} may have {longest:,}",
                          "shorten it (whitespace counts), or raise documentCharacters in limits")
            policies[name] = PolicySpec(name, policy_type, description, content)
        return tuple(policies.values())

    def _content(self, file: Path, line: int, entry: str) -> str:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.fail(line, entry, f"policy file {file} not found",
                      "content_file is relative to the seed file's folder")
        except (OSError, UnicodeDecodeError) as err:
            self.fail(line, entry, f"cannot read policy file {file} ({err})", "check the file")
        try:
            json.loads(text)
        except json.JSONDecodeError as err:
            self.fail(line, entry, f"policy file {file} is not valid JSON ({err.msg} at line "
                      f"{err.lineno} column {err.colno})", "fix the JSON")
        return text.strip()

    def _attachments(
        self,
        doc: Any,
        ous: list[str],
        accounts: set[str],
        policies: dict[str, PolicySpec],
        enabled: tuple[str, ...],
        limits: LimitsConfig,
    ) -> tuple[AttachmentSpec, ...]:
        seq = self._list(doc, "attachments")
        seen: dict[str, int] = {}
        result: list[AttachmentSpec] = []
        for index in range(len(seq)):
            item = self._entry(seq, index, "attachments", ("target", "policies"))
            line = seq.item_lines[index]
            target = self._string(item.get("target"), line, f"attachments[{index}]", "target")
            entry = f"attachments[{index}] (target {target})"
            self._target(target, ous, accounts, line, entry)
            if target in seen:
                self.fail(line, entry, f"target also has an entry at line {seen[target]}",
                          "list all of a target's policies in one entry")
            seen[target] = line
            names = item.get("policies")
            if not isinstance(names, list) or not names:
                self.fail(line, entry, "policies must be a non-empty list of policy names",
                          "write e.g. policies: [DenyLeaveOrganization]")
            result.append(AttachmentSpec(target, self._attached(
                names, policies, enabled, limits, line, entry)))
        return tuple(result)

    def _target(self, target: str, ous: list[str], accounts: set[str], line: int,
                entry: str) -> None:
        if target == ROOT or target in ous or target in accounts:
            return
        if "/" in target:
            self._ou_path(target, line, entry)
            self.fail(line, entry, f"OU {target!r} is not defined",
                      "add it to organizational_units")
        self.fail(line, entry, f"unknown target {target!r}",
                  "use Root, an OU path from organizational_units or an account name "
                  "from accounts")

    def _attached(self, names: list[Any], policies: dict[str, PolicySpec],
                  enabled: tuple[str, ...], limits: LimitsConfig, line: int,
                  entry: str) -> tuple[str, ...]:
        # Every target starts with the AWS-managed policies attached (moto does the same).
        counts = {p.policy_type: 1 for p in AWS_MANAGED_POLICIES}
        attached: list[str] = []
        for name in names:
            if not isinstance(name, str):
                self.fail(line, entry, f"policy {name!r} is not a policy name",
                          "list policy names as strings")
            if name in attached:
                self.fail(line, entry, f"policy {name!r} is listed twice", "keep one")
            attached.append(name)
            if name in _MANAGED_BY_NAME:
                continue  # already attached everywhere: counted above
            policy = policies.get(name)
            if policy is None:
                self.fail(line, entry, f"policy {name!r} is not defined",
                          "add it under policies or use FullAWSAccess / RCPFullAWSAccess")
            if policy.policy_type not in enabled:
                self.fail(line, entry, f"policy {name!r} is a {policy.policy_type}, which is "
                          "not enabled", f"add {policy.policy_type} to enabled_policy_types")
            counts[policy.policy_type] = counts.get(policy.policy_type, 0) + 1
            maximum = limits.limits_for(policy.policy_type).maximum
            if maximum is not None and counts[policy.policy_type] > maximum:
                self.fail(line, entry, f"attaching {name!r} makes "
                          f"{counts[policy.policy_type]} {policy.policy_type} policies on "
                          f"this target (AWS-managed ones included), the maximum is {maximum}",
                          "attach fewer policies of that type to this target, or raise its "
                          "maximum in limits")
        return tuple(attached)


def _line_of(doc: Any, *keys: str | None) -> int:
    """The line of the deepest of ``keys`` (a path into ``doc``) the YAML has, else 0."""
    line, node = 0, doc
    for key in keys:
        if key is None or not isinstance(node, dict):
            break
        line = getattr(node, "key_lines", {}).get(key, line)
        node = node.get(key)
    return line


def _default_email(account_name: str) -> str:
    local = re.sub(r"[^a-z0-9.+-]+", "-", account_name.lower()).strip("-.") or "account"
    return f"{local}@example.com"


# --- building ---------------------------------------------------------------------------------


def apply_seed(spec: SeedSpec, backend: OrganizationsBackend, region: str = "us-east-1"
               ) -> dict[str, Any]:
    """Create ``spec``'s organization in an empty moto backend; return the IDs it created.

    The spec is already checked, so moto's own methods are called directly (no AWS rules in
    the way, no calls counted).
    """
    backend.create_organization(region=region, FeatureSet="ALL")
    assert backend.org is not None
    root = cast("FakeRoot", next(ou for ou in backend.ou if ou.type == "ROOT"))  # moto types its list by the base class
    management = backend.get_account_by_id(backend.org.master_account_id)
    # moto calls it "master". Known cost: moto's DeleteOrganization finds the management
    # account by that name, so on this endpoint it always answers OrganizationNotEmpty.
    management.name = spec.management_account_name
    # CreateOrganization enabled SCPs already (as AWS does); match the seed's list exactly.
    enabled = {t["Type"] for t in root.policy_types}
    for policy_type in spec.enabled_policy_types:
        if policy_type not in enabled:
            backend.enable_policy_type(RootId=root.id, PolicyType=policy_type)
    for policy_type in enabled - set(spec.enabled_policy_types):
        backend.disable_policy_type(RootId=root.id, PolicyType=policy_type)

    ou_ids = {ROOT: root.id}
    for path in spec.ous:
        parent, _, name = path.rpartition("/")
        created = backend.create_organizational_unit(Name=name, ParentId=ou_ids[parent])
        ou_ids[path] = created["OrganizationalUnit"]["Id"]

    account_ids = {management.name: management.id}
    for account in spec.accounts:
        status = backend.create_account(AccountName=account.name, Email=account.email)
        account_ids[account.name] = status["CreateAccountStatus"]["AccountId"]
        if account.ou != ROOT:
            backend.move_account(AccountId=account_ids[account.name], SourceParentId=root.id,
                                 DestinationParentId=ou_ids[account.ou])

    policy_ids = {p.name: p.policy_id for p in AWS_MANAGED_POLICIES}
    for policy in spec.policies:
        created = backend.create_policy(Name=policy.name, Description=policy.description,
                                        Content=policy.content, Type=policy.policy_type)
        policy_ids[policy.name] = created["Policy"]["PolicySummary"]["Id"]

    for attachment in spec.attachments:
        target_id = ou_ids.get(attachment.target) or account_ids[attachment.target]
        for name in attachment.policies:
            if name not in _MANAGED_BY_NAME:  # those are attached everywhere already
                backend.attach_policy(PolicyId=policy_ids[name], TargetId=target_id)

    return {
        "organization": backend.org.id,
        "root": root.id,
        "management_account": management.id,
        "ous": {path: ou_ids[path] for path in spec.ous},
        "accounts": account_ids,
        "policies": policy_ids,
    }
