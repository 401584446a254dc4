"""The prefetch reader thread (parttrack.data.prefetch): order, bound, errors, realtime, close."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from parttrack.data.prefetch import prefetch
from parttrack.errors import VideoError


def test_every_frame_in_order_and_bounded() -> None:
    produced = []

    def source() -> Iterator[int]:
        for i in range(50):
            produced.append(i)
            yield i

    got = []
    p = prefetch(source(), depth=3)
    for i in p:
        # the reader is never more than depth queued + one in hand ahead of the consumer
        assert len(produced) <= i + 1 + 3 + 1
        got.append(i)
    assert got == list(range(50)) and p.skipped == 0 and p.read == 50


def test_reader_error_arrives_at_its_position() -> None:
    def source() -> Iterator[int]:
        yield from range(3)
        raise VideoError("frame failed to decode: corrupt", "clip.mp4", frame=3)

    got = []
    with pytest.raises(VideoError, match="clip.mp4"):
        for i in prefetch(source(), depth=2):
            got.append(i)
    assert got == [0, 1, 2]


def test_realtime_takes_the_newest_and_counts_skips() -> None:
    p = prefetch(iter(range(10)), depth=4, realtime=True)
    assert next(p) == 0  # the first frame (the subject's box) is never dropped
    p._thread.join()  # a realtime reader never waits: it has read everything
    assert list(p) == [9]
    assert p.skipped == 8 and p.read == 10


def test_realtime_first_frame_kept_while_the_consumer_is_late() -> None:
    p = prefetch(iter(range(10)), depth=2, realtime=True)
    p._thread.join()
    assert list(p) == [0, 9] and p.skipped == 8


def test_realtime_error_after_the_newest_frame() -> None:
    def source() -> Iterator[int]:
        yield from range(5)
        raise VideoError("camera unplugged", "0")

    p = prefetch(source(), depth=8, realtime=True)
    p._thread.join()
    assert next(p) == 0 and next(p) == 4
    with pytest.raises(VideoError, match="unplugged"):
        next(p)
    assert p.skipped == 3


def test_owner_close_stops_the_reader_first() -> None:
    class Owner:
        closed = False

        def close(self) -> None:
            self.closed = True

    owner = Owner()
    p = prefetch(itertools.count(), depth=2, owner=owner)
    assert next(p) == 0
    owner.close()
    assert owner.closed and not p._thread.is_alive()
    assert list(p) == []  # nothing after close
    p.close()  # twice is fine


@pytest.mark.parametrize("depth", [0, -1, 1.5, True])
def test_bad_depth(depth: object) -> None:
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        prefetch([], depth=depth)  # type: ignore[arg-type]


def test_a_source_that_closes_itself_keeps_reading() -> None:
    """open_video's iterator closes its own capture before reopening it, on the reader thread."""

    class Source:
        def close(self) -> None:
            pass

        def __iter__(self) -> Iterator[int]:
            self.close()
            yield from range(4)

    src = Source()
    assert list(prefetch(src, depth=2, owner=src)) == [0, 1, 2, 3]


def test_paced_delivers_at_the_frame_rate_and_never_waits_for_a_slow_consumer():
    from parttrack.data.prefetch import paced

    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 9))
        now[0] += s

    out = []
    for item in paced(range(4), 10.0, clock=lambda: now[0], sleep=sleep):
        out.append(item)
        if item == 1:
            now[0] += 0.35  # the consumer is slow here: items 2 and 3 are already due
    assert out == [0, 1, 2, 3]
    assert slept == [0.1]  # only item 1 had to wait (item 0 is at once)


def test_paced_refuses_a_non_positive_rate():
    import pytest

    from parttrack.data.prefetch import paced

    with pytest.raises(ValueError, match="fps"):
        list(paced([1], 0.0))
