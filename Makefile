# The two commands that matter (see README.md):
#   make run   the whole portal locally: emulator, every route, worker, dev mailbox
#   make test  every test, with everything it needs installed and started
.PHONY: run test package check fmt lint

run:
	@bash infra/run.sh

test:
	@bash infra/test.sh

# The deployable artefacts: the template validated, every function built by
# cargo lambda (release, x86_64) and zipped, every sample event through them.
package:
	@bash infra/lambda-check.sh

# Fast feedback while editing.
check:
	cargo check --workspace --all-targets

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
