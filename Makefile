# Set-up and the two jobs of the README. Everything installs into .venv from
# the package registries with the verified versions of requirements/lock.txt.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes run at once (pytest-xdist); each runs TensorFlow on all cores.
# How tests are grouped and ordered over them: tests/conftest.py.
TEST_WORKERS ?= 2
TEST_FLAGS := -q -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder \
	--durations=15

.PHONY: demo test install clean

demo: $(STAMP)
	$(BIN)/mtf-mods demo

test: $(STAMP)
	$(BIN)/pytest $(TEST_FLAGS) tests

install: $(STAMP)

$(STAMP): requirements/lock.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --no-deps -r requirements/lock.txt
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) runs
