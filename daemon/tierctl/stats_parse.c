// SPDX-License-Identifier: GPL-2.0
/* Parse `stats json` (docs/control-protocol.md) with json-c. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tierctl/stats_parse.h"

struct parse {
	char *err;
	size_t errlen;
	int ret;
};

__attribute__((format(printf, 2, 3)))
static void parse_fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->ret)
		return;		/* keep the first problem */
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	ps->ret = -EINVAL;
}

/* @obj's member @key of type @type, or NULL (missing is not an error). */
static json_object *member(struct parse *ps, json_object *obj,
			   const char *where, const char *key,
			   enum json_type type)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	if (!json_object_is_type(v, type)) {
		parse_fail(ps, "%s%s%s: not %s", where, *where ? "." : "",
			   key, type == json_type_int ? "an integer" :
			   type == json_type_boolean ? "a boolean" :
			   type == json_type_string ? "a string" :
			   type == json_type_array ? "an array" : "an object");
		return NULL;
	}
	return v;
}

static void get_u64(struct parse *ps, json_object *obj, const char *where,
		    const char *key, uint64_t *dst)
{
	json_object *v = member(ps, obj, where, key, json_type_int);

	if (!v)
		return;
	/* json-c keeps values above INT64_MAX as unsigned */
	if (json_object_get_int64(v) < 0) {
		parse_fail(ps, "%s%s%s: negative", where, *where ? "." : "",
			   key);
		return;
	}
	*dst = json_object_get_uint64(v);
}

static void get_bool(struct parse *ps, json_object *obj, const char *where,
		     const char *key, bool *dst)
{
	json_object *v = member(ps, obj, where, key, json_type_boolean);

	if (v)
		*dst = json_object_get_boolean(v);
}

static void get_str(struct parse *ps, json_object *obj, const char *where,
		    const char *key, char *dst, size_t len)
{
	json_object *v = member(ps, obj, where, key, json_type_string);

	if (v)
		snprintf(dst, len, "%s", json_object_get_string(v));
}

static void parse_sources(struct parse *ps, json_object *root,
			  struct tierd_stats *st)
{
	json_object *srcs = member(ps, root, "", "sources", json_type_object);

	for (unsigned int i = 0; srcs && i < TIERD_SRC_NR; i++) {
		struct tierd_source_stats *s = &st->src[i];
		const char *name = tierd_source_name(i);
		json_object *o = member(ps, srcs, "sources", name,
					json_type_object);
		char where[64];

		if (!o)
			continue;
		snprintf(where, sizeof(where), "sources.%s", name);
		get_bool(ps, o, where, "active", &s->active);
		get_str(ps, o, where, "state", s->state, sizeof(s->state));
#define SRC_FIELD(f, prom, help, col) get_u64(ps, o, where, #f, &s->f);
		TIERD_SOURCE_COUNTERS(SRC_FIELD)
#undef SRC_FIELD
	}
}

static void parse_nodes(struct parse *ps, json_object *root,
			struct tierd_stats *st)
{
	json_object *arr = member(ps, root, "", "nodes", json_type_array);
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct tierd_node_stats *nd;
		uint64_t id = UINT64_MAX;
		char where[32];

		snprintf(where, sizeof(where), "nodes[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			parse_fail(ps, "%s: not an object", where);
			return;
		}
		get_u64(ps, o, where, "id", &id);
		if (id >= sizeof(st->node) / sizeof(st->node[0])) {
			parse_fail(ps, "%s.id: missing or not a node id "
				   "below 64", where);
			return;
		}
		nd = &st->node[id];
		nd->present = true;
		get_bool(ps, o, where, "slow", &nd->slow);
		get_bool(ps, o, where, "fast", &nd->fast);
#define NODE_FIELD(f, prom, type, help) get_u64(ps, o, where, #f, &nd->f);
		TIERD_NODE_COUNTERS(NODE_FIELD)
#undef NODE_FIELD
		/* the kernel's own node counters, where it has them */
#define NODE_VMSTAT(f, prom, col, help)					\
		if (json_object_object_get_ex(o, #f, NULL)) {		\
			get_u64(ps, o, where, #f, &nd->f);		\
			nd->vmstat_present |= 1U << TIERD_NODE_VMSTAT_##f; \
		}
		TIERD_NODE_VMSTAT(NODE_VMSTAT)
#undef NODE_VMSTAT
		if (st->nr_nodes <= id)
			st->nr_nodes = (unsigned int)id + 1;
	}
}

static void parse_pids(struct parse *ps, json_object *root,
		       struct tierd_stats *st)
{
	json_object *arr = member(ps, root, "", "pids", json_type_array);
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (n > TIERD_STATS_MAX_PIDS)
		n = TIERD_STATS_MAX_PIDS;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct tierd_pid_stats *p = &st->pid[i];
		uint64_t pid = 0;
		char where[32];

		snprintf(where, sizeof(where), "pids[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			parse_fail(ps, "%s: not an object", where);
			return;
		}
		get_u64(ps, o, where, "pid", &pid);
		if (pid == 0 || pid > INT32_MAX) {
			parse_fail(ps, "%s.pid: missing or not a process id",
				   where);
			return;
		}
		p->pid = (int32_t)pid;
		get_str(ps, o, where, "comm", p->comm, sizeof(p->comm));
#define PID_FIELD(f, col, prom, type, help) get_u64(ps, o, where, #f, &p->f);
		TIERD_PID_COUNTERS(PID_FIELD)
#undef PID_FIELD
		st->nr_pids = (unsigned int)i + 1;
	}
}

int stats_parse_json(const char *text, struct tierd_stats *st, char *err,
		     size_t errlen)
{
	struct parse ps = { .err = err, .errlen = errlen };
	enum json_tokener_error jerr;
	json_object *root, *grp;

	memset(st, 0, sizeof(*st));
	root = json_tokener_parse_verbose(text, &jerr);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s",
			 json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		parse_fail(&ps, "not a JSON object");
		goto out;
	}
	get_u64(&ps, root, "", "uptime_ms", &st->uptime_ms);
	get_bool(&ps, root, "", "paused", &st->paused);
	/* group "daemon" sits at the top level, the others in objects */
#define GLOBAL(group, f, json, prom, type, help)			\
	grp = strcmp(#group, "daemon") ?				\
	      member(&ps, root, "", #group, json_type_object) : root;	\
	get_u64(&ps, grp, grp == root ? "" : #group, json, &st->f);
	TIERD_STATS_COUNTERS(GLOBAL)
#undef GLOBAL
	grp = member(&ps, member(&ps, root, "", "migrator", json_type_object),
		     "migrator", "status", json_type_object);
	for (unsigned int k = 0; grp && k < TIERD_MOVE_NR; k++)
		get_u64(&ps, grp, "migrator.status", tierd_move_status_name(k),
			&st->move_status[k]);
	parse_sources(&ps, root, st);
	parse_nodes(&ps, root, st);
	parse_pids(&ps, root, st);
out:
	json_object_put(root);
	return ps.ret;
}
