"""YAML that keeps what a person wrote: ruamel.yaml's round trip, set up once.

:func:`reader` loads a stack settings file keeping its comments, key order, quotes and
(guessed) indentation; :func:`plain` turns what it loaded into the plain values Pulumi
hands a program (a ``bool`` for ``true``, ``str`` for every string). Strings made of
digits (account IDs) are written quoted: YAML 1.2 (Pulumi's reader) would read
``038655601561`` as a number.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

#: Indentation when the file shows none: as Pulumi.local.yaml (keys by 2, dashes under the key + 2).
DEFAULT_INDENT = (2, 4, 2)
_DIGITS = re.compile(r"[-+]?[0-9][0-9_.eE+-]*")
_KEY_LINE = re.compile(r"^( +)[^\s#-]")


def reader(text: str = "") -> YAML:
    """A round-trip YAML instance whose output indents like ``text`` does."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the person wrote on one
    mapping, sequence, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, dash offset) indentation of ``text``: the first indented key
    gives the mapping's; ruamel's guess the sequences' (else the defaults)."""
    mapping = next((len(m.group(1)) for line in text.splitlines() if (m := _KEY_LINE.match(line))),
                   DEFAULT_INDENT[0])
    try:
        _, sequence, offset = load_yaml_guess_indent(text)
    except Exception:  # noqa: BLE001 - a guess: the caller reports unreadable YAML on its own load
        sequence, offset = None, None
    if sequence is None or offset is None:
        return mapping, mapping + 2, mapping
    return mapping, sequence, offset


def load(text: str) -> Any:
    """``text`` loaded for a round trip (comments kept)."""
    return reader(text).load(text)


def dump(document: Any, like: str = "") -> str:
    """``document`` as YAML text, indented like ``like``."""
    out = io.StringIO()
    reader(like).dump(document, out)
    return out.getvalue()


def quoted(text: str) -> str:
    """``text``, quoted in the output if it is made of digits (an account ID)."""
    return SingleQuotedScalarString(text) if _DIGITS.fullmatch(text) else text


def flow_map(values: Mapping[str, Any]) -> CommentedMap:
    """A mapping written on one line: ``{policy: X, import: true}``."""
    node = CommentedMap(values)
    node.fa.set_flow_style()
    return node


def flow_seq(values: list[Any]) -> CommentedSeq:
    """A list written on one line: ``[A, B]``."""
    node = CommentedSeq(values)
    node.fa.set_flow_style()
    return node


def plain(node: Any) -> Any:
    """What ruamel loaded, as plain Python values (as Pulumi reads the file)."""
    if isinstance(node, Mapping):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(value) for value in node]
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, ScalarBoolean):  # ruamel keeps an anchored bool in an int subclass
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
