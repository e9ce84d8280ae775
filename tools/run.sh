#!/bin/sh
# run.sh - `make run`: a private PostgreSQL under ./var/pg, migrations, the demo accounts and the
# Vicuna80 demo project (prompts, answers and the 7,040 published judgements, loaded once), then
# prefd in the foreground until Ctrl-C.
#
# PREFD_LISTEN (default 127.0.0.1:8080) and PREFD_PG_PORT (default 54329, fixed when ./var/pg is
# first made) choose the ports. The demo passwords below are for a local demo only.
set -eu

top=$(pwd)
listen=${PREFD_LISTEN:-127.0.0.1:8080}
pgdir=$top/var/pg
admin_password=${PREFD_DEMO_ADMIN_PASSWORD:-prefd-admin}
rater_password=${PREFD_DEMO_RATER_PASSWORD:-prefd-rater}
prefd=$top/build/prefd

sh tools/pg.sh start "$pgdir" "${PREFD_PG_PORT:-54329}"
sh tools/pg.sh createdb "$pgdir" prefd
PREFD_DATABASE_URL=$(sh tools/pg.sh url "$pgdir" prefd)
export PREFD_DATABASE_URL PREFD_LISTEN="$listen"

stop_pg() {
	sh tools/pg.sh stop "$pgdir" || true
}

"$prefd" migrate || { stop_pg; exit 1; }

# Demo accounts: made on the first run; later runs print a fresh admin token.
token=$(printf '%s\n' "$admin_password" | "$prefd" user add admin --role admin --password-stdin 2>/dev/null) ||
	token=$("$prefd" user token admin) || { stop_pg; exit 1; }
printf '%s\n' "$rater_password" | "$prefd" user add rater --role rater --password-stdin >/dev/null 2>&1 || true

# In a session of its own, so that Ctrl-C reaches prefd once, as the SIGTERM below (the terminal's
# SIGINT as well would count as a second signal, which makes prefd stop at once instead of
# finishing the requests in flight).
setsid "$prefd" &
pid=$!
stopping=0
on_signal() {
	[ "$stopping" = 1 ] && return
	stopping=1
	kill -TERM "$pid" 2>/dev/null || true
}
trap on_signal INT TERM HUP

url="http://$listen"
tries=0
until curl -fsS "$url/readyz" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if ! kill -0 "$pid" 2>/dev/null || [ $tries -gt 100 ]; then
		echo "run: prefd did not become ready" >&2
		wait "$pid" 2>/dev/null || true
		stop_pg
		exit 1
	fi
	sleep 0.1
done

auth="Authorization: Bearer $token"
if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$url/api/v1/projects/vicuna80")" = 404 ]; then
	echo "run: loading the Vicuna80 demo project" >&2
	curl -fsS -H "$auth" -H 'Content-Type: application/json' \
		--data-binary @tests/data/vicuna80/project.json "$url/api/v1/projects" >/dev/null
	curl -fsS -H "$auth" -H 'Content-Type: application/x-ndjson' \
		--data-binary @tests/data/vicuna80/items.jsonl "$url/api/v1/projects/vicuna80/items" >/dev/null
	# The published human judgements, so that the leaderboard has data from the start.
	curl -fsS -H "$auth" -H 'Content-Type: application/x-ndjson' \
		--data-binary @tests/data/vicuna80/votes.jsonl "$url/api/v1/projects/vicuna80/votes/import" >/dev/null
fi

cat <<BANNER

  prefd is serving at   $url/
  admin login           admin / $admin_password
  rater login           rater / $rater_password
  admin API token       $token

  Try:  curl -H 'Authorization: Bearer $token' $url/api/v1/projects/vicuna80/progress
  Stop with Ctrl-C (PostgreSQL under ./var/pg stops too; its data is kept).

BANNER

status=0
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid" || status=$?
done
stop_pg
exit "$status"
