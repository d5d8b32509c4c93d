#!/usr/bin/env bash
# Obtain Mosquitto's sources as a Debian source package, unpacked with Debian's patches applied,
# or (--upstream) the upstream release tarball the package carries, unpacked without them.
#
# Usage: fetch-mosquitto.sh [--upstream] <debian-version, e.g. 2.0.21-1> <destination dir>
# Prints the path of the unpacked tree on its last line of stdout.
#
# --upstream: Debian's mosquitto_<upstream>.orig.tar.gz is upstream's release tarball; Debian's
# own changes (debian/patches: e.g. the security fixes backported into 2.0.11-1.2+deb12u2) live
# only in the .debian.tar.xz. Unpacking the .orig tarball alone gives the tree upstream released.
#
# Why a private apt configuration: the machine's apt sources usually carry no deb-src entries and
# only one release. We derive deb-src entries from the archive URIs the machine already uses (so
# no mirror host name ever appears in this repository), write them to a private sources list,
# and keep apt's lists and caches inside the destination dir: the system's apt state is untouched
# and no root is needed.
set -euo pipefail

only_upstream=0
if [[ "${1:-}" == "--upstream" ]]; then only_upstream=1; shift; fi
version="${1:?usage: fetch-mosquitto.sh [--upstream] <debian-version> <dest-dir>}"
dest="${2:?usage: fetch-mosquitto.sh [--upstream] <debian-version> <dest-dir>}"
upstream="${version%-*}"          # 2.0.21-1 -> 2.0.21
tree="$dest/mosquitto-$upstream"
marker="$tree/.mqsim-fetched-$version"
[[ $only_upstream == 1 ]] && marker="$marker-upstream-only"

die() { echo "fetch-mosquitto: error: $*" >&2; exit 1; }

if [[ -f "$tree/src/mosquitto.c" && -f "$marker" ]]; then
  echo "$tree"; exit 0
fi
command -v apt-get >/dev/null || die "apt-get not found; pass -DMOSQUITTO_SOURCE_DIR=<unpacked mosquitto tree> instead"
command -v dpkg-source >/dev/null || die "dpkg-source not found (install the dpkg-dev package) or pass -DMOSQUITTO_SOURCE_DIR=<tree>"

# Collect "URI|signed-by" pairs of Debian archives from the machine's apt configuration
# (deb822 .sources files and one-line .list files). Security archives carry no mosquitto source.
archives() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk 'BEGIN{RS="";FS="\n"} {
      uri="";key="";types="";
      for(i=1;i<=NF;i++){
        if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); uri=$i}
        if($i ~ /^Signed-By:/){sub(/^Signed-By:[ \t]*/,"",$i); key=$i}
        if($i ~ /^Types:/){types=$i}
      }
      if(types ~ /deb/ && uri != "") { n=split(uri,u,/[ \t]+/); for(j=1;j<=n;j++) print u[j] "|" key }
    }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    sed -n -E 's/^[[:space:]]*deb(-src)?[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+:[^[:space:]]+).*/\3|/p' "$f"
  done
}
mapfile -t found < <(archives | grep -v -i security | grep -i debian | awk -F'|' '!seen[$1]++')
[[ ${#found[@]} -gt 0 ]] || die "no Debian archive found in /etc/apt/sources.list{,.d}; pass -DMOSQUITTO_SOURCE_DIR=<tree>"

aptdir="$dest/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
: > "$aptdir/sources.list"
for entry in "${found[@]}"; do
  uri="${entry%%|*}"; key="${entry#*|}"
  opts=""
  [[ -n "$key" && -f "$key" ]] && opts="[signed-by=$key] "
  # Mosquitto versions live in different releases; let apt pick the one that has $version.
  for suite in bookworm trixie sid; do
    echo "deb-src ${opts}${uri} ${suite} main" >> "$aptdir/sources.list"
  done
done

apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
echo "fetch-mosquitto: updating private source lists from the machine's archives" >&2
apt-get -q "${apt_opts[@]}" update >&2 || die "apt-get update failed (see above); check network access to the machine's apt archives"
rm -rf "$tree"
available() { apt-cache "${apt_opts[@]}" showsrc mosquitto 2>/dev/null | sed -n 's/^Version: //p' | tr '\n' ' '; }
if [[ $only_upstream == 1 ]]; then
  # apt verifies the files against the signed .dsc; only the .orig tarball is unpacked.
  ( cd "$dest" && apt-get -q "${apt_opts[@]}" source --download-only "mosquitto=$version" >&2 ) \
    || die "apt-get source --download-only mosquitto=$version failed; available: $(available)"
  orig="$dest/mosquitto_${upstream}.orig.tar.gz"
  [[ -f "$orig" ]] || die "the source package has no $orig (not a 3.0 (quilt) package?)"
  mkdir -p "$tree"
  tar -xzf "$orig" -C "$tree" --strip-components=1 || die "could not unpack $orig"
  [[ ! -d "$tree/debian" ]] || die "$orig unexpectedly carries a debian/ directory"
  echo "fetch-mosquitto: unpacked upstream's $upstream tarball without Debian's patches" >&2
else
  ( cd "$dest" && apt-get -q "${apt_opts[@]}" source "mosquitto=$version" >&2 ) \
    || die "apt-get source mosquitto=$version failed; available: $(available)"
fi
[[ -f "$tree/src/mosquitto.c" ]] || die "unpacked tree $tree has no src/mosquitto.c"
touch "$marker"
echo "$tree"
