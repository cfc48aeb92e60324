# syntax=docker/dockerfile:1
# The composition function's runtime image: Node 20 on distroless, non-root, holding
# one esbuild bundle (dependencies inside, no node_modules, no dev dependencies).
# The Node major is the one package.json engines, .nvmrc and the README state
# (test/tools.test.ts keeps them in step). Node 20 left upstream support in April 2026:
# moving to 22 or 24 is one change in those four places once CI runs that version.
#
#   docker build -t function-platform:dev .
#   docker run --rm -p 9443:9443 function-platform:dev --insecure
#
# Pin both bases by digest in CI (docker buildx imagetools inspect <image>); the tags
# are kept here so the file reads clearly.

FROM --platform=$BUILDPLATFORM node:20-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY functions ./functions
COPY scripts ./scripts
RUN npm run -s bundle

FROM gcr.io/distroless/nodejs20-debian13:nonroot
WORKDIR /function
COPY --from=build /src/dist/bundle/function-platform.mjs ./function-platform.mjs
# Crossplane mounts the mTLS certificates here; --insecure (crossplane render) skips them.
ENV TLS_SERVER_CERTS_DIR=/tls/server \
    NODE_ENV=production
EXPOSE 9443
# uid 65532 (nonroot) is the base image's default user; stated so it survives a base change.
USER 65532:65532
# In a pod every listener must be reachable from outside the container (Crossplane, the
# kubelet's probes, Prometheus), while the function's own defaults bind loopback for
# developers; the image states the pod's addresses. Arguments (crossplane render passes
# --insecure; a DeploymentRuntimeConfig may pass more) are appended, and a flag given
# again overrides these.
ENTRYPOINT ["/nodejs/bin/node", "/function/function-platform.mjs", "--address=0.0.0.0:9443", "--metrics-address=0.0.0.0:8080", "--health-address=0.0.0.0:8081"]
