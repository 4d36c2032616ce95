#!/usr/bin/env bash
# IB Gateway container entrypoint (runs under tini): reads the settings (settings.sh), renders
# IBC's config.ini and the JVM options, starts Xvfb, the socat forwards and IBC (twice with
# TRADING_MODE=both), then supervises them until SIGTERM. Every path and binary can be
# overridden from the environment so the tests can run it with stub binaries.
set -Eeuo pipefail
umask 077

log() { printf 'ib-gateway: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 64
}

IB_GATEWAY_LIB=${IB_GATEWAY_LIB:-/usr/local/lib/ib-gateway}
# shellcheck source=SCRIPTDIR/settings.sh
source "${IB_GATEWAY_LIB}/settings.sh"

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
export DISPLAY

# IB Gateway's own ports: the API listens on 127.0.0.1 (API_PORT); socat publishes it on
# SOCAT_PORT, the port clients use (4003 live / 4004 paper, as in the other common image).
declare -A API_PORTS=([live]=4001 [paper]=4002) SOCAT_PORTS=([live]=4003 [paper]=4004)
declare -A COMMAND_PORTS FORWARD_PORTS INI_FILES SETTINGS_DIRS
if [[ $TRADING_MODE == both ]]; then
  modes=(live paper)
  COMMAND_PORTS=([live]=$IBC_COMMAND_PORT [paper]=$IBC_COMMAND_PORT_PAPER)
  FORWARD_PORTS=([live]=$COMMAND_FORWARD_PORT [paper]=$COMMAND_FORWARD_PORT_PAPER)
  # Subdirectories, not siblings: TWS_SETTINGS_PATH is the mounted volume.
  for mode in "${modes[@]}"; do
    INI_FILES[$mode]="${IBC_INI%/*}/${mode}/${IBC_INI##*/}"
    SETTINGS_DIRS[$mode]="${TWS_SETTINGS_PATH}/${mode}"
  done
else
  modes=("$TRADING_MODE")
  COMMAND_PORTS[$TRADING_MODE]=$IBC_COMMAND_PORT
  FORWARD_PORTS[$TRADING_MODE]=$COMMAND_FORWARD_PORT
  INI_FILES[$TRADING_MODE]=$IBC_INI
  SETTINGS_DIRS[$TRADING_MODE]=$TWS_SETTINGS_PATH
fi

# IBC reads config.ini with java.util.Properties: a backslash starts an escape and leading
# blanks of a value are dropped, so both are escaped to reach IBC unchanged.
properties_value() {
  local value=${1//\\/\\\\}
  [[ $value == " "* ]] && value="\\$value"
  printf '%s' "$value"
}

# config.ini of one gateway. The locals shadow the container-wide values for the template.
render_config() {
  local TRADING_MODE=$1
  # shellcheck disable=SC2034 # read by name, as ${!name}, below
  local API_PORT=${API_PORTS[$1]} IBC_COMMAND_PORT=${COMMAND_PORTS[$1]} ini=${INI_FILES[$1]}
  local TWS_USERID=$TWS_USERID TWS_PASSWORD=$TWS_PASSWORD
  if [[ $TRADING_MODE == paper && ${#modes[@]} -eq 2 ]]; then
    TWS_USERID=$TWS_USERID_PAPER TWS_PASSWORD=$TWS_PASSWORD_PAPER
  fi
  local names=(TWS_USERID TWS_PASSWORD TRADING_MODE RELOGIN_AFTER_2FA_TIMEOUT TWOFA_EXIT_INTERVAL
    TWOFA_DEVICE EXISTING_SESSION_DETECTED_ACTION API_PORT MASTER_CLIENT_ID READ_ONLY_API
    TWS_ACCEPT_INCOMING ALLOW_BLIND_TRADING AUTO_LOGOFF_TIME AUTO_RESTART_TIME TWS_COLD_RESTART
    SAVE_TWS_SETTINGS IBC_COMMAND_PORT)
  local line name out=
  [[ -r $CONFIG_TEMPLATE ]] || die "cannot read the template $CONFIG_TEMPLATE"
  mkdir -p "${ini%/*}"
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
  printf '%s' "$out" >"${ini}.tmp"
  mv -f "${ini}.tmp" "$ini"
  log "rendered $ini"
}

# CUSTOM_CONFIG=yes: the user's own config.ini, used as it is. Its ports must still be the
# ones socat, the health check and the exporter use.
ini_value() { sed -n "s/^$2=//p" "$1" | tail -n 1 | tr -d '\r'; }
check_custom_config() {
  local mode=$1 ini=${INI_FILES[$1]}
  [[ -r $ini ]] || die "CUSTOM_CONFIG=yes: mount your config.ini at $ini"
  [[ $(ini_value "$ini" TradingMode) == "$mode" ]] ||
    die "CUSTOM_CONFIG=yes: $ini must set TradingMode=$mode"
  [[ $(ini_value "$ini" OverrideTwsApiPort) == "${API_PORTS[$mode]}" ]] ||
    die "CUSTOM_CONFIG=yes: $ini must set OverrideTwsApiPort=${API_PORTS[$mode]} (socat and the health check use it)"
  [[ $(ini_value "$ini" CommandServerPort) == "${COMMAND_PORTS[$mode]}" ]] ||
    log "warning: $ini does not set CommandServerPort=${COMMAND_PORTS[$mode]}: no soft restarts"
  log "using $ini as it is (CUSTOM_CONFIG=yes)"
}

# JAVA_HEAP_SIZE: IBC builds the JVM's options from the installation's ibgateway.vmoptions, so
# the -Xmx line there is what sets the heap.
set_java_heap() {
  local vmoptions="${TWS_PATH}/ibgateway/${IB_GATEWAY_VERSION}/ibgateway.vmoptions"
  [[ -n $JAVA_HEAP_SIZE ]] || return 0
  [[ -w $vmoptions ]] || die "JAVA_HEAP_SIZE: cannot write $vmoptions"
  if grep -q '^-Xmx' "$vmoptions"; then
    sed -i "s/^-Xmx.*/-Xmx${JAVA_HEAP_SIZE}m/" "$vmoptions"
  else
    printf -- '-Xmx%sm\n' "$JAVA_HEAP_SIZE" >>"$vmoptions"
  fi
  log "Java heap: -Xmx${JAVA_HEAP_SIZE}m"
}

pids=()
declare -A ibc_pids=()

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
  local mode=$1
  mkdir -p "${SETTINGS_DIRS[$mode]}"
  log "starting IBC: IB Gateway ${IB_GATEWAY_VERSION}, ${mode}, API on 127.0.0.1:${API_PORTS[$mode]}"
  # No --user/--pw: the credentials are in config.ini, never on a command line.
  "$IBC_START" "$IB_GATEWAY_VERSION" --gateway \
    "--tws-path=${TWS_PATH}" \
    "--tws-settings-path=${SETTINGS_DIRS[$mode]}" \
    "--ibc-path=${IBC_PATH}" \
    "--ibc-ini=${INI_FILES[$mode]}" \
    "--mode=${mode}" \
    "--on2fatimeout=${TWOFA_TIMEOUT_ACTION}" &
  ibc_pids[$mode]=$!
}

start_all() {
  local mode first=yes
  for mode in "${modes[@]}"; do
    if [[ -z $first ]] && ((DUAL_MODE_START_DELAY > 0)); then
      # `sleep & wait` rather than a bare sleep, so SIGTERM is handled at once.
      sleep "$DUAL_MODE_START_DELAY" &
      wait $! || true
    fi
    first=
    start_ibc "$mode"
  done
}

# SIGTERM to ibcstart.sh reaches the JVM (ibcstart forwards it); the gateway then exits
# tidily. Waits at most STOP_TIMEOUT_SECONDS, then kills.
stop_ibc() {
  local mode=$1 pid=${ibc_pids[$1]:-}
  [[ -n $pid ]] || return 0
  local deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "IBC ($mode) did not stop within ${STOP_TIMEOUT_SECONDS} s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$pid" 2>/dev/null || true
  ibc_pids[$mode]=
}

stop_all() {
  local mode
  for mode in "${modes[@]}"; do stop_ibc "$mode"; done
}

stop_helpers() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

shutdown() {
  trap - TERM INT
  log "stopping"
  stop_all
  stop_helpers
  exit 0
}
trap shutdown TERM INT

flag_value() {
  if [[ -f $RESTART_FLAG_FILE ]]; then cat -- "$RESTART_FLAG_FILE" 2>/dev/null || true; fi
}

# The mode whose IBC has exited, if any.
exited_mode() {
  local mode
  for mode in "${modes[@]}"; do
    kill -0 "${ibc_pids[$mode]}" 2>/dev/null || {
      printf '%s' "$mode"
      return 0
    }
  done
  return 1
}

for mode in "${modes[@]}"; do
  if [[ $CUSTOM_CONFIG == yes ]]; then check_custom_config "$mode"; else render_config "$mode"; fi
done
set_java_heap
start_xvfb
for mode in "${modes[@]}"; do
  forward "${SOCAT_PORTS[$mode]}" "${API_PORTS[$mode]}"
  forward "${FORWARD_PORTS[$mode]}" "${COMMAND_PORTS[$mode]}"
done
last_flag=
[[ -z $RESTART_FLAG_FILE ]] || last_flag=$(flag_value)
start_all

# IBC does the daily auto-restart, the Sunday cold restart and the 2FA re-login itself; it only
# exits for good. The exit of either gateway ends the container (stopping the other), so the
# orchestrator's restart policy takes over and the health check never sees half a container.
while :; do
  if [[ -z $RESTART_FLAG_FILE ]]; then
    wait -n -p done_pid "${ibc_pids[@]}" && status=0 || status=$?
    for mode in "${modes[@]}"; do [[ ${ibc_pids[$mode]} != "$done_pid" ]] || break; done
  else
    sleep "$RESTART_POLL_SECONDS" &
    wait $! || true
    if ! mode=$(exited_mode); then
      flag=$(flag_value)
      if [[ $flag != "$last_flag" ]]; then
        last_flag=$flag
        log "restart requested through ${RESTART_FLAG_FILE}; cold restart (needs a new 2FA login)"
        stop_all
        start_all
      fi
      continue
    fi
    wait "${ibc_pids[$mode]}" && status=0 || status=$?
  fi
  log "IBC ($mode) exited with status $status"
  ibc_pids[$mode]=
  stop_all
  stop_helpers
  exit "$status"
done
