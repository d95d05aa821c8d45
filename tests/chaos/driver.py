"""Chaos driver: runs `d3` and kills it at chosen instants. Test code only; d3 knows nothing of it.

Two modes, both started by tests/chaos as a subprocess:

- `serve`: imports d3 once, then reads one JSON request per stdin line and answers one JSON line per
  request. Each request forks a child that runs the real console entry `d3_engine.cli.main(args)`,
  after wrapping one engine function (or the event log) so that the child sends itself a signal just
  before or after its n-th call, or after a delay measured from the parent. The child's stdout and
  stderr go to files; the answer gives its wait status and both texts. Forking from a warm parent
  keeps 30 kills within the test budget ([ARCHITECTURE §3b]).
  `fast_build` swaps the (already tested) build for a copy of a run folder computed earlier, so the
  kills aimed at publishing, and the two concurrent runs of one id, do not pay for a whole run each.
  A request with `here` runs d3 in the serving process itself, unharmed: its caches (compiled SQL and
  report templates, Matplotlib's fonts) are then warm in every child forked after it.
- `early SIGNAL MODULE ARGS…`: a fresh process that sends itself SIGNAL when MODULE is first imported
  (an audit hook), then starts `d3` exactly as the console script does, to test signals during start-up.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _fire(name: str) -> None:
    os.kill(os.getpid(), getattr(signal, name))


def _wrap(target: str, when: str, nth: int, sig: str, only: str | None) -> None:
    """Wrap `module:attr` so that its nth call (whose first argument's name contains `only`) fires `sig`."""
    module_name, dotted = target.split(":")
    *owners, attr = dotted.split(".")
    module: Any = importlib.import_module(module_name)
    for owner in owners:  # `pathlib:Path.replace` wraps a method
        module = getattr(module, owner)
    original = getattr(module, attr)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if only is None or (args and only in str(args[0])):
            calls[0] += 1
            if calls[0] == nth and when == "before":
                _fire(sig)
            result = original(*args, **kwargs)
            if calls[0] == nth and when == "after":
                _fire(sig)
            return result
        return original(*args, **kwargs)

    setattr(module, attr, wrapper)


def _wrap_event(event: str, nth: int, sig: str) -> None:
    from d3_engine.core.events import EventLog

    original = EventLog.emit
    seen = [0]

    def emit(self: EventLog, event_name: str, level: str = "INFO", /, **fields: Any) -> None:
        original(self, event_name, level, **fields)
        if event_name == event:
            seen[0] += 1
            if seen[0] == nth:
                _fire(sig)

    EventLog.emit = emit  # type: ignore[method-assign]


def _fast_build(cache: str) -> None:
    import d3_engine.pipeline.run as run_module

    def build(validated: Any, models: Any, options: Any, log: Any, staging: Path) -> int:
        for item in Path(cache).iterdir():
            if item.name != ".d3-run":
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, staging / item.name)
        summary = json.loads((staging / "run_summary.json").read_text(encoding="utf-8"))
        return int(summary["exit_code"])

    run_module._build = build  # type: ignore[assignment]


def _child(request: dict[str, Any], out_file: str, err_file: str) -> None:
    for fd, path in ((1, out_file), (2, err_file)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    if request.get("fast_build"):
        _fast_build(request["fast_build"])
    kill = request.get("kill") or {}
    if "event" in kill:
        _wrap_event(kill["event"], kill.get("nth", 1), kill["signal"])
    elif "target" in kill:
        _wrap(kill["target"], kill.get("when", "before"), kill.get("nth", 1), kill["signal"], kill.get("only"))
    from d3_engine.cli import main

    try:
        main(request["args"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _serve_one(request: dict[str, Any], work: Path) -> dict[str, Any]:
    out_file, err_file = str(work / "child.out"), str(work / "child.err")
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            _child(request, out_file, err_file)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
        finally:
            os._exit(code)
    delay = (request.get("kill") or {}).get("after_s")
    if delay is not None:
        timer = threading.Timer(delay, lambda: _signal_if_alive(pid, request["kill"]["signal"]))
        timer.start()
    _, status = os.waitpid(pid, 0)
    if delay is not None:
        timer.cancel()
    return {
        "pid": pid,
        "exit_code": os.waitstatus_to_exitcode(status),
        "stdout": Path(out_file).read_text(encoding="utf-8", errors="replace"),
        "stderr": Path(err_file).read_text(encoding="utf-8", errors="replace"),
        "seconds": round(time.monotonic() - start, 3),
    }


def _serve_together(request: dict[str, Any], work: Path) -> list[dict[str, Any]]:
    """Fork one child per argument list at the same moment; wait for all (concurrent runs). With `fast_build`
    every child builds by copying that run folder, so they reach publishing within milliseconds of each other."""
    children = []
    for index, args in enumerate(request["together"]):
        out_file, err_file = str(work / f"child-{index}.out"), str(work / f"child-{index}.err")
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                _child({"args": args, "fast_build": request.get("fast_build")}, out_file, err_file)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 0
            finally:
                os._exit(code)
        children.append((pid, out_file, err_file))
    answers = []
    for pid, out_file, err_file in children:
        _, status = os.waitpid(pid, 0)
        answers.append(
            {
                "pid": pid,
                "exit_code": os.waitstatus_to_exitcode(status),
                "stdout": Path(out_file).read_text(encoding="utf-8", errors="replace"),
                "stderr": Path(err_file).read_text(encoding="utf-8", errors="replace"),
            }
        )
    return answers


def _signal_if_alive(pid: int, name: str) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, getattr(signal, name))


def _serve_here(request: dict[str, Any]) -> dict[str, Any]:
    """Run `d3` in this process, unharmed (no kill): it warms every per-process cache a run fills (compiled SQL
    and report templates, Matplotlib's fonts and text layouts), so each child forked later starts warm (~0.6 s
    less each). Its streams are captured; the process's own stdout stays the protocol's."""
    from d3_engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(request["args"])
        except SystemExit as done:  # as the interpreter would exit: None is 0, a message is 1
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return {
        "pid": os.getpid(),
        "exit_code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "seconds": round(time.monotonic() - start, 3),
    }


def serve(work: Path) -> None:
    import d3_engine.cli
    import d3_engine.pipeline.run  # warm: DuckDB, NumPy, Matplotlib, Jinja2 load once, before the forks

    _ = (d3_engine.cli, d3_engine.pipeline.run)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        answer: Any
        if request.get("together"):
            answer = _serve_together(request, work)
        elif request.get("here"):
            answer = _serve_here(request)
        else:
            answer = _serve_one(request, work)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def early(sig: str, module: str, args: list[str]) -> None:
    fired = [False]

    def hook(event: str, details: tuple[Any, ...]) -> None:
        if event == "import" and details[0] == module and not fired[0]:
            fired[0] = True
            _fire(sig)

    sys.addaudithook(hook)
    sys.argv = ["d3", *args]  # what the console script's argv[0] is
    from d3_engine.cli import main

    sys.exit(main())


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(Path(sys.argv[2]))
    else:
        early(sys.argv[2], sys.argv[3], sys.argv[4:])
