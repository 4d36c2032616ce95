# shellcheck shell=bash
# Sourced by settings.sh and vnc.sh (which define `die`): the other image's variable names as
# aliases of ours.

# NAME takes the value of ALIAS when only ALIAS is set. Both set and different is an error: a
# silent choice between two spellings would leave the user guessing which one won. No alias
# names a secret value, so the message may show both.
alias_of() {
  local name=$1 alias=$2
  if [[ -n ${!alias:-} ]]; then
    if [[ -n ${!name:-} && ${!name} != "${!alias}" ]]; then
      die "$name=\"${!name}\" and its alias $alias=\"${!alias}\" differ: set only one of them"
    fi
    printf -v "$name" '%s' "${!alias}"
  fi
  unset "$alias"
}
