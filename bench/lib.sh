# shellcheck shell=bash
# lib.sh — what the bench scripts share, sourced right after their `set -euo pipefail`: the
# source tree (src, set on sourcing), the binary of a build (bench_faultline), a work folder
# removed on exit (bench_work), the default state dir (bench_state), the machine's load
# (bench_load), and the run of the quickstart's first two cases on a disk that boots by its own
# loader (bench_disk: bios-disk.sh, uefi-disk.sh).

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# bench_faultline BUILD_DIR: faultline, the build's binary by its absolute path (the scripts
# change folders); exits 2 when it is not built.
bench_faultline() {
	faultline=$(realpath "$1/faultline" 2>/dev/null) && [ -x "$faultline" ] ||
		{ echo "$(basename "$0"): $1/faultline is not built (ninja -C $1)" >&2; exit 2; }
}

# bench_work NAME: work, a new folder /tmp/faultline-NAME-bench.XXXXXX removed on exit (a script
# with more to clean up sets its own trap after this).
bench_work() {
	work=$(mktemp -d "/tmp/faultline-$1-bench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}

# state, the state dir faultline uses by default: /var/lib/faultline as root, else
# ~/.cache/faultline (unless already set, from an argument).
bench_state() {
	[ -n "${state:-}" ] && return
	state=/var/lib/faultline
	[ "$(id -u)" = 0 ] || state=$HOME/.cache/faultline
}

# bench_load WHEN: "load at WHEN: " and the 1, 5 and 15 minute load averages.
bench_load() {
	echo "load at $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_disk FIRMWARE BOOT_TIMEOUT LAYOUT CONSOLE_RE CONSOLE_SAYS: the Debian 12 image faultline
# built for ksensor-legacy-deb (built first when it is not in $state), made into a disk by
# guests/make-FIRMWARE-disk.sh ($work/FIRMWARE.qcow2) and given by path only; the quickstart's
# first two cases in snapshot isolation must give the initramfs' verdicts on system
# disk-FIRMWARE. Prints LAYOUT's making time, the run, CONSOLE_SAYS when the template's boot log
# matches CONSOLE_RE (its loader seen), each case. Sets L, sc (the scenario) and rc (the run's
# exit); returns non-zero when a verdict or the system is not as expected.
bench_disk() {
	local fw=$1 boot=$2 layout=$3 seen=$4 says=$5 guest img start
	guest="{disk: $fw.qcow2}"
	[ "$fw" = bios ] || guest="{disk: $fw.qcow2, firmware: $fw}"
	L=ksensor-legacy-deb
	img=$state/images/$L
	sc=$work/$fw.yaml
	chmod 0755 "$work" # QEMU runs as libvirt-qemu: the disk must be readable to it
	cat >"$sc" <<EOF
name: $fw-disk
seed: 1
format: kscu
fleet: {size: 0, memory: 256, accel: auto}
sensors: [$L]
guest: $guest
timeouts: {boot: $boot, observe: 2s, hang: 15s, case: 90s}
cases:
  - name: valid
    content: $src/scenarios/content/basic.kscu
    expect: accepted
  - name: field-count-mismatch
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: drop, at: "instances[0].fields[last]"}
    expect: crash
EOF
	if [ ! -f "$img/root.qcow2" ]; then
		echo "== building the Debian image of $L (faultline validate does not build: one run)"
		sed "s|guest: $guest|guest: {system: debian-12}|" "$sc" >"$work/build.yaml"
		"$faultline" run --state-dir "$state" -q -o "$work/build" "$work/build.yaml" >/dev/null || true
	fi
	start=$(date +%s)
	"$src/guests/make-$fw-disk.sh" --kernel "$img/vmlinuz" --initrd "$img/initrd.img" \
		"$img/root.qcow2" "$work/$fw.qcow2"
	echo "$layout image made in $(($(date +%s) - start)) s"
	start=$(date +%s)
	rc=0
	"$faultline" run --state-dir "$state" --isolation snapshot -o "$work/run" "$sc" >"$work/out" 2>&1 || rc=$?
	cat "$work/out"
	echo "$fw-disk: exit $rc in $(($(date +%s) - start)) s; $(bench_load end)"
	if grep -q "$seen" "$work/run/consoles/$L/_template-boot.log"; then
		echo "$says"
	fi
	python3 - "$work/run/results.jsonl" "disk-$fw" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "verdict" in r:
        t = r.get("timings") or {}
        print(f"{r['case']}: {r['verdict']} ({r.get('title')}), system {r.get('system')}, "
              f"restore to verdict {t.get('total_ms')} ms")
        want = {"valid": "accepted", "field-count-mismatch": "crash"}[r["case"]]
        if r["verdict"] != want or r.get("system") != sys.argv[2]:
            sys.exit(f"FAIL: {r['case']}: {r['verdict']} on {r.get('system')}, expected {want} on {sys.argv[2]}")
PYEOF
}
