"""decap-server as `safeplan edit` runs it: a failed start says why; its errors reach the terminal, cut short."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from test_editor import free_port, library_repo, needs_decap

LOGGED_BYTES = 200_000  # decap-server logs a failed request with its whole body


def failing_request(port: int, seconds: float) -> int:
    """A request decap-server fails inside its handler (no such branch), so it logs the body; extra keys pass
    its validation, so the body carries LOGGED_BYTES of padding."""
    body = {"action": "unpublishedEntryDataFile", "params": {
        "branch": "main", "collection": "notes", "slug": "absent", "id": "x", "path": "notes/absent.md",
        "padding": "x" * LOGGED_BYTES}}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@needs_decap
def test_the_proxy_s_errors_reach_the_terminal_cut_short_and_it_keeps_answering(tmp_path, capfd):
    from safeplan import cli_editor

    repo = library_repo(tmp_path)
    port = free_port()
    process = cli_editor.start_server(repo, port)
    try:
        assert [failing_request(port, 20) for _ in range(3)] == [500, 500, 500]
    finally:
        cli_editor.stop(process)
    echoed = capfd.readouterr().err  # each line on the editor's terminal, cut short
    assert echoed.count("decap-server: error: Error handling") == 3 and len(echoed) < 3 * 400

    # the control: decap-server itself writes a failed request's whole body, more than a pipe holds
    raw_port = free_port()
    raw = subprocess.Popen(cli_editor.server_command(repo), env=cli_editor.server_env(repo, raw_port),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not cli_editor.answers_for(repo, raw_port):  # its routes come after it listens
            time.sleep(0.2)
        assert failing_request(raw_port, 20) == 500
    finally:
        raw.terminate()
    output = raw.communicate(timeout=30)[0]  # unread until now: the pipe's 64 KiB, the rest lost with the process
    assert "Error handling" in output and len(output) >= 2 ** 16


@needs_decap
def test_a_failed_start_says_decap_server_s_own_reason(tmp_path):
    from safeplan import cli_editor

    (tmp_path / ".git").mkdir()  # looks like a repository, is none
    with pytest.raises(cli_editor.EditorMissing, match="启动失败（退出码 1）：Error: .* is not a valid git repository"):
        cli_editor.start_server(tmp_path, free_port())


@needs_decap
def test_a_port_another_server_holds_is_not_taken_for_the_proxy(tmp_path):
    """A free port can be taken by another process before decap-server binds it: accepting connections is not enough."""
    import http.server
    import threading

    from safeplan import cli_editor

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        port = other.server_address[1]
        assert not cli_editor.answers_for(library_repo(tmp_path), port)
        with pytest.raises(cli_editor.EditorMissing, match="启动失败"):  # decap-server cannot bind and says so
            cli_editor.start_server(tmp_path / "library", port)
    finally:
        other.shutdown()
        other.server_close()
