# shellcheck shell=bash
# Sourced by entrypoint.sh: turns the environment into validated settings. It accepts the names
# of the gnzsnz/ib-gateway-docker image as aliases (the image most IBKR container users know),
# applies this image's defaults and refuses to start, naming the variable, on any bad value.
# README.md's settings table lists every variable read here; a test keeps the two in step.

# shellcheck source=SCRIPTDIR/alias.sh
source "${IB_GATEWAY_LIB}/alias.sh"

alias_of MASTER_CLIENT_ID TWS_MASTER_CLIENT_ID
alias_of RELOGIN_AFTER_2FA_TIMEOUT RELOGIN_AFTER_TWOFA_TIMEOUT
alias_of TZ TIME_ZONE

TRADING_MODE=${TRADING_MODE:-paper}
READ_ONLY_API=${READ_ONLY_API:-yes}
EXISTING_SESSION_DETECTED_ACTION=${EXISTING_SESSION_DETECTED_ACTION:-primary}
RELOGIN_AFTER_2FA_TIMEOUT=${RELOGIN_AFTER_2FA_TIMEOUT:-yes}
TWOFA_TIMEOUT_ACTION=${TWOFA_TIMEOUT_ACTION:-restart}
TWOFA_EXIT_INTERVAL=${TWOFA_EXIT_INTERVAL:-60}
TWOFA_DEVICE=${TWOFA_DEVICE:-}
MASTER_CLIENT_ID=${MASTER_CLIENT_ID:-1}
TWS_ACCEPT_INCOMING=${TWS_ACCEPT_INCOMING:-reject}
ALLOW_BLIND_TRADING=${ALLOW_BLIND_TRADING:-no}
AUTO_LOGOFF_TIME=${AUTO_LOGOFF_TIME:-}
# IBC applies only the restart time when both are set; a logoff time alone replaces our default
# restart time instead of being ignored.
if [[ -n $AUTO_LOGOFF_TIME && -n ${AUTO_RESTART_TIME:-} ]]; then
  die "set AUTO_RESTART_TIME or AUTO_LOGOFF_TIME, not both (IBC would apply only the restart time)"
fi
[[ -n $AUTO_LOGOFF_TIME ]] || AUTO_RESTART_TIME=${AUTO_RESTART_TIME:-11:45 PM}
AUTO_RESTART_TIME=${AUTO_RESTART_TIME:-}
TWS_COLD_RESTART=${TWS_COLD_RESTART:-}
SAVE_TWS_SETTINGS=${SAVE_TWS_SETTINGS:-}
JAVA_HEAP_SIZE=${JAVA_HEAP_SIZE:-}
CUSTOM_CONFIG=${CUSTOM_CONFIG:-no}
CUSTOM_CONFIG=${CUSTOM_CONFIG,,}
TZ=${TZ:-America/New_York}
IBC_COMMAND_PORT=${IBC_COMMAND_PORT:-7462}
COMMAND_FORWARD_PORT=${COMMAND_FORWARD_PORT:-7463}
IBC_COMMAND_PORT_PAPER=${IBC_COMMAND_PORT_PAPER:-7464}
COMMAND_FORWARD_PORT_PAPER=${COMMAND_FORWARD_PORT_PAPER:-7465}
# TRADING_MODE=both: the paper gateway starts this long after the live one, as the other image
# does: both IBC instances rename the same installation's start script when they start.
DUAL_MODE_START_DELAY=${DUAL_MODE_START_DELAY:-15}
# Compose mode: the exporter writes a timestamp here to ask for a (cold) restart.
RESTART_FLAG_FILE=${RESTART_FLAG_FILE:-}
RESTART_POLL_SECONDS=${RESTART_POLL_SECONDS:-5}
STOP_TIMEOUT_SECONDS=${STOP_TIMEOUT_SECONDS:-20}
export TZ

one_of() {
  local name=$1 value=${!1} allowed
  shift
  for allowed in "$@"; do [[ $value == "$allowed" ]] && return 0; done
  local IFS='|'
  die "$name must be one of $* (got \"$value\")"
}
one_of TRADING_MODE live paper both
one_of READ_ONLY_API yes no
one_of RELOGIN_AFTER_2FA_TIMEOUT yes no
one_of TWOFA_TIMEOUT_ACTION restart exit
one_of EXISTING_SESSION_DETECTED_ACTION primary primaryoverride secondary manual
one_of TWS_ACCEPT_INCOMING accept reject manual
one_of ALLOW_BLIND_TRADING yes no
one_of CUSTOM_CONFIG yes no

# IBC's formats: hh:mm AM/PM for the daily restart and logoff, 24-hour hh:mm for the Sunday
# cold restart.
for var in AUTO_RESTART_TIME AUTO_LOGOFF_TIME; do
  [[ -z ${!var} || ${!var} =~ ^(0[1-9]|1[0-2]):[0-5][0-9]\ (AM|PM)$ ]] ||
    die "$var must look like \"11:45 PM\" (got \"${!var}\")"
done
[[ -z $TWS_COLD_RESTART || $TWS_COLD_RESTART =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] ||
  die "TWS_COLD_RESTART must be a 24-hour time such as 07:05 (got \"$TWS_COLD_RESTART\")"
[[ -z $JAVA_HEAP_SIZE || $JAVA_HEAP_SIZE =~ ^[1-9][0-9]*$ ]] ||
  die "JAVA_HEAP_SIZE must be a number of megabytes without a unit, such as 1024 (got \"$JAVA_HEAP_SIZE\")"
for var in MASTER_CLIENT_ID TWOFA_EXIT_INTERVAL IBC_COMMAND_PORT COMMAND_FORWARD_PORT \
  IBC_COMMAND_PORT_PAPER COMMAND_FORWARD_PORT_PAPER DUAL_MODE_START_DELAY RESTART_POLL_SECONDS \
  STOP_TIMEOUT_SECONDS; do
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

# TWS_USERID is the live username in TRADING_MODE=both, the other image's convention. With
# CUSTOM_CONFIG=yes the mounted config.ini carries the credentials; none reaches IBC's
# environment either way.
if [[ $CUSTOM_CONFIG == no ]]; then
  read_secret TWS_USERID
  read_secret TWS_PASSWORD
  if [[ $TRADING_MODE == both ]]; then
    read_secret TWS_USERID_PAPER
    read_secret TWS_PASSWORD_PAPER
  fi
else
  unset TWS_USERID TWS_USERID_FILE TWS_PASSWORD TWS_PASSWORD_FILE
fi
[[ $TRADING_MODE == both && $CUSTOM_CONFIG == no ]] ||
  unset TWS_USERID_PAPER TWS_USERID_PAPER_FILE TWS_PASSWORD_PAPER TWS_PASSWORD_PAPER_FILE
unset var
