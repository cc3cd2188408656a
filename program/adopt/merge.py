"""Adopted entries into YAML: on their own (stdout), or merged into a stack file.

An item is written ``{policy: <name>, import: true}`` (``skip_destroy: true`` added
for an AWS-managed policy), an exclusive target
``{exclusive: true, policies: [A, B]}``, all on one line each; account IDs quoted.

Merging appends: new targets after the file's last one, new items after a target's
last item, under ``org-policies:attachments`` (created under ``config:`` when the file
has none). Nothing the file holds is rewritten. A comment that closed the block it is
appended to (in ruamel.yaml, the comment after a block belongs to the block's last
value) is moved after what is appended, so it stays where the person put it: after
the block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from ..config import ATTACHMENTS_KEY
from . import yamlfile
from .adoption import Entry, Item
from .stackfile import StackFile

Block = Union[CommentedMap, CommentedSeq]
#: Where ruamel keeps the comment that follows a value: a mapping's slot 2, a sequence's slot 0.
_MAP_SLOT, _SEQ_SLOT = 2, 0


def item_node(item: Item) -> Any:
    """How one item is written."""
    if not item.adopt and not item.skip_destroy:
        return item.policy
    values: dict[str, Any] = {"policy": item.policy}
    if item.adopt:
        values["import"] = True
    if item.skip_destroy:
        values["skip_destroy"] = True
    return yamlfile.flow_map(values)


def entry_node(entry: Entry) -> Block:
    """How a new entry's value is written."""
    if entry.exclusive:
        values: dict[str, Any] = {"exclusive": True,
                                  "policies": yamlfile.flow_seq([item_node(i) for i in entry.items])}
        if entry.exclusive_types:
            values["exclusive_types"] = yamlfile.flow_seq(list(entry.exclusive_types))
        return yamlfile.flow_map(values)
    return CommentedSeq([item_node(i) for i in entry.items])


def attachments_document(written: Sequence[Entry]) -> CommentedMap:
    """``{org-policies:attachments: {...}}`` of ``written`` alone (what stdout shows)."""
    mapping = CommentedMap()
    for entry in written:
        mapping[yamlfile.quoted(entry.key)] = entry_node(entry)
    return CommentedMap({ATTACHMENTS_KEY: mapping})


def merge(stack: StackFile, written: Sequence[Entry]) -> None:
    """Append ``written`` to the file's ``org-policies:attachments`` (in memory)."""
    if not written:
        return
    key = stack.key_written(ATTACHMENTS_KEY)
    node: Optional[CommentedMap] = stack.config.get(key) if key else None
    if not isinstance(node, CommentedMap):  # no key yet, or `key:` with no value
        node = CommentedMap()
        _add(node, written)
        if key:
            stack.config[key] = node
        else:
            append(stack.config, ATTACHMENTS_KEY, node)
        return
    node.fa.set_block_style()  # `{}` becomes a block
    _add(node, written)


def _add(node: CommentedMap, written: Sequence[Entry]) -> None:
    for entry in written:
        if not entry.existing:
            append(node, yamlfile.quoted(entry.key), entry_node(entry))
            continue
        value = node[entry.key]
        items: CommentedSeq = value["policies"] if isinstance(value, CommentedMap) else value
        for item in entry.items:
            append(items, None, item_node(item))


def append(block: Block, key: Any, value: Any) -> None:
    """``block[key] = value`` (a mapping) or ``block.append(value)`` (a sequence),
    keeping the comment that followed the block after it."""
    moved = _take_trailing(block)
    if isinstance(block, CommentedMap):
        block[key] = value
    else:
        block.append(value)
    if moved:
        _put_trailing(block, moved)


def _last(block: Block) -> Any:
    return list(block)[-1] if isinstance(block, CommentedMap) else len(block) - 1


def _slot(block: Block) -> int:
    return _MAP_SLOT if isinstance(block, CommentedMap) else _SEQ_SLOT


def _take_trailing(block: Block) -> str:
    """Remove and return the comment lines after the block's last value (an
    end-of-line comment on that value stays), each line with its indentation."""
    if not len(block):
        return ""
    last = _last(block)
    taken = ""
    child = block[last]
    if isinstance(child, (CommentedMap, CommentedSeq)):
        taken += _take_trailing(child)
        if child.ca.end:
            taken += "".join(_line(token) for token in child.ca.end)
            child.ca.end = []
    slots = block.ca.items.get(last)
    token = slots[_slot(block)] if slots else None
    if token is not None:
        kept, _, after = token.value.partition("\n")
        taken += after
        if kept.strip():
            token.value = kept + "\n"  # the same token: its column places the comment as it was
        else:
            slots[_slot(block)] = None
    return taken


def _put_trailing(block: Block, text: str) -> None:
    """Make ``text`` (comment lines) follow the block's last value."""
    last = _last(block)
    child = block[last]
    if isinstance(child, (CommentedMap, CommentedSeq)) and len(child) and not child.fa.flow_style():
        _put_trailing(child, text)
        return
    slots = block.ca.items.setdefault(last, [None, None, None, None])
    existing = slots[_slot(block)]
    head = existing.value.rstrip("\n") if existing is not None else ""
    slots[_slot(block)] = _token(f"{head}\n{text}")


def _line(token: CommentToken) -> str:
    """A standalone comment token (a block's end) as a line with its indentation."""
    value = token.value
    return value if not value.strip() else " " * token.column + value.lstrip(" ")


def _token(value: str) -> CommentToken:
    return CommentToken(value, CommentMark(0), None)
