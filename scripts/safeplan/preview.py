"""Content changes → a rebuilt site served on 127.0.0.1: `safeplan serve`, the editor's preview.

Polls the content files once a second (no extra dependency, works the same on
every file system, and a few hundred stat calls cost nothing) and rebuilds the
site when a YAML, Markdown or site asset changes. A rebuild with errors prints
them and keeps serving the last good site.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

from safeplan.build import BuildOptions, build
from safeplan.render.output import BuildLocked, build_lock, recover_all
from safeplan.report import EXIT_OK, EXIT_USAGE, describe, exit_code, render

from safeplan.content.model import KINDS

# content, config, theme templates and scripts, and the images in assets/ (plus what would be refused there)
WATCHED_SUFFIXES = (".yaml", ".yml", ".md", ".json", ".css", ".txt", ".html", ".js", ".svg", ".png", ".jpg", ".jpeg", ".webp")
# content folders and files, plus what shapes the site: its config, images, site assets and the schemas (labels)
WATCHED = tuple(location for location, _ in KINDS.values()) + ("mkdocs.yml", "assets", "site-assets", "schemas")


def snapshot(root: Path) -> tuple:
    """(path, mtime, size) of every watched file, sorted: equal snapshots mean nothing changed."""
    found = []
    for location in WATCHED:
        base = root / location
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        for path in paths:
            if not path.name.endswith(WATCHED_SUFFIXES):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((path.relative_to(root).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the editor wants build messages, not a request log
        pass


def rebuild(root: Path, audience: str, say) -> bool:
    started = time.monotonic()
    try:
        result = build(BuildOptions(root=root, only=("site",), audience=audience))
    except Exception as error:  # a failed rebuild must not stop the preview
        say(describe(error))
        return False
    if result.problems:
        say(render(result.problems, len({p.path for p in result.problems}), "text").rstrip())
    if exit_code(result.problems):
        say("safeplan: 内容有错误，网站没有更新；预览仍显示上一次成功生成的版本。")
        return False
    say(f"已生成（{time.monotonic() - started:.1f} 秒）：" + "；".join(result.notes))
    return True


def serve(root: Path, port: int = 8000, audience: str = "internal", interval: float = 1.0, say=None) -> int:
    say = say or (lambda message: print(message, flush=True))
    site = root / "build" / "site"
    try:
        with build_lock(root / "build"):
            recover_all(root / "build")  # serve the last good site even if a build was killed mid-swap
    except BuildLocked:
        pass  # the build that holds the lock recovers it
    state = snapshot(root)
    rebuild(root, audience, say)
    if not (site / "index.html").is_file():
        say("safeplan: 还没有可以预览的网站；请先修正上面的错误。")
    handler = functools.partial(_Handler, directory=str(site))  # the path, so a swapped-in site is served
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except (OSError, OverflowError) as error:  # OverflowError: a port outside 0–65535
        say(f"safeplan: 无法在 127.0.0.1:{port} 上启动预览（{getattr(error, 'strerror', None) or error}）。\n  提示：换一个端口，例如 safeplan serve --port 8001。")
        return EXIT_USAGE
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    say(f"预览：http://127.0.0.1:{server.server_address[1]}/  （修改内容文件后自动重新生成；按 Ctrl+C 停止）")
    try:
        while True:
            time.sleep(interval)
            current = snapshot(root)
            if current != state:
                state = current
                say("检测到内容修改，重新生成网站…")
                rebuild(root, audience, say)
    except KeyboardInterrupt:
        say("已停止预览。")
    finally:
        server.shutdown()
        server.server_close()
    return EXIT_OK
