# Redress: build on Debian bookworm, run on bookworm-slim with only the
# runtime libraries, as a non-root user.
#   podman build --format docker -t redress .   (docker format keeps HEALTHCHECK;
#                                                see ../shared/tools/podman-local-base.sh)
#   podman run --rm redress migrate
#   podman run -p 8080:8080 -e REDRESS_DATABASE_URL=... redress

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev libssl-dev zlib1g-dev \
      libcurl4-openssl-dev libpango1.0-dev libcairo2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY scripts/embed.sh scripts/
COPY include include
COPY service service
COPY migrations migrations
RUN make build/redress && strip build/redress

FROM debian:bookworm-slim
# The evidence PDF embeds DejaVu Sans and DroidSansFallbackFull (CJK) only:
# the package's other, smaller fallback font is removed.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjansson4 libpq5 libssl3 libcurl4 ca-certificates \
      libpangocairo-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin redress
COPY --from=build /src/build/redress /usr/local/bin/redress
USER 10001:10001
ENV REDRESS_LISTEN_ADDR=0.0.0.0 \
    REDRESS_PORT=8080
EXPOSE 8080
# A tiny HTTP GET of /healthz built into the binary: no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["redress", "healthcheck"]
ENTRYPOINT ["redress"]
CMD ["serve"]
