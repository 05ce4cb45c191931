"""``nianbao demo`` and ``nianbao demo-portal``: the embedded default, end to end on loopback."""

from __future__ import annotations

import argparse
import os
import time
from importlib import resources
from pathlib import Path


def demo_registry_path(full: bool = False) -> str:
    """The demo registry: the two sites made of real report pages, or (``full``) every archetype."""
    name = "archetypes.yaml" if full else "registry.yaml"
    return str(resources.files("nianbao.demo_portal").joinpath(name))


def cmd_demo_portal(args: argparse.Namespace) -> int:
    from ..demo_portal.core import DemoServer
    from ..demo_portal.sites import build_portal

    portal = build_portal()
    with DemoServer(portal, port=args.port) as server:
        print(f"demo portal on {server.proxy_url} (use it as the HTTP proxy); sites:")
        for host in portal.hosts:
            print(f"  http://{host}/")
        print("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    return run_demo(Path(args.data), Path(args.dagster_home), demo_registry_path(full=not args.small))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="serve the demo portal, crawl it, materialize every report year, print a summary")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--dagster-home", default=os.environ.get("DAGSTER_HOME", ".dagster_home"),
                   help="Dagster instance directory (default $DAGSTER_HOME or ./.dagster_home)")
    p.add_argument("--small", action="store_true",
                   help="crawl only the two sites made of real report pages, not every portal archetype")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("demo-portal", help="serve the demo portal on 127.0.0.1 until interrupted")
    p.add_argument("--port", type=int, default=8765, help="loopback port (default 8765)")
    p.set_defaults(func=cmd_demo_portal)
