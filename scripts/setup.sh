# Sourced (". ./scripts/setup.sh") by every npm script and by .ci/run before anything else runs:
# it does the set-up a fresh clone is missing, so `npm start` and `npm test` are the only commands.
#   - Node older than 22.12 on PATH: Node 22 from the npm package node@22 (it ships the binary),
#     kept outside the clone in $XDG_CACHE_HOME/siesa-integration (default ~/.cache), goes first on PATH.
#   - node_modules absent or installed from another package-lock.json: `npm ci`.
# It says in one line what it installs, and nothing when everything is in place. If a step fails it
# says what failed and what to do in one line, leaves nothing half-installed, and returns 1.
# POSIX sh: npm runs scripts with /bin/sh, whichever Node the machine has.

si_fail() {
  echo "setup: $1" >&2
  return 1
}

# True when `node` on PATH is 22.12 or newer.
si_node_ok() {
  si_v=$(node --version 2>/dev/null) || return 1
  si_v=${si_v#v}
  si_major=${si_v%%.*}
  si_minor=${si_v#*.}
  si_minor=${si_minor%%.*}
  [ "$si_major" -gt 22 ] 2>/dev/null || { [ "$si_major" -eq 22 ] && [ "$si_minor" -ge 12 ]; } 2>/dev/null
}

si_setup() {
  si_cache="${XDG_CACHE_HOME:-$HOME/.cache}/siesa-integration"
  if ! si_node_ok; then
    si_node22="$si_cache/node22"
    if [ ! -x "$si_node22/node_modules/.bin/node" ]; then
      echo "setup: installing Node 22 (npm package node@22) into $si_node22" >&2
      mkdir -p "$si_cache" || { si_fail "cannot create $si_cache: check the disk and its permissions, then run this again"; return 1; }
      # Installed beside its place and moved there whole, so a failed try leaves nothing behind.
      si_tmp=$(mktemp -d "$si_cache/node22.partial.XXXXXX") || { si_fail "cannot write to $si_cache: check the disk, then run this again"; return 1; }
      if ! (cd "$si_tmp" && npm install --no-save --no-audit --no-fund --loglevel=error node@22 >install.log 2>&1); then
        si_last=$(tail -n 1 "$si_tmp/install.log" 2>/dev/null)
        rm -rf "$si_tmp"
        si_fail "could not install Node 22 from the npm registry (${si_last:-no output}): check the network and the disk, or install Node 22 yourself (nvm install 22), then run this again"
        return 1
      fi
      rm -rf "$si_node22" && mv "$si_tmp" "$si_node22" || { rm -rf "$si_tmp"; si_fail "cannot move Node 22 into $si_node22: check the disk, then run this again"; return 1; }
    fi
    PATH="$si_node22/node_modules/.bin:$PATH"
    export PATH
    si_node_ok || { si_fail "$si_node22 holds no working Node 22: delete that folder and run this again"; return 1; }
  fi

  # The lockfile's checksum, recorded after a complete `npm ci`: a stale or half-done install has none.
  si_lock=$(cksum <package-lock.json) || { si_fail "package-lock.json is missing: run this from the project's folder"; return 1; }
  if [ "$(cat node_modules/.setup-lock 2>/dev/null)" != "$si_lock" ]; then
    echo "setup: installing dependencies from package-lock.json (npm ci)" >&2
    mkdir -p "$si_cache"
    si_log="$si_cache/npm-ci.log"
    if ! npm ci --no-audit --no-fund --loglevel=error >"$si_log" 2>&1; then
      rm -rf node_modules
      si_fail "npm ci failed ($(tail -n 1 "$si_log")): check the network and the disk (whole log: $si_log), then run this again"
      return 1
    fi
    echo "$si_lock" >node_modules/.setup-lock
  fi
}

si_setup
