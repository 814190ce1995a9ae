"""Serve the hub on a socket the caller has already bound: ``python -m tests.serve_hub FD``.

Werkzeug's threaded server, as ``flask run`` uses, configured from the environment as ``flask --app
hub`` is. Being handed the socket means no other program can take the port before the hub starts.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from hub import create_app


def main() -> None:
    server = make_server("127.0.0.1", 0, create_app(), threaded=True, fd=int(sys.argv[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
