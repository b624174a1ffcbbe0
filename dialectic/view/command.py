"""The `dialectic view` command (mounted by dialectic/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dialectic.cli_errors import fail


def view_command(
    folder: Annotated[Path, typer.Argument(help="Folder of traces (*.jsonl) and bench stores to serve.")],
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8765,
    host: Annotated[str, typer.Option(
        help="Address to bind. The default serves this machine only; another (0.0.0.0) serves the network.")
    ] = "127.0.0.1",
) -> None:
    """Serve a local web page listing the runs (traces) and bench stores under FOLDER, with scenario,
    strategy, seed and label, filterable by scenario, strategy, label and store, and each run's report.
    Only files under FOLDER are served (`..`, absolute paths and links out of it are refused). Prints the
    address; Ctrl-C stops it."""
    from dialectic.view._server import make_server

    if not folder.is_dir():
        raise fail(f"{folder}: expected a folder of traces or bench stores")
    try:
        server = make_server(folder, host=host, port=port)
    except OSError as error:
        raise fail(f"cannot serve on {host}:{port}: {error}") from None
    bound_host, bound_port = server.server_address[:2]
    name = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{name}]" if ":" in name else name
    typer.echo(f"dialectic view: serving {folder.resolve()} at http://{shown}:{bound_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("dialectic view: stopped")
    finally:
        server.server_close()
