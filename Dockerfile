# One image for every cityedge process (edge, control room, simulators); the compose file picks the command.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 cityedge

WORKDIR /opt/cityedge
COPY pyproject.toml README.md ./
COPY edge ./edge
COPY drivers ./drivers
COPY control_room ./control_room
COPY simulators ./simulators
COPY bench ./bench
RUN pip install --no-cache-dir .

USER cityedge
ENV PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["cityedge", "--help"]
