#!/bin/sh
# compile.sh PROFILE OUT — compile an AppArmor profile into the binary policy the kernel reads
# from /sys/kernel/security/apparmor/.replace, with apparmor_parser (Debian package apparmor).
# The feature set is the one Debian pins (/usr/share/apparmor-features/features) rather than the
# build host's kernel, so that the same profile gives the same bytes on any host; the guest
# kernel (6.1) reads policy of that generation.
#
# Regenerate the scenario seed after changing confined.profile:
#   guests/sensors/apparmor/compile.sh guests/sensors/apparmor/confined.profile scenarios/content/apparmor.aa
set -eu
[ $# -eq 2 ] || { echo "usage: compile.sh PROFILE OUT" >&2; exit 64; }
parser=$(command -v apparmor_parser || echo /sbin/apparmor_parser)
[ -x "$parser" ] || { echo "compile.sh: apparmor_parser not found (Debian package apparmor)" >&2; exit 1; }
features=/usr/share/apparmor-features/features
if [ -f "$features" ]; then
	"$parser" --quiet --skip-kernel-load --features-file "$features" --ofile "$2.tmp" "$1"
else
	"$parser" --quiet --skip-kernel-load --ofile "$2.tmp" "$1"
fi
mv "$2.tmp" "$2"
