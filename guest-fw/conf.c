// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: its configuration read, line by line.  Each line is split into
 * words and handed to its directive at once: a directive acts as it is
 * read (a module is loaded before the next line is).  '#' starts a
 * comment.  A line of over FW_MAX_LINE - 2 bytes or FW_MAX_ARGS words, or
 * holding a NUL byte, is refused whole, so that no part of one is taken
 * for a directive.  A line refused and an unknown directive are reported
 * and counted; the rest of the configuration still applies.
 */

#include <stdio.h>
#include <string.h>

#include "fw.h"

/* The words of @line into @argv (NULL after the last); -1 if too many. */
static int fw_conf_words(char *line, char **argv)
{
	char *hash, *save, *word;
	int argc = 0;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (word = strtok_r(line, FW_SPACE, &save); word;
	     word = strtok_r(NULL, FW_SPACE, &save)) {
		if (argc == FW_MAX_ARGS)
			return -1;
		argv[argc++] = word;
	}
	argv[argc] = NULL;
	return argc;
}

static const struct fw_directive *fw_conf_find(const struct fw_directive *dirs,
					       const char *name)
{
	for (; dirs->name; dirs++)
		if (!strcmp(dirs->name, name))
			return dirs;
	return NULL;
}

/*
 * The next line of @f, its newline taken off, into @line (FW_MAX_LINE
 * bytes).  Return: its length; -1 at the end of @f; -2 for a line of over
 * FW_MAX_LINE - 2 bytes, -3 for one holding a NUL byte: read to its end
 * all the same, so that no tail of it is taken for a line.
 */
static int fw_conf_line(FILE *f, char *line)
{
	int c, len = 0, bad = 0;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			bad = -3;
		else if (len == FW_MAX_LINE - 2)
			bad = bad ?: -2;
		else
			line[len++] = c;
	}
	line[len] = '\0';
	if (c == EOF && !len && !bad)
		return -1;
	return bad ?: len;
}

/**
 * fw_conf_read - apply a configuration
 * @fw: what the directives fill in; its errors are counted there
 * @f: the configuration
 * @path: its name, for messages
 * @dirs: the directives, up to one without a name
 */
void fw_conf_read(struct fw *fw, FILE *f, const char *path,
		  const struct fw_directive *dirs)
{
	char line[FW_MAX_LINE], *argv[FW_MAX_ARGS + 1];
	const struct fw_directive *d;
	int len, argc;

	while ((len = fw_conf_line(f, line)) != -1) {
		if (len == -2) {
			fw_log("%s: a line of over %d bytes", path,
			       FW_MAX_LINE - 2);
			fw->errors++;
			continue;
		}
		if (len == -3) {
			fw_log("%s: a line with a NUL byte", path);
			fw->errors++;
			continue;
		}
		argc = fw_conf_words(line, argv);
		if (argc < 0) {
			fw_log("%s: a line of over %d words", path,
			       FW_MAX_ARGS);
			fw->errors++;
			continue;
		}
		if (!argc)
			continue;
		d = fw_conf_find(dirs, argv[0]);
		if (d) {
			d->apply(fw, argv, argc);
		} else {
			fw_log("%s: unknown directive '%s'", path, argv[0]);
			fw->errors++;
		}
	}
}
