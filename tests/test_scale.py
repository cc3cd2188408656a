"""Stacks of any size: what breaks only past some number of resources.

The end-to-end half (the real CLI with hundreds of attachments) is in
``test_e2e_scale.py``; here, the program's own process under Pulumi's mocks.
"""

from __future__ import annotations

import pickle

from pulumi.dynamic.dynamic import serialize_provider

from provider import PolicyAttachmentProvider
from tests.test_program import ATTACHMENT, NoAws, attachments_config, run_program

COUNT = 2000  # twice the ~985 at which the SDK's pickling recursion used to fail


def test_one_run_constructs_2000_attachments_with_the_same_provider_state() -> None:
    accounts = [f"{n:012d}" for n in range(1, COUNT // 5 + 1)]
    policies = [f"p-scalepolicy{n}" for n in range(5)]
    before = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]

    run = run_program(attachments_config({a: policies for a in accounts}), api=NoAws())

    registered = [r for r in run.mocks.resources if r.typ == ATTACHMENT]
    assert len(registered) == COUNT
    # The SDK's wrapper no longer piles up: constructing left pickling as it found it.
    assert pickle._Pickler._batch_setitems is before  # type: ignore[attr-defined]
    # What state stores is unchanged: the class reference, the same bytes every time.
    stored = {r.inputs["__provider"] for r in registered}
    assert stored == {serialize_provider(PolicyAttachmentProvider())}
