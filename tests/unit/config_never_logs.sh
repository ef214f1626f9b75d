#!/bin/sh
# Log once: the config library fills struct tierd_config_errors for its
# caller and never logs or prints itself.  Its objects must not call any
# output function; checked on the built library, so a macro or a helper
# that prints is caught as well as a direct call.
# Usage: config_never_logs.sh NM LIBRARY
set -eu
nm=$1 lib=$2
undef=$("$nm" -u "$lib" | awk 'NF { print $NF }' | grep -v ':$' | sort -u)
# nm must have read the library: the parser's own inih call is there.
printf '%s\n' "$undef" | grep -qx ini_parse_stream || {
	echo "$lib: no ini_parse_stream among its undefined symbols" >&2
	exit 1
}
bad=$(printf '%s\n' "$undef" | grep -E -x \
	'tierd_log.*|v?syslog|(__)?v?(f|d)?printf(_chk)?|puts|fputs|fputc|putc|putchar|fwrite|perror|write|writev|err|errx|warn|warnx|verr|vwarn|sd_journal_.*|sd_notify.*' \
	|| true)
if [ -n "$bad" ]; then
	echo "$lib calls output functions (config code must only fill errors):" >&2
	printf '  %s\n' $bad >&2
	exit 1
fi
echo "$lib: $(printf '%s\n' "$undef" | wc -l) undefined symbols, none prints or logs"
