#!/bin/sh
# pg.sh - a private PostgreSQL cluster in a directory, for `make run` (./var/pg) and the tests.
#
#   sh tools/pg.sh start DIR [PORT]   create on first use, then start (waits until ready)
#   sh tools/pg.sh stop DIR           fast shutdown
#   sh tools/pg.sh crash DIR          immediate shutdown, as a crash: no checkpoint, recovery
#                                         from the WAL at the next start (fault tests)
#   sh tools/pg.sh restart DIR        stop and start again (tests of reconnection)
#   sh tools/pg.sh url DIR [DB]       print the connection URI (database DB, default prefd)
#   sh tools/pg.sh createdb DIR DB    create database DB unless it exists
#   sh tools/pg.sh psql DIR [DB] ...  run psql against it
#
# The cluster listens on 127.0.0.1 only, with a random password for its superuser "prefd" kept in
# DIR/password (mode 600). initdb refuses to run as root, so as root everything runs as the
# "postgres" system user, which then owns DIR/data.
set -eu

bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,14p' "$0" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pick_port() {
	# A free TCP port on 127.0.0.1 from the kernel's ephemeral range.
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

url() {
	db=${1:-prefd}
	printf 'postgresql://prefd:%s@127.0.0.1:%s/%s\n' "$(cat "$dir/password")" "$(cat "$dir/port")" "$db"
}

init() {
	port=${1:-}
	[ -n "$port" ] || port=$(pick_port)
	umask 077
	head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$dir/password"
	echo "$port" >"$dir/port"
	umask 022
	mkdir -p "$dir/data" "$dir/run"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir/data" "$dir/run"
		cp "$dir/password" "$dir/run/pwfile" && chown postgres "$dir/run/pwfile"
	else
		cp "$dir/password" "$dir/run/pwfile"
	fi
	as_owner "$bindir/initdb" -D "$dir/data" -U prefd --pwfile="$dir/run/pwfile" \
		--auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/run/pwfile"
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 200
shared_buffers = 256MB
# an upload of a million comparisons writes about 1 GB of WAL: no checkpoint in the middle
max_wal_size = 4GB
fsync = on
synchronous_commit = on
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
}

start() {
	[ -f "$dir/data/PG_VERSION" ] || init "${1:-}"
	if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		return 0
	fi
	touch "$dir/postgresql.log"
	[ "$(id -u)" = 0 ] && chown postgres "$dir/postgresql.log"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 start >/dev/null ||
		{ tail -20 "$dir/postgresql.log" >&2; exit 1; }
}

stop() {
	[ -f "$dir/data/PG_VERSION" ] || return 0
	if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
}

crash() {
	[ -f "$dir/data/PG_VERSION" ] || return 0
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null
}

case "$cmd" in
start) start "${3:-}" ;;
stop) stop ;;
crash) crash ;;
restart) stop; start ;;
url) url "${3:-prefd}" ;;
createdb)
	db=${3:?database name}
	case "$db" in *[!a-z0-9_]*) echo "pg.sh: bad database name $db" >&2; exit 2 ;; esac
	export PGPASSWORD; PGPASSWORD=$(cat "$dir/password")
	if ! psql -h 127.0.0.1 -p "$(cat "$dir/port")" -U prefd -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
		psql -h 127.0.0.1 -p "$(cat "$dir/port")" -U prefd -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
	fi
	;;
psql)
	db=${3:-prefd}
	[ $# -ge 3 ] && shift 3 || shift $#
	export PGPASSWORD; PGPASSWORD=$(cat "$dir/password")
	exec psql -h 127.0.0.1 -p "$(cat "$dir/port")" -U prefd -d "$db" "$@"
	;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
