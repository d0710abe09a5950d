#!/usr/bin/python3
"""Execute a notebook headlessly with nbclient and save it, even when a cell fails.

Used by `pinsim notebook run|test` (src/cli/commands/notebook.ts); run it with
/usr/bin/python3 (Debian's python3-nbclient), not a pyenv python.

  run-notebook.py IN OUT [--cwd DIR] [--kernel tslab] [--timeout S]
                  [--startup-timeout S] [--report FILE]

IN may be "-" to read the notebook (already parameterised) from stdin.
Exit codes: 0 all cells ran, 1 a cell failed or the kernel died or timed out,
3 nbclient/nbformat missing, 130/143 stopped by SIGINT/SIGTERM (the kernel killed,
nothing saved).

tslab reports compile and runtime errors as stderr streams with no ename/evalue, so
nbclient's own message is just "<Error>:"; we print the failing cell's stderr instead.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "run-notebook: %s. Install Jupyter's runner first: npm run notebooks:setup\n" % e
    )
    sys.exit(3)


def stream_text(cell, name):
    return "".join(
        o.get("text", "") for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def error_text(cell):
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            out.append("%s: %s" % (o.get("ename", ""), o.get("evalue", "")))
    return "\n".join(out)


def describe(cell, index):
    first = next((l for l in cell.source.splitlines() if l.strip()), "")
    return "cell %d (%s)" % (index + 1, first[:60])


def save(nb, path):
    """Write the notebook whole or not at all: a temp file beside it, then rename(2) over it."""
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def stop_at_once(client):
    """A handler for SIGINT and SIGTERM: kill the kernel's process group, exit 128 + signal.

    nbclient's own handlers (client.py, async_setup_kernel) only schedule a graceful
    kernel shutdown and let the run go on to its end, where the partial notebook would be
    saved; pinsim asked to stop, so nothing is saved, and the kernel's connection file goes. jupyter_client starts the kernel in a
    session of its own (launcher.py, start_new_session), so its pgid is its pid.
    """
    def handler(signum, *_):
        km = client.km
        pgid = getattr(getattr(km, "provisioner", None), "pgid", None)
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        connection = getattr(km, "connection_file", None)  # the kernel's ports, a temp file
        if connection:
            try:
                os.unlink(connection)
            except OSError:
                pass
        os._exit(128 + signum)
    return handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cwd", help="kernel working directory (default: the input's directory)")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--startup-timeout", type=int, default=60)
    ap.add_argument("--report", help="write kernel start, per-cell seconds and the error as JSON here")
    a = ap.parse_args()

    if a.input == "-":
        nb = nbformat.read(sys.stdin, as_version=4)
        cwd = a.cwd or os.getcwd()
    else:
        nb = nbformat.read(a.input, as_version=4)
        cwd = a.cwd or os.path.dirname(os.path.abspath(a.input))

    t0 = time.monotonic()
    marks = {"ready": None, "cells": [], "failed": None}
    cell_t = {}

    def on_start(**_):
        marks["ready"] = time.monotonic() - t0
        # Inside nbclient's event loop, after it installed its handlers: ours replace them.
        loop = asyncio.get_event_loop()
        for s in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(s, stop, s)

    def on_cell_execute(cell, cell_index, **_):
        cell_t[cell_index] = time.monotonic()

    def on_cell_error(cell, cell_index, **_):
        marks["failed"] = cell_index

    def on_cell_executed(cell, cell_index, **_):
        marks["cells"].append({"index": cell_index, "seconds": time.monotonic() - cell_t[cell_index]})

    client = NotebookClient(
        nb,
        kernel_name=a.kernel,
        timeout=a.timeout,
        startup_timeout=a.startup_timeout,
        resources={"metadata": {"path": cwd}},
        on_notebook_start=on_start,
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
        on_cell_error=on_cell_error,
    )
    stop = stop_at_once(client)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, stop)
    code, failed, error = 0, None, None
    try:
        client.execute()
    except CellExecutionError:
        code = 1
        failed = marks["failed"]
        if failed is None:
            error = "a cell failed without error output"
    except CellTimeoutError as e:
        code = 1
        error = "a cell ran longer than %g s: %s" % (a.timeout, str(e).splitlines()[0])
    except DeadKernelError as e:
        code = 1
        error = "the kernel died: %s" % e
    except RuntimeError as e:  # the kernel did not start in time
        code = 1
        error = "%s" % e
    except Exception as e:  # still save what ran
        code = 1
        error = "%s: %s" % (type(e).__name__, e)
    total = time.monotonic() - t0

    # Save what ran, failure or not: the output cells say where it stopped.
    if a.output == "-":
        nbformat.write(nb, sys.stdout)
    else:
        save(nb, a.output)

    if failed is not None:
        c = nb.cells[failed]
        text = (stream_text(c, "stderr") + "\n" + error_text(c)).strip()
        error = "%s failed:\n%s" % (describe(c, failed), text)
    if error:
        sys.stderr.write("run-notebook: %s\n" % error)
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"kernelStart": marks["ready"], "cells": marks["cells"], "total": total, "error": error}, f)
    sys.exit(code)


if __name__ == "__main__":
    main()
