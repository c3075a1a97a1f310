#!/usr/bin/env bash
# Installs photon-bench as a systemd service from this checkout:
#   sudo systemd/install.sh [path/to/bench.yaml]
# Builds in place, copies the build to /opt/photon-bench, creates the photon-bench user,
# installs the unit and udev rules, and puts the bench file at /etc/photon-bench/bench.yaml
# (an existing one is kept). Then: systemctl enable --now photon-bench
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
bench_file="${1:-config/examples/hardware-bench.yaml}"

node dist/agent/cli.js check-config --config "$bench_file" >/dev/null 2>&1 || make build >/dev/null
node dist/agent/cli.js check-config --config "$bench_file"

for group in gpio i2c dialout; do getent group "$group" >/dev/null || groupadd --system "$group"; done
id photon-bench >/dev/null 2>&1 ||
  useradd --system --no-create-home --home-dir /var/lib/photon-bench --shell /usr/sbin/nologin \
    --groups gpio,i2c,dialout photon-bench

install -d /opt/photon-bench
rm -rf /opt/photon-bench/dist /opt/photon-bench/config /opt/photon-bench/sidecars
cp -r dist config sidecars package.json package-lock.json README.md /opt/photon-bench/
(cd /opt/photon-bench && npm ci --omit=dev --no-audit --no-fund)
install -d -m 0750 -o root -g photon-bench /etc/photon-bench
[ -e /etc/photon-bench/bench.yaml ] || install -m 0640 -o root -g photon-bench "$bench_file" /etc/photon-bench/bench.yaml
install -m 0644 systemd/photon-bench.service /etc/systemd/system/photon-bench.service
install -m 0644 systemd/99-photon-bench.rules /etc/udev/rules.d/99-photon-bench.rules
udevadm control --reload-rules 2>/dev/null || true
systemctl daemon-reload
echo "installed; start it with: systemctl enable --now photon-bench && journalctl -fu photon-bench"
