// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl: talk to tierd over its control socket.  The commands are the
 * protocol's requests (one request, one reply: the daemon renders tables
 * and JSON, tierctl frames and reports) plus `top`, a live view tierctl
 * builds from `stats json` (top.c).
 *
 * Exit codes: 0 ok, 1 tierd answered with an error, 2 usage error,
 * 3 could not talk to tierd (cannot connect, no reply in time).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config/config.h"		/* TIERD_DEFAULT_SOCKET */
#include "control/control_proto.h"
#include "tierctl/client.h"
#include "tierctl/top.h"

/* The commands are the protocol's requests: control_proto.h CTL_VERBS. */
static void usage(FILE *f)
{
	const struct ctl_verb_info *vi;
	const char *sep = "";
	char cmd[64];
	unsigned int v;

	fprintf(f,
		"Usage: tierctl [--socket PATH] [--json] [--timeout SEC] COMMAND\n"
		"       tierctl [--socket PATH] top [--interval SEC] [--once | --json]\n"
		"Query and control tierd.\n\n"
		"Commands:\n");
	for (v = 0; v < CTL_VERB_NR; v++) {
		vi = ctl_verb_info(v);
		/* a descriptor comes from the process itself, not tierctl */
		if (vi->takes & CTL_TAKES_FD)
			continue;
		snprintf(cmd, sizeof(cmd), "%s%s", vi->name,
			 vi->takes & CTL_TAKES_PID ? " [PID]" : "");
		fprintf(f, "  %-14s %s%s%s\n", cmd, vi->help,
			vi->takes & CTL_TAKES_JSON ? " (--json)" : "",
			vi->mutating ? "; root only" : "");
	}
	fprintf(f,
		"\nLive view:\n"
		"  %-14s per process, node and source, refreshed every\n"
		"  %-14s --interval (default 1 s); q or Ctrl-C quits; --once\n"
		"  %-14s prints one snapshot, --json one as JSON\n", "top", "",
		"");
	fprintf(f,
		"\nOptions:\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -j, --json          JSON output (", TIERD_DEFAULT_SOCKET);
	for (v = 0; v < CTL_VERB_NR; v++) {
		vi = ctl_verb_info(v);
		if (vi->takes & CTL_TAKES_JSON) {
			fprintf(f, "%s%s", sep, vi->name);
			sep = ", ";
		}
	}
	fprintf(f, ", top)\n"
		"  -t, --timeout SEC   give up after SEC seconds (default 5)\n"
		"  -i, --interval SEC  top: seconds between refreshes (default 1)\n"
		"      --once          top: print one snapshot and exit\n"
		"  -h, --help          print this help\n\n"
		"Exit status: 0 ok, 1 tierd replied with an error, 2 usage error,\n"
		"3 cannot connect to tierd or no reply in time (top: lost tierd).\n");
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tierctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tierctl --help'.\n");
	return EXIT_USAGE;
}

/* Seconds in (0, @max], fractions allowed. */
static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Send one request, print the reply body; returns the exit code. */
static int transact(const struct ctl_target *t, const char *req)
{
	char err[512], *body;
	size_t len;
	int r;

	r = ctl_request(t, req, &body, &len, err, sizeof(err));
	if (r) {
		fprintf(stderr, "tierctl: %s\n", err);
		return r;
	}
	fwrite(body, 1, len, stdout);
	free(body);
	return fflush(stdout) ? EXIT_ERROR_REPLY : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },	/* long only */
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ctl_target target = {
		.path = TIERD_DEFAULT_SOCKET,
		.timeout = { .tv_sec = 5 },
		.timeout_s = "5",
	};
	struct top_opts top = { .interval_ms = 1000 };
	const char *interval_arg = NULL;
	char req[CTL_REQUEST_MAX];
	const struct ctl_verb_info *vi;
	bool json = false;
	double secs;
	pid_t pid;
	int c, v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:jt:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			target.path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			if (parse_seconds(optarg, 86400, &secs) < 0)
				return usage_error("--timeout: '%s' is not a "
						   "number of seconds in "
						   "(0, 86400]", optarg);
			target.timeout.tv_sec = (time_t)secs;
			target.timeout.tv_usec = (suseconds_t)
				((secs - (double)target.timeout.tv_sec) * 1e6);
			target.timeout_s = optarg;
			break;
		case 'i':
			if (parse_seconds(optarg, 3600, &secs) < 0 ||
			    secs < 0.1)
				return usage_error("--interval: '%s' is not a "
						   "number of seconds in "
						   "[0.1, 3600]", optarg);
			top.interval_ms = (unsigned int)(secs * 1000 + 0.5);
			interval_arg = optarg;
			break;
		case 'o':
			top.once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			if (optopt) {
				char opt[3] = { '-', (char)optopt, 0 };

				return usage_error("unknown option '%s'", opt);
			}
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "missing command");
	if (strlen(target.path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage_error("--socket: path '%s' is too long",
				   target.path);
	if (!strcmp(argv[optind], "top")) {
		if (optind + 1 < argc)
			return usage_error("unexpected argument '%s'",
					   argv[optind + 1]);
		if (top.once && json)
			return usage_error("%s", "top: --once and --json "
					   "exclude each other");
		top.json = json;
		return top_run(&target, &top);
	}
	if (interval_arg || top.once)
		return usage_error("%s only goes with 'top'",
				   interval_arg ? "--interval" : "--once");

	v = ctl_verb_lookup(argv[optind]);
	if (v < 0)
		return usage_error("unknown command '%s'", argv[optind]);
	vi = ctl_verb_info(v);
	if (vi->takes & CTL_TAKES_FD)
		return usage_error("'%s' is sent by a process about itself, with its descriptor (libtierd-track(3)), not by tierctl",
				   vi->name);
	if (json && !(vi->takes & CTL_TAKES_JSON))
		return usage_error("--json is not supported by '%s'",
				   vi->name);

	snprintf(req, sizeof(req), "%s", vi->name);
	optind++;
	if ((vi->takes & CTL_TAKES_PID) && optind < argc) {
		if (ctl_parse_pid(argv[optind], &pid) < 0)
			return usage_error("'%s' is not a process id",
					   argv[optind]);
		snprintf(req + strlen(req), sizeof(req) - strlen(req), " %s",
			 argv[optind]);
		optind++;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (json)
		snprintf(req + strlen(req), sizeof(req) - strlen(req), " json");
	strcat(req, "\n");
	return transact(&target, req);
}
