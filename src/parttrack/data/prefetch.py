"""Read frames ahead on a thread: decoding overlaps with the networks (issue 15, item 3).

:func:`prefetch` wraps any iterable of frames (``(index, image)`` pairs from
:func:`parttrack.data.video.open_video`, say) and iterates it on a reader thread into a
bounded queue of ``depth`` items. OpenCV's decoder and onnxruntime both release the GIL, so
the next frame decodes while this one is tracked.

* Default: every frame arrives, in order; the reader waits while the queue is full (memory
  is bounded by ``depth`` frames).
* ``realtime=True`` (a live camera): the reader never waits; the consumer always gets the
  newest frame read, and the older ones it did not take are dropped and counted in
  :attr:`Prefetcher.skipped`. The first frame (where the subject is given) is never dropped.

An error raised while reading (a :class:`~parttrack.errors.VideoError` on a bad frame)
reaches the consumer at the position where it happened. ``owner`` (the open video) gets its
``close`` wrapped so that the reader thread stops before the decoder is released.

Example::

    with open_video("street.mp4") as video:
        for index, image in prefetch(((f.index, f.image) for f in video), owner=video):
            ...
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_DEPTH = 4
_END = object()


class Prefetcher(Generic[T]):
    """Iterator over ``frames`` read by a background thread (module docstring).

    Args:
        frames: any iterable; it is iterated on the reader thread only.
        depth: queue bound (items read ahead), >= 1.
        realtime: drop the older frames the consumer is too slow for (counted in ``skipped``).
        owner: an object with ``close()`` (the open video) to stop the reader before closing.

    Attributes:
        skipped: frames dropped in realtime mode (always 0 otherwise).
        read: frames the reader has taken from ``frames``.

    Raises:
        ValueError: ``depth`` < 1.
    """

    def __init__(self, frames: Iterable[T], depth: int = DEFAULT_DEPTH, realtime: bool = False,
                 owner: Any = None) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, got {depth!r}")
        self.depth = depth
        self.realtime = realtime
        self.skipped = 0
        self.read = 0
        self._items: collections.deque[Any] = collections.deque()
        self._cond = threading.Condition()
        self._stop = False
        self._done = False  # the reader has queued its last item (_END or an error)
        self._first_pending = True  # the stream's first frame is still queued (never dropped)
        self._thread = threading.Thread(target=self._reader, args=(frames,), name="parttrack-prefetch",
                                        daemon=True)
        if owner is not None and hasattr(owner, "close"):
            close = owner.close

            def close_after_reader() -> None:
                if threading.current_thread() is not self._thread:  # the source may close itself
                    self.close()
                close()

            owner.close = close_after_reader
        self._thread.start()

    # --- reader thread ---------------------------------------------------------------------
    def _reader(self, frames: Iterable[T]) -> None:
        try:
            for item in frames:
                with self._cond:
                    while not self.realtime and len(self._items) >= self.depth and not self._stop:
                        self._cond.wait()
                    if self._stop:
                        return
                    self._items.append(item)
                    self.read += 1
                    if self.realtime and len(self._items) > self.depth:
                        self._drop_oldest()
                    self._cond.notify_all()
            self._finish(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            self._finish(_Failure(e))

    def _drop_oldest(self) -> None:
        """Realtime: drop the oldest queued frame, except the very first of the stream."""
        if self._first_pending:
            if len(self._items) > 1:  # keep the first, drop the one after it
                del self._items[1]
                self.skipped += 1
            return
        self._items.popleft()
        self.skipped += 1

    def _finish(self, last: object) -> None:
        with self._cond:
            self._items.append(last)
            self._done = True
            self._cond.notify_all()

    # --- consumer --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        with self._cond:
            while not self._items:
                if self._stop:
                    raise StopIteration
                self._cond.wait()
            if self.realtime and not self._first_pending:
                item = self._newest()
            else:
                item = self._items.popleft()
            self._first_pending = False
            self._cond.notify_all()
        if item is _END:
            raise StopIteration
        if isinstance(item, _Failure):
            raise item.error
        return item

    def _newest(self) -> Any:
        """Realtime: the newest frame; the frames queued before it are dropped. The end
        marker or an error stays last in the queue, so the frames before it come first."""
        tail = self._items[-1]
        if tail is _END or isinstance(tail, _Failure):
            if len(self._items) > 1:
                frame = self._items[-2]
                self.skipped += len(self._items) - 2
                self._items.clear()
                self._items.append(tail)
                return frame
            return self._items.popleft()
        self.skipped += len(self._items) - 1
        self._items.clear()
        return tail

    def close(self) -> None:
        """Stop the reader thread and wait for it (safe to call twice). Frames still queued
        are discarded."""
        with self._cond:
            self._stop = True
            self._items.clear()
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failure:
    """An exception raised by the reader, queued for the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(frames: Iterable[T], depth: int = DEFAULT_DEPTH, realtime: bool = False,
             owner: Any = None) -> Prefetcher[T]:
    """Iterate ``frames`` on a reader thread through a bounded queue (see :class:`Prefetcher`)."""
    return Prefetcher(frames, depth, realtime, owner)


def paced(frames: Iterable[T], fps: float, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[T]:
    """``frames`` delivered no faster than ``fps`` per second, as a camera would: item ``i``
    is yielded at the earliest ``i / fps`` s after the first (``--realtime`` on a file plays it
    at its own frame rate, so the frames dropped are those the tracker is too slow for, not
    those the decoder is fast enough to read ahead). A slow consumer is not waited for.

    Raises:
        ValueError: ``fps`` not positive.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    t0 = None
    for i, item in enumerate(frames):
        now = clock()
        if t0 is None:
            t0 = now
        due = t0 + i / fps
        if due > now:
            sleep(due - now)
        yield item
