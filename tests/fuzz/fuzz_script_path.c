/*
 * The fast script path resolver (script_resolve_fast): names a web server
 * sends as SCRIPT_FILENAME, resolved against a small tree built once under
 * a temporary script_root (files, directories, symlinks inside and out,
 * dangling and looping links, names with dots, a sibling that shares the
 * root's prefix). Whatever it resolves must be inside the root and equal
 * realpath(3) of the name, with the file's own stat; and it must take
 * every name that already is its own realpath below the root (else the
 * request pays for a realpath it does not need).
 *
 * The first byte picks how the rest becomes a name:
 *	0  ROOT "/" rest (the usual case);
 *	1  ROOT rest (a sibling such as ROOT "-evil/x", or ROOT itself);
 *	2  rest as it is (any absolute or relative path).
 *
 * Depends on (static, reached by including src/script.c):
 * int script_resolve_fast(const char *root, const char *name, char *resolved,
 * struct stat *st), resolved holding PATH_MAX bytes.
 */
#include "autoconf.h"

#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>

#include "../../src/script.c"

#include "fuzz.h"

static char	 fuzz_base[PATH_MAX];	/* the temporary directory */
static char	 fuzz_root[PATH_MAX];	/* realpath of script_root */
static size_t	 fuzz_rootlen;

/* Die during set-up: a broken fixture is not a finding. */
static void
fuzz_setup_fail(const char *what, const char *path)
{
	fprintf(stderr, "fuzz_script_path: %s %s: %s\n", what, path,
	    strerror(errno));
	exit(2);
}

/* Make one entry of the tree: 'd' directory, 'f' script, 'l' symlink. */
static void
fuzz_make(int type, const char *rel, const char *target)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof path, "%s/%s", fuzz_base, rel);
	switch (type) {
	case 'd':
		if (mkdir(path, 0755) == -1)
			fuzz_setup_fail("mkdir", path);
		break;
	case 'f':
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755)) == -1)
			fuzz_setup_fail("create", path);
		close(fd);
		break;
	case 'l':
		if (symlink(target, path) == -1)
			fuzz_setup_fail("symlink", path);
		break;
	}
}

/* Remove the tree at exit (libFuzzer ends with exit()). */
static void
fuzz_cleanup(void)
{
	char	*argv[] = { "rm", "-rf", fuzz_base, NULL };
	pid_t	 pid;

	if (*fuzz_base == '\0' || (pid = fork()) == -1)
		return;
	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

/* The tree, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static const struct {
		int		 type;
		const char	*rel;
		const char	*target;
	} tree[] = {
		{ 'd', "root", NULL },
		{ 'f', "root/a.cgi", NULL },
		{ 'f', "root/...", NULL },
		{ 'f', "root/.hidden", NULL },
		{ 'f', "root/..x", NULL },
		{ 'f', "root/sp ace", NULL },
		{ 'd', "root/dir", NULL },
		{ 'f', "root/dir/b.cgi", NULL },
		{ 'd', "root/dir/sub", NULL },
		{ 'f', "root/dir/sub/c.php", NULL },
		{ 'l', "root/link", "dir" },
		{ 'l', "root/flink", "a.cgi" },
		{ 'l', "root/dir/up", ".." },
		{ 'l', "root/dir/out", "../../outside.cgi" },
		{ 'l', "root/abs", "/etc" },
		{ 'l', "root/dangling", "nowhere" },
		{ 'l', "root/loop", "loop" },
		{ 'f', "outside.cgi", NULL },
		{ 'd', "root-evil", NULL },
		{ 'f', "root-evil/x.cgi", NULL },
		{ 'f', "rootx", NULL },
	};
	const char	*tmp;
	size_t		 i;

	fuzz_quiet();
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fuzz_base, sizeof fuzz_base, "%s/fuzz_script_path.XXXXXX",
	    tmp);
	if (mkdtemp(fuzz_base) == NULL)
		fuzz_setup_fail("mkdtemp", fuzz_base);
	atexit(fuzz_cleanup);
	for (i = 0; i < sizeof tree / sizeof tree[0]; i++)
		fuzz_make(tree[i].type, tree[i].rel, tree[i].target);
	/* As sessionwrap does at start: script_root is resolved once. */
	snprintf(fuzz_root, sizeof fuzz_root, "%s/root", fuzz_base);
	if (realpath(fuzz_root, fuzz_root) == NULL)
		fuzz_setup_fail("realpath", fuzz_root);
	fuzz_rootlen = strlen(fuzz_root);
	return 0;
}

/* One name per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*rest, *name, resolved[PATH_MAX], real[PATH_MAX];
	struct stat	 st, rst;
	int		 fast, canonical;

	if (size == 0)
		return 0;
	rest = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		xasprintf(&name, "%s/%s", fuzz_root, rest);
		break;
	case 1:
		xasprintf(&name, "%s%s", fuzz_root, rest);
		break;
	default:
		name = xstrdup(rest);
		break;
	}
	free(rest);

	memset(&st, 0, sizeof st);
	fast = script_resolve_fast(fuzz_root, name, resolved, &st);
	FUZZ_ASSERT(fast == 0 || fast == 1);
	/* Is the name already canonical, and below the root? */
	canonical = strlen(name) < PATH_MAX && realpath(name, real) != NULL &&
	    strcmp(real, name) == 0 && strncmp(real, fuzz_root,
	    fuzz_rootlen) == 0 && real[fuzz_rootlen] == '/';
	if (fast) {
		/* Inside the root, and what realpath would have said. */
		FUZZ_ASSERT(strncmp(resolved, fuzz_root, fuzz_rootlen) == 0);
		FUZZ_ASSERT(resolved[fuzz_rootlen] == '/');
		FUZZ_ASSERT(canonical);
		FUZZ_ASSERT(strcmp(resolved, real) == 0);
		/* And *st is the file's own (no link followed or skipped). */
		FUZZ_ASSERT(stat(real, &rst) == 0);
		FUZZ_ASSERT(st.st_dev == rst.st_dev && st.st_ino == rst.st_ino);
		FUZZ_ASSERT(st.st_mode == rst.st_mode);
	} else
		FUZZ_ASSERT(!canonical);
	free(name);
	return 0;
}
