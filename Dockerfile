# GradLab in a container, after Streamlit's Docker guide. Not built on the development machine (no Docker
# engine there); tests/test_deploy.py checks this file, .dockerignore and deploy/compose.yaml as text, and
# tests/e2e/test_replicas.py runs the nginx configuration with Debian's nginx.
#
# The base image is pinned to an exact release; bump it on purpose. Python 3.12 on Linux (x86_64 or aarch64)
# is what makes requirements.txt name PyTorch's CPU wheel directly: see the comment there.
FROM python:3.12.13-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_PORT=8501 STREAMLIT_SERVER_ADDRESS=0.0.0.0

WORKDIR /app

# One install of everything, torch included: requirements.txt names PyTorch's CPU wheel (with its SHA-256)
# for this Python. The check fails the build if a change of base image ever brings PyPI's CUDA build instead.
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && python -c "import sys, torch; sys.exit(None if torch.version.cuda is None else 'torch ' + torch.__version__ + ' is a CUDA build')"

# The app's files belong to root and are read-only to the user that runs it (only .dockerignore's allowlist
# is copied: no tests, tools, .env or .streamlit/secrets.toml).
RUN useradd --create-home --uid 1000 gradlab
COPY . .
USER gradlab

EXPOSE 8501
# Against the configured port (STREAMLIT_SERVER_PORT), with the Python already in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % os.environ.get('STREAMLIT_SERVER_PORT', '8501'), timeout=4)"]

ENTRYPOINT ["streamlit", "run", "streamlit_app.py"]
