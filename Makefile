# The two commands: `make run` (everything on embedded defaults) and `make test`.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run test test-db lint bench sync uv

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || python3 -m pip install --quiet uv || pip install --quiet uv

sync: uv
	$(UV) sync --frozen

run: sync
	$(UV) run esame up

lint: sync
	$(UV) run ruff check .
	$(UV) run lint-imports
	$(UV) run mypy .

test: lint
	$(UV) run pytest -q

bench: sync
	$(UV) run python -m bench

# The database-backed tests alone (CI runs them again with ESAME_TEST_DATABASE_URL set).
test-db: sync
	$(UV) run pytest -q -m db
