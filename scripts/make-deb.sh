#!/usr/bin/env bash
# Builds dist/mqtt-authd_<version>_amd64.deb from already-built release products (`make deb`).
# Usage: scripts/make-deb.sh VERSION [release-folder]   (default .build/release)
# DEB_MAINTAINER sets the Maintainer field (default: git's user.name <user.email>).
# Depends: is computed by dpkg-shlibdeps from the stripped ELF files, so it names only the
# Debian libraries the binaries load (libc6, libsqlite3-0, ...), never a Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/make-deb.sh VERSION [release-folder]}"
release="${2:-.build/release}"
arch="$(dpkg --print-architecture)"
package=mqtt-authd
deb="dist/${package}_${version}_${arch}.deb"
maintainer="${DEB_MAINTAINER:-$(git config user.name 2>/dev/null || true) <$(git config user.email 2>/dev/null || true)>}"
case "$maintainer" in
  " <>"|*"<>") echo "set DEB_MAINTAINER=\"Name <address>\" (or git's user.name and user.email)" >&2; exit 1 ;;
esac

for artifact in mqtt-authd aclcheck libMosquittoAuthPlugin.so swift; do
  [ -e "$release/$artifact" ] || { echo "missing: $release/$artifact (run make release)" >&2; exit 1; }
done

# The scratch folder is laid out like a source package (debian/control, debian/<package>/),
# which is what dpkg-shlibdeps expects to find in its working directory.
work="$(mktemp -d "${TMPDIR:-/tmp}/mqtt-authd-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/debian/$package"
doc="$root/usr/share/doc/$package"
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/$package/swift" "$root/lib/systemd/system" \
  "$root/etc/$package" "$doc/examples"

install -m 0755 "$release/mqtt-authd" "$release/aclcheck" "$root/usr/bin/"
install -m 0644 "$release/libMosquittoAuthPlugin.so" "$root/usr/lib/$package/"
strip --strip-unneeded "$root/usr/bin/mqtt-authd" "$root/usr/bin/aclcheck"
strip --strip-unneeded "$root/usr/lib/$package/libMosquittoAuthPlugin.so"
# One shared copy of the Swift runtime, private to the package (docs/footprint.md): the plugin
# finds it through its $ORIGIN/swift, the binaries through the RUNPATH set here.
install -m 0644 "$release"/swift/*.so "$root/usr/lib/$package/swift/"
patchelf --set-rpath "/usr/lib/$package/swift" "$root/usr/bin/mqtt-authd" "$root/usr/bin/aclcheck"

# The repository's files name /usr/local (make install's default PREFIX); the package uses /usr.
sed 's|/usr/local/|/usr/|g' systemd/mqtt-authd.service > "$root/lib/systemd/system/mqtt-authd.service"
install -m 0644 packaging/mqtt-authd.yml "$root/etc/$package/mqtt-authd.yml"
install -m 0644 README.md "$doc/README.md"
install -m 0644 packaging/copyright "$doc/copyright"
install -m 0644 mqtt-authd.example.yml examples/aclfile packaging/mqtt-authd.conf "$doc/examples/"
sed 's|/usr/local/|/usr/|g' mosquitto.conf.example > "$doc/examples/mosquitto.conf.example"
# A native package's changelog, which Debian policy asks for (12.7); the history is in git.
printf '%s (%s) unstable; urgency=medium\n\n  * Release %s; see the git history.\n\n -- %s  %s\n' \
  "$package" "$version" "$version" "$maintainer" "$(date -R)" | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
chmod 0644 "$root/lib/systemd/system/mqtt-authd.service" "$doc/examples/mosquitto.conf.example"

install -d "$root/usr/share/man/man1" "$root/usr/share/man/man8"
gzip -9n < packaging/aclcheck.1 > "$root/usr/share/man/man1/aclcheck.1.gz"
gzip -9n < packaging/mqtt-authd.8 > "$root/usr/share/man/man8/mqtt-authd.8.gz"
chmod 0644 "$root/usr/share/man/man1/aclcheck.1.gz" "$root/usr/share/man/man8/mqtt-authd.8.gz"
install -d "$root/usr/share/lintian/overrides"
install -m 0644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/$package"
install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$root/DEBIAN/"
echo "/etc/$package/mqtt-authd.yml" > "$root/DEBIAN/conffiles"

cat > "$work/debian/control" <<CONTROL
Source: $package

Package: $package
Architecture: $arch
CONTROL
# The private runtime libraries are found in the package's own tree and add no dependency;
# what they load from Debian (libstdc++6, libgcc-s1, ...) does.
depends="$(cd "$work" && dpkg-shlibdeps -O --warnings=1 -l"debian/$package/usr/lib/$package/swift" \
  "debian/$package/usr/bin/mqtt-authd" "debian/$package/usr/bin/aclcheck" \
  "debian/$package/usr/lib/$package/libMosquittoAuthPlugin.so" "debian/$package/usr/lib/$package/swift/"*.so |
  sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || { echo "dpkg-shlibdeps computed no Depends" >&2; exit 1; }
if grep -qiE 'swift|foundation|dispatch' <<<"$depends"; then
  echo "Depends names a Swift toolchain library: $depends" >&2; exit 1
fi
# adduser creates the system user in postinst.
depends="adduser, $depends"
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"

cat > "$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: mosquitto
Suggests: mosquitto-clients
Section: net
Priority: optional
Description: MQTT credentials from identity-provider JWTs, and broker auth/ACL
 mqtt-authd exchanges the JWTs of Supabase, Firebase, Auth0, Clerk or any
 OpenID Connect provider for short-lived MQTT credentials, and answers a
 broker's password and ACL checks from rules compiled into a trie.
 .
 The package ships the daemon (a systemd service, enabled but started only
 once its configuration names a provider), aclcheck, and a plugin for
 Debian's Mosquitto 2.0 under /usr/lib/mqtt-authd; the example
 /usr/share/doc/mqtt-authd/examples/mqtt-authd.conf enables it.
CONTROL

mkdir -p dist
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "$deb: $(du -h "$deb" | cut -f1), installed $size KiB, Depends: $depends"
