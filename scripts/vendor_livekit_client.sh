#!/usr/bin/env bash
# Vendor the official LiveKit browser SDK (UMD build) into the telehealth app's static files.
#
#   scripts/vendor_livekit_client.sh 2.23.0
#
# Fetches the release tarball from the npm registry with `npm pack` (no install, no build, nothing runs at
# runtime), checks it against the registry's published integrity, and copies the UMD bundle, its source map and
# the package LICENSE next to a SOURCE.txt that records where they came from. Review the diff, update
# LIVEKIT_CLIENT_VERSION in trellis/telehealth/providers.py, run the telehealth tests, commit.
set -euo pipefail
version="${1:?usage: $0 <livekit-client version, e.g. 2.23.0>}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/trellis/telehealth/static/telehealth/vendor/livekit-client"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack "livekit-client@$version" --silent >/dev/null
tarball="livekit-client-$version.tgz"
expected="$(npm view "livekit-client@$version" dist.integrity)"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$expected" != "$actual" ]; then
  echo "integrity mismatch: registry says $expected, tarball is $actual" >&2
  exit 1
fi
tar xzf "$tarball"
mkdir -p "$dest"
cp package/dist/livekit-client.umd.js package/dist/livekit-client.umd.js.map package/LICENSE "$dest/"
cat > "$dest/SOURCE.txt" <<TXT
livekit-client $version (https://github.com/livekit/client-sdk-js), Apache-2.0 (LICENSE in this folder).
Obtained with: scripts/vendor_livekit_client.sh $version  (npm pack livekit-client@$version)
Tarball: https://registry.npmjs.org/livekit-client/-/livekit-client-$version.tgz
Tarball integrity (npm registry): $expected
Files copied unmodified from the tarball: package/dist/livekit-client.umd.js, package/dist/livekit-client.umd.js.map, package/LICENSE
sha256 livekit-client.umd.js: $(sha256sum "$dest/livekit-client.umd.js" | cut -d' ' -f1)
TXT
echo "vendored livekit-client $version into $dest"
