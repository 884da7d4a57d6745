// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: zoc-fw's configuration reader (guest-fw/conf.c),
 * built with AddressSanitizer and UndefinedBehaviorSanitizer.  The input
 * is a configuration file; the directives are this file's, under the
 * names zoc-fw gives its own, and only record what they are handed.
 *
 * Invariants: a directive is handed between 1 and FW_MAX_ARGS words,
 * NULL after the last; a word is not empty and holds no separator and no
 * '#'; the words come from one line of at most FW_MAX_LINE - 2 bytes
 * without a NUL, in its order; such a line with an unknown directive or
 * too many words, and every other line, are counted as errors, and
 * nothing else is.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const names[] = {
	"module", "uplink", "run", "service", "hotplug", "control", "command",
};

static const uint8_t *conf;	/* the input, while it is read */
static size_t conf_len;

void fw_log(const char *fmt, ...)
{
}

/*
 * Each line of the input in turn, and whether the reader must take it:
 * at most FW_MAX_LINE - 2 bytes and no NUL.  *@start is 0 to begin.
 */
static bool next_line(const uint8_t **start, const uint8_t **end, bool *ok)
{
	const uint8_t *stop = conf + conf_len, *nl;

	*start = *start ? *end + 1 : conf;
	if (*start >= stop)
		return false;
	nl = memchr(*start, '\n', stop - *start);
	*end = nl ?: stop;
	*ok = *end - *start <= FW_MAX_LINE - 2 &&
	      !memchr(*start, '\0', *end - *start);
	return true;
}

/* The words @argv, in order, within one line of the input it takes. */
static void check_line(char **argv, int argc)
{
	const uint8_t *start = NULL, *end, *at;
	size_t len;
	bool ok;
	int i;

	while (next_line(&start, &end, &ok)) {
		at = start;
		for (i = 0; ok && i < argc; i++) {
			len = strlen(argv[i]);
			at = memmem(at, end - at, argv[i], len);
			if (!at)
				break;
			at += len;
		}
		if (ok && i == argc)
			return;
	}
	abort();
}

static void apply(struct fw *fw, char **argv, int argc)
{
	int i;

	if (argc < 1 || argc > FW_MAX_ARGS || argv[argc])
		abort();
	for (i = 0; i < argc; i++)
		if (!argv[i][0] || strpbrk(argv[i], FW_SPACE "#"))
			abort();
	check_line(argv, argc);
}

static const struct fw_directive dirs[] = {
	{ "module", apply }, { "uplink", apply }, { "run", apply },
	{ "service", apply }, { "hotplug", apply }, { "control", apply },
	{ "command", apply }, { }
};

static bool space(uint8_t c)
{
	return c && strchr(FW_SPACE, c);
}

/* What the reader must count as errors: a model of its rules. */
static unsigned int expected_errors(void)
{
	const uint8_t *start = NULL, *end, *p, *word = NULL;
	unsigned int errors = 0, words, i;
	size_t first = 0;
	bool ok, known;

	while (next_line(&start, &end, &ok)) {
		if (!ok) {
			errors++;
			continue;
		}
		words = 0;
		for (p = start; p < end && *p != '#'; p++) {
			if (space(*p) || (p > start && !space(p[-1])))
				continue;
			if (!words++) {
				word = p;
				for (first = 0; p + first < end &&
				     p[first] != '#' && !space(p[first]); first++)
					;
			}
		}
		known = false;
		for (i = 0; words && i < ARRAY_SIZE(names); i++)
			known |= strlen(names[i]) == first &&
				 !memcmp(word, names[i], first);
		errors += words > FW_MAX_ARGS || (words && !known);
	}
	return errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw fw = { 0 };
	FILE *f;

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	conf = data;
	conf_len = size;
	fw_conf_read(&fw, f, "fuzz.conf", dirs);
	fclose(f);
	if (fw.errors != expected_errors())
		abort();
	return 0;
}
