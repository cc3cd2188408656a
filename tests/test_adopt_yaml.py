"""adopt's YAML: a stack file read as Pulumi reads it, and merged into with its comments,
quotes and indentation kept (program.adopt.stackfile, merge, yamlfile)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from program.adopt.adoption import Entry, Item
from program.adopt.errors import StackFileNotFoundError, StackFileUnreadableError
from program.adopt.merge import attachments_document, merge
from program.adopt.stackfile import StackFile
from program.adopt.yamlfile import dump, plain

ADOPT = Item("DenyRootUser", "p-deny000001")
MANAGED = Item("FullAWSAccess", "p-FullAWSAccess", skip_destroy=True)
NEW = (Entry("ou-ab12-00000001", "Root/Sandbox", (ADOPT,)),
       Entry("038655601561", "038655601561", (ADOPT, MANAGED)),  # a leading 0: YAML 1.2 reads a number unquoted
       Entry("ou-ab12-00000002", "Root/Lab", (Item("A", "p-a", adopt=False), Item("B", "p-b", adopt=False)),
             exclusive=True, exclusive_types=("SERVICE_CONTROL_POLICY", "TAG_POLICY")))
EXPECTED_NEW = {
    "Root/Sandbox": [{"policy": "DenyRootUser", "import": True}],
    "038655601561": [{"policy": "DenyRootUser", "import": True},
                     {"policy": "FullAWSAccess", "import": True, "skip_destroy": True}],
    "Root/Lab": {"exclusive": True, "policies": ["A", "B"],
                 "exclusive_types": ["SERVICE_CONTROL_POLICY", "TAG_POLICY"]}}


def merged(tmp_path: Path, text: str, entries=NEW) -> str:
    (tmp_path / "Pulumi.s.yaml").write_text(text)
    stack = StackFile.load(tmp_path, "s")
    merge(stack, entries)
    stack.write(stack.render())
    return (tmp_path / "Pulumi.s.yaml").read_text()


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("text", [
    # a block after the attachments, as in Pulumi.local.yaml: it belongs to the last item in ruamel
    "config:\n  org-policies:attachments:\n    Root:\n      - DenyLeave  # kept on its line\n\n"
    "  # Policies this stack creates:\n  # org-policies:policies: {}\n",
    # the last target a flow list, the last item a flow mapping, an exclusive mapping
    "config:\n  org-policies:attachments:\n    Root: [DenyLeave]\n\n  # after the block\n  aws:region: us-east-1\n",
    "config:\n  org-policies:attachments:\n    Root:\n      - {policy: DenyLeave, import: true}\n  # after\n",
    "config:\n  org-policies:attachments:\n    Root:\n      exclusive: true\n      policies: [DenyLeave]\n# end\n",
    # no attachments yet; the key in the project's namespace; `{}` with allowEmpty
    "# head\nconfig:\n  aws:region: us-east-1  # region\n  # last line of config\n",
    "config:\n  attachments:\n    Root: [DenyLeave]\n  # tail\n",
    "config:\n  org-policies:attachments: {}  # none yet\n  org-policies:allowEmpty: true\n",
    # a sequence style with dashes at the key's indentation
    "config:\n    org-policies:attachments:\n        Root:\n        - DenyLeave\n    # tail\n",
])
def test_merge_appends_and_keeps_every_comment_where_it_was(tmp_path, text):
    result = merged(tmp_path, text)
    assert comments(result) == comments(text)
    config = yaml.safe_load(result)["config"]
    written = config.get("org-policies:attachments", config.get("attachments"))
    assert {k: v for k, v in written.items() if k in EXPECTED_NEW} == EXPECTED_NEW
    assert list(written)[-3:] == list(EXPECTED_NEW)  # appended, in order
    assert "'038655601561':" in result and "&" not in result and "*" not in result  # quoted; no anchors
    for comment in ("after", "tail", "end", "Policies this stack creates", "last line of config"):
        if f"# {comment}" in text:  # a comment that closed the block still follows it
            assert result.index("Root/Lab:") < result.index(f"# {comment}")
    before = [line for line in text.splitlines() if "DenyLeave" in line]
    assert all(line in result.splitlines() for line in before)  # what was there is not rewritten


def test_merge_into_an_existing_target_appends_to_its_own_list(tmp_path):
    text = ("config:\n  org-policies:attachments:\n    Root:\n      - DenyLeave\n"
            "    Root/Lab: {exclusive: true, policies: [A]}\n  # tail\n")
    entries = (Entry("r-ab12", "Root", (ADOPT,), existing=True),
               Entry("ou-ab12-00000002", "Root/Lab", (Item("Tags", "p-tags"),), existing=True))
    result = merged(tmp_path, text, entries)
    assert yaml.safe_load(result)["config"]["org-policies:attachments"] == {
        "Root": ["DenyLeave", {"policy": "DenyRootUser", "import": True}],
        "Root/Lab": {"exclusive": True, "policies": ["A", {"policy": "Tags", "import": True}]}}
    assert result.rstrip().endswith("# tail")


def test_printed_document_is_the_attachments_mapping_alone():
    text = dump(attachments_document(NEW))
    assert yaml.safe_load(text) == {"org-policies:attachments": EXPECTED_NEW}
    assert "- {policy: DenyRootUser, import: true}" in text
    assert "Root/Lab: {exclusive: true, policies: [A, B], exclusive_types: [SERVICE_CONTROL_POLICY, TAG_POLICY]}" in text


def test_values_are_read_as_pulumi_reads_them(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  aws:secretKey:\n    secure: v1:abc\n  maxRemovals: 7\n"
        "  org-policies:allowEmpty: true\n  policyAttachment:baseDelay: 0.5\n")
    stack = StackFile.load(tmp_path, "s")
    assert stack.values() == {"aws:region": "eu-west-1", "org-policies:maxRemovals": 7,
                              "org-policies:allowEmpty": True, "policyAttachment:baseDelay": 0.5}
    assert stack.get("aws:secretKey") is None  # secure values are never read
    assert type(stack.get("org-policies:allowEmpty")) is bool


def test_plain_turns_ruamel_scalars_into_python_values():
    from program.adopt.yamlfile import load

    loaded = load("a: &x true\nb: *x\nc: '012'\nd: 0x1F\ne: [1.5, null]\n")
    assert plain(loaded) == {"a": True, "b": True, "c": "012", "d": 31, "e": [1.5, None]}
    assert [type(v) for v in plain(loaded).values()][:4] == [bool, bool, str, int]


@pytest.mark.parametrize("text, error", [
    (None, StackFileNotFoundError),
    ("config: [1, 2]\n", StackFileUnreadableError),
    ("config:\n  a: [unclosed\n", StackFileUnreadableError),
    ("- a list\n", StackFileUnreadableError),
])
def test_a_missing_or_unreadable_stack_file_is_a_usage_error(tmp_path, text, error):
    if text is not None:
        (tmp_path / "Pulumi.s.yaml").write_text(text)
    with pytest.raises(error) as raised:
        StackFile.load(tmp_path, "s")
    assert raised.value.exit_code == 2 and "\n" not in str(raised.value)
