# Quick start: `make build`, then `make test`. Both install what they need first.
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
PYTHON  ?= python3
# npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale
NODE_STAMP := node_modules/.package-lock.json

.PHONY: build test site pdf validate clean system-build system-test

build: system-build $(STAMP) $(NODE_STAMP)
	$(BIN)/safeplan validate
	$(BIN)/safeplan build

test: system-test $(STAMP) $(NODE_STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n auto --dist loadgroup $(PYTEST_ARGS)

validate: $(STAMP)
	$(BIN)/safeplan validate

site: system-build $(STAMP)
	$(BIN)/safeplan build --only site

pdf: system-build $(STAMP)
	$(BIN)/safeplan build --only pdf

system-build:
	@scripts/ensure-system.sh build

system-test:
	@scripts/ensure-system.sh test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "safeplan 需要 Python 3.11 或更新版本"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# the web editor (Decap CMS, /admin/ of the internal site), its local proxy, and axe-core for the
# accessibility tests, all pinned by package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

clean:
	rm -rf build
