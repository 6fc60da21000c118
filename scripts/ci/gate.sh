#!/usr/bin/env bash
# The review gate, the same on GitHub, Gitea and GitLab: validate, read the approvals from the host's API, check.
# Usage:
#   scripts/ci/gate.sh pull-request BASE        BASE: the target branch or merge base of the pull/merge request
#   scripts/ci/gate.sh publish BEFORE [EVENT]   BEFORE: the commit before the push (empty or all zeros: a new
#                                               branch or a manual run); EVENT=schedule: a daily rebuild, no check
# Environment: SAFEPLAN_HOST=github|gitlab|gitea (unset: a local run, approvals unverified);
#   SAFEPLAN_FORMAT=text|github|gitlab (default text); SAFEPLAN_REPORT: the GitLab code-quality report file;
#   SAFEPLAN_DATE_OUTPUT: on schedule, append SOURCE_DATE_EPOCH=<today> here ($GITHUB_OUTPUT, a GitLab dotenv file).
set -euo pipefail
mode=${1:?"用法：scripts/ci/gate.sh pull-request BASE | publish BEFORE [EVENT]"}
base=${2:-}
event=${3:-push}
host=${SAFEPLAN_HOST:-}
format=${SAFEPLAN_FORMAT:-text}

if [ "$mode" != publish ] && { [ "$mode" != pull-request ] || [ -z "$base" ]; }; then
  echo "用法：scripts/ci/gate.sh pull-request BASE | publish BEFORE [EVENT]" >&2
  exit 2
fi

safeplan validate --format "$([ "$format" = github ] && echo github || echo text)"

if [ "$mode" = publish ]; then
  if [ "$event" = schedule ]; then
    # Builds date themselves by HEAD's commit unless SOURCE_DATE_EPOCH says otherwise, and print its UTC date:
    # pin them to today in Asia/Shanghai (UTC+8, no daylight saving), so a review due today shows today.
    day=$(date -u -d "now + 8 hours" +%F)
    if [ -n "${SAFEPLAN_DATE_OUTPUT:-}" ]; then
      echo "SOURCE_DATE_EPOCH=$(date -u -d "$day" +%s)" >>"$SAFEPLAN_DATE_OUTPUT"
    fi
    echo "定时构建（$day）：没有新的提交，不做工作流检查，只按今天的日期重新生成。"
    exit 0
  fi
  if [ -z "$base" ] || [[ "$base" =~ ^0+$ ]]; then
    if ! git rev-parse -q --verify 'HEAD^' >/dev/null; then
      echo "仓库的第一个提交，没有可比较的基准，不做工作流检查。"
      exit 0
    fi
    base=$(git rev-parse 'HEAD^')
    echo "没有推送前的提交（新分支或手动运行）：检查最近一次合入（HEAD^ 到 HEAD）。"
  fi
fi

args=(--base "$base")
if [ -n "$host" ]; then
  lookup=()
  if [ "$mode" = publish ]; then
    lookup=(--commit "$(git rev-parse HEAD)")  # the approvals of the request that merged this push
  fi
  safeplan approvals --host "$host" --output approvals.json --author-output author.txt "${lookup[@]}"
  args+=(--approvals approvals.json)
  author=$(cat author.txt)
  if [ -n "$author" ]; then
    args+=(--author "$author")
  fi
fi

if [ "$format" = gitlab ]; then
  status=0
  safeplan check "${args[@]}" --format gitlab >"${SAFEPLAN_REPORT:-gl-code-quality-report.json}" || status=$?
  if [ "$status" -ne 0 ]; then
    safeplan check "${args[@]}" || true  # the same problems as text, for the job log
  fi
  exit "$status"
fi
exec safeplan check "${args[@]}" --format "$format"
