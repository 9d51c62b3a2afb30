# lbctl: `make run` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests and the lab need (installed only when missing).
APT_PACKAGES := haproxy keepalived bubblewrap openssh-server openssh-client iproute2 util-linux \
	curl socat python3 python3-venv openssl postgresql chromium pebble dnsmasq-base
OUT ?= out

.PHONY: run test test-extended deps system-deps lint lock golden clean

# The admin app on http://127.0.0.1:8080/ over a SQLite store in ./instance (plain HTTP on
# loopback only). As root, `lbctl demo` puts a live lab pair behind it: the namespace lab, its
# model deployed, a trickle of traffic; Ctrl-C tears the lab down. Without root it serves the
# example model, whose hosts do not exist, and says so. The first run prints the admin password.
run: deps
	LBCTL_HOME=instance $(BIN)/lbctl demo --port 8080

# Lint and types first, so CI fails on any of them as it does on a failing test. Two workers:
# the lab tests in order on one (tests/conftest.py), everything else beside them.
PYTEST_WORKERS ?= 2
test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The model's property tests with thousands of examples each (hypothesis "extended" profile).
test-extended: deps
	HYPOTHESIS_PROFILE=extended $(BIN)/pytest tests/model -q

deps: system-deps $(VENV)/.installed

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "need root to install: $$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Exact versions with hashes from requirements.lock; lbctl itself on top, without resolving again.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# ruff's rules and format; mypy over what pyproject's [tool.mypy] names (the package and the
# Ansible modules, with the pydantic plugin); the layer contract ([tool.importlinter]);
# yamllint over the playbooks (.yamllint).
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/yamllint --strict playbooks/

# Resolve requirements.lock again from pyproject's ranges, for Python 3.11 on Linux. Pins already
# in the lock are kept: LOCK_ARGS=--upgrade moves all, LOCK_ARGS="--upgrade-package NAME" one.
lock: $(VENV)/.installed
	$(BIN)/uv pip compile -q pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--python-platform linux --custom-compile-command "make lock" $(LOCK_ARGS) -o requirements.lock

# Rewrite tests/golden/ from the current templates; review the diff before committing.
golden: deps
	LBCTL_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_golden.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .mypy_cache
