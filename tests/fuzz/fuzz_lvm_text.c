/* libFuzzer: the LVM text-format parser and emitter (src/lvm/config*.c).
 * Any input is parsed or refused with a message, never crashes or leaks;
 * what parses is emitted (mda and backup layouts), and the emitted text
 * parses back to the same tree and emits the same bytes again.  The same
 * bytes as a --config argument (cfg_parse_settings, NUL-terminated). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/config.h"
#include "lvm/vgtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(struct cfg_tree *t, unsigned flags)
{
	struct err e = { { 0 } };
	struct cfg_tree *t2;
	char *o1, *o2;
	size_t l1, l2;

	if (cfg_emit(t, flags, &o1, &l1, &e))
		abort();
	if (strlen(o1) != l1)
		abort(); /* no NUL inside what we emit */
	if (cfg_parse(o1, l1, &t2, &e))
		abort(); /* we emitted what we cannot read */
	if (!cfg_equal(t, t2))
		abort();
	if (cfg_emit(t2, flags, &o2, &l2, &e))
		abort();
	if (l1 != l2 || memcmp(o1, o2, l1))
		abort();
	free(o1);
	free(o2);
	cfg_tree_free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { { 0 } };
	struct vgtext_summary s;
	struct cfg_tree *t;

	if (!cfg_parse((const char *)data, size, &t, &e)) {
		round_trip(t, 0);
		round_trip(t, CFG_EMIT_INDENT);
		cfg_tree_free(t);
	} else if (!e.msg[0]) {
		abort(); /* every refusal says why */
	}
	/* --config: the text up to its first NUL */
	{
		char *str = malloc(size + 1);

		if (!str)
			return 0;
		memcpy(str, data, size);
		str[size] = 0;
		err_clear(&e);
		if (!cfg_parse_settings(str, &t, &e)) {
			round_trip(t, 0);
			cfg_tree_free(t);
		} else if (!e.msg[0]) {
			abort();
		}
		free(str);
	}
	/* The scan path: name check, parse, envelope, seqno and id. */
	err_clear(&e);
	if (!vgtext_summarize((const char *)data, size, &s, &e))
		cfg_tree_free(s.tree);
	else if (!e.msg[0])
		abort();
	return 0;
}
