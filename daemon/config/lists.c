// SPDX-License-Identifier: GPL-2.0
/*
 * The keys whose values are lists or node ids: [nodes] slow and fast, and
 * the [scope] lists, which add up over every line that sets them and
 * remember the line of each item for later errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/internal.h"

/* PID_MAX_LIMIT on 64-bit: no pid can be larger. */
#define PID_MAX			4194304u

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

	while (cfg_is_blank(*it->p))
		it->p++;
	if (!*it->p)
		return it->need_item ? -EINVAL : 0;
	if (*it->p == ',')
		return -EINVAL;
	start = it->p;
	while (*it->p && *it->p != ',' && !cfg_is_blank(*it->p))
		it->p++;
	*item = start;
	*len = it->p - start;
	while (cfg_is_blank(*it->p))
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

void cfg_parse_slow_nodes(struct parse_ctx *ctx, unsigned int line,
			  enum key_id id, const char *value)
{
	struct tierd_config *cfg = ctx->cfg;
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
		kerr(ctx, line, id, "empty node list (use auto or node ids)");
		goto bad;
	}
	while ((r = list_next(&it, &item, &len)) > 0) {
		if (!item_copy(buf, sizeof(buf), item, len)) {
			kerr(ctx, line, id, "'%.*s' is not a node id or range",
			     (int)len, item);
			goto bad;
		}
		dash = strchr(buf, '-');
		if (dash && dash != buf)
			*dash = '\0';
		else
			dash = NULL;
		if (dash && !dash[1]) {
			kerr(ctx, line, id, "'%s-' is not a node id or range", buf);
			goto bad;
		}
		if (cfg_parse_uint(ctx, line, id, buf, 0, TIERD_MAX_NODES - 1,
				   "node", &lo) < 0)
			goto bad;
		hi = lo;
		if (dash && cfg_parse_uint(ctx, line, id, dash + 1, 0,
					   TIERD_MAX_NODES - 1, "node", &hi) < 0)
			goto bad;
		if (hi < lo) {
			kerr(ctx, line, id, "range %" PRIu64 "-%" PRIu64 " is reversed",
			     lo, hi);
			goto bad;
		}
		for (n = lo; n <= hi; n++) {
			if (cfg->slow_mask & (1ULL << n)) {
				kerr(ctx, line, id, "node %" PRIu64 " is listed twice", n);
				goto bad;
			}
			cfg->slow_mask |= 1ULL << n;
		}
	}
	if (r < 0) {
		kerr(ctx, line, id, "empty item in list '%s'", value);
		goto bad;
	}
	return;
bad:
	ctx->key_bad[id] = true;
}

void cfg_parse_fast_node(struct parse_ctx *ctx, unsigned int line,
			 enum key_id id, const char *value)
{
	struct tierd_config *cfg = ctx->cfg;
	uint64_t n;

	if (!strcasecmp(value, "auto")) {
		cfg->fast_auto = true;
		cfg->fast_node = -1;
		return;
	}
	if (value[strcspn(value, ", \t")] || (*value && strchr(value + 1, '-'))) {
		kerr(ctx, line, id, "'%s': fast takes one node id or auto", value);
		goto bad;
	}
	if (cfg_parse_uint(ctx, line, id, value, 0, TIERD_MAX_NODES - 1,
			   "node", &n) < 0)
		goto bad;
	cfg->fast_auto = false;
	cfg->fast_node = (int)n;
	return;
bad:
	ctx->key_bad[id] = true;
}

/* The lines of @l's items: include and exclude each keep their own. */
static struct scope_lines *lines_of(struct parse_ctx *ctx,
				    const struct tierd_scope_list *l)
{
	return l == &ctx->cfg->exclude ? &ctx->exclude_line :
					 &ctx->include_line;
}

static bool valid_cgroup(const char *s, const char **why)
{
	const char *c = s, *next;
	size_t n;

	if (*s != '/') {
		*why = "is not an absolute path (must start with '/')";
		return false;
	}
	if (cfg_has_control(s)) {
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
	struct tierd_scope_list *l = key_field(ctx->cfg, id);
	struct scope_lines *lines = lines_of(ctx, l);
	char buf[TIERD_CGROUP_LEN];
	const char *why;
	uint64_t pid;
	unsigned int i;

	switch (cfg_keys[id].type) {
	case KT_PIDS:
		if (!item_copy(buf, 32, item, len)) {
			kerr(ctx, line, id, "'%.*s' is not a pid", (int)len, item);
			return -EINVAL;
		}
		if (cfg_parse_uint(ctx, line, id, buf, 1, PID_MAX, "pid", &pid) < 0)
			return -EINVAL;
		for (i = 0; i < l->nr_pids; i++) {
			if (l->pids[i] == (pid_t)pid) {
				kerr(ctx, line, id, "pid %" PRIu64 " is listed twice (line %u)",
				     pid, lines->pid[i]);
				return -EINVAL;
			}
		}
		if (l->nr_pids == TIERD_MAX_SCOPE_PIDS) {
			kerr(ctx, line, id, "too many pids (at most %d)",
			     TIERD_MAX_SCOPE_PIDS);
			return -E2BIG;
		}
		lines->pid[l->nr_pids] = line;
		l->pids[l->nr_pids++] = (pid_t)pid;
		return 0;
	case KT_COMMS:
		if (!item_copy(buf, TIERD_COMM_LEN, item, len)) {
			kerr(ctx, line, id, "'%.*s' is longer than %d characters (the kernel's comm length)",
			     (int)len, item, TIERD_COMM_LEN - 1);
			return -EINVAL;
		}
		if (cfg_has_control(buf)) {
			kerr(ctx, line, id, "'%s' contains control characters", buf);
			return -EINVAL;
		}
		for (i = 0; i < l->nr_comms; i++) {
			if (!strcmp(l->comms[i], buf)) {
				kerr(ctx, line, id, "'%s' is listed twice (line %u)", buf,
				     lines->comm[i]);
				return -EINVAL;
			}
		}
		if (l->nr_comms == TIERD_MAX_SCOPE_COMMS) {
			kerr(ctx, line, id, "too many names (at most %d)",
			     TIERD_MAX_SCOPE_COMMS);
			return -E2BIG;
		}
		lines->comm[l->nr_comms] = line;
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
				     lines->cgroup[i]);
				return -EINVAL;
			}
		}
		if (l->nr_cgroups == TIERD_MAX_SCOPE_CGROUPS) {
			kerr(ctx, line, id, "too many cgroups (at most %d)",
			     TIERD_MAX_SCOPE_CGROUPS);
			return -E2BIG;
		}
		lines->cgroup[l->nr_cgroups] = line;
		memset(l->cgroups[l->nr_cgroups], 0, TIERD_CGROUP_LEN);
		memcpy(l->cgroups[l->nr_cgroups++], buf, len);
		return 0;
	default:
		return -EINVAL;
	}
}

/* List keys may repeat; every occurrence adds its items. */
void cfg_parse_scope_list(struct parse_ctx *ctx, unsigned int line,
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
