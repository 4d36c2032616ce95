#!/usr/bin/env bash
# Start-up script for the gnzsnz/ib-gateway image, run by its START_SCRIPTS hook before it
# renders IBC's config.ini from its template. That image leaves IBC's command server off
# (CommandServerPort=0); this turns it on, listening on 127.0.0.1 only, so the exporter's soft
# restart (IBC's RESTART command: no new 2FA login) works. A socat next to it, in the same
# network namespace, publishes the port; IBC accepts commands from 127.0.0.1 without a
# ControlFrom entry. Used by docker-compose.yml (profile gnzsnz) and this kustomize component.
set -euo pipefail

port=${IBC_COMMAND_PORT:-7462}
template=${IBC_INI_TMPL:?IBC_INI_TMPL is set by the gnzsnz/ib-gateway image}

fail() {
  printf 'command-server.sh: %s\n' "$*" >&2
  exit 1
}
[[ $port =~ ^[0-9]+$ ]] || fail "IBC_COMMAND_PORT must be a number (got \"$port\")"
[[ -w $template ]] || fail "cannot write $template"
grep -q '^CommandServerPort=' "$template" || fail "$template has no CommandServerPort line"
grep -q '^BindAddress=' "$template" || fail "$template has no BindAddress line"

sed -i -e "s/^CommandServerPort=.*/CommandServerPort=${port}/" \
  -e 's/^BindAddress=.*/BindAddress=127.0.0.1/' "$template"
printf 'command-server.sh: IBC command server on 127.0.0.1:%s\n' "$port"
