# The server as a container image. Build: `docker build -t target-mcp .` (or `podman build`).
# Run:   docker run -p 8000:8000 -e PUBLIC_BASE_URL=https://your-host target-mcp
# Step by step, with Heroku and reverse proxies: docs/deploy.md.

# --- build: the same script the test command runs (scripts/build.sh), in release mode ---
FROM rust:1.95-bookworm AS build
WORKDIR /src
# rust-toolchain.toml names the toolchain, the wasm32 target and the components; rustup adds them.
COPY . .
RUN scripts/build.sh --release --out /out

# --- runtime: Debian slim, one non-root user, two binaries (templates, catalog, accounts embedded) ---
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /out/server /out/healthcheck /usr/local/bin/
USER 10001:10001
# A container listens on every interface; PORT is honoured (Heroku sets it). A public bind needs
# PUBLIC_BASE_URL: without it the server refuses to start and says so.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/healthcheck"]
CMD ["/usr/local/bin/server"]
