# Wrapper around CMake: `make run` and `make test` are the two set-up commands.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-asan clean

all: build

deps:
	@sh tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@sh tools/run-default-guest.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan

# Unit and guest tests again under AddressSanitizer/UBSan.
test-asan: deps
	@cmake -S . -B $(BUILD)-asan -DVX86_SANITIZE=ON -DVX86_QUICK_TESTS=ON >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS) -L 'unit|guest'

clean:
	rm -rf $(BUILD) $(BUILD)-asan
