#include "standard_output.h"

#include <errno.h>
#include <stdio.h>

int ktape_stdout_failure(void) {
    errno = 0;
    if (fflush(stdout) != 0) return errno != 0 ? errno : -1;
    return ferror(stdout) ? -1 : 0;
}
