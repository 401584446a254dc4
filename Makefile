# parttrack: `make demo` and `make test` set themselves up on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench train clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/parttrack demo --out demo-out

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	mkdir -p bench-out
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_speed.py --json bench-out/speed.json
	$(BIN)/python benchmarks/bench_memory.py --json bench-out/memory.json
	$(BIN)/python benchmarks/eval_all.py --out bench-out/eval

train: $(STAMP)
	$(BIN)/parttrack train detector --config configs/recipe_detector.yaml
	$(BIN)/parttrack train tracker --config configs/recipe_tracker.yaml

clean:
	rm -rf $(VENV) demo-out .pytest_cache
