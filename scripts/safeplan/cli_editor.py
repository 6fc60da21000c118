"""`safeplan edit` → decap-server (git mode, 127.0.0.1) + the preview site with its /admin/ editor, stopped together."""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from safeplan.problems import EnvironmentProblem, UsageError

DESCRIPTION = ("在浏览器中编辑本地仓库，不需要会用 git：同时启动网页编辑器的本地代理（decap-server，git 模式，只监听 127.0.0.1）"
               "和内部版预览网站，网页编辑器在预览网站的 /admin/。每次在编辑器中保存，都提交到本地仓库的一个新分支"
               "（cms/<栏目>/<编号>），main 不变；合并前照常运行 safeplan check --base main。按 Ctrl+C 同时停止两者。"
               "需要 Node.js 和 npm 安装的 node_modules（make build 会安装）。")
SERVER = Path("decap-server") / "dist" / "index.js"
STARTUP_SECONDS = 30
LINE_CHARS = 300
COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # winston's terminal colours, in a pipe too


class EditorMissing(EnvironmentProblem):
    """Node.js or the npm packages the editor needs are not installed."""


def register(command, root_of) -> None:
    """Add `safeplan edit` to the CLI: `command(name, handler, summary, description)` makes a subparser."""
    edit = command("edit", lambda args: edit_library(root_of(args), args.port, args.proxy_port),
                   "在浏览器中编辑本地仓库：启动网页编辑器的本地代理和预览网站（http://127.0.0.1:…/admin/）", DESCRIPTION)
    edit.add_argument("--port", type=int, default=0, help="预览网站的端口（默认：一个空闲端口）")
    edit.add_argument("--proxy-port", type=int, default=0, help="decap-server 的端口（默认：一个空闲端口）")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(root: Path) -> list[str]:
    from safeplan.render.site.admin_pages import node_modules

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise EditorMissing("找不到 Node.js（node 命令），无法启动网页编辑器。\n"
                            "  提示：sudo apt-get install nodejs npm，然后在仓库根目录运行 make build（或 npm ci）。")
    modules = node_modules(root)
    if modules is None or not (modules / SERVER).is_file():
        raise EditorMissing("找不到 node_modules/decap-server（网页编辑器的本地代理），无法启动网页编辑器。\n"
                            "  提示：在仓库根目录运行 make build（或 npm ci --no-audit --no-fund）安装 package-lock.json 中的版本。")
    return [node, str(modules / SERVER)]


def server_env(root: Path, port: int) -> dict[str, str]:
    return {**os.environ, "PORT": str(port), "BIND_HOST": "127.0.0.1", "MODE": "git",
            "GIT_REPO_DIRECTORY": str(root.resolve()), "LOG_LEVEL": "warn"}


def start_server(root: Path, port: int) -> subprocess.Popen:
    """decap-server in git mode on 127.0.0.1:port, committing to the repository at root; waits until it answers."""
    if not (root / ".git").exists():
        raise UsageError(f"{root} 不是 git 仓库：网页编辑器把每次保存提交到本地仓库的分支上。\n"
                         "  提示：在仓库的根目录运行 safeplan edit，或用 --root 指向它。")
    process = subprocess.Popen(server_command(root), env=server_env(root, port), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    last, reader = drain(process.stdout)  # its logger writes warnings and errors to stdout, a crash to stderr
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            reader.join(timeout=5)  # its last lines
            raise EditorMissing(f"decap-server 启动失败（退出码 {process.returncode}）：{reason(last)}\n"
                                "  提示：换一个端口（--proxy-port），或重新运行 npm ci。")
        if answers_for(root, port):
            return process
        time.sleep(0.2)
    stop(process)
    raise EditorMissing(f"decap-server 在 {STARTUP_SECONDS} 秒内没有开始监听 127.0.0.1:{port}。\n  提示：换一个端口（--proxy-port）再试。")


def answers_for(root: Path, port: int) -> bool:
    """Whether the decap-server on port is ours: its `info` names this repository in git mode. A port that only
    accepts connections may belong to another process that took the free port first."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1", data=b'{"action": "info"}',
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=1) as response:  # never via a proxy
            info = json.loads(response.read())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("type") == "local_git" and info.get("repo") == root.resolve().name


def drain(stream, keep: int = 10) -> tuple[collections.deque, threading.Thread]:
    """Reads decap-server's output to its end on a thread, echoing each line to stderr cut to LINE_CHARS (it logs
    a failed request with its whole body, a crash with its whole minified source line): its errors reach the
    editor's terminal instead of /dev/null; returns the last lines, for a failed start's message."""
    last: collections.deque = collections.deque(maxlen=keep)

    def read():
        for line in stream:
            line = COLOURS.sub("", line).strip()
            if line:
                last.append(line[:LINE_CHARS])
                print(f"decap-server: {last[-1]}", file=sys.stderr, flush=True)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return last, reader


def reason(lines) -> str:
    """The last error line of decap-server's output (a Node crash ends with its stack and version), else its last line."""
    return ([line for line in lines if "rror" in line][-1:] or list(lines)[-1:] or ["（没有输出）"])[0]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def edit_library(root: Path, port: int = 0, proxy_port: int = 0) -> int:
    from safeplan.preview import serve
    from safeplan.render.site.admin_pages import BACKEND_ENV

    root = Path(root)
    server_command(root)  # says what is missing before anything starts
    proxy_port, port = proxy_port or free_port(), port or free_port()
    process = start_server(root, proxy_port)
    os.environ[BACKEND_ENV] = f"http://127.0.0.1:{proxy_port}/api/v1"  # the preview's config.yml points the editor here
    print(f"网页编辑器的本地代理（decap-server，git 模式）：http://127.0.0.1:{proxy_port}/api/v1", flush=True)
    print(f"网页编辑器：http://127.0.0.1:{port}/admin/  （保存即提交到本地仓库的新分支 cms/…；按 Ctrl+C 停止）", flush=True)
    previous = signal.signal(signal.SIGTERM, _interrupted)  # terminated like Ctrl+C: the proxy stops too
    try:
        return serve(root, port=port, audience="internal")
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(process)
        print("已停止网页编辑器的本地代理。", flush=True)
