"""Checks of concurrent requests, run as one batch: one pandera pass for all waiting forms.

The library validates every form of a run in one pass per sheet kind (`check_loaded`); a
check costs ~25 ms, nearly all of it pandera's fixed cost per pass. One request alone is
checked at once; requests that arrive while a batch runs wait for it and then go together
in the next. Each form still gets exactly its own findings (the checks key every row by its
form); if a batch fails as a whole, its forms are checked one by one so that one odd form
cannot fail the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from miedx_xl.server.library import FormResult, check_loaded, load_form, read_forms
from miedx_xl.server.remote import PayloadSheets, book_name

MAX_BATCH = 32
Loader = Callable[[], FormResult]


class Batcher:
    """Collects check requests and runs them in batches on one thread."""

    def __init__(
        self, executor: ThreadPoolExecutor, owners: Mapping[int, str], max_bytes: int
    ) -> None:
        self.executor = executor
        self.owners = owners
        self.max_bytes = max_bytes
        self.waiting: list[tuple[Loader, asyncio.Future[FormResult]]] = []
        self.draining = False
        self.task: asyncio.Future[None] | None = None
        self.batches: list[int] = []
        """The size of each batch run (for tests and the benchmark)."""

    async def check_payload(self, payload: dict[str, Any]) -> FormResult:
        """Check the values RunServerPython posted."""
        return await self.check(lambda: load_form(Path(book_name(payload)), PayloadSheets(payload)))

    async def check_file(self, path: Path) -> FormResult:
        """Check an uploaded file."""
        return await self.check(lambda: read_forms([path], self.max_bytes)[0])

    async def check(self, load: Loader) -> FormResult:
        """Queue one form; its result once its batch has run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FormResult] = loop.create_future()
        self.waiting.append((load, future))
        if not self.draining:
            self.draining = True
            self.task = asyncio.ensure_future(self._drain())  # kept: tasks are weakly held
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                self.batches.append(len(batch))
                loaders = [load for load, _ in batch]
                try:
                    results = await loop.run_in_executor(self.executor, self._run, loaders)
                except Exception as exc:  # not expected: _run catches per form
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.draining = False

    def _run(self, loaders: list[Loader]) -> list[FormResult | BaseException]:
        """Load each form, then check the loaded ones in one pass (one by one if that fails)."""
        out: list[FormResult | BaseException | None] = [None] * len(loaders)
        loaded: list[tuple[int, FormResult]] = []
        for i, load in enumerate(loaders):
            try:
                loaded.append((i, load()))
            except Exception as exc:
                out[i] = exc
        try:
            results = check_loaded([form for _, form in loaded], self.owners)
            for (i, _), result in zip(loaded, results, strict=True):
                out[i] = result
        except Exception:
            # Loaded afresh: a failed pass may have left findings on the forms it had read.
            for i, _ in loaded:
                try:
                    out[i] = check_loaded([loaders[i]()], self.owners)[0]
                except Exception as exc:
                    out[i] = exc
        return [r if r is not None else RuntimeError("not checked") for r in out]
