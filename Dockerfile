# ktape on Debian bookworm-slim, from the .deb that scripts/package builds (the binary links
# Debian's librdkafka, libcurl, zlib and OpenSSL, so the base must be bookworm).
#   scripts/package                      # dist/ktape_<version>_<arch>.deb
#   docker build -t ktape:0.1.0 .
#   docker run --rm ktape:0.1.0 --version
# dist/ should hold one package per architecture. The test suite checks the package itself
# (scripts/test-package); it builds no image, as its machines run no Docker daemon.
FROM debian:bookworm-slim
ARG TARGETARCH=amd64
COPY dist/ktape_*_${TARGETARCH}.deb /tmp/
# apt resolves the package's Depends: (librdkafka1, libcurl4, zlib1g, libssl3, ca-certificates).
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/ktape_*_${TARGETARCH}.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/ktape_*.deb
# Any unprivileged user works; the demo and --state-dir need a writable directory.
USER 65532:65532
WORKDIR /tmp
ENTRYPOINT ["/usr/bin/ktape"]
CMD ["--help"]
