# Northstar: two commands a newcomer types.
#   make demo  - set up, simulate the small company, refresh the warehouse, serve the dashboards
#   make test  - set up, lint, run the whole suite
# Everything is bootstrapped from the registries: uv (pinned) from PyPI, then the
# exact versions of uv.lock into .venv.

UV_VERSION := 0.13.8
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv

.PHONY: setup demo test test-scenarios test-browser lint bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	# the dbt manifest the Dagster code location loads (dagster-dbt's documented prepare step)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dagster-dbt project prepare-and-package --file orchestration/assets/dbt.py
	touch $@

setup: $(VENV)/.synced
	@scripts/system-packages

demo: setup
	$(VENV)/bin/northstar simulate --tier small
	$(VENV)/bin/northstar refresh
	$(VENV)/bin/northstar serve

lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	$(VENV)/bin/pytest

# Whole-refresh scenarios (several refreshes each: multi-day equality, backfill, backup, month close, the fault
# matrix): out of `make test` so it stays under 10 minutes; .ci/run runs them too.
test-scenarios: setup
	$(VENV)/bin/pytest -m scenario

# Real-browser tests (Debian's Chromium; .ci/run installs it): the dashboards signed in, the Dagster UI.
# One at a time: a Streamlit server and `dagster dev` side by side starve a 2-core machine.
test-browser: setup
	@scripts/system-packages --browser
	$(VENV)/bin/pytest -m browser -n 0

bench: setup
	$(VENV)/bin/northstar bench --tier small

clean:
	rm -rf .northstar test-artifacts
