# GradLab in a container, after Streamlit's Docker guide. Untested on the development machine (no Docker
# there); deploy/compose.yaml runs replicas of it behind nginx, which tests/e2e/test_replicas.py does test.
FROM python:3.12-slim

WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

# The CPU build of torch (about 0.75 GB installed; PyPI's default Linux wheel pulls several GB of CUDA
# libraries the app never uses), then everything else exactly as pinned.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
    && pip install -r requirements.txt

RUN useradd --create-home --uid 1000 gradlab
COPY --chown=gradlab:gradlab . .
USER gradlab

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD curl --fail http://localhost:8501/_stcore/health

ENTRYPOINT ["streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0"]
