"""Run one command in a container and behave like that command: its output on stdout, its exit code.

    python -m smallcoder.sandbox.container_exec '{"engine": …, "url": …, "spec": {…}}'

Started by the command runner in place of the command (see container.py).
SIGTERM/SIGINT/SIGHUP kill the container first, so the runner's timeout
reaches inside it.
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any

from smallcoder.config import SandboxSettings
from smallcoder.sandbox.container import open_client


def main(argv: list[str]) -> int:
    payload = json.loads(argv[1])
    settings = SandboxSettings(container_engine=payload["engine"], container_url=payload["url"],
                               container_image=payload["spec"]["image"])
    try:
        from docker.types import Ulimit
    except ImportError:
        print("container isolation needs the docker Python client — pip install 'smallcoder[container]'")
        return 126
    spec: dict[str, Any] = dict(payload["spec"])
    spec["ulimits"] = [Ulimit(**u) for u in spec["ulimits"]]
    client = open_client(settings)
    container = client.containers.run(**spec)

    def stop(signum: int, _frame: object) -> None:
        try:
            container.remove(force=True)
        finally:
            sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        out = sys.stdout.buffer
        for chunk in container.logs(stdout=True, stderr=True, stream=True, follow=True):
            out.write(chunk)
            out.flush()
        code = int(container.wait().get("StatusCode", 1))
    finally:
        try:
            container.remove(force=True)
        except Exception:
            pass
        client.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
