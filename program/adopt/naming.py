"""How adopt writes each target and policy in ``org-policies:attachments``: pure.

A target is written ``Root``, as its OU path (``Root/Workloads/Prod``) or as its
account name, and a policy by its name, whenever the program would read that text
back as the very same thing (:mod:`program.config` decides how text is read,
:mod:`program.directory` what it matches). Otherwise it is written by ID:

* an account name shared by two accounts, or one the config would read as something
  else (``Root``, a name with ``/``, a 12-digit name, leading or trailing spaces);
* an OU whose path has a segment shared by two OUs under one parent, or a segment
  that cannot be written in a path (``/`` in it, empty, leading or trailing spaces);
* a policy name shared by two policies of the types enabled on the root, one that
  looks like a policy ID, or one the stack creates (``org-policies:policies``: the
  config would read it as that policy).

Each name is finally read back through :func:`program.config.parse_config` itself:
text it reads as another kind of reference falls back to the ID.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import Optional

from provider import PolicySummary, ids

from ..config import OU_SEPARATOR, ROOT_NAME, PolicyKind, TargetKind, parse_config
from ..errors import ConfigError
from .snapshot import Snapshot


def target_texts(snapshot: Snapshot) -> dict[str, str]:
    """Target ID -> how to write it, for the root, every OU and every account of
    ``snapshot``."""
    texts = {snapshot.root_id: ROOT_NAME}
    texts.update((ou_id, ou_path(snapshot, ou_id) or ou_id) for ou_id in snapshot.ous)
    shared = _shared(snapshot.accounts.values())
    for account_id, name in snapshot.accounts.items():
        usable = name not in shared and reads_as_target(name, TargetKind.ACCOUNT_NAME)
        texts[account_id] = name if usable else account_id
    return texts


def ou_path(snapshot: Snapshot, ou_id: str) -> Optional[str]:
    """``Root/A/B`` for the OU, or None when a segment on its path cannot name it
    (see the module docstring)."""
    names: list[str] = []
    current = ou_id
    while current != snapshot.root_id:
        ou, parent = snapshot.ous.get(current), snapshot.parents.get(current)
        if ou is None or parent is None:
            return None  # a parent the scan did not list: no path to write
        siblings = [snapshot.ous[s].name for s in snapshot.children.get(parent, ()) if s in snapshot.ous]
        if not _plain_segment(ou.name) or siblings.count(ou.name) > 1:
            return None
        names.append(ou.name)
        current = parent
    path = OU_SEPARATOR.join([ROOT_NAME, *reversed(names)])
    return path if reads_as_target(path, TargetKind.OU_PATH, tuple(reversed(names))) else None


def policy_texts(policies: Iterable[PolicySummary], stack_names: Collection[str]) -> dict[str, str]:
    """Policy ID -> how to write it: its name when that names only it, else its ID.
    ``policies``: every policy of the types enabled on the root (the program
    searches them all); ``stack_names``: the policies the stack creates."""
    listed = list(policies)
    shared = _shared(p.name for p in listed)
    return {p.id: p.name if (p.name not in shared and p.name not in stack_names and reads_as_policy(p.name))
            else p.id for p in listed}


def reads_as_target(text: str, kind: TargetKind, ou_names: tuple[str, ...] = ()) -> bool:
    """Whether the config reads ``text`` as a target reference of ``kind`` (and, for
    an OU path, with exactly ``ou_names`` below the root)."""
    try:
        [entry] = parse_config(None, {text: ["FullAWSAccess"]}).attachments
    except (ConfigError, ValueError):
        return False
    return entry.target.kind is kind and entry.target.ou_names == ou_names


def reads_as_policy(name: str) -> bool:
    """Whether the config reads ``name`` as the name of an existing AWS policy."""
    if not name or name != name.strip() or ids.is_policy_id(name):
        return False
    try:
        [entry] = parse_config(None, {ROOT_NAME: [name]}).attachments
    except (ConfigError, ValueError):
        return False
    return entry.items[0].policy.kind is PolicyKind.AWS_NAME


def _plain_segment(name: str) -> bool:
    return bool(name) and name == name.strip() and OU_SEPARATOR not in name


def _shared(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name for name, count in Counter(names).items() if count > 1)

