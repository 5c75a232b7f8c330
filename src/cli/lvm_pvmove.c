/* pvmove: the command around lvm/pvmove.c, as lvm2's pvmove and its
 * polldaemon: start a move (or find the one in progress for the PV),
 * report "PV: Moved: N%" every --interval seconds, checkpoint each
 * segment as it is in sync, finish; --abort ends a move where it is;
 * without a PV, every move in progress is taken up again. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/lvm_cmds.h"
#include "common/args.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/pvmove.h"

/* lvm2's display_percent: never 0.00 or 100.00 unless exactly so. */
static double shown(double p)
{
	if (p > 0 && p < 0.01)
		return 0.01;
	if (p > 99.99 && p < 100)
		return 99.99;
	return p;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Poll the move @mvname of VG @vgname until it is done. */
static int poll_move(struct lvm_cmd *c, struct dmctl *d, const char *vgname, const char *mvname, const char *src,
		     double interval)
{
	double last = -1e9;
	bool done = false;

	while (!done) {
		struct vgh h = { .lock_fd = -1 };
		struct err e = { { 0 } };
		struct vg_lv *mv;
		double pct = 0;
		int r;

		if (lvm_vg_read(&c->env, vgname, &h, &e))
			return lvm_fail("%s", e.msg);
		if (!(mv = vg_find_lv(h.vg, mvname))) {
			lvm_vg_release(&h);
			printf("  %s: No pvmove in progress - already finished or aborted.\n", src);
			return 0;
		}
		r = pvmove_poll(&c->env, &h, d, mv, &pct, &done, &e);
		if (!r && done)
			r = pvmove_finish(&c->env, &h, d, vg_find_lv(h.vg, mvname), &e);
		lvm_vg_release(&h);
		if (r == -ENODEV) {
			printf("  %s: %s\n", src, e.msg);
			return 0;
		}
		if (r)
			return lvm_fail("%s: %s", src, e.msg);
		if (interval > 0 && (done || now_s() - last >= interval)) {
			printf("  %s: Moved: %.2f%%\n", src, done ? 100.0 : shown(pct < 100 ? pct : 99.995));
			fflush(stdout);
			last = now_s();
		}
		if (!done)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return 0;
}

/* The PV path of a "PATH[:PE-PE...]" argument, in @out. */
static void pv_path(const char *arg, char *out, size_t size)
{
	size_t n = strcspn(arg, ":");

	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), arg);
}

int lvm_pvmove(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct dmctl d = { 0 };
	const char **names = NULL;
	unsigned nvg = 0, found = 0;
	double interval = 15;
	char src[PATH_MAX] = "", real[PATH_MAX];
	int ret = 0, r;

	if (opt_set(c, C_INTERVAL)) {
		const char *v = opt_val(c, C_INTERVAL);
		uint32_t n;

		if (parse_u32(v + (*v == '+'), &n))
			return lvm_fail("Invalid argument for --interval: %s", v);
		interval = n;
	}
	if ((r = lvm_setup(c, true)))
		return r;
	if (!opt_set(c, C_ABORT) && !lvm_daemon_up(c, &d))
		return lvm_fail("pvmove needs ulvmd to copy the extents: %s", d.why.msg);
	if (argc)
		pv_path(argv[0], src, sizeof(src));
	if (argc && lvm_canon_path(src, real, sizeof(real)))
		return lvm_fail("Failed to find physical volume \"%s\".", src);
	if (lvm_vg_names(&c->env, &names, &nvg, &e))
		return lvm_fail("%s", e.msg);
	for (unsigned i = 0; i < nvg; i++) {
		struct vgh h = { .lock_fd = -1 };
		struct vg_pv *pv = NULL;
		struct vg_lv *mv;
		char mvname[LVM_NAME_LEN], vgname[LVM_NAME_LEN], shown_src[PATH_MAX];

		if (lvm_vg_read(&c->env, names[i], &h, &e)) {
			e.msg[0] = 0;
			continue;
		}
		if (argc && !(pv = vg_find_pv_path(h.vg, real))) {
			lvm_vg_release(&h);
			continue;
		}
		found++;
		snprintf(vgname, sizeof(vgname), "%s", h.vg->name);
		mv = pvmove_find(h.vg, pv);
		if (!mv && (!argc || opt_set(c, C_ABORT))) {
			if (argc)
				printf("  %s: No pvmove in progress - already finished or aborted.\n", src);
			lvm_vg_release(&h);
			continue;
		}
		if (mv) {
			struct vg_pv *sp = pvmove_source(mv);

			snprintf(shown_src, sizeof(shown_src), "%s", argc ? src : sp && sp->path ? sp->path : "[unknown]");
			snprintf(mvname, sizeof(mvname), "%s", mv->name);
			if (opt_set(c, C_ABORT)) {
				r = pvmove_finish(&c->env, &h, &d, mv, &e);
				lvm_vg_release(&h);
				if (r)
					ret = lvm_fail("%s", e.msg);
				continue;
			}
			printf("  Detected pvmove in progress for %s.\n", shown_src);
			if (argc > 1 || opt_set(c, C_NAME))
				printf("  WARNING: Ignoring remaining command line arguments.\n");
			if (!lv_dm_active(&d, h.vg, mv) && (r = pvmove_activate(&c->env, &h, &d, mv, &e))) {
				lvm_vg_release(&h);
				ret = lvm_fail("ABORTING: Temporary mirror activation failed. (%s)", e.msg);
				continue;
			}
		} else {
			struct alloc_range *sr = NULL, *dr = NULL;
			unsigned nsr = 0, ndr = 0;
			struct pvmove_req req = { .src = pv, .lv_name = opt_set(c, C_NAME) ? opt_val(c, C_NAME) : NULL,
						  .atomic = opt_set(c, C_ATOMIC) };

			if (strchr(argv[0], ':') && alloc_parse_pv_arg(h.vg, argv[0], &sr, &nsr, &e)) {
				lvm_vg_release(&h);
				free(names);
				return lvm_fail("%s", e.msg);
			}
			for (int a = 1; a < argc; a++)
				if (alloc_parse_pv_arg(h.vg, argv[a], &dr, &ndr, &e)) {
					lvm_vg_release(&h);
					free(sr);
					free(names);
					return lvm_fail("%s", e.msg);
				}
			if (req.lv_name && strchr(req.lv_name, '/'))
				req.lv_name = strchr(req.lv_name, '/') + 1;
			req.src_ranges = sr;
			req.nsrc = nsr;
			req.dst = dr;
			req.ndst = ndr;
			r = pvmove_start(&c->env, &h, &d, &req, stdout, &mv, &e);
			free(sr);
			free(dr);
			if (r) {
				lvm_vg_release(&h);
				ret = lvm_fail("%s", e.msg);
				continue;
			}
			snprintf(mvname, sizeof(mvname), "%s", mv->name);
			snprintf(shown_src, sizeof(shown_src), "%s", src);
		}
		lvm_vg_release(&h);
		if ((r = poll_move(c, &d, vgname, mvname, shown_src, interval)))
			ret = r;
	}
	free(names);
	if (argc && !found)
		ret = lvm_fail("Physical volume %s not in any volume group.", src);
	dmctl_close(&d);
	return ret;
}
