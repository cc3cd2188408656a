"""Drive PolicyAttachmentProvider the way the Pulumi engine does: through the
SDK's real dynamic-provider server (``python -m pulumi.dynamic``) over gRPC,
with the provider pickled into ``__provider`` and unpickled in that process.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from provider import PolicyAttachmentProvider
from provider.schema import ATTACHMENT_TYPE, PROVIDER_KEY

ROOT = Path(__file__).resolve().parent.parent
#: Stack config for a provider that retries fast (tests and benchmarks must not sleep for seconds).
FAST_RETRY = {"aws:region": "us-east-1", "policyAttachment:baseDelay": "0.01", "policyAttachment:maxDelay": "0.05"}
URN = "urn:pulumi:test::orgpolicies::" + ATTACHMENT_TYPE + "::{name}"


class ProviderError(Exception):
    """The provider server answered a call with an error; ``details`` is what the engine prints."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details

    @property
    def message(self) -> str:
        """The error's own message: ``details`` without the SDK host's traceback
        lines above it (the host formats every error with ``traceback.format_exc()``)."""
        found = re.search(r"^[\w.]+Error: ", self.details, flags=re.M)
        return self.details[found.end():].rstrip("\n") if found else self.details


class ProviderServer:
    """A running ``python -m pulumi.dynamic`` and a client that speaks to it as the engine does."""

    def __init__(self, env: Optional[dict[str, str]] = None, provider: Any = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        port = self.process.stdout.readline().strip()
        if not port:
            raise RuntimeError(f"provider server did not start: {self.process.stderr.read()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.serialized_provider = serialize_provider(provider or PolicyAttachmentProvider())

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)

    # -- engine calls ------------------------------------------------------------

    def configure(self, config: dict[str, str]) -> None:
        args = struct_pb2.Struct()
        args.update(config)
        self._call(self.stub.Configure, provider_pb2.ConfigureRequest(args=args, variables=config))

    def check(self, news: dict[str, Any], olds: Optional[dict[str, Any]] = None, name: str = "a"):
        """Returns (inputs, [(property, reason)])."""
        resp = self._call(
            self.stub.Check,
            provider_pb2.CheckRequest(urn=URN.format(name=name), olds=self._props(olds or {}, False),
                                      news=self._props(news)),
        )
        inputs = rpc.deserialize_properties(resp.inputs, keep_unknowns=True)
        return inputs, [(f.property, f.reason) for f in resp.failures]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self._call(
            self.stub.Diff,
            provider_pb2.DiffRequest(id=id_, urn=URN.format(name="a"), olds=self._props(olds),
                                     news=self._props(news)),
        )

    def create(self, props: dict[str, Any], name: str = "a") -> tuple[str, dict[str, Any]]:
        resp = self._call(
            self.stub.Create,
            provider_pb2.CreateRequest(urn=URN.format(name=name), properties=self._props(props)),
        )
        return resp.id, self._outs(resp.properties)

    def read(self, id_: str, props: Optional[dict[str, Any]] = None) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Returns (id, outputs, inputs); with no props this is an import."""
        resp = self._call(
            self.stub.Read,
            provider_pb2.ReadRequest(id=id_, urn=URN.format(name="a"),
                                     properties=self._props(props or {}),
                                     inputs=self._props({})),
        )
        return resp.id, self._outs(resp.properties), self._outs(resp.inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        resp = self._call(
            self.stub.Update,
            provider_pb2.UpdateRequest(id=id_, urn=URN.format(name="a"), olds=self._props(olds),
                                       news=self._props(news)),
        )
        return self._outs(resp.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._call(
            self.stub.Delete,
            provider_pb2.DeleteRequest(id=id_, urn=URN.format(name="a"), properties=self._props(props)),
        )

    # -- plumbing ----------------------------------------------------------------

    def _props(self, values: dict[str, Any], with_provider: bool = True) -> struct_pb2.Struct:
        values = {k: v for k, v in values.items() if k != PROVIDER_KEY}
        if with_provider:
            values[PROVIDER_KEY] = self.serialized_provider
        return asyncio.run(rpc.serialize_properties(values, {}))

    @staticmethod
    def _outs(struct: struct_pb2.Struct) -> dict[str, Any]:
        values = rpc.deserialize_properties(struct, keep_unknowns=True)
        values.pop(PROVIDER_KEY, None)
        return values

    @staticmethod
    def _call(method, request):
        try:
            return method(request, timeout=120)
        except grpc.RpcError as err:
            raise ProviderError(err.code(), err.details()) from None
