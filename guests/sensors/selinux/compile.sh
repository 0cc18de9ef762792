#!/bin/sh
# compile.sh POLICY OUT — compile a policy source (policy.conf syntax) into the binary policy the
# kernel reads from /sys/fs/selinux/load, with checkpolicy (Debian package checkpolicy).
# Version 31 is one every guest kernel reads (5.10 reads up to 33); -U allow: classes and
# permissions the policy does not declare are allowed (the policy is small on purpose).
#
# Regenerate the scenario seed after changing faultline.te:
#   guests/sensors/selinux/compile.sh guests/sensors/selinux/faultline.te scenarios/content/selinux.pol
set -eu
[ $# -eq 2 ] || { echo "usage: compile.sh POLICY OUT" >&2; exit 64; }
command -v checkpolicy >/dev/null || { echo "compile.sh: checkpolicy not found (Debian package checkpolicy)" >&2; exit 1; }
checkpolicy -U allow -c 31 -o "$2.tmp" "$1" >/dev/null
mv "$2.tmp" "$2"
