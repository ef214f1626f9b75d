// SPDX-License-Identifier: GPL-2.0
/*
 * Reading tierd.conf.  inih does the INI syntax; around it this file has
 * a reader callback that numbers lines (Debian's libinih has no
 * INI_HANDLER_LINENO), rejects lines that do not fit inih's buffer instead
 * of letting it split them, and strips indentation so inih's multi-line
 * continuation never applies; and a handler that finds each key in the
 * table and hands its value to values.c.  Everything lands in a private
 * struct that is copied to the caller only when no error was found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config/internal.h"

/* A config file is a page or two; anything this big is a mistake. */
#define CONFIG_MAX_BYTES	(1024 * 1024)

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
		cfg_add_error(ctx, ctx->lineno,
			      "%s:%u: line too long (%zu characters, at most %d)",
			      ctx->name, ctx->lineno, content,
			      num < 3 ? 0 : num - 3);
		strcpy(str, num >= 2 ? "\n" : "");
		return str;
	}
	while (content && cfg_is_blank(*p)) {
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
			while (cfg_is_blank(*close))
				close++;
			if (*close != '\n' && *close != ';' && *close != '#')
				cfg_add_error(ctx, ctx->lineno,
					      "%s:%u: syntax error (text after [section] header)",
					      ctx->name, ctx->lineno);
		}
	}
	return str;
}

static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct parse_ctx *ctx = user;
	unsigned int line = ctx->lineno;
	char known[256];
	int id;

	if (!*section) {
		cfg_add_error(ctx, line, "%s:%u: %s: key before any [section]",
			      ctx->name, line, name);
		return 1;
	}
	if (!cfg_section_known(section)) {
		/* one report per section, not one per key in it */
		if (strcmp(ctx->unknown_section, section)) {
			snprintf(ctx->unknown_section, sizeof(ctx->unknown_section),
				 "%s", section);
			cfg_known_sections(known, sizeof(known));
			cfg_key_error(ctx, line, section, name,
				      "unknown section [%s] (known: %s)", section, known);
		}
		return 1;
	}
	ctx->unknown_section[0] = '\0';

	id = cfg_key_find(section, name);
	if (id < 0) {
		cfg_keys_of_section(section, known, sizeof(known));
		cfg_key_error(ctx, line, section, name,
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
	cfg_parse_value(ctx, line, id, value);
	/* 0 would only make inih call this line its first syntax error */
	return 1;
}

int tierd_config_load_string(const char *name, const char *text,
			     struct tierd_config *out,
			     struct tierd_config_errors *errs)
{
	struct {
		struct parse_ctx ctx;
		struct tierd_config cfg;
	} *work;
	struct parse_ctx *ctx;
	const char *l;
	int r, ret;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	work = calloc(1, sizeof(*work));
	if (!work)
		return -ENOMEM;
	ctx = &work->ctx;
	ctx->cfg = &work->cfg;
	ctx->name = name;
	ctx->text = text;
	ctx->pos = text;
	ctx->errs = errs;
	tierd_config_defaults(ctx->cfg);

	r = ini_parse_stream(config_reader, ctx, config_handler, ctx);
	if (r < 0) {
		cfg_add_error(ctx, 0, "%s: out of memory while parsing", name);
		ret = -ENOMEM;
		goto out;
	}
	if (r > 0) {
		l = find_line(text, (unsigned int)r);
		cfg_add_error(ctx, (unsigned int)r,
			      "%s:%d: syntax error (expected key = value or [section]%s)",
			      name, r, l && cfg_is_blank(*l) ?
			      "; continuation lines are not supported" : "");
	}
	cfg_check(ctx);

	cfg_sort_errors(ctx);
	if (ctx->nr_errors) {
		ret = -EINVAL;
		goto out;
	}
	*out = *ctx->cfg;
	ret = 0;
out:
	free(work);
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
