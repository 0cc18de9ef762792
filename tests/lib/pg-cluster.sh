# pg-cluster.sh — a throwaway PostgreSQL cluster for the results database's tests: initdb and
# pg_ctl in a temporary folder, listening on a Unix socket in that folder only (no TCP), run as
# the postgres user (the server refuses root). Source it, then:
#   pg_cluster_start DIR   # sets PG_URL (postgresql://...) for faultline --db
#   pg_cluster_stop DIR    # stops the server (the caller removes DIR)
# Skips the calling test (exit 77) when the server is not installed.

pg_cluster_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

pg_cluster_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_cluster_start() {
	local dir=$1 bin
	bin=$(pg_cluster_bin) || { echo "SKIP: no PostgreSQL server (postgresql package)"; exit 77; }
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "SKIP: no postgres user to run the server as"; exit 77
	fi
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir" && chmod 700 "$dir"
	pg_cluster_as "$bin/initdb" -D "$dir/data" -U faultline --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log"; return 1; }
	pg_cluster_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off" start >/dev/null ||
		{ cat "$dir/server.log"; return 1; }
	PG_URL="postgresql:///postgres?host=$dir&user=faultline"
	export PG_URL
}

pg_cluster_stop() {
	local dir=$1 bin
	bin=$(pg_cluster_bin) || return 0
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_cluster_as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
