#!/usr/bin/env bash
# make package: a versioned release tarball with the built code, the lockfile and the install
# script, for `sudo ./photon-bench-<version>/systemd/install.sh` on the bench's computer (no build
# there, no dev dependencies: the script runs `npm ci --omit=dev` from the lockfile).
#   PACKAGE_VERSION=1.2.3 bash systemd/package.sh   # another version than package.json's
# Writes dist-package/photon-bench-<version>.tar.gz (or under $PACKAGE_OUT) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/.built ] || { echo "package.sh: build first (make package does)" >&2; exit 1; }
version="${PACKAGE_VERSION:-$(node -p 'require("./package.json").version')}"
[[ "$version" =~ ^[0-9A-Za-z.+_-]+$ ]] || { echo "package.sh: bad version \"$version\"" >&2; exit 2; }
out="${PACKAGE_OUT:-dist-package}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/photon-bench-$version"
mkdir -p "$root"
cp -r dist config sidecars schemas systemd package-lock.json README.md "$root/"
[ -f LICENSE ] && cp LICENSE "$root/"
rm -f "$root/dist/.built"
find "$root/config" -name '*.ts' -delete
node -e '
  const fs = require("fs"); const [file, version] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.version = version; fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$root/package.json" "$version"
echo "$version" > "$root/VERSION"
mkdir -p "$out"
tar -czf "$out/photon-bench-$version.tar.gz" -C "$stage" "photon-bench-$version"
echo "$out/photon-bench-$version.tar.gz"
