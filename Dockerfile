# digest in a container: the wheel built from this checkout, installed for a non-root user, `digest` as the
# entry point. Mount the folder holding digest.toml (and its state and output) at /data:
#   docker run --rm -v "$PWD:/data" -e DIGEST_SMTP_PASSWORD ghcr.io/digest-news/digest run --config digest.toml
# .github/workflows/container.yml builds and publishes it to GHCR on each release.

FROM python:3.12-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir "build==1.2.2.post1"
COPY pyproject.toml README.md LICENSE CHANGELOG.md ./
COPY digest/ digest/
COPY templates/ templates/
RUN python -m build --wheel --outdir /dist

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
LABEL org.opencontainers.image.source="https://github.com/digest-news/digest" \
      org.opencontainers.image.description="A weekly newsletter digest from feeds and folders" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /dist/ /tmp/dist/
# One layer: the wheel and its dependencies, then the wheel file gone.
RUN pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && useradd --create-home --uid 10001 --user-group digest \
    && install -d -o digest -g digest /data
USER 10001:10001
WORKDIR /data
# digest is a batch command, not a service: nothing listens, so there is nothing to health-check.
ENTRYPOINT ["digest"]
CMD ["--help"]
