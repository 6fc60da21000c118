"""Host API → approvals file: who approved a pull (merge) request on GitHub, GitLab or Gitea.

git cannot tell who pressed "approve"; the host can. CI asks the host's API,
with the token and ids its CI sets in the environment, and writes the approving
accounts as a JSON list of handles ("@login", the form `owners[].handle` uses)
for `safeplan check --approvals`. For a push to main the pull request that
merged the pushed commit is looked up first, so the publish check sees the
approvals that let the change in; a commit that no request merged has none.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urljoin

HOSTS = ("github", "gitlab", "gitea")
TIMEOUT = 30  # seconds per request
MAX_PAGES = 50  # a review list longer than 50 pages is a broken server, not a pull request
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class HostError(Exception):
    """The host could not be asked or gave an unusable answer; message and hint are Chinese."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class NotFound(HostError):
    pass


@dataclass(frozen=True)
class Approvals:
    request: int | None  # pull/merge request number; None when no request merged the commit
    author: str | None  # "@login" of the request's author
    approvers: tuple[str, ...]  # "@login" of each account whose approval stands, sorted

    def summary(self, commit: str | None) -> str:
        if self.request is None:
            return f"提交 {commit[:10] if commit else ''} 不是通过合并请求合入的，没有审批记录；审批名单为空。"
        names = " ".join(self.approvers) if self.approvers else "（无）"
        return f"合并请求 #{self.request}（作者 {self.author}）：{len(self.approvers)} 人批准：{names}"


def _handle(login) -> str:
    if not isinstance(login, str) or not login:
        raise HostError("托管平台返回的用户名不是字符串。", "请确认 API 地址指向 GitHub、GitLab 或 Gitea 的 API。")
    return "@" + login.lstrip("@")


def _required(env, name: str, hint: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise HostError(f"缺少环境变量 {name}。", hint)
    return value


class Api:
    """GET requests against one host's JSON API, with its auth header; errors become HostError."""

    def __init__(self, base: str, headers: dict[str, str]):
        self.base = base.rstrip("/") + "/"
        self.headers = {"User-Agent": "safeplan", "Accept": "application/json", **headers}

    def _open(self, url: str):
        request = urllib.request.Request(url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body, link = response.read(), response.headers.get("Link", "")
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise HostError(f"托管平台拒绝了令牌（HTTP {error.code}）：{url}",
                                "令牌缺失、过期或权限不足：请按 README“托管平台设置”一节给工作流配置可读取合并请求的令牌。") from None
            if error.code == 404:
                raise NotFound(f"托管平台上找不到（HTTP 404）：{url}",
                               "请检查仓库、合并请求编号和 API 地址；私有仓库的令牌无权访问时也会返回 404。") from None
            raise HostError(f"托管平台返回 HTTP {error.code}：{url}", "请稍后重新运行；问题持续时请检查托管平台的状态。") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise HostError(f"无法连接托管平台 {self.base}：{reason}",
                            "请检查网络和 API 地址的环境变量（GITHUB_API_URL、CI_API_V4_URL 或 GITEA_API_URL）。") from None
        try:
            return json.loads(body.decode("utf-8")), link
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HostError(f"托管平台返回的不是 JSON：{url}", "请确认 API 地址指向托管平台的 API，而不是网页。") from None

    def get(self, path: str):
        return self._open(urljoin(self.base, path.lstrip("/")))[0]

    def pages(self, path: str) -> list:
        """Every item of a paginated list, following the Link: rel="next" header (GitHub, Gitea, GitLab)."""
        items, url = [], urljoin(self.base, path.lstrip("/"))
        for _ in range(MAX_PAGES):
            data, link = self._open(url)
            if not isinstance(data, list):
                raise HostError(f"托管平台返回的不是列表：{url}", "请确认 API 地址指向托管平台的 API。")
            items += data
            found = _NEXT.search(link)
            if not found:
                return items
            url = found.group(1)
        raise HostError(f"分页超过 {MAX_PAGES} 页：{path}", "托管平台的分页链接可能有误。")


def _fields(item, *keys):
    """item[k1][k2]… or None, for JSON of uncertain shape."""
    for key in keys:
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _pull_number(env) -> int:
    """The pull request of a GitHub/Gitea event, from the event payload the runner writes."""
    path = _required(env, "GITHUB_EVENT_PATH", "这个命令要在合并请求触发的 CI 任务中运行，或用 --commit 指定已合并的提交。")
    try:
        with open(path, encoding="utf-8") as handle:
            number = _fields(json.load(handle), "pull_request", "number")
    except (OSError, ValueError) as error:
        raise HostError(f"读不了事件文件 {path}：{error}", "请确认在 CI 任务中运行。") from None
    if not isinstance(number, int):
        raise HostError("事件不是合并请求，没有合并请求编号。", "在推送触发的任务中请用 --commit 指定推送的提交。")
    return number


def _latest_by_user(reviews: list, counted: tuple[str, ...]) -> dict[str, dict]:
    """Each reviewer's latest review among those whose state decides (comments do not withdraw an approval)."""
    latest: dict[str, dict] = {}
    for review in sorted((r for r in reviews if isinstance(r, dict)), key=lambda r: r.get("id") or 0):
        login = _fields(review, "user", "login")
        if review.get("state") in counted and login:
            latest[login] = review
    return latest


def _github(env, commit: str | None) -> Approvals:
    token = _required(env, "GITHUB_TOKEN", "在工作流中设置 env: GITHUB_TOKEN: ${{ github.token }}，并给任务 pull-requests: read 权限。")
    api = Api(env.get("GITHUB_API_URL") or "https://api.github.com",
              {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"})
    repo = _required(env, "GITHUB_REPOSITORY", "这个变量由 GitHub Actions 设置。")
    if commit:
        merged = [p for p in api.pages(f"repos/{repo}/commits/{commit}/pulls?per_page=100")
                  if isinstance(p, dict) and p.get("merged_at")]
        merged.sort(key=lambda p: p.get("merge_commit_sha") != commit)  # the request whose merge commit this is first
        if not merged:
            return Approvals(None, None, ())
        number = merged[0].get("number")
    else:
        number = _pull_number(env)
    author = _handle(_fields(api.get(f"repos/{repo}/pulls/{number}"), "user", "login"))
    # DISMISSED: GitHub dismisses an approval when new commits arrive (branch protection) or by hand.
    latest = _latest_by_user(api.pages(f"repos/{repo}/pulls/{number}/reviews?per_page=100"),
                             ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"))
    approvers = sorted(_handle(login) for login, r in latest.items() if r.get("state") == "APPROVED")
    return Approvals(number, author, tuple(approvers))


def _gitea(env, commit: str | None) -> Approvals:
    token = (env.get("GITEA_TOKEN") or env.get("GITHUB_TOKEN") or "").strip()
    if not token:
        raise HostError("缺少环境变量 GITEA_TOKEN。", "在工作流中设置 env: GITEA_TOKEN: ${{ secrets.GITEA_TOKEN }}。")
    base = env.get("GITEA_API_URL") or (env.get("GITHUB_SERVER_URL") or "").rstrip("/") + "/api/v1"
    if base == "/api/v1":
        raise HostError("缺少环境变量 GITEA_API_URL（或 GITHUB_SERVER_URL）。", "Gitea Actions 会设置 GITHUB_SERVER_URL；本地运行请设置 GITEA_API_URL。")
    api = Api(base, {"Authorization": f"token {token}"})
    repo = _required(env, "GITHUB_REPOSITORY", "这个变量由 Gitea Actions 设置（“所有者/仓库”）。")
    if commit:
        try:
            pull = api.get(f"repos/{repo}/commits/{commit}/pull")  # the merged pull request of a commit
        except NotFound:
            return Approvals(None, None, ())
        number = _fields(pull, "number")
    else:
        number = _pull_number(env)
        pull = api.get(f"repos/{repo}/pulls/{number}")
    author = _handle(_fields(pull, "user", "login"))
    latest = _latest_by_user(api.pages(f"repos/{repo}/pulls/{number}/reviews?limit=50"), ("APPROVED", "REQUEST_CHANGES"))
    # Gitea keeps a dismissed or outdated approval's state and marks it dismissed / stale instead.
    approvers = sorted(_handle(login) for login, r in latest.items()
                       if r.get("state") == "APPROVED" and not r.get("dismissed") and not r.get("stale"))
    return Approvals(number, author, tuple(approvers))


def _gitlab(env, commit: str | None) -> Approvals:
    token = _required(env, "GITLAB_TOKEN", "在项目的 CI/CD 变量中添加 GITLAB_TOKEN：一个有 read_api 权限的项目访问令牌（设为 Masked）。")
    api = Api(_required(env, "CI_API_V4_URL", "这个变量由 GitLab CI 设置。"), {"PRIVATE-TOKEN": token})
    project = "projects/" + quote(_required(env, "CI_PROJECT_ID", "这个变量由 GitLab CI 设置。"), safe="")
    if commit:
        merged = [m for m in api.pages(f"{project}/repository/commits/{commit}/merge_requests?per_page=100")
                  if isinstance(m, dict) and m.get("state") == "merged"]
        merged.sort(key=lambda m: commit not in (m.get("merge_commit_sha"), m.get("squash_commit_sha"), m.get("sha")))
        if not merged:
            return Approvals(None, None, ())
        number = merged[0].get("iid")
    else:
        number = _required(env, "CI_MERGE_REQUEST_IID", "这个变量只在合并请求流水线中设置（rules: if $CI_PIPELINE_SOURCE == \"merge_request_event\"）。")
    author = _handle(_fields(api.get(f"{project}/merge_requests/{number}"), "author", "username"))
    approved_by = _fields(api.get(f"{project}/merge_requests/{number}/approvals"), "approved_by") or []
    approvers = sorted({_handle(_fields(a, "user", "username")) for a in approved_by})
    return Approvals(int(number), author, tuple(approvers))


def fetch(host: str, env, commit: str | None = None) -> Approvals:
    """The standing approvals of the current pull request, or of the one that merged `commit`."""
    return {"github": _github, "gitlab": _gitlab, "gitea": _gitea}[host](env, commit)


def approvals_json(found: Approvals) -> str:
    return json.dumps(list(found.approvers), ensure_ascii=False) + "\n"
