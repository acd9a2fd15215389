# loadgate as a minimal static image, for containers and Kubernetes
# (CONTRACT §8). The GitHub Action does not use it: a container cannot
# reach the runner's loopback, where the app under test usually runs.
#
#   docker build -t loadgate .
#   docker run --rm -v "$PWD:/work" -w /work loadgate -c loadgate.yml
#
# GO_IMAGE picks the build stage's toolchain image (a mirror, a pinned
# digest, or a locally made image on machines that cannot pull).
ARG GO_IMAGE=golang:1.26-bookworm

# The build runs on the builder's own platform and cross-compiles, so a
# multi-platform build (buildx --platform linux/amd64,linux/arm64) needs no
# emulation. BuildKit sets BUILDPLATFORM, TARGETOS and TARGETARCH; the
# legacy builder does not: give it --build-arg BUILDPLATFORM=linux/amd64
# (empty TARGET* build for the builder's own platform).
ARG BUILDPLATFORM
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=
WORKDIR /src
# Modules first: this layer is cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# scratch has no /tmp, where loadgate writes a started target's log: one
# is made here and copied over.
RUN set -eu; \
    ldflags="-s -w"; \
    if [ -n "$VERSION" ]; then ldflags="$ldflags -X main.version=$VERSION"; fi; \
    CGO_ENABLED=0 GOOS="${TARGETOS:-$(go env GOOS)}" GOARCH="${TARGETARCH:-$(go env GOARCH)}" \
      go build -trimpath -ldflags "$ldflags" -o /out/loadgate . ; \
    mkdir -p /out/tmp && chmod 1777 /out/tmp

# scratch: the binary, CA certificates for https targets, and /tmp.
# No USER: GitHub's container jobs and many CI runners need root, and the
# image runs no server of its own. Run it as any user with --user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/loadgate /loadgate
ENV TMPDIR=/tmp
ENTRYPOINT ["/loadgate"]
