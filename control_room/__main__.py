"""``python -m control_room`` (``cityedge control-room``): serve the API and console, or manage the store.

Every option also reads an environment variable (``CITYEDGE_HTTP_PORT``, ``CITYEDGE_DATA_DIR``, …).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from control_room.errors import ControlRoomError


def _settings(args: argparse.Namespace) -> object:
    from control_room.settings import load_settings

    overrides = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "http_port", None) is not None:
        overrides["http_port"] = args.http_port
    if getattr(args, "http_host", None) is not None:
        overrides["http_host"] = args.http_host
    if args.database_url is not None:
        overrides["database_url"] = args.database_url
    if args.mqtt_url is not None:
        overrides["mqtt_url"] = args.mqtt_url
    return load_settings(**overrides)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="cityedge control-room", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "create-admin"])
    parser.add_argument("--data-dir", type=Path, default=None, help="env CITYEDGE_DATA_DIR (default .cityedge)")
    parser.add_argument("--database-url", default=None, help="env CITYEDGE_DATABASE_URL (default SQLite in DATA_DIR)")
    parser.add_argument("--mqtt-url", default=None, help="env CITYEDGE_MQTT_URL")
    parser.add_argument("--http-port", type=int, default=None, help="env CITYEDGE_HTTP_PORT (default 8080)")
    parser.add_argument("--http-host", default=None, help="env CITYEDGE_HTTP_HOST (default 127.0.0.1)")
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        from control_room.settings import Settings

        assert isinstance(settings, Settings)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if args.command == "migrate":
            from control_room.store.db import Store

            store = Store(settings.resolved_database_url())
            store.migrate()
            store.close()
            return 0
        if args.command == "create-admin":
            from control_room.accounts import ensure_admin
            from control_room.store.db import Store

            store = Store(settings.resolved_database_url())
            store.migrate()
            pw = settings.admin_password.get_secret_value() if settings.admin_password else None
            generated = ensure_admin(store, pw)
            store.close()
            print(json.dumps({"created": generated is not None, "password": generated}))
            return 0
        import uvicorn

        from control_room.app import create_app
        from edge.contract.logformat import JsonFormatter

        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter, "process": "control-room"}},
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
            },
            "root": {"handlers": ["stderr"], "level": settings.log_level.upper()},
            "loggers": {"uvicorn.access": {"level": "WARNING"}},
        }
        uvicorn.run(
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_config=log_config,
            ws="websockets-sansio",
        )
        return 0
    except ControlRoomError as err:
        print(f"cityedge control-room: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
