#ifndef KTAPE_SPAWN_SHIMS_H
#define KTAPE_SPAWN_SHIMS_H

#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+), declared only under _GNU_SOURCE, which a
/// Swift import of <spawn.h> does not define.
int ktape_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29+), for the same reason.
int ktape_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// A spawn attribute that starts the child with no signal blocked, every signal at its default
/// action and in a process group of its own: nothing of the parent's signal set-up leaks into it.
int ktape_spawnattr_clean(posix_spawnattr_t *attr);

#endif
