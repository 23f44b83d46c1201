# Sourced by tests/real/node-env and tests/console/node-env.
# herald_npm_cache SRC BASE: installs the npm packages pinned in SRC/package-lock.json
# into BASE/<first 16 hex digits of the lockfile's SHA-256> once, and sets
# HERALD_NPM_CACHE_DIR to that directory. Each lockfile gets its own directory, so
# checkouts with different lockfiles never overwrite each other's packages; the
# install happens in a temporary directory renamed into place under a lock, so a
# run started meanwhile from another checkout waits for it instead of seeing
# half-installed packages.
herald_npm_cache() {
  local src=$1 base=$2 key dir tmp
  key=$(sha256sum "$src/package-lock.json" | cut -c1-16)
  dir=$base/$key
  mkdir -p "$base"
  if [[ ! -f $dir/.installed ]]; then
    (
      flock 9
      if [[ ! -f $dir/.installed ]]; then
        tmp=$(mktemp -d "$base/.install.XXXXXX")
        chmod 755 "$tmp"
        cp "$src/package.json" "$src/package-lock.json" "$tmp/"
        (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error)
        touch "$tmp/.installed"
        rm -rf "$dir"
        mv "$tmp" "$dir"
      fi
    ) 9>"$base/.lock"
  fi
  HERALD_NPM_CACHE_DIR=$dir
}
