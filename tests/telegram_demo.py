"""``python -m tests.telegram_demo PORT SESSION_FILE``: the local Telegram server for a manual
try of ``narrmon connect telegram`` (see the README's live sources section)."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from tests.mtproto_wire import write_session
from tests.telegram_server import TelegramServer

DEMO = (
    "Polling places are open until 8 p.m. Find yours at elections.example/where",
    "Reminder: ballots postmarked by election day are counted.",
    "Les bureaux de vote ferment à 20 h.",
)


def main() -> None:
    """Write a session file for the server, then serve the channel ``county_elections``, which
    posts `DEMO` each time a client looks it up, until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8805
    session = Path(sys.argv[2] if len(sys.argv) > 2 else "demo.session")
    with TelegramServer(port) as server:
        write_session(session, server.port)
        print(f"serving MTProto on 127.0.0.1:{port}; session file {session}", flush=True)
        lookups = 0
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(0.2)
                if server.names().count("ResolveUsernameRequest") > lookups:
                    lookups += 1
                    time.sleep(0.5)  # the client adds its handlers right after the lookup
                    for text in DEMO:
                        server.post(text)


if __name__ == "__main__":
    main()
