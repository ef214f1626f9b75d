/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one BPF object every BPF source shares (bpf/tierd.bpf.c through its
 * skeleton): the per-window aggregation map, the ring buffer, the
 * tracked-tgid map, the per-source counters and the tunables.  Sources pick
 * and attach their own programs; this module owns everything they share.
 */
#ifndef TIERD_SOURCES_BPF_OBJ_H
#define TIERD_SOURCES_BPF_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/tierd.h"
#include "config/config.h"

struct bpf_obj;
struct bpf_program;
struct bpf_link;
struct tierd_bpf;

/* Called for every ring buffer record, from bpf_obj_consume(). */
typedef void (*bpf_record_fn)(void *ctx, const struct tierd_event *ev);

/* Check the tunables the object takes from @cfg.  0 or -EINVAL + @err. */
int bpf_obj_check_config(const struct tierd_config *cfg, char *err,
			 size_t errlen);

/*
 * Open the object and size its maps from @cfg; every program starts with
 * autoload off, so a source turns on exactly its own.  0 or -errno + @err.
 */
int bpf_obj_open(const struct tierd_config *cfg, struct bpf_obj **out,
		 char *err, size_t errlen);
/* The skeleton, for a source to reach its programs and links. */
struct tierd_bpf *bpf_obj_skel(struct bpf_obj *b);
/* Load the selected programs and set up the ring buffer reader. */
int bpf_obj_load(struct bpf_obj *b, bpf_record_fn fn, void *fn_ctx,
		 char *err, size_t errlen);
void bpf_obj_close(struct bpf_obj *b);

/* Attach @prog, keeping the link in *@link.  0 or -errno. */
int bpf_obj_attach(struct bpf_program *prog, struct bpf_link **link);
/* Add @prog's run count and time (kernel.bpf_stats_enabled) to the sums. */
void bpf_obj_prog_stats(struct bpf_program *prog, uint64_t *run_cnt,
			uint64_t *run_time_ns);

/* Ring buffer epoll fd, or -1 before bpf_obj_load(). */
int bpf_obj_ring_fd(const struct bpf_obj *b);
/*
 * Drain the ring buffer: at most @budget records and about @max_us
 * (0: no limit for either).  Returns the records handed over, or -errno
 * (logged here); *@cut says a bound stopped it.
 */
int bpf_obj_consume(struct bpf_obj *b, unsigned int budget,
		    unsigned int max_us, bool *cut);

/*
 * Apply window/threshold/granule of a reload; a granule change empties the
 * aggregation map, whose keys carry the old alignment.  0 or -errno.
 */
int bpf_obj_reconfigure(struct bpf_obj *b, const struct tierd_config *cfg);

/*
 * Replace the tracked tgids.  @filter false lets the private-node program
 * accept every tgid.  0, or -errno (logged here, with the tgid).
 */
int bpf_obj_set_tracked(struct bpf_obj *b, const pid_t *tgids, size_t n,
			bool filter);

/* Faults per window that make a record of @src (default: [hotness] threshold). */
void bpf_obj_set_threshold(struct bpf_obj *b, enum tierd_source src,
			   uint32_t faults);

/* Sum the per-CPU counters: @sum has TIERD_COUNTERS_NR entries. */
void bpf_obj_read_counters(const struct bpf_obj *b, uint64_t *sum);

#endif /* TIERD_SOURCES_BPF_OBJ_H */
