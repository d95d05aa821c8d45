"""SIGINT and SIGTERM become a clean interruption at any instant (DOMAIN OUT-2, CLI-2, V12-10).

One handler serves the whole life of a `d3` process; what it does depends on the phase:
- start-up and the final events (`remember` mode): a signal is only recorded. The CLI's entry
  module installs the handler in its first statement, so a signal during the imports never prints
  a traceback; the command reports it when its body starts.
- a command body (`raising()`): the first signal raises `Interrupted` where the main thread is;
  later ones are only recorded, so the clean-up that follows the first is never cut short.
- critical sections (`deferred()`): publishing's renames, the ledger line. A signal is recorded and
  raised when the section ends, so an atomic step is never left half done.

DuckDB turns an exception raised by a handler during a query into `RuntimeError("Query
interrupted")` and drops ours; `received()` still knows, so the CLI reports the interruption.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from d3_engine.core.errors import Interrupted

HANDLED = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _State:
    received: list[str] = field(default_factory=list)
    raising: bool = False
    raised: bool = False
    deferred: int = 0


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    _state.received.append(signal.Signals(signum).name)
    if _state.raising and not _state.raised and _state.deferred == 0:
        _state.raised = True
        raise Interrupted(message())


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install() -> bool:
    """Handle SIGINT and SIGTERM from now on (main thread only); True when installed."""
    if not _main_thread():
        return False
    for signum in HANDLED:
        signal.signal(signum, _handler)
    return True


def received() -> list[str]:
    """Names of the signals received since the last `reset()`, oldest first."""
    return list(_state.received)


def message() -> str:
    """The human text of the interruption, naming the signals received."""
    names = " then ".join(dict.fromkeys(_state.received)) or "a signal"
    return f"the run was interrupted ({names})"


def reset() -> None:
    """Forget earlier signals (an in-process caller running several commands)."""
    _state.received.clear()
    _state.raised = False


@contextmanager
def handled() -> Iterator[None]:
    """Install the handler for a whole command and put back the previous ones after it.

    When the entry module installed it already (the `d3` process), the signals of start-up are kept
    for the command to report; an in-process caller (a test) starts afresh and gets its handlers back.
    """
    if not _main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    if any(handler is not _handler for handler in previous.values()):
        reset()
    install()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def checkpoint() -> None:
    """Raise `Interrupted` when a signal arrived but its exception was swallowed (by a DuckDB query)."""
    if _state.raising and _state.received and _state.deferred == 0:
        _state.raised = True
        raise Interrupted(message())


@contextmanager
def raising() -> Iterator[None]:
    """A command body: a signal recorded before it (during start-up) raises at once, later ones when they come."""
    _state.raising, _state.raised = True, False
    try:
        checkpoint()
        yield
    finally:
        _state.raising = False


@contextmanager
def deferred() -> Iterator[None]:
    """A critical section that a signal must not cut: the signal is raised when the section ends."""
    _state.deferred += 1
    try:
        yield
    finally:
        _state.deferred -= 1
    if _state.deferred == 0 and not _state.raised:
        checkpoint()


@contextmanager
def blocked() -> Iterator[None]:
    """Hold SIGINT and SIGTERM in the kernel for a moment (the final events): they are delivered,
    and only remembered, when the block ends."""
    if not _main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
