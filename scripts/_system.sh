# Sourced by scripts/test: the system programs the suite drives for real, installed when missing and
# this user may install them (root with apt-get, as on CI and a fresh container); otherwise their tests
# are skipped, each with its reason, and this says so once here.
need_system() {
  local wanted=()
  # Browser tests drive the system's Chromium (never a browser downloaded by Playwright).
  command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
  # PostgreSQL store tests start a throwaway server from the Debian binaries (initdb, pg_ctl).
  if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && ! command -v pg_ctl >/dev/null; then
    wanted+=(postgresql)
  fi
  # IMAP source tests start a throwaway Dovecot with its own config on a loopback port.
  command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || wanted+=(dovecot-imapd)
  [ ${#wanted[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${wanted[*]} (Debian packages) for the browser, PostgreSQL and IMAP tests" >&2
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${wanted[@]}" >/dev/null; } ||
      echo "note: could not install ${wanted[*]}: those tests will be skipped" >&2
  else
    echo "note: ${wanted[*]} missing and this user cannot install them: those tests will be skipped" >&2
  fi
}
