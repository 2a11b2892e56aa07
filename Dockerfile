# drl's container image: the drl binary and the Debian 12 runtime libraries it loads, run as
# an unprivileged user. Build from the repository root:
#   docker build -t drl:0.1.0 .        (or: podman build -t drl:0.1.0 .)
# The Kubernetes manifests (deploy/kubernetes/) and the Helm chart (deploy/helm/drl/) run it;
# docs/kubernetes.md.

# Build stage: the build dependencies (scripts/install-deps.sh --build-only), then the drl
# target alone with scripts/build.sh, tests and benchmarks off.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN DRL_TARGETS=drl scripts/build.sh build -DCMAKE_BUILD_TYPE=Release \
        -DDRL_BUILD_TESTS=OFF -DDRL_BUILD_BENCH=OFF \
    && install -D -s -m 0755 build/bin/drl /out/drl \
    && scripts/runtime-packages.sh build/bin/drl > /out/runtime-packages

# Runtime stage: Debian 12 slim, plus only the packages of the libraries drl loads
# (scripts/runtime-packages.sh: libgrpc++, libprotobuf, libsodium, libyaml-cpp, ...).
FROM debian:12-slim
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
    && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && groupadd --gid 10001 drl \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin drl \
    && install -d -o 10001 -g 10001 -m 0700 /data
COPY --from=build /out/drl /usr/local/bin/drl
USER 10001:10001
# Native clients, peers and gossip share 7000 (TCP and UDP); RESP, Envoy gRPC, metrics.
EXPOSE 7000/tcp 7000/udp 6379/tcp 8081/tcp 9100/tcp
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/drl"]
# The manifests pass `node` and its flags; alone, the image prints its subcommands.
CMD ["--help"]
