#!/bin/sh
# pgaf-node.sh - one pg_auto_failover node of prefd's database: the monitor, or a PostgreSQL node
# (the first one made becomes the primary, the next a synchronous standby). Made on first use,
# then run in the foreground (`pg_autoctl run`) until SIGTERM. The same script runs every node of
# the loopback cluster (tools/cluster.py) and of docker/compose.yaml. Runs as the PostgreSQL
# user (initdb refuses root).
#
# Settings (environment):
#   PGAF_ROLE        monitor | postgres
#   PGAF_DIR         the node's directory: pg/ (data), cfg/ and share/ (pg_autoctl's state), pgpass
#   PGAF_NAME        node name (postgres nodes)
#   PGAF_HOSTNAME    the address the other nodes and prefd reach this node at
#   PGAF_LISTEN      listen_addresses (default: PGAF_HOSTNAME)
#   PGAF_PORT        PostgreSQL's port (default 5432)
#   PGAF_SOCKETS     directory for the unix sockets, private to the PostgreSQL user; the same on
#                    every node (a standby copies the primary's settings)
#   PGAF_MONITOR     host:port of the monitor (postgres nodes)
#   PGAF_CONF        directory holding pg_hba.conf, pg-node.conf and pg-monitor.conf
#   PGAF_MONITOR_PASSWORD, PGAF_REPLICATION_PASSWORD, PGAF_HEALTH_PASSWORD, PREFD_DB_PASSWORD
#                    the passwords of the roles autoctl_node (keepers to the monitor),
#                    pgautofailover_replicator (streaming), pgautofailover_monitor (health
#                    checks) and prefd (the application, owner of database prefd)
set -eu

: "${PGAF_ROLE:?monitor or postgres}" "${PGAF_DIR:?node directory}" "${PGAF_HOSTNAME:?address}"
: "${PGAF_CONF:?directory of pg_hba.conf and the .conf files}" "${PGAF_SOCKETS:?socket directory}"
: "${PGAF_MONITOR_PASSWORD:?}" "${PGAF_HEALTH_PASSWORD:?}" "${PGAF_REPLICATION_PASSWORD:?}"
port=${PGAF_PORT:-5432}
listen=${PGAF_LISTEN:-$PGAF_HOSTNAME}
pgdata=$PGAF_DIR/pg
sockets=$PGAF_SOCKETS
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin

mkdir -p "$PGAF_DIR/cfg" "$PGAF_DIR/share" "$PGAF_DIR/run" "$sockets"
chmod 700 "$PGAF_DIR" "$sockets"
# pg_autoctl keeps its configuration and state under the XDG directories: keep them with the node.
export HOME="$PGAF_DIR" XDG_CONFIG_HOME="$PGAF_DIR/cfg" XDG_DATA_HOME="$PGAF_DIR/share"
export XDG_RUNTIME_DIR="$PGAF_DIR/run" PGHOST="$sockets" PGPORT="$port" PATH="$bindir:$PATH"
# Every libpq connection the node's processes make (keepers, health checks, streaming) finds its
# password here.
export PGPASSFILE="$PGAF_DIR/pgpass"
umask 077
cat >"$PGPASSFILE" <<EOF
*:*:*:autoctl_node:$PGAF_MONITOR_PASSWORD
*:*:*:pgautofailover_replicator:$PGAF_REPLICATION_PASSWORD
*:*:*:pgautofailover_monitor:$PGAF_HEALTH_PASSWORD
EOF
umask 022

log() {
	echo "pgaf-node[$PGAF_ROLE${PGAF_NAME:+ $PGAF_NAME}]: $*" >&2
}

# A fresh data directory with prefd's authentication and settings, before pg_autoctl adopts it.
init_pgdata() {
	initdb -D "$pgdata" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		>"$PGAF_DIR/initdb.log" 2>&1 || { cat "$PGAF_DIR/initdb.log" >&2; exit 1; }
	cp "$PGAF_CONF/pg_hba.conf" "$pgdata/pg_hba.conf"
	cp "$PGAF_CONF/$1" "$pgdata/prefd.conf"
	cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '$listen'
unix_socket_directories = '$sockets'
EOF
}

# After pg_autoctl create: prefd's settings last (they win), then the given SQL on a socket-only
# server that nobody else can reach yet.
finish_create() {
	cp "$PGAF_CONF/$1" "$pgdata/prefd.conf"
	grep -q "^include 'prefd.conf'" "$pgdata/postgresql.conf" ||
		echo "include 'prefd.conf'" >>"$pgdata/postgresql.conf"
	shift
	[ $# -gt 0 ] || return 0
	pg_ctl -D "$pgdata" -o "-c listen_addresses='' -p $port -k $PGAF_DIR/run" -w -t 60 \
		-l "$PGAF_DIR/setup.log" start >/dev/null
	for sql in "$@"; do
		psql -X -q -v ON_ERROR_STOP=1 -h "$PGAF_DIR/run" -d "$db" -c "$sql" >/dev/null
	done
	pg_ctl -D "$pgdata" -m fast -w -t 60 stop >/dev/null
}

# A SQL string literal.
lit() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

monitor_uri="postgres://autoctl_node@${PGAF_MONITOR:-}/pg_auto_failover?sslmode=require"

if [ ! -f "$pgdata/PG_VERSION" ]; then
	case "$PGAF_ROLE" in
	monitor)
		log "creating the monitor"
		init_pgdata pg-monitor.conf
		pg_autoctl create monitor --pgdata "$pgdata" --pgport "$port" --hostname "$PGAF_HOSTNAME" \
			--skip-pg-hba --ssl-self-signed >"$PGAF_DIR/create.log" 2>&1 ||
			{ tail -20 "$PGAF_DIR/create.log" >&2; exit 1; }
		pg_autoctl config set --pgdata "$pgdata" postgresql.listen_addresses "$listen" >/dev/null
		db=pg_auto_failover
		finish_create pg-monitor.conf \
			"ALTER ROLE autoctl_node PASSWORD $(lit "$PGAF_MONITOR_PASSWORD")"
		;;
	postgres)
		: "${PGAF_NAME:?node name}" "${PGAF_MONITOR:?monitor host:port}" "${PREFD_DB_PASSWORD:?}"
		# The first node of the formation initialises the database; a later one copies it.
		nodes=""
		tries=0
		until nodes=$(psql -X -tA "$monitor_uri" \
			-c "SELECT count(*) FROM pgautofailover.node WHERE formationid = 'default'" 2>/dev/null); do
			tries=$((tries + 1))
			[ $tries -lt 120 ] || { log "the monitor at $PGAF_MONITOR does not answer"; exit 1; }
			sleep 0.5
		done
		if [ "$nodes" = 0 ]; then
			log "creating the first node (primary)"
			init_pgdata pg-node.conf
		else
			log "creating a standby of the $nodes node(s) there"
		fi
		pg_autoctl create postgres --pgdata "$pgdata" --pgport "$port" --listen "$listen" \
			--hostname "$PGAF_HOSTNAME" --name "$PGAF_NAME" --dbname prefd --monitor "$monitor_uri" \
			--skip-pg-hba --ssl-self-signed >"$PGAF_DIR/create.log" 2>&1 ||
			{ tail -20 "$PGAF_DIR/create.log" >&2; exit 1; }
		# A primary cut off from the monitor and from its standby stops taking writes after this
		# long (seconds); the monitor's primary_demote_timeout waits longer (pg-monitor.conf).
		pg_autoctl config set --pgdata "$pgdata" timeout.network_partition_timeout 5 >/dev/null
		db=prefd
		if [ "$nodes" = 0 ]; then
			finish_create pg-node.conf \
				"ALTER ROLE pgautofailover_replicator PASSWORD $(lit "$PGAF_REPLICATION_PASSWORD")" \
				"ALTER ROLE pgautofailover_monitor PASSWORD $(lit "$PGAF_HEALTH_PASSWORD")" \
				"CREATE ROLE prefd LOGIN PASSWORD $(lit "$PREFD_DB_PASSWORD")" \
				"ALTER DATABASE prefd OWNER TO prefd" "ALTER SCHEMA public OWNER TO prefd"
		else
			finish_create pg-node.conf
		fi
		;;
	*)
		log "PGAF_ROLE must be monitor or postgres"
		exit 2
		;;
	esac
fi

log "running on $PGAF_HOSTNAME:$port"
exec pg_autoctl run --pgdata "$pgdata"
