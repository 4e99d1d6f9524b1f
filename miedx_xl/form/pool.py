"""Reading many returned forms: one file at a time (`read.read_file`), in a pool of worker
processes when there are many.

What a worker does for one file needs no pandas (its digest and archive copy, the form read
and parsed, the locked cells checked); the checks across rows and files (pandera, one run
per sheet kind) stay in `check`. Keep this module free of pandas and pandera: on Windows
every worker process starts by importing it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.form.read import FormResult, Task, read_file
from miedx_xl.form.source import MAX_BYTES

if TYPE_CHECKING:
    from concurrent.futures import Future

POOL_MIN_FILES = 200
"""From this many files on, files are read by a pool of processes (see `read_forms`)."""
MAX_WORKERS = 2
CHUNKS_PER_WORKER = 8
"""Files are sent to the workers in about this many chunks each (progress moves per chunk)."""
START_METHOD: str | None = None
"""multiprocessing start method; None: 'fork' on Linux, the platform's default elsewhere."""
PARENT_READS: bool | None = None
"""With a pool, this process also reads chunks (from the back; the workers from the front).
None: only when the workers are not forked. A spawned worker starts by importing this
package (about a second on Windows), which this process's reading covers; forked workers
start at once, and a third reader on two cores only costs: N = 330 consolidated in 1.58 s
with the parent idle against 1.82 s with it reading (medians of 7, interleaved, fork)."""
WATCH_S = 0.5
"""How often a worker looks whether its parent is still there."""
IN_FLIGHT_PER_WORKER = 2
"""Chunks handed to the pool at a time per worker (one running, one waiting)."""


def read_forms(
    paths: Sequence[Path],
    max_bytes: int = MAX_BYTES,
    archive: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    min_pool: int | None = None,
    start_method: str | None = None,
    lean: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> list[FormResult]:
    """Read every file: one result per path, in order. `progress(done, total)` moves as
    files are done.

    From `min_pool` files on (default `POOL_MIN_FILES`) a pool of worker processes reads
    them; where the workers are spawned (not forked), this process reads too, taking chunks
    from the back while the workers take them from the front, so a slow worker start costs
    little (`PARENT_READS`). Without a working pool everything is read here, and so is
    whatever a worker that died left.

    With an archive, each file's digest and saved time are set and a copy is archived.
    `lean` leaves out what only the locked-cell check needs once it is done (the meta's
    locked content, the locked columns but the row key): less to send back from a worker.
    `meanwhile` is called once in this process while the pool's workers read their first
    chunks (not at all without a pool): work of the caller's that needs no file, done while
    this process would otherwise wait.
    """
    tasks: list[Task] = [(path, max_bytes, archive, lean) for path in paths]
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    threshold = POOL_MIN_FILES if min_pool is None else min_pool
    size = max(1, math.ceil(len(tasks) / (workers * CHUNKS_PER_WORKER)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    parts: list[list[FormResult] | None] = [None] * len(chunks)
    tally = _Tally(len(tasks), progress)
    if workers > 1 and len(chunks) > 1 and len(tasks) >= threshold:
        _read_in_pool(chunks, parts, workers, start_method or START_METHOD, tally, meanwhile)
    for i, chunk in enumerate(chunks):
        if parts[i] is None:
            parts[i] = _read_chunk(chunk, tally)
    return [loaded for part in parts if part for loaded in part]


@dataclass
class _Tally:
    """Files done so far, passed on to a progress callback."""

    total: int
    progress: Callable[[int, int], None] | None
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress and n:
            self.progress(self.done, self.total)


def read_chunk(chunk: list[Task]) -> list[FormResult]:
    """Read a few files (one job of a worker process)."""
    return [read_file(task) for task in chunk]


def _read_chunk(chunk: list[Task], tally: _Tally) -> list[FormResult]:
    out = []
    for task in chunk:
        out.append(read_file(task))
        tally.add(1)
    return out


def _read_in_pool(
    chunks: list[list[Task]],
    parts: list[list[FormResult] | None],
    workers: int,
    start_method: str | None,
    tally: _Tally,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Fill `parts` with what a pool of processes (and this one) read; a part stays None
    where the pool failed, to be read here.

    Chunks go to the workers from the front, a few at a time, and this process reads from
    the back. Nothing handed to the pool is ever cancelled: on Python 3.11 a worker dying
    while a cancelled job waits crashes the pool's manager thread (CPython gh-107219), and
    the process then hangs at exit waiting for the other worker.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    method = start_method or ("fork" if sys.platform.startswith("linux") else None)
    parent_reads = PARENT_READS if PARENT_READS is not None else method != "fork"
    try:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=watch_parent,
            initargs=(os.getpid(),),
        )
    except (OSError, ValueError):
        return  # no processes here: everything is read in this process
    pending: dict[Future[list[FormResult]], int] = {}
    front, back = 0, len(chunks) - 1  # the next chunk for the pool, and for this process
    in_flight = IN_FLIGHT_PER_WORKER * workers
    broken = False
    try:
        while True:
            while not broken and front <= back and len(pending) < in_flight:
                try:
                    pending[pool.submit(read_chunk, chunks[front])] = front
                except (BrokenProcessPool, OSError, RuntimeError):
                    broken = True  # cannot start a worker: the rest is read here
                    break
                front += 1
            if meanwhile is not None and pending:
                meanwhile()
                meanwhile = None
            for future in [f for f in pending if f.done()]:
                i = pending.pop(future)
                try:
                    parts[i] = future.result()
                except BrokenProcessPool:
                    broken = True  # a worker died: its chunks are read here
                    continue
                tally.add(len(parts[i] or []))
            if broken and not pending:
                break
            if parent_reads and front <= back:
                parts[back] = _read_chunk(chunks[back], tally)
                back -= 1
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
            elif front > back:
                break
    finally:
        if broken:
            _stop_workers(pool)
        # Every part is in (or will be read here): do not wait for workers still starting.
        pool.shutdown(wait=False, cancel_futures=False)


def watch_parent(parent: int) -> None:
    """A worker's start: end the worker as soon as the process that started it is gone
    (killed, say), instead of lingering for minutes with its share of the files."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="miedx-watch-parent", daemon=True).start()


def _stop_workers(pool: Any) -> None:
    """End the worker processes a broken pool may have left running."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.terminate()
