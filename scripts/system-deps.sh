#!/usr/bin/env bash
# Debian packages the project needs beyond Python: Pango for WeasyPrint, Chromium for browser
# tests, Dovecot for the IMAP tests of inbound e-mail (the tests start their own server),
# RabbitMQ for the alternative-broker tests, npm for axe-core (accessibility tests). Installs what is missing when running as root with
# apt; otherwise only reports.
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -x /usr/sbin/dovecot ] && [ -e /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
# npm installs axe-core (package-lock.json) for the accessibility journey.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Note: missing system packages (${missing[*]}); PDF, browser, IMAP, RabbitMQ and axe tests will skip." >&2
fi
exit 0
