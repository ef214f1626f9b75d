// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/socket_file.h"
#include "os/fsutil.h"
#include "lib/log.h"

int control_resolve_group(const char *group, bool *have_group, gid_t *gid,
			  char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int r;

	if (!group[0]) {
		*have_group = false;
		*gid = 0;
		return 0;
	}
	r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (r || !res) {
		snprintf(err, errlen, "stats_group '%s': %s", group,
			 r ? strerror(r) : "no such group");
		return r ? -r : -ENOENT;
	}
	*have_group = true;
	*gid = res->gr_gid;
	return 0;
}

/*
 * A socket file left by a crashed tierd is removed; one somebody listens on
 * is not, so two daemons never fight over the path.
 */
static int remove_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, r, e;

	if (lstat(sa->sun_path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		snprintf(err, errlen, "cannot stat %s: %s", sa->sun_path,
			 strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; "
			 "refusing to replace it", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN) {
		snprintf(err, errlen, "another tierd is already listening on "
			 "%s", sa->sun_path);
		return -EADDRINUSE;
	}
	if (e == EPROTOTYPE) {
		snprintf(err, errlen, "%s is in use by another program (not a "
			 "SOCK_SEQPACKET socket)", sa->sun_path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "cannot probe %s: %s", sa->sun_path,
			 strerror(e));
		return -e;
	}
	log_info("removing stale control socket %s", sa->sun_path);
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, errlen, "cannot remove stale socket %s: %s",
			 sa->sun_path, strerror(e));
		return -e;
	}
	return 0;
}

int control_socket_set_owner(const char *path, bool have_group, gid_t gid,
			     mode_t mode, char *err, size_t errlen)
{
	int e;

	/*
	 * Nobody can connect before listen(), so fixing the mode after
	 * bind() leaves no window with looser permissions.
	 */
	if (chown(path, (uid_t)-1, have_group ? gid : 0) < 0 ||
	    chmod(path, mode) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot set owner/mode of %s: %s", path,
			 strerror(e));
		return -e;
	}
	return 0;
}

int control_socket_listen(const char *path, bool have_group, gid_t gid,
			  mode_t mode, int backlog, int *fd, char *err,
			  size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool bound = false;
	int r, e, s;

	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is empty or longer "
			 "than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "socket path '%s' is not absolute", path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = fs_mkdir_parents(path, err, errlen);
	if (r < 0)
		return r;
	r = remove_stale(&sa, err, errlen);
	if (r < 0)
		return r;

	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(e));
		r = -e;
		goto fail;
	}
	bound = true;
	r = control_socket_set_owner(path, have_group, gid, mode, err, errlen);
	if (r < 0)
		goto fail;
	if (listen(s, backlog) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(e));
		r = -e;
		goto fail;
	}
	*fd = s;
	return 0;
fail:
	close(s);
	if (bound)
		unlink(path);
	return r;
}
