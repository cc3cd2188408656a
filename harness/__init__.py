"""What the tests and the benchmarks share to drive the project as Pulumi does:
the SDK's real provider server (:mod:`harness.provider_server`), guard hook
arguments as the engine sends them (:mod:`harness.hooks`), and a temporary
environment (:mod:`harness.environment`). Never imported by provider/ or program/.
"""
