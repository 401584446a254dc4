"""Command-line interface, thin over the library. Each command lives in its own module's
function; this file only declares options and turns ParttrackError into one line + exit code."""

from __future__ import annotations

import os
import sys

import typer

from parttrack.errors import ParttrackError

THREADS_HELP = (
    "Intra-op CPU threads of the networks (default 1: steady on a shared or busy machine; "
    "more helps only on idle cores)."
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="parttrack: follow a subject and pinpoint its part (head, eye) in every frame.",
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    """``--debug`` is read by :func:`main` before the command runs (tracebacks on errors)."""


@app.command()
def version() -> None:
    """Print the parttrack version."""
    from parttrack import __version__

    typer.echo(__version__)


@app.command("track")
def track_cmd(
    video: str = typer.Argument(..., help="Video file, image folder or camera index (0, 1, ...)."),
    box: list[str] = typer.Option(
        [], "--box", help="Subject box X,Y,W,H (pixels) on frame --start; repeat for several subjects "
        "(one batched network call per frame)."),
    point: str | None = typer.Option(None, "--point", help="Or a tap X,Y on the subject on frame --start."),
    start: int = typer.Option(0, "--start", help="First frame, 0-based (where --box/--point is given)."),
    end: int | None = typer.Option(None, "--end", help="Last frame, 0-based inclusive."),
    weights: str | None = typer.Option(None, "--weights", help="Weights file (default: shipped)."),
    parts: str | None = typer.Option(None, "--parts", help="Parts to report, e.g. head,eye."),
    method: str = typer.Option("product", "--method", help="product|region-only|top-down|bottom-up|box-prior."),
    config: str | None = typer.Option(None, "--config", help="TrackerConfig YAML (other knobs)."),
    jsonl: str | None = typer.Option(None, "--jsonl", help="One JSON result per frame."),
    mot: str | None = typer.Option(None, "--mot", help="MOT results file."),
    out: str | None = typer.Option(None, "--out", help="Annotated MP4."),
    panels: str | None = typer.Option(None, "--panels", help="Folder for FIG. 3 PNG panels (of the first subject)."),
    panel_frames: str | None = typer.Option(None, "--panel-frames", help="Frames for panels, e.g. 0,10."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    on_bad_frame: str = typer.Option("stop", "--on-bad-frame", help="A frame that fails to decode: stop or skip."),
    backend: str | None = typer.Option(
        None, "--backend", help="Network backend: onnxruntime (default where installed) or torch."),
    threads: int = typer.Option(1, "--threads", help=THREADS_HELP),
    realtime: bool = typer.Option(
        False, "--realtime", help="Live camera: always track the newest frame, skip the ones the tracker is too "
        "slow for (counted at the end). Default: every frame."),
) -> None:
    """Track a subject (or several) and its parts through a video ([0053]-[0062])."""
    from parttrack.config import from_dict, load_yaml, to_dict
    from parttrack.errors import UsageError
    from parttrack.outputs import check_outputs
    from parttrack.pipeline import parse_box, parse_frames, parse_point, track_video
    from parttrack.runtime.cache import default_weights_file as default_weights_path
    from parttrack.tracker.part_tracker import PartTracker, TrackerConfig

    check_outputs(  # before any work: the weights load and the first frame
        {"--jsonl": jsonl, "--mot": mot, "--out": out, "--panels": panels},
        [video, weights or default_weights_path(), config], folders=["--panels"], videos=["--out"],
    )
    if bool(box) == (point is not None):
        raise UsageError("give exactly one of --box X,Y,W,H or --point X,Y")
    subjects = [parse_box(b) for b in box]
    tap = None if point is None else parse_point(point)
    frames = None if panel_frames is None else parse_frames(panel_frames)
    from parttrack.tracker.decoders import METHODS

    if method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    cfg = to_dict(load_yaml(TrackerConfig, config) if config else TrackerConfig())
    cfg["method"] = method
    if parts is not None:
        cfg["parts"] = [p.strip() for p in parts.split(",") if p.strip()]
    from parttrack.runtime.backend import check_backend_options

    check_backend_options(backend, threads)
    tracker = PartTracker.from_weights(
        weights, from_dict(TrackerConfig, cfg, config), device, backend=backend, num_threads=threads
    )
    s = track_video(
        tracker, video, subjects, point=tap, start=start, end=end, jsonl=jsonl, mot=mot, video=out,
        panels=panels, panel_frames=frames, progress=True, on_error=on_bad_frame, realtime=realtime,
    )
    several = f" ({s.subjects} subjects)" if s.subjects > 1 else ""
    dropped = f"; skipped {s.dropped} frame{'s' * (s.dropped != 1)} to stay real-time" if realtime else ""
    typer.echo(f"tracked {s.frames} frames{several} in {s.seconds:.1f} s: {s.fps:.1f} fps "
               f"(tracker alone {s.track_fps:.1f} fps){dropped}")
    for warning in s.warnings:
        typer.echo(f"warning: {warning}", err=True)
    drawn = {int(p.stem.split("_")[-1]) for p in s.panels}
    missed = [f for f in frames or () if f not in drawn]
    if panels is not None and (missed or not drawn):
        which = f"frame(s) {','.join(map(str, missed))}" if missed else "any frame"
        typer.echo(f"warning: {panels}: no panel for {which} (not tracked, or the subject was lost there)", err=True)
    if s.skipped:
        typer.echo(f"skipped {s.skipped} frame{'s' * (s.skipped > 1)} that failed to decode", err=True)


@app.command("demo")
def demo_cmd(
    out: str = typer.Option("demo-out", "--out", help="Output folder."),
    weights: str | None = typer.Option(None, "--weights", help="Weights file (default: shipped)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    threads: int = typer.Option(1, "--threads", help=THREADS_HELP),
) -> None:
    """Track the subject of a synthetic crossing clip; write videos, JSONL and FIG. 3 panels."""
    from parttrack.demo import run_demo
    from parttrack.outputs import check_outputs
    from parttrack.runtime.backend import check_backend_options

    check_backend_options("torch", threads)
    check_outputs({"--out": out}, [weights], folders=["--out"])
    s = run_demo(out, weights, device, progress=True, threads=threads)
    rate = "n/a" if s.head_hit_rate is None else f"{100 * s.head_hit_rate:.1f}%"
    typer.echo(f"frames: {s.track.frames}  fps: {s.track.fps:.1f} (tracker alone {s.track.track_fps:.1f})")
    typer.echo(f"head hit rate: {rate} over {s.scored_frames} annotated frames")
    typer.echo(f"wrote {len(s.files)} files under {out}/")


@app.command("export")
def export_cmd(
    weights: str | None = typer.Option(None, "--weights", help="Weights file (default: shipped)."),
    out: str = typer.Option(..., "--out", help="Folder for template.onnx and frame.onnx."),
) -> None:
    """Export both networks to ONNX: template.onnx and frame.onnx (dynamic batch)."""
    from parttrack.models import load_weights
    from parttrack.outputs import check_outputs
    from parttrack.runtime.export import export_onnx

    check_outputs({"--out": out}, [weights], folders=["--out"])
    paths = export_onnx(load_weights(weights), out)
    typer.echo(f"wrote {paths.template} and {paths.frame}")


@app.command("bench")
def bench_cmd(
    video: str = typer.Argument(..., help="Video file or image folder."),
    box: list[str] = typer.Option(..., "--box", help="Subject box X,Y,W,H (pixels) on frame --start; repeat "
                                  "for the --subjects runs (the first is every other method's)."),
    frames: int = typer.Option(100, "--frames", help="Frames to track after the first."),
    start: int = typer.Option(0, "--start", help="First frame, 0-based."),
    json_out: str | None = typer.Option(None, "--json", help="Write the report as JSON."),
    batch: int = typer.Option(1, "--batch", help="Also time K subjects in one raw batched network call."),
    subjects: str = typer.Option("", "--subjects", help="Also time `track` with N subjects at once, e.g. 1,4,16 "
                                 "(the first N --box, filled up side by side)."),
    threads: int = typer.Option(1, "--threads", help=THREADS_HELP),
    backends: str = typer.Option("torch,onnxruntime", "--backends", help="Backends to time."),
    peers: str = typer.Option("csrt,kcf", "--peers", help="OpenCV peers to time (or none)."),
    weights: str | None = typer.Option(None, "--weights", help="Weights file (default: shipped)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Time decode / crop / networks / post-processing per backend against OpenCV CSRT and KCF."""
    from rich.console import Console

    from parttrack.bench import render_table, run_bench, write_report
    from parttrack.errors import UsageError
    from parttrack.models import load_weights
    from parttrack.outputs import check_outputs
    from parttrack.pipeline import parse_box

    check_outputs({"--json": json_out}, [video, weights])
    names = [] if peers.strip() == "none" else [p.strip() for p in peers.split(",") if p.strip()]
    try:
        counts = tuple(int(n) for n in subjects.split(",") if n.strip())
    except ValueError:
        raise UsageError(f"--subjects must be comma-separated numbers of subjects, e.g. 1,4,16, got {subjects!r}") from None
    report = run_bench(
        video, [parse_box(b) for b in box], load_weights(weights), frames=frames, start=start,
        backends=tuple(b.strip() for b in backends.split(",") if b.strip()), peers=tuple(names),
        threads=threads, batch=batch, device=device, subjects=counts,
    )
    Console(width=max(Console().width, 132)).print(render_table(report))
    if json_out:
        write_report(report, json_out)


@app.command("eval")
def eval_cmd(
    data: list[str] = typer.Option(..., "--data", help="Suite name (easy, crossing, ...) or annotations/video path; repeatable."),
    methods: str = typer.Option(
        "product,region-only,top-down,bottom-up,box-prior,csrt+box-prior,csrt+top-down",
        "--methods", help="Comma-separated methods to compare.",
    ),
    out: str = typer.Option(..., "--out", help="Folder for report.md, report.json and plots."),
    weights: list[str] = typer.Option([], "--weights", help="PATH or LABEL=PATH; repeat for ablations (default: shipped)."),
    label: str | None = typer.Option(None, "--label", help="Label of a single unlabelled --weights."),
    subjects: str = typer.Option("all", "--subjects", help="all (annotated >= 10 frames) or chosen (the suite's subject)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N sequences of each suite."),
    max_frames: int | None = typer.Option(None, "--max-frames", min=1, help="Track at most N frames per subject."),
    config: str | None = typer.Option(None, "--tracker-config", help="TrackerConfig YAML."),
    part_threshold: float = typer.Option(0.0, "--part-threshold", help="Drop part points scoring below this."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    backend: str | None = typer.Option(
        None, "--backend", help="Network backend: onnxruntime (default where installed) or torch."),
    threads: int | None = typer.Option(None, "--threads", help="Intra-op CPU threads of the backend."),
) -> None:
    """Compare part-finding methods on annotated sequences ([0005], [0051]); write a report."""
    from parttrack.evaluation.run import run_eval
    from parttrack.runtime.backend import check_backend_options

    check_backend_options(backend, threads)
    written = run_eval(
        data, [m.strip() for m in methods.split(",") if m.strip()], out, weights, label, subjects,
        limit, max_frames, device, config, part_threshold, progress=True, backend=backend, threads=threads,
    )
    typer.echo(f"wrote {written[0]} and {len(written) - 1} more files")


@app.command("train")
def train_cmd(
    stage: str = typer.Argument(..., help="detector (first model) or tracker (second model, detector frozen)."),
    config: str = typer.Option(..., "--config", help="TrainConfig YAML (e.g. configs/recipe_detector.yaml)."),
    resume: str | None = typer.Option(None, "--resume", help="Checkpoint to continue from (global step kept)."),
    device: str = typer.Option("auto", "--device", help="cpu, cuda or auto."),
    out: str | None = typer.Option(None, "--out", help="Folder for checkpoints and logs (default runs/STAGE)."),
) -> None:
    """Train the part detector or the tracker (claims 1-4, 7; [0024]-[0052], [0063]-[0070])."""
    from parttrack.outputs import check_outputs
    from parttrack.training.run import train

    check_outputs({"--out": out}, [config, resume], folders=["--out"])
    r = train(stage, config, resume=resume, device=device, out=out)
    if r.main_process:
        typer.echo(f"{stage}: {r.steps} steps in {r.wall_time_s:.0f} s ({r.stop_reason}); "
                   f"loss {r.final_loss}; wrote {r.weights}; checkpoint {r.checkpoint}")


@app.command("synth")
def synth_cmd(
    suite: str = typer.Option(..., "--suite", help=(
        "Suite name: easy, crossing, side-by-side, crowd, real-crossing, real-side-by-side, "
        "real-lookalike or real-occlusion.")),
    out: str = typer.Option(..., "--out", help="Folder for <seq>.mp4, <seq>.jsonl and contact_sheet.png."),
    preview: bool = typer.Option(False, "--preview", help="Write only contact_sheet.png."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N sequences only."),
) -> None:
    """Write a synthetic benchmark suite (fixed seeds, chosen subject, boxes drawn on a PNG)."""
    from rich.progress import Progress

    from parttrack.outputs import check_outputs
    from parttrack.synth.suites import write_suite

    check_outputs({"--out": out}, folders=["--out"])
    with Progress(transient=True) as bar:
        task = bar.add_task(f"synth {suite}", total=None)
        paths = write_suite(suite, out, preview_only=preview, limit=limit,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    typer.echo(f"wrote {len(paths)} files to {out} (contact sheet {paths[-1]})")


def _register_extras() -> None:
    """Commands whose modules live in their own packages (imported lazily when run)."""
    from parttrack.teacher.cli import label_cmd
    from parttrack.viewer.cli import serve_cmd

    app.command("label")(label_cmd)
    app.command("serve")(serve_cmd)


_register_extras()


def _quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's own stderr chatter ("moov atom not found", ...) out of the
    one-line errors; ``--debug`` leaves it on."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read at the first open
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def _one_line(e: BaseException) -> tuple[str, int]:
    """``(message, exit code)`` of an error that is not a ParttrackError (docs/errors.md)."""
    from typer._click.exceptions import UsageError as ClickUsageError

    if isinstance(e, ClickUsageError):  # bad command line: missing/unknown option, not a number
        hint = " (--debug goes before the command)" if "--debug" in e.format_message() else ""
        return e.format_message() + hint, 2
    if isinstance(e, OSError):  # a path the system refuses: permissions, a folder, disk full
        name = e.filename2 if e.filename2 is not None else e.filename
        text = e.strerror or str(e)
        return (text if name is None else f"{name}: {text}"), 2
    if isinstance(e, typer.Abort):
        return "aborted", 1
    first = (str(e).strip().splitlines() or [""])[0]
    return f"internal error: {type(e).__name__}: {first} (a bug: rerun with --debug and report the traceback)", 1


def _exit_on_sigterm() -> object:
    """While a command runs, SIGTERM (``kill``, a service manager) ends it like an error would:
    the outputs' ``__exit__`` runs, their temporary files are removed, the old files are kept,
    and the exit status is 143. Returns the previous handler (None outside the main thread)."""
    import signal
    import threading

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, terminated)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure is one line ``error: <file>[:line][ (frame N)]:
    <problem>`` on stderr and a non-zero exit (2 bad input, 1 internal error, 130 Ctrl-C);
    ``--debug`` (before the command) shows the traceback instead; SIGTERM exits 143 with the
    outputs' temporary files removed."""
    from typer._click.exceptions import NoArgsIsHelpError

    args = sys.argv[1:] if argv is None else list(argv)
    head = args[: next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))]
    debug = "--debug" in head
    if not debug:
        _quiet_native_logs()
    previous = _exit_on_sigterm()
    try:
        code = app(args=args, prog_name="parttrack", standalone_mode=False)
    except NoArgsIsHelpError:
        raise SystemExit(2) from None  # the help was printed
    except ParttrackError as e:
        if debug:
            raise
        typer.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
    except Exception as e:  # noqa: BLE001 - the CLI's last line of defence: never a bare traceback
        if debug:
            raise
        message, status = _one_line(e)
        typer.echo(f"error: {' '.join(message.split())}", err=True)
        raise SystemExit(status) from None
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
    if code == 130:
        typer.echo("error: interrupted", err=True)
    raise SystemExit(code if isinstance(code, int) else 0)
