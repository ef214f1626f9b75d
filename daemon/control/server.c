// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket server.
 *
 * SOCK_SEQPACKET rather than SOCK_STREAM: every send() is one message and
 * every recv() returns one whole message, so a request and a reply need no
 * length prefix or delimiter scanning and a half-sent request can never be
 * mistaken for a complete one.  Oversized requests show up as MSG_TRUNC.
 *
 * Peer credentials come from SO_PEERCRED and SO_PEERGROUPS (Linux 4.13):
 * both are the credentials the kernel captured at connect(), so unlike
 * reading /proc/<pid>/status there is no race with the peer exiting and its
 * pid being reused, and unlike getgrouplist() there is no NSS lookup (which
 * may block on LDAP) inside the event loop; it also reflects the groups the
 * process really holds, not what the user database says.
 *
 * A request may come with one descriptor (SCM_RIGHTS): recvmsg() has room
 * for one, with MSG_CMSG_CLOEXEC; what the kernel had to drop shows as
 * MSG_CTRUNC.  Every descriptor received is closed here after the reply is
 * built, on every path; whether a verb may take one is request.c's call.
 *
 * Nothing here ever blocks the loop: sockets are non-blocking, a client
 * that cannot take its reply at once is dropped, an idle client is dropped
 * after CONTROL_IDLE_TIMEOUT_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/server.h"
#include "control/socket_file.h"
#include "lib/log.h"

struct control_client {
	struct control_server *srv;
	struct control_client *next;
	struct control_client *prev;
	int fd;
	sd_event_source *io;
	sd_event_source *timer;
	struct ctl_sender peer;
};

struct control_server {
	sd_event *event;
	int fd;
	sd_event_source *listen_src;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char group[TIERD_GROUP_LEN];	/* stats_group as configured */
	bool track;			/* the track socket: self-service only */
	bool have_group;
	gid_t gid;
	struct ctl_service *svc;
	unsigned int nr_clients;
	struct control_client *clients;
	char *reply;			/* CTL_REPLY_MAX bytes, one reply at a time */
	/* The server this one replaced, closed from retire_src. */
	struct control_server *retired;
	sd_event_source *retire_src;
};

static void client_free(struct control_client *c)
{
	struct control_server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nr_clients--;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	free(c);
}

/* Send one reply; a client that cannot take it right now is dropped. */
static int send_reply(int fd, const struct strbuf *sb)
{
	ssize_t n;

	n = send(fd, sb->buf, sb->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return 0;
}

static int arm_idle(struct control_client *c)
{
	uint64_t now;
	int r;

	r = sd_event_now(c->srv->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_source_set_time(c->timer,
				     now + CONTROL_IDLE_TIMEOUT_MS * 1000ULL);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/*
 * Descriptors arrive installed in our table: each one is ours to close.
 * The first is kept for the request, the rest closed at once; the request
 * handling only needs their number.
 */
static void take_fds(struct msghdr *mh, struct ctl_message *m)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			m->nr_fds++;
			if (m->fd < 0)
				m->fd = fd;
			else
				close(fd);
		}
	}
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents,
			void *userdata)
{
	struct control_client *c = userdata;
	struct control_server *srv = c->srv;
	char msg[CTL_REQUEST_MAX + 1];
	/* Room for one descriptor: the kernel drops more and says MSG_CTRUNC. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct ctl_message m = { .data = msg, .fd = -1 };
	struct strbuf sb;
	bool close_after;
	ssize_t n;
	int r;

	if (!(revents & EPOLLIN)) {
		client_free(c);		/* EPOLLHUP / EPOLLERR, nothing to read */
		return 0;
	}
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_debug("control: pid %d: recv: %m", (int)c->peer.pid);
		client_free(c);
		return 0;
	}
	take_fds(&mh, &m);
	/* 0 is end of stream (an empty seqpacket message reads the same). */
	if (n == 0) {
		if (m.fd >= 0)
			close(m.fd);
		client_free(c);
		return 0;
	}
	m.len = (size_t)n;
	m.truncated = mh.msg_flags & MSG_TRUNC;
	m.ctrunc = mh.msg_flags & MSG_CTRUNC;
	sb_init(&sb, srv->reply, CTL_REPLY_MAX);
	close_after = ctl_handle(srv->svc, &c->peer, srv->have_group, &m, &sb);
	if (m.fd >= 0)
		close(m.fd);
	r = send_reply(fd, &sb);
	if (r < 0) {
		log_debug("control: pid %d: dropping client, reply of %zu "
			  "bytes not sent: %s", (int)c->peer.pid, sb.len,
			  strerror(-r));
		client_free(c);
		return 0;
	}
	if (close_after || arm_idle(c) < 0)
		client_free(c);
	return 0;
}

static int on_client_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct control_client *c = userdata;

	log_debug("control: pid %d idle for %d ms, disconnecting", (int)c->peer.pid,
		  CONTROL_IDLE_TIMEOUT_MS);
	client_free(c);
	return 0;
}

/* Credentials the kernel recorded at connect(): see the top comment. */
static int peer_access(struct control_server *srv, int fd,
		       struct control_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_peer peer = { 0 };
	gid_t small[64], *groups = small;
	int r = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	len = sizeof(small);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, small, &len) < 0) {
		if (errno != ERANGE)
			return -errno;
		groups = malloc(len);
		if (!groups)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
			       &len) < 0) {
			r = -errno;
			goto out;
		}
	}
	peer.pid = cred.pid;
	peer.uid = cred.uid;
	peer.gid = cred.gid;
	peer.groups = groups;
	peer.nr_groups = len / sizeof(gid_t);
	c->peer = (struct ctl_sender){
		.pid = cred.pid,
		.uid = cred.uid,
		.gid = cred.gid,
		.access = srv->track ? CTL_ACCESS_SELF :
			  ctl_peer_access(&peer, srv->have_group, srv->gid),
	};
out:
	if (groups != small)
		free(groups);
	return r;
}

static void refuse_busy(struct control_server *srv, int fd)
{
	char buf[128];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	ctl_reply_error(&sb, "busy: %d clients connected, try again",
			CONTROL_MAX_CLIENTS);
	srv->svc->counters.requests++;
	srv->svc->counters.errors++;
	(void)send_reply(fd, &sb);
	/*
	 * Closing with the client's request still unread would make the
	 * kernel report ECONNRESET to the client instead of our reply.
	 */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) > 0)
		;
	close(fd);
}

/* Returns 0, or -errno with what failed in @err; @fd is closed then. */
static int client_add(struct control_server *srv, int fd, char *err,
		      size_t errlen)
{
	/* Room for the largest reply, so a reply is never partially queued. */
	int sndbuf = 2 * CTL_REPLY_MAX;
	struct control_client *c;
	const char *what;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	c->next = srv->clients;
	if (c->next)
		c->next->prev = c;
	srv->clients = c;
	srv->nr_clients++;

	what = "cannot read peer credentials";
	r = peer_access(srv, fd, c);
	if (r < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		log_debug("control: SO_SNDBUF: %m");
	what = "cannot watch the client";
	r = sd_event_add_io(srv->event, &c->io, fd, EPOLLIN, on_client_io, c);
	if (r < 0)
		goto fail;
	what = "cannot add the idle timer";
	r = sd_event_add_time(srv->event, &c->timer, CLOCK_MONOTONIC, 0, 0,
			      on_client_idle, c);
	if (r < 0)
		goto fail;
	r = arm_idle(c);
	if (r < 0)
		goto fail;
	log_debug("control: client pid %d uid %u connected (access %d)",
		  (int)c->peer.pid, (unsigned int)c->peer.uid, c->peer.access);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", what, strerror(-r));
	client_free(c);
	return r;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents,
		     void *userdata)
{
	struct control_server *srv = userdata;
	unsigned int i;
	char err[256];
	int cfd, r;

	/* A bounded batch per wakeup keeps a connect flood from starving ticks. */
	for (i = 0; i < 32; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control: accept on %s: %m",
					 srv->path);
			break;
		}
		if (srv->nr_clients >= CONTROL_MAX_CLIENTS) {
			refuse_busy(srv, cfd);
			continue;
		}
		r = client_add(srv, cfd, err, sizeof(err));
		if (r < 0)
			log_warn("control: cannot set up a client on %s: %s",
				 srv->path, err);
	}
	return 0;
}

static int server_open(sd_event *event, const char *path, const char *group,
		       bool track, struct ctl_service *svc,
		       struct control_server **out, char *err, size_t errlen)
{
	struct control_server *srv;
	int r;

	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	srv->fd = -1;
	srv->event = sd_event_ref(event);
	srv->svc = svc;
	srv->track = track;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(srv->group, sizeof(srv->group), "%s", group);
	srv->reply = malloc(CTL_REPLY_MAX);
	if (!srv->reply) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	r = control_resolve_group(group, &srv->have_group, &srv->gid, err,
				  errlen);
	if (r < 0)
		goto fail;
	r = control_socket_listen(path, srv->have_group, srv->gid,
				  track ? 0666 : 0660, CONTROL_MAX_CLIENTS,
				  &srv->fd, err, errlen);
	if (r < 0)
		goto fail;
	r = sd_event_add_io(event, &srv->listen_src, srv->fd, EPOLLIN,
			    on_accept, srv);
	if (r < 0) {
		snprintf(err, errlen, "sd_event_add_io: %s", strerror(-r));
		close(srv->fd);
		unlink(path);
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	free(srv->reply);
	sd_event_unref(srv->event);
	free(srv);
	return r;
}

int control_server_open(sd_event *event, const char *path, const char *group,
			struct ctl_service *svc, struct control_server **out,
			char *err, size_t errlen)
{
	return server_open(event, path, group, false, svc, out, err, errlen);
}

int control_track_server_open(sd_event *event, const char *path,
			      struct ctl_service *svc,
			      struct control_server **out, char *err,
			      size_t errlen)
{
	return server_open(event, path, "", true, svc, out, err, errlen);
}

static int on_retire(sd_event_source *s, void *userdata)
{
	struct control_server *srv = userdata;

	control_server_close(srv->retired);
	srv->retired = NULL;
	srv->retire_src = sd_event_source_disable_unref(srv->retire_src);
	return 0;
}

/*
 * @srv replaces @old (a reload moved the socket).  @old may be serving the
 * client that asked for the reload, so it is closed after the current
 * event dispatch, not from under it; at the latest with @srv.
 */
static void take_over(struct control_server *srv, struct control_server *old)
{
	int r;

	if (srv->retired)
		on_retire(NULL, srv);
	srv->retired = old;
	r = sd_event_add_defer(srv->event, &srv->retire_src, on_retire, srv);
	if (r >= 0)
		r = sd_event_source_set_priority(srv->retire_src,
						 SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0)
		log_warn("cannot schedule closing of the old control socket "
			 "%s (closed at exit): %s", old->path, strerror(-r));
}

void control_server_close(struct control_server *srv)
{
	if (!srv)
		return;
	if (srv->retired)
		on_retire(NULL, srv);
	while (srv->clients)
		client_free(srv->clients);
	sd_event_source_disable_unref(srv->listen_src);
	close(srv->fd);
	if (unlink(srv->path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %m", srv->path);
	free(srv->reply);
	sd_event_unref(srv->event);
	free(srv);
}

int control_server_prepare(struct control_server *srv, const char *path,
			   const char *group, struct control_change *chg,
			   char *err, size_t errlen)
{
	*chg = (struct control_change){ 0 };
	if (strcmp(path, srv->path))
		return server_open(srv->event, path, group, srv->track,
				   srv->svc, &chg->moved, err, errlen);
	if (!strcmp(group, srv->group))
		return 0;
	chg->regroup = true;
	snprintf(chg->group, sizeof(chg->group), "%s", group);
	return control_resolve_group(group, &chg->have_group, &chg->gid, err,
				     errlen);
}

int control_track_server_prepare(struct control_server *srv, const char *path,
				 struct control_change *chg, char *err,
				 size_t errlen)
{
	return control_server_prepare(srv, path, "", chg, err, errlen);
}

int control_server_apply(struct control_server **srv,
			 struct control_change *chg, char *err, size_t errlen)
{
	struct control_server *cur = *srv;
	int r;

	if (chg->moved) {
		take_over(chg->moved, cur);
		*srv = chg->moved;
		chg->moved = NULL;
		log_info("control socket moved to %s", (*srv)->path);
		return 0;
	}
	if (!chg->regroup)
		return 0;
	r = control_socket_set_owner(cur->path, chg->have_group, chg->gid,
				     0660, err, errlen);
	if (r < 0)
		return r;
	cur->have_group = chg->have_group;
	cur->gid = chg->gid;
	memcpy(cur->group, chg->group, sizeof(cur->group));
	return 0;
}

void control_server_discard(struct control_change *chg)
{
	control_server_close(chg->moved);
	chg->moved = NULL;
}
