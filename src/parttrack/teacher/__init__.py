"""Teacher labelling of real video (``parttrack label``): a multi-person keypoint model
(MoveNet MultiPose, ONNX) gives body boxes, heads and eyes; people are linked into
identities and written as parttrack JSONL with per-label confidence.

MoveNet, Copyright Google LLC, Apache License 2.0.

Example::

    from parttrack.teacher.label import label_video

    summary = label_video("street.mp4", "movenet_multipose.onnx", "street_labels.jsonl")
"""
