#!/usr/bin/env bash
# Installs the Debian packages a stage needs: apt-get when root, else print the exact command.
# Usage: scripts/ensure-system.sh build|test
set -euo pipefail
stage=${1:-build}

packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 git)
if [ "$stage" = test ]; then
  packages+=(poppler-utils qpdf chromium shellcheck)  # shellcheck: actionlint checks the workflows' run: scripts with it
fi
# node and npm: the web editor (/admin/ of the internal site, safeplan edit); a node already on PATH (e.g. NodeSource's) will do
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "安装系统软件包：${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "缺少系统软件包：${missing[*]}" >&2
  echo "请以管理员身份运行：" >&2
  echo "  sudo apt-get update && sudo $command" >&2
  exit 1
fi
