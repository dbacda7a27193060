"""`python -m mauqif.annotate.studio.door --home HOME --port PORT`: the checker, as `start_door`
runs it. It reads the lead's key from HOME's credentials file (mode 0600), never from its
command line or environment, and the extra leads' addresses from MAUQIF_DOOR_LEADS."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mauqif.annotate.studio.door")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    from ..backend.process import run
    from ..client import connect
    from ..server import LocalStudio
    from ..team import current_user
    from .checker import Checker, make_app
    from .process import DoorFiles

    credentials = LocalStudio(args.home).credentials()
    if credentials is None:
        raise SystemExit(f"no local Label Studio in {args.home}: `mauqif studio start` first")
    studio = connect(credentials.url, credentials.api_key)
    wanted = {e.strip().lower() for e in os.environ.get("MAUQIF_DOOR_LEADS", "").split(",") if e}
    leads = {current_user(studio)["id"]}
    leads |= {uid for uid, email in studio.users().items() if email.lower() in wanted}
    checker = Checker(
        credentials.url.rstrip("/"),
        credentials.api_key,
        frozenset(leads),
        DoorFiles(args.home).refused,
    )
    run(make_app(checker), "127.0.0.1", args.port)


if __name__ == "__main__":
    main()
