// SPDX-License-Identifier: GPL-2.0
/*
 * tierd.conf parsing and validation.
 *
 * inih does the INI syntax; this file owns everything around it: a reader
 * callback that numbers lines (Debian's libinih has no INI_HANDLER_LINENO),
 * rejects lines that do not fit inih's buffer instead of letting it split
 * them, and strips indentation so inih's multi-line continuation never
 * applies; a handler that checks each key; and whole-file checks of values
 * that contradict each other.  Everything lands in a private struct that is
 * copied to the caller only when no error was found.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A config file is a page or two; anything this big is a mistake. */
#define CONFIG_MAX_BYTES	(1024 * 1024)
/*
 * Longest line the reader hands inih: inih's buffer (INI_MAX_LINE, 200 in
 * Debian's build) less "\r\n\0".  config_reader() learns the real size
 * from inih; the formatter needs it up front.
 */
#define CONFIG_LINE_MAX		197
/* PID_MAX_LIMIT on 64-bit: no pid can be larger. */
#define PID_MAX			4194304u

enum key_type {
	KT_U32,
	KT_U64,
	KT_DOUBLE,
	KT_BOOL,
	KT_TRISTATE,
	KT_SLOW_NODES,
	KT_FAST_NODE,
	KT_PIDS,
	KT_COMMS,
	KT_CGROUPS,
	KT_SOCKET,
	KT_GROUP,
};

enum key_id {
	K_SLOW, K_FAST,
	K_PRIVATE_NODE, K_SOFT_DIRTY, K_REARM,
	K_WINDOW, K_DECAY, K_THRESHOLD, K_PROMOTE_SCORE, K_GRANULE, K_TABLE_MAX,
	K_KERNEL_MAP,
	K_ENABLED, K_BATCH, K_RATE, K_MIN_FREE, K_COOLDOWN, K_PINGPONG,
	K_INC_PIDS, K_EXC_PIDS, K_INC_COMMS, K_EXC_COMMS, K_INC_CGROUPS,
	K_EXC_CGROUPS,
	K_SOCKET, K_STATS_GROUP,
	K_NR,
};

struct key_desc {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;		/* of the field in struct tierd_config */
	uint64_t min, max;	/* integer keys */
	double dmax;		/* double keys: 0 < value, value < or <= dmax */
	bool dmax_open;
	bool exclude;		/* list keys: the exclude side */
};

#define CFG_OFF(f) offsetof(struct tierd_config, f)

static const struct key_desc keys[K_NR] = {
	[K_SLOW] = { "nodes", "slow", KT_SLOW_NODES },
	[K_FAST] = { "nodes", "fast", KT_FAST_NODE },
	[K_PRIVATE_NODE] = { "sources", "private_node", KT_TRISTATE,
			     CFG_OFF(src_private_node) },
	[K_SOFT_DIRTY] = { "sources", "soft_dirty", KT_TRISTATE,
			   CFG_OFF(src_soft_dirty) },
	[K_REARM] = { "sources", "rearm_interval_ms", KT_U32,
		      CFG_OFF(rearm_interval_ms), 10, 60000 },
	[K_WINDOW] = { "hotness", "window_ms", KT_U32, CFG_OFF(window_ms),
		       100, 600000 },
	[K_DECAY] = { "hotness", "decay", KT_DOUBLE, CFG_OFF(decay),
		      .dmax = 1, .dmax_open = true },
	[K_THRESHOLD] = { "hotness", "threshold", KT_U32, CFG_OFF(threshold),
			  1, 65535 },
	[K_PROMOTE_SCORE] = { "hotness", "promote_score", KT_DOUBLE,
			      CFG_OFF(promote_score), .dmax = 1e6 },
	/* only 4 and 2048 are valid; checked in parse_value() */
	[K_GRANULE] = { "hotness", "granule_kb", KT_U32, CFG_OFF(granule_kb),
			4, 2048 },
	[K_TABLE_MAX] = { "hotness", "table_max_folios", KT_U32,
			  CFG_OFF(table_max_folios), 1024, 100000000 },
	/* the kernel preallocates every entry of an LRU hash */
	[K_KERNEL_MAP] = { "hotness", "kernel_map_folios", KT_U32,
			   CFG_OFF(kernel_map_folios), 1024, 1048576 },
	[K_ENABLED] = { "promotion", "enabled", KT_BOOL,
			CFG_OFF(promote_enabled) },
	[K_BATCH] = { "promotion", "batch_pages", KT_U32, CFG_OFF(batch_pages),
		      1, 65536 },
	[K_RATE] = { "promotion", "rate_limit_mbps", KT_U32,
		     CFG_OFF(rate_limit_mbps), 0, 1048576 },
	[K_MIN_FREE] = { "promotion", "min_free_mb", KT_U64,
			 CFG_OFF(min_free_mb), 0, 16777216 },
	[K_COOLDOWN] = { "promotion", "cooldown_ms", KT_U32,
			 CFG_OFF(cooldown_ms), 0, 86400000 },
	[K_PINGPONG] = { "promotion", "pingpong_backoff", KT_U32,
			 CFG_OFF(pingpong_backoff), 1, 64 },
	[K_INC_PIDS] = { "scope", "include_pids", KT_PIDS },
	[K_EXC_PIDS] = { "scope", "exclude_pids", KT_PIDS, .exclude = true },
	[K_INC_COMMS] = { "scope", "include_comms", KT_COMMS },
	[K_EXC_COMMS] = { "scope", "exclude_comms", KT_COMMS, .exclude = true },
	[K_INC_CGROUPS] = { "scope", "include_cgroups", KT_CGROUPS },
	[K_EXC_CGROUPS] = { "scope", "exclude_cgroups", KT_CGROUPS,
			    .exclude = true },
	[K_SOCKET] = { "control", "socket", KT_SOCKET },
	[K_STATS_GROUP] = { "control", "stats_group", KT_GROUP },
};

static const char *const sections[] = {
	"nodes", "sources", "hotness", "promotion", "scope", "control",
};

static bool key_is_list(enum key_id id)
{
	return keys[id].type == KT_PIDS || keys[id].type == KT_COMMS ||
	       keys[id].type == KT_CGROUPS;
}

struct parse_ctx {
	const char *name;		/* file name for messages */
	const char *text;		/* whole input, NUL-terminated */
	const char *pos;		/* reader position in text */
	unsigned int lineno;		/* line the reader handed to inih last */

	struct tierd_config cfg;	/* built here, copied out if valid */

	unsigned int key_line[K_NR];	/* first line setting the key, 0 = unset */
	bool key_bad[K_NR];		/* the key had an invalid value */
	unsigned int slow_line[TIERD_MAX_NODES];
	/* line of every scope list item, [0] include, [1] exclude */
	unsigned int pid_line[2][TIERD_MAX_SCOPE_PIDS];
	unsigned int comm_line[2][TIERD_MAX_SCOPE_COMMS];
	unsigned int cgroup_line[2][TIERD_MAX_SCOPE_CGROUPS];
	char unknown_section[64];	/* last one reported, to report once */

	struct tierd_config_errors *errs;
	unsigned int err_line[ARRAY_SIZE(((struct tierd_config_errors *)0)->err)];
	unsigned int nr_errors;		/* including dropped ones */
};

static void add_error(struct parse_ctx *ctx, unsigned int line,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_error(struct parse_ctx *ctx, unsigned int line,
		      const char *fmt, ...)
{
	struct tierd_config_errors *errs = ctx->errs;
	va_list ap;
	char *p;

	ctx->nr_errors++;
	if (!errs)
		return;
	if (errs->nr >= ARRAY_SIZE(errs->err)) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(errs->err[errs->nr].text, sizeof(errs->err[0].text), fmt, ap);
	va_end(ap);
	/*
	 * Messages quote the offending text, which may hold a lone '\r' or
	 * an escape sequence; keep every message one printable log line.
	 */
	for (p = errs->err[errs->nr].text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	ctx->err_line[errs->nr++] = line;
}

/* "FILE:LINE: [section] key: reason" */
static void key_error(struct parse_ctx *ctx, unsigned int line,
		      const char *section, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void key_error(struct parse_ctx *ctx, unsigned int line,
		      const char *section, const char *key,
		      const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	add_error(ctx, line, "%s:%u: [%s] %s: %s", ctx->name, line, section,
		  key, reason);
}

#define kerr(ctx, line, id, ...) \
	key_error(ctx, line, keys[id].section, keys[id].name, __VA_ARGS__)

/* Errors are found in reader, handler and whole-file order; show by line. */
static void sort_errors(struct parse_ctx *ctx)
{
	struct tierd_config_errors *errs = ctx->errs;
	unsigned int i, j;

	if (!errs)
		return;
	for (i = 1; i < errs->nr; i++) {
		struct tierd_config_error e = errs->err[i];
		unsigned int line = ctx->err_line[i];

		for (j = i; j > 0 && ctx->err_line[j - 1] > line; j--) {
			errs->err[j] = errs->err[j - 1];
			ctx->err_line[j] = ctx->err_line[j - 1];
		}
		errs->err[j] = e;
		ctx->err_line[j] = line;
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Start of line @line (1-based) in @text, or NULL. */
static const char *find_line(const char *text, unsigned int line)
{
	while (--line) {
		text = strchr(text, '\n');
		if (!text)
			return NULL;
		text++;
	}
	return text;
}

/*
 * inih's reader: one line per call, so inih's line count and ours agree.
 * A line that does not fit @num (with "\r\n\0", as inih sizes it) is
 * reported and handed over empty rather than split into two lines.
 * Leading blanks are dropped: an indented key is still a key, and inih
 * never sees a continuation line (an indented line without '=' becomes a
 * syntax error instead of silently extending the previous value).
 */
static char *config_reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *p = ctx->pos, *eol, *close;
	size_t len, content;

	if (!*p)
		return NULL;
	eol = strchr(p, '\n');
	len = eol ? (size_t)(eol - p) : strlen(p);
	ctx->pos = eol ? eol + 1 : p + len;
	ctx->lineno++;

	content = len;
	if (content && p[content - 1] == '\r')
		content--;
	if (num < 3 || content > (size_t)num - 3) {
		add_error(ctx, ctx->lineno,
			  "%s:%u: line too long (%zu characters, at most %d)",
			  ctx->name, ctx->lineno, content, num < 3 ? 0 : num - 3);
		strcpy(str, num >= 2 ? "\n" : "");
		return str;
	}
	while (content && is_blank(*p)) {
		p++;
		content--;
	}
	memcpy(str, p, content);
	str[content] = '\n';
	str[content + 1] = '\0';

	/* inih ignores whatever follows "]"; a key there would be lost. */
	if (str[0] == '[') {
		close = strchr(str, ']');
		if (close) {
			close++;
			while (is_blank(*close))
				close++;
			if (*close != '\n' && *close != ';' && *close != '#')
				add_error(ctx, ctx->lineno,
					  "%s:%u: syntax error (text after [section] header)",
					  ctx->name, ctx->lineno);
		}
	}
	return str;
}

/* --- values ------------------------------------------------------------ */

/*
 * Parse an unsigned decimal number in [min, max], reporting any problem
 * against @id.  Returns 0 or -EINVAL.  @what names the value in range
 * errors ("node", "pid", or NULL for the key's own value).
 */
static int parse_uint(struct parse_ctx *ctx, unsigned int line,
		      enum key_id id, const char *s, uint64_t min,
		      uint64_t max, const char *what, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s) {
		kerr(ctx, line, id, "missing value");
		return -EINVAL;
	}
	if (*s == '-') {
		kerr(ctx, line, id, "'%s' is negative (must be %" PRIu64 "..%" PRIu64 ")",
		     s, min, max);
		return -EINVAL;
	}
	if (!isdigit((unsigned char)*s)) {
		kerr(ctx, line, id, "'%s' is not a number", s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		kerr(ctx, line, id, "'%s' is too large (overflow)", s);
		return -EINVAL;
	}
	if (*end) {
		kerr(ctx, line, id, "'%s' has trailing characters after the number", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		kerr(ctx, line, id, "%s%s%llu is out of range (%" PRIu64 "..%" PRIu64 ")",
		     what ? what : "", what ? " " : "", v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_double(struct parse_ctx *ctx, unsigned int line,
			enum key_id id, const char *s, double *out)
{
	const struct key_desc *k = &keys[id];
	size_t plain;
	char *end;
	double v;

	if (!*s) {
		kerr(ctx, line, id, "missing value");
		return -EINVAL;
	}
	/*
	 * strtod also reads "inf", "nan" and hex floats; none of them belong
	 * here, so whatever it consumed must be plain decimal notation.
	 */
	plain = strspn(s, "0123456789.eE+-");
	errno = 0;
	v = strtod(s, &end);
	if (end == s || (size_t)(end - s) > plain) {
		kerr(ctx, line, id, "'%s' is not a number", s);
		return -EINVAL;
	}
	if (*end) {
		kerr(ctx, line, id, "'%s' has trailing characters after the number", s);
		return -EINVAL;
	}
	if (errno == ERANGE || !isfinite(v) || v <= 0 || v > k->dmax ||
	    (k->dmax_open && v >= k->dmax)) {
		kerr(ctx, line, id, "%s is out of range (0 < %s %s %g)", s, k->name,
		     k->dmax_open ? "<" : "<=", k->dmax);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_tristate(const char *s, enum tierd_tristate *out)
{
	if (!strcasecmp(s, "auto"))
		*out = TIERD_AUTO;
	else if (!strcasecmp(s, "on"))
		*out = TIERD_ON;
	else if (!strcasecmp(s, "off"))
		*out = TIERD_OFF;
	else
		return -EINVAL;
	return 0;
}

/*
 * List items are separated by commas and/or blanks.  Returns 1 with the
 * next item, 0 at the end, -EINVAL on an empty item (",,", a leading or
 * trailing comma).
 */
struct list_iter {
	const char *p;
	bool need_item;
};

static int list_next(struct list_iter *it, const char **item, size_t *len)
{
	const char *start;

	while (is_blank(*it->p))
		it->p++;
	if (!*it->p)
		return it->need_item ? -EINVAL : 0;
	if (*it->p == ',')
		return -EINVAL;
	start = it->p;
	while (*it->p && *it->p != ',' && !is_blank(*it->p))
		it->p++;
	*item = start;
	*len = it->p - start;
	while (is_blank(*it->p))
		it->p++;
	it->need_item = *it->p == ',';
	if (it->need_item)
		it->p++;
	return 1;
}

/* Copy an item so it can be parsed as a C string; too long = false. */
static bool item_copy(char *buf, size_t size, const char *item, size_t len)
{
	if (len >= size)
		return false;
	memcpy(buf, item, len);
	buf[len] = '\0';
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void parse_slow(struct parse_ctx *ctx, unsigned int line,
		       const char *value)
{
	struct tierd_config *cfg = &ctx->cfg;
	struct list_iter it = { value, false };
	const char *item;
	char buf[48], *dash;
	uint64_t lo, hi, n;
	size_t len;
	int r;

	if (!strcasecmp(value, "auto")) {
		cfg->slow_auto = true;
		cfg->slow_mask = 0;
		return;
	}
	cfg->slow_auto = false;
	cfg->slow_mask = 0;
	if (!*value) {
		kerr(ctx, line, K_SLOW, "empty node list (use auto or node ids)");
		goto bad;
	}
	while ((r = list_next(&it, &item, &len)) > 0) {
		if (!item_copy(buf, sizeof(buf), item, len)) {
			kerr(ctx, line, K_SLOW, "'%.*s' is not a node id or range",
			     (int)len, item);
			goto bad;
		}
		dash = strchr(buf, '-');
		if (dash && dash != buf)
			*dash = '\0';
		else
			dash = NULL;
		if (dash && !dash[1]) {
			kerr(ctx, line, K_SLOW, "'%s-' is not a node id or range", buf);
			goto bad;
		}
		if (parse_uint(ctx, line, K_SLOW, buf, 0, TIERD_MAX_NODES - 1,
			       "node", &lo) < 0)
			goto bad;
		hi = lo;
		if (dash && parse_uint(ctx, line, K_SLOW, dash + 1, 0,
				       TIERD_MAX_NODES - 1, "node", &hi) < 0)
			goto bad;
		if (hi < lo) {
			kerr(ctx, line, K_SLOW, "range %" PRIu64 "-%" PRIu64 " is reversed",
			     lo, hi);
			goto bad;
		}
		for (n = lo; n <= hi; n++) {
			if (cfg->slow_mask & (1ULL << n)) {
				kerr(ctx, line, K_SLOW, "node %" PRIu64 " is listed twice", n);
				goto bad;
			}
			cfg->slow_mask |= 1ULL << n;
		}
	}
	if (r < 0) {
		kerr(ctx, line, K_SLOW, "empty item in list '%s'", value);
		goto bad;
	}
	return;
bad:
	ctx->key_bad[K_SLOW] = true;
}

static void parse_fast(struct parse_ctx *ctx, unsigned int line,
		       const char *value)
{
	struct tierd_config *cfg = &ctx->cfg;
	uint64_t n;

	if (!strcasecmp(value, "auto")) {
		cfg->fast_auto = true;
		cfg->fast_node = -1;
		return;
	}
	if (value[strcspn(value, ", \t")] || (*value && strchr(value + 1, '-'))) {
		kerr(ctx, line, K_FAST, "'%s': fast takes one node id or auto", value);
		goto bad;
	}
	if (parse_uint(ctx, line, K_FAST, value, 0, TIERD_MAX_NODES - 1, "node",
		       &n) < 0)
		goto bad;
	cfg->fast_auto = false;
	cfg->fast_node = (int)n;
	return;
bad:
	ctx->key_bad[K_FAST] = true;
}

static struct tierd_scope_list *scope_of(struct parse_ctx *ctx, enum key_id id)
{
	return keys[id].exclude ? &ctx->cfg.exclude : &ctx->cfg.include;
}

static bool valid_cgroup(const char *s, const char **why)
{
	const char *c = s, *next;
	size_t n;

	if (*s != '/') {
		*why = "is not an absolute path (must start with '/')";
		return false;
	}
	if (has_control(s)) {
		*why = "contains control characters";
		return false;
	}
	if (!strcmp(s, "/"))
		return true;
	while (*c == '/') {
		c++;
		next = strchrnul(c, '/');
		n = next - c;
		if (n == 0) {
			*why = "has an empty path component ('//' or a trailing '/')";
			return false;
		}
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			*why = "has a '.' or '..' component";
			return false;
		}
		c = next;
	}
	return true;
}

/* One item of a [scope] list: 0, -EINVAL if invalid, -E2BIG if full. */
static int add_scope_item(struct parse_ctx *ctx, unsigned int line,
			   enum key_id id, const char *item, size_t len)
{
	struct tierd_scope_list *l = scope_of(ctx, id);
	int side = keys[id].exclude;
	char buf[TIERD_CGROUP_LEN];
	const char *why;
	uint64_t pid;
	unsigned int i;

	switch (keys[id].type) {
	case KT_PIDS:
		if (!item_copy(buf, 32, item, len)) {
			kerr(ctx, line, id, "'%.*s' is not a pid", (int)len, item);
			return -EINVAL;
		}
		if (parse_uint(ctx, line, id, buf, 1, PID_MAX, "pid", &pid) < 0)
			return -EINVAL;
		for (i = 0; i < l->nr_pids; i++) {
			if (l->pids[i] == (pid_t)pid) {
				kerr(ctx, line, id, "pid %" PRIu64 " is listed twice (line %u)",
				     pid, ctx->pid_line[side][i]);
				return -EINVAL;
			}
		}
		if (l->nr_pids == TIERD_MAX_SCOPE_PIDS) {
			kerr(ctx, line, id, "too many pids (at most %d)",
			     TIERD_MAX_SCOPE_PIDS);
			return -E2BIG;
		}
		ctx->pid_line[side][l->nr_pids] = line;
		l->pids[l->nr_pids++] = (pid_t)pid;
		return 0;
	case KT_COMMS:
		if (!item_copy(buf, TIERD_COMM_LEN, item, len)) {
			kerr(ctx, line, id, "'%.*s' is longer than %d characters (the kernel's comm length)",
			     (int)len, item, TIERD_COMM_LEN - 1);
			return -EINVAL;
		}
		if (has_control(buf)) {
			kerr(ctx, line, id, "'%s' contains control characters", buf);
			return -EINVAL;
		}
		for (i = 0; i < l->nr_comms; i++) {
			if (!strcmp(l->comms[i], buf)) {
				kerr(ctx, line, id, "'%s' is listed twice (line %u)", buf,
				     ctx->comm_line[side][i]);
				return -EINVAL;
			}
		}
		if (l->nr_comms == TIERD_MAX_SCOPE_COMMS) {
			kerr(ctx, line, id, "too many names (at most %d)",
			     TIERD_MAX_SCOPE_COMMS);
			return -E2BIG;
		}
		ctx->comm_line[side][l->nr_comms] = line;
		memset(l->comms[l->nr_comms], 0, TIERD_COMM_LEN);
		memcpy(l->comms[l->nr_comms++], buf, len);
		return 0;
	case KT_CGROUPS:
		if (!item_copy(buf, TIERD_CGROUP_LEN, item, len)) {
			kerr(ctx, line, id, "'%.40s...' is longer than %d characters",
			     item, TIERD_CGROUP_LEN - 1);
			return -EINVAL;
		}
		if (!valid_cgroup(buf, &why)) {
			kerr(ctx, line, id, "'%s' %s", buf, why);
			return -EINVAL;
		}
		for (i = 0; i < l->nr_cgroups; i++) {
			if (!strcmp(l->cgroups[i], buf)) {
				kerr(ctx, line, id, "'%s' is listed twice (line %u)", buf,
				     ctx->cgroup_line[side][i]);
				return -EINVAL;
			}
		}
		if (l->nr_cgroups == TIERD_MAX_SCOPE_CGROUPS) {
			kerr(ctx, line, id, "too many cgroups (at most %d)",
			     TIERD_MAX_SCOPE_CGROUPS);
			return -E2BIG;
		}
		ctx->cgroup_line[side][l->nr_cgroups] = line;
		memset(l->cgroups[l->nr_cgroups], 0, TIERD_CGROUP_LEN);
		memcpy(l->cgroups[l->nr_cgroups++], buf, len);
		return 0;
	default:
		return -EINVAL;
	}
}

/* List keys may repeat; every occurrence adds its items. */
static void parse_scope_list(struct parse_ctx *ctx, unsigned int line,
			     enum key_id id, const char *value)
{
	struct list_iter it = { value, false };
	const char *item;
	size_t len;
	int r, e;

	while ((r = list_next(&it, &item, &len)) > 0) {
		e = add_scope_item(ctx, line, id, item, len);
		if (e < 0)
			ctx->key_bad[id] = true;
		/* past the array every further item would fail the same way */
		if (e == -E2BIG)
			return;
	}
	if (r < 0) {
		kerr(ctx, line, id, "empty item in list '%s'", value);
		ctx->key_bad[id] = true;
	}
}

static bool valid_group(const char *s)
{
	size_t n = strlen(s), i;

	/* shadow-utils' rule: [a-z_][a-z0-9_-]*[$]?, letters of any case */
	if (n >= TIERD_GROUP_LEN || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		unsigned char c = s[i];

		if (isalnum(c) || c == '_' || c == '-' || c == '.')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		return false;
	}
	return true;
}

static void parse_value(struct parse_ctx *ctx, unsigned int line,
			enum key_id id, const char *value)
{
	const struct key_desc *k = &keys[id];
	struct tierd_config *cfg = &ctx->cfg;
	void *field = (char *)cfg + k->off;
	uint64_t u;
	double d;
	bool b;
	enum tierd_tristate t;

	switch (k->type) {
	case KT_U32:
	case KT_U64:
		if (parse_uint(ctx, line, id, value, k->min, k->max, NULL, &u) < 0)
			goto bad;
		if (id == K_GRANULE && u != 4 && u != 2048) {
			kerr(ctx, line, id, "%" PRIu64 " is not valid (must be 4 or 2048)", u);
			goto bad;
		}
		if (k->type == KT_U32)
			*(uint32_t *)field = (uint32_t)u;
		else
			*(uint64_t *)field = u;
		return;
	case KT_DOUBLE:
		if (parse_double(ctx, line, id, value, &d) < 0)
			goto bad;
		*(double *)field = d;
		return;
	case KT_BOOL:
		if (parse_bool(value, &b) < 0) {
			kerr(ctx, line, id, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
			     value);
			goto bad;
		}
		*(bool *)field = b;
		return;
	case KT_TRISTATE:
		if (parse_tristate(value, &t) < 0) {
			kerr(ctx, line, id, "'%s' is not one of auto, on, off", value);
			goto bad;
		}
		*(enum tierd_tristate *)field = t;
		return;
	case KT_SLOW_NODES:
		parse_slow(ctx, line, value);
		return;
	case KT_FAST_NODE:
		parse_fast(ctx, line, value);
		return;
	case KT_PIDS:
	case KT_COMMS:
	case KT_CGROUPS:
		parse_scope_list(ctx, line, id, value);
		return;
	case KT_SOCKET:
		if (*value != '/') {
			kerr(ctx, line, id, "'%s' is not an absolute path", value);
			goto bad;
		}
		if (strlen(value) >= TIERD_PATH_LEN) {
			kerr(ctx, line, id, "path is %zu characters, a UNIX socket path holds at most %d",
			     strlen(value), TIERD_PATH_LEN - 1);
			goto bad;
		}
		if (has_control(value) || value[strlen(value) - 1] == '/') {
			kerr(ctx, line, id, "'%s' is not a valid socket file path", value);
			goto bad;
		}
		snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", value);
		return;
	case KT_GROUP:
		if (*value && !valid_group(value)) {
			kerr(ctx, line, id, "'%s' is not a valid group name", value);
			goto bad;
		}
		snprintf(cfg->stats_group, sizeof(cfg->stats_group), "%s", value);
		return;
	}
	return;
bad:
	ctx->key_bad[id] = true;
}

static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct parse_ctx *ctx = user;
	unsigned int line = ctx->lineno, i;
	char known[256];
	size_t n = 0;
	int id;

	if (!*section) {
		add_error(ctx, line, "%s:%u: %s: key before any [section]",
			  ctx->name, line, name);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(section, sections[i]))
			break;
	if (i == ARRAY_SIZE(sections)) {
		/* one report per section, not one per key in it */
		if (strcmp(ctx->unknown_section, section)) {
			snprintf(ctx->unknown_section, sizeof(ctx->unknown_section),
				 "%s", section);
			key_error(ctx, line, section, name,
				  "unknown section [%s] (known: nodes, sources, hotness, promotion, scope, control)",
				  section);
		}
		return 1;
	}
	ctx->unknown_section[0] = '\0';

	for (id = 0; id < K_NR; id++)
		if (!strcmp(keys[id].section, section) &&
		    !strcmp(keys[id].name, name))
			break;
	if (id == K_NR) {
		known[0] = '\0';
		for (i = 0; i < K_NR; i++)
			if (!strcmp(keys[i].section, section) && n < sizeof(known))
				n += snprintf(known + n, sizeof(known) - n, "%s%s",
					      n ? ", " : "", keys[i].name);
		key_error(ctx, line, section, name,
			  "unknown key (keys of [%s]: %s)", section, known);
		return 1;
	}
	if (ctx->key_line[id] && !key_is_list(id)) {
		kerr(ctx, line, id, "duplicate key (already set at line %u)",
		     ctx->key_line[id]);
		return 1;
	}
	if (!ctx->key_line[id])
		ctx->key_line[id] = line;
	parse_value(ctx, line, id, value);
	/* 0 would only make inih call this line its first syntax error */
	return 1;
}

/* --- whole-file checks -------------------------------------------------- */

/* "line N" or "default" for a key that was not set. */
static const char *where(const struct parse_ctx *ctx, enum key_id id,
			 char *buf, size_t size)
{
	if (!ctx->key_line[id])
		return "default";
	snprintf(buf, size, "line %u", ctx->key_line[id]);
	return buf;
}

static void check_nodes(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = &ctx->cfg;
	unsigned int ls = ctx->key_line[K_SLOW], lf = ctx->key_line[K_FAST];

	if (cfg->slow_auto || cfg->fast_auto || ctx->key_bad[K_SLOW] ||
	    ctx->key_bad[K_FAST])
		return;
	if (!(cfg->slow_mask & (1ULL << cfg->fast_node)))
		return;
	if (lf > ls)
		kerr(ctx, lf, K_FAST, "node %d is also in the slow set (line %u)",
		     cfg->fast_node, ls);
	else
		kerr(ctx, ls, K_SLOW, "node %d is also the fast node (line %u)",
		     cfg->fast_node, lf);
}

static void check_sources(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = &ctx->cfg;
	unsigned int lp = ctx->key_line[K_PRIVATE_NODE];
	unsigned int ls = ctx->key_line[K_SOFT_DIRTY];

	if (cfg->src_private_node != TIERD_OFF || cfg->src_soft_dirty != TIERD_OFF)
		return;
	if (ls > lp)
		kerr(ctx, ls, K_SOFT_DIRTY,
		     "both sources are off (private_node = off at line %u): nothing would report write faults",
		     lp);
	else
		kerr(ctx, lp, K_PRIVATE_NODE,
		     "both sources are off (soft_dirty = off at line %u): nothing would report write faults",
		     ls);
}

static void check_window(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = &ctx->cfg;
	unsigned int lw = ctx->key_line[K_WINDOW], lr = ctx->key_line[K_REARM];
	char buf[32];

	if (ctx->key_bad[K_WINDOW] || ctx->key_bad[K_REARM] ||
	    cfg->window_ms >= cfg->rearm_interval_ms)
		return;
	if (lw > lr)
		kerr(ctx, lw, K_WINDOW,
		     "%u is smaller than [sources] rearm_interval_ms = %u (%s)",
		     cfg->window_ms, cfg->rearm_interval_ms,
		     where(ctx, K_REARM, buf, sizeof(buf)));
	else
		kerr(ctx, lr, K_REARM,
		     "%u is larger than [hotness] window_ms = %u (%s)",
		     cfg->rearm_interval_ms, cfg->window_ms,
		     where(ctx, K_WINDOW, buf, sizeof(buf)));
}

/*
 * The kernel sends a folio's record once per window, carrying `threshold`
 * faults, so a folio hot in every window converges to
 * threshold / (1 - decay) from below and never reaches it: a promote_score
 * at or above that bound would silently promote nothing.
 */
static void check_promote_score(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = &ctx->cfg;
	static const enum key_id ids[] = { K_PROMOTE_SCORE, K_THRESHOLD,
					   K_DECAY };
	enum key_id last = K_PROMOTE_SCORE;
	char bt[32], bd[32];
	double bound;

	if (ctx->key_bad[K_PROMOTE_SCORE] || ctx->key_bad[K_THRESHOLD] ||
	    ctx->key_bad[K_DECAY])
		return;
	bound = cfg->threshold / (1.0 - cfg->decay);
	if (cfg->promote_score < bound)
		return;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ctx->key_line[ids[i]] > ctx->key_line[last])
			last = ids[i];
	kerr(ctx, ctx->key_line[last], last,
	     "promote_score = %g can never be reached: a folio reported in every window converges to threshold / (1 - decay) = %u / (1 - %g) = %g (threshold: %s, decay: %s)",
	     cfg->promote_score, cfg->threshold, cfg->decay, bound,
	     where(ctx, K_THRESHOLD, bt, sizeof(bt)),
	     where(ctx, K_DECAY, bd, sizeof(bd)));
}

/* Report an item in both lists at the later of its two lines. */
static void scope_conflict(struct parse_ctx *ctx, enum key_id inc,
			   enum key_id exc, unsigned int li, unsigned int le,
			   const char *what)
{
	if (le >= li)
		kerr(ctx, le, exc, "%s is also in %s (line %u)", what,
		     keys[inc].name, li);
	else
		kerr(ctx, li, inc, "%s is also in %s (line %u)", what,
		     keys[exc].name, le);
}

static void check_scope(struct parse_ctx *ctx)
{
	const struct tierd_scope_list *in = &ctx->cfg.include;
	const struct tierd_scope_list *ex = &ctx->cfg.exclude;
	char what[TIERD_CGROUP_LEN + 16];
	unsigned int i, j;

	for (i = 0; i < in->nr_pids; i++)
		for (j = 0; j < ex->nr_pids; j++)
			if (in->pids[i] == ex->pids[j]) {
				snprintf(what, sizeof(what), "pid %d", in->pids[i]);
				scope_conflict(ctx, K_INC_PIDS, K_EXC_PIDS,
					       ctx->pid_line[0][i],
					       ctx->pid_line[1][j], what);
			}
	for (i = 0; i < in->nr_comms; i++)
		for (j = 0; j < ex->nr_comms; j++)
			if (!strcmp(in->comms[i], ex->comms[j])) {
				snprintf(what, sizeof(what), "'%s'", in->comms[i]);
				scope_conflict(ctx, K_INC_COMMS, K_EXC_COMMS,
					       ctx->comm_line[0][i],
					       ctx->comm_line[1][j], what);
			}
	for (i = 0; i < in->nr_cgroups; i++)
		for (j = 0; j < ex->nr_cgroups; j++)
			if (!strcmp(in->cgroups[i], ex->cgroups[j])) {
				snprintf(what, sizeof(what), "'%s'", in->cgroups[i]);
				scope_conflict(ctx, K_INC_CGROUPS, K_EXC_CGROUPS,
					       ctx->cgroup_line[0][i],
					       ctx->cgroup_line[1][j], what);
			}
}

/* --- public ------------------------------------------------------------- */

void tierd_config_defaults(struct tierd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->slow_auto = true;
	cfg->slow_mask = 0;
	cfg->fast_auto = true;
	cfg->fast_node = -1;
	cfg->src_private_node = TIERD_AUTO;
	cfg->src_soft_dirty = TIERD_AUTO;
	cfg->rearm_interval_ms = 500;
	cfg->window_ms = 2000;
	cfg->decay = 0.5;
	cfg->threshold = 2;
	cfg->promote_score = 2.0;
	cfg->granule_kb = 4;
	cfg->table_max_folios = 1048576;
	cfg->kernel_map_folios = 65536;
	cfg->promote_enabled = true;
	cfg->batch_pages = 512;
	cfg->rate_limit_mbps = 256;
	cfg->min_free_mb = 1024;
	cfg->cooldown_ms = 10000;
	cfg->pingpong_backoff = 2;
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
		 TIERD_DEFAULT_SOCKET);
	cfg->stats_group[0] = '\0';
}

int tierd_config_load_string(const char *name, const char *text,
			     struct tierd_config *out,
			     struct tierd_config_errors *errs)
{
	struct parse_ctx *ctx;
	const char *l;
	int r, ret;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->name = name;
	ctx->text = text;
	ctx->pos = text;
	ctx->errs = errs;
	tierd_config_defaults(&ctx->cfg);

	r = ini_parse_stream(config_reader, ctx, config_handler, ctx);
	if (r < 0) {
		add_error(ctx, 0, "%s: out of memory while parsing", name);
		ret = -ENOMEM;
		goto out;
	}
	if (r > 0) {
		l = find_line(text, (unsigned int)r);
		add_error(ctx, (unsigned int)r,
			  "%s:%d: syntax error (expected key = value or [section]%s)",
			  name, r, l && is_blank(*l) ?
			  "; continuation lines are not supported" : "");
	}
	check_nodes(ctx);
	check_sources(ctx);
	check_window(ctx);
	check_promote_score(ctx);
	check_scope(ctx);

	sort_errors(ctx);
	if (ctx->nr_errors) {
		ret = -EINVAL;
		goto out;
	}
	*out = ctx->cfg;
	ret = 0;
out:
	free(ctx);
	return ret;
}

static int read_error(const char *path, struct tierd_config_errors *errs,
		      int err)
{
	if (errs) {
		memset(errs, 0, sizeof(*errs));
		errs->nr = 1;
		snprintf(errs->err[0].text, sizeof(errs->err[0].text),
			 "%s: cannot read: %s", path, strerror(err));
	}
	return -err;
}

int tierd_config_load(const char *path, struct tierd_config *out,
		      struct tierd_config_errors *errs)
{
	size_t size = 0, cap = 4096;
	char *buf, *nb, *nul;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return read_error(path, errs, errno);
	buf = malloc(cap);
	if (!buf) {
		ret = read_error(path, errs, ENOMEM);
		goto out_close;
	}
	for (;;) {
		if (size + 1 >= cap) {
			if (cap > CONFIG_MAX_BYTES) {
				ret = read_error(path, errs, EFBIG);
				goto out;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = read_error(path, errs, ENOMEM);
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + size, cap - size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = read_error(path, errs, errno);
			goto out;
		}
		if (n == 0)
			break;
		size += n;
	}
	buf[size] = '\0';

	/* A NUL would silently end the text the parser sees. */
	nul = memchr(buf, '\0', size);
	if (nul) {
		unsigned int line = 1;
		const char *p;

		for (p = buf; p < nul; p++)
			line += *p == '\n';
		if (errs) {
			memset(errs, 0, sizeof(*errs));
			errs->nr = 1;
			snprintf(errs->err[0].text, sizeof(errs->err[0].text),
				 "%s:%u: NUL byte in file (not a text file?)",
				 path, line);
		}
		ret = -EINVAL;
		goto out;
	}
	ret = tierd_config_load_string(path, buf, out, errs);
out:
	free(buf);
out_close:
	close(fd);
	return ret;
}

/* --- formatting --------------------------------------------------------- */

struct fmt_buf {
	char *buf;
	size_t len;
	size_t pos;
	bool overflow;
};

static void fmt_add(struct fmt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fmt_add(struct fmt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->pos) {
		b->overflow = true;
		return;
	}
	b->pos += n;
}

/* Shortest "%g" that reads back as the same double. */
static void fmt_double(struct fmt_buf *b, const char *key, double v)
{
	char s[64];
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(s, sizeof(s), "%.17g", v);
	fmt_add(b, "%s = %s\n", key, s);
}

static const char *tristate_name(enum tierd_tristate t)
{
	switch (t) {
	case TIERD_ON:
		return "on";
	case TIERD_OFF:
		return "off";
	default:
		return "auto";
	}
}

static void fmt_slow(struct fmt_buf *b, const struct tierd_config *cfg)
{
	unsigned int n, end;
	bool first = true;

	if (cfg->slow_auto) {
		fmt_add(b, "slow = auto\n");
		return;
	}
	fmt_add(b, "slow = ");
	for (n = 0; n < TIERD_MAX_NODES; n++) {
		if (!(cfg->slow_mask & (1ULL << n)))
			continue;
		for (end = n; end + 1 < TIERD_MAX_NODES &&
			      (cfg->slow_mask & (1ULL << (end + 1))); end++)
			;
		if (end == n)
			fmt_add(b, "%s%u", first ? "" : ",", n);
		else
			fmt_add(b, "%s%u-%u", first ? "" : ",", n, end);
		first = false;
		n = end;
	}
	fmt_add(b, "\n");
}

/*
 * Long lists are split over several lines of the same key (list keys add
 * up) so every line stays well inside inih's line buffer.
 */
#define PIDS_PER_LINE  8
#define COMMS_PER_LINE 6

static void fmt_scope(struct fmt_buf *b, const char *side,
		      const struct tierd_scope_list *l)
{
	unsigned int i;

	fmt_add(b, "%s_pids =", side);
	for (i = 0; i < l->nr_pids; i++) {
		if (i && i % PIDS_PER_LINE == 0)
			fmt_add(b, "\n%s_pids =", side);
		fmt_add(b, " %d", l->pids[i]);
	}
	fmt_add(b, "\n%s_comms =", side);
	for (i = 0; i < l->nr_comms; i++) {
		bool first = i % COMMS_PER_LINE == 0;

		if (i && first)
			fmt_add(b, "\n%s_comms =", side);
		/*
		 * inih reads a blank then ';' as an inline comment, so a name
		 * starting with ';' must follow the '=' or a comma directly.
		 */
		fmt_add(b, "%s%.*s", l->comms[i][0] != ';' ? " " : first ? "" : ",",
			TIERD_COMM_LEN - 1, l->comms[i]);
	}
	fmt_add(b, "\n");
	if (!l->nr_cgroups)
		fmt_add(b, "%s_cgroups =\n", side);
	for (i = 0; i < l->nr_cgroups; i++) {
		size_t len = strnlen(l->cgroups[i], TIERD_CGROUP_LEN - 1);

		/*
		 * "include_cgroups=PATH" loads; spaces around '=' could push
		 * the same path past inih's line buffer, so drop them when
		 * they would not fit.
		 */
		fmt_add(b, "%s_cgroups%s%.*s\n", side,
			strlen(side) + strlen("_cgroups = ") + len <=
			CONFIG_LINE_MAX ? " = " : "=", (int)len, l->cgroups[i]);
	}
}

int tierd_config_format(const struct tierd_config *cfg, char *buf, size_t len)
{
	struct fmt_buf b = { buf, len, 0, false };

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	fmt_add(&b, "[nodes]\n");
	fmt_slow(&b, cfg);
	if (cfg->fast_auto)
		fmt_add(&b, "fast = auto\n");
	else
		fmt_add(&b, "fast = %d\n", cfg->fast_node);

	fmt_add(&b, "\n[sources]\n");
	fmt_add(&b, "private_node = %s\n", tristate_name(cfg->src_private_node));
	fmt_add(&b, "soft_dirty = %s\n", tristate_name(cfg->src_soft_dirty));
	fmt_add(&b, "rearm_interval_ms = %u\n", cfg->rearm_interval_ms);

	fmt_add(&b, "\n[hotness]\n");
	fmt_add(&b, "window_ms = %u\n", cfg->window_ms);
	fmt_double(&b, "decay", cfg->decay);
	fmt_add(&b, "threshold = %u\n", cfg->threshold);
	fmt_double(&b, "promote_score", cfg->promote_score);
	fmt_add(&b, "granule_kb = %u\n", cfg->granule_kb);
	fmt_add(&b, "table_max_folios = %u\n", cfg->table_max_folios);
	fmt_add(&b, "kernel_map_folios = %u\n", cfg->kernel_map_folios);

	fmt_add(&b, "\n[promotion]\n");
	fmt_add(&b, "enabled = %s\n", cfg->promote_enabled ? "yes" : "no");
	fmt_add(&b, "batch_pages = %u\n", cfg->batch_pages);
	fmt_add(&b, "rate_limit_mbps = %u\n", cfg->rate_limit_mbps);
	fmt_add(&b, "min_free_mb = %" PRIu64 "\n", cfg->min_free_mb);
	fmt_add(&b, "cooldown_ms = %u\n", cfg->cooldown_ms);
	fmt_add(&b, "pingpong_backoff = %u\n", cfg->pingpong_backoff);

	fmt_add(&b, "\n[scope]\n");
	fmt_scope(&b, "include", &cfg->include);
	fmt_scope(&b, "exclude", &cfg->exclude);

	fmt_add(&b, "\n[control]\n");
	fmt_add(&b, "socket = %.*s\n", TIERD_PATH_LEN - 1, cfg->socket_path);
	fmt_add(&b, "stats_group = %.*s\n", TIERD_GROUP_LEN - 1, cfg->stats_group);

	if (b.overflow)
		return -ENOSPC;
	return (int)b.pos;
}
