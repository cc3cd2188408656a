"""What the tests and the benchmarks share to drive the project as Pulumi does:
the ``pulumi`` CLI in a project folder, as a user runs it (:mod:`harness.cli`),
the SDK's real provider server (:mod:`harness.provider_server`), guard hook
arguments as the engine sends them (:mod:`harness.hooks`), and a temporary
environment (:mod:`harness.environment`). Never imported by provider/ or program/.
"""
