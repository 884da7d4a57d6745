/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fuzzer's input read as a script: big-endian numbers taken from the
 * front, zeros once it is used up.
 */
#ifndef _ZOC_FUZZ_INPUT_H
#define _ZOC_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *data;
	size_t left;
};

/* The next @n bytes (at most 4), as a number. */
static inline uint32_t take(struct input *in, size_t n)
{
	uint32_t v = 0;

	while (n-- && in->left) {
		v = v << 8 | *in->data++;
		in->left--;
	}
	return v;
}

static inline void skip(struct input *in, size_t n)
{
	n = n < in->left ? n : in->left;
	in->data += n;
	in->left -= n;
}

#endif /* _ZOC_FUZZ_INPUT_H */
