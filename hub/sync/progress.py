"""Progress of a sync: a live display on a terminal, log lines elsewhere."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgressBar
    from rich.progress import TaskID

    from hub.sync.results import StreamResult

log = logging.getLogger("hub.sync")


class Progress(Protocol):
    def stream_started(self, result: StreamResult) -> None: ...
    def batch_done(self, result: StreamResult, progress: tuple[int, int | None] | None) -> None: ...
    def stream_finished(self, result: StreamResult) -> None: ...
    def close(self) -> None: ...


class LogProgress:
    """One log line when a stream starts and one when it ends (schedulers)."""

    def stream_started(self, result: StreamResult) -> None:
        log.info(
            "%s/%s: reading",
            result.connection,
            result.stream,
            extra={"connection": result.connection, "stream": result.stream},
        )

    def batch_done(self, result: StreamResult, progress: tuple[int, int | None] | None) -> None:
        pass

    def stream_finished(self, result: StreamResult) -> None:
        level = logging.INFO if result.status in ("ok", "rejects", "dry-run") else logging.ERROR
        log.log(
            level,
            "%s/%s: %s",
            result.connection,
            result.stream,
            result.summary(),
            extra={"connection": result.connection, "stream": result.stream, **result.counts()},
        )

    def close(self) -> None:
        pass


class RichProgress(LogProgress):
    """A live bar per stream on a terminal (stderr), plus the log lines."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar: RichProgressBar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._bar.start()

    def stream_started(self, result: StreamResult) -> None:
        key = (result.connection, result.stream)
        self._tasks[key] = self._bar.add_task(
            f"{result.connection}/{result.stream}", total=None, note=""
        )

    def batch_done(self, result: StreamResult, progress: tuple[int, int | None] | None) -> None:
        task = self._tasks.get((result.connection, result.stream))
        if task is None:
            return
        done, total = progress if progress else (result.read, None)
        self._bar.update(
            task,
            completed=done,
            total=total,
            note=f"{result.read:,} read, {result.rejected} rejected",
        )

    def stream_finished(self, result: StreamResult) -> None:
        task = self._tasks.pop((result.connection, result.stream), None)
        if task is not None:
            self._bar.remove_task(task)
        super().stream_finished(result)

    def close(self) -> None:
        self._bar.stop()


class NoProgress(LogProgress):
    def stream_started(self, result: StreamResult) -> None:
        pass

    def stream_finished(self, result: StreamResult) -> None:
        pass
