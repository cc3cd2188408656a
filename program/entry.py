"""The program as the Pulumi CLI runs it: ``__main__.py`` calls :func:`main`.

``pulumi preview`` / ``up`` in the project folder start Pulumi's Python language
host, which runs ``__main__.py`` through the SDK's ``pulumi-language-python-exec``.
Left to themselves, the two print a failure of the program twice: the launcher
logs a ``pulumi.RunError`` that escapes the program and exits with code 1, and
the host reports that exit code as one more error ("an unhandled error occurred:
program exited with non-zero exit code: 1"). Exit code 32 is their contract for
"a message the user can act on was already shown": the host then adds nothing
(the launcher itself exits so after its own "no __main__.py" message).

:func:`main` keeps that contract for every error the program raises on purpose,
all of them ``RunError``\\ s (:class:`~program.errors.ProgramError` and the
guard's ``ConflictingDeclarationsError``), whether :func:`~program.stack.run`
raises it or an ``apply`` does later (the resources are declared in one). And
when a ``check`` or a delete hook fails, the engine prints why and stops; the
program's registrations still pending then fail with "Resource monitor has
terminated, shutting down", which the launcher would print as a second error:
:func:`main` ends the run silently then.

:func:`~program.stack.run` itself keeps raising: an Automation API inline
program that embeds it reports errors its own way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

import pulumi
from pulumi.runtime.stack import wait_for_rpcs

from .stack import run

#: pulumi-language-python's ``pythonProcessExitedAfterShowingUserActionableMessage``.
EXIT_REPORTED = 32
#: The SDK's RunError for a registration the engine no longer answers
#: (``pulumi.runtime.settings.grpc_error_to_exception``).
MONITOR_TERMINATED = "Resource monitor has terminated, shutting down"


def main(program: Callable[[], None] = run) -> None:
    """Run ``program`` (default: this project's :func:`~program.stack.run`) under
    the CLI: each of its errors printed once, as ``error: <message>`` without a
    traceback, and the process then exits with :data:`EXIT_REPORTED`. Must run
    inside a program run of the CLI's language host (``pulumi.run`` needs the
    stack resource it creates)."""
    try:
        program()
    except pulumi.RunError as err:
        pulumi.log.error(str(err))
        raise SystemExit(EXIT_REPORTED) from None
    pulumi.run(_settle)


async def _settle() -> None:
    """Wait for what the program started (registrations, applies), as the SDK
    does after the program returns, and report the first ``RunError`` once.

    The SDK awaits this entry point before its own wait, which would log the
    same error again; so the run ends here (:func:`_exit_reported`)."""
    try:
        await wait_for_rpcs()
    except pulumi.RunError as err:
        _report(err)
        _exit_reported()
    # Right after this returns, the SDK registers the stack's outputs in a task
    # that its own wait finds only if something else is still pending when that
    # wait starts; with nothing pending it signals shutdown at once, the engine
    # can stop before the registration arrives, and the stack's outputs are lost
    # (`pulumi stack output` empty). A value that resolves a few loop turns later
    # (an Output's tasks run on the loop) is that something.
    pulumi.Output.from_input(True).apply(bool)


def _report(err: pulumi.RunError) -> None:
    if str(err) == MONITOR_TERMINATED:
        pulumi.log.debug(f"{err} (the engine stopped after printing why)")
    else:
        pulumi.log.error(str(err))


def _exit_reported() -> NoReturn:
    """End the process now, with :data:`EXIT_REPORTED`.

    Not ``SystemExit``: interpreter shutdown joins every executor thread, and after
    a refused check some of the SDK's are still blocked in registrations the engine
    will never answer; the process then hangs until the CLI interrupts it, which
    prints a ``KeyboardInterrupt`` traceback under the stack. Everything the run
    reports is sent synchronously by then (``pulumi.log``) or written (the summary
    file), so nothing is lost by skipping that shutdown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_REPORTED)
