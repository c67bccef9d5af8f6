# entrelignes: `make demo` tries it on the example newsroom, `make test` runs the whole suite.
# Both build the locked environment first (.venv, from uv.lock), installing uv if it is missing.

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_PREFERENCE := only-system
export UV_PYTHON := python3.11

.PHONY: env demo test bench clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras
	touch $@

env: .venv/.synced

demo: env
	.venv/bin/entrelignes demo

test: env
	.venv/bin/python -m pytest

bench: env
	.venv/bin/python bench/run_all.py

clean:
	rm -rf .venv .tools out .data
