#!/usr/bin/env bash
# Installs the Debian packages a stage needs: apt-get when root, else print the exact command.
# Usage: scripts/ensure-system.sh build|test
set -euo pipefail
stage=${1:-build}

# texlive-lang-chinese: the Fandol 仿宋/黑体/楷体 faces GB/T 9704 asks for (render/pdf/fonts.py)
packages=(fonts-noto-cjk texlive-lang-chinese libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 git)
if [ "$stage" = test ]; then
  # actionlint checks the workflows' run: scripts with shellcheck
  packages+=(poppler-utils qpdf chromium shellcheck)
fi
if [ "$stage" = test ] && ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)  # npm ci installs axe-core (package-lock.json), which the accessibility tests run in Chromium
fi
# node and npm: the web editor (/admin/ of the internal site, safeplan edit); a node already on PATH (e.g. NodeSource's) will do
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

fontconf="$(dirname "$0")/fontconfig/09-safeplan-fandol.conf"
register_fonts() {  # fontconfig does not look into TeX Live's font tree by itself
  cmp -s "$fontconf" /etc/fonts/conf.d/09-safeplan-fandol.conf && return 0
  if [ "$(id -u)" -eq 0 ]; then
    install -m 644 "$fontconf" /etc/fonts/conf.d/09-safeplan-fandol.conf && fc-cache -f >/dev/null
  else
    echo "请以管理员身份运行：sudo install -m 644 $fontconf /etc/fonts/conf.d/ && sudo fc-cache -f" >&2
    return 1
  fi
}

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  register_fonts
  exit $?
fi

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "安装系统软件包：${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  register_fonts
else
  echo "缺少系统软件包：${missing[*]}" >&2
  echo "请以管理员身份运行：" >&2
  echo "  sudo apt-get update && sudo $command" >&2
  exit 1
fi
