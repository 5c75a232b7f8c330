#include "cli/client.h"

#include <errno.h>
#include <string.h>

#include "common/rundir.h"

int daemon_connect(const struct cli_globals *g, struct jsonrpc_client *c, struct err *e)
{
	char dir[4096], path[4096];
	struct err ce = { 0 };
	int ret;

	ret = rundir_resolve(g->run_dir, dir, sizeof(dir), e);
	if (ret)
		return ret;
	ret = rundir_path(dir, RUNDIR_CONTROL, path, sizeof(path), e);
	if (ret)
		return ret;
	ret = rundir_check_socket(dir, path, &ce);
	if (ret == -ENOENT)
		return err_set(e, ret, "ulvmd is not running: cannot connect to %s: %s", path, strerror(-ret));
	if (ret)
		return err_set(e, ret, "%s", ce.msg);
	ret = jsonrpc_connect(path, c, &ce);
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return err_set(e, ret, "ulvmd is not running: cannot connect to %s: %s", path,
			       strerror(-ret));
	if (ret)
		return err_set(e, ret, "%s", ce.msg);
	return 0;
}
