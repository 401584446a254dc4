"""``parttrack label``: the command function (registered in parttrack.cli by the integrator).

    parttrack label VIDEO --teacher movenet_multipose.onnx --out labels.jsonl [--boxes gt.txt]
"""

from __future__ import annotations

import typer


def label_cmd(
    video: str = typer.Argument(..., help="Video file or image folder to label."),
    teacher: str = typer.Option(..., "--teacher", help="MoveNet MultiPose .onnx file (the teacher)."),
    out: str = typer.Option(..., "--out", help="parttrack JSONL file to write."),
    boxes: str | None = typer.Option(None, "--boxes", help="MOT gt.txt: keep its body boxes and ids, add heads/eyes."),
    start: int = typer.Option(0, "--start", help="First frame, 0-based."),
    end: int | None = typer.Option(None, "--end", help="Last frame, 0-based inclusive."),
    step: int = typer.Option(1, "--step", help="Label every n-th frame."),
    tile: str = typer.Option("auto", "--tile", help="auto, none, or tile size WxH (e.g. 768x576)."),
    scale: float | None = typer.Option(
        None, "--scale", help="Resize frames by this before the teacher (default: auto's choice, else 1); "
        "e.g. 0.5 where people are taller than ~250 px."),
    threads: int | None = typer.Option(None, "--threads", help="onnxruntime CPU threads."),
    min_length: int = typer.Option(5, "--min-length", help="Free mode: shortest identity segment kept (frames)."),
    min_score: float = typer.Option(0.3, "--min-score", help="Free mode: least mean person score of a kept segment."),
) -> None:
    """Label people, heads and eyes in a video with a keypoint teacher (adapts parttrack to your camera).

    MoveNet, Copyright Google LLC, Apache License 2.0.
    """
    from parttrack.errors import UsageError
    from parttrack.outputs import check_outputs
    from parttrack.teacher.label import label_video
    from parttrack.teacher.linking import LinkParams

    check_outputs({"--out": out}, [video, teacher, boxes])  # before any work; never over an input
    if threads is not None and threads < 1:
        raise UsageError(f"--threads must be >= 1, got {threads}")
    try:
        link = LinkParams(min_length=min_length, min_score=min_score)
    except ValueError as e:
        raise UsageError(f"--min-length/--min-score: {e}") from None
    s = label_video(video, teacher, out, boxes=boxes, start=start, end=end, step=step, tile=tile,
                    threads=threads, link_params=link, scale=scale)
    typer.echo(
        f"labelled {s.frames} frames in {s.seconds:.1f} s: {s.subjects} people, {s.heads} heads, "
        f"{s.identities} identities -> {s.out}"
    )
