#!/bin/bash
# vm suite: a second libvirt "host" on this machine for the hosts-*.sh tests. A real libvirtd,
# listening on 127.0.0.1 over TCP with authentication off (for the test only), in a mount
# namespace of its own whose /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt
# and /var/log/libvirt are folders of the test: nothing of the machine's libvirt (or of the
# embedded driver's roots) is touched, and removing the folder removes everything it made.
# Source it; then host_start DIR PORT, host_kill (SIGKILL the daemon), host_stop (the daemon,
# its QEMU processes, DIR). HOST_URI is the URI to give faultline.

# The two-host tests' setup: skip without QEMU or root; $tmp (removed at exit, with the daemon
# and what it made), the daemon on port $1, and $tmp/two.yaml: the quickstart of source dir $2
# on a fleet of the embedded driver and the daemon, one guest each.
hosts_two() {
	command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: the loopback libvirtd needs root"; exit 77; }
	tmp=$(mktemp -d /tmp/faultline-hosts-XXXXXX)
	trap 'host_stop; rm -rf "$tmp"' EXIT
	host_start "$tmp/host" "$1"
	ln -s "$2/scenarios/content" "$tmp/content"
	sed -e "s|^  size: 0 .*|  hosts: [{uri: local, slots: 1}, {uri: \"$HOST_URI\", slots: 1}]|" \
		"$2/scenarios/quickstart.yaml" >"$tmp/two.yaml"
	grep -q "hosts:" "$tmp/two.yaml" || { echo "FAIL: the scenario's fleet was not rewritten"; exit 1; }
}

# Wait for the run of test $1 (pid $2, output in $tmp/out, into $run): exit 0, and the 14
# records of the quickstart in $res (checked with $check).
hosts_wait_run() {
	local rc=0
	wait "$2" || rc=$?
	cat "$tmp/out"
	echo "$1: exit $rc"
	[ "$rc" = 0 ] || { echo "FAIL: expected exit 0 (every expectation met)"; exit 1; }
	res=$run/results.jsonl
	[ "$("$check" "$res")" = 14 ] || { echo "FAIL: expected 14 records, one per case"; exit 1; }
}

host_start() {
	HOST_DIR=$1 HOST_PORT=$2
	HOST_URI=qemu+tcp://127.0.0.1:$HOST_PORT/system
	local d=$HOST_DIR
	mkdir -p "$d"/{etc,run,lib,cache,log}
	# QEMU runs as libvirt-qemu: it must reach the pool faultline makes in /var/lib/libvirt
	chmod 755 "$(dirname "$d")" "$d" "$d/lib"
	cat >"$d/etc/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$HOST_PORT"
auth_tcp = "none"
unix_sock_dir = "/run/libvirt"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
	# no virtlogd: QEMU writes its own log, as with faultline's embedded driver
	printf 'stdio_handler = "file"\n' >"$d/etc/qemu.conf"
	host_launch
}

# (Re)start the daemon of host_start's folder.
host_launch() {
	local d=$HOST_DIR
	unshare -m --propagation private /bin/sh -c "
		mount --bind '$d/etc' /etc/libvirt &&
		mount --bind '$d/run' /run/libvirt 2>/dev/null || { mkdir -p /run/libvirt && mount --bind '$d/run' /run/libvirt; }
		mount --bind '$d/lib' /var/lib/libvirt 2>/dev/null || { mkdir -p /var/lib/libvirt && mount --bind '$d/lib' /var/lib/libvirt; }
		mount --bind '$d/cache' /var/cache/libvirt 2>/dev/null || { mkdir -p /var/cache/libvirt && mount --bind '$d/cache' /var/cache/libvirt; }
		mount --bind '$d/log' /var/log/libvirt 2>/dev/null || { mkdir -p /var/log/libvirt && mount --bind '$d/log' /var/log/libvirt; }
		exec /usr/sbin/libvirtd --listen --config /etc/libvirt/libvirtd.conf
	" >"$d/daemon.out" 2>&1 &
	HOST_PID=$!
	for _ in $(seq 1 100); do
		virsh -q -c "$HOST_URI" uri >/dev/null 2>&1 && return 0
		kill -0 "$HOST_PID" 2>/dev/null || break
		sleep 0.2
	done
	cat "$d/daemon.out" "$d/log/libvirtd.log" 2>/dev/null | tail -20
	echo "FAIL: the loopback libvirtd did not come up"
	return 1
}

host_kill() {
	kill -KILL "$HOST_PID" 2>/dev/null || true
	wait "$HOST_PID" 2>/dev/null || true
}

# QEMU processes the test's daemon started (their logs are in its folder).
host_qemus() {
	pgrep -f "qemu-system.*$HOST_DIR" || true
}

host_stop() {
	[ -n "${HOST_DIR:-}" ] || return 0
	if kill -0 "$HOST_PID" 2>/dev/null; then
		for dom in $(virsh -q -c "$HOST_URI" list --all --name 2>/dev/null); do
			virsh -q -c "$HOST_URI" destroy "$dom" >/dev/null 2>&1 || true
			virsh -q -c "$HOST_URI" undefine "$dom" >/dev/null 2>&1 || true
		done
	fi
	host_kill
	for p in $(host_qemus); do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$HOST_DIR"
}
