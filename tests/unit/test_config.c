// SPDX-License-Identifier: GPL-2.0
/* Unit tests of tierd.conf parsing, validation and formatting (config.c). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/keys.h"

#define NAME "test.conf"

/* Every key, from the one list the parser is generated from. */
struct table_key {
	const char *section;
	const char *name;
	const char *type;
	const char *def;
};

static const struct table_key table_keys[] = {
#define TABLE_KEY(section, name, type, field, min, max, def) \
	{ #section, #name, #type, def },
	TIERD_CONFIG_KEYS(TABLE_KEY)
#undef TABLE_KEY
};

#define NR_KEYS (sizeof(table_keys) / sizeof(table_keys[0]))

static bool table_has(const char *section, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_KEYS; i++)
		if (!strcmp(table_keys[i].section, section) &&
		    strlen(table_keys[i].name) == len &&
		    !strncmp(table_keys[i].name, name, len))
			return true;
	return false;
}

static void assert_scope_equal(const struct tierd_scope_list *a,
			       const struct tierd_scope_list *b)
{
	unsigned int i;

	assert_int_equal(a->nr_pids, b->nr_pids);
	for (i = 0; i < a->nr_pids; i++)
		assert_int_equal(a->pids[i], b->pids[i]);
	assert_int_equal(a->nr_comms, b->nr_comms);
	for (i = 0; i < a->nr_comms; i++)
		assert_string_equal(a->comms[i], b->comms[i]);
	assert_int_equal(a->nr_cgroups, b->nr_cgroups);
	for (i = 0; i < a->nr_cgroups; i++)
		assert_string_equal(a->cgroups[i], b->cgroups[i]);
}

static void assert_config_equal(const struct tierd_config *a,
				const struct tierd_config *b)
{
	assert_int_equal(a->slow_auto, b->slow_auto);
	assert_int_equal(a->slow_mask, b->slow_mask);
	assert_int_equal(a->fast_auto, b->fast_auto);
	assert_int_equal(a->fast_node, b->fast_node);
	assert_int_equal(a->src_private_node, b->src_private_node);
	assert_int_equal(a->src_soft_dirty, b->src_soft_dirty);
	assert_int_equal(a->rearm_interval_ms, b->rearm_interval_ms);
	assert_int_equal(a->window_ms, b->window_ms);
	assert_true(a->decay == b->decay);
	assert_int_equal(a->threshold, b->threshold);
	assert_true(a->promote_score == b->promote_score);
	assert_int_equal(a->granule_kb, b->granule_kb);
	assert_int_equal(a->table_max_folios, b->table_max_folios);
	assert_int_equal(a->kernel_map_folios, b->kernel_map_folios);
	assert_int_equal(a->promote_enabled, b->promote_enabled);
	assert_int_equal(a->batch_pages, b->batch_pages);
	assert_int_equal(a->rate_limit_mbps, b->rate_limit_mbps);
	assert_int_equal(a->min_free_mb, b->min_free_mb);
	assert_int_equal(a->cooldown_ms, b->cooldown_ms);
	assert_int_equal(a->pingpong_backoff, b->pingpong_backoff);
	assert_scope_equal(&a->include, &b->include);
	assert_scope_equal(&a->exclude, &b->exclude);
	assert_string_equal(a->socket_path, b->socket_path);
	assert_string_equal(a->stats_group, b->stats_group);
}

static void print_errors(const struct tierd_config_errors *errs)
{
	unsigned int i;

	for (i = 0; i < errs->nr; i++)
		print_message("  error: %s\n", errs->err[i].text);
	if (errs->dropped)
		print_message("  (%u more)\n", errs->dropped);
}

static void load_ok(const char *text, struct tierd_config *cfg)
{
	struct tierd_config_errors errs;
	int r;

	r = tierd_config_load_string(NAME, text, cfg, &errs);
	if (r != 0 || errs.nr != 0) {
		print_errors(&errs);
		fail_msg("config did not load (%d):\n%s", r, text);
	}
}

/*
 * Load @text, expect -EINVAL, and check @out was not written: it is
 * filled with a byte pattern first and must still hold it afterwards.
 */
static void load_bad(const char *text, struct tierd_config_errors *errs)
{
	struct tierd_config out, pattern;
	int r;

	memset(&out, 0xa5, sizeof(out));
	memset(&pattern, 0xa5, sizeof(pattern));
	r = tierd_config_load_string(NAME, text, &out, errs);
	if (r != -EINVAL) {
		print_errors(errs);
		fail_msg("expected -EINVAL, got %d for:\n%s", r, text);
	}
	assert_true(errs->nr > 0);
	assert_memory_equal(&out, &pattern, sizeof(out));
}

static bool has_error(const struct tierd_config_errors *errs, const char *text)
{
	unsigned int i;

	for (i = 0; i < errs->nr; i++)
		if (strstr(errs->err[i].text, text))
			return true;
	return false;
}

static void assert_error(const struct tierd_config_errors *errs,
			 const char *text)
{
	if (!has_error(errs, text)) {
		print_errors(errs);
		fail_msg("no error contains \"%s\"", text);
	}
}

/* @text must fail with exactly one error that starts with @prefix. */
static void expect_one_error(const char *text, const char *prefix)
{
	struct tierd_config_errors errs;

	load_bad(text, &errs);
	if (errs.nr != 1 || strncmp(errs.err[0].text, prefix, strlen(prefix))) {
		print_errors(&errs);
		fail_msg("expected one error starting \"%s\" for:\n%s", prefix,
			 text);
	}
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* --- defaults and the shipped file --------------------------------------- */

static void test_defaults(void **state)
{
	struct tierd_config c;

	tierd_config_defaults(&c);
	assert_true(c.slow_auto);
	assert_int_equal(c.slow_mask, 0);
	assert_true(c.fast_auto);
	assert_int_equal(c.fast_node, -1);
	assert_int_equal(c.src_private_node, TIERD_AUTO);
	assert_int_equal(c.src_soft_dirty, TIERD_AUTO);
	assert_int_equal(c.src_numa_hint, TIERD_AUTO);
	assert_int_equal(c.rearm_interval_ms, 500);
	assert_int_equal(c.window_ms, 2000);
	assert_true(c.decay == 0.5);
	assert_int_equal(c.threshold, 2);
	assert_int_equal(c.read_weight, 1);
	assert_int_equal(c.write_weight, 1);
	/* one hint fault (weight 1) makes a candidate */
	assert_true(c.promote_score == 1.0);
	assert_int_equal(c.granule_kb, 4);
	assert_int_equal(c.table_max_folios, 1048576);
	assert_int_equal(c.kernel_map_folios, 65536);
	assert_true(c.promote_enabled);
	assert_int_equal(c.batch_pages, 512);
	assert_int_equal(c.rate_limit_mbps, 256);
	assert_int_equal(c.min_free_mb, 1024);
	assert_int_equal(c.cooldown_ms, 10000);
	assert_int_equal(c.pingpong_backoff, 2);
	assert_false(c.take_over);
	assert_int_equal(c.include.nr_pids + c.include.nr_comms +
			 c.include.nr_cgroups, 0);
	assert_int_equal(c.exclude.nr_pids + c.exclude.nr_comms +
			 c.exclude.nr_cgroups, 0);
	assert_string_equal(c.socket_path, TIERD_DEFAULT_SOCKET);
	assert_string_equal(c.stats_group, "");
}

static void test_empty_file_is_defaults(void **state)
{
	struct tierd_config c, d;

	tierd_config_defaults(&d);
	load_ok("", &c);
	assert_config_equal(&c, &d);
	load_ok("# only a comment\n\n[nodes]\n", &c);
	assert_config_equal(&c, &d);
}

static void test_shipped_conf_is_defaults(void **state)
{
	struct tierd_config_errors errs;
	struct tierd_config c, d;
	int r;

	tierd_config_defaults(&d);
	memset(&c, 0, sizeof(c));
	r = tierd_config_load(TIERD_SHIPPED_CONF, &c, &errs);
	if (r) {
		print_errors(&errs);
		fail_msg("%s: %d", TIERD_SHIPPED_CONF, r);
	}
	assert_config_equal(&c, &d);
}

/* Copy @len bytes of @s without the blanks around them. */
static void copy_trimmed(char *buf, size_t size, const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	snprintf(buf, size, "%.*s", (int)len, s);
}

/*
 * The shipped file documents every key of the table as "#key = default"
 * under its [section], with the table's default.  Uncommenting all of
 * them must still give the defaults: the documented values are the real
 * ones and every key is there exactly once.
 */
static void test_shipped_conf_uncommented_is_defaults(void **state)
{
	char *text = read_whole(TIERD_SHIPPED_CONF), *p;
	unsigned int seen[NR_KEYS] = { 0 };
	char section[64] = "", value[256];
	struct tierd_config c, d;
	size_t i, n, eol;

	for (p = text; *p; p = strchrnul(p, '\n'), p += !!*p) {
		eol = strcspn(p, "\n");
		if (p[0] == '[')
			copy_trimmed(section, sizeof(section), p + 1,
				     strcspn(p + 1, "]\n"));
		if (p[0] != '#' || p[1] < 'a' || p[1] > 'z')
			continue;
		n = strcspn(p + 1, " =");
		for (i = 0; i < NR_KEYS; i++) {
			if (strlen(table_keys[i].name) != n ||
			    strncmp(p + 1, table_keys[i].name, n))
				continue;
			seen[i]++;
			if (strcmp(section, table_keys[i].section))
				fail_msg("%s: %s is documented in [%s], not [%s]",
					 TIERD_SHIPPED_CONF, table_keys[i].name,
					 section, table_keys[i].section);
			if (p[1 + n + strspn(p + 1 + n, " ")] != '=')
				fail_msg("%s: '#%s' is not followed by '='",
					 TIERD_SHIPPED_CONF, table_keys[i].name);
			copy_trimmed(value, sizeof(value),
				     strchr(p, '=') + 1, p + eol - strchr(p, '=') - 1);
			if (strcmp(value, table_keys[i].def))
				fail_msg("%s: #%s = '%s', the default is '%s'",
					 TIERD_SHIPPED_CONF, table_keys[i].name,
					 value, table_keys[i].def);
		}
		p[0] = ' ';
	}
	for (i = 0; i < NR_KEYS; i++)
		if (seen[i] != 1)
			fail_msg("key %s appears %u times commented out in %s",
				 table_keys[i].name, seen[i], TIERD_SHIPPED_CONF);
	tierd_config_defaults(&d);
	load_ok(text, &c);
	assert_config_equal(&c, &d);
	free(text);
}

/* The body of tierd.conf(5)'s section .SH "[@section]", up to the next .SH. */
static const char *man_section(const char *text, const char *section,
			       const char **end)
{
	char header[80];
	const char *p;

	snprintf(header, sizeof(header), "\n.SH \"[%s]\"\n", section);
	p = strstr(text, header);
	if (!p)
		return NULL;
	p += strlen(header);
	*end = strstr(p, "\n.SH ");
	if (!*end)
		*end = p + strlen(p);
	return p;
}

/*
 * The next ".TP" entry in [@p, @end): returns its tag line (the line
 * after ".TP") and sets *@tag_len to the part naming the keys, before
 * " = ".
 */
static const char *next_tag(const char *p, const char *end, size_t *tag_len)
{
	const char *tag, *eq;

	for (; p < end && *p; p = strchrnul(p, '\n'), p += !!*p) {
		if (strncmp(p, ".TP\n", 4))
			continue;
		tag = p + 4;
		eq = strstr(tag, " = ");
		if (!eq || eq > strchrnul(tag, '\n'))
			eq = strchrnul(tag, '\n');
		*tag_len = eq - tag;
		return tag;
	}
	return NULL;
}

/* "Default: 500." or "Default:\n.BR auto ." as the bare value; "empty" is "". */
static void man_default(const char *d, char *buf, size_t size)
{
	static const char *const macros[] = { ".BR ", ".IR ", ".B ", ".I " };
	char line[256], *o = buf;
	const char *s;
	size_t i, len;

	d += strlen("Default:");
	d += strspn(d, " \t");
	if (*d == '\n')
		d++;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(d, "\n"), d);
	s = line;
	for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
		if (!strncmp(s, macros[i], strlen(macros[i])))
			s += strlen(macros[i]);
	for (; *s && o < buf + size - 1; s++) {
		if (s[0] == '\\' && s[1] == 'f' && s[2]) {
			s += 2;
			continue;
		}
		*o++ = *s;
	}
	*o = '\0';
	len = strlen(buf);
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '.'))
		buf[--len] = '\0';
	if (!strcmp(buf, "empty"))
		buf[0] = '\0';
}

/*
 * tierd.conf(5) has a .TP entry for every key of the table in the key's
 * section, and the entry says "Default: <the table's default>."
 */
static void test_man_page_documents_every_key(void **state)
{
	char *text = read_whole(TIERD_MAN_PAGE), needle[64], def[256];
	const char *sec, *end, *tag, *para_end, *d;
	size_t i, len;

	for (i = 0; i < NR_KEYS; i++) {
		const struct table_key *k = &table_keys[i];

		sec = man_section(text, k->section, &end);
		if (!sec)
			fail_msg("%s has no section [%s]", TIERD_MAN_PAGE,
				 k->section);
		snprintf(needle, sizeof(needle), "\\fB%s\\fR", k->name);
		for (tag = next_tag(sec, end, &len); tag;
		     tag = next_tag(tag, end, &len)) {
			d = strstr(tag, needle);
			if (d && d < tag + len)
				break;
		}
		if (!tag)
			fail_msg("%s does not document %s in [%s]",
				 TIERD_MAN_PAGE, k->name, k->section);
		para_end = strstr(tag, "\n.TP\n");
		if (!para_end || para_end > end)
			para_end = end;
		d = strstr(tag, "Default:");
		if (!d || d > para_end)
			fail_msg("%s: the entry of %s has no \"Default:\"",
				 TIERD_MAN_PAGE, k->name);
		man_default(d, def, sizeof(def));
		if (strcmp(def, k->def))
			fail_msg("%s: %s defaults to '%s', the table says '%s'",
				 TIERD_MAN_PAGE, k->name, def, k->def);
	}
	free(text);
}

/* Every key a .TP entry of a [section] names is a key of that section. */
static void test_man_page_names_only_known_keys(void **state)
{
	char *text = read_whole(TIERD_MAN_PAGE);
	const char *sec, *end, *tag, *p, *name;
	unsigned int entries = 0;
	size_t i, len;

	for (i = 0; i < NR_KEYS; i++) {
		if (i && !strcmp(table_keys[i].section, table_keys[i - 1].section))
			continue;
		sec = man_section(text, table_keys[i].section, &end);
		assert_non_null(sec);
		for (tag = next_tag(sec, end, &len); tag;
		     tag = next_tag(tag, end, &len)) {
			for (p = tag; (p = strstr(p, "\\fB")) && p < tag + len;) {
				name = p + 3;
				p = strstr(name, "\\fR");
				assert_non_null(p);
				if (!table_has(table_keys[i].section, name, p - name))
					fail_msg("%s: [%s] documents '%.*s', not a key of the section",
						 TIERD_MAN_PAGE, table_keys[i].section,
						 (int)(p - name), name);
				entries++;
			}
		}
	}
	assert_int_equal(entries, NR_KEYS);
	free(text);
}

/*
 * Every default text of the table, written as a file, loads without an
 * error and gives tierd_config_defaults(): no default is a value the
 * parser would refuse.
 */
static void test_table_defaults_load(void **state)
{
	static char text[8192];
	struct tierd_config c, d;
	size_t i, n = 0;

	for (i = 0; i < NR_KEYS; i++) {
		if (!i || strcmp(table_keys[i].section, table_keys[i - 1].section))
			n += snprintf(text + n, sizeof(text) - n, "[%s]\n",
				      table_keys[i].section);
		n += snprintf(text + n, sizeof(text) - n, "%s = %s\n",
			      table_keys[i].name, table_keys[i].def);
		assert_true(n < sizeof(text));
	}
	tierd_config_defaults(&d);
	load_ok(text, &c);
	assert_config_equal(&c, &d);
}

/* The formatter writes every key of the table once, in its section. */
static void test_format_writes_every_key(void **state)
{
	static char buf[64 * 1024];
	unsigned int seen[NR_KEYS] = { 0 };
	char section[64] = "";
	struct tierd_config c;
	const char *p;
	size_t i, n;

	tierd_config_defaults(&c);
	assert_true(tierd_config_format(&c, buf, sizeof(buf)) > 0);
	for (p = buf; *p; p = strchrnul(p, '\n'), p += !!*p) {
		if (*p == '[') {
			snprintf(section, sizeof(section), "%.*s",
				 (int)strcspn(p + 1, "]"), p + 1);
			continue;
		}
		n = strcspn(p, " =\n");
		if (!n)
			continue;
		for (i = 0; i < NR_KEYS; i++)
			if (strlen(table_keys[i].name) == n &&
			    !strncmp(p, table_keys[i].name, n) &&
			    !strcmp(section, table_keys[i].section))
				seen[i]++;
	}
	for (i = 0; i < NR_KEYS; i++)
		if (seen[i] != 1)
			fail_msg("format writes [%s] %s %u times",
				 table_keys[i].section, table_keys[i].name, seen[i]);
}

/* --- accepted syntax ------------------------------------------------------ */

static void test_values_parse(void **state)
{
	struct tierd_config c;

	load_ok("[nodes]\n"
		"slow = 1,3, 5-7 9\n"
		"fast = 0\n"
		"[sources]\n"
		"private_node = On\n"
		"soft_dirty = off ; inline comment\n"
		"rearm_interval_ms = 10\n"
		"[hotness]\n"
		"window_ms = 600000\n"
		"decay = 0.999\n"
		"threshold = 65535\n"
		"promote_score = 1e6\n"
		"granule_kb = 2048\n"
		"table_max_folios = 1024\n"
		"kernel_map_folios = 1048576\n"
		"[promotion]\n"
		"enabled = FALSE\n"
		"batch_pages = 65536\n"
		"rate_limit_mbps = 0\n"
		"min_free_mb = 16777216\n"
		"cooldown_ms = 0\n"
		"pingpong_backoff = 64\n"
		"[scope]\n"
		"include_pids = 1, 2 3,4\n"
		"include_pids = 4194304\n"
		"exclude_comms = kworker/0:1,bash\n"
		"include_cgroups = /system.slice/db.service /\n"
		"exclude_pids =\n"
		"[control]\n"
		"socket = /tmp/t.sock\n"
		"stats_group = tierd-stats\n", &c);
	assert_false(c.slow_auto);
	assert_int_equal(c.slow_mask, (1u << 1) | (1u << 3) | (7u << 5) | (1u << 9));
	assert_false(c.fast_auto);
	assert_int_equal(c.fast_node, 0);
	assert_int_equal(c.src_private_node, TIERD_ON);
	assert_int_equal(c.src_soft_dirty, TIERD_OFF);
	assert_int_equal(c.rearm_interval_ms, 10);
	assert_int_equal(c.window_ms, 600000);
	assert_true(c.decay == 0.999);
	assert_int_equal(c.threshold, 65535);
	assert_true(c.promote_score == 1e6);
	assert_int_equal(c.granule_kb, 2048);
	assert_int_equal(c.table_max_folios, 1024);
	assert_int_equal(c.kernel_map_folios, 1048576);
	assert_false(c.promote_enabled);
	assert_int_equal(c.batch_pages, 65536);
	assert_int_equal(c.rate_limit_mbps, 0);
	assert_int_equal(c.min_free_mb, 16777216);
	assert_int_equal(c.cooldown_ms, 0);
	assert_int_equal(c.pingpong_backoff, 64);
	assert_int_equal(c.include.nr_pids, 5);
	assert_int_equal(c.include.pids[0], 1);
	assert_int_equal(c.include.pids[3], 4);
	assert_int_equal(c.include.pids[4], 4194304);
	assert_int_equal(c.exclude.nr_pids, 0);
	assert_int_equal(c.exclude.nr_comms, 2);
	assert_string_equal(c.exclude.comms[0], "kworker/0:1");
	assert_string_equal(c.exclude.comms[1], "bash");
	assert_int_equal(c.include.nr_cgroups, 2);
	assert_string_equal(c.include.cgroups[0], "/system.slice/db.service");
	assert_string_equal(c.include.cgroups[1], "/");
	assert_string_equal(c.socket_path, "/tmp/t.sock");
	assert_string_equal(c.stats_group, "tierd-stats");
}

static void test_bool_spellings(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	struct tierd_config c;
	char text[128];
	size_t i;

	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "[promotion]\nenabled = %s\n", no[i]);
		load_ok(text, &c);
		assert_false(c.promote_enabled);
		snprintf(text, sizeof(text), "[promotion]\nenabled = %s\n", yes[i]);
		load_ok(text, &c);
		assert_true(c.promote_enabled);
	}
}

/* Indented keys are keys; CRLF endings and repeated sections are fine. */
static void test_layout_tolerance(void **state)
{
	struct tierd_config c;

	load_ok("[hotness]\r\n"
		"    window_ms = 3000\r\n"
		"\tdecay = 0.25\r\n"
		"[promotion]\n"
		"  batch_pages = 7\n"
		"[hotness]\n"
		"threshold = 9\n", &c);
	assert_int_equal(c.window_ms, 3000);
	assert_true(c.decay == 0.25);
	assert_int_equal(c.batch_pages, 7);
	assert_int_equal(c.threshold, 9);
}

/* --- each class of error -------------------------------------------------- */

static void test_err_unknown_section(void **state)
{
	struct tierd_config_errors errs;

	load_bad("[nodes]\nslow = auto\n[hotnes]\nwindow_ms = 100\ndecay = 0.2\n",
		 &errs);
	/* reported once, at its first key, not once per key */
	assert_int_equal(errs.nr, 1);
	assert_error(&errs, NAME ":4: [hotnes] window_ms: unknown section [hotnes]");
}

static void test_err_unknown_key(void **state)
{
	expect_one_error("[hotness]\nwindow_ms = 3000\ndecy = 0.2\n",
			 NAME ":3: [hotness] decy: unknown key (keys of [hotness]: window_ms, decay");
}

static void test_err_key_outside_section(void **state)
{
	expect_one_error("# top\nwindow_ms = 3000\n[hotness]\n",
			 NAME ":2: window_ms: key before any [section]");
}

static void test_err_duplicate_key(void **state)
{
	expect_one_error("[hotness]\ndecay = 0.2\n\n[promotion]\n[hotness]\ndecay = 0.3\n",
			 NAME ":6: [hotness] decay: duplicate key (already set at line 2)");
}

static void test_err_bad_number(void **state)
{
	expect_one_error("[hotness]\nwindow_ms = lots\n",
			 NAME ":2: [hotness] window_ms: 'lots' is not a number");
	expect_one_error("[hotness]\nwindow_ms = 3000ms\n",
			 NAME ":2: [hotness] window_ms: '3000ms' has trailing characters");
	expect_one_error("[hotness]\nwindow_ms = 0x100\n",
			 NAME ":2: [hotness] window_ms: '0x100' has trailing characters");
	expect_one_error("[promotion]\ncooldown_ms = -5\n",
			 NAME ":2: [promotion] cooldown_ms: '-5' is negative");
	expect_one_error("[promotion]\ncooldown_ms = +5\n",
			 NAME ":2: [promotion] cooldown_ms: '+5' is not a number");
	expect_one_error("[promotion]\nmin_free_mb = 99999999999999999999999\n",
			 NAME ":2: [promotion] min_free_mb: '99999999999999999999999' is too large (overflow)");
	expect_one_error("[promotion]\nbatch_pages =\n",
			 NAME ":2: [promotion] batch_pages: missing value");
	expect_one_error("[hotness]\ndecay = nan\n",
			 NAME ":2: [hotness] decay: 'nan' is not a number");
	expect_one_error("[hotness]\ndecay = 0x1p-1\n",
			 NAME ":2: [hotness] decay: '0x1p-1' is not a number");
	expect_one_error("[hotness]\ndecay = 0.5.5\n",
			 NAME ":2: [hotness] decay: '0.5.5' has trailing characters");
	expect_one_error("[hotness]\npromote_score = 1e999\n",
			 NAME ":2: [hotness] promote_score: 1e999 is out of range");
}

static void test_err_out_of_range(void **state)
{
	/* the example of the brief, at line 12 */
	expect_one_error("[hotness]\n\n\n\n\n\n\n\n\n\n\ndecay = 1.5\n",
			 NAME ":12: [hotness] decay: 1.5 is out of range (0 < decay < 1)");
	expect_one_error("[hotness]\ndecay = 0\n",
			 NAME ":2: [hotness] decay: 0 is out of range (0 < decay < 1)");
	expect_one_error("[hotness]\npromote_score = 1000001\n",
			 NAME ":2: [hotness] promote_score: 1000001 is out of range (0 < promote_score <= 1e+06)");
	expect_one_error("[hotness]\nthreshold = 0\n",
			 NAME ":2: [hotness] threshold: 0 is out of range (1..65535)");
	expect_one_error("[hotness]\ngranule_kb = 8\n",
			 NAME ":2: [hotness] granule_kb: 8 is not valid (must be 4 or 2048)");
	expect_one_error("[sources]\nrearm_interval_ms = 60001\n",
			 NAME ":2: [sources] rearm_interval_ms: 60001 is out of range (10..60000)");
	expect_one_error("[promotion]\nrate_limit_mbps = 1048577\n",
			 NAME ":2: [promotion] rate_limit_mbps: 1048577 is out of range (0..1048576)");
	expect_one_error("[promotion]\nmin_free_mb = 16777217\n",
			 NAME ":2: [promotion] min_free_mb: 16777217 is out of range (0..16777216)");
	expect_one_error("[promotion]\npingpong_backoff = 65\n",
			 NAME ":2: [promotion] pingpong_backoff: 65 is out of range (1..64)");
	expect_one_error("[hotness]\ntable_max_folios = 100000001\n",
			 NAME ":2: [hotness] table_max_folios: 100000001 is out of range (1024..100000000)");
	expect_one_error("[nodes]\nfast = 64\n",
			 NAME ":2: [nodes] fast: node 64 is out of range (0..63)");
}

static void test_err_bad_enum_bool(void **state)
{
	expect_one_error("[promotion]\nenabled = maybe\n",
			 NAME ":2: [promotion] enabled: 'maybe' is not a boolean");
	expect_one_error("[sources]\nsoft_dirty = sometimes\n",
			 NAME ":2: [sources] soft_dirty: 'sometimes' is not one of auto, on, off");
	expect_one_error("[sources]\nprivate_node = yes\n",
			 NAME ":2: [sources] private_node: 'yes' is not one of auto, on, off");
	expect_one_error("[nodes]\nfast = 1,2\n",
			 NAME ":2: [nodes] fast: '1,2': fast takes one node id or auto");
	expect_one_error("[control]\nsocket = run/tierd.sock\n",
			 NAME ":2: [control] socket: 'run/tierd.sock' is not an absolute path");
	expect_one_error("[control]\nstats_group = 9bad group\n",
			 NAME ":2: [control] stats_group: '9bad group' is not a valid group name");
}

static void test_err_bad_list_item(void **state)
{
	char text[512];

	expect_one_error("[nodes]\nslow = 1,x\n",
			 NAME ":2: [nodes] slow: 'x' is not a number");
	expect_one_error("[nodes]\nslow = 1,64\n",
			 NAME ":2: [nodes] slow: node 64 is out of range (0..63)");
	expect_one_error("[nodes]\nslow = 3-1\n",
			 NAME ":2: [nodes] slow: range 3-1 is reversed");
	expect_one_error("[nodes]\nslow = 1-3,2\n",
			 NAME ":2: [nodes] slow: node 2 is listed twice");
	expect_one_error("[nodes]\nslow =\n",
			 NAME ":2: [nodes] slow: empty node list");
	expect_one_error("[scope]\ninclude_pids = 1,,2\n",
			 NAME ":2: [scope] include_pids: empty item in list '1,,2'");
	expect_one_error("[scope]\ninclude_pids = 1,2,\n",
			 NAME ":2: [scope] include_pids: empty item");
	expect_one_error("[scope]\nexclude_pids = 12 abc\n",
			 NAME ":2: [scope] exclude_pids: 'abc' is not a number");
	expect_one_error("[scope]\nexclude_pids = 0\n",
			 NAME ":2: [scope] exclude_pids: pid 0 is out of range (1..4194304)");
	expect_one_error("[scope]\nexclude_pids = 7\nexclude_pids = 7\n",
			 NAME ":3: [scope] exclude_pids: pid 7 is listed twice (line 2)");
	expect_one_error("[scope]\ninclude_comms = a_name_of_16_chr\n",
			 NAME ":2: [scope] include_comms: 'a_name_of_16_chr' is longer than 15 characters");
	expect_one_error("[scope]\ninclude_cgroups = system.slice\n",
			 NAME ":2: [scope] include_cgroups: 'system.slice' is not an absolute path");
	expect_one_error("[scope]\nexclude_cgroups = /a//b\n",
			 NAME ":2: [scope] exclude_cgroups: '/a//b' has an empty path component");
	expect_one_error("[scope]\nexclude_cgroups = /a/../b\n",
			 NAME ":2: [scope] exclude_cgroups: '/a/../b' has a '.' or '..' component");

	/* 65 pids over two lines: the 65th is one too many, reported once */
	strcpy(text, "[scope]\ninclude_pids =");
	for (int i = 1; i <= 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " %d", i);
	strcat(text, "\ninclude_pids =");
	for (int i = 41; i <= 66; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " %d", i);
	strcat(text, "\n");
	expect_one_error(text, NAME ":3: [scope] include_pids: too many pids (at most 64)");

	strcpy(text, "[scope]\nexclude_comms =");
	for (int i = 0; i <= TIERD_MAX_SCOPE_COMMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%sc%d", i == 20 ? "\nexclude_comms = " : " ", i);
	strcat(text, "\n");
	expect_one_error(text, NAME ":3: [scope] exclude_comms: too many names (at most 32)");

	strcpy(text, "[scope]\n");
	for (int i = 0; i <= TIERD_MAX_SCOPE_CGROUPS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "include_cgroups = /g%d\n", i);
	expect_one_error(text, NAME ":18: [scope] include_cgroups: too many cgroups (at most 16)");
}

static void test_err_syntax(void **state)
{
	struct tierd_config_errors errs;

	expect_one_error("[hotness]\nwindow_ms 3000\n",
			 NAME ":2: syntax error (expected key = value or [section])");
	/* the broken header leaves the key outside any section */
	load_bad("[hotness\nwindow_ms = 3000\n", &errs);
	assert_int_equal(errs.nr, 2);
	assert_string_equal(errs.err[0].text,
			    NAME ":1: syntax error (expected key = value or [section])");
	assert_string_equal(errs.err[1].text,
			    NAME ":2: window_ms: key before any [section]");
	/* inih would drop a key after "]" silently */
	expect_one_error("[nodes] slow = 1\n",
			 NAME ":1: syntax error (text after [section] header)");
	/* a continuation line is an error, not part of the previous value */
	load_bad("[scope]\ninclude_pids = 1, 2,\n    3, 4\n", &errs);
	assert_int_equal(errs.nr, 2);
	assert_string_equal(errs.err[0].text,
			    NAME ":2: [scope] include_pids: empty item in list '1, 2,'");
	assert_string_equal(errs.err[1].text,
			    NAME ":3: syntax error (expected key = value or [section]; continuation lines are not supported)");
	load_bad("[scope]\ninclude_pids = 1 2\n    3 4\n", &errs);
	assert_int_equal(errs.nr, 1);
	assert_string_equal(errs.err[0].text,
			    NAME ":3: syntax error (expected key = value or [section]; continuation lines are not supported)");
}

static void test_err_long_line(void **state)
{
	struct tierd_config_errors errs;
	char text[1024];

	/* 197 characters fit inih's 200-byte buffer, 198 do not */
	snprintf(text, sizeof(text), "[control]\nstats_group = %0*d\n", 197 - 14, 0);
	load_bad(text, &errs);
	assert_false(has_error(&errs, "too long"));
	assert_error(&errs, NAME ":2: [control] stats_group:");

	snprintf(text, sizeof(text), "[control]\nstats_group = a%0*d\n[hotness]\ndecay = 2\n",
		 197 - 14, 0);
	load_bad(text, &errs);
	assert_int_equal(errs.nr, 2);
	assert_string_equal(errs.err[0].text,
			    NAME ":2: line too long (198 characters, at most 197)");
	/* the line was not split: later lines keep their numbers */
	assert_error(&errs, NAME ":4: [hotness] decay: 2 is out of range");

	/* the last line, without a newline */
	snprintf(text, sizeof(text), "[hotness]\n# %0*d", 300, 0);
	expect_one_error(text, NAME ":2: line too long (302 characters, at most 197)");
}

static void test_err_contradictions(void **state)
{
	expect_one_error("[nodes]\nslow = 1-3\nfast = 2\n",
			 NAME ":3: [nodes] fast: node 2 is also in the slow set (line 2)");
	expect_one_error("[nodes]\nfast = 2\nslow = 1-3\n",
			 NAME ":3: [nodes] slow: node 2 is also the fast node (line 2)");
	expect_one_error("[sources]\nprivate_node = off\n\nsoft_dirty = off\nnuma_hint = off\nuffd = off\n",
			 NAME ":6: [sources] uffd: every source is off");
	expect_one_error("[scope]\ninclude_pids = 5 6\nexclude_pids = 7,6\n",
			 NAME ":3: [scope] exclude_pids: pid 6 is also in include_pids (line 2)");
	expect_one_error("[scope]\nexclude_pids = 6\ninclude_pids = 6\n",
			 NAME ":3: [scope] include_pids: pid 6 is also in exclude_pids (line 2)");
	expect_one_error("[scope]\ninclude_comms = db\nexclude_comms = db\n",
			 NAME ":3: [scope] exclude_comms: 'db' is also in include_comms (line 2)");
	expect_one_error("[scope]\nexclude_cgroups = /a\ninclude_cgroups = /b /a\n",
			 NAME ":3: [scope] include_cgroups: '/a' is also in exclude_cgroups (line 2)");
	expect_one_error("[sources]\nrearm_interval_ms = 400\n[hotness]\nwindow_ms = 300\n",
			 NAME ":4: [hotness] window_ms: 300 is smaller than [sources] rearm_interval_ms = 400 (line 2)");
	expect_one_error("[hotness]\nwindow_ms = 300\n",
			 NAME ":2: [hotness] window_ms: 300 is smaller than [sources] rearm_interval_ms = 500 (default)");
	expect_one_error("[hotness]\nwindow_ms = 1000\n[sources]\nrearm_interval_ms = 5000\n",
			 NAME ":4: [sources] rearm_interval_ms: 5000 is larger than [hotness] window_ms = 1000 (line 2)");
	/* defaults threshold 2, 4 reports, decay 0.5: scores converge to 32 */
	expect_one_error("[hotness]\npromote_score = 32\n",
			 NAME ":2: [hotness] promote_score: promote_score = 32 can never be reached: a folio at every window's last record converges to threshold x 2^(reports_per_window - 1) x write_weight / (1 - decay) = 2 x 8 x 1 / (1 - 0.5) = 32 (threshold: default, reports_per_window: default, decay: default, write_weight: default)");
	{
		struct tierd_config ok;

		load_ok("[hotness]\npromote_score = 31\n", &ok);
		assert_int_equal(ok.reports_per_window, 4);
	}
	/* one report a window: the bound of one threshold's worth */
	expect_one_error("[hotness]\npromote_score = 4\nreports_per_window = 1\n",
			 NAME ":3: [hotness] reports_per_window: promote_score = 4 can never be reached: a folio at every window's last record converges to threshold x 2^(reports_per_window - 1) x write_weight / (1 - decay) = 2 x 1 x 1 / (1 - 0.5) = 4 (threshold: default, reports_per_window: line 3, decay: default, write_weight: default)");
	/* reported at the later of the keys that make the bound */
	expect_one_error("[hotness]\npromote_score = 3\nreports_per_window = 1\ndecay = 0.25\nthreshold = 1\n",
			 NAME ":5: [hotness] threshold: promote_score = 3 can never be reached: a folio at every window's last record converges to threshold x 2^(reports_per_window - 1) x write_weight / (1 - decay) = 1 x 1 x 1 / (1 - 0.25) = 1.33333 (threshold: line 5, reports_per_window: line 3, decay: line 4, write_weight: default)");
	/* the heavier kind of access makes the bound */
	expect_one_error("[hotness]\nread_weight = 3\npromote_score = 96\n",
			 NAME ":3: [hotness] promote_score: promote_score = 96 can never be reached: a folio at every window's last record converges to threshold x 2^(reports_per_window - 1) x read_weight / (1 - decay) = 2 x 8 x 3 / (1 - 0.5) = 96 (threshold: default, reports_per_window: default, decay: default, read_weight: line 2)");
	expect_one_error("[hotness]\nreports_per_window = 9\n",
			 NAME ":2: [hotness] reports_per_window: 9 is out of range (1..8)");
	expect_one_error("[hotness]\nwrite_weight = 0\nread_weight = 0\n",
			 NAME ":3: [hotness] read_weight: read_weight and write_weight are both 0: no access would count");
	/* the track socket is open to everybody: never the control socket */
	expect_one_error("[control]\ntrack_socket = /run/tierd/tierd.sock\n",
			 NAME ":2: [control] track_socket: /run/tierd/tierd.sock is also socket (default): the track socket is open to every user and answers only track");
	/* empty: beside the control socket, which must leave room for it */
	expect_one_error("[control]\nsocket = /run/tierd/track.sock\n",
			 NAME ":2: [control] socket: /run/tierd/track.sock is also track_socket (default): the track socket is open to every user and answers only track");
	expect_one_error("[control]\nsocket = /" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b\n",
			 NAME ":2: [control] socket: /" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b leaves no room for track.sock beside it (set [control] track_socket)");
	expect_one_error("[control]\ntrack_socket = /run/x.sock\nsocket = /run/x.sock\n",
			 NAME ":3: [control] socket: /run/x.sock is also track_socket (line 2): the track socket is open to every user and answers only track");
	expect_one_error("[sources]\nuffd_max_per_user = 300\n",
			 NAME ":2: [sources] uffd_max_per_user: uffd_max_per_user = 300 exceeds uffd_max_total = 256 (default)");
}

/*
 * Texts generated from the key table read as they did when they were
 * written out by hand.
 */
static void test_texts_from_table(void **state)
{
	expect_one_error("[hotnes]\nwindow_ms = 100\n",
			 NAME ":2: [hotnes] window_ms: unknown section [hotnes] (known: nodes, sources, hotness, promotion, scope, control)");
	expect_one_error("[scope]\npids = 1\n",
			 NAME ":2: [scope] pids: unknown key (keys of [scope]: include_pids, exclude_pids, include_comms, exclude_comms, include_cgroups, exclude_cgroups)");
}

static bool is_source(const struct table_key *k)
{
	return !strcmp(k->section, "sources") && !strcmp(k->type, "TRISTATE");
}

/*
 * Every source of the table off is refused, at the last one's line,
 * naming the others; any one source not off is fine.  With the two
 * sources of today this is "both sources are off (soft_dirty = off at
 * line 2)", as before the table.
 */
static void test_every_source_off(void **state)
{
	char text[2048] = "[sources]\n", want[2048], others[1024] = "";
	const struct table_key *last = NULL;
	struct tierd_config c;
	unsigned int nr = 0;
	size_t i;

	for (i = 0; i < NR_KEYS; i++) {
		if (!is_source(&table_keys[i]))
			continue;
		if (last)
			snprintf(others + strlen(others), sizeof(others) - strlen(others),
				 "%s%s = off at line %u", nr > 1 ? ", " : "",
				 last->name, nr + 1);
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s = off\n", table_keys[i].name);
		last = &table_keys[i];
		nr++;
	}
	assert_true(nr >= 2);
	snprintf(want, sizeof(want),
		 NAME ":%u: [sources] %s: %s (%s): nothing would report write faults",
		 nr + 1, last->name,
		 nr == 2 ? "both sources are off" : "every source is off", others);
	expect_one_error(text, want);

	/* the last source back at auto: a source is left, the file loads */
	memcpy(strrchr(text, '=') + 2, "auto", 5);
	load_ok(text, &c);
}

/* Just below the bound is reachable, so it is accepted. */
static void test_promote_score_below_bound(void **state)
{
	struct tierd_config_errors errs;
	struct tierd_config c;

	assert_int_equal(tierd_config_load_string(NAME,
			"[hotness]\nthreshold = 3\ndecay = 0.5\npromote_score = 5.9\n",
			&c, &errs), 0);
	assert_true(c.promote_score == 5.9);
}

/* A bad value is reported once, not again as a contradiction. */
static void test_no_contradiction_from_bad_value(void **state)
{
	expect_one_error("[nodes]\nslow = 1,x\nfast = 1\n",
			 NAME ":2: [nodes] slow: 'x' is not a number");
	expect_one_error("[hotness]\nwindow_ms = 50\n",
			 NAME ":2: [hotness] window_ms: 50 is out of range");
}

static void test_multiple_errors(void **state)
{
	struct tierd_config_errors errs;

	load_bad("[hotness]\n"
		 "decay = 1.5\n"			/* 2 */
		 "window_ms 5\n"			/* 3: syntax */
		 "bogus = 1\n"				/* 4 */
		 "[promotion]\n"
		 "enabled = perhaps\n"			/* 6 */
		 "enabled = yes\n"			/* 7: duplicate */
		 "[scope]\n"
		 "include_comms = bash\n"
		 "exclude_comms = bash\n"		/* 10 */
		 "[weird]\n"
		 "x = 1\n",				/* 12 */
		 &errs);
	if (errs.nr != 7)
		print_errors(&errs);
	assert_int_equal(errs.nr, 7);
	assert_int_equal(errs.dropped, 0);
	/* in line order, whatever stage found them */
	assert_true(!strncmp(errs.err[0].text, NAME ":2: [hotness] decay:", 20));
	assert_true(!strncmp(errs.err[1].text, NAME ":3: syntax error", 20));
	assert_true(!strncmp(errs.err[2].text, NAME ":4: [hotness] bogus: unknown key", 30));
	assert_true(!strncmp(errs.err[3].text, NAME ":6: [promotion] enabled: 'perhaps'", 30));
	assert_true(!strncmp(errs.err[4].text, NAME ":7: [promotion] enabled: duplicate key", 30));
	assert_true(!strncmp(errs.err[5].text, NAME ":10: [scope] exclude_comms: 'bash' is also", 30));
	assert_true(!strncmp(errs.err[6].text, NAME ":12: [weird] x: unknown section", 30));
}

static void test_too_many_errors_are_counted(void **state)
{
	struct tierd_config_errors errs;
	char text[4096] = "[hotness]\n";
	int i;

	for (i = 0; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "unknown_%d = 1\n", i);
	load_bad(text, &errs);
	assert_int_equal(errs.nr, 32);
	assert_int_equal(errs.dropped, 8);
	assert_error(&errs, NAME ":2: [hotness] unknown_0: unknown key");
	assert_error(&errs, NAME ":33: [hotness] unknown_31: unknown key");
}

/* --- files ----------------------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64];
	struct tierd_config_errors errs;
	struct tierd_config c, pattern;
	static const char nul[] = "[hotness]\ndecay = 0.3\n\0decay = 0.9\n";
	int r;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tierd.conf", dir);

	memset(&c, 0x5a, sizeof(c));
	memcpy(&pattern, &c, sizeof(c));
	r = tierd_config_load(path, &c, &errs);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(errs.nr, 1);
	assert_memory_equal(&c, &pattern, sizeof(c));
	{
		char want[128];

		snprintf(want, sizeof(want), "%s: cannot read: %s", path,
			 strerror(ENOENT));
		assert_string_equal(errs.err[0].text, want);
	}

	r = tierd_config_load(dir, &c, &errs);
	assert_int_equal(r, -EISDIR);
	assert_int_equal(errs.nr, 1);
	assert_non_null(strstr(errs.err[0].text, ": cannot read: "));

	write_file(path, nul, sizeof(nul) - 1);
	r = tierd_config_load(path, &c, &errs);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(errs.nr, 1);
	assert_non_null(strstr(errs.err[0].text, ":3: NUL byte in file"));
	assert_memory_equal(&c, &pattern, sizeof(c));

	write_file(path, "[hotness]\ndecay = 0.3\n", 22);
	r = tierd_config_load(path, &c, &errs);
	assert_int_equal(r, 0);
	assert_int_equal(errs.nr, 0);
	assert_true(c.decay == 0.3);

	/* errors name the file by the path given */
	write_file(path, "[hotness]\ndecay = 3\n", 20);
	r = tierd_config_load(path, &c, &errs);
	assert_int_equal(r, -EINVAL);
	assert_true(!strncmp(errs.err[0].text, path, strlen(path)));
	assert_true(!strncmp(errs.err[0].text + strlen(path), ":2: [hotness] decay:", 20));

	unlink(path);
	rmdir(dir);
}

/* --- format ----------------------------------------------------------------- */

static void fill_non_default(struct tierd_config *c)
{
	unsigned int i;

	tierd_config_defaults(c);
	c->slow_auto = false;
	c->slow_mask = 0x8000000000000f0aULL;	/* 1,3,8-11,63 */
	c->fast_auto = false;
	c->fast_node = 0;
	c->src_private_node = TIERD_ON;
	c->src_soft_dirty = TIERD_OFF;
	c->rearm_interval_ms = 123;
	c->window_ms = 4567;
	c->decay = 0.1;				/* not exact in binary */
	c->threshold = 17;
	c->promote_score = 1.0 / 3.0;
	c->granule_kb = 2048;
	c->table_max_folios = 99999999;
	c->kernel_map_folios = 4321;
	c->promote_enabled = false;
	c->batch_pages = 65535;
	c->rate_limit_mbps = 0;
	c->min_free_mb = 16777216;
	c->cooldown_ms = 86400000;
	c->pingpong_backoff = 63;
	for (i = 0; i < TIERD_MAX_SCOPE_PIDS; i++) {
		c->include.pids[i] = 4194304 - i;
		c->exclude.pids[i] = i + 1;
	}
	c->include.nr_pids = c->exclude.nr_pids = TIERD_MAX_SCOPE_PIDS;
	for (i = 0; i < TIERD_MAX_SCOPE_COMMS; i++) {
		snprintf(c->include.comms[i], TIERD_COMM_LEN, "in-%012u", i);
		snprintf(c->exclude.comms[i], TIERD_COMM_LEN, "ex/%u", i);
	}
	c->include.nr_comms = c->exclude.nr_comms = TIERD_MAX_SCOPE_COMMS;
	/* the longest path a 200-byte inih line can carry after the key */
	for (i = 0; i < TIERD_MAX_SCOPE_CGROUPS; i++) {
		snprintf(c->include.cgroups[i], TIERD_CGROUP_LEN, "/in.slice/%02u-%0*u",
			 i, 179 - 13, 0);
		snprintf(c->exclude.cgroups[i], TIERD_CGROUP_LEN, "/ex.slice/app-%u.scope", i);
	}
	c->include.nr_cgroups = c->exclude.nr_cgroups = TIERD_MAX_SCOPE_CGROUPS;
	snprintf(c->socket_path, sizeof(c->socket_path), "/%0*d", TIERD_PATH_LEN - 2, 7);
	snprintf(c->stats_group, sizeof(c->stats_group), "tierd_stats$");
}

static void test_format_round_trip(void **state)
{
	static char buf[64 * 1024];
	struct tierd_config a, b;
	int n;

	fill_non_default(&a);
	assert_int_equal(strlen(a.include.cgroups[0]), 179);
	n = tierd_config_format(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(strlen(buf), (size_t)n);
	load_ok(buf, &b);
	assert_config_equal(&a, &b);

	/* and formatting the result again gives the same text */
	{
		static char again[64 * 1024];

		assert_int_equal(tierd_config_format(&b, again, sizeof(again)), n);
		assert_string_equal(buf, again);
	}

	tierd_config_defaults(&a);
	n = tierd_config_format(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "[hotness]\nwindow_ms = 2000\ndecay = 0.5\n"));
	load_ok(buf, &b);
	assert_config_equal(&a, &b);

	/* nodes: a single node and a full range */
	a.slow_auto = false;
	a.slow_mask = ~0ULL;
	a.fast_auto = true;
	n = tierd_config_format(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "slow = 0-63\n"));
	load_ok(buf, &b);
	assert_config_equal(&a, &b);
}

static void test_format_enospc(void **state)
{
	struct tierd_config c;
	char buf[4096];
	int full;

	tierd_config_defaults(&c);
	full = tierd_config_format(&c, buf, sizeof(buf));
	assert_true(full > 0);
	assert_int_equal(tierd_config_format(&c, buf, full), -ENOSPC);
	assert_int_equal(tierd_config_format(&c, buf, full + 1), full);
	assert_int_equal(tierd_config_format(&c, buf, 0), -ENOSPC);
}

/*
 * Deterministic mutations of a valid file (fixed seed, no timing): every
 * outcome is either a clean load or -EINVAL with errors that all name the
 * file and a line, and @out untouched.
 */
static void test_mutations(void **state)
{
	static const char alphabet[] = "=[],; \n\t#-./0123456789aeoxz";
	static char base[64 * 1024], text[64 * 1024 + 8];
	struct tierd_config_errors errs;
	struct tierd_config cfg, out, pattern;
	uint32_t seed = 12345;
	size_t len, pos;
	unsigned int i, j, ok = 0, bad = 0;
	int r;

	fill_non_default(&cfg);
	cfg.include.nr_cgroups = 2;
	assert_true(tierd_config_format(&cfg, base, sizeof(base)) > 0);
	memset(&pattern, 0xa5, sizeof(pattern));
	for (i = 0; i < 3000; i++) {
		strcpy(text, base);
		len = strlen(text);
		for (j = 0; j < 1 + i % 3; j++) {
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 8) % len;
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % 3) {
			case 0:		/* replace */
				text[pos] = alphabet[(seed >> 4) % (sizeof(alphabet) - 1)];
				break;
			case 1:		/* delete */
				memmove(text + pos, text + pos + 1, len - pos);
				len--;
				break;
			default:	/* insert */
				memmove(text + pos + 1, text + pos, len - pos + 1);
				text[pos] = alphabet[(seed >> 4) % (sizeof(alphabet) - 1)];
				len++;
				break;
			}
		}
		memcpy(&out, &pattern, sizeof(out));
		r = tierd_config_load_string(NAME, text, &out, &errs);
		if (r == 0) {
			assert_int_equal(errs.nr, 0);
			ok++;
			continue;
		}
		assert_int_equal(r, -EINVAL);
		assert_true(errs.nr > 0);
		assert_memory_equal(&out, &pattern, sizeof(out));
		for (j = 0; j < errs.nr; j++)
			if (strncmp(errs.err[j].text, NAME ":", strlen(NAME) + 1) ||
			    errs.err[j].text[strlen(NAME) + 1] < '1' ||
			    errs.err[j].text[strlen(NAME) + 1] > '9')
				fail_msg("error without file:line: %s", errs.err[j].text);
		bad++;
	}
	/* the mutations must exercise both outcomes */
	assert_true(ok > 0);
	assert_true(bad > 0);
}

/* ---- regressions found by tests/fuzz/fuzz_config ---- */

/*
 * A lone '\r' (or any control byte) inside a value was copied into the
 * error text, splitting the log line or driving the terminal.
 */
static void test_fuzz_error_text_printable(void **state)
{
	struct tierd_config_errors errs;
	const char *p;

	load_bad("[promotion]\r\nenabled = maybe\renabled = \n"
		 "[hotness]\ndecay = \x1b[2J\x7f\n", &errs);
	assert_int_equal(errs.nr, 2);
	assert_error(&errs, NAME ":2: [promotion] enabled: 'maybe?enabled =' is not a boolean");
	assert_error(&errs, NAME ":4: [hotness] decay: '?[2J?' is not a number");
	for (unsigned int i = 0; i < errs.nr; i++)
		for (p = errs.err[i].text; *p; p++)
			assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
}

/*
 * A comm name starting with ';' (legal, loadable as "a,;b") was formatted
 * as "a ;b", which inih reads as "a" and a comment: the config verb and
 * the round trip lost the name.
 */
static void test_fuzz_format_comm_semicolon(void **state)
{
	static char buf[64 * 1024];
	struct tierd_config a, b;

	load_ok("[scope]\ninclude_comms =;x,a,;b\nexclude_comms = c,;d,e\n"
		"exclude_comms = f,g,h,;i,;j\n", &a);
	assert_int_equal(a.include.nr_comms, 3);
	assert_string_equal(a.include.comms[0], ";x");
	assert_string_equal(a.include.comms[2], ";b");
	assert_int_equal(a.exclude.nr_comms, 8);
	assert_true(tierd_config_format(&a, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "include_comms =;x a,;b\n"));
	/* ";i" opens the second line of exclude_comms (6 names a line) */
	assert_non_null(strstr(buf, "exclude_comms = c,;d e f g h\nexclude_comms =;i,;j\n"));
	load_ok(buf, &b);
	assert_config_equal(&a, &b);
}

/*
 * "exclude_cgroups=PATH" fits a 181-character path in inih's 197-character
 * line; the formatter added " = " and wrote a line inih refuses, so the
 * config verb's output did not load back.
 */
static void test_fuzz_format_long_cgroup_line(void **state)
{
	static char text[512], buf[64 * 1024], line[256];
	struct tierd_config a, b;
	char path[200];

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[181] = '\0';
	snprintf(text, sizeof(text), "[scope]\nexclude_cgroups=%s\n"
		 "include_cgroups = %.179s\n", path, path);
	load_ok(text, &a);
	assert_int_equal(strlen(a.exclude.cgroups[0]), 181);
	assert_true(tierd_config_format(&a, buf, sizeof(buf)) > 0);
	/* the path that fits with spaces keeps them */
	snprintf(line, sizeof(line), "\nexclude_cgroups=%s\n", path);
	assert_non_null(strstr(buf, line));
	snprintf(line, sizeof(line), "\ninclude_cgroups = %.179s\n", path);
	assert_non_null(strstr(buf, line));
	load_ok(buf, &b);
	assert_config_equal(&a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_shipped_conf_is_defaults),
		cmocka_unit_test(test_shipped_conf_uncommented_is_defaults),
		cmocka_unit_test(test_man_page_documents_every_key),
		cmocka_unit_test(test_man_page_names_only_known_keys),
		cmocka_unit_test(test_table_defaults_load),
		cmocka_unit_test(test_format_writes_every_key),
		cmocka_unit_test(test_values_parse),
		cmocka_unit_test(test_bool_spellings),
		cmocka_unit_test(test_layout_tolerance),
		cmocka_unit_test(test_err_unknown_section),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_key_outside_section),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_bad_number),
		cmocka_unit_test(test_err_out_of_range),
		cmocka_unit_test(test_err_bad_enum_bool),
		cmocka_unit_test(test_err_bad_list_item),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_long_line),
		cmocka_unit_test(test_err_contradictions),
		cmocka_unit_test(test_texts_from_table),
		cmocka_unit_test(test_every_source_off),
		cmocka_unit_test(test_promote_score_below_bound),
		cmocka_unit_test(test_no_contradiction_from_bad_value),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_too_many_errors_are_counted),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_enospc),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_fuzz_error_text_printable),
		cmocka_unit_test(test_fuzz_format_comm_semicolon),
		cmocka_unit_test(test_fuzz_format_long_cgroup_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
