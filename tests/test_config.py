"""Frozen dataclass configs from dicts / YAML: unknown or mistyped keys are ConfigErrors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from parttrack.config import from_dict, load_yaml, to_dict
from parttrack.errors import ConfigError
from parttrack.models.config import ModelConfig


@dataclass(frozen=True)
class Inner:
    lr: float = 0.1
    steps: int = 10


@dataclass(frozen=True)
class Outer:
    name: str = "run"
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int | None = None
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[float, float] = (0.5, 1.5)
    flag: bool = False
    inner: Inner = field(default_factory=Inner)

    def __post_init__(self) -> None:
        if self.inner.steps < 0:
            raise ValueError("steps must be >= 0")


def test_from_dict_coerces_and_nests() -> None:
    cfg = from_dict(Outer, {"sizes": [3, 4, 5], "pair": [1, 2], "seed": 7, "inner": {"lr": 1}, "device": "cuda"})
    assert cfg == Outer("run", "cuda", 7, (3, 4, 5), (1.0, 2.0), False, Inner(1.0, 10))
    assert type(cfg.inner.lr) is float and type(cfg.pair[0]) is float


def test_round_trip_through_to_dict() -> None:
    cfg = Outer(name="x", seed=None, sizes=(9,), inner=Inner(0.5, 3))
    d = to_dict(cfg)
    assert d == {"name": "x", "device": "cpu", "seed": None, "sizes": [9], "pair": [0.5, 1.5], "flag": False, "inner": {"lr": 0.5, "steps": 3}}
    assert from_dict(Outer, d) == cfg
    m = ModelConfig(parts=("head", "eye"), width=16)
    assert from_dict(ModelConfig, to_dict(m)) == m


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"nmae": "x"}, "unknown key.*nmae"),
        ({"inner": {"lrr": 1.0}}, r"unknown key\(s\) inner.lrr"),
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
        ({"inner": {"steps": "10"}}, "inner.steps' must be an integer"),
        ({"inner": {"lr": True}}, "inner.lr' must be a number"),
        ({"flag": 1}, "flag' must be true/false"),
        ({"name": 3}, "name' must be a string"),
        ({"device": "tpu"}, "device' must be one of"),
        ({"sizes": 3}, "sizes' must be a list"),
        ({"pair": [1, 2, 3]}, "pair' must have 2 items"),
        ({"inner": [1]}, "inner' must be a mapping"),
        ({"inner": {"steps": -1}}, "steps must be >= 0"),
    ],
)
def test_from_dict_rejects(data: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as e:
        from_dict(Outer, data, "cfg.yaml")
    assert e.value.path == "cfg.yaml"


def test_post_init_errors_become_config_errors() -> None:
    with pytest.raises(ConfigError, match="stride must be 4 or 8"):
        from_dict(ModelConfig, {"stride": 2})


def test_load_yaml(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("name: exp\ninner:\n  steps: 5\nsizes: [2]\n")
    assert load_yaml(Outer, p) == Outer(name="exp", sizes=(2,), inner=Inner(0.1, 5))
    p.write_text("")
    assert load_yaml(Outer, p) == Outer()  # an empty file is all defaults


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("name: a\nsizes: [1, 2\nflag: true\n", 3, "not valid YAML"),
        ("- 1\n- 2\n", None, "expected a mapping"),
        ("name: a\ncolour: red\n", None, "unknown key.*colour"),
    ],
)
def test_load_yaml_errors(tmp_path: Path, text: str, line: int | None, match: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as e:
        load_yaml(Outer, p)
    assert (e.value.path, e.value.line) == (str(p), line)


def test_load_yaml_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(Outer, tmp_path / "none.yaml")
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"name: \xff\xfe\x00\n")
    with pytest.raises(ConfigError, match="bin.yaml"):
        load_yaml(Outer, p)
