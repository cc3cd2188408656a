"""The change summary a reviewer reads: text for the preview's own output,
Markdown for a pull-request comment, JSON for tools. Pure: reports in, text out.

Every form says the same things, from the same lines (:func:`lines`): one
headline, then per changed target its name and ID, what happens to each policy
(refused removals marked), the accounts the change reaches, and for SCPs what
those accounts lose and gain. Unchanged targets are not listed; no change at
all is one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from provider import names

from .changes import Action
from .reach import TargetReport, shown_accounts

HEADLINE = "org-policies change summary"

_VERBS = {
    Action.ATTACH: ("+", "attach"),
    Action.ADOPT: ("=", "adopt (already attached: no change in AWS)"),
    Action.REPLACE: ("+-", "replace with"),
    Action.DETACH: ("-", "detach"),
    Action.FORGET: ("=", "stop managing (skip_destroy: stays attached in AWS)"),
    Action.EXCLUSIVE_ATTACH: ("+", "attach (exclusive)"),
    Action.EXCLUSIVE_DETACH: ("-", "detach (exclusive)"),
    Action.TAKE_OVER: ("~", "becomes exclusive for"),
    Action.GIVE_BACK: ("~", "stops being exclusive for"),
}


@dataclass(frozen=True)
class RemovalLimitRefusal:
    """The update removes more attachments than ``org-policies:maxRemovals`` allows."""

    count: int
    limit: int


@dataclass(frozen=True)
class Summary:
    """One run's summary: the changed targets, and the removal limit's refusal if any."""

    reports: Sequence[TargetReport]
    removal_limit: Optional[RemovalLimitRefusal] = None

    @property
    def changed(self) -> bool:
        return bool(self.reports)


def headline(summary: Summary) -> str:
    if not summary.changed and not summary.removal_limit:
        return f"{HEADLINE}: no change to policy attachments."
    count = len(summary.reports)
    refused = sum(len(r.refused) for r in summary.reports)
    parts = [f"{count} target{'' if count == 1 else 's'} change{'s' if count == 1 else ''}"] if count else []
    if refused:
        parts.append(f"{refused} removal{'' if refused == 1 else 's'} would be refused")
    if summary.removal_limit:
        parts.append(f"refused: {summary.removal_limit.count} removals, more than org-policies:maxRemovals "
                     f"({summary.removal_limit.limit}) allows")
    return f"{HEADLINE}: {'; '.join(parts)}."


def target_heading(report: TargetReport) -> str:
    return f"{report.target}, reaching {shown_accounts(report.reach)}"


def change_line(line: Any) -> str:
    symbol, verb = _VERBS[line.action]
    kind = f" [{_short_type(line.policy_type)}]" if line.policy_type and line.action not in (
        Action.TAKE_OVER, Action.GIVE_BACK) else ""
    refused = f" -- REFUSED: {line.refused}" if line.refused else ""
    return f"{symbol} {verb} {line.policy}{kind}{refused}"


def lines(summary: Summary) -> list[tuple[int, str]]:
    """``(depth, text)`` rows, the same in every form: 0 headline, 1 target, 2 its lines."""
    rows = [(0, headline(summary))]
    for report in summary.reports:
        rows.append((1, target_heading(report)))
        rows += [(2, change_line(line)) for line in report.lines]
        rows += [(2, effect) for effect in report.effects]
    return rows


def as_text(summary: Summary) -> str:
    """For ``pulumi.log.info``: indented rows."""
    return "\n".join("  " * depth + text for depth, text in lines(summary))


def as_markdown(summary: Summary) -> str:
    """For a pull-request comment: the headline as a heading; per target, its
    heading in bold, its changes as a ``diff`` code block (GitHub colours the
    ``+`` and ``-`` rows, and a row's leading sign can never turn into a nested
    list), then its effects as bullets."""
    out = [f"### {_escaped(headline(summary))}"]
    for report in summary.reports:
        out += ["", f"**{_escaped(target_heading(report))}**", ""]
        rows = [change_line(line) for line in report.lines]
        if rows:
            fence = _fence(rows)
            out += [f"{fence}diff", *rows, fence]
        out += [f"- {_escaped(effect)}" for effect in report.effects]
    return "\n".join(out) + "\n"


def as_json(summary: Summary) -> str:
    """For tools: the same facts, structured."""
    return json.dumps({
        "headline": headline(summary),
        "complete": True,
        "changed": summary.changed,
        "removal_limit": ({"removals": summary.removal_limit.count, "limit": summary.removal_limit.limit}
                          if summary.removal_limit else None),
        "targets": [{
            "target_id": r.target_id, "target": r.target,
            "accounts": {"count": r.reach.count, "shown": list(r.reach.shown), "everything": r.reach.everything},
            "changes": [{"action": line.action.value, "policy": line.policy, "policy_type": line.policy_type,
                         "refused": line.refused} for line in r.lines],
            "effects": r.effects,
        } for r in summary.reports],
    }, indent=2) + "\n"


#: What a summary file says until the run's summary replaces it (see :func:`not_made_for`).
NOT_MADE = f"{HEADLINE}: not made, the preview stopped first."
NOT_MADE_DETAIL = ("The preview stopped before it could summarise the change: an error it printed refused the "
                   "stack config or a resource. Its output (the CI job's log) says what and why.")


def not_made_for(path: str) -> str:
    """The summary file a preview writes first, in the form the name asks for: a
    preview that stops before its summary (a check refusing a resource) leaves
    this, never an earlier run's summary."""
    if path.lower().endswith(".json"):
        return json.dumps({"headline": NOT_MADE, "complete": False, "detail": NOT_MADE_DETAIL, "changed": None,
                           "removal_limit": None, "targets": []}, indent=2) + "\n"
    return f"### {NOT_MADE}\n\n{NOT_MADE_DETAIL}\n"


def rendered_for(path: str, summary: Summary) -> str:
    """The form a file name asks for: JSON for ``*.json``, Markdown otherwise."""
    return as_json(summary) if path.lower().endswith(".json") else as_markdown(summary)


def _short_type(policy_type: str) -> str:
    label = names.policy_type_label(policy_type)
    return label[label.index("(") + 1:-1] if label.endswith(")") else label


def _fence(rows: Sequence[str]) -> str:
    """A code fence longer than any run of backticks in ``rows`` (a policy name may hold some)."""
    longest = max((len(run) for row in rows for run in re.findall(r"`+", row)), default=0)
    return "`" * max(3, longest + 1)


def _escaped(text: str) -> str:
    """Markdown that shows the text as it is (no accidental emphasis or table cells)."""
    return text.replace("|", "\\|").replace("*", "\\*")
