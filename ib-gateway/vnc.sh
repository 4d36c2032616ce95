#!/usr/bin/env bash
# VNC sidecar: shows the gateway's Xvfb display (shared through the X socket directory) so a
# human can answer a login or 2FA dialog. It listens on localhost only by default: reach it with
# `kubectl port-forward`, never through a Service. VNC_LISTEN=0.0.0.0 is for compose, where the
# port is published on the host's 127.0.0.1 only.
set -Eeuo pipefail
umask 077

log() { printf 'ib-gateway-vnc: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 64
}

IB_GATEWAY_LIB=${IB_GATEWAY_LIB:-/usr/local/lib/ib-gateway}
# shellcheck source=SCRIPTDIR/alias.sh
source "${IB_GATEWAY_LIB}/alias.sh"

DISPLAY=${DISPLAY:-:1}
VNC_PORT=${VNC_PORT:-5900}
VNC_LISTEN=${VNC_LISTEN:-localhost}
X11_SOCKET_DIR=${X11_SOCKET_DIR:-/tmp/.X11-unix}
alias_of VNC_PASSWORD_FILE VNC_SERVER_PASSWORD_FILE
VNC_PASSWORD_FILE=${VNC_PASSWORD_FILE:-}

# The other image's VNC_SERVER_PASSWORD (the value itself): written to a file of our own, so
# that it never reaches x11vnc's command line.
if [[ -n ${VNC_SERVER_PASSWORD:-} ]]; then
  [[ -z $VNC_PASSWORD_FILE ]] ||
    die "set VNC_PASSWORD_FILE (or VNC_SERVER_PASSWORD_FILE) or VNC_SERVER_PASSWORD, not both"
  VNC_PASSWORD_FILE=$(mktemp "${TMPDIR:-/tmp}/vnc-password.XXXXXX")
  printf '%s\n' "$VNC_SERVER_PASSWORD" >"$VNC_PASSWORD_FILE"
fi
unset VNC_SERVER_PASSWORD

[[ -n $VNC_PASSWORD_FILE && -r $VNC_PASSWORD_FILE ]] ||
  die "VNC_PASSWORD_FILE (or VNC_SERVER_PASSWORD) must name a readable file: no VNC without a password"
[[ $VNC_PORT =~ ^[0-9]+$ ]] || die "VNC_PORT must be a number (got \"$VNC_PORT\")"

socket="${X11_SOCKET_DIR}/X${DISPLAY#:}"
log "waiting for the gateway's display ${DISPLAY}"
until [[ -e $socket ]]; do sleep 1; done

listen=(-localhost)
[[ $VNC_LISTEN == localhost ]] || listen=(-listen "$VNC_LISTEN")

# -passwdfile keeps the password off the command line; -forever -shared so a dropped viewer
# can come back.
exec x11vnc -display "$DISPLAY" -rfbport "$VNC_PORT" "${listen[@]}" -noipv6 \
  -passwdfile "$VNC_PASSWORD_FILE" -forever -shared -quiet
