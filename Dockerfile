# Ferry's container image: the release binary as `make release` builds it (Swift's runtime linked in), on a
# Debian runtime holding only the libraries `ldd` names, run as the non-root user ferry (10001).
#   docker build -t ferry:0.1.0 .
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -v /var/log/app:/var/log/app:ro -v ferry-state:/var/lib/ferry \
#       -v $PWD/ferry.yaml:/etc/ferry/ferry.yaml:ro ferry:0.1.0
# etc/kubernetes/ holds a sidecar and a DaemonSet; scripts/chroot-smoke.sh tries this runtime without an engine,
# and scripts/check-examples.py checks that the commands and libraries here match the Makefile's and ldd's.

FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends zlib1g-dev liblz4-dev libzstd-dev binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static \
    && install -m 0755 .build-static/release/ferry /usr/local/bin/ferry \
    && strip --strip-unneeded --remove-section=.comment --remove-section=.note /usr/local/bin/ferry

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libc6 libgcc-s1 liblz4-1 libstdc++6 libzstd1 zlib1g \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ferry \
    && useradd --system --uid 10001 --gid ferry --home-dir /var/lib/ferry --no-create-home --shell /usr/sbin/nologin ferry \
    && install -d -o ferry -g ferry -m 0700 /var/lib/ferry
COPY --from=build /usr/local/bin/ferry /usr/bin/ferry
COPY etc/ferry.yaml /etc/ferry/ferry.yaml
USER 10001:10001
ENTRYPOINT ["/usr/bin/ferry", "run", "--config", "/etc/ferry/ferry.yaml"]
