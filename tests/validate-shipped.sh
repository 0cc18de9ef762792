#!/bin/sh
# validate-shipped.sh FAULTLINE SRC — every shipped scenario, sensor.yaml and format description
# validates. The list is taken when the test runs, so a file added or removed since meson
# configured is seen without a reconfigure.
set -eu
faultline=$1
src=$2
set -- "$src"/scenarios/*.yaml "$src"/guests/sensors/*/sensor.yaml "$src"/guests/formats/*.yaml
[ -e "$1" ] || { echo "validate-shipped: no YAML files under $src" >&2; exit 1; }
exec "$faultline" validate -q "$@"
