"""`safeplan approvals` against a real HTTP server on 127.0.0.1 that answers like GitHub, Gitea and GitLab."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import run_cli

SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


class Host:
    """Routes "path?query" → (status, JSON body, extra headers); records each request's path and headers."""

    def __init__(self):
        self.routes: dict[str, tuple[int, object, dict]] = {}
        self.requests: list[tuple[str, object]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                host.requests.append((self.path, self.headers))  # case-insensitive, as HTTP is
                status, body, headers = host.routes.get(self.path, (404, {"message": "Not Found"}, {}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, path: str, body, status: int = 200, next_page: str | None = None) -> None:
        headers = {"Link": f'<{self.url}{next_page}>; rel="next", <{self.url}{next_page}>; rel="last"'} if next_page else {}
        self.routes[path] = (status, body, headers)


@pytest.fixture
def host():
    server = Host()
    yield server
    server.server.shutdown()
    server.server.server_close()


def approvals(tmp_path: Path, env: dict, *args: str) -> tuple[subprocess.CompletedProcess, object, str | None]:
    """Run the real command (in this process) with only the given environment; return (result, approvals file, author file)."""
    out, author = tmp_path / "approvals.json", tmp_path / "author.txt"
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({"PATH": saved["PATH"], **env})
    try:
        result = run_cli("approvals", "--output", str(out), "--author-output", str(author), *args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return (result, json.loads(out.read_text()) if out.exists() else None,
            author.read_text() if author.exists() else None)


def event(tmp_path: Path, number: int) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"action": "submitted", "pull_request": {"number": number}}), encoding="utf-8")
    return str(path)


def review(id: int, login: str, state: str, **extra) -> dict:
    return {"id": id, "user": {"login": login}, "state": state, **extra}


def github_env(host: Host, tmp_path: Path, number: int = 12) -> dict:
    return {"GITHUB_API_URL": host.url, "GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "wjedu/safeplan",
            "GITHUB_EVENT_PATH": event(tmp_path, number)}


# ---- GitHub -------------------------------------------------------------------------------------

def github_reviews(host: Host, number: int) -> None:
    host.route(f"/repos/wjedu/safeplan/pulls/{number}", {"number": number, "user": {"login": "zhou-editor"}})
    host.route(f"/repos/wjedu/safeplan/pulls/{number}/reviews?per_page=100", [
        review(1, "wj-safety-head", "APPROVED"),
        review(2, "wj-safety-head", "COMMENTED"),  # a later comment does not withdraw the approval
        review(3, "wj-safety-deputy", "DISMISSED"),  # approved, then dismissed by a new push
        review(4, "village-principal", "APPROVED"),
        review(5, "village-principal", "CHANGES_REQUESTED"),
    ], next_page=f"/repos/wjedu/safeplan/pulls/{number}/reviews?per_page=100&page=2")
    host.route(f"/repos/wjedu/safeplan/pulls/{number}/reviews?per_page=100&page=2", [
        review(6, "hutang-primary-safety", "CHANGES_REQUESTED"),
        review(7, "hutang-primary-safety", "APPROVED"),  # on the second page: found only by following Link
    ])


def test_github_latest_review_per_user_across_pages(host, tmp_path):
    github_reviews(host, 12)
    result, found, author = approvals(tmp_path, github_env(host, tmp_path), "--host", "github")
    assert (result.returncode, result.stderr) == (0, "")
    assert found == ["@hutang-primary-safety", "@wj-safety-head"]
    assert author == "@zhou-editor\n"
    assert result.stdout == "合并请求 #12（作者 @zhou-editor）：2 人批准：@hutang-primary-safety @wj-safety-head\n"
    assert {headers["Authorization"] for _, headers in host.requests} == {"Bearer t0ken"}
    assert [path for path, _ in host.requests][-1].endswith("page=2")


def test_github_push_uses_the_pull_request_that_merged_the_commit(host, tmp_path):
    github_reviews(host, 7)
    host.route(f"/repos/wjedu/safeplan/commits/{SHA}/pulls?per_page=100", [
        {"number": 9, "merged_at": None, "merge_commit_sha": None},  # still open: not what merged it
        {"number": 7, "merged_at": "2026-12-01T08:00:00Z", "merge_commit_sha": SHA},
    ])
    env = {k: v for k, v in github_env(host, tmp_path).items() if k != "GITHUB_EVENT_PATH"}
    result, found, author = approvals(tmp_path, env, "--host", "github", "--commit", SHA)
    assert result.returncode == 0, result.stderr
    assert (found, author) == (["@hutang-primary-safety", "@wj-safety-head"], "@zhou-editor\n")
    assert not any(path.startswith("/repos/wjedu/safeplan/pulls/9") for path, _ in host.requests)


def test_github_push_without_a_pull_request_has_no_approvals(host, tmp_path):
    host.route(f"/repos/wjedu/safeplan/commits/{SHA}/pulls?per_page=100", [])
    result, found, author = approvals(tmp_path, github_env(host, tmp_path), "--host", "github", "--commit", SHA)
    assert (result.returncode, found, author) == (0, [], "\n")
    assert result.stdout == "提交 a1b2c3d4e5 不是通过合并请求合入的，没有审批记录；审批名单为空。\n"


# ---- Gitea --------------------------------------------------------------------------------------

def gitea_reviews(host: Host, number: int) -> None:
    host.route(f"/api/v1/repos/wjedu/safeplan/pulls/{number}/reviews?limit=50", [
        review(1, "wj-safety-head", "APPROVED", dismissed=False, stale=False),
        review(2, "wj-safety-deputy", "APPROVED", dismissed=True, stale=False),  # dismissed by a maintainer
        review(3, "village-principal", "APPROVED", dismissed=False, stale=True),  # approved an older commit
    ], next_page=f"/api/v1/repos/wjedu/safeplan/pulls/{number}/reviews?limit=50&page=2")
    host.route(f"/api/v1/repos/wjedu/safeplan/pulls/{number}/reviews?limit=50&page=2", [
        review(4, "hutang-primary-safety", "COMMENT", dismissed=False, stale=False),
        review(5, "hutang-primary-principal", "APPROVED", dismissed=False, stale=False),
        review(6, "hutang-primary-principal", "REQUEST_CHANGES", dismissed=False, stale=False),
    ])


def gitea_env(host: Host, tmp_path: Path) -> dict:
    return {"GITHUB_SERVER_URL": host.url, "GITEA_TOKEN": "t0ken", "GITHUB_REPOSITORY": "wjedu/safeplan",
            "GITHUB_EVENT_PATH": event(tmp_path, 3)}


def test_gitea_skips_dismissed_and_stale_approvals(host, tmp_path):
    host.route("/api/v1/repos/wjedu/safeplan/pulls/3", {"number": 3, "user": {"login": "zhou-editor"}})
    gitea_reviews(host, 3)
    result, found, author = approvals(tmp_path, gitea_env(host, tmp_path), "--host", "gitea")
    assert result.returncode == 0, result.stderr
    assert (found, author) == (["@wj-safety-head"], "@zhou-editor\n")
    assert {headers["Authorization"] for _, headers in host.requests} == {"token t0ken"}


def test_gitea_push_finds_the_merged_pull_request_or_none(host, tmp_path):
    gitea_reviews(host, 3)
    host.route(f"/api/v1/repos/wjedu/safeplan/commits/{SHA}/pull", {"number": 3, "user": {"login": "zhou-editor"}})
    result, found, _ = approvals(tmp_path, gitea_env(host, tmp_path), "--host", "gitea", "--commit", SHA)
    assert (result.returncode, found) == (0, ["@wj-safety-head"])
    other = "f" * 40  # no route: the server answers 404, as Gitea does for a commit no pull request merged
    result, found, _ = approvals(tmp_path, gitea_env(host, tmp_path), "--host", "gitea", "--commit", other)
    assert (result.returncode, found) == (0, [])


# ---- GitLab -------------------------------------------------------------------------------------

def gitlab_env(host: Host) -> dict:
    return {"CI_API_V4_URL": host.url + "/api/v4", "GITLAB_TOKEN": "t0ken", "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "5"}


def gitlab_merge_request(host: Host, iid: int) -> None:
    host.route(f"/api/v4/projects/42/merge_requests/{iid}", {"iid": iid, "author": {"username": "zhou-editor"}})
    host.route(f"/api/v4/projects/42/merge_requests/{iid}/approvals", {
        "approved": True, "approved_by": [{"user": {"username": "wj-safety-head"}},
                                          {"user": {"username": "village-principal"}}]})


def test_gitlab_merge_request_approvals(host, tmp_path):
    gitlab_merge_request(host, 5)
    result, found, author = approvals(tmp_path, gitlab_env(host), "--host", "gitlab")
    assert result.returncode == 0, result.stderr
    assert (found, author) == (["@village-principal", "@wj-safety-head"], "@zhou-editor\n")
    assert {headers["PRIVATE-TOKEN"] for _, headers in host.requests} == {"t0ken"}


def test_gitlab_push_uses_the_merged_merge_request(host, tmp_path):
    gitlab_merge_request(host, 8)
    host.route(f"/api/v4/projects/42/repository/commits/{SHA}/merge_requests?per_page=100", [
        {"iid": 6, "state": "opened", "sha": SHA},
        {"iid": 8, "state": "merged", "merge_commit_sha": SHA},
    ])
    env = {k: v for k, v in gitlab_env(host).items() if k != "CI_MERGE_REQUEST_IID"}
    result, found, _ = approvals(tmp_path, env, "--host", "gitlab", "--commit", SHA)
    assert (result.returncode, found) == (0, ["@village-principal", "@wj-safety-head"])


# ---- the environment fails: a clear Chinese message, exit 2, no file ----------------------------

def test_refused_token_is_an_environment_error_and_writes_nothing(host, tmp_path):
    host.route("/repos/wjedu/safeplan/pulls/12", {"message": "Bad credentials"}, status=401)
    result, found, author = approvals(tmp_path, github_env(host, tmp_path), "--host", "github")
    assert (result.returncode, found, author, result.stdout) == (4, None, None, "")
    assert result.stderr.startswith("safeplan: 托管平台拒绝了令牌（HTTP 401）：")
    assert "提示：令牌缺失、过期或权限不足" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_host_and_missing_token(tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"GITHUB_API_URL": f"http://127.0.0.1:{port}", "GITHUB_TOKEN": "t0ken",
           "GITHUB_REPOSITORY": "wjedu/safeplan", "GITHUB_EVENT_PATH": event(tmp_path, 12)}
    result, found, _ = approvals(tmp_path, env, "--host", "github")
    assert (result.returncode, found) == (4, None)
    assert result.stderr.startswith(f"safeplan: 无法连接托管平台 http://127.0.0.1:{port}/：")
    result, found, _ = approvals(tmp_path, {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}, "--host", "github")
    assert (result.returncode, found) == (4, None)
    assert result.stderr.startswith("safeplan: 缺少环境变量 GITHUB_TOKEN。\n  提示：在工作流中设置 env: GITHUB_TOKEN:")


def test_a_push_event_without_commit_says_to_pass_it(host, tmp_path):
    payload = tmp_path / "push.json"
    payload.write_text(json.dumps({"ref": "refs/heads/main", "before": "0" * 40}), encoding="utf-8")
    env = {**github_env(host, tmp_path), "GITHUB_EVENT_PATH": str(payload)}
    result, found, _ = approvals(tmp_path, env, "--host", "github")
    assert (result.returncode, found, host.requests) == (4, None, [])
    assert result.stderr == ("safeplan: 事件不是合并请求，没有合并请求编号。\n"
                             "  提示：在推送触发的任务中请用 --commit 指定推送的提交。\n")


def test_gitlab_outside_a_merge_request_pipeline(host, tmp_path):
    env = {k: v for k, v in gitlab_env(host).items() if k != "CI_MERGE_REQUEST_IID"}
    result, found, _ = approvals(tmp_path, env, "--host", "gitlab")
    assert (result.returncode, found) == (4, None)
    assert result.stderr.startswith("safeplan: 缺少环境变量 CI_MERGE_REQUEST_IID。\n  提示：这个变量只在合并请求流水线中设置")
