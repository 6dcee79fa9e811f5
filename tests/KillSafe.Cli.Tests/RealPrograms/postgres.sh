#!/bin/bash
# Runs real PostgreSQL servers next to `killsafe sweep` and under `killsafe verify`, inside private IPC, mount
# and PID namespaces (started by the test with unshare): SysV objects and /dev/shm (a private tmpfs) are the
# namespace's own, so nothing here can touch the host's, and every process ends with the namespace.
# usage: postgres.sh BASE DOTNET KILLSAFE_DLL   (writes its findings as files under BASE)
set -u
base=$1; dotnet=$2; killsafe=$3
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/postgres" ] || { echo "SETUP-FAILED: PostgreSQL is not installed (apt-get install postgresql)"; exit 3; }
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || { echo "SETUP-FAILED: cannot mount a private /dev/shm"; exit 3; }
mkdir -p "$base/live-sock" "$base/dead-sock" "$base/hup-sock"
chown -R postgres "$base"
trap 'as_pg "$bin/pg_ctl" -D "$base/live" stop -m immediate >/dev/null 2>&1' EXIT
as_pg "$bin/initdb" -D "$base/live" -A trust -U postgres >"$base/initdb.log" 2>&1 || { echo "SETUP-FAILED: initdb"; cat "$base/initdb.log"; exit 3; }
cp -a "$base/live" "$base/dead"; cp -a "$base/live" "$base/hup"
start() { as_pg "$bin/pg_ctl" -D "$base/$1" -o "-p $2 -k $base/$1-sock -c listen_addresses=''" -l "$base/$1.log" -w start >/dev/null || { echo "SETUP-FAILED: start $1"; cat "$base/$1.log"; exit 3; }; }
psql_on() { as_pg psql -h "$base/$1-sock" -p "$2" -d postgres -qAt -c "$3"; }

# A live server with a few thousand tables: its statistics outgrow the main segment into a dynamic shared
# memory segment in /dev/shm that no process maps between uses.
start live 5440
psql_on live 5440 "DO \$\$ BEGIN FOR i IN 1..3000 LOOP EXECUTE format('CREATE TABLE t%s (a int)', i); EXECUTE format('INSERT INTO t%s VALUES (1)', i); END LOOP; END \$\$;" || echo "SETUP-FAILED: tables"
# A dead instance next to it: SIGKILL to its postmaster; its backends notice and exit.
start dead 5441
dead=$(head -n 1 "$base/dead/postmaster.pid")
kill -9 "$dead"
for i in $(seq 100); do pgrep -P "$dead" >/dev/null || break; sleep 0.1; done

for f in /dev/shm/PostgreSQL.*; do
  mapped=no
  for p in /proc/[0-9]*; do grep -qF "$f" "$p/maps" 2>/dev/null && mapped=yes; done
  echo "$f $mapped"
done >"$base/shm-before.txt"
ipcs -m | awk '$1 ~ /^0x/ { print $2, $6 }' >"$base/sysv-before.txt"   # id nattch

"$dotnet" "$killsafe" sweep --apply --json --dir "$base/live-sock" --dir "$base/dead-sock" >"$base/sweep.json" 2>"$base/sweep.err"
echo "$?" >"$base/sweep.exit"
ls /dev/shm >"$base/shm-after.txt"
ipcs -m | awk '$1 ~ /^0x/ { print $2 }' >"$base/sysv-after.txt"
ls -A "$base/live-sock" >"$base/live-sock-after.txt"; ls -A "$base/dead-sock" >"$base/dead-sock-after.txt"
# The query that fails ("could not open shared memory segment") once the statistics segment is gone.
psql_on live 5440 "select count(*) from pg_stat_user_tables" >"$base/query.txt" 2>&1
echo "$?" >"$base/query.exit"

# SIGHUP makes PostgreSQL reload, not exit: verify must say so and report what its own SIGKILL left. (--host:
# this script runs in namespaces of its own already.)
"$dotnet" "$killsafe" verify --host --json --signal HUP --exit-timeout 3 --timeout 60 --ready-file "$base/hup-sock/.s.PGSQL.5442" --dir "$base/hup-sock" \
  -- setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$base/hup" -p 5442 -k "$base/hup-sock" -c listen_addresses= \
  >"$base/verify.json" 2>"$base/verify.err"
echo "$?" >"$base/verify.exit"
echo DONE
