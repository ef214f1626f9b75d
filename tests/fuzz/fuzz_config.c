// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as tierd.conf.
 *
 * Invariants checked on every input:
 *  - tierd_config_load_string() returns 0 or -EINVAL (-ENOMEM only with
 *    its own message), and leaves @out untouched on failure;
 *  - a failure lists at least one error and every error reads
 *    "fuzz.conf:LINE: ..." with LINE inside the input, on one line;
 *  - a success round-trips: tierd_config_format() then load_string()
 *    gives an identical struct and formats to identical text;
 *  - tierd_config_load() on the same bytes in a file agrees with
 *    load_string(), and names the line of a NUL byte.
 * ASan/UBSan/LeakSanitizer turn any memory error into a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"

#define NAME "fuzz.conf"
#define FORMAT_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int count_lines(const char *text)
{
	unsigned int n = 1;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* "NAME:LINE: reason" with 1 <= LINE <= @max_line, no newline. */
static void check_error_text(const char *text, unsigned int max_line)
{
	const char *p = text;
	unsigned long line;
	char *end;

	if (strncmp(p, NAME ":", strlen(NAME ":"))) {
		fprintf(stderr, "error without file name: '%s'\n", text);
		abort();
	}
	p += strlen(NAME ":");
	line = strtoul(p, &end, 10);
	if (end == p || *end != ':' || line < 1 || line > max_line) {
		fprintf(stderr, "error without a valid line (max %u): '%s'\n",
			max_line, text);
		abort();
	}
	for (p = text; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "control character 0x%02x in error: '%s'\n",
				(unsigned char)*p, text);
			abort();
		}
	}
}

static void check_errors(const struct tierd_config_errors *errs, int r,
			 unsigned int max_line)
{
	unsigned int i;

	if (r != -EINVAL && r != -ENOMEM) {
		fprintf(stderr, "load returned %d\n", r);
		abort();
	}
	if (errs->nr == 0 || errs->nr > sizeof(errs->err) / sizeof(errs->err[0])) {
		fprintf(stderr, "failure with %u errors\n", errs->nr);
		abort();
	}
	if (r == -ENOMEM)
		return;
	for (i = 0; i < errs->nr; i++)
		check_error_text(errs->err[i].text, max_line);
}

static void check_round_trip(const struct tierd_config *cfg)
{
	struct tierd_config_errors *errs = malloc(sizeof(*errs));
	struct tierd_config *again = malloc(sizeof(*again));
	char *text = malloc(FORMAT_MAX), *text2 = malloc(FORMAT_MAX);
	int n, n2, r;

	if (!errs || !again || !text || !text2)
		abort();
	n = tierd_config_format(cfg, text, FORMAT_MAX);
	if (n < 0 || (size_t)n != strlen(text)) {
		fprintf(stderr, "format failed: %d\n", n);
		abort();
	}
	memset(again, 0, sizeof(*again));
	r = tierd_config_load_string(NAME, text, again, errs);
	if (r) {
		fprintf(stderr, "formatted config does not load (%d): %s\n%s",
			r, errs->nr ? errs->err[0].text : "", text);
		abort();
	}
	if (memcmp(cfg, again, sizeof(*cfg))) {
		fprintf(stderr, "round trip changed the config:\n%s", text);
		abort();
	}
	n2 = tierd_config_format(again, text2, FORMAT_MAX);
	if (n2 != n || strcmp(text, text2)) {
		fprintf(stderr, "format is not stable:\n%s\n---\n%s", text, text2);
		abort();
	}
	free(text2);
	free(text);
	free(again);
	free(errs);
}

/* The file loader must agree with load_string and catch NUL bytes. */
static void check_file_load(const uint8_t *data, size_t size, int r_string,
			    const struct tierd_config *cfg_string)
{
	struct tierd_config_errors *errs = malloc(sizeof(*errs));
	struct tierd_config *cfg = malloc(sizeof(*cfg));
	char path[64], want[64];
	const uint8_t *nul;
	unsigned int line = 1;
	size_t i;
	int fd, r;

	if (!errs || !cfg)
		abort();
	fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(cfg, 0, sizeof(*cfg));
	r = tierd_config_load(path, cfg, errs);
	nul = memchr(data, '\0', size);
	if (nul) {
		for (i = 0; data + i < nul; i++)
			line += data[i] == '\n';
		snprintf(want, sizeof(want), "%s:%u: NUL byte", path, line);
		if (r != -EINVAL || errs->nr != 1 ||
		    strncmp(errs->err[0].text, want, strlen(want))) {
			fprintf(stderr, "NUL at line %u: %d '%s'\n", line, r,
				errs->nr ? errs->err[0].text : "");
			abort();
		}
	} else if (r != r_string ||
		   (!r && memcmp(cfg, cfg_string, sizeof(*cfg)))) {
		fprintf(stderr, "load %d and load_string %d disagree\n", r,
			r_string);
		abort();
	}
	close(fd);
	free(cfg);
	free(errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tierd_config_errors *errs = malloc(sizeof(*errs));
	struct tierd_config *cfg = malloc(sizeof(*cfg));
	struct tierd_config *untouched = malloc(sizeof(*untouched));
	char *text = malloc(size + 1);
	int r;

	if (!errs || !cfg || !untouched || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(untouched, 0xa5, sizeof(*untouched));
	memcpy(cfg, untouched, sizeof(*cfg));

	r = tierd_config_load_string(NAME, text, cfg, errs);
	if (r) {
		check_errors(errs, r, count_lines(text));
		if (memcmp(cfg, untouched, sizeof(*cfg))) {
			fprintf(stderr, "failed load changed the output\n");
			abort();
		}
	} else {
		if (errs->nr || errs->dropped) {
			fprintf(stderr, "success with %u errors\n", errs->nr);
			abort();
		}
		check_round_trip(cfg);
	}
	check_file_load(data, size, r, cfg);

	free(text);
	free(untouched);
	free(cfg);
	free(errs);
	return 0;
}
