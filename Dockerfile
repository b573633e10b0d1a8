# The Kie bot in one small image: `bot` (the product; the entrypoint) and `kie-sim` (the Kie
# simulator, for dry runs). Build from the repository root:
#
#   docker build -t kie-bot .
#   docker run --rm --env-file .env -p 8080:8080 kie-bot                 # bot run
#   docker run --rm --env-file .env kie-bot set-webhook                  # once, for BOT_MODE=webhook
#   docker run --rm -p 8787:8787 --entrypoint kie-sim kie-bot --listen 0.0.0.0:8787 --api-key dev
#
# Layers: the third-party dependencies build once per change of a Cargo.toml or Cargo.lock; a
# change to the sources rebuilds only the workspace's own crates. No tool beyond the official
# Rust image and crates.io is needed.

ARG RUST_IMAGE=rust:1.95-slim-bookworm

# ---- manifests: only what decides the dependency graph -------------------------------------
# Everything is copied, then all but the manifests is deleted, so a source edit produces the
# same output here and the dependency layer below stays cached (no list of crates to maintain).
FROM ${RUST_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name Cargo.toml ! -name Cargo.lock ! -path ./.cargo/config.toml -delete \
 && find . -mindepth 1 -depth -type d -empty -delete

# ---- builder ---------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY --from=manifests /src ./
# Stub every target so the workspace (crates/*, xtask, tests) resolves: src/lib.rs and
# src/main.rs in each member, plus every `path = "….rs"` a manifest names (e.g. the journeys
# test). Build the dependencies of bot and kie-sim, then remove the stubs.
RUN set -eu; \
    for manifest in $(find . -name Cargo.toml ! -path ./Cargo.toml); do \
        dir=$(dirname "$manifest"); \
        mkdir -p "$dir/src"; \
        : > "$dir/src/lib.rs"; \
        echo 'fn main() {}' > "$dir/src/main.rs"; \
        for target in $(sed -n 's/^path *= *"\(.*\.rs\)" *$/\1/p' "$manifest"); do \
            mkdir -p "$dir/$(dirname "$target")"; \
            echo 'fn main() {}' > "$dir/$target"; \
        done; \
    done; \
    cargo build --release --locked -p bot -p kie-sim; \
    find . -path ./target -prune -o -type f -name '*.rs' -exec rm {} +

# The real sources (.dockerignore keeps target/, .git and .env out). registry/ is needed here
# too: the catalog embeds registry/model.schema.json; the ledger embeds migrations/.
COPY . .
# COPY keeps the files' own modification times, which may be older than the stub build: touch
# them so cargo rebuilds every workspace crate instead of keeping a stub.
RUN find . -path ./target -prune -o -type f -name '*.rs' -exec touch {} + \
 && cargo build --release --locked -p bot -p kie-sim \
 && install -m 0755 -t /usr/local/bin target/release/bot target/release/kie-sim

# ---- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bot \
 && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin bot
COPY --from=builder /usr/local/bin/bot /usr/local/bin/kie-sim /usr/local/bin/
# REGISTRY_DIR defaults to `registry`, relative to the working directory. The files stay owned by
# root: the bot only reads them. It writes nothing to disk (all state is in PostgreSQL).
WORKDIR /app
COPY registry/ /app/registry/
USER 10001:10001
# LISTEN (default 0.0.0.0:8080): /healthz, /readyz, /metrics, Kie callbacks, the webhook.
EXPOSE 8080
# No HEALTHCHECK: the image has no HTTP client, and platforms (Render, Kubernetes, compose)
# probe /healthz and /readyz themselves.
# The bot is PID 1 (exec form, no shell), so SIGTERM reaches it: a clean stop within
# STOP_DEADLINE_SECS (default 20; give the platform a grace period above it, e.g. 30-45 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/bot"]
CMD ["run"]
