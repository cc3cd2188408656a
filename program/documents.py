"""The JSON documents of the policies this stack creates, read and checked at
preview time (before any resource is registered).

A document is sent to AWS minified: whitespace counts against the size limits
of policy documents, and reformatting the file then changes nothing in AWS.
The minified document is then checked against its type's size limit, counted
in characters, whitespace included (the document AWS receives is the minified
one): :class:`provider.Limits`, AWS's numbers or the stack's override.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import provider

from .config import POLICIES_KEY, PolicySpec
from .errors import ConfigError

_AWS_LIMITS = provider.Limits()


def load_documents(specs: Iterable[PolicySpec], project_dir: Path,
                   limits: provider.Limits = _AWS_LIMITS) -> dict[str, str]:
    """``{policy name: minified JSON document}`` for each spec, its ``file``
    read relative to ``project_dir``, checked against ``limits``.

    Raises ConfigError naming the config key, the policy and the file when the
    file is missing or unreadable, is not JSON, is not a JSON object, or is
    longer than its type's limit once minified.
    """
    return {spec.name: _load(spec, project_dir, limits) for spec in specs}


def _load(spec: PolicySpec, project_dir: Path, limits: provider.Limits) -> str:
    where = f'{POLICIES_KEY}, policy "{spec.name}", file {spec.file}'
    path = project_dir / spec.file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(where=where, problem=f"no such file ({path})",
                          fix="Check the path: it is relative to the project directory "
                              "(where Pulumi.yaml is).") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(where=where, problem=f"cannot read the file ({err})",
                          fix="Make it a readable UTF-8 JSON file.") from err
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(where=where,
                          problem=f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
                          fix="Fix the JSON (a policy document is an object with Version and "
                              "Statement).") from None
    if not isinstance(document, dict):
        raise ConfigError(where=where, problem="the JSON is not an object",
                          fix='Write a policy document: {"Version": "2012-10-17", "Statement": [...]}.')
    minified = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    limit = limits.of(spec.type).document_characters
    if limit is not None and len(minified) > limit:
        source = ("this stack's org-policies:limits allow" if limits.is_overridden(spec.type)
                  else "AWS allows")
        raise ConfigError(where=where,
                          problem=f"the document is {len(minified):,} characters once minified (the "
                                  f"file has {len(text):,}), and {source} at most {limit:,} for a "
                                  f"{spec.type}",
                          fix="Shorten it (fewer or wildcarded actions, shorter Sids) or split it "
                              "into several policies; whitespace is already removed.")
    return minified
