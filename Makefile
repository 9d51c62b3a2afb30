# lbctl: `make run` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests and the lab need (installed only when missing).
APT_PACKAGES := haproxy keepalived bubblewrap openssh-server openssh-client iproute2 util-linux \
	curl socat python3 openssl postgresql chromium
OUT ?= out

.PHONY: run test test-extended deps system-deps lint golden clean

# The admin app on http://127.0.0.1:8080/ over a SQLite store in ./instance. The first run
# prints the admin password once. Plain HTTP on loopback only, so cookies are not Secure.
run: deps
	LBCTL_HOME=instance $(BIN)/lbctl store init --import inventory/example/lb.yaml
	LBCTL_HOME=instance LBCTL_SECURE_COOKIES=0 $(BIN)/lbctl serve --host 127.0.0.1 --port 8080

test: deps
	$(BIN)/pytest $(PYTEST_ARGS)

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

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

lint: deps
	$(BIN)/ruff check .

# Rewrite tests/golden/ from the current templates; review the diff before committing.
golden: deps
	LBCTL_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_golden.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
