"""The command line of adopt::

    python -m program.adopt --stack NAME [--cwd DIR] [--types TYPE[,TYPE]] [--include-managed]
                            [--under PATH|OU-ID] [--exclusive] [--write] [--progress|--no-progress]

Without ``--write`` it prints ``org-policies:attachments`` for what is attached now, as
YAML, on stdout. With ``--write`` it merges what the stack file does not declare yet into
``Pulumi.<stack>.yaml`` and prints one line per target it added to. It reads the stack
file's plain settings (``aws:region``, ``aws:profile``, ``policyAttachment:*``,
``org-policies:limits``) and the AWS environment as the program does, and only ever reads
the organization.

Exit codes: 0 done; 1 the organization could not be read (access denied: one line naming
the action), or the result would be refused by the program (nothing written); 2 a bad
argument (no such stack file, an unknown or disabled policy type, ``--under`` naming no OU).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, Optional

import provider
from provider import OrganizationsApi

from ..config import ATTACHMENTS_KEY, check_retry_settings
from ..directory import Directory
from ..errors import ProgramError
from . import adoption, declared, merge, naming, scan, yamlfile
from .errors import AdoptError, BadArgumentError, ConfigRefusedError, UnknownPolicyTypeError
from .listing import Listing
from .progress import Progress
from .readonly import ReadOnlyApi
from .stackfile import StackFile

PROG = "python -m program.adopt"


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument said in one line (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        raise BadArgumentError(prog=self.prog, problem=message)


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    cli = _Parser(prog=PROG, allow_abbrev=False, description="Declare what the organization has attached now, as "
                  "org-policies:attachments entries with import: true (read-only).")
    cli.add_argument("--stack", required=True, help="the stack: its settings are Pulumi.<stack>.yaml")
    cli.add_argument("--cwd", type=Path, default=None, help="the project folder (default: the current one)")
    cli.add_argument("--types", default=provider.SERVICE_CONTROL_POLICY, metavar="TYPE[,TYPE]",
                     help="policy types to adopt (default: SERVICE_CONTROL_POLICY); each must be enabled on the root")
    cli.add_argument("--include-managed", action="store_true",
                     help="also AWS-managed FullAWSAccess / RCPFullAWSAccess, with skip_destroy: true")
    cli.add_argument("--under", metavar="PATH|OU-ID", help="only the targets in this subtree (Root/Workloads, ou-...)")
    cli.add_argument("--exclusive", action="store_true",
                     help="write each target as {exclusive: true, policies: [...]}, listing every policy "
                          "of the types attached to it (AWS-managed included)")
    cli.add_argument("--write", action="store_true",
                     help="merge into Pulumi.<stack>.yaml (comments kept, nothing declared twice)")
    cli.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="a progress bar on stderr (default: when stderr is a terminal)")
    return cli


@dataclass(frozen=True)
class Outcome:
    """What a run wrote or would write."""

    entries: tuple[adoption.Entry, ...]
    notes: tuple[adoption.Note, ...]
    listing: Listing


def main(argv: Optional[Sequence[str]] = None, *, api: Optional[OrganizationsApi] = None,
         stdout: IO[str] = sys.stdout, stderr: IO[str] = sys.stderr) -> int:
    """Run the command; its exit code. ``api``: the AWS layer to read through (default:
    one from the stack file's settings; tests pass one with a Stubber)."""
    try:
        args = parser().parse_args(argv)
        run(args, api=api, stdout=stdout, stderr=stderr)
    except AdoptError as err:
        print(f"error: {err}", file=stderr)
        return err.exit_code
    return 0


def run(args: argparse.Namespace, *, api: Optional[OrganizationsApi], stdout: IO[str], stderr: IO[str]) -> Outcome:
    """Read, decide, then print or write (see the module docstring)."""
    types = policy_types(args.types)
    stack = StackFile.load(args.cwd or Path.cwd(), args.stack)
    values = stack.values()
    existing = _checked("The stack file's config", lambda: _existing(stack))
    settings = provider.stack_settings(stack.get)
    reader = api if isinstance(api, ReadOnlyApi) else ReadOnlyApi.like(api or settings.api())
    options = adoption.Options(types=types, managed=args.include_managed, exclusive=args.exclusive)
    request = scan.ScanRequest(types=types, under=args.under, managed=options.lists_managed, limits=settings.limits)
    progress = Progress.for_stream(args.progress, stderr)
    snapshot, choice = scan.scan(reader, request, progress)
    if progress.enabled:
        print(f"read {len(snapshot.scope)} targets, {snapshot.attachment_count()} attachments in "
              f"{sum(reader.calls.values())} calls ({choice.name})", file=stderr)
    directory = Directory(reader)
    found = declared.Declared()
    if args.write:
        with scan.reading():
            found = _checked("The stack file's config",
                             lambda: declared.resolve(existing, directory, _policy_named(snapshot)))
        for entry in found.unresolved:
            print(f"warning: {entry.label}: {entry.message.splitlines()[0]} (left as it is)", file=stderr)
    targets = naming.target_texts(snapshot)
    policies = naming.policy_texts(snapshot.policies, {spec.name for spec in existing.policies})
    written, notes = adoption.entries(snapshot, targets, policies, options, found)
    for note in notes:
        print(f"note: {note.key}: {note.reason}", file=stderr)
    if args.write:
        _write(stack, written, directory, stdout)
    else:
        _print(values, written, directory, stdout, stderr)
    return Outcome(written, notes, choice)


def policy_types(text: str) -> tuple[str, ...]:
    """``--types``: known policy types, in the order given, each once."""
    known = provider.policy_types()
    types = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    for policy_type in types:
        if policy_type not in known:
            close = difflib.get_close_matches(policy_type.upper(), sorted(known), n=1, cutoff=0.5)
            raise UnknownPolicyTypeError(policy_type=policy_type, suggestion=f" (did you mean {close[0]}?)"
                                         if close else "", known=", ".join(sorted(known)))
    if not types:
        raise BadArgumentError(prog=PROG, problem="--types names no policy type")
    return types


def _existing(stack: StackFile) -> Any:
    check_retry_settings(stack.get)
    return declared.program_config(stack.values())


def _checked(what: str, fn: Any) -> Any:
    """``fn()``; a config the program refuses becomes ConfigRefusedError naming ``what``."""
    try:
        return fn()
    except ProgramError as err:
        raise ConfigRefusedError(what=what, reason=str(err)) from err


def _policy_named(snapshot: Any) -> Any:
    def named(name: str) -> Optional[str]:
        matches = [p.id for p in snapshot.policies if p.name == name]
        return matches[0] if len(matches) == 1 else None

    return named


def _print(values: dict[str, Any], written: Sequence[adoption.Entry], directory: Directory, stdout: IO[str],
           stderr: IO[str]) -> None:
    document = merge.attachments_document(written)
    if written:  # what is printed must be a config the program accepts
        with scan.reading():
            _checked("The printed mapping", lambda: declared.check_result(
                {**values, ATTACHMENTS_KEY: yamlfile.plain(document[ATTACHMENTS_KEY])}, directory))
    else:
        print("note: nothing to adopt: no attachment of these types beyond what AWS attaches everywhere",
              file=stderr)
    stdout.write(yamlfile.dump(document))


def _write(stack: StackFile, written: Sequence[adoption.Entry], directory: Directory, stdout: IO[str]) -> None:
    if not written:
        print(f"Nothing to add: {stack.path.name} already declares every attachment found.", file=stdout)
        return
    merge.merge(stack, written)
    with scan.reading():
        _checked(f"{stack.path.name} with the adopted entries",
                 lambda: declared.check_result(stack.values(), directory))
    stack.write(stack.render())
    for entry in written:
        form = "exclusive: " if entry.exclusive else ("+ " if entry.existing else "")
        print(f"{entry.key}: {form}{', '.join(item.policy for item in entry.items)}", file=stdout)
    targets = len(written)
    print(f"Added {adoption.count(written)} attachment(s) on {targets} target(s) to {stack.path.name}. "
          "Next: `pulumi preview` shows them as creates (adoptions); `pulumi up` records them "
          "without attaching or detaching anything.", file=stdout)
