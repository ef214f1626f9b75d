/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface every access source implements, one module per source
 * (sources/<name>.c), listed once in sources/registry.c.  The collector
 * (sources/collector.c) walks the registry and never branches on a
 * source's name: it asks each source whether the config wants it and the
 * kernel can feed it, lets the BPF ones pick their programs in the shared
 * object, opens them, re-arms them every tick and gathers their stats.
 *
 * A source either produces records through the shared BPF object's ring
 * buffer or hands them to the collector with source_emit(); both end in
 * the same per-folio record (struct tierd_event) and the same hotness table.
 */
#ifndef TIERD_SOURCES_SOURCE_H
#define TIERD_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/tierd.h"
#include "config/config.h"
#include "os/probe.h"
#include "stats/stats.h"

struct bpf_obj;
struct source;

/* A process in scope, as the pipeline sees it (sorted by pid). */
struct source_proc {
	pid_t pid;
	bool slow;		/* holds memory on a slow node */
};

/*
 * A process handing a source its own tracking descriptor (the `track`
 * request).  The connection's credentials say who sent it; the source
 * proves the descriptor is that process's before it keeps it.
 */
struct source_adopt {
	pid_t pid;		/* SO_PEERCRED of the connection */
	uid_t uid;
	int fd;			/* as received: duplicate it to keep it */
	int peer_fdno;		/* the sender's own number of the descriptor */
	uint64_t canary;	/* a page the sender registered, never touched */
};

/* What a source gets when it opens or reconfigures. */
struct source_env {
	const struct tierd_config *cfg;
	const struct kernel_features *feat;
	struct bpf_obj *bpf;	/* the shared object; NULL for a non-BPF source */
	/* where a source records the system settings it changes */
	struct owned *owned;
	/* [promotion] take_over: a source may reset another mover's settings */
	bool take_over;
	/* a source without BPF hands its records to the pipeline here */
	void (*emit)(void *emit_ctx, const struct tierd_event *ev);
	void *emit_ctx;
};

struct source_ops {
	enum tierd_source id;
	bool uses_bpf;
	/*
	 * true: the kernel reports only slow-tier folios, so the source may
	 * watch every process in scope.  false: it watches only processes
	 * that hold slow-tier memory (tracking costs every process it arms).
	 */
	bool tracks_whole_scope;
	/*
	 * Faults per window that make a record, when the source's own rate
	 * fixes it; 0 takes [hotness] threshold.
	 */
	uint32_t window_threshold;
	/* Its [sources] setting. */
	enum tierd_tristate (*wanted)(const struct tierd_config *cfg);
	/*
	 * Why this kernel cannot feed the source (the text follows "off: "),
	 * or NULL.  @want is its setting: some sources run degraded when
	 * asked for explicitly.  A reason with figures in it is formatted
	 * into @buf, which is then returned.
	 */
	const char *(*missing)(const struct kernel_features *f,
			       enum tierd_tristate want, char *buf,
			       size_t len);
	/* BPF sources: turn their programs on before the object loads. */
	void (*select)(struct bpf_obj *b, const struct kernel_features *f);
	/*
	 * Attach or set up, fill s->state.  0 or -errno with the reason in
	 * @err (without the source's name: the collector adds it).
	 */
	int (*open)(struct source *s, const struct source_env *env,
		    char *err, size_t errlen);
	/* Once per tick: re-arm tracking of the processes in scope. */
	void (*arm)(struct source *s, const struct source_proc *procs,
		    size_t n, uint64_t now_ms);
	/*
	 * Sources that take descriptors from processes: verify and keep
	 * @a->fd.  0 with what the source now does in @msg, or -errno with
	 * the reason in @msg (one line, for the sender).
	 */
	int (*adopt)(struct source *s, const struct source_adopt *a,
		     uint64_t now_ms, char *msg, size_t msglen);
	/*
	 * A reload opened the collector anew: take over from @old (the same
	 * source in the collector being replaced) what must outlive it,
	 * such as descriptors processes handed over.
	 */
	void (*carry)(struct source *s, struct source *old);
	/* A reload kept the source set; apply what changed.  0 or -errno. */
	int (*reconfigure)(struct source *s, const struct source_env *env);
	/* Add what only the source knows (the BPF counters are filled). */
	void (*stats)(const struct source *s, struct tierd_source_stats *st);
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	bool active;
	char state[256];		/* "active (...)" or why it is off */
	void *priv;			/* the module's own state */
	/* nodes the pipeline treats as slow now; 0 when it is not tiering */
	uint64_t slow_mask;
};

/* Every registered source, indexed by enum tierd_source. */
extern const struct source_ops *const tierd_source_registry[TIERD_SRC_NR];

/* The modules (one file each). */
extern const struct source_ops private_node_source;
extern const struct source_ops soft_dirty_source;
extern const struct source_ops numa_hint_source;
extern const struct source_ops uffd_source;

#endif /* TIERD_SOURCES_SOURCE_H */
