#!/usr/bin/env bash
# Stops and removes the photon-bench service. Keeps /etc/photon-bench (the bench file) and
# /var/lib/photon-bench unless --purge is given.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run as root (sudo)" >&2; exit 1; }
systemctl disable --now photon-bench 2>/dev/null || true
rm -f /etc/systemd/system/photon-bench.service /etc/udev/rules.d/99-photon-bench.rules
systemctl daemon-reload 2>/dev/null || true
rm -rf /opt/photon-bench
if [ "${1:-}" = "--purge" ]; then
  rm -rf /etc/photon-bench /var/lib/photon-bench
  userdel photon-bench 2>/dev/null || true
fi
echo "photon-bench removed"
