# syntax=docker/dockerfile:1
# The proof image: `proof` on distroless (glibc, CA certificates, no shell), non-root.
#   docker build -t registry.example.com/proof/proof:0.1.0 .
# The Helm chart (deploy/helm/proof) runs it with a read-only root filesystem as the
# same user (65532) and mounts /etc/proof/{config,tls,client-ca}. docs/deploy.md#image.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# Only what the build reads; the cache mounts keep the registry and target between builds.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile dist --locked -p proof-cli \
    && install -D -m 0755 target/dist/proof /out/proof

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="proof" \
      org.opencontainers.image.description="LkSG compliance verifier service" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/proof /usr/local/bin/proof
# Shipped policies (compiled and stored at startup) and reference lists; a deployment
# can mount its own lists instead (values: lists.persistentVolumeClaim).
COPY policies /usr/share/proof/policies
COPY lists /usr/share/proof/lists
USER 65532:65532
EXPOSE 8080 9464
ENTRYPOINT ["/usr/local/bin/proof"]
CMD ["serve", "--config", "/etc/proof/config/server.yaml"]
