# cityedge — two commands on a fresh Debian/Ubuntu machine: `make run` and `make test`.
# Both are idempotent: the virtual environment and system packages are installed only when missing.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.cityedge-installed
# System packages the project needs: the MQTT broker, FFmpeg (decoders and ffprobe), espeak-ng (offline TTS),
# Debian's chromium (console tests through Playwright), docker-compose (validates docker-compose.yml offline).
SYSTEM_COMMANDS := mosquitto:mosquitto ffmpeg:ffmpeg ffprobe:ffmpeg espeak-ng:espeak-ng chromium:chromium docker-compose:docker-compose
# Tests mostly wait on brokers, serial lines and decoders: more workers than cores still helps.
TEST_WORKERS ?= 4
SUDO    := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test setup system-deps lint typecheck unit bench clean

run: setup
	$(BIN)/cityedge up

test: setup lint typecheck
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

setup: system-deps $(STAMP)

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_COMMANDS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy drivers edge control_room

bench: setup
	$(BIN)/cityedge bench all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
