// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl: talk to tierd over its control socket.  One request, one reply;
 * the daemon renders tables and JSON, tierctl only frames and reports.
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
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"		/* TIERD_DEFAULT_SOCKET */
#include "control/control_proto.h"

enum { EXIT_ERROR_REPLY = 1, EXIT_USAGE = 2, EXIT_NO_DAEMON = 3 };

/* The commands are the protocol's requests: control_proto.h CTL_VERBS. */
static void usage(FILE *f)
{
	const struct ctl_verb_info *vi;
	const char *sep = "";
	char cmd[64];
	unsigned int v;

	fprintf(f,
		"Usage: tierctl [--socket PATH] [--json] [--timeout SEC] COMMAND\n"
		"Query and control tierd.\n\n"
		"Commands:\n");
	for (v = 0; v < CTL_VERB_NR; v++) {
		vi = ctl_verb_info(v);
		snprintf(cmd, sizeof(cmd), "%s%s", vi->name,
			 vi->takes & CTL_TAKES_PID ? " [PID]" : "");
		fprintf(f, "  %-14s %s%s%s\n", cmd, vi->help,
			vi->takes & CTL_TAKES_JSON ? " (--json)" : "",
			vi->mutating ? "; root only" : "");
	}
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
	fprintf(f, ")\n"
		"  -t, --timeout SEC   give up after SEC seconds (default 5)\n"
		"  -h, --help          print this help\n\n"
		"Exit status: 0 ok, 1 tierd replied with an error, 2 usage error,\n"
		"3 cannot connect to tierd or no reply in time.\n");
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
	return 2;
}

static int parse_timeout(const char *s, struct timeval *tv)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 86400)
		return -EINVAL;
	tv->tv_sec = (time_t)v;
	tv->tv_usec = (suseconds_t)((v - (double)tv->tv_sec) * 1e6);
	return 0;
}

/* Send @req, print the reply; returns the exit code. */
static int transact(const char *path, const char *req, const char *timeout_s,
		    const struct timeval *tv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const size_t cap = 2 * CTL_REPLY_MAX;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char *buf = NULL, *nl;
	int fd, ret = EXIT_NO_DAEMON;
	ssize_t n;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "tierctl: socket: %m\n");
		return EXIT_NO_DAEMON;
	}
	/* connect() on AF_UNIX honours SO_SNDTIMEO when the backlog is full. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, sizeof(*tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, sizeof(*tv)) < 0) {
		fprintf(stderr, "tierctl: setsockopt: %m\n");
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN || errno == EINPROGRESS)
			fprintf(stderr, "tierctl: timed out after %s s "
				"connecting to %s\n", timeout_s, path);
		else if (errno == EACCES || errno == EPERM)
			fprintf(stderr, "tierctl: cannot connect to %s: %m "
				"(needs root or membership of tierd's "
				"stats_group)\n", path);
		else
			fprintf(stderr, "tierctl: tierd is not running? "
				"cannot connect to %s: %m\n", path);
		goto out;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "tierctl: sending to %s: %m\n", path);
		goto out;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		fprintf(stderr, "tierctl: out of memory\n");
		goto out;
	}
	iov.iov_base = buf;
	iov.iov_len = cap;
	n = recvmsg(fd, &mh, 0);
	if (n < 0) {
		if (errno == EAGAIN)
			fprintf(stderr, "tierctl: timed out after %s s "
				"waiting for tierd's reply on %s\n",
				timeout_s, path);
		else
			fprintf(stderr, "tierctl: reading from %s: %m\n",
				path);
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "tierctl: tierd closed %s without replying\n",
			path);
		goto out;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		fprintf(stderr, "tierctl: reply larger than %zu bytes\n", cap);
		ret = EXIT_ERROR_REPLY;
		goto out;
	}
	buf[n] = '\0';
	if (!strncmp(buf, "ok\n", 3)) {
		fwrite(buf + 3, 1, (size_t)n - 3, stdout);
		ret = fflush(stdout) ? EXIT_ERROR_REPLY : 0;
		goto out;
	}
	ret = EXIT_ERROR_REPLY;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (!strncmp(buf, "error: ", 7))
		fprintf(stderr, "tierctl: %s\n", buf);
	else
		fprintf(stderr, "tierctl: malformed reply from tierd: "
			"'%.80s'\n", buf);
out:
	free(buf);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = TIERD_DEFAULT_SOCKET, *timeout_s = "5";
	struct timeval tv = { .tv_sec = 5 };
	char req[CTL_REQUEST_MAX];
	const struct ctl_verb_info *vi;
	bool json = false;
	pid_t pid;
	int c, v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			if (parse_timeout(optarg, &tv) < 0)
				return usage_error("--timeout: '%s' is not a "
						   "number of seconds in "
						   "(0, 86400]", optarg);
			timeout_s = optarg;
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
	v = ctl_verb_lookup(argv[optind]);
	if (v < 0)
		return usage_error("unknown command '%s'", argv[optind]);
	vi = ctl_verb_info(v);
	if (json && !(vi->takes & CTL_TAKES_JSON))
		return usage_error("--json is not supported by '%s'",
				   vi->name);
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage_error("--socket: path '%s' is too long", path);

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
	return transact(path, req, timeout_s, &tv);
}
