#!/usr/bin/env bash
# IB Gateway container entrypoint (runs under tini): reads the credentials from files, renders
# IBC's config.ini, starts Xvfb, the socat forwards and IBC, then supervises them until SIGTERM.
# Every path and binary can be overridden from the environment so the tests can run it with
# stub binaries.
set -Eeuo pipefail
umask 077

log() { printf 'ib-gateway: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 64
}

TRADING_MODE=${TRADING_MODE:-paper}
READ_ONLY_API=${READ_ONLY_API:-yes}
AUTO_RESTART_TIME=${AUTO_RESTART_TIME:-11:45 PM}
EXISTING_SESSION_DETECTED_ACTION=${EXISTING_SESSION_DETECTED_ACTION:-primary}
RELOGIN_AFTER_2FA_TIMEOUT=${RELOGIN_AFTER_2FA_TIMEOUT:-yes}
TWOFA_TIMEOUT_ACTION=${TWOFA_TIMEOUT_ACTION:-restart}
MASTER_CLIENT_ID=${MASTER_CLIENT_ID:-1}
IBC_COMMAND_PORT=${IBC_COMMAND_PORT:-7462}
COMMAND_FORWARD_PORT=${COMMAND_FORWARD_PORT:-7463}
IB_GATEWAY_VERSION=${IB_GATEWAY_VERSION:?IB_GATEWAY_VERSION is set in the image}
TWS_PATH=${TWS_PATH:-/opt/ibkr}
TWS_SETTINGS_PATH=${TWS_SETTINGS_PATH:-/home/ibgateway/Jts}
IBC_PATH=${IBC_PATH:-/opt/ibc}
IBC_INI=${IBC_INI:-/run/ibc/config.ini}
IBC_START=${IBC_START:-${IBC_PATH}/scripts/ibcstart.sh}
CONFIG_TEMPLATE=${CONFIG_TEMPLATE:-/etc/ib-gateway/config.ini.tmpl}
DISPLAY=${DISPLAY:-:1}
X11_SOCKET_DIR=${X11_SOCKET_DIR:-/tmp/.X11-unix}
XVFB_LOCK_FILE=${XVFB_LOCK_FILE:-/tmp/.X${DISPLAY#:}-lock}
# Compose mode: the exporter writes a timestamp here to ask for a (cold) restart.
RESTART_FLAG_FILE=${RESTART_FLAG_FILE:-}
RESTART_POLL_SECONDS=${RESTART_POLL_SECONDS:-5}
STOP_TIMEOUT_SECONDS=${STOP_TIMEOUT_SECONDS:-20}
export DISPLAY

# IB Gateway's own ports: the API listens on 127.0.0.1 (API_PORT); socat publishes it on
# SOCAT_PORT, the port clients use (4003 live / 4004 paper, as in the common gateway images).
case "$TRADING_MODE" in
  live) API_PORT=4001 SOCAT_PORT=4003 ;;
  paper) API_PORT=4002 SOCAT_PORT=4004 ;;
  *) die "TRADING_MODE must be live or paper (got \"$TRADING_MODE\")" ;;
esac
case "$READ_ONLY_API" in
  yes | no) ;;
  *) die "READ_ONLY_API must be yes or no (got \"$READ_ONLY_API\")" ;;
esac
case "$TWOFA_TIMEOUT_ACTION" in
  restart | exit) ;;
  *) die "TWOFA_TIMEOUT_ACTION must be restart or exit (got \"$TWOFA_TIMEOUT_ACTION\")" ;;
esac
[[ $AUTO_RESTART_TIME =~ ^(0[1-9]|1[0-2]):[0-5][0-9]\ (AM|PM)$ ]] ||
  die "AUTO_RESTART_TIME must look like \"11:45 PM\" (got \"$AUTO_RESTART_TIME\")"
for var in MASTER_CLIENT_ID IBC_COMMAND_PORT COMMAND_FORWARD_PORT RESTART_POLL_SECONDS STOP_TIMEOUT_SECONDS; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number (got \"${!var}\")"
done

# NAME from NAME_FILE (first line, the Kubernetes/compose secret-as-file way) or NAME itself.
# The value goes into a shell variable only: both are removed from the environment, so
# neither IBC nor Java ever sees them there.
read_secret() {
  local name=$1 file_var="${1}_FILE" value
  if [[ -n ${!name:-} && -n ${!file_var:-} ]]; then
    die "set either $name or $file_var, not both"
  elif [[ -n ${!file_var:-} ]]; then
    [[ -r ${!file_var} ]] || die "$file_var: cannot read ${!file_var}"
    IFS= read -r value <"${!file_var}" || [[ -n $value ]] || die "$file_var: ${!file_var} is empty"
    value=${value%$'\r'}
  elif [[ -n ${!name:-} ]]; then
    value=${!name}
  else
    die "$file_var (or $name) is required"
  fi
  [[ -n $value ]] || die "$name is empty"
  unset "$name" "$file_var"
  printf -v "$name" '%s' "$value"
}
read_secret TWS_USERID
read_secret TWS_PASSWORD

# IBC reads config.ini with java.util.Properties: a backslash starts an escape and leading
# blanks of a value are dropped, so both are escaped to reach IBC unchanged.
properties_value() {
  local value=${1//\\/\\\\}
  [[ $value == " "* ]] && value="\\$value"
  printf '%s' "$value"
}

render_config() {
  local names=(TWS_USERID TWS_PASSWORD TRADING_MODE RELOGIN_AFTER_2FA_TIMEOUT
    EXISTING_SESSION_DETECTED_ACTION API_PORT MASTER_CLIENT_ID READ_ONLY_API
    AUTO_RESTART_TIME IBC_COMMAND_PORT)
  local line name out tmp
  [[ -r $CONFIG_TEMPLATE ]] || die "cannot read the template $CONFIG_TEMPLATE"
  mkdir -p "$(dirname "$IBC_INI")"
  tmp="${IBC_INI}.tmp"
  : >"$tmp"
  while IFS= read -r line || [[ -n $line ]]; do
    for name in "${names[@]}"; do
      [[ $line == *"\${$name}"* ]] || continue
      [[ ${!name} != *$'\n'* ]] || die "$name must be a single line"
      line=${line//"\${$name}"/"$(properties_value "${!name}")"}
    done
    # Comments may mention ${NAME}; a setting may not keep one.
    [[ $line == "#"* || $line != *"\${"* ]] || die "unknown placeholder in the template: ${line%%=*}"
    out+="$line"$'\n'
  done <"$CONFIG_TEMPLATE"
  printf '%s' "$out" >"$tmp"
  mv -f "$tmp" "$IBC_INI"
}

pids=()
ibc_pid=

start_xvfb() {
  local socket="${X11_SOCKET_DIR}/X${DISPLAY#:}" deadline=$((SECONDS + 15))
  # A lock left by a killed container would stop Xvfb from starting.
  rm -f "$XVFB_LOCK_FILE"
  Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp &
  pids+=("$!")
  until [[ -e $socket ]]; do
    ((SECONDS < deadline)) || die "Xvfb did not create $socket within 15 s"
    kill -0 "${pids[-1]}" 2>/dev/null || die "Xvfb exited"
    sleep 0.2
  done
  log "Xvfb is up on $DISPLAY"
}

# socat exits when its listener fails; keep it up for the life of the container.
forward() {
  local listen=$1 target=$2
  (
    child=
    trap 'kill "$child" 2>/dev/null; exit 0' TERM
    while :; do
      socat "TCP-LISTEN:${listen},fork,reuseaddr" "TCP:127.0.0.1:${target}" &
      child=$!
      wait "$child" || true
      log "socat ${listen} -> ${target} exited; restarting in 1 s"
      sleep 1
    done
  ) &
  pids+=("$!")
}

start_ibc() {
  mkdir -p "$TWS_SETTINGS_PATH"
  log "starting IBC: IB Gateway ${IB_GATEWAY_VERSION}, ${TRADING_MODE}, API on 127.0.0.1:${API_PORT}"
  # No --user/--pw: the credentials are in config.ini, never on a command line.
  "$IBC_START" "$IB_GATEWAY_VERSION" --gateway \
    "--tws-path=${TWS_PATH}" \
    "--tws-settings-path=${TWS_SETTINGS_PATH}" \
    "--ibc-path=${IBC_PATH}" \
    "--ibc-ini=${IBC_INI}" \
    "--mode=${TRADING_MODE}" \
    "--on2fatimeout=${TWOFA_TIMEOUT_ACTION}" &
  ibc_pid=$!
}

# SIGTERM to ibcstart.sh reaches the JVM (ibcstart forwards it); the gateway then exits
# tidily. Waits at most STOP_TIMEOUT_SECONDS, then kills.
stop_ibc() {
  [[ -n $ibc_pid ]] || return 0
  local deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  kill -TERM "$ibc_pid" 2>/dev/null || true
  while kill -0 "$ibc_pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "IBC did not stop within ${STOP_TIMEOUT_SECONDS} s; killing it"
      kill -KILL "$ibc_pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$ibc_pid" 2>/dev/null || true
  ibc_pid=
}

shutdown() {
  trap - TERM INT
  log "stopping"
  stop_ibc
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap shutdown TERM INT

flag_value() {
  if [[ -f $RESTART_FLAG_FILE ]]; then cat -- "$RESTART_FLAG_FILE" 2>/dev/null || true; fi
}

render_config
log "rendered $IBC_INI"
start_xvfb
forward "$SOCAT_PORT" "$API_PORT"
forward "$COMMAND_FORWARD_PORT" "$IBC_COMMAND_PORT"
last_flag=
[[ -z $RESTART_FLAG_FILE ]] || last_flag=$(flag_value)
start_ibc

# IBC does the daily auto-restart and the 2FA re-login itself; it only exits for good. Its
# exit ends the container so the orchestrator's restart policy takes over.
while :; do
  if [[ -z $RESTART_FLAG_FILE ]]; then
    wait "$ibc_pid" && status=0 || status=$?
  else
    # `sleep & wait` rather than a bare sleep, so SIGTERM is handled at once.
    sleep "$RESTART_POLL_SECONDS" &
    wait $! || true
    if kill -0 "$ibc_pid" 2>/dev/null; then
      flag=$(flag_value)
      if [[ $flag != "$last_flag" ]]; then
        last_flag=$flag
        log "restart requested through ${RESTART_FLAG_FILE}; cold restart (needs a new 2FA login)"
        stop_ibc
        start_ibc
      fi
      continue
    fi
    wait "$ibc_pid" && status=0 || status=$?
  fi
  log "IBC exited with status $status"
  ibc_pid=
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  exit "$status"
done
