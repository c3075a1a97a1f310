#!/usr/bin/env bash
# Installs or updates photon-bench from an unpacked release package (make package):
#   tar xzf photon-bench-<version>.tar.gz && sudo photon-bench-<version>/systemd/install.sh [options]
#     --config FILE        the bench file for a first install (default: the hardware example)
#     --replace-config     replace an existing /etc/photon-bench/bench.yaml with --config (the old
#                          one is kept as bench.yaml.<time>.bak); without it an existing one is kept,
#                          the new one is written beside it as bench.yaml.new, and both are said
#     --ready-timeout-s N  how long the new version has to come up and pass its self-check (120)
#
# Side by side: each version goes to /opt/photon-bench/<version> (its own node_modules, from the
# lockfile), `current` points at the one running and `previous` at the one before. An update
# switches `current`, restarts the service and waits for READY and a passing `photon-bench
# self-check` (the agent online with the new version on the broker); if that does not come
# within the timeout, it switches back and restarts the previous version, which then says so in
# its retained status (`lastUpdate`, from <state-dir>/update.json). Exit 0 updated, 1 rolled back
# (or a first install that failed its check), 2 refused before anything was switched.
#
# For containers and tests (not PHOTON_BENCH_*: those are the agent's config overrides):
# BENCH_INSTALL_PREFIX, _ETC, _STATE move the three directories;
# BENCH_INSTALL_SYSTEMD=0 installs no user, unit or udev rule and uses BENCH_INSTALL_RESTART (a
# command) instead of systemctl; BENCH_INSTALL_NODE_MODULES links an existing node_modules built
# from the same lockfile instead of running npm ci (an offline install).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${BENCH_INSTALL_PREFIX:-/opt/photon-bench}"
etc="${BENCH_INSTALL_ETC:-/etc/photon-bench}"
state="${BENCH_INSTALL_STATE:-/var/lib/photon-bench}"
use_systemd="${BENCH_INSTALL_SYSTEMD:-1}"
restart_cmd="${BENCH_INSTALL_RESTART:-systemctl restart photon-bench}"
config="" replace=0 ready_timeout=120

say() { echo "install.sh: $*" >&2; }
die() { say "$2"; exit "$1"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --replace-config) replace=1; shift ;;
    --ready-timeout-s) ready_timeout="${2:?--ready-timeout-s needs seconds}"; shift 2 ;;
    *) die 2 "unknown argument $1 (see the comment at the top of this script)" ;;
  esac
done
[[ "$ready_timeout" =~ ^[0-9]+$ ]] || die 2 "--ready-timeout-s: a whole number of seconds, not \"$ready_timeout\""
[ "$use_systemd" = 0 ] || [ "$(id -u)" -eq 0 ] || die 2 "run as root (sudo)"
[ -f "$here/dist/agent/cli.js" ] ||
  die 2 "$here has no built code: run this script from an unpacked release package (make package)"

# Node ≥ 20.19, found the way the service will run it: an absolute path, readable by the service
# user. A per-user Node (nvm, under /home or /root) is hidden by ProtectHome=: copy its binary.
node_bin="$(readlink -f "$(command -v node || true)" 2>/dev/null || true)"
[ -x "$node_bin" ] ||
  die 2 "no node on PATH: install Node ≥ 20.19 (README, 'On a Raspberry Pi'); an nvm Node: sudo env PATH=\"\$PATH\" $0"
"$node_bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die 2 "node $("$node_bin" --version) at $node_bin is older than 20.19 (see README, 'On a Raspberry Pi')"
version="$("$node_bin" -p 'require(process.argv[1]).version' "$here/package.json")"
[[ "$version" =~ ^[0-9A-Za-z.+_-]+$ ]] || die 2 "bad version \"$version\" in $here/package.json"
install -d "$prefix"
case "$node_bin" in
  /home/* | /root/*)
    install -d "$prefix/bin" && install -m 0755 "$node_bin" "$prefix/bin/node"
    say "node is under a home directory ($node_bin), which the service cannot see: copied to $prefix/bin/node"
    node_bin="$prefix/bin/node" ;;
esac

# The version's own directory, complete before anything points at it.
target="$prefix/$version"
current="$(readlink "$prefix/current" 2>/dev/null || true)"
if [ "$current" = "$version" ]; then
  say "$version is already the current version: reinstalling its files and restarting"
fi
rm -rf "$target.new"
install -d "$target.new"
(cd "$here" && cp -r dist config sidecars schemas systemd package.json package-lock.json README.md "$target.new/")
if [ -n "${BENCH_INSTALL_NODE_MODULES:-}" ]; then
  ln -s "$(readlink -f "$BENCH_INSTALL_NODE_MODULES")" "$target.new/node_modules"
else
  (cd "$target.new" && npm ci --omit=dev --no-audit --no-fund) || die 2 "npm ci failed: nothing switched"
fi

# The bench file: never replaced silently. A new one is written beside an existing one.
install -d -m 0750 "$etc"
bench="$etc/bench.yaml"
if [ ! -e "$bench" ]; then
  install -m 0640 "${config:-$here/config/examples/hardware-bench.yaml}" "$bench"
  say "bench file: $bench (from ${config:-the hardware example}); edit it for this bench"
elif [ -n "$config" ] && ! cmp -s "$config" "$bench"; then
  if [ "$replace" = 1 ]; then
    backup="$bench.$(date -u +%Y%m%dT%H%M%SZ).bak"
    cp -p "$bench" "$backup" && install -m 0640 "$config" "$bench"
    say "bench file replaced by $config; the old one is $backup"
  else
    install -m 0640 "$config" "$bench.new"
    say "KEPT the existing bench file $bench; $config differs and is at $bench.new"
    say "  compare: diff $bench $bench.new   replace: rerun with --replace-config"
  fi
else
  say "bench file: keeping $bench"
fi
"$node_bin" "$target.new/dist/agent/cli.js" check-config --config "$bench" >&2 ||
  { rm -rf "$target.new"; die 2 "$bench does not pass version $version's checks: nothing switched"; }

if [ "$use_systemd" = 1 ]; then
  for group in gpio i2c dialout; do getent group "$group" >/dev/null || groupadd --system "$group"; done
  id photon-bench >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir "$state" --shell /usr/sbin/nologin \
      --groups gpio,i2c,dialout photon-bench
  chgrp photon-bench "$etc" "$bench" && chmod 0750 "$etc"
  install -d -o photon-bench -g photon-bench -m 0750 "$state"
  sed "s|^ExecStart=/usr/bin/node |ExecStart=$node_bin |" "$target.new/systemd/photon-bench.service" \
    > /etc/systemd/system/photon-bench.service
  install -m 0644 "$target.new/systemd/99-photon-bench.rules" /etc/udev/rules.d/99-photon-bench.rules
  udevadm control --reload-rules 2>/dev/null && udevadm trigger --subsystem-match=gpio 2>/dev/null || true
  systemctl daemon-reload
  systemctl enable photon-bench >/dev/null 2>&1 || true
else
  install -d "$state"
fi
rm -rf "$target" && mv "$target.new" "$target"

switch_to() { ln -sfn "$1" "$prefix/current.new" && mv -T "$prefix/current.new" "$prefix/current"; }
record() { # result from to reason
  "$node_bin" -e '
    const [file, result, from, to, reason] = process.argv.slice(1);
    require("fs").writeFileSync(file, JSON.stringify({ result, ...(from ? { from } : {}), to,
      ts: new Date().toISOString(), ...(reason ? { reason } : {}) }) + "\n");' \
    "$state/update.json" "$@"
  [ "$use_systemd" = 0 ] || chown photon-bench:photon-bench "$state/update.json"
}
check_ready() { # the service came up (READY) and the new version says it is online
  local as=()
  [ "$use_systemd" = 0 ] || as=(runuser -u photon-bench --)
  "${as[@]}" "$node_bin" "$prefix/current/dist/agent/cli.js" self-check --config "$bench" \
    --state-dir "$state" --expect-version "$1" --wait-s "$ready_timeout" >&2 &&
    { [ "$use_systemd" = 0 ] || systemctl is-active --quiet photon-bench; }
}

[ -n "$current" ] && [ "$current" != "$version" ] && ln -sfn "$current" "$prefix/previous"
switch_to "$version"
say "current → $version${current:+ (was $current)}; restarting"
$restart_cmd || say "the restart command failed"
if check_ready "$version"; then
  record updated "$current" "$version" ""
  # Keep the current and the previous version; older ones go.
  for dir in "$prefix"/*; do
    [ -d "$dir" ] && [ ! -L "$dir" ] && [ -f "$dir/package.json" ] || continue
    case "$(basename "$dir")" in "$version" | "$current") ;; *) rm -rf "$dir" ;; esac
  done
  say "photon-bench $version is running and passed its self-check"
  exit 0
fi
reason="version $version did not come up with a passing self-check within ${ready_timeout} s"
if [ -z "$current" ] || [ "$current" = "$version" ]; then
  say "$reason; no earlier version to go back to (journalctl -u photon-bench says why)"
  exit 1
fi
say "$reason: rolling back to $current"
switch_to "$current"
ln -sfn "$version" "$prefix/previous"
record rolled-back "$version" "$current" "$reason"
$restart_cmd || say "the restart command failed"
check_ready "$current" || say "the previous version $current did not pass its self-check either"
say "rolled back to $current"
exit 1
