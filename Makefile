# Shortcuts for the tutorial and for CI. Every target is a plain cargo command,
# so nothing here is needed to use the project: `cargo run --bin step4_server`
# and `cargo test` are enough.

.PHONY: test lint fmt run step1 step2 step3 step4 doc bench bench-peers clean

# What CI runs (.ci/run does the same, plus installing nc and telnet).
test: lint
	cargo test

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

fmt:
	cargo fmt

run: step4

step1:
	cargo run --bin step1_echo

step2:
	cargo run --bin step2_client

step3:
	cargo run --bin step3_chat_client

step4:
	cargo run --bin step4_server

doc:
	cargo doc --no-deps --document-private-items

# The standard benchmark set (medians of 3 runs each), written to BENCHMARKS.md.
bench:
	cargo build --release --bins
	ulimit -n "$$(ulimit -Hn)"; ./target/release/chat_bench suite --out BENCHMARKS.md

# step4_server, ngIRCd and InspIRCd side by side (needs the Debian packages
# ngircd and inspircd; installs nothing), into BENCHMARKS.md's last section.
# step4_server runs every row over its line protocol and over IRC, each with
# its fast path on and off, then the two peers: medians of 3, back to back.
# About 35 minutes on a quiet two-core machine. To run a part, e.g.
#   make bench-peers PEERS='--rows churn,fast100 --only step4,ngircd --runs 1'
# (a part is printed, not written into BENCHMARKS.md, unless PEERS has --out).
# 10,000 clients need 10,000 open files: raise the limit to the hard one.
PEERS ?= --out BENCHMARKS.md
bench-peers:
	cargo build --release --bins
	ulimit -n "$$(ulimit -Hn)"; ./target/release/chat_bench peers $(PEERS)

clean:
	cargo clean
